// The aegisc command line as a class with injected streams that returns an exit code; each command's code is loaded only when it runs.

import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { TOTAL_STEP_BUDGET } from "./analysis/work-limit.ts";
import type { EmitKind } from "./codegen/emit-files.ts";
import type { BuildOptions } from "./commands/build.ts";
import type { CheckOptions } from "./commands/check.ts";
import type { ExplainOptions } from "./commands/explain.ts";
import { EXIT, UsageError, type CliIo } from "./commands/io.ts";
import { COMBINES } from "./ir/types.ts";
import { registerProxyCommands } from "./proxy/command.ts";
import { COMPILER_VERSION } from "./version.ts";

export { EXIT, type CliIo, type OutputStream } from "./commands/io.ts";

const EMITS: readonly EmitKind[] = ["ts", "js", "both"];

export class Cli {
  private readonly io: CliIo;

  constructor(io: CliIo) {
    this.io = io;
  }

  /** Runs one command line (without the node and script arguments) and returns the exit code. */
  async run(argv: readonly string[]): Promise<number> {
    let exitCode: number = EXIT.ok;
    const program = this.program((code) => (exitCode = code));
    try {
      await program.parseAsync([...argv], { from: "user" });
      return exitCode;
    } catch (e) {
      if (e instanceof CommanderError) {
        if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return EXIT.ok;
        if (e.code === "commander.help") return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
        return EXIT.usage;
      }
      if (e instanceof UsageError) {
        this.io.stderr.write(`aegisc: ${e.message}\n`);
        return EXIT.usage;
      }
      const err = e as Error;
      this.io.stderr.write(`aegisc: internal error: ${err?.stack ?? String(e)}\nPlease report this with the command and policy that caused it.\n`);
      return EXIT.internal;
    }
  }

  private program(setExit: (code: number) => void): Command {
    const io = this.io;
    const program = new Command("aegisc");
    // Settings first: subcommands copy them when they are created.
    program
      .exitOverride()
      .configureOutput({
        writeOut: (s) => void io.stdout.write(s),
        writeErr: (s) => void io.stderr.write(s),
        outputError: (s, write) => write(s),
      })
      .showHelpAfterError("(run `aegisc --help` for usage)")
      .description("Compile MCP tool-call policies (Aegis format) into a dependency-free TypeScript guard, and check them.")
      .version(COMPILER_VERSION, "-V, --version", "print the aegisc version")
      .option("--no-color", "never color the output (also: NO_COLOR=1)");
    const color = () => program.opts().color !== false;

    const combineOption = () =>
      new Option("--combine <mode>", "override the policy's combine mode").choices(COMBINES as unknown as string[]);

    program
      .command("check")
      .description("report problems in policy files; exit 0 clean, 1 errors, 2 usage or I/O")
      .argument("<globs...>", "policy files or fast-glob patterns, merged in order")
      .addOption(new Option("--format <format>", "output format").choices(["text", "json", "sarif"]).default("text"))
      .addOption(combineOption())
      .option("--max-warnings <n>", "exit 1 when there are more warnings than this", parseCount)
      .option("--analysis-limit <n>", `most steps of work (a cube comparison is one, an example call checked four) the analysis may make before it reports what it did not finish (default ${TOTAL_STEP_BUDGET}; 0: no limit)`, parseCount)
      .action(async (globs: string[], opts: CheckOptions) => {
        const { runCheck } = await import("./commands/check.ts");
        setExit(await runCheck(globs, opts, io, color()));
      });

    program
      .command("explain")
      .description("decide one call and say, for every rule, whether it matched and why")
      .argument("<globs...>", "policy files or fast-glob patterns, merged in order")
      .requiredOption("--tool <name>", "MCP tool name of the call")
      .requiredOption("--server <name>", "MCP server name of the call")
      .option("--args <json>", "call arguments as a JSON object", undefined)
      .option("--agent <id>", "agent id of the call (none by default)")
      .option("--at <iso>", "time of the call, ISO 8601 (default: now)")
      .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
      .addOption(combineOption())
      .action(async (globs: string[], opts: ExplainOptions) => {
        const { runExplain } = await import("./commands/explain.ts");
        setExit(await runExplain(globs, opts, io, color()));
      });

    program
      .command("build")
      .description("compile each policy file to <name>.guard.ts (or one module with --merge)")
      .argument("<globs...>", "policy files or fast-glob patterns")
      .option("-o, --out-dir <dir>", "directory to write into", ".")
      .option("--merge <name>", "compile all files together into <name>.guard.*", parseModuleName)
      .addOption(new Option("--emit <kind>", "what to write: .ts, or .js with .d.ts, or all three").choices(EMITS).default("ts"))
      .addOption(new Option("--module <format>", "syntax of the .js (default: esm where the nearest package.json says \"type\": \"module\" or there is none, else cjs)").choices(["esm", "cjs"]))
      .action(async (globs: string[], opts: BuildOptions) => {
        const { runBuild } = await import("./commands/build.ts");
        setExit(await runBuild(globs, opts, io, color()));
      });

    registerProxyCommands(program, io, setExit);
    return program;
  }
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number of 0 or more.");
  return Number(value);
}

function parseModuleName(value: string): string {
  if (value === "" || value === "." || value === ".." || /[/\\\0]/.test(value)) {
    throw new InvalidArgumentError("expected a file name without directories, such as `policy`.");
  }
  return value;
}
