#!/usr/bin/python3
# asyncio_bench.py
#
# Copyright 2026 The libbridge authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Python peers of bench/run: libbridge's workloads in asyncio or uvloop.

    asyncio_bench.py [--loop asyncio|uvloop] WORKLOAD
    asyncio_bench.py --list

Runs one workload in this process and prints one JSON object on stdout,
{"value": N, "unit": "...", ...}, the same protocol as bench-core and
bench-glib. Sizes match bench/bench-common.h. Each workload is written the
way an asyncio programmer would write it, and each mirrors the libbridge
workload of the same name (bench/bench-core.c).
"""

import argparse
import asyncio
import concurrent.futures
import json
import sys
import threading
import time

SPAWN_TASKS = 100_000
PINGPONG_ROUNDS = 1_000_000
YIELDS_PER_TASK = 1_000_000
TIMERS = 100_000
TIMER_SPREAD = 0.010
THREADS = 4
CALLS_PER_THREAD = 50_000
PARKED_TASKS = 100_000
GATHER_TASKS = 10_000
QUEUE_ITEMS = 1_000_000
QUEUE_MAXSIZE = 100
SEMAPHORE_TASKS = 10_000
SEMAPHORE_VALUE = 100
TASKGROUP_CHILDREN = 100_000
THREAD_ROUND_TRIPS = 100_000
THREAD_IN_FLIGHT = 20

now = time.perf_counter  # CLOCK_MONOTONIC, as bench_time() in C


def timer_delay(index):
    """The same permutation of evenly spaced delays as bench_timer_delay()."""
    return (index * 7919 % TIMERS) * (TIMER_SPREAD / TIMERS)


def read_rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


async def trivial():
    pass


def with_warm_round(round_):
    """Runs @round_ twice in this process, as bench-core does for the same
    workloads: the first round is the figure, the second one ("warm") reuses
    memory the allocator already holds."""
    async def workload():
        value, unit, extra = await round_()
        warm, _, _ = await round_()
        return value, unit, {**extra, "warm": warm}
    workload.__doc__ = round_.__doc__
    return workload


# ---- scheduling core: spawn, ping-pong, yield, timers, threadsafe -------------


@with_warm_round
async def bench_spawn():
    """create_task() x 100k from a main task, then await each."""
    loop = asyncio.get_running_loop()
    start = now()
    tasks = [loop.create_task(trivial()) for _ in range(SPAWN_TASKS)]
    for task in tasks:
        await task
    return SPAWN_TASKS / (now() - start), "tasks/s", {"tasks": SPAWN_TASKS}


class PingPong:
    """Two tasks, each resolving a fresh future the other awaits.

    A creates the future it will await for the reply, then resolves the
    future B is waiting on; B creates its next request future, then resolves
    A's. The last message is -1, which tells B to stop.
    """

    def __init__(self, rounds):
        self.loop = asyncio.get_running_loop()
        self.rounds = rounds
        self.to_ping = None
        self.to_pong = self.loop.create_future()

    async def ping(self):
        for round_ in range(self.rounds):
            message = -1 if round_ + 1 == self.rounds else round_
            reply = self.to_ping = self.loop.create_future()
            self.to_pong.set_result(message)
            if await reply != message:
                raise RuntimeError("ping: wrong reply")

    async def pong(self):
        message = 0
        while message >= 0:
            request = self.to_pong
            message = await request
            self.to_pong = self.loop.create_future() if message >= 0 else None
            self.to_ping.set_result(message)


async def bench_pingpong():
    pp = PingPong(PINGPONG_ROUNDS)
    start = now()
    pong = asyncio.create_task(pp.pong())
    ping = asyncio.create_task(pp.ping())
    await ping
    await pong
    rate = PINGPONG_ROUNDS / (now() - start)
    return rate, "round trips/s", {"round_trips": PINGPONG_ROUNDS}


async def yielder():
    for _ in range(YIELDS_PER_TASK):
        await asyncio.sleep(0)


async def bench_yield():
    start = now()
    a = asyncio.create_task(yielder())
    b = asyncio.create_task(yielder())
    await a
    await b
    rate = 2 * YIELDS_PER_TASK / (now() - start)
    return rate, "switches/s", {"switches": 2 * YIELDS_PER_TASK}


async def bench_timers():
    loop = asyncio.get_running_loop()
    all_fired = loop.create_future()
    state = {"fired": 0, "last": 0.0}

    def fired():
        state["fired"] += 1
        if state["fired"] == TIMERS:
            state["last"] = now()
            all_fired.set_result(True)

    start = now()
    for i in range(TIMERS):
        loop.call_later(timer_delay(i), fired)
    await all_fired
    rate = TIMERS / (state["last"] - start)
    return rate, "timers/s", {"timers": TIMERS, "spread_ms": TIMER_SPREAD * 1000}


async def bench_threadsafe():
    """4 threads x 50k call_soon_threadsafe(), from first send to last run."""
    loop = asyncio.get_running_loop()
    all_delivered = loop.create_future()
    total = THREADS * CALLS_PER_THREAD
    state = {"delivered": 0, "last": 0.0}
    first_send = [0.0] * THREADS
    go = threading.Event()

    def delivered():
        state["delivered"] += 1
        if state["delivered"] == total:
            state["last"] = now()
            all_delivered.set_result(True)

    def sender(index):
        go.wait()
        first_send[index] = now()
        call = loop.call_soon_threadsafe
        for _ in range(CALLS_PER_THREAD):
            call(delivered)

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    go.set()
    await all_delivered
    for thread in threads:
        thread.join()
    rate = total / (state["last"] - min(first_send))
    return rate, "calls/s", {"threads": THREADS, "calls": total}


async def bench_parked_memory():
    """RSS per task with 100k tasks awaiting one future."""
    loop = asyncio.get_running_loop()
    gate = loop.create_future()
    all_parked = loop.create_future()
    state = {"parked": 0}

    async def parked():
        state["parked"] += 1
        if state["parked"] == PARKED_TASKS:
            all_parked.set_result(True)
        await gate

    rss_before = read_rss_kib()
    tasks = [loop.create_task(parked()) for _ in range(PARKED_TASKS)]
    await all_parked
    rss_parked = read_rss_kib()
    gate.set_result(True)
    for task in tasks:
        await task
    per_task = (rss_parked - rss_before) / PARKED_TASKS
    return per_task, "KiB/task", {"tasks": PARKED_TASKS, "rss_before_kib": rss_before,
                                  "rss_parked_kib": rss_parked}


# ---- combinators and structured concurrency ------------------------------------


@with_warm_round
async def bench_gather():
    """gather() over 10k tasks created (not yet run) before the clock starts."""
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(trivial()) for _ in range(GATHER_TASKS)]
    start = now()
    await asyncio.gather(*tasks)
    return (now() - start) * 1000, "ms", {"tasks": GATHER_TASKS}


async def bench_queue():
    """One producer, one consumer, 1M items through Queue(maxsize=100)."""
    queue = asyncio.Queue(maxsize=QUEUE_MAXSIZE)

    async def producer():
        for i in range(QUEUE_ITEMS):
            await queue.put(i)

    async def consumer():
        for i in range(QUEUE_ITEMS):
            if await queue.get() != i:
                raise RuntimeError("queue: out of order")

    start = now()
    consuming = asyncio.create_task(consumer())
    producing = asyncio.create_task(producer())
    await producing
    await consuming
    rate = QUEUE_ITEMS / (now() - start)
    return rate, "items/s", {"items": QUEUE_ITEMS, "maxsize": QUEUE_MAXSIZE}


@with_warm_round
async def bench_semaphore():
    """10k tasks through Semaphore(100), each holding it across sleep(0)."""
    loop = asyncio.get_running_loop()
    semaphore = asyncio.Semaphore(SEMAPHORE_VALUE)

    async def worker():
        async with semaphore:
            await asyncio.sleep(0)

    start = now()
    tasks = [loop.create_task(worker()) for _ in range(SEMAPHORE_TASKS)]
    for task in tasks:
        await task
    rate = SEMAPHORE_TASKS / (now() - start)
    return rate, "tasks/s", {"tasks": SEMAPHORE_TASKS, "permits": SEMAPHORE_VALUE}


@with_warm_round
async def bench_taskgroup():
    """A TaskGroup of 100k trivial children, from entering to leaving it."""
    start = now()
    async with asyncio.TaskGroup() as group:
        for _ in range(TASKGROUP_CHILDREN):
            group.create_task(trivial())
    rate = TASKGROUP_CHILDREN / (now() - start)
    return rate, "children/s", {"children": TASKGROUP_CHILDREN}


# ---- synchronisation primitives and threads -----------------------------------


def thread_job(value):
    return value + 1


async def thread_round_trips(n):
    for i in range(n):
        if await asyncio.to_thread(thread_job, i) != i + 1:
            raise RuntimeError("thread: wrong result")


async def bench_thread():
    """100k asyncio.to_thread() round trips, each awaited before the next;
    then as many again with 20 tasks each keeping one in flight."""
    start = now()
    await thread_round_trips(THREAD_ROUND_TRIPS)
    rate = THREAD_ROUND_TRIPS / (now() - start)

    start = now()
    await asyncio.gather(*(thread_round_trips(THREAD_ROUND_TRIPS // THREAD_IN_FLIGHT)
                           for _ in range(THREAD_IN_FLIGHT)))
    in_flight = THREAD_ROUND_TRIPS / (now() - start)

    # loop.run_in_executor() on an executor of its own, one at a time.
    loop = asyncio.get_running_loop()
    with concurrent.futures.ThreadPoolExecutor(thread_name_prefix="bench") as executor:
        start = now()
        for i in range(THREAD_ROUND_TRIPS):
            if await loop.run_in_executor(executor, thread_job, i) != i + 1:
                raise RuntimeError("thread: wrong result")
        executor_rate = THREAD_ROUND_TRIPS / (now() - start)
    return rate, "round trips/s", {"round_trips": THREAD_ROUND_TRIPS,
                                   "in_flight_20": in_flight,
                                   "run_in_executor": executor_rate}


WORKLOADS = {
    "spawn": bench_spawn,
    "pingpong": bench_pingpong,
    "yield": bench_yield,
    "timers": bench_timers,
    "threadsafe": bench_threadsafe,
    "parked-memory": bench_parked_memory,
    "gather": bench_gather,
    "queue": bench_queue,
    "semaphore": bench_semaphore,
    "taskgroup": bench_taskgroup,
    "thread": bench_thread,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--list", action="store_true", help="list the workloads")
    parser.add_argument("workload", nargs="?", choices=sorted(WORKLOADS))
    args = parser.parse_args()

    if args.list:
        print("\n".join(WORKLOADS))
        return 0
    if args.workload is None:
        parser.error("a workload is needed")

    if args.loop == "uvloop":
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

    value, unit, extra = asyncio.run(WORKLOADS[args.workload]())
    print(json.dumps({"value": value, "unit": unit, **extra}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
