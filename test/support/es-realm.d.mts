// Types of es-realm.mjs (plain JavaScript, so that child processes load it without tsx).
import type { Context } from "node:vm";

export declare const ECMASCRIPT_GLOBALS: ReadonlySet<string>;
export declare function ecmascriptOnlyContext(): Context;
export declare function evaluateModuleInRealm(source: string): Promise<{ namespace: Record<string, unknown>; context: Context }>;
export declare function evaluateCommonJsInRealm(source: string): { exports: Record<string, unknown>; context: Context };
