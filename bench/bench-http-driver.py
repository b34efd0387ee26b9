#!/usr/bin/python3
# bench/bench-http-driver.py
#
# Copyright 2026 The libbridge authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""libbridge's HTTP workloads for bench/run, each against curl (and aiohttp)
in the same run.

    bench-http-driver.py --build-dir DIR [--aiohttp] WORKLOAD
    bench-http-driver.py --build-dir DIR sweep [--reps N] [--big] [--only REGEX]
    bench-http-driver.py --list

Starts nginx on 127.0.0.1 (bench/local_nginx.py, the server of the CLI
benchmarks too) serving generated files, runs each client on the same URLs
one after the other, stops nginx by its PID, and prints one JSON object:

    http-set   200 × 1 MiB at concurrency 20, written to disk: MiB/s of
               bench-http (libbridge tasks on libsoup, bench/bench-http.c),
               {"value": …, "curl": …, "aiohttp": …}
    http-big   one 1 GiB file, the same way
    http-cpu   the set again: CPU seconds (user + system) of each client

The clients: `bench-http set URLLIST OUTDIR 20` / `bench-http big URL FILE`;
`curl --parallel --parallel-max 20 -s -o FILE URL …` / `curl -s -o FILE URL`;
with --aiohttp, bench/peers/aiohttp_bench.py under /usr/bin/python3. Before
each timed command the previous outputs are deleted and the file system is
synced, so that no client pays for another's dirty pages. The order of the
clients rotates from run to run (BENCH_ROUND, set by bench/run).

Wall time and CPU time of bench-http and curl are those of the whole process
(os.wait4()); for aiohttp they are measured inside the process around the
downloads, leaving out the interpreter's start-up and imports, which would
otherwise weigh more than the transfer itself.

`sweep` runs bench-http with each buffer size (64 KiB … 1 MiB), read mode
(bytes, all, into, fill) and write strategy (thread, gio, loop), interleaved
with curl, N times each, and prints the medians: it is how the defaults of
bench-http (256 KiB, fill, thread) were chosen; --only picks variants. From
the sweeps of 2026-11-22 (2-CPU VM, load 2–2.5; median MiB/s, × curl in the
same sweep, client CPU seconds):

    variant              set (10 runs)          big (4 runs)
    curl                  991  1.00  0.19      1039  1.00  0.97
    64k/fill/thread       830  0.84  0.32       700  0.67  1.50
    256k/bytes/thread     948  0.96  0.28      1100  1.06  0.93
    256k/bytes/gio        935  0.94  0.27       970  0.93  0.96
    256k/bytes/loop       843  0.85  0.24      1590  1.53  0.59
    256k/all/thread       958  0.97  0.27
    256k/all/loop         826  0.83  0.24
    256k/into/thread     1044  1.05  0.26      1264  1.22  0.94
    256k/into/gio         938  0.95  0.29      1029  0.99  0.91
    256k/into/loop        883  0.89  0.22      1667  1.61  0.57
    256k/fill/thread     1137  1.15  0.24      1269  1.22  0.91
    256k/fill/gio        1027  1.04  0.25      1020  0.98  0.88
    256k/fill/loop        879  0.89  0.21      1856  1.79  0.47
    1024k/fill/thread     971  0.98  0.24       783  0.75  1.30
    1024k/into/loop                            1824  1.76  0.50

Runs on this VM vary by ±20 % from one to the next (other work on its two
CPUs, free page reporting to the host): compare variants within one sweep.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from local_nginx import (BIG_FILE_SIZE, BIG_PATH, MIB, SET_FILE_SIZE, SET_PATHS,  # noqa: E402
                         Nginx, prepare_www)

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"
AIOHTTP_SCRIPT = os.path.join(SOURCE_DIR, "bench", "peers", "aiohttp_bench.py")
CONCURRENCY = 20
RUN_TIMEOUT = 240

WORKLOADS = ("http-set", "http-big", "http-cpu")


class Client:
    """One downloader: @set_command / @big_command build its command line;
    @reports_itself says that it prints its own timing (aiohttp)."""

    def __init__(self, name, set_command, big_command, reports_itself=False):
        self.name = name
        self.set_command = set_command
        self.big_command = big_command
        self.reports_itself = reports_itself


def bench_http_client(program, options=(), name="libbridge"):
    return Client(name,
                  lambda urls_file, urls, out: [program, *options, "set", urls_file, out,
                                                str(CONCURRENCY)],
                  lambda url, out: [program, *options, "big", url, out])


def curl_client():
    return Client("curl",
                  lambda urls_file, urls, out: ["curl", "--silent", "--show-error", "--fail",
                                                "--parallel", "--parallel-max", str(CONCURRENCY),
                                                "--output-dir", out, "--remote-name-all", *urls],
                  lambda url, out: ["curl", "--silent", "--show-error", "--fail", "-o", out, url])


def python_module_available(name):
    probe = subprocess.run([PYTHON, "-c", f"import {name}"], capture_output=True)
    return probe.returncode == 0


def aiohttp_client():
    if not python_module_available("aiohttp"):
        raise RuntimeError(f"{PYTHON} cannot import aiohttp (Debian package python3-aiohttp)")
    return Client("aiohttp",
                  lambda urls_file, urls, out: [PYTHON, AIOHTTP_SCRIPT, "set", urls_file, out,
                                                str(CONCURRENCY)],
                  lambda url, out: [PYTHON, AIOHTTP_SCRIPT, "big", url, out],
                  reports_itself=True)


def remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.unlink(path)


def run_client(client, big, urls_file, urls, out):
    """Deletes @out, syncs, runs @client once; returns
    {"seconds", "cpu", "wall", …} after checking its output."""
    remove(out)
    if not big:
        os.makedirs(out)
    command = (client.big_command(urls[0], out) if big
               else client.set_command(urls_file, urls, out))
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        os.sync()
        wall, status, cpu = run_with_rusage(command, stdout, stderr)
        stdout.seek(0)
        stderr.seek(0)
        stdout, stderr = stdout.read(), stderr.read()
    if status != 0:
        raise RuntimeError(f"{client.name} exited with {status}: "
                           f"{stderr.decode(errors='replace').strip()[-300:]}")
    check_output(out, big, urls)
    result = {"wall": wall, "seconds": wall, "cpu": cpu}
    lines = stdout.decode(errors="replace").strip().splitlines()
    if lines and lines[-1].startswith("{"):
        result["report"] = json.loads(lines[-1])
        if client.reports_itself:
            result["seconds"] = result["report"]["seconds"]
            result["cpu"] = result["report"]["cpu"]
    remove(out)
    return result


def run_with_rusage(command, stdout, stderr):
    """Runs @command; returns (wall seconds, exit status, CPU seconds of the
    child: user + system, all its threads, from wait4())."""
    start = time.monotonic()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
    timer = threading.Timer(RUN_TIMEOUT, process.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    wall = time.monotonic() - start
    # The Popen object must not try to reap the child again.
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, process.returncode, usage.ru_utime + usage.ru_stime


def check_output(out, big, urls):
    if big:
        if not os.path.exists(out) or os.path.getsize(out) != BIG_FILE_SIZE:
            raise RuntimeError(f"{out} is missing or has the wrong size")
        return
    for url in urls:
        path = os.path.join(out, url.rsplit("/", 1)[1])
        if not os.path.exists(path) or os.path.getsize(path) != SET_FILE_SIZE:
            raise RuntimeError(f"{path} is missing or has the wrong size")


def rotated(items, round_):
    shift = round_ % len(items)
    return items[shift:] + items[:shift]


def warm_up(paths):
    buffer = bytearray(MIB)
    for path in paths:
        with open(path, "rb", buffering=0) as f:
            while f.readinto(buffer):
                pass


class Setup:
    """nginx, the URL list and a scratch folder for one driver process."""

    def __init__(self, build_dir, big):
        self.big = big
        www = prepare_www(build_dir, big=big)
        paths = [BIG_PATH] if big else SET_PATHS
        # Into the page cache before any client runs, so the first one does
        # not wait for the disk.
        warm_up([os.path.join(www, path) for path in paths])
        self.nginx = Nginx(www)
        self.work = tempfile.mkdtemp(prefix="bench-http-out-", dir=build_dir)
        self.urls = [self.nginx.url(path) for path in paths]
        self.urls_file = os.path.join(self.work, "urls.txt")
        with open(self.urls_file, "w") as f:
            f.write("\n".join(self.urls) + "\n")
        self.total = BIG_FILE_SIZE if big else SET_FILE_SIZE * len(SET_PATHS)

    def run(self, client):
        out = os.path.join(self.work, client.name.replace("/", "-") + (".bin" if self.big else ""))
        return run_client(client, self.big, self.urls_file, self.urls, out)

    def close(self):
        self.nginx.stop()
        shutil.rmtree(self.work, ignore_errors=True)


def measure(args, program):
    big = args.workload == "http-big"
    clients = [bench_http_client(program), curl_client()]
    missing_peers = {}
    if args.aiohttp:
        try:
            clients.append(aiohttp_client())
        except RuntimeError as error:
            missing_peers["aiohttp"] = str(error)
            print(f"[bench] aiohttp is missing: {error}", file=sys.stderr, flush=True)
    round_ = int(os.environ.get("BENCH_ROUND", time.time()))

    setup = Setup(args.build_dir, big)
    missing = dict(missing_peers)
    try:
        results = {}
        for client in rotated(clients, round_):
            try:
                results[client.name] = setup.run(client)
            except (RuntimeError, OSError) as error:
                # A peer that cannot run (not installed, broken) is reported
                # as missing; only libbridge's own failure voids the figure.
                if client.name == "libbridge":
                    raise
                missing[client.name] = str(error)
                print(f"[bench] {client.name} is missing: {error}", file=sys.stderr, flush=True)
    finally:
        setup.close()

    line = {}
    for name, result in results.items():
        if args.workload == "http-cpu":
            figure = result["cpu"]
        else:
            figure = setup.total / MIB / result["seconds"]
        key = "value" if name == "libbridge" else name
        line[key] = figure
    line["unit"] = "s" if args.workload == "http-cpu" else "MiB/s"
    line["order"] = [client.name for client in rotated(clients, round_)]
    if missing:
        line["missing"] = missing
    for name, result in results.items():
        line[f"{name}_seconds"] = result["seconds"]
        line[f"{name}_cpu"] = result["cpu"]
    report = results["libbridge"].get("report", {})
    for key in ("buffer_size", "read", "write"):
        if key in report:
            line[key] = report[key]
    if "aiohttp" in results:
        line["aiohttp_process_cpu"] = results["aiohttp"]["report"].get("process_cpu")
        line["aiohttp_wall"] = results["aiohttp"]["wall"]
    print(json.dumps(line), flush=True)


SWEEP_BUFFERS = (64 * 1024, 128 * 1024, 256 * 1024, 512 * 1024, 1024 * 1024)
SWEEP_READS = ("bytes", "all", "into", "fill")
SWEEP_WRITES = ("thread", "gio", "loop")


def sweep(args, program):
    """Every combination of buffer size, read mode and write strategy, with
    curl, interleaved, @args.reps times; prints medians (MiB/s and CPU s)."""
    variants = [curl_client()]
    for buffer_size in SWEEP_BUFFERS:
        for read in SWEEP_READS:
            for write in SWEEP_WRITES:
                options = (f"--buffer-size={buffer_size}", f"--read={read}", f"--write={write}")
                name = f"{buffer_size // 1024}k/{read}/{write}"
                if args.only and not re.search(args.only, name):
                    continue
                variants.append(bench_http_client(program, options, name))

    setup = Setup(args.build_dir, args.big)
    samples = {client.name: [] for client in variants}
    try:
        for rep in range(args.reps):
            for client in rotated(variants, rep * 7):
                result = setup.run(client)
                samples[client.name].append((setup.total / MIB / result["seconds"],
                                             result["cpu"]))
                print(f"[sweep] rep {rep + 1}/{args.reps} {client.name}: "
                      f"{samples[client.name][-1][0]:.0f} MiB/s", file=sys.stderr, flush=True)
    finally:
        setup.close()

    curl = statistics.median(s[0] for s in samples["curl"])
    for name, values in samples.items():
        rate = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        print(json.dumps({"variant": name, "mib_s": round(rate, 1), "x_curl": round(rate / curl, 3),
                          "cpu_s": round(cpu, 3),
                          "runs": [round(v[0]) for v in values]}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", nargs="?")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--build-dir", required="--list" not in sys.argv)
    parser.add_argument("--aiohttp", action="store_true", help="also run the aiohttp peer")
    parser.add_argument("--reps", type=int, default=5, help="sweep: runs per variant")
    parser.add_argument("--big", action="store_true", help="sweep: the 1 GiB file")
    parser.add_argument("--only", metavar="REGEX",
                        help="sweep: only the variants (BUFk/READ/WRITE) that match")
    args = parser.parse_args()

    if args.list:
        print("\n".join(WORKLOADS))
        return 0
    if args.workload not in WORKLOADS + ("sweep",):
        parser.error(f"unknown workload {args.workload!r}")

    program = os.path.join(args.build_dir, "bench", "bench-http")
    if not os.access(program, os.X_OK):
        sys.exit(f"{program} is not built")

    if args.workload == "sweep":
        sweep(args, program)
    else:
        measure(args, program)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        sys.exit(f"bench-http-driver.py: {error}")
