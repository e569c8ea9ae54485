// The module hooks of record-loads.mjs: appends each resolved URL to the file it was given.
import { appendFileSync } from "node:fs";

let out;
export function initialize(data) {
  out = data.out;
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(out, `${result.url}\n`);
  return result;
}
