// The worker's entry when the compiler runs from its TypeScript sources (tests, bench): registers tsx in the worker thread, which Node 20 does not do for a `.ts` entry; the package runs the compiled modes-worker.js instead.
import { register } from "tsx/esm/api";

register();
await import("./modes-worker.ts");
