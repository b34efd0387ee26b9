#!/usr/bin/python3
# asyncio_scaling.py
#
# Copyright 2026 The libbridge authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Python peers of bench/run's scaling mode.

    asyncio_scaling.py [--loop asyncio|uvloop] WORKLOAD N
    asyncio_scaling.py --list

Runs one workload at size N and prints {"value": nanoseconds per operation,
"unit": "ns/op", "n": N, ...}, the protocol of bench/bench-scaling.c, whose
workloads these mirror one for one.
"""

import argparse
import asyncio
import json
import sys

# The same clock, RSS reader and empty coroutine as the fixed-size peers.
from asyncio_bench import now, read_rss_kib, trivial

TIMER_SLOT = 0.010 / 100_000   # seconds between two due times, as in bench-scaling.c
QUEUE_MAXSIZE = 100

async def spawn(n):
    loop = asyncio.get_running_loop()
    start = now()
    tasks = [loop.create_task(trivial()) for _ in range(n)]
    for task in tasks:
        await task
    return now() - start, {}


async def timers(n):
    loop = asyncio.get_running_loop()
    all_fired = loop.create_future()
    state = {"fired": 0, "last": 0.0}

    def fired():
        state["fired"] += 1
        if state["fired"] == n:
            state["last"] = now()
            all_fired.set_result(True)

    start = now()
    for i in range(n):
        loop.call_later((i * 7919 % n) * TIMER_SLOT, fired)
    await all_fired
    return state["last"] - start, {}


async def gather(n):
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(trivial()) for _ in range(n)]
    start = now()
    await asyncio.gather(*tasks)
    return now() - start, {}


async def queue(n):
    items = asyncio.Queue(maxsize=QUEUE_MAXSIZE)

    async def producer():
        for i in range(1, n + 1):
            await items.put(i)

    async def consumer():
        for i in range(1, n + 1):
            if await items.get() != i:
                raise RuntimeError("queue: out of order")

    start = now()
    consuming = asyncio.create_task(consumer())
    producing = asyncio.create_task(producer())
    await producing
    await consuming
    return now() - start, {}


async def parked(n):
    loop = asyncio.get_running_loop()
    gate = loop.create_future()
    all_parked = loop.create_future()
    state = {"parked": 0}

    async def park():
        state["parked"] += 1
        if state["parked"] == n:
            all_parked.set_result(True)
        await gate

    rss_before = read_rss_kib()
    start = now()
    tasks = [loop.create_task(park()) for _ in range(n)]
    await all_parked
    rss_peak = read_rss_kib()
    gate.set_result(True)
    for task in tasks:
        await task
    return now() - start, {"kib_per_task": (rss_peak - rss_before) / n}


WORKLOADS = {
    "spawn": spawn,
    "timers": timers,
    "gather": gather,
    "queue": queue,
    "parked": parked,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--list", action="store_true", help="list the workloads")
    parser.add_argument("workload", nargs="?", choices=sorted(WORKLOADS))
    parser.add_argument("n", nargs="?", type=int)
    args = parser.parse_args()

    if args.list:
        print("\n".join(WORKLOADS))
        return 0
    if args.workload is None or args.n is None or args.n < 1:
        parser.error("a workload and a size N ≥ 1 are needed")

    if args.loop == "uvloop":
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

    seconds, extra = asyncio.run(WORKLOADS[args.workload](args.n))
    print(json.dumps({"value": seconds * 1e9 / args.n, "unit": "ns/op", "n": args.n, **extra}),
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
