#!/usr/bin/python3
# bench/cli_start.py
#
# Copyright 2026 The libbridge authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""How soon `bridge-downloader --headless` asks for its first URL, for bench/run.

    cli_start.py --build-dir DIR [--compare PROGRAM] cli-start
    cli_start.py --list

A listening socket on 127.0.0.1 stands for the server. Each start is timed
from just before the program is spawned to the first byte of its request
arriving at the socket; the socket then answers with a small file and the
program's exit is waited for, outside the timing. curl is started the same
way in the same run, alternating who goes first, and the figures are the
medians of STARTS starts each:

    {"value": ms, "unit": "ms", "curl": ms, "starts": N, "load": L, "dsos": {...}}

--compare PROGRAM times another build of bridge-downloader in the same run,
in turn with the others (an A/B of a change), as "compare". "load" is the
load average over the last minute when the run ended, and "dsos" how many
shared objects each program initialised in one more start, outside the
timing (LD_DEBUG=files): figures that do not depend on the processor's
speed or on what else runs.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

STARTS = 21
BODY = b"0123456789abcdef" * 64
TIMEOUT = 30


def serve_one_request(listener, start):
    """Accepts one connection, reads a request head and answers it; returns
    the seconds from @start until its first byte arrived."""
    connection, _ = listener.accept()
    with connection:
        connection.settimeout(TIMEOUT)
        request = connection.recv(65536)
        elapsed = time.monotonic() - start
        if not request:
            raise RuntimeError("the client closed without a request")
        while b"\r\n\r\n" not in request:
            more = connection.recv(65536)
            if not more:
                break
            request += more
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                           b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(BODY)
                           + BODY)
    return elapsed


def one_start(command, listener, env):
    """Spawns @command; returns the seconds until the first request byte."""
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=env)
    try:
        elapsed = serve_one_request(listener, start)
        _, stderr = process.communicate(timeout=TIMEOUT)
    except BaseException:
        process.kill()
        process.wait()
        raise
    if process.returncode != 0:
        raise RuntimeError(f"{command[0]} exited with {process.returncode}: "
                           f"{stderr.decode(errors='replace').strip()}")
    return elapsed


def commands_for(program, compare, out, index, url):
    """The command of each program for one start into @out."""
    commands = {
        "bridge": [program, "--headless", "--quiet", "-o", out, url],
        "curl": ["curl", "--silent", "--show-error", "--fail", "--output-dir", out,
                 "--output", f"curl-{index}", url],
    }
    if compare:
        # A folder of its own: the same URL into the same folder would be
        # found done in the history.
        commands["compare"] = [compare, "--headless", "--quiet", "-o", out + "-compare", url]
        os.makedirs(out + "-compare")
    return commands


def count_dsos(command, listener, env):
    """Shared objects the dynamic loader initialised in one start of @command."""
    env = dict(env, LD_DEBUG="files")
    env.pop("LD_DEBUG_OUTPUT", None)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=env)
    try:
        serve_one_request(listener, time.monotonic())
        _, stderr = process.communicate(timeout=TIMEOUT)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return stderr.decode(errors="replace").count("calling init:")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", nargs="?")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--build-dir", required="--list" not in sys.argv)
    parser.add_argument("--compare", metavar="PROGRAM",
                        help="another bridge-downloader to time in the same run")
    args = parser.parse_args()

    if args.list:
        print("cli-start")
        return 0
    if args.workload != "cli-start":
        parser.error(f"unknown workload {args.workload!r}")

    program = os.path.join(args.build_dir, "app", "bridge-downloader")
    if not os.access(program, os.X_OK):
        sys.exit(f"{program} is not built")

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(TIMEOUT)
    work = tempfile.mkdtemp(prefix="bench-cli-start-", dir=args.build_dir)
    try:
        env = dict(os.environ, XDG_DATA_HOME=os.path.join(work, "data"))
        env.pop("BRIDGE_DOWNLOADER_STALL_PROBE", None)
        # The other build keeps a history of its own, as the same program
        # run again would.
        envs = {"bridge": env, "curl": env,
                "compare": dict(env, XDG_DATA_HOME=os.path.join(work, "data-compare"))}
        times = {"bridge": [], "curl": []}
        if args.compare:
            times["compare"] = []
        for index in range(STARTS):
            url = f"http://127.0.0.1:{listener.getsockname()[1]}/file-{index}"
            out = os.path.join(work, f"out-{index}")
            os.makedirs(out)
            commands = commands_for(program, args.compare, out, index, url)
            # Who goes first rotates, so that none is always right after another.
            names = list(times)
            order = names[index % len(names):] + names[:index % len(names)]
            for who in order:
                times[who].append(one_start(commands[who], listener, envs[who]))

        url = f"http://127.0.0.1:{listener.getsockname()[1]}/file-dsos"
        out = os.path.join(work, "out-dsos")
        os.makedirs(out)
        commands = commands_for(program, args.compare, out, "dsos", url)
        dsos = {who: count_dsos(commands[who], listener, envs[who]) for who in times}

        result = {"value": statistics.median(times["bridge"]) * 1e3, "unit": "ms",
                  "curl": statistics.median(times["curl"]) * 1e3, "starts": STARTS,
                  "best_ms": min(times["bridge"]) * 1e3}
        if args.compare:
            result["compare"] = statistics.median(times["compare"]) * 1e3
        result["load"] = round(os.getloadavg()[0], 2)
        result["dsos"] = dsos
        print(json.dumps(result))
        return 0
    finally:
        listener.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        sys.exit(f"cli_start.py: {error}")
