#!/usr/bin/python3
# tests/abi/check-abi.py LIBRARY MAP [--optional PREFIX]...
#
# Copyright 2026 The libbridge authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""Compares the symbols a built libbridge exports with its version script.

Three rules, one TAP test each:
  1. every symbol the script lists is exported (a disappeared symbol breaks
     programs linked against an earlier build), except those starting with
     an --optional prefix (parts built only with an optional dependency);
  2. every exported symbol is listed (a new one must be added on purpose);
  3. every exported symbol carries the script's version node.
"""

import re
import subprocess
import sys


def listed_symbols(map_path):
    text = open(map_path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    match = re.search(r"^\s*(\w+)\s*\{(.*?)\}\s*;", text, flags=re.S | re.M)
    if not match:
        raise SystemExit(f"Bail out! no version node in {map_path}")
    node, body = match.group(1), match.group(2)
    symbols = set()
    for entry in body.split(";"):
        entry = entry.strip()
        if entry.startswith("global:"):
            entry = entry[len("global:"):].strip()
        if entry:
            symbols.add(entry)
    return node, symbols


def exported_symbols(library):
    output = subprocess.run(["nm", "-D", "--defined-only", "--with-symbol-versions", library],
                            check=True, capture_output=True, text=True).stdout
    exported = {}
    for line in output.splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[1] == "A":   # "A": the version node itself
            continue
        name, _, version = fields[2].partition("@")
        exported[name] = version.lstrip("@")
    return exported


def main():
    args = sys.argv[1:]
    optional = []
    while "--optional" in args:
        i = args.index("--optional")
        optional.append(args[i + 1])
        del args[i:i + 2]
    library, map_path = args

    node, listed = listed_symbols(map_path)
    exported = exported_symbols(library)

    checks = []
    missing = sorted(s for s in listed - exported.keys()
                     if not any(s.startswith(prefix) for prefix in optional))
    checks.append(("every listed symbol is exported", missing,
                   "listed in the map but no longer exported"))
    unlisted = sorted(exported.keys() - listed)
    checks.append(("every exported symbol is listed", unlisted,
                   f"exported but not in {map_path}"))
    unversioned = sorted(s for s, version in exported.items() if s in listed and version != node)
    checks.append((f"every exported symbol is in {node}", unversioned,
                   f"exported without the version node {node}"))

    print("TAP version 13")
    print(f"1..{len(checks)}")
    failed = False
    for number, (title, offenders, what) in enumerate(checks, 1):
        if offenders:
            failed = True
            print(f"not ok {number} /libbridge/abi/{title.replace(' ', '-')}")
            for symbol in offenders:
                print(f"# {symbol}: {what}")
        else:
            print(f"ok {number} /libbridge/abi/{title.replace(' ', '-')}")
    print(f"# {len(exported)} symbols exported, {len(listed)} listed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
