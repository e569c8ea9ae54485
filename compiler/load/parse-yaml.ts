// Parses one policy file as YAML 1.1 exactly as PyYAML's safe_load reads Aegis policies, keeping node positions.

import { isScalar, parseDocument, visit, type Document, type Node, type ScalarTag, type Tags } from "yaml";
import { Diagnostics } from "../diagnostics/catalog.ts";
import type { DiagnosticBag } from "../diagnostics/diagnostic.ts";
import type { SourceText } from "../diagnostics/source.ts";
import { span } from "../ir/span.ts";

/**
 * PyYAML's implicit resolvers (resolver.py, 6.x). The `yaml` package's 1.1 schema is looser
 * (`y`/`n` are booleans, `1e5` and `-.5` are floats, `09` is 9, `08:00` is 480); each of those
 * changes what a policy means, so the tests are replaced by PyYAML's.
 */
export const PYYAML = Object.freeze({
  true: /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/,
  false: /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/,
  intBin: /^[-+]?0b[0-1_]+$/,
  intOct: /^[-+]?0[0-7_]+$/,
  int: /^[-+]?(?:0|[1-9][0-9_]*)$/,
  intHex: /^[-+]?0x[0-9a-fA-F_]+$/,
  intTime: /^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+$/,
  floatExp: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*[eE][-+][0-9]+|\.[0-9][0-9_]*[eE][-+][0-9]+)$/,
  float: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)$/,
  floatTime: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/,
  floatNaN: /^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  timestamp:
    /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/,
});

function pyyamlTest(tag: ScalarTag): RegExp | undefined {
  switch (tag.tag) {
    case "tag:yaml.org,2002:bool":
      return tag.test?.test("true") ? PYYAML.true : PYYAML.false;
    case "tag:yaml.org,2002:int":
      return tag.format === "BIN" ? PYYAML.intBin : tag.format === "OCT" ? PYYAML.intOct : tag.format === "HEX" ? PYYAML.intHex : tag.format === "TIME" ? PYYAML.intTime : PYYAML.int;
    case "tag:yaml.org,2002:float":
      return tag.format === "EXP" ? PYYAML.floatExp : tag.format === "TIME" ? PYYAML.floatTime : tag.test?.test(".nan") ? PYYAML.floatNaN : PYYAML.float;
    case "tag:yaml.org,2002:timestamp":
      return PYYAML.timestamp;
    default:
      return undefined;
  }
}

function pyyamlTags(tags: Tags): Tags {
  return tags.map((tag) => {
    if (typeof tag !== "object" || ("collection" in tag && tag.collection) || !(tag as ScalarTag).test) return tag;
    const test = pyyamlTest(tag as ScalarTag);
    return test ? ({ ...(tag as ScalarTag), test } as ScalarTag) : tag;
  });
}

/**
 * Returns the document, or undefined when the file is not readable YAML (every problem is
 * reported). Duplicate keys are errors: PyYAML keeps the last silently, which hides rules.
 */
export function parsePolicyYaml(source: SourceText, bag: DiagnosticBag): Document | undefined {
  const file = source.path;
  const doc = parseDocument(source.text, {
    version: "1.1",
    // PyYAML reads every document with its 1.1 resolver, even under a `%YAML 1.2` directive.
    schema: "yaml-1.1",
    uniqueKeys: false,
    prettyErrors: false,
    keepSourceTokens: false,
    customTags: pyyamlTags,
  });
  const before = bag.size;
  for (const err of doc.errors) bag.add(Diagnostics.yamlSyntax, sentence(err.message), span(file, err.pos[0], err.pos[1]));
  // PyYAML's safe_load refuses unknown tags such as `!foo`, which `yaml` only warns about.
  for (const w of doc.warnings) bag.add(Diagnostics.yamlSyntax, sentence(w.message), span(file, w.pos[0], w.pos[1]));
  if (bag.size > before) return undefined;

  visit(doc, {
    Alias(_, node) {
      if (!node.resolve(doc) && node.range) {
        bag.add(Diagnostics.yamlSyntax, `The alias \`*${node.source}\` refers to no anchor defined before it.`, span(file, node.range[0], node.range[1]), {
          hint: `define \`&${node.source}\` on an earlier node`,
        });
      }
    },
    Map(_, map) {
      const seen = new Map<unknown, Node>();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || typeof pair.key.value === "symbol") continue; // `<<` merge keys may repeat
        const key = pair.key.value;
        const first = seen.get(key);
        if (first && first.range && pair.key.range) {
          bag.add(Diagnostics.duplicateKey, `The key \`${String(key)}\` appears twice in this mapping.`, span(file, pair.key.range[0], pair.key.range[1]), {
            notes: [{ message: "first written here", span: span(file, first.range[0], first.range[1]) }],
            hint: "PyYAML (and so Aegis) would silently keep only the last value",
          });
        } else if (!first) seen.set(key, pair.key);
      }
    },
  });
  if (bag.size > before) return undefined;
  try {
    // Resolves aliases once, so that later partial conversions cannot throw (e.g. on alias bombs).
    doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    const top = doc.contents;
    bag.add(Diagnostics.yamlSyntax, sentence((e as Error).message), span(file, top?.range?.[0] ?? 0, top?.range?.[1] ?? source.text.length));
    return undefined;
  }
  return doc;
}

function sentence(message: string): string {
  const first = message.split("\n")[0].trim();
  const capital = first.charAt(0).toUpperCase() + first.slice(1);
  return /[.!?]$/.test(capital) ? capital : capital + ".";
}
