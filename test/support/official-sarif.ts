// The official SARIF 2.1.0 JSON schema (OASIS, as mirrored by the `schemastore` package), compiled once for the tests.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS with a default export; under ESM interop it may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

let cached: ValidateFunction | undefined;

/** A draft-07 validator for sarif-2.1.0.json, with the `uri` and `date-time` formats checked. */
export function officialSarifValidator(): ValidateFunction {
  if (cached) return cached;
  const path = createRequire(import.meta.url).resolve("schemastore/schemas/json/sarif-2.1.0.json");
  const schema = JSON.parse(readFileSync(path, "utf8")) as { $id: string };
  // The schema's $id must be the OASIS one, so that a changed mirror cannot pass for it.
  if (!schema.$id.includes("oasis-tcs/sarif-spec")) throw new Error(`unexpected SARIF schema id ${schema.$id}`);
  // The schema's `language` pattern has a stray `]` that is valid only without the `u` flag.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  cached = ajv.compile(schema);
  return cached;
}
