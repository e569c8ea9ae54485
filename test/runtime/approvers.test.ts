// Tests for the approvers: deny, callback (errors deny) and the terminal prompt driven through injected streams.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PassThrough, Writable } from "node:stream";
import { callbackApprover, createGuard, denyApprover, terminalApprover, type ApprovalRequest } from "../../runtime/src/index.ts";
import * as guard from "./quickstart-guard.ts";

const request = (tool = "write_file", server = "dev-filesystem"): ApprovalRequest => {
  const call = { server, tool, args: { path: "/tmp/x" } };
  return { call, decision: guard.decide(call), policy: guard.POLICY };
};

/** An output stream that records what was written and can react to it (to answer prompts without timers). */
function recorder(onWrite: (text: string) => void = () => {}) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      onWrite(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

test("denyApprover always says no", async () => {
  assert.is(await denyApprover(request()), false);
});

test("callbackApprover passes the request through and returns the answer", async () => {
  const seen: ApprovalRequest[] = [];
  const approver = callbackApprover(async (r) => (seen.push(r), r.call.tool === "write_file"));
  assert.is(await approver(request("write_file")), true);
  assert.is(await approver(request("rename_file")), false);
  assert.is(seen[0].decision.rule, "mcp_write");
});

test("callbackApprover: thrown errors and rejections deny", async () => {
  const throwing = callbackApprover(() => {
    throw new Error("boom");
  });
  const rejecting = callbackApprover(() => Promise.reject(new Error("boom")));
  const truthy = callbackApprover(() => "yes" as unknown as boolean);
  assert.is(await throwing(request()), false);
  assert.is(await rejecting(request()), false);
  assert.is(await truthy(request()), false);
});

test("callbackApprover in a runtime: a crash in the callback means the call does not run", async () => {
  let executions = 0;
  const runtime = createGuard({
    ...guard,
    approver: callbackApprover(() => {
      throw new Error("slack is down");
    }),
    executor: () => executions++,
  });
  const result = await runtime.run({ server: "dev-filesystem", tool: "write_file" });
  assert.is(result.status, "denied");
  assert.is(executions, 0);
});

test("terminal: 'y' approves, and the prompt names tool and server", async () => {
  const input = new PassThrough();
  const output = recorder((text) => {
    if (text.includes("[y/N]")) input.write("y\n");
  });
  const approver = terminalApprover({ input, output: output.stream, interactive: true });
  assert.is(await approver(request()), true);
  assert.match(output.text(), /Allow write_file on dev-filesystem\? \[y\/N\] /);
  assert.match(output.text(), /rule mcp_write, risk medium\): Writes need a human\./);
  approver.close();
});

test("terminal: 'yes' in any case approves; 'n', empty and anything else deny", async () => {
  const answers: [string, boolean][] = [
    ["YES", true],
    [" Y ", true],
    ["n", false],
    ["", false],
    ["yeah", false],
    ["no", false],
  ];
  const input = new PassThrough();
  input.write(answers.map(([line]) => `${line}\n`).join(""));
  const approver = terminalApprover({ input, output: recorder().stream, interactive: true });
  for (const [line, expected] of answers) assert.is(await approver(request()), expected, JSON.stringify(line));
  approver.close();
});

test("terminal: end of input denies, now and later", async () => {
  const input = new PassThrough();
  const output = recorder((text) => {
    if (text.includes("[y/N]")) input.end();
  });
  const approver = terminalApprover({ input, output: output.stream, interactive: true });
  assert.is(await approver(request()), false);
  assert.is(await approver(request()), false);
});

test("terminal: an answer that arrives without a newline before EOF still counts", async () => {
  const input = new PassThrough();
  input.end("y");
  const approver = terminalApprover({ input, output: recorder().stream, interactive: true });
  assert.is(await approver(request()), true);
  assert.is(await approver(request()), false);
});

test("terminal: concurrent requests are asked one at a time, in order", async () => {
  const input = new PassThrough();
  const output = recorder();
  const approver = terminalApprover({ input, output: output.stream, interactive: true });
  const first = approver(request("write_file", "a"));
  const second = approver(request("write_file", "b"));
  input.write("n\ny\n");
  assert.equal(await Promise.all([first, second]), [false, true]);
  const prompts = output.text().match(/Allow write_file on \w\?/g);
  assert.equal(prompts, ["Allow write_file on a?", "Allow write_file on b?"]);
  approver.close();
});

test("terminal: not a TTY means nobody can answer, so it denies without reading", async () => {
  const input = new PassThrough();
  input.write("y\n");
  const output = recorder();
  const approver = terminalApprover({ input, output: output.stream });
  assert.is(await approver(request()), false);
  assert.not.match(output.text(), /\[y\/N\]/);
  assert.match(output.text(), /no terminal is attached: denied/);
});

test("terminal: close() denies pending prompts", async () => {
  const input = new PassThrough();
  const output = recorder();
  const approver = terminalApprover({ input, output: output.stream, interactive: true });
  const pending = approver(request());
  approver.close();
  assert.is(await pending, false);
});

test("terminal approver in a runtime: y runs the call, n refuses it", async () => {
  const input = new PassThrough();
  input.write("y\nn\n");
  let executions = 0;
  const approver = terminalApprover({ input, output: recorder().stream, interactive: true });
  const runtime = createGuard({ ...guard, approver, executor: () => ++executions });
  assert.is((await runtime.run({ server: "dev-filesystem", tool: "write_file" })).status, "success");
  assert.is((await runtime.run({ server: "dev-filesystem", tool: "write_file" })).status, "denied");
  assert.is(executions, 1);
  approver.close();
});

test.run();
