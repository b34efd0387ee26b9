#!/usr/bin/python3
# bench/qt_stall.py
#
# Copyright 2026 The libbridge authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Qt demo's responsiveness workload for bench/run.

    qt_stall.py --build-dir DIR qt-stall
    qt_stall.py --list

Runs the Qt Widgets demo (DIR/examples/qt-fetch/qt-fetch) in its measurement
mode on Qt's offscreen platform, once under Qt's GLib event dispatcher and
once under its own (QT_NO_GLIB=1), where libbridge-qt drives libbridge from
Qt. Each time the demo starts the in-repo fault server on loopback, runs 200
rate-limited downloads at once, and once all of them are receiving, records
the lateness of a 1 ms precise QTimer for 10 s. Prints one JSON object:

    {"value": worst stall of both runs in ms, "unit": "ms",
     "glib_worst_stall_ms": …, "unix_worst_stall_ms": …,
     "glib_p99_stall_ms": …, "unix_p99_stall_ms": …,
     "glib_received_mib_per_s": …, "unix_received_mib_per_s": …,
     "worst_busy_stall_ms": …, "active_downloads": 200, "load": [1, 5, 15 min]}

"worst_busy_stall_ms" leaves out the part of each stall during which the
demo's thread did not run at all because other processes had the CPU.
"floor_worst_stall_ms" is how late a program that only sleeps 1 ms at a
time woke in the same span, beside the demo (bench/timer_floor.py): the
machine's own floor at that moment.
"received_mib_per_s" is what the 200 downloads received together while the
meter ran (the fault server sends each at most 512 KiB/s): responsiveness
bought by falling behind the downloads would show there.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

from timer_floor import TimerFloor

WORKLOADS = ("qt-stall",)

DOWNLOADS = 200
SECONDS = 10
RUN_TIMEOUT = 120
DISPATCHERS = {"glib": {}, "unix": {"QT_NO_GLIB": "1"}}


def run_demo(build_dir, dispatcher):
    # Absolute: the demo runs in a scratch folder of its own.
    build_dir = os.path.abspath(build_dir)
    program = os.path.join(build_dir, "examples", "qt-fetch", "qt-fetch")
    server = os.path.join(build_dir, "tests", "fault-server", "bridge-fault-server")
    for path in (program, server):
        if not os.access(path, os.X_OK):
            raise RuntimeError(f"{path} is not built")

    scratch = tempfile.mkdtemp(prefix="bench-qt-stall-")
    result = os.path.join(scratch, "result.json")
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_NO_GLIB", "BRIDGE_DEBUG")}
    env.update({"QT_QPA_PLATFORM": "offscreen", "HOME": scratch, "XDG_RUNTIME_DIR": scratch,
                "GIO_USE_VFS": "local", "GSETTINGS_BACKEND": "memory"})
    env.update(DISPATCHERS[dispatcher])
    command = [program, "--fault-server", server, "--measure", str(DOWNLOADS),
               "--seconds", str(SECONDS), "--result", result]
    floor = TimerFloor(build_dir)
    # A session of its own, so that a run that hangs is stopped together
    # with the fault server it started.
    process = subprocess.Popen(command, env=env, cwd=scratch, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise RuntimeError(f"{dispatcher}: timed out after {RUN_TIMEOUT} s")
    finally:
        try:
            with open(result) as f:
                text = f.read()
        except OSError:
            text = None
        shutil.rmtree(scratch, ignore_errors=True)
        if process.returncode != 0 or text is None:
            floor.kill()

    log = output.decode(errors="replace").strip()
    if process.returncode != 0 or text is None:
        raise RuntimeError(f"{dispatcher}: exit status {process.returncode}: {log[-500:]}")
    figures = json.loads(text)
    figures.update(floor.stop(figures["measured_from_us"], figures["measured_until_us"]))
    if figures.get("active_downloads", 0) < DOWNLOADS:
        raise RuntimeError(f"{dispatcher}: only {figures.get('active_downloads')} of "
                           f"{DOWNLOADS} downloads ran at once")
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", nargs="?")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--build-dir", required="--list" not in sys.argv)
    args = parser.parse_args()

    if args.list:
        print("\n".join(WORKLOADS))
        return 0
    if args.workload not in WORKLOADS:
        parser.error(f"unknown workload {args.workload!r}")

    load = os.getloadavg()
    runs = {name: run_demo(args.build_dir, name) for name in DISPATCHERS}
    line = {"value": max(r["worst_stall_ms"] for r in runs.values()), "unit": "ms"}
    for name, figures in runs.items():
        for key in ("worst_stall_ms", "p99_stall_ms", "worst_busy_stall_ms", "frames", "received_mib_per_s",
                    "floor_worst_stall_ms"):
            line[f"{name}_{key}"] = figures[key]
    line["worst_busy_stall_ms"] = max(r["worst_busy_stall_ms"] for r in runs.values())
    line["floor_worst_stall_ms"] = max(r["floor_worst_stall_ms"] for r in runs.values())
    line["active_downloads"] = min(r["active_downloads"] for r in runs.values())
    line["load"] = [round(value, 2) for value in load]
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, ValueError) as error:
        sys.exit(f"qt_stall.py: {error}")
