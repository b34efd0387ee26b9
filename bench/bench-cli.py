#!/usr/bin/python3
# bench/bench-cli.py
#
# Copyright 2026 The libbridge authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Downloader CLI's workloads for bench/run, each against curl in the same run.

    bench-cli.py --build-dir DIR WORKLOAD
    bench-cli.py --list

Starts nginx on 127.0.0.1 (bench/local_nginx.py: a minimal configuration in
a temporary folder, sendfile, no access log) serving generated files, runs
`bridge-downloader --headless` and curl on the same URLs, one after the
other, stops nginx by its PID, and prints one JSON object:

    cli-set    200 × 1 MiB, `-j 20 --per-host 20` vs `curl --parallel
               --parallel-max 20`: {"value": MiB/s, "curl": MiB/s, "ratio": …}
    cli-big    one 1 GiB file, the same way
    cli-stall  cli-set again with BRIDGE_DOWNLOADER_STALL_PROBE=1: the worst
               lateness of a 1 ms timer on the CLI's main loop, in ms
    cli-limit  one 50 MiB file from the same (unthrottled) nginx with
               `--limit-rate 5M`: the elapsed seconds (10 s is exact), and
               the error against 10 s in percent
    cli-split  one 200 MiB file from an nginx that limits each connection to
               10 MB/s (limit_rate 10m): `--connections 8` vs `aria2c -x8 -s8
               -k1M`, and our own `--connections 1`, all SHA-256-checked:
               {"value": MiB/s, "aria2c": MiB/s, "one-connection": MiB/s, …}
    cli-split-cpu  the same, client CPU seconds (user + sys) of
               `--connections 8` vs aria2c's
    cli-split-stall  cli-split's `--connections 8` with the stall probe: the
               worst lateness of a 1 ms timer on the CLI's main loop, in ms

Both write into the same file system, which is synced before each timed
command so that neither pays for the other's dirty pages. The generated files
are kept in the build directory and reused.
"""

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from local_nginx import BIG_FILE_SIZE, BIG_PATH, MIB, SET_FILE_SIZE, SET_PATHS, Nginx
from local_nginx import ensure_file
from local_nginx import SPLIT_FILE_SIZE, SPLIT_PATH
from local_nginx import prepare_www as prepare_www_folder

JOBS = 20
RUN_TIMEOUT = 240

WORKLOADS = ("cli-set", "cli-big", "cli-stall", "cli-limit", "cli-split", "cli-split-cpu",
             "cli-split-stall")

# cli-limit: 50 MiB at 5 MiB/s is 10 s.
LIMIT_PATH = "limit-50m.bin"
LIMIT_FILE_SIZE = 50 * MIB
LIMIT_RATE = "5M"
LIMIT_EXPECTED_SECONDS = 10.0

SPLIT_CONNECTIONS = 8
SPLIT_LIMIT_RATE = "10m"


def prepare_www(build_dir, workload):
    big = workload == "cli-big"
    www = prepare_www_folder(build_dir, big=big)
    if workload == "cli-limit":
        ensure_file(os.path.join(www, LIMIT_PATH), LIMIT_FILE_SIZE)
        return www, [LIMIT_PATH]
    return www, [BIG_PATH] if big else list(SET_PATHS)


def timed(command, env=None, cpu=None):
    """Runs @command after a sync; returns (seconds, stderr). With @cpu (a
    list), appends the command's CPU seconds (user + sys) to it."""
    os.sync()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env, timeout=RUN_TIMEOUT)
    elapsed = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stderr = result.stderr.decode(errors="replace")
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} exited with {result.returncode}: {stderr.strip()[-300:]}")
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return elapsed, stderr


def check_output(folder, names, size):
    for name in names:
        path = os.path.join(folder, os.path.basename(name))
        if not os.path.exists(path) or os.path.getsize(path) != size:
            raise RuntimeError(f"{path} is missing or has the wrong size")


def run_bridge(program, urls, out, stall_probe=False, extra=()):
    data_home = tempfile.mkdtemp(prefix="bench-cli-data-")
    env = dict(os.environ, XDG_DATA_HOME=data_home)
    env.pop("BRIDGE_DOWNLOADER_STALL_PROBE", None)
    if stall_probe:
        env["BRIDGE_DOWNLOADER_STALL_PROBE"] = "1"
    try:
        return timed([program, "--headless", "-j", str(JOBS), "--per-host", str(JOBS),
                      "--quiet", "-o", out] + list(extra) + urls, env=env)
    finally:
        shutil.rmtree(data_home, ignore_errors=True)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(8 * MIB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def run_bridge_split(program, url, out, connections, stall_probe=False, cpu=None):
    data_home = tempfile.mkdtemp(prefix="bench-cli-data-")
    env = dict(os.environ, XDG_DATA_HOME=data_home)
    env.pop("BRIDGE_DOWNLOADER_STALL_PROBE", None)
    if stall_probe:
        env["BRIDGE_DOWNLOADER_STALL_PROBE"] = "1"
    try:
        return timed([program, "--headless", "--connections", str(connections),
                      "--per-host", str(connections), "--quiet", "-o", out, url],
                     env=env, cpu=cpu)
    finally:
        shutil.rmtree(data_home, ignore_errors=True)


def run_aria2c(url, out, cpu=None):
    os.makedirs(out, exist_ok=True)
    n = str(SPLIT_CONNECTIONS)
    return timed(["aria2c", "--quiet", "-x" + n, "-s" + n, "-k1M", "--dir", out,
                  "--allow-overwrite=true", "--auto-file-renaming=false", url], cpu=cpu)


def check_split_output(folder, expected):
    path = os.path.join(folder, SPLIT_PATH)
    if not os.path.exists(path) or sha256_of(path) != expected:
        raise RuntimeError(f"{path} is missing or not the served file (SHA-256)")
    shutil.rmtree(folder)


def split_main(program, build_dir, workload):
    """cli-split, cli-split-cpu and cli-split-stall (see the top)."""
    www = prepare_www_folder(build_dir, split=True)
    expected = sha256_of(os.path.join(www, SPLIT_PATH))
    nginx = Nginx(www, limit_rate=SPLIT_LIMIT_RATE)
    work = tempfile.mkdtemp(prefix="bench-cli-out-", dir=build_dir)
    try:
        url = nginx.url(SPLIT_PATH)
        out = {who: os.path.join(work, who) for who in ("bridge", "aria2c", "single")}
        if workload == "cli-split-stall":
            seconds, stderr = run_bridge_split(program, url, out["bridge"], SPLIT_CONNECTIONS,
                                               stall_probe=True)
            check_split_output(out["bridge"], expected)
            match = re.search(r"stall-probe: worst_ms=([0-9.]+) samples=(\d+) over_4ms=(\d+)",
                              stderr)
            if match is None:
                raise RuntimeError(f"no stall-probe line in {stderr!r}")
            print(json.dumps({"value": float(match.group(1)), "unit": "ms",
                              "samples": int(match.group(2)),
                              "stalls_over_4ms": int(match.group(3)),
                              "throughput": SPLIT_FILE_SIZE / MIB / seconds}))
            return 0

        order = ["aria2c", "bridge"] if int(time.time()) % 2 == 0 else ["bridge", "aria2c"]
        if workload == "cli-split":
            order.append("single")
        seconds, cpu = {}, {}
        for who in order:
            used = []
            if who == "aria2c":
                seconds[who], _ = run_aria2c(url, out[who], cpu=used)
            else:
                connections = SPLIT_CONNECTIONS if who == "bridge" else 1
                seconds[who], _ = run_bridge_split(program, url, out[who], connections, cpu=used)
            cpu[who] = used[0]
            check_split_output(out[who], expected)

        if workload == "cli-split-cpu":
            print(json.dumps({"value": cpu["bridge"], "unit": "s", "aria2c": cpu["aria2c"],
                              "ratio": cpu["aria2c"] / cpu["bridge"],
                              "seconds": seconds["bridge"], "aria2c_seconds": seconds["aria2c"]}))
            return 0
        rate = {who: SPLIT_FILE_SIZE / MIB / seconds[who] for who in seconds}
        print(json.dumps({"value": rate["bridge"], "unit": "MiB/s", "aria2c": rate["aria2c"],
                          "one-connection": rate["single"],
                          "ratio": rate["bridge"] / rate["aria2c"],
                          "times_one_connection": rate["bridge"] / rate["single"],
                          "cpu": cpu["bridge"], "aria2c_cpu": cpu["aria2c"],
                          "aria2c_first": order[0] == "aria2c"}))
        return 0
    finally:
        nginx.stop()
        shutil.rmtree(work, ignore_errors=True)


def run_curl(urls, out):
    os.makedirs(out, exist_ok=True)
    command = ["curl", "--silent", "--show-error", "--fail", "--parallel",
               "--parallel-max", str(JOBS), "--output-dir", out, "--remote-name-all"] + urls
    return timed(command)


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

    program = os.path.join(args.build_dir, "app", "bridge-downloader")
    if not os.access(program, os.X_OK):
        sys.exit(f"{program} is not built")

    if args.workload.startswith("cli-split"):
        return split_main(program, args.build_dir, args.workload)

    www, paths = prepare_www(args.build_dir, args.workload)
    size = {"cli-big": BIG_FILE_SIZE, "cli-limit": LIMIT_FILE_SIZE}.get(args.workload,
                                                                       SET_FILE_SIZE)
    total = size * len(paths)
    nginx = Nginx(www)
    work = tempfile.mkdtemp(prefix="bench-cli-out-", dir=args.build_dir)
    try:
        urls = [nginx.url(path) for path in paths]
        ours_out = os.path.join(work, "bridge")
        curl_out = os.path.join(work, "curl")

        if args.workload == "cli-limit":
            # The whole command, start-up included, as a user times it.
            seconds, _ = run_bridge(program, urls, ours_out, extra=["--limit-rate", LIMIT_RATE])
            check_output(ours_out, paths, size)
            print(json.dumps({"value": seconds, "unit": "s",
                              "error_percent": (seconds / LIMIT_EXPECTED_SECONDS - 1) * 100,
                              "average_mib_s": total / MIB / seconds}))
            return 0

        if args.workload == "cli-stall":
            seconds, stderr = run_bridge(program, urls, ours_out, stall_probe=True)
            check_output(ours_out, paths, size)
            match = re.search(r"stall-probe: worst_ms=([0-9.]+) samples=(\d+) over_4ms=(\d+)",
                              stderr)
            if match is None:
                raise RuntimeError(f"no stall-probe line in {stderr!r}")
            print(json.dumps({"value": float(match.group(1)), "unit": "ms",
                              "samples": int(match.group(2)),
                              "stalls_over_4ms": int(match.group(3)),
                              "throughput": total / MIB / seconds}))
            return 0

        # Alternate who goes first between runs (a fresh process each), so
        # that neither always gets the warmer or the cooler machine.
        first_curl = int(time.time()) % 2 == 0
        order = ["curl", "bridge"] if first_curl else ["bridge", "curl"]
        seconds = {}
        for who in order:
            if who == "curl":
                seconds["curl"], _ = run_curl(urls, curl_out)
                check_output(curl_out, paths, size)
                shutil.rmtree(curl_out)
            else:
                seconds["bridge"], _ = run_bridge(program, urls, ours_out)
                check_output(ours_out, paths, size)
                shutil.rmtree(ours_out)

        ours = total / MIB / seconds["bridge"]
        curl = total / MIB / seconds["curl"]
        print(json.dumps({"value": ours, "unit": "MiB/s", "curl": curl, "ratio": ours / curl,
                          "seconds": seconds["bridge"], "curl_seconds": seconds["curl"],
                          "curl_first": first_curl}))
        return 0
    finally:
        nginx.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        sys.exit(f"bench-cli.py: {error}")
