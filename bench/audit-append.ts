// What the proxy's audit adds to a forwarded call before it reaches the server: one intent record (serialized with the client's argument text, sealed, appended) and the per-call check of the file (stat + access). `node --import tsx bench/audit-append.ts`
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonlAudit } from "../runtime/src/audit-jsonl.ts";
import { AuditLineText, recordJson } from "../runtime/src/audit-chain.ts";
const dir = mkdtempSync(join(tmpdir(), "aegisc-intent-"));
const audit = jsonlAudit({ dir, sync: true });
const rec = { time: new Date().toISOString(), id: "a905c721-694b-4abb-9346-5677412ee41b", requestId: 4, server: "bench-fs", tool: "read_text_file", args: {}, rule: "reads", risk: "low", approval: "auto", human: null, status: "forwarded", policy: "sha256:c45961e866d69cdddf7701529297718426f289d5ac30468e42b23152317b87b7" };
const args = '{"path":"/tmp/aegisc-bench-proxy-abc/workspace/notes.md"}';
const N = 50000;
audit.prepareSync!("bench-fs");
for (let round = 0; round < 3; round++) {
  let t = performance.now();
  for (let i = 0; i < N; i++) {
    const json = recordJson({ ...rec, args: 0 });
    const at = json.indexOf(',"args":0');
    audit.appendSync!("bench-fs", new AuditLineText(`${json.slice(0, at)},"args":${args}${json.slice(at + 9, -1)}`));
  }
  const append = (performance.now() - t) / N;
  t = performance.now();
  for (let i = 0; i < N; i++) audit.prepareSync!("bench-fs");
  const prepare = (performance.now() - t) / N;
  t = performance.now();
  for (let i = 0; i < N; i++) {
    const json = recordJson({ ...rec, args: 0 });
    const at = json.indexOf(',"args":0');
    new AuditLineText(`${json.slice(0, at)},"args":${args}${json.slice(at + 9, -1)}`).seal("0".repeat(64));
  }
  const seal = (performance.now() - t) / N;
  console.log(`intent record: ${(append * 1000).toFixed(1)} µs (of which serialize+seal ${(seal * 1000).toFixed(1)} µs); prepare (stat+access) ${(prepare * 1000).toFixed(1)} µs`);
}
await audit.close();
rmSync(dir, { recursive: true, force: true });
