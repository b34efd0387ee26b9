// test-gjs.js: what a GJS program can do with libbridge, one TAP test case
// per rule.
//
// JavaScript never runs on a fiber: a bound language cannot start a task,
// only drive loops, futures and callbacks, and await C tasks through futures
// or _async/_finish pairs. Every callback below checks that it runs outside
// any task.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

imports.gi.versions.Bridge = '1';
imports.gi.versions.BridgeGiTest = '1';
const {Bridge, BridgeGiTest, Gio, GLib} = imports.gi;
const System = imports.system;

const cases = [];
const LIMIT = 10.0;  // seconds: far above what any case needs, only against hangs

function testCase(path, func) {
    cases.push([path, func]);
}

function assert(condition, message) {
    if (!condition)
        throw new Error(`assertion failed: ${message}`);
}

const loop = () => Bridge.Loop.get_default();

// Drives the loop until @future is done, for at most LIMIT seconds.
function run(future) {
    const guard = loop().call_later(LIMIT, () => future.cancel('test took too long'));
    try {
        return loop().run_until_complete(future);
    } finally {
        guard.cancel();
    }
}

function flush() {
    const marker = Bridge.Future.new();
    loop().call_soon(() => marker.set_boolean(true));
    run(marker);
}

function outsideAnyTask() {
    assert(Bridge.Task.get_current() === null, 'JavaScript ran on a fiber');
}

function assertError(func, domain, code) {
    try {
        func();
    } catch (error) {
        assert(error instanceof GLib.Error, `not a GLib.Error: ${error}`);
        assert(error.matches(domain, code), `${error.message} (${error.domain}, ${error.code})`);
        return error;
    }
    throw new Error('no error raised');
}

testCase('/libbridge/gi/gjs/loop/default-is-per-context', () => {
    assert(loop() === Bridge.Loop.get_default(), 'one loop per context');
    const other = Bridge.Loop.new(GLib.MainContext.new());
    assert(other !== loop() && other.get_context() !== null, 'a loop of its own');
    assert(!loop().is_running() && !loop().is_closed(), 'idle loop');
});

testCase('/libbridge/gi/gjs/future/result-through-run-until-complete', () => {
    const future = Bridge.Future.new();
    loop().call_soon(() => future.set_string('forty-two'));
    assert(run(future), 'run_until_complete');
    assert(future.get_string() === 'forty-two', 'result');
});

testCase('/libbridge/gi/gjs/future/done-callback-runs-later-outside-tasks', () => {
    const future = Bridge.Future.new();
    const seen = [];
    future.add_done_callback(fut => {
        outsideAnyTask();
        seen.push(fut.get_int64());
    });
    future.set_int64(7);
    assert(seen.length === 0, 'a done callback ran inside the setter');
    run(future);
    flush();
    assert(seen.length === 1 && seen[0] === 7, `seen ${seen}`);
});

testCase('/libbridge/gi/gjs/future/error-and-cancel-throw-gerror', () => {
    const failed = Bridge.Future.new();
    failed.set_error(new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, 'gone'));
    assertError(() => run(failed), Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND);
    const cancelled = Bridge.Future.new();
    cancelled.cancel('no longer wanted');
    assertError(() => run(cancelled), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assertError(() => cancelled.set_int64(1), Bridge.Error, Bridge.Error.INVALID_STATE);
});

testCase('/libbridge/gi/gjs/loop/call-soon-fifo-call-later-call-at', () => {
    const order = [];
    const done = Bridge.Future.new();
    const now = loop().time();
    loop().call_later(0.03, () => order.push('later 30 ms'));
    loop().call_at(now + 0.01, () => order.push('at 10 ms'));
    loop().call_later(0.02, () => order.push('cancelled')).cancel();
    for (let i = 0; i < 3; i++)
        loop().call_soon(() => { outsideAnyTask(); order.push(i); });
    loop().call_soon_threadsafe(() => order.push('threadsafe'));
    loop().call_later(0.05, () => done.set_boolean(true));
    run(done);
    assert(JSON.stringify(order) === JSON.stringify([0, 1, 2, 'threadsafe', 'at 10 ms', 'later 30 ms']),
        `order ${JSON.stringify(order)}`);
});

testCase('/libbridge/gi/gjs/gather/keeps-order-and-propagates-first-error', () => {
    const futures = [Bridge.Future.new(), Bridge.Future.new(), Bridge.Future.new()];
    const gathered = Bridge.gather(futures, false);
    loop().call_later(0.02, () => futures[0].set_int64(10));
    loop().call_soon(() => futures[2].set_int64(30));
    loop().call_soon(() => futures[1].set_int64(20));
    run(gathered);
    assert(futures.map(f => f.get_int64()).join() === '10,20,30', 'values');

    const failing = [Bridge.Future.new(), Bridge.Future.new()];
    const failedGather = Bridge.gather(failing, false);
    failing[1].set_error(new GLib.Error(Bridge.Error, Bridge.Error.FAILED, 'second'));
    assertError(() => run(failedGather), Bridge.Error, Bridge.Error.FAILED);
    assert(!failing[0].is_done(), 'gather cancelled a sibling on error');
});

testCase('/libbridge/gi/gjs/wait/wait-for-future-times-out-wait-refuses', () => {
    const inner = Bridge.Future.new();
    assertError(() => run(Bridge.wait_for_future(inner, 0.02)), Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT);
    assert(inner.is_cancelled(), 'inner cancelled');
    assertError(() => Bridge.wait([Bridge.Future.new()], Bridge.WaitMode.ALL_COMPLETED, 1.0),
        Bridge.Error, Bridge.Error.INVALID_STATE);
});

testCase('/libbridge/gi/gjs/await/refuses-outside-a-task', () => {
    const future = Bridge.Future.new();
    const error = assertError(() => Bridge.await(future), Bridge.Error, Bridge.Error.INVALID_STATE);
    assert(error.message.includes('outside a task'), error.message);
    assertError(() => Bridge.sleep(0.01), Bridge.Error, Bridge.Error.INVALID_STATE);
    assert(!future.is_done(), 'future untouched');
});

testCase('/libbridge/gi/gjs/task/fiber-entry-points-are-not-bound', () => {
    for (const name of ['spawn', 'spawn_full', 'spawn_eager', 'spawn_eager_full', 'run',
        'spawn_async', 'run_in_thread', 'run_in_executor', 'signal_connect_task'])
        assert(Bridge[name] === undefined, `Bridge.${name} is callable from GJS`);
    assert(Bridge.TaskGroup.prototype.spawn === undefined, 'TaskGroup.spawn');
    assert(Bridge.Loop.prototype.spawn_threadsafe === undefined, 'Loop.spawn_threadsafe');
    assert(Bridge.Loop.prototype.set_exception_handler === undefined, 'Loop.set_exception_handler');
});

testCase('/libbridge/gi/gjs/task/is-a-future-through-as-future', () => {
    const task = BridgeGiTest.sleep_then_say(0.01, 'ready');
    const future = task.as_future();
    assert(future instanceof Bridge.Future && future.is_task(), 'a future');
    const seen = [];
    future.add_done_callback(fut => seen.push(fut.get_string()));
    run(Bridge.gather([future, BridgeGiTest.sleep_then_say(0.02, 'steady').as_future()], false));
    flush();
    assert(seen.join() === 'ready', `seen ${seen}`);
    assert(task.get_state() === Bridge.TaskState.DONE, 'done');

    const sleeper = BridgeGiTest.sleep_then_say(30.0, 'never');
    sleeper.cancel('stop');
    assertError(() => run(sleeper.as_future()), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
});

testCase('/libbridge/gi/gjs/async-finish/a-libbridge-task-exported-as-gio-async', () => {
    const result = Bridge.Future.new();
    BridgeGiTest.add_later_async(2, 3, 0.01, null, (source, asyncResult) => {
        outsideAnyTask();
        result.set_int64(BridgeGiTest.add_later_finish(asyncResult));
    });
    run(result);
    assert(result.get_int64() === 5, 'sum');

    const cancellable = new Gio.Cancellable();
    const cancelled = Bridge.Future.new();
    BridgeGiTest.add_later_async(2, 3, 30.0, cancellable, (source, asyncResult) => {
        try {
            BridgeGiTest.add_later_finish(asyncResult);
            cancelled.set_boolean(false);
        } catch (error) {
            cancelled.set_boolean(error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED));
        }
    });
    loop().call_later(0.01, () => cancellable.cancel());
    run(cancelled);
    assert(cancelled.get_boolean(), 'the task did not end cancelled');
});

// A future as a Promise, for JavaScript's own async functions.
function promiseOf(future) {
    return new Promise((resolve, reject) => {
        future.add_done_callback(done => {
            try {
                resolve(done.get_string());
            } catch (error) {
                reject(error);
            }
        });
    });
}

testCase('/libbridge/gi/gjs/future/awaited-from-an-async-function', () => {
    const finished = Bridge.Future.new();
    const failed = Bridge.Future.new();
    (async () => {
        const word = await promiseOf(BridgeGiTest.sleep_then_say(0.01, 'hello').as_future());
        finished.set_string(`${word} from an async function`);
    })();
    (async () => {
        const sleeper = BridgeGiTest.sleep_then_say(30.0, 'never');
        sleeper.cancel('stop');
        try {
            await promiseOf(sleeper.as_future());
        } catch (error) {
            failed.set_boolean(error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED));
        }
    })();
    run(finished);
    run(failed);
    assert(finished.get_string() === 'hello from an async function', finished.get_string());
    assert(failed.get_boolean(), 'the rejection is the cancellation');
});

testCase('/libbridge/gi/gjs/sync/queue-event-lock-from-callbacks', () => {
    // GJS passes no value through a gpointer: the items are null, but
    // their count still drives the consumer.
    // Room for every item: callbacks due together run before the consumer
    // resumes, and put_nowait() on a full queue would refuse.
    const queue = Bridge.Queue.new(3);
    const consumer = BridgeGiTest.sum_queue(queue, 3);
    for (let i = 1; i <= 3; i++)
        loop().call_later(0.005 * i, () => queue.put_nowait(null));
    run(consumer.as_future());
    assert(consumer.as_future().get_int64() === 0 && queue.is_empty(), 'three items taken');

    const stuck = BridgeGiTest.sum_queue(queue, 1);
    loop().call_later(0.01, () => queue.shutdown(false));
    assertError(() => run(stuck.as_future()), Bridge.Error, Bridge.Error.QUEUE_SHUT_DOWN);

    const event = Bridge.Event.new();
    const waiter = BridgeGiTest.wait_event(event);
    loop().call_later(0.01, () => event.set());
    run(waiter.as_future());
    assert(waiter.as_future().get_boolean(), 'event woke the task');

    const lock = Bridge.Lock.new();
    const release = Bridge.Event.new();
    const holder = BridgeGiTest.hold_lock(lock, release);
    const seen = [];
    loop().call_later(0.01, () => { seen.push(lock.is_locked()); release.set(); });
    run(holder.as_future());
    assert(seen.join() === 'true' && !lock.is_locked(), `seen ${seen}`);
    assertError(() => lock.acquire(), Bridge.Error, Bridge.Error.INVALID_STATE);
});

print('TAP version 13');
print(`1..${cases.length}`);
let failed = 0;
cases.forEach(([path, func], index) => {
    try {
        func();
        print(`ok ${index + 1} ${path}`);
    } catch (error) {
        failed++;
        print(`not ok ${index + 1} ${path}`);
        for (const line of `${error}\n${error.stack}`.split('\n'))
            print(`# ${line}`);
    }
});
System.exit(failed ? 1 : 0);
