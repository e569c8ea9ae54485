#!/usr/bin/env python3
# Extracts the regex case tables of CPython's own test suite (Lib/test/re_tests.py, test_re.py, test_fnmatch.py) into test/semantics/data/, each case with the outcome that CPython gives.
# Usage: python3.11 tools/extract-cpython-re-tests.py   (the running interpreter's Lib/test is read, and it decides each case)
import ast, fnmatch, json, os, re, sys, warnings
import test, test.re_tests as rt

warnings.simplefilter("ignore")
OUT = "test/semantics/data/"
LIB = os.path.dirname(test.__file__)
VERSION = sys.version.split()[0]
FLAGS = {name: int(getattr(re, name)) for name in ["I", "IGNORECASE", "M", "MULTILINE", "S", "DOTALL", "X", "VERBOSE", "A", "ASCII", "U", "UNICODE", "L", "LOCALE", "T", "TEMPLATE", "DEBUG", "NOFLAG"] if hasattr(re, name)}

def outcome(mode, pattern, flags, string):
    try:
        compiled = re.compile(pattern, flags)
    except re.error as e:
        return {"error": e.msg, "pos": e.pos}
    except (OverflowError, ValueError) as e:
        return {"error": str(e), "pos": None}
    return getattr(compiled, mode)(string) is not None

# re_tests.py: (pattern, string, SUCCEED | FAIL | SYNTAX_ERROR, ...), run with re.search.
table = []
for case in rt.tests:
    pattern, string, expected = case[:3]
    want = {rt.SUCCEED: True, rt.FAIL: False, rt.SYNTAX_ERROR: "error"}[expected]
    got = outcome("search", pattern, 0, string)
    table.append({"pattern": pattern, "string": string, "expect": want, "python": got if not isinstance(got, dict) else "error"})

# test_re.py: every re.match/search/fullmatch(pattern, string[, flags]) with literal str arguments, and every
# checkPatternError(pattern, message[, pos]); the outcome is what this CPython gives (what the suite asserts).
def flag_value(node):
    if node is None:
        return 0
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "re" and node.attr in FLAGS:
        return FLAGS[node.attr]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        a, b = flag_value(node.left), flag_value(node.right)
        return None if a is None or b is None else a | b
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    return None

source = open(os.path.join(LIB, "test_re.py"), encoding="utf-8").read()
calls, errors, seen = [], [], set()
for node in ast.walk(ast.parse(source)):
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        continue
    f = node.func
    args = node.args
    kw = {k.arg: k.value for k in node.keywords}
    if isinstance(f.value, ast.Name) and f.value.id == "re" and f.attr in ("match", "search", "fullmatch") and len(args) >= 2:
        if not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args[:2]):
            continue
        flags = flag_value(args[2] if len(args) > 2 else kw.get("flags"))
        if flags is None or flags & FLAGS.get("DEBUG", 128) or (len(args) > 3):
            continue
        key = (f.attr, args[0].value, flags, args[1].value)
        if key in seen:
            continue
        seen.add(key)
        got = outcome(f.attr, args[0].value, flags, args[1].value)
        calls.append({"mode": f.attr, "pattern": args[0].value, "flags": flags, "string": args[1].value, "python": got if not isinstance(got, dict) else "error", "line": node.lineno})
    elif isinstance(f.value, ast.Name) and f.value.id == "self" and f.attr == "checkPatternError" and args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
        pattern = args[0].value
        if pattern in seen:
            continue
        seen.add(pattern)
        got = outcome("search", pattern, 0, "")
        errors.append({"pattern": pattern, "error": got.get("error") if isinstance(got, dict) else None, "pos": got.get("pos") if isinstance(got, dict) else None, "line": node.lineno})

# test_fnmatch.py: every check_match(filename, pattern[, should_match[, fn]]) (also called as `check`) whose two
# strings are literals or products of them ('a' * 50); fnmatchcase's answer, which is fnmatch's on POSIX.
def literal(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int)):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add)):
        a, b = literal(node.left), literal(node.right)
        if a is None or b is None:
            return None
        try:
            return a * b if isinstance(node.op, ast.Mult) else a + b
        except TypeError:
            return None
    return None

fsource = open(os.path.join(LIB, "test_fnmatch.py"), encoding="utf-8").read()
globs, gseen = [], set()
for node in ast.walk(ast.parse(fsource)):
    func = node.func if isinstance(node, ast.Call) else None
    if func is not None and ((isinstance(func, ast.Attribute) and func.attr == "check_match") or (isinstance(func, ast.Name) and func.id == "check")):
        args = node.args
        values = [literal(a) for a in args[:2]]
        if len(args) >= 2 and all(isinstance(v, str) for v in values):
            name, pattern = values
            if (name, pattern) in gseen:
                continue
            gseen.add((name, pattern))
            globs.append({"name": name, "pattern": pattern, "python": fnmatch.fnmatchcase(name, pattern), "line": node.lineno})

def dump(path, about, rows):
    with open(OUT + path, "w", encoding="utf-8") as f:
        f.write('{"about": %s,\n "cases": [\n' % json.dumps(about))
        f.write(",\n".join("  " + json.dumps(r, ensure_ascii=True) for r in rows))
        f.write("\n]}\n")

dump("cpython-re-tests.json", "Lib/test/re_tests.py of CPython %s: pattern, string, the table's outcome of re.search (true, false, or error), and CPython's own." % VERSION, table)
dump("cpython-test-re.json", "Lib/test/test_re.py of CPython %s: every re.match/search/fullmatch call with literal str arguments, with what CPython gives (what the suite asserts)." % VERSION, calls)
dump("cpython-test-re-errors.json", "Lib/test/test_re.py of CPython %s: every checkPatternError pattern, with CPython's message and position." % VERSION, errors)
dump("cpython-test-fnmatch.json", "Lib/test/test_fnmatch.py of CPython %s: every check_match(name, pattern) with literal strings, and fnmatch.fnmatchcase's answer (POSIX: case-sensitive, no normcase)." % VERSION, globs)
print(len(table), len(calls), len(errors), len(globs))
