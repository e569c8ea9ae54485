// How the grammar loads Chevrotain: from its single-file bundle (a release that moves it fails here, not silently slower), with the grammar validations that production skips passing.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { chevrotainBundlePath } from "../../grammar/chevrotain.ts";
import { newLexer } from "../../grammar/lexer.ts";
import { WhenParser } from "../../grammar/parser.ts";

test("Chevrotain's single-file bundle is found, and is the release the package entry is", async () => {
  const bundle = chevrotainBundlePath();
  assert.ok(bundle, "chevrotain/lib/chevrotain.min.mjs is gone: grammar/chevrotain.ts falls back to the slow package entry");
  const bundled = (await import(bundle)) as { VERSION: string };
  const entry = (await import("chevrotain")) as { VERSION: string };
  assert.is(bundled.VERSION, entry.VERSION);
});

test("the lexer and the parser pass Chevrotain's definition validations", () => {
  const lexer = newLexer({ validate: true });
  assert.is(lexer.lexerDefinitionErrors.length, 0, JSON.stringify(lexer.lexerDefinitionErrors));
  // With validations on, performSelfAnalysis throws "Parser Definition Errors detected" on any.
  assert.not.throws(() => new WhenParser({ validate: true }));
});

test.run();
