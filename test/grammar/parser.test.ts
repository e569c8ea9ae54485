// The when: grammar: every operator parses to the right AST, precedence holds, and every syntax error names what was expected at the right offset.

import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ExprAst, ValueAst } from "../../grammar/ast.ts";
import { MAX_NESTING, parseWhen } from "../../grammar/to-ast.ts";

/** A compact rendering of the AST, to compare shapes. */
function show(e: ExprAst): string {
  switch (e.kind) {
    case "or":
    case "and":
      return `(${e.operands.map(show).join(` ${e.kind} `)})`;
    case "not":
      return `not ${show(e.operand)}`;
    case "group":
      return show(e.inner);
    case "predicate": {
      const left = e.left.kind === "call" ? `${e.left.name}(${e.left.argument ? value(e.left.argument) : ""})` : value(e.left);
      if (!e.op) return left;
      if (e.regex) return `${left} matches /${e.regex.source}/${e.regex.flags}`;
      if (e.from) return `${left} between ${value(e.from)} ${value(e.to!)}`;
      return `${left} ${e.negated ? "not " : ""}${e.op.text} ${value(e.right!)}`;
    }
  }
}

function value(v: ValueAst): string {
  switch (v.kind) {
    case "path":
      return [v.root, ...v.segments.map((s) => (typeof s.key === "number" ? `[${s.key}]` : `.${s.key}`))].join("");
    case "list":
      return `[${v.items.map(value).join(",")}]`;
    case "null":
      return "null";
    default:
      return JSON.stringify(v.value);
  }
}

const parse = (s: string) => {
  const r = parseWhen(s);
  if (!r.ast) throw new Error(`did not parse: ${s}: ${JSON.stringify(r.problems)}`);
  return show(r.ast);
};

test("every operator", () => {
  assert.is(parse('tool == "a"'), 'tool == "a"');
  assert.is(parse("args.n != 1"), "args.n != 1");
  assert.is(parse("args.n < 1"), "args.n < 1");
  assert.is(parse("args.n <= -1.5"), "args.n <= -1.5");
  assert.is(parse("args.n > 1e3"), "args.n > 1000");
  assert.is(parse("args.n >= 0"), "args.n >= 0");
  assert.is(parse('server in ["a", "b"]'), 'server in ["a","b"]');
  assert.is(parse("args.n not in [1, 2]"), "args.n not in [1,2]");
  assert.is(parse('args.p startsWith "/data/"'), 'args.p startsWith "/data/"');
  assert.is(parse('args.p endsWith ".csv"'), 'args.p endsWith ".csv"');
  assert.is(parse('args.tags contains "x"'), 'args.tags contains "x"');
  assert.is(parse("args.q matches /^drop\\s+table/i"), "args.q matches /^drop\\s+table/i");
  assert.is(parse('server glob "prod-*"'), 'server glob "prod-*"');
  assert.is(parse('time between "18:00" and "08:00"'), 'time between "18:00" "08:00"');
  assert.is(parse("weekday in [sat, sun]"), "weekday in [sat,sun]");
  assert.is(parse("exists(args.x)"), "exists(args.x)");
  assert.is(parse("len(args.items) > 3"), "len(args.items) > 3");
  assert.is(parse("args.flag == true and args.other == false and args.z == null"), "(args.flag == true and args.other == false and args.z == null)");
});

test("paths: dots, quoted keys, indexes, keywords as field names", () => {
  assert.is(parse('args["odd key"][0].in == 1'), "args.odd key[0].in == 1");
  assert.is(parse("args.items[10].not == 'x'"), 'args.items[10].not == "x"');
});

test("precedence: not > and > or, parentheses override", () => {
  assert.is(parse('tool == "a" or tool == "b" and server == "c"'), '(tool == "a" or (tool == "b" and server == "c"))');
  assert.is(parse('(tool == "a" or tool == "b") and server == "c"'), '((tool == "a" or tool == "b") and server == "c")');
  assert.is(parse('not tool == "a" and server == "b"'), '(not tool == "a" and server == "b")');
  assert.is(parse('not (tool == "a" and server == "b")'), 'not (tool == "a" and server == "b")');
  assert.is(parse('time between "1:00" and "2:00" and tool == "x"'), '(time between "1:00" "2:00" and tool == "x")');
});

test("string escapes in both quote styles", () => {
  assert.is(parse('args.s == "a\\"b\\n\\u00e9\\u{1F600}"'), `args.s == ${JSON.stringify('a"b\né😀')}`);
  assert.is(parse("args.s == 'it\\'s'"), `args.s == "it's"`);
});

const error = (s: string) => {
  const r = parseWhen(s);
  assert.ok(!r.ast, `expected an error for ${s}`);
  const p = r.problems[0];
  return `${p.start}-${p.end}: ${p.message}`;
};

test("syntax errors name what was expected, at the right offset", () => {
  assert.is(error('(tool == "a"'), "12-13: Expected `)` but found the end of the expression.");
  assert.is(error("tool =="), "7-8: Expected a value (a string, number, list, `true`, `false` or `null`) but found the end of the expression.");
  assert.is(error('tool == "a" )'), "12-13: Expected the end of the expression but found `)`.");
  assert.is(error("tool @ 3"), '5-6: Unexpected character "@".');
  assert.is(error('tool == "abc'), "8-12: This string is not closed.");
  assert.is(error("args.q matches /abc"), "15-19: This regex is not closed.");
  assert.is(error('args.x in [1, 2'), "15-16: Expected `]` but found the end of the expression.");
  assert.is(error("args.items[-1] == 1"), "11-13: A list index must be a whole number of 0 or more.");
  assert.is(error('args.s == "\\q"'), "11-13: Unknown escape \\q.");
  assert.is(error(""), "0-0: The expression is empty.");
  assert.match(error('tool == "a" and'), /^15-16: Expected .* but found the end of the expression\.$/);
});

test("hostile input: deep nesting and huge expressions are refused without a crash", () => {
  const deep = "(".repeat(5000) + 'tool == "a"' + ")".repeat(5000);
  assert.match(error(deep), new RegExp(`nests more than ${MAX_NESTING} levels`));
  assert.match(error("not ".repeat(3000) + 'tool == "a"'), /nests more than/);
  assert.match(error("(".repeat(10_000) + 'tool == "a"' + ")".repeat(10_000)), /characters long; the limit is/);
  assert.match(error(`args.s == "${"x".repeat(1_000_000)}"`), /characters long; the limit is/);
  // Exactly at the limit still parses.
  assert.ok(parseWhen("(".repeat(MAX_NESTING) + 'tool == "a"' + ")".repeat(MAX_NESTING)).ast);
});

test.run();
