#!/usr/bin/env python3
# Writes test/semantics/fixtures/python-operands.json: what CPython answers for Aegis's operand rules on JSON values.
#
# For every pair (a, b) of the values below: a < b, a <= b, a > b, a >= b, a == b and b in a,
# each 1 (True), 0 (False) or 2 (Python raises TypeError); for every value, str(value). Values
# are JSON as a call's arguments arrive (json.loads); "float" marks numbers Python reads as floats.
# Run with the CPython whose answers the tests should hold aegisc to (3.11 here):
#   python3 tools/gen-python-operands.py > test/semantics/fixtures/python-operands.json

import json
import sys

# JSON texts, so that ints and floats are what json.loads makes of them (as Aegis gets them from MCP).
VALUES = [
    "null", "true", "false",
    "0", "1", "-1", "2", "10", "100", "9007199254740991",
    "0.5", "1.0", "1.5", "-2.5", "1e-05", "0.0001", "1e16", "1e+22", "123456789.125", "0.1",
    '""', '"a"', '"b"', '"A"', '"ab"', '"aa"', '"10"', '"9"', '"True"', '"None"',
    '"\\u00e9"', '"\\ud83d\\ude00"', '"\\uff5e"', '"it\'s"', '"say \\"hi\\""', '"both \' and \\""',
    '"tab\\tnl\\n"', '"\\u0000\\u007f\\u0080\\u009f"', '"\\u00a0\\u00ad\\u200b"', '"\\u2028\\ufeff"', '"back\\\\slash"',
    "[]", "[1]", "[1, 2]", "[1, 10]", "[2]", '["a"]', '["a", "b"]', "[1, \"x\"]", "[true]", "[null]", "[1.5, 2.0]", "[[1], 2]",
    "{}", '{"a": 1}', '{"a": 2}', '{"b": [1, "x"]}', '{"1": 1}',
]


def outcome(f):
    """1 for True, 0 for False, 2 where Python raises TypeError."""
    try:
        return 1 if f() else 0
    except TypeError:
        return 2


def main():
    values = [json.loads(v) for v in VALUES]
    pairs = []
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            # [a, b, a < b, a <= b, a > b, a >= b, a == b, b in a]
            pairs.append([i, j, outcome(lambda: a < b), outcome(lambda: a <= b), outcome(lambda: a > b), outcome(lambda: a >= b), outcome(lambda: a == b), outcome(lambda: b in a)])
    out = {
        "python": sys.version.split()[0],
        "values": VALUES,
        "str": [str(v) for v in values],
        "pairs": pairs,
    }
    json.dump(out, sys.stdout, ensure_ascii=True, separators=(",", ":"))
    sys.stdout.write("\n")


main()
