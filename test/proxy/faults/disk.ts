// A small disk that fills up, for the fault suite: a tmpfs when the tests run as root (CI does), else (or with AEGISC_TEST_DISK=shim) the fs shim in fixtures/full-disk-shim.mjs.
import { execFileSync } from "node:child_process";
import { chmodSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fixtures, tempDir } from "../helpers.ts";

export interface SmallDisk {
  dir: string;
  /** "tmpfs" or "shim": how the disk is made small. */
  kind: "tmpfs" | "shim";
  /** What a spawned proxy needs to see the small disk (the shim is loaded into its node). */
  env: NodeJS.ProcessEnv;
  execArgv: string[];
  /** Makes the disk (tmpfs: remounted) or its files (else: chmod, which binds only non-root users) read-only or writable again; false when it cannot here. */
  readOnly(on: boolean): boolean;
  release(): void;
}

/** A directory that holds at most about `bytes` bytes. */
export function smallDisk(bytes: number): SmallDisk {
  const dir = tempDir("aegisc-small-disk-");
  if (process.getuid?.() === 0 && process.env.AEGISC_TEST_DISK !== "shim") {
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir], { stdio: "ignore" });
      return {
        dir,
        kind: "tmpfs",
        env: process.env,
        execArgv: [],
        // A read-only bind mount over the directory: the kernel refuses a remount of the tmpfs itself while the proxy holds a file open for writing.
        readOnly: (on) => {
          if (on) {
            execFileSync("mount", ["--bind", dir, dir], { stdio: "ignore" });
            execFileSync("mount", ["-o", "remount,bind,ro", dir], { stdio: "ignore" });
          } else {
            execFileSync("umount", [dir], { stdio: "ignore" });
          }
          return true;
        },
        release: () => execFileSync("umount", ["-l", dir], { stdio: "ignore" }),
      };
    } catch {
      // No mount here (a container without the capability): the shim stands in.
    }
  }
  return {
    dir,
    kind: "shim",
    env: { ...process.env, AEGISC_FULL_DISK_DIR: dir, AEGISC_FULL_DISK_BYTES: String(bytes) },
    execArgv: ["--import", join(fixtures, "full-disk-shim.mjs")],
    readOnly: (on) => {
      if (process.getuid?.() === 0) return false;
      const chmodAll = (at: string, mode: number) => {
        for (const name of readdirSync(at)) {
          const path = join(at, name);
          if (statSync(path).isDirectory()) chmodAll(path, mode);
          chmodSync(path, statSync(path).isDirectory() ? mode | 0o111 : mode);
        }
      };
      chmodAll(dir, on ? 0o444 : 0o644);
      return true;
    },
    release: () => undefined,
  };
}
