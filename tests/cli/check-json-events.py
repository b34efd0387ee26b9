#!/usr/bin/python3
# check-json-events.py
#
# Copyright 2026 The libbridge authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""Checks the output of `bridge-downloader --headless --json`.

    check-json-events.py EVENTS_FILE [--expect INDEX=OUTCOME]... [options]

Every line must be one JSON object; every download's events must come in a
legal order (queued, then started/progress/retrying, ending with exactly one
of done, failed or stopped), with the fields each event promises; the last
line is the summary, and its counts and status agree with the events.
OUTCOME is done, stopped, failed or failed:DOMAIN:CODE. Exits 1 with the
reasons on stdout when anything is off.
"""

import argparse
import hashlib
import json
import os
import re
import sys

ITEM_EVENTS = {"queued", "started", "progress", "retrying", "done", "failed", "stopped"}
TERMINAL = {"done", "failed", "stopped"}
SHA256 = re.compile(r"^[0-9a-f]{64}$")

problems = []


def problem(message):
    problems.append(message)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def need(event, key, check, what):
    if key not in event:
        problem(f"{event['event']} #{event.get('index')}: no \"{key}\"")
    elif not check(event[key]):
        problem(f"{event['event']} #{event.get('index')}: \"{key}\" is {event[key]!r}, not {what}")


def check_fields(event):
    kind = event["event"]
    if kind == "queued":
        need(event, "resumed", lambda v: isinstance(v, bool), "a boolean")
        if event.get("resumed"):
            need(event, "offset", lambda v: is_int(v) and v >= 0, "a byte count")
    elif kind == "started":
        need(event, "file", lambda v: isinstance(v, str) and v != "", "a file name")
        need(event, "offset", lambda v: is_int(v) and v >= 0, "a byte count")
        need(event, "total", lambda v: v is None or (is_int(v) and v >= 0), "a size or null")
        need(event, "attempt", lambda v: is_int(v) and v >= 1, "an attempt number")
    elif kind == "progress":
        need(event, "bytes", lambda v: is_int(v) and v >= 0, "a byte count")
        need(event, "total", lambda v: v is None or (is_int(v) and v >= 0), "a size or null")
        need(event, "speed", lambda v: is_int(v) and v >= 0, "bytes per second")
        need(event, "eta", lambda v: v is None or (is_int(v) and v >= 0), "seconds or null")
        need(event, "connections", lambda v: is_int(v) and 0 <= v <= 16, "a connection count")
        if is_int(event.get("bytes")) and is_int(event.get("total")):
            if event["bytes"] > event["total"]:
                problem(f"progress #{event['index']}: {event['bytes']} bytes of {event['total']}")
    elif kind == "retrying":
        need(event, "attempt", lambda v: is_int(v) and v >= 1, "an attempt number")
        need(event, "delay", lambda v: is_number(v) and v >= 0, "seconds")
        need(event, "reason", lambda v: isinstance(v, str) and v != "", "a message")
        need(event, "domain", lambda v: isinstance(v, str) and v != "", "an error domain")
        need(event, "code", is_int, "an error code")
    elif kind == "done":
        need(event, "path", lambda v: isinstance(v, str) and os.path.isabs(v), "an absolute path")
        need(event, "size", lambda v: is_int(v) and v >= 0, "a size")
        need(event, "sha256", lambda v: isinstance(v, str) and SHA256.match(v), "a SHA-256")
    elif kind == "failed":
        need(event, "domain", lambda v: isinstance(v, str) and v != "", "an error domain")
        need(event, "code", is_int, "an error code")
        need(event, "message", lambda v: isinstance(v, str) and v != "", "a message")
    elif kind == "stopped":
        need(event, "bytes", lambda v: is_int(v) and v >= 0, "a byte count")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("events")
    parser.add_argument("--expect", action="append", default=[], metavar="INDEX=OUTCOME")
    parser.add_argument("--count", type=int, help="downloads in the run")
    parser.add_argument("--status", type=int, help="the summary's exit status")
    parser.add_argument("--max-active", type=int,
                        help="most downloads between started and their end at any time")
    parser.add_argument("--min-peak-active", type=int, default=0,
                        help="that many must have been active together at some point")
    parser.add_argument("--progress-interval", type=float, default=0.45,
                        help="least time between two progress events of one download")
    parser.add_argument("--min-progress", action="append", default=[], metavar="INDEX=N")
    parser.add_argument("--min-retrying", action="append", default=[], metavar="INDEX=N")
    parser.add_argument("--resumed", action="append", default=[], metavar="INDEX=OFFSET",
                        help="queued as a resumed download from OFFSET (or any offset: -1)")
    parser.add_argument("--check-files", action="store_true",
                        help="every done file exists with the size and SHA-256 reported")
    args = parser.parse_args()

    with open(args.events, encoding="utf-8") as f:
        text = f.read()
    if text and not text.endswith("\n"):
        problem("the output does not end with a newline")

    events = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            event = json.loads(line)
        except ValueError as error:
            problem(f"line {number} is not JSON ({error}): {line!r}")
            continue
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            problem(f"line {number} is not an event object: {line!r}")
            continue
        if not is_number(event.get("time")) or event["time"] < 0:
            problem(f"line {number} has no time: {line!r}")
        events.append(event)

    if not events or events[-1]["event"] != "summary":
        problem("the last event is not the summary")
    if sum(1 for e in events if e["event"] == "summary") != 1:
        problem("not exactly one summary")

    last_time = 0.0
    items = {}          # index → list of events
    active = set()
    peak = 0
    for event in events:
        kind = event["event"]
        if is_number(event.get("time")):
            if event["time"] + 1e-9 < last_time:
                problem(f"time goes back: {event}")
            last_time = event["time"]
        if kind == "summary":
            continue
        if kind not in ITEM_EVENTS:
            problem(f"unknown event {kind!r}")
            continue
        index = event.get("index")
        if not is_int(index) or index < 0:
            problem(f"{kind} without an index: {event}")
            continue
        if not isinstance(event.get("url"), str) or "id" not in event:
            problem(f"{kind} #{index} without url or id")
        if event.get("id") is not None and not is_int(event.get("id")):
            problem(f"{kind} #{index}: id {event.get('id')!r}")
        check_fields(event)

        history = items.setdefault(index, [])
        if not history and kind != "queued":
            problem(f"#{index} starts with {kind}, not queued")
        if history and kind == "queued":
            problem(f"#{index} queued twice")
        if history and history[-1]["event"] in TERMINAL:
            problem(f"#{index}: {kind} after {history[-1]['event']}")
        if kind == "progress":
            attempt = [e for e in history if e["event"] in ("started", "retrying")]
            if not attempt or attempt[-1]["event"] != "started":
                problem(f"#{index}: progress outside an attempt")
            previous = [e for e in history if e["event"] == "progress"]
            if previous and is_number(previous[-1].get("time")) and is_number(event.get("time")):
                gap = event["time"] - previous[-1]["time"]
                if gap < args.progress_interval:
                    problem(f"#{index}: two progress events {gap:.3f} s apart")
        if history and kind != "queued" and event.get("url") != history[0].get("url"):
            problem(f"#{index}: the url changed")
        history.append(event)

        if kind == "started":
            active.add(index)
        elif kind in TERMINAL or kind == "retrying":
            active.discard(index)
        peak = max(peak, len(active))
        if args.max_active is not None and len(active) > args.max_active:
            problem(f"{len(active)} downloads active at once (at most {args.max_active})")
            args.max_active = None   # once is enough

    outcomes = {}
    for index, history in items.items():
        ends = [e for e in history if e["event"] in TERMINAL]
        if len(ends) != 1:
            problem(f"#{index} has {len(ends)} final events")
        else:
            outcomes[index] = ends[0]

    summary = events[-1] if events and events[-1]["event"] == "summary" else {}
    if summary:
        counts = {kind: sum(1 for e in outcomes.values() if e["event"] == kind) for kind in TERMINAL}
        for kind in TERMINAL:
            if summary.get(kind) != counts[kind]:
                problem(f"summary says {kind}={summary.get(kind)!r}, the events {counts[kind]}")
        expected_status = (128 + 2 if summary.get("interrupted") else
                           1 if counts["failed"] else 0)
        if summary.get("interrupted") and summary.get("status") in (130, 143):
            expected_status = summary["status"]
        if summary.get("status") != expected_status:
            problem(f"summary status {summary.get('status')!r}, expected {expected_status}")
        if args.status is not None and summary.get("status") != args.status:
            problem(f"summary status {summary.get('status')!r}, expected {args.status}")
        if args.count is not None and summary.get("total") != args.count:
            problem(f"summary total {summary.get('total')!r}, expected {args.count}")
    if args.count is not None and len(items) != args.count:
        problem(f"{len(items)} downloads in the events, expected {args.count}")

    for spec in args.expect:
        index, _, want = spec.partition("=")
        got = outcomes.get(int(index))
        if got is None:
            problem(f"#{index}: no outcome, expected {want}")
            continue
        parts = want.split(":")
        if got["event"] != parts[0]:
            problem(f"#{index}: {got['event']} ({got.get('message')}), expected {want}")
        elif len(parts) == 3 and (got.get("domain") != parts[1] or got.get("code") != int(parts[2])):
            problem(f"#{index}: failed with {got.get('domain')}:{got.get('code')}, expected {want}")

    for spec, kind in [(s, "progress") for s in args.min_progress] + \
                      [(s, "retrying") for s in args.min_retrying]:
        index, _, minimum = spec.partition("=")
        n = sum(1 for e in items.get(int(index), []) if e["event"] == kind)
        if n < int(minimum):
            problem(f"#{index}: {n} {kind} events, expected at least {minimum}")

    for spec in args.resumed:
        index, _, offset = spec.partition("=")
        queued = items.get(int(index), [{}])[0]
        if not queued.get("resumed"):
            problem(f"#{index} was not resumed")
        elif int(offset) >= 0 and queued.get("offset") != int(offset):
            problem(f"#{index} resumed from {queued.get('offset')}, expected {offset}")

    if peak < args.min_peak_active:
        problem(f"at most {peak} downloads were active together, expected {args.min_peak_active}")

    if args.check_files:
        for index, event in outcomes.items():
            if event["event"] != "done" or not isinstance(event.get("path"), str):
                continue
            try:
                with open(event["path"], "rb") as f:
                    data = f.read()
            except OSError as error:
                problem(f"#{index}: {error}")
                continue
            if len(data) != event.get("size"):
                problem(f"#{index}: {event['path']} has {len(data)} bytes, reported {event.get('size')}")
            if hashlib.sha256(data).hexdigest() != event.get("sha256"):
                problem(f"#{index}: {event['path']} does not have the SHA-256 reported")

    print(f"{len(events)} events, {len(items)} downloads, peak active {peak}")
    if problems:
        for message in problems[:50]:
            print("  " + message)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
