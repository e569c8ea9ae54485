#!/usr/bin/env node
// The aegisc executable: loads the TypeScript compiler through tsx and runs the CLI on this process's streams.
import { register } from "tsx/esm/api";

register();
const { Cli } = await import("../compiler/cli.ts");
const cli = new Cli({ stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env });
process.exitCode = await cli.run(process.argv.slice(2));
