#!/usr/bin/python3
# aiohttp_bench.py
#
# Copyright 2026 The libbridge authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""The aiohttp peer of the HTTP benchmarks (bench/bench-http-driver.py).

    aiohttp_bench.py [--buffer-size BYTES] set URLLIST_FILE OUTDIR CONCURRENCY
    aiohttp_bench.py [--buffer-size BYTES] big URL OUTFILE

The same client as bench/bench-http.c, written the way an aiohttp user
would: one task per download under an asyncio.Semaphore, one ClientSession
whose connector allows CONCURRENCY connections to the host, no automatic
decompression, the body streamed to its file in chunks. The file writes are
plain blocking writes on the loop's thread, as in aiohttp's own examples
(the same as bench-http --write=loop and as curl).

Prints one JSON object: {"value": MiB/s, "unit": "MiB/s", "seconds", "bytes",
"cpu", …}. "seconds" and "cpu" (user + system, from getrusage) cover the
downloads only, from before the session is created until the last file is
closed: the interpreter's start-up and the imports (some 0.2 s of CPU) are
left out. "process_cpu" is the CPU time of the whole process so far.
"""

import argparse
import asyncio
import json
import os
import resource
import sys
import time

import aiohttp

MIB = 1024 * 1024


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def fetch(session, semaphore, url, path, buffer_size):
    received = 0
    async with semaphore:
        async with session.get(url) as response:
            response.raise_for_status()
            with open(path, "wb") as f:
                async for chunk in response.content.iter_chunked(buffer_size):
                    f.write(chunk)
                    received += len(chunk)
    return received


async def download(urls, paths, concurrency, buffer_size):
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False,
                                     read_bufsize=buffer_size) as session:
        semaphore = asyncio.Semaphore(concurrency)
        tasks = [asyncio.create_task(fetch(session, semaphore, url, path, buffer_size))
                 for url, path in zip(urls, paths)]
        return sum(await asyncio.gather(*tasks))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buffer-size", type=int, default=256 * 1024, metavar="BYTES")
    parser.add_argument("mode", choices=("set", "big"))
    parser.add_argument("args", nargs="+")
    args = parser.parse_args()

    if args.mode == "set":
        if len(args.args) != 3:
            parser.error("set URLLIST_FILE OUTDIR CONCURRENCY")
        with open(args.args[0]) as f:
            urls = [line.strip() for line in f if line.strip()]
        paths = [os.path.join(args.args[1], url.rsplit("/", 1)[1]) for url in urls]
        concurrency = int(args.args[2])
    else:
        if len(args.args) != 2:
            parser.error("big URL OUTFILE")
        urls, paths, concurrency = [args.args[0]], [args.args[1]], 1

    cpu_start = cpu_seconds()
    start = time.perf_counter()
    received = asyncio.run(download(urls, paths, concurrency, args.buffer_size))
    seconds = time.perf_counter() - start
    cpu = cpu_seconds() - cpu_start

    print(json.dumps({"value": received / MIB / seconds, "unit": "MiB/s", "seconds": seconds,
                      "bytes": received, "files": len(urls), "cpu": cpu,
                      "process_cpu": cpu_seconds(), "buffer_size": args.buffer_size}),
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
