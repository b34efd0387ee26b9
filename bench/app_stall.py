#!/usr/bin/python3
# bench/app_stall.py
#
# Copyright 2026 The libbridge authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Downloader app's responsiveness workload for bench/run.

    app_stall.py --build-dir DIR app-stall
    app_stall.py --build-dir DIR app-remove-stall
    app_stall.py --list

Runs the GTK app (DIR/app/bridge-downloader) in its measurement mode
(BRIDGE_DOWNLOADER_MEASURE, see app/ui/dl-measure.c) under Xvfb and a
private session bus: it starts the in-repo fault server on loopback, runs
200 rate-limited downloads at once, and once all of them are downloading
records every frame of the window and the lateness of a 1 ms main-loop
timer for 10 s. Prints one JSON object:

    {"value": worst main-loop stall in ms, "unit": "ms",
     "worst_frame_gap_ms": …, "p99_frame_gap_ms": …, "frames": …,
     "p99_stall_ms": …, "worst_busy_stall_ms": …, "active_downloads": 200,
     "load": [1, 5, 15 min], …}

(dl-measure.c explains each key.)

app-remove-stall is the same with 1000 finished downloads in the history
besides the 200 running ones: the measurement (5 s) starts with Remove
Finished and Cancel on every running download, and its value is the worst
main-loop stall while the rows go and the downloads stop; "removed" and
"cancelled" say that they did. The figures are wall-clock ones: on a
machine that other work keeps busy they include the time the app waited for
a CPU, which "worst_busy_stall_ms" leaves out; "floor_worst_stall_ms" is
how late a program that only sleeps 1 ms at a time woke in the same span,
beside the app (bench/timer_floor.py); "load" is the load average
when the run started.

Every run gets its own HOME and XDG folders in a temporary folder, settings
in memory, and the schemas of the build directory.
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

WORKLOADS = ("app-stall", "app-remove-stall")

DOWNLOADS = 200
SECONDS = 10
# app-remove-stall: finished rows to remove, and how long to measure.
FINISHED = 1000
REMOVE_SECONDS = 5
# The app waits up to 30 s for the downloads to start, measures, then stops
# them resumably (5 s at most).
RUN_TIMEOUT = 120
SCREEN = "-screen 0 1280x1024x24"


def isolated_env(build_dir, scratch, result, workload):
    env = dict(os.environ)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "BRIDGE_DEBUG",
                 "G_MESSAGES_DEBUG", "GTK_DEBUG", "GDK_BACKEND"):
        env.pop(name, None)
    folders = {"HOME": "home", "XDG_CONFIG_HOME": "config", "XDG_DATA_HOME": "data",
               "XDG_CACHE_HOME": "cache", "XDG_STATE_HOME": "state",
               "XDG_RUNTIME_DIR": "runtime"}
    for name, folder in folders.items():
        path = os.path.join(scratch, folder)
        os.makedirs(path, mode=0o700, exist_ok=True)
        env[name] = path
    env.update({
        # GTK's GL renderer under Xvfb is Mesa's software rasterizer: it adds
        # stalls of 200 ms and more that no real display has, and would hide
        # everything the app does. Cairo draws in software too, but cheaply.
        "GSK_RENDERER": "cairo",
        "GDK_BACKEND": "x11",
        "GSETTINGS_BACKEND": "memory",
        "GSETTINGS_SCHEMA_DIR": os.path.join(build_dir, "data"),
        "GIO_USE_VFS": "local",
        "BRIDGE_FAULT_SERVER": os.path.join(build_dir, "tests", "fault-server",
                                            "bridge-fault-server"),
        "BRIDGE_DOWNLOADER_MEASURE": result,
        "BRIDGE_DOWNLOADER_MEASURE_URLS": str(DOWNLOADS),
        "BRIDGE_DOWNLOADER_MEASURE_SECONDS": str(SECONDS),
    })
    if workload == "app-remove-stall":
        env["BRIDGE_DOWNLOADER_MEASURE_REMOVE"] = str(FINISHED)
        env["BRIDGE_DOWNLOADER_MEASURE_SECONDS"] = str(REMOVE_SECONDS)
    return env


def run_app(build_dir, workload):
    program = os.path.join(build_dir, "app", "bridge-downloader")
    for path in (program, os.path.join(build_dir, "tests", "fault-server", "bridge-fault-server")):
        if not os.access(path, os.X_OK):
            raise RuntimeError(f"{path} is not built")
    if not os.path.exists(os.path.join(build_dir, "data", "gschemas.compiled")):
        raise RuntimeError(f"{build_dir}/data/gschemas.compiled is not built")

    scratch = tempfile.mkdtemp(prefix="bench-app-stall-")
    result = os.path.join(scratch, "result.json")
    env = isolated_env(build_dir, scratch, result, workload)
    command = ["dbus-run-session", "--", "xvfb-run", "-a", "-s", SCREEN, program]
    load = os.getloadavg()
    floor = TimerFloor(build_dir)
    # A session of its own, so that a run that hangs is stopped with
    # everything it started (Xvfb, the bus, the fault server) by its id.
    process = subprocess.Popen(command, env=env, cwd=scratch, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise RuntimeError(f"timed out after {RUN_TIMEOUT} s")
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
        raise RuntimeError(f"exit status {process.returncode}: {log[-500:]}")
    figures = json.loads(text)
    if figures.get("active_downloads", 0) < DOWNLOADS:
        raise RuntimeError(f"only {figures.get('active_downloads')} of {DOWNLOADS} downloads "
                           f"ran at once: {log[-300:]}")
    if figures.get("frames", 0) < 2:
        raise RuntimeError("no frames were recorded")
    if workload == "app-remove-stall" and (figures.get("removed") != FINISHED or
                                           figures.get("cancelled") != DOWNLOADS):
        raise RuntimeError(f"removed {figures.get('removed')} of {FINISHED} finished rows and "
                           f"cancelled {figures.get('cancelled')} of {DOWNLOADS} downloads")
    figures.update(floor.stop(figures["measured_from_us"], figures["measured_until_us"]))
    figures["load"] = [round(value, 2) for value in load]
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

    figures = run_app(args.build_dir, args.workload)
    print(json.dumps(dict({"value": figures["worst_stall_ms"], "unit": "ms"}, **figures)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, ValueError) as error:
        sys.exit(f"app_stall.py: {error}")
