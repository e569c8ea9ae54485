// The aegisc executable's body: runs the CLI on this process's arguments and streams (bin/aegisc.js imports the compiled file).

import { Cli } from "./cli.ts";

const cli = new Cli({ stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env });
process.exitCode = await cli.run(process.argv.slice(2));
