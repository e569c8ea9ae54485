// Parses one policy file as YAML 1.1 (as PyYAML reads Aegis policies), keeping node positions.

import { parseDocument, type Document, type ScalarTag, type Tags } from "yaml";
import { Diagnostics } from "../diagnostics/catalog.ts";
import type { DiagnosticBag } from "../diagnostics/diagnostic.ts";
import type { SourceText } from "../diagnostics/source.ts";
import { span } from "../ir/span.ts";

/**
 * PyYAML reads base-60 integers only when the first digit is 1-9, so `08:00` stays a string
 * while `18:00` becomes 1080; the `yaml` package's 1.1 schema would also turn `08:00` into 480.
 */
const PYYAML_SEXAGESIMAL_INT = /^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+$/;

function pyyamlTags(tags: Tags): Tags {
  return tags.map((tag) =>
    typeof tag === "object" && !("collection" in tag && tag.collection) && tag.tag === "tag:yaml.org,2002:int" && tag.format === "TIME"
      ? ({ ...(tag as ScalarTag), test: PYYAML_SEXAGESIMAL_INT } as ScalarTag)
      : tag,
  );
}

export function parsePolicyYaml(source: SourceText, bag: DiagnosticBag): Document | undefined {
  const doc = parseDocument(source.text, {
    version: "1.1",
    uniqueKeys: true,
    prettyErrors: false,
    keepSourceTokens: false,
    customTags: pyyamlTags,
  });
  for (const err of doc.errors) {
    const [start, end] = err.pos;
    bag.add(Diagnostics.yamlSyntax, sentence(err.message), span(source.path, start, end));
  }
  if (doc.errors.length > 0) return undefined;
  return doc;
}

function sentence(message: string): string {
  const first = message.split("\n")[0].trim();
  const capital = first.charAt(0).toUpperCase() + first.slice(1);
  return /[.!?]$/.test(capital) ? capital : capital + ".";
}
