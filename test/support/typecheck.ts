// Test helper: type-checks generated modules (in memory or on disk) with the compiler flags of the strictest projects that would commit them.

import { dirname } from "node:path";
import ts from "typescript";

/**
 * What a generated `.ts` must pass (issue 19): `tsc --strict --noUnusedLocals --noUnusedParameters
 * --exactOptionalPropertyTypes --noUncheckedIndexedAccess`, plus noImplicitReturns, with no
 * library but ES2022 and no ambient types, so that a use of a Node or DOM global fails too.
 */
export const GENERATED_MODULE_OPTIONS: ts.CompilerOptions = Object.freeze({
  strict: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitReturns: true,
  noEmit: true,
  types: [],
  lib: ["lib.es2022.d.ts"],
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ES2022,
});

/** Library files parsed once per process: each program would otherwise parse lib.es2022 and its parts again. */
const libraryFiles = new Map<string, ts.SourceFile | undefined>();

/**
 * The diagnostics of a program made of `files` (absolute paths of files on disk, or virtual files
 * given with their text), each rendered as one string naming its file and line.
 */
export function typeCheck(files: readonly (string | { readonly fileName: string; readonly text: string })[], extra: ts.CompilerOptions = {}): string[] {
  const options = { ...GENERATED_MODULE_OPTIONS, ...extra };
  const host = ts.createCompilerHost(options);
  const virtual = new Map<string, string>(files.flatMap((f) => (typeof f === "string" ? [] : [[`/virtual/${f.fileName}`, f.text] as const])));
  const getSourceFile = host.getSourceFile.bind(host);
  const libDir = dirname(ts.getDefaultLibFilePath(options));
  host.getSourceFile = (fileName, languageVersion, onError) => {
    const text = virtual.get(fileName);
    if (text !== undefined) return ts.createSourceFile(fileName, text, languageVersion, true);
    if (!fileName.startsWith(libDir)) return getSourceFile(fileName, languageVersion, onError);
    if (!libraryFiles.has(fileName)) libraryFiles.set(fileName, getSourceFile(fileName, languageVersion, onError));
    return libraryFiles.get(fileName);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => virtual.has(fileName) || fileExists(fileName);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => virtual.get(fileName) ?? readFile(fileName);
  const roots = files.map((f) => (typeof f === "string" ? f : `/virtual/${f.fileName}`));
  const program = ts.createProgram(roots, options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? ` (${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1})` : d.file ? ` (${d.file.fileName})` : "";
    return `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}${where}`;
  });
}
