// Entry of the worker thread that compares the modes of a large policy: loads the TypeScript through tsx, as bin/aegisc.js does.
import { register } from "tsx/esm/api";

register();
await import("./modes-worker.ts");
