// Child process for tests (node --experimental-vm-modules): reads [{ source, calls }] as JSON on stdin, evaluates each ES module source in an ECMAScript-only realm and prints, per module, the JSON of decide() on each call (`calls`: the source of an array expression, evaluated in that realm).
import vm from "node:vm";
import { evaluateModuleInRealm } from "./es-realm.mjs";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const { source, calls } of JSON.parse(input)) {
  const { namespace, context } = await evaluateModuleInRealm(source);
  results.push(vm.runInContext(calls, context).map((call) => JSON.stringify(namespace.decide(call))));
}
process.stdout.write(JSON.stringify(results));
