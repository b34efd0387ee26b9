#!/usr/bin/python3
# test-python.py: what a Python program can do with libbridge through
# PyGObject, one TAP test case per rule.
#
# Python code never runs on a fiber: a bound language cannot start a task,
# only drive loops, futures and callbacks, and await C tasks through futures
# or _async/_finish pairs. Every callback below checks that it runs outside
# any task.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import sys
import threading
import traceback

import gi
gi.require_version('Bridge', '1')
gi.require_version('BridgeGiTest', '1')
from gi.repository import Bridge, BridgeGiTest, Gio, GLib  # noqa: E402

CASES = []
LIMIT = 10.0  # seconds: far above what any case needs, only against hangs


def case(path):
    def register(func):
        CASES.append((path, func))
        return func
    return register


def loop():
    return Bridge.Loop.get_default()


def run(future):
    """Drives the loop until @future is done, for at most LIMIT seconds."""
    guard = loop().call_later(LIMIT, lambda *args: future.cancel('test took too long'))
    try:
        return loop().run_until_complete(future)
    finally:
        guard.cancel()


def outside_any_task():
    assert Bridge.Task.get_current() is None, 'Python code ran on a fiber'


def assert_error(func, domain, code):
    try:
        func()
    except GLib.Error as error:
        assert error.matches(domain, code), '%s (%s, %d)' % (error.message, error.domain, error.code)
        return error
    raise AssertionError('no error raised')


@case('/libbridge/gi/python/loop/default-is-per-context')
def _():
    assert loop() is not None
    assert loop().get_context() == GLib.MainContext.default()
    other = Bridge.Loop.new(GLib.MainContext.new())
    assert other.get_context() != GLib.MainContext.default()
    assert not loop().is_running() and not loop().is_closed()
    assert loop().time() > 0


@case('/libbridge/gi/python/future/result-through-run-until-complete')
def _():
    future = Bridge.Future.new()
    loop().call_soon(lambda *args: future.set_int64(42))
    assert run(future)
    assert future.is_done() and not future.is_cancelled()
    assert future.get_int64() == 42


@case('/libbridge/gi/python/future/done-callback-runs-later-outside-tasks')
def _():
    future = Bridge.Future.new()
    seen = []

    def done(fut, *args):
        outside_any_task()
        seen.append(fut.get_string())

    future.add_done_callback(done)
    future.set_string('hello')
    assert seen == [], 'a done callback ran inside the setter'
    run(future)
    # The callback was scheduled on the ready queue before the loop stopped.
    waiter = Bridge.Future.new()
    loop().call_soon(lambda *args: waiter.set_boolean(True))
    run(waiter)
    assert seen == ['hello']


@case('/libbridge/gi/python/future/error-raises-gerror')
def _():
    future = Bridge.Future.new()
    future.set_error(GLib.Error.new_literal(Gio.io_error_quark(), 'gone', Gio.IOErrorEnum.NOT_FOUND))
    assert_error(lambda: run(future), Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)
    assert_error(lambda: future.get_int64(), Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)


@case('/libbridge/gi/python/future/cancel')
def _():
    future = Bridge.Future.new()
    assert future.cancel('no longer wanted')
    assert future.is_cancelled()
    assert_error(lambda: run(future), Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)


@case('/libbridge/gi/python/future/set-twice-is-invalid-state')
def _():
    future = Bridge.Future.new()
    future.set_int64(1)
    assert_error(lambda: future.set_int64(2), Bridge.error_quark(), Bridge.Error.INVALID_STATE)


@case('/libbridge/gi/python/loop/call-soon-is-fifo')
def _():
    order = []
    done = Bridge.Future.new()

    def note(value):
        outside_any_task()
        order.append(value)

    for i in range(5):
        loop().call_soon(lambda *args, i=i: note(i))
    loop().call_soon(lambda *args: done.set_boolean(True))
    run(done)
    assert order == [0, 1, 2, 3, 4]


@case('/libbridge/gi/python/loop/call-later-and-call-at-keep-time-order')
def _():
    order = []
    done = Bridge.Future.new()
    now = loop().time()
    loop().call_later(0.03, lambda *args: order.append('later 30 ms'))
    loop().call_at(now + 0.01, lambda *args: order.append('at 10 ms'))
    cancelled = loop().call_later(0.02, lambda *args: order.append('cancelled'))
    cancelled.cancel()
    loop().call_later(0.05, lambda *args: done.set_boolean(True))
    run(done)
    assert cancelled.is_cancelled()
    assert order == ['at 10 ms', 'later 30 ms']
    assert loop().time() >= now + 0.05


@case('/libbridge/gi/python/loop/call-soon-threadsafe-from-a-python-thread')
def _():
    done = Bridge.Future.new()
    ran_on = []

    def on_loop(*args):
        outside_any_task()
        ran_on.append(threading.current_thread())
        done.set_boolean(True)

    worker = threading.Thread(target=lambda: loop().call_soon_threadsafe(on_loop))
    worker.start()
    run(done)
    worker.join()
    assert ran_on == [threading.main_thread()]


@case('/libbridge/gi/python/future/set-from-a-python-thread')
def _():
    future = Bridge.Future.new()
    seen = []
    future.add_done_callback(lambda fut, *args: seen.append(threading.current_thread()))
    worker = threading.Thread(target=lambda: future.set_string('from a thread'))
    worker.start()
    run(future)
    worker.join()
    assert future.get_string() == 'from a thread'
    flush = Bridge.Future.new()
    loop().call_soon(lambda *args: flush.set_boolean(True))
    run(flush)
    assert seen == [threading.main_thread()]


@case('/libbridge/gi/python/gather/keeps-order-and-propagates-first-error')
def _():
    futures = [Bridge.Future.new() for i in range(3)]
    gathered = Bridge.gather(futures, False)
    loop().call_later(0.02, lambda *args: futures[0].set_int64(10))
    loop().call_soon(lambda *args: futures[2].set_int64(30))
    loop().call_soon(lambda *args: futures[1].set_int64(20))
    run(gathered)
    assert [f.get_int64() for f in futures] == [10, 20, 30]

    failing = [Bridge.Future.new() for i in range(2)]
    gathered = Bridge.gather(failing, False)
    failing[1].set_error(GLib.Error.new_literal(Bridge.error_quark(), 'second', Bridge.Error.FAILED))
    assert_error(lambda: run(gathered), Bridge.error_quark(), Bridge.Error.FAILED)
    assert not failing[0].is_done(), 'gather cancelled a sibling on error'


@case('/libbridge/gi/python/wait-for/times-out-and-cancels-inner')
def _():
    inner = Bridge.Future.new()
    waited = Bridge.wait_for_future(inner, 0.02)
    assert_error(lambda: run(waited), Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT)
    assert inner.is_cancelled()


@case('/libbridge/gi/python/wait/refuses-outside-a-task')
def _():
    futures = [Bridge.Future.new()]
    error = assert_error(lambda: Bridge.wait(futures, Bridge.WaitMode.ALL_COMPLETED, 1.0),
                         Bridge.error_quark(), Bridge.Error.INVALID_STATE)
    assert 'outside a task' in error.message


@case('/libbridge/gi/python/await/refuses-outside-a-task')
def _():
    future = Bridge.Future.new()
    for await_func in (getattr(Bridge, 'await'), Bridge.await_int64, Bridge.await_string):
        error = assert_error(lambda: await_func(future), Bridge.error_quark(), Bridge.Error.INVALID_STATE)
        assert 'outside a task' in error.message
    assert_error(lambda: Bridge.sleep(0.01), Bridge.error_quark(), Bridge.Error.INVALID_STATE)
    assert not future.is_done()


@case('/libbridge/gi/python/task/fiber-entry-points-are-not-bound')
def _():
    for name in ('spawn', 'spawn_full', 'spawn_eager', 'spawn_eager_full', 'run', 'spawn_async',
                 'run_in_thread', 'run_in_executor', 'signal_connect_task'):
        assert not hasattr(Bridge, name), 'Bridge.%s is callable from Python' % name
    assert not hasattr(Bridge.TaskGroup, 'spawn')
    assert not hasattr(Bridge.Loop, 'spawn_threadsafe')
    assert not hasattr(Bridge.Loop, 'set_exception_handler')


@case('/libbridge/gi/python/loop/run-from-a-callback-is-refused')
def _():
    outcome = Bridge.Future.new()

    def nested(*args):
        try:
            loop().run_until_complete(Bridge.Future.new())
            outcome.set_string('ran')
        except GLib.Error as error:
            outcome.set_string('refused' if error.matches(Bridge.error_quark(), Bridge.Error.INVALID_STATE)
                               else error.message)

    loop().call_soon(nested)
    run(outcome)
    assert outcome.get_string() == 'refused', outcome.get_string()


@case('/libbridge/gi/python/task/is-a-future-through-as-future')
def _():
    task = BridgeGiTest.sleep_then_say(0.01, 'ready')
    future = task.as_future()
    assert isinstance(future, Bridge.Future)
    assert future.is_task()
    seen = []
    future.add_done_callback(lambda fut, *args: seen.append(fut.get_string()))
    gathered = Bridge.gather([future, BridgeGiTest.sleep_then_say(0.02, 'steady').as_future()], False)
    run(gathered)
    assert future.get_string() == 'ready'
    assert task.get_state() == Bridge.TaskState.DONE
    flush = Bridge.Future.new()
    loop().call_soon(lambda *args: flush.set_boolean(True))
    run(flush)
    assert seen == ['ready']


@case('/libbridge/gi/python/task/cancel-from-python')
def _():
    task = BridgeGiTest.sleep_then_say(30.0, 'never')
    assert task.cancel('stop')
    assert_error(lambda: run(task.as_future()), Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert task.as_future().is_cancelled()


@case('/libbridge/gi/python/async-finish/a-libbridge-task-exported-as-gio-async')
def _():
    result = Bridge.Future.new()

    def finished(source, async_result, *args):
        outside_any_task()
        result.set_int64(BridgeGiTest.add_later_finish(async_result))

    BridgeGiTest.add_later_async(2, 3, 0.01, None, finished)
    run(result)
    assert result.get_int64() == 5


@case('/libbridge/gi/python/async-finish/gcancellable-cancels-the-task')
def _():
    cancellable = Gio.Cancellable.new()
    result = Bridge.Future.new()

    def finished(source, async_result, *args):
        try:
            BridgeGiTest.add_later_finish(async_result)
            result.set_boolean(False)
        except GLib.Error as error:
            result.set_boolean(error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED))

    BridgeGiTest.add_later_async(2, 3, 30.0, cancellable, finished)
    loop().call_later(0.01, lambda *args: cancellable.cancel())
    run(result)
    assert result.get_boolean(), 'the task did not end cancelled'


@case('/libbridge/gi/python/sync/queue-fed-from-callbacks')
def _():
    # Room for every item: callbacks due together run before the consumer
    # resumes, and put_nowait() on a full queue would refuse.
    queue = Bridge.Queue.new(4)
    consumer = BridgeGiTest.sum_queue(queue, 4)
    for value in (1, 2, 3, 4):
        loop().call_later(0.005 * value, lambda *args, v=value: queue.put_nowait(v))
    run(consumer.as_future())
    assert consumer.as_future().get_int64() == 10
    assert queue.is_empty()
    queue = Bridge.Queue.new(2)
    assert queue.put_nowait(1) and queue.put_nowait(2)
    assert_error(lambda: queue.put_nowait(3), Bridge.error_quark(), Bridge.Error.QUEUE_FULL)
    assert_error(lambda: queue.get(), Bridge.error_quark(), Bridge.Error.INVALID_STATE)


@case('/libbridge/gi/python/sync/event-set-from-a-callback-wakes-a-task')
def _():
    event = Bridge.Event.new()
    waiter = BridgeGiTest.wait_event(event)
    loop().call_later(0.01, lambda *args: event.set())
    run(waiter.as_future())
    assert waiter.as_future().get_boolean()
    assert_error(lambda: event.wait(), Bridge.error_quark(), Bridge.Error.INVALID_STATE)


@case('/libbridge/gi/python/sync/lock-held-by-a-task-seen-from-callbacks')
def _():
    lock = Bridge.Lock.new()
    release = Bridge.Event.new()
    holder = BridgeGiTest.hold_lock(lock, release)
    seen = []

    def look(*args):
        seen.append(lock.is_locked())
        release.set()

    loop().call_later(0.01, look)
    run(holder.as_future())
    assert seen == [True]
    assert not lock.is_locked()
    assert_error(lambda: lock.acquire(), Bridge.error_quark(), Bridge.Error.INVALID_STATE)


def main():
    print('TAP version 13')
    print('1..%d' % len(CASES))
    failed = 0
    for number, (path, func) in enumerate(CASES, 1):
        try:
            func()
        except Exception:
            failed += 1
            print('not ok %d %s' % (number, path))
            for line in traceback.format_exc().splitlines():
                print('# ' + line)
        else:
            print('ok %d %s' % (number, path))
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
