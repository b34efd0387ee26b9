#!/usr/bin/python3
# build-aux/test-summary.py: count individual test cases from meson's
# testlog.json files and print "N passed, N failed".
#
# A TAP test program contributes one case per "ok"/"not ok" line of its
# output (GLib test binaries speak TAP); any other test counts as one case.
# A TAP program that failed without reporting a failing case (a crash, a
# timeout) adds one failed case, so a crash can never read as a pass.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import re
import sys

TAP_LINE = re.compile(r"^(not )?ok\b(?:\s+\d+)?(.*)$")
TAP_PLAN = re.compile(r"^1\.\.\d+")


def count_log(path):
    passed = failed = skipped = 0
    failures = []
    with open(path, encoding="utf-8") as log:
        for line in log:
            if not line.strip():
                continue
            test = json.loads(line)
            result = test.get("result")
            cases = []
            lines = (test.get("stdout") or "").splitlines()
            # Only TAP output has a plan line ("1..N"); a plain program that
            # happens to print "ok …" is one case like any other.
            if any(TAP_PLAN.match(out_line.strip()) for out_line in lines):
                for out_line in lines:
                    match = TAP_LINE.match(out_line.strip())
                    if match:
                        cases.append((match.group(1) is None, match.group(2)))
            if not cases:
                if result == "SKIP":
                    skipped += 1
                elif result in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                else:
                    failed += 1
                    failures.append(test["name"])
                continue
            bad = 0
            for ok, rest in cases:
                if "# SKIP" in rest.upper():
                    skipped += 1
                elif ok or "# TODO" in rest.upper():
                    passed += 1
                else:
                    bad += 1
                    failures.append(f"{test['name']}: {rest.strip()}")
            if bad == 0 and result not in ("OK", "SKIP", "EXPECTEDFAIL"):
                bad = 1
                failures.append(f"{test['name']}: {result} after {len(cases)} cases")
            failed += bad
    return passed, failed, skipped, failures


def main(paths):
    passed = failed = skipped = 0
    failures = []
    for path in paths:
        try:
            p, f, s, names = count_log(path)
        except FileNotFoundError:
            print(f"missing test log: {path}", file=sys.stderr)
            failed += 1
            continue
        passed += p
        failed += f
        skipped += s
        failures += names
    for name in failures:
        print(f"FAILED: {name}")
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
