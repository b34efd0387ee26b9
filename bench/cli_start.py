#!/usr/bin/python3
# bench/cli_start.py
#
# Copyright 2026 The libbridge authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""How soon `bridge-downloader --headless` asks for its first URL, for bench/run.

    cli_start.py --build-dir DIR cli-start
    cli_start.py --list

A listening socket on 127.0.0.1 stands for the server. Each start is timed
from just before the program is spawned to the first byte of its request
arriving at the socket; the socket then answers with a small file and the
program's exit is waited for, outside the timing. curl is started the same
way in the same run, alternating who goes first, and the figures are the
medians of STARTS starts each:

    {"value": ms, "unit": "ms", "curl": ms, "starts": N}
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


def one_start(command, listener, env):
    """Spawns @command; returns the seconds until the first request byte."""
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=env)
    try:
        connection, _ = listener.accept()
        with connection:
            connection.settimeout(TIMEOUT)
            request = connection.recv(65536)
            elapsed = time.monotonic() - start
            if not request:
                raise RuntimeError(f"{command[0]} closed without a request")
            while b"\r\n\r\n" not in request:
                more = connection.recv(65536)
                if not more:
                    break
                request += more
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                               b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(BODY)
                               + BODY)
        _, stderr = process.communicate(timeout=TIMEOUT)
    except BaseException:
        process.kill()
        process.wait()
        raise
    if process.returncode != 0:
        raise RuntimeError(f"{command[0]} exited with {process.returncode}: "
                           f"{stderr.decode(errors='replace').strip()}")
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", nargs="?")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--build-dir", required="--list" not in sys.argv)
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
        times = {"bridge": [], "curl": []}
        for index in range(STARTS):
            url = f"http://127.0.0.1:{listener.getsockname()[1]}/file-{index}"
            out = os.path.join(work, f"out-{index}")
            os.makedirs(out)
            commands = {
                "bridge": [program, "--headless", "--quiet", "-o", out, url],
                "curl": ["curl", "--silent", "--show-error", "--fail", "--output-dir", out,
                         "--output", f"curl-{index}", url],
            }
            order = ["bridge", "curl"] if index % 2 == 0 else ["curl", "bridge"]
            for who in order:
                times[who].append(one_start(commands[who], listener, env))
        ours = statistics.median(times["bridge"]) * 1e3
        curl = statistics.median(times["curl"]) * 1e3
        print(json.dumps({"value": ours, "unit": "ms", "curl": curl, "starts": STARTS,
                          "best_ms": min(times["bridge"]) * 1e3}))
        return 0
    finally:
        listener.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        sys.exit(f"cli_start.py: {error}")
