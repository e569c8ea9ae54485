// Test helper (plain JavaScript, for child processes too): a node:vm realm whose global object holds only what ECMAScript (with Intl) defines, as a browser or worker would beyond its own APIs.
import vm from "node:vm";

/** The global properties of ECMA-262 (Annex B included) and ECMA-402, also those newer than this Node. */
export const ECMASCRIPT_GLOBALS = new Set(
  (
    "globalThis Infinity NaN undefined eval isFinite isNaN parseFloat parseInt decodeURI decodeURIComponent encodeURI " +
    "encodeURIComponent escape unescape AggregateError Array ArrayBuffer AsyncDisposableStack Atomics BigInt BigInt64Array " +
    "BigUint64Array Boolean DataView Date DisposableStack Error EvalError FinalizationRegistry Float16Array Float32Array " +
    "Float64Array Function Int8Array Int16Array Int32Array Iterator Map Number Object Promise Proxy RangeError " +
    "ReferenceError RegExp Set SharedArrayBuffer String SuppressedError Symbol SyntaxError TypeError Uint8Array " +
    "Uint8ClampedArray Uint16Array Uint32Array URIError WeakMap WeakRef WeakSet JSON Math Reflect Intl"
  ).split(" "),
);

/**
 * A new context with every other global deleted (V8 adds `console` and `WebAssembly`); throws if
 * one cannot be deleted, so a module that runs in it provably uses no Node, DOM or host API.
 */
export function ecmascriptOnlyContext() {
  const context = vm.createContext({});
  const others = vm.runInContext(
    "Object.getOwnPropertyNames(globalThis).filter((name) => { if (NAMES.has(name)) return false; delete globalThis[name]; return true; })".replace(
      "NAMES",
      `new Set(${JSON.stringify([...ECMASCRIPT_GLOBALS])})`,
    ),
    context,
  );
  const left = vm.runInContext("Object.getOwnPropertyNames(globalThis)", context).filter((name) => !ECMASCRIPT_GLOBALS.has(name));
  if (left.length > 0) throw new Error(`cannot remove the globals ${left.join(", ")} (removed ${others.join(", ")})`);
  return context;
}

/**
 * Evaluates an ES module with vm.SourceTextModule (needs --experimental-vm-modules) in an
 * ECMAScript-only context; it may import nothing. Resolves to its namespace and its context.
 */
export async function evaluateModuleInRealm(source) {
  const context = ecmascriptOnlyContext();
  const module = new vm.SourceTextModule(source, { context, identifier: "guard.js" });
  await module.link((specifier) => {
    throw new Error(`the module imports ${specifier}`);
  });
  await module.evaluate();
  return { namespace: module.namespace, context };
}

/**
 * Evaluates a CommonJS module as a bundler or loader in a browser would: its code as the body of
 * a function of `exports` (and `module`), compiled in an ECMAScript-only context, so `require`,
 * `process` and the rest are not there. Returns its exports and its context.
 */
export function evaluateCommonJsInRealm(source) {
  const context = ecmascriptOnlyContext();
  const module = vm.runInContext("({ exports: {} })", context);
  const body = vm.compileFunction(source, ["exports", "module"], { parsingContext: context, filename: "guard.js" });
  body.call(undefined, module.exports, module);
  return { exports: module.exports, context };
}
