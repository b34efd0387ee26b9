/* test-qt-loop.cpp: Bridge::QtLoop runs libbridge tasks inside Qt's event
 * loop, under Qt's GLib dispatcher and under its own (QT_NO_GLIB=1): meson
 * runs this program once each way.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <QAbstractEventDispatcher>
#include <QApplication>
#include <QDialog>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

#include "fault-server.h"
#include "test-qt-util.h"

static Bridge::QtLoop *main_qt_loop;

/* Another thread changed what the main thread waits for: post it an empty
 * event so that its Qt loop looks again. */
static void
wake_main_thread (void)
{
  QMetaObject::invokeMethod (qApp, [] () {}, Qt::QueuedConnection);
}

static void
test_dispatcher_mode (void)
{
  /* The QtLoop drives the context exactly when Qt's dispatcher is not
   * GLib's: this is what makes the two runs of this suite differ. */
  g_assert_true (Bridge::QtLoop::current () == main_qt_loop);
  g_assert_cmpint (main_qt_loop->drivesContext (), ==, !qt_uses_glib_dispatcher ());
  g_assert_true (main_qt_loop->loop () == bridge_loop_get_default ());
  g_assert_true (main_qt_loop->context () == g_main_context_default ());
}

static void
test_tasks_run_in_qt_loop (void)
{
  int qt_ticks = 0;
  QTimer ticker;
  int steps = 0;

  QObject::connect (&ticker, &QTimer::timeout, [&qt_ticks] () { qt_ticks++; });
  ticker.start (5);

  auto task = Bridge::spawn ([&steps] () {
    for (int i = 0; i < 5; i++)
      {
        if (!Bridge::sleep (0.01))
          return;
        steps++;
      }
  });
  run_qt_until_done (task);
  g_assert_cmpint (steps, ==, 5);
  g_assert_cmpint (qt_ticks, >, 0);
}

/* A sleep never ends early, whoever arms the timer. */
static void
test_sleep_not_early (void)
{
  qint64 elapsed = 0;

  auto task = Bridge::spawn ([&elapsed] () {
    QElapsedTimer clock;

    clock.start ();
    g_assert_true (Bridge::sleep (0.05));
    elapsed = clock.elapsed ();
  });
  run_qt_until_done (task);
  g_assert_cmpint (elapsed, >=, 50);
}

/* A task spawned from a Qt slot, outside any GLib iteration and with
 * nothing else due, still starts at once. */
static void
test_spawn_from_qt_slot (void)
{
  bool ran = false;
  Bridge::Task<void> task;

  QTimer::singleShot (0, [&] () {
    task = Bridge::spawn ([&ran] () { ran = true; });
  });
  g_assert_true (run_qt_until ([&ran] () { return ran; }));
}

/* A GLib source added by Qt code, outside any GLib iteration, runs. */
static void
test_glib_source_from_qt_slot (void)
{
  bool fired = false;

  QTimer::singleShot (0, [&fired] () {
    g_timeout_add_once (5, [] (gpointer data) { *static_cast<bool *> (data) = true; }, &fired);
  });
  g_assert_true (run_qt_until ([&fired] () { return fired; }));
}

/* bridge_loop_call_soon_threadsafe() from another thread wakes Qt's loop. */
static void
test_threadsafe_wakeup (void)
{
  static std::atomic<int> calls;
  static GThread *ran_on;

  calls = 0;
  ran_on = nullptr;
  std::thread other ([] () {
    BridgeHandle *handle = bridge_loop_call_soon_threadsafe (main_qt_loop->loop (), [] (gpointer) {
      ran_on = g_thread_self ();
      calls++;
    }, nullptr, nullptr);
    bridge_handle_unref (handle);
  });
  other.join ();
  g_assert_true (run_qt_until ([] () { return calls.load () == 1; }));
  g_assert_true (ran_on == g_thread_self ());
}

/* An idle application sleeps: with a task parked on a far timer and one on
 * a future nobody resolves, 2 s of Qt's loop cost (nearly) no CPU. */
static void
test_idle_cpu (void)
{
  struct rusage before, after;
  bool idle_over = false;
  Bridge::FuturePtr never = Bridge::FuturePtr::adopt (bridge_future_new ());

  auto far_timer = Bridge::spawn ([] () { Bridge::sleep (3600); });
  auto parked = Bridge::spawn ([&never] () { Bridge::await (never); });
  /* Let both park. */
  g_assert_true (run_qt_until ([&] () {
    return bridge_task_get_state (parked.get ()) == BRIDGE_TASK_STATE_PARKED &&
           bridge_task_get_state (far_timer.get ()) == BRIDGE_TASK_STATE_PARKED;
  }));

  getrusage (RUSAGE_THREAD, &before);
  QTimer::singleShot (2000, [&idle_over] () { idle_over = true; });
  g_assert_true (run_qt_until ([&idle_over] () { return idle_over; }));
  getrusage (RUSAGE_THREAD, &after);

  gint64 cpu_usec = (after.ru_utime.tv_sec - before.ru_utime.tv_sec) * G_USEC_PER_SEC +
                    (after.ru_utime.tv_usec - before.ru_utime.tv_usec) +
                    (after.ru_stime.tv_sec - before.ru_stime.tv_sec) * G_USEC_PER_SEC +
                    (after.ru_stime.tv_usec - before.ru_stime.tv_usec);
  g_test_message ("CPU time over 2 s of idle: %" G_GINT64_FORMAT " µs", cpu_usec);
  /* 1 % of the 2 s: a busy loop would take all of it. */
  g_assert_cmpint (cpu_usec, <, 20000);

  far_timer.cancel ();
  parked.cancel ();
  g_assert_true (run_qt_until ([&] () { return far_timer.isDone () && parked.isDone (); }));
}

/* A source with work at every iteration and a descriptor that stays
 * readable, as a loop whose budget ran out while sockets keep arriving. */
struct BusySource
{
  GSource  base;
  int     *dispatches;
};

static gboolean
busy_source_prepare (GSource *,
                     gint    *timeout)
{
  *timeout = 0;
  return TRUE;
}

static gboolean
busy_source_dispatch (GSource *source,
                      GSourceFunc,
                      gpointer)
{
  (*reinterpret_cast<BusySource *> (source)->dispatches)++;
  return G_SOURCE_CONTINUE;
}

/* Each pass of Qt's loop dispatches the context once at most, however many
 * of the notifiers and timers that drive it are due together: Qt's own
 * timers run between two dispatches (each of which may take libbridge's
 * whole budget), never after two of them back to back. */
static void
test_one_dispatch_per_pass (void)
{
  static GSourceFuncs funcs = { busy_source_prepare, nullptr, busy_source_dispatch, nullptr, nullptr, nullptr };
  int dispatches = 0, ticks = 0;
  int fds[2];
  QTimer tick;

  g_assert_cmpint (pipe (fds), ==, 0);
  /* Never read: readable for good. */
  g_assert_cmpint (write (fds[1], "x", 1), ==, 1);
  GSource *source = g_source_new (&funcs, sizeof (BusySource));
  reinterpret_cast<BusySource *> (source)->dispatches = &dispatches;
  g_source_add_unix_fd (source, fds[0], G_IO_IN);
  g_source_attach (source, main_qt_loop->context ());

  tick.setTimerType (Qt::PreciseTimer);
  QObject::connect (&tick, &QTimer::timeout, [&ticks] () { ticks++; });
  tick.start (0);
  g_assert_true (run_qt_until ([&ticks] () { return ticks >= 200; }));
  tick.stop ();
  g_test_message ("%d dispatches in %d passes", dispatches, ticks);
  g_assert_cmpint (dispatches, >, 0);
  g_assert_cmpint (dispatches, <=, ticks + 2);

  g_source_destroy (source);
  g_source_unref (source);
  close (fds[0]);
  close (fds[1]);
}

/* A GLib source on a pipe that stays readable: dispatched whenever the
 * context's poll() result says so. */
struct ReadySource
{
  GSource  base;
  int     *dispatches;
  int     *in_this_pass;
};

static gboolean
ready_source_dispatch (GSource *source,
                       GSourceFunc,
                       gpointer)
{
  ReadySource *ready = reinterpret_cast<ReadySource *> (source);

  (*ready->dispatches)++;
  (*ready->in_this_pass)++;
  return G_SOURCE_CONTINUE;
}

#define N_READY_SOURCES 100
/* The most ready fds the driver hands GLib in one pass of Qt's loop. */
#define READY_FDS_PER_PASS 16

/* Many fds ready at once (sockets receiving together, or a thread back from
 * a while without the CPU): one pass of Qt's loop dispatches a bounded
 * share of their sources, so Qt's timers and painting run between shares,
 * and the next passes take the others in turn, none left behind. GLib's
 * dispatcher iterates the context itself and dispatches them all. */
static void
test_ready_fds_per_pass (void)
{
  static GSourceFuncs funcs = { nullptr, nullptr, ready_source_dispatch, nullptr, nullptr, nullptr };
  int dispatches[N_READY_SOURCES] = { 0 };
  int fds[N_READY_SOURCES][2];
  GSource *sources[N_READY_SOURCES];
  int in_this_pass = 0, most_in_a_pass = 0, ticks = 0;
  QTimer tick;

  if (!main_qt_loop->drivesContext ())
    {
      g_test_skip ("GLib's dispatcher iterates the context itself");
      return;
    }

  for (int i = 0; i < N_READY_SOURCES; i++)
    {
      g_assert_cmpint (pipe (fds[i]), ==, 0);
      /* Never read: readable for good. */
      g_assert_cmpint (write (fds[i][1], "x", 1), ==, 1);
      sources[i] = g_source_new (&funcs, sizeof (ReadySource));
      reinterpret_cast<ReadySource *> (sources[i])->dispatches = &dispatches[i];
      reinterpret_cast<ReadySource *> (sources[i])->in_this_pass = &in_this_pass;
      g_source_add_unix_fd (sources[i], fds[i][0], G_IO_IN);
      g_source_attach (sources[i], main_qt_loop->context ());
    }

  /* awake starts each pass of Qt's loop. */
  QMetaObject::Connection awake = QObject::connect (QAbstractEventDispatcher::instance (),
                                                    &QAbstractEventDispatcher::awake,
                                                    [&in_this_pass, &most_in_a_pass] () {
    most_in_a_pass = std::max (most_in_a_pass, in_this_pass);
    in_this_pass = 0;
  });
  tick.setTimerType (Qt::PreciseTimer);
  QObject::connect (&tick, &QTimer::timeout, [&ticks] () { ticks++; });
  tick.start (0);
  /* Enough passes for every source to have had several turns. */
  g_assert_true (run_qt_until ([&ticks] () { return ticks >= 4 * N_READY_SOURCES / READY_FDS_PER_PASS + 4; }));
  tick.stop ();
  QObject::disconnect (awake);
  most_in_a_pass = std::max (most_in_a_pass, in_this_pass);

  int fewest = *std::min_element (dispatches, dispatches + N_READY_SOURCES);
  int most = *std::max_element (dispatches, dispatches + N_READY_SOURCES);
  g_test_message ("%d passes, at most %d dispatches in one, %d to %d dispatches per source",
                  ticks, most_in_a_pass, fewest, most);
  g_assert_cmpint (most_in_a_pass, >, 0);
  g_assert_cmpint (most_in_a_pass, <=, READY_FDS_PER_PASS);
  /* Round robin: each source gets its turn, no source gets two more. */
  g_assert_cmpint (fewest, >=, 2);
  g_assert_cmpint (most - fewest, <=, 1);

  for (int i = 0; i < N_READY_SOURCES; i++)
    {
      g_source_destroy (sources[i]);
      g_source_unref (sources[i]);
      close (fds[i][0]);
      close (fds[i][1]);
    }
}

/* Sockets: a libsoup download awaited in a task (GIO's sources, their fds). */
static void
test_gio_in_task (void)
{
  g_autoptr(GError) error = nullptr;
  g_autoptr(FaultServer) server = fault_server_new_in_thread (FALSE, &error);
  g_assert_no_error (error);
  std::string uri = std::string (fault_server_get_uri (server)) + "file?size=200k&rate=2m";
  gsize received = 0;

  auto task = Bridge::spawn ([&] () -> Bridge::Error {
    g_autoptr(SoupSession) session = soup_session_new ();
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri.c_str ());
    Bridge::Error failure;
    g_autoptr(GBytes) body = bridge_soup_session_send_and_read (session, msg, G_PRIORITY_DEFAULT,
                                                                failure.out ());
    if (body == nullptr)
      return failure;
    received = g_bytes_get_size (body);
    return {};
  });
  run_qt_until_done (task);
  g_assert_no_error (bridge_future_get_error (task.future ()));
  g_assert_cmpuint (received, ==, 200 * 1024);
}

/* A Qt nested event loop inside a task (QDialog::exec()): Qt's events go on,
 * the task's siblings pause until it returns (the running task cannot be
 * re-entered), then everything resumes. The same with either dispatcher. */
static void
test_nested_dialog_in_task (void)
{
  int sibling_steps = 0;
  int steps_before = -1, steps_after_exec = -1;
  int qt_ticks_during = 0;
  int result = -1;

  auto sibling = Bridge::spawn ([&sibling_steps] () {
    while (Bridge::sleep (0.005))
      sibling_steps++;
  });

  auto task = Bridge::spawn ([&] () {
    QDialog dialog;
    QTimer ticker;

    /* Let the sibling get going. */
    while (sibling_steps < 3)
      Bridge::sleep (0.005);

    /* Only Qt's events can close the dialog: ten ticks of a Qt timer (or,
     * if they never come, the guard). */
    QObject::connect (&ticker, &QTimer::timeout, [&qt_ticks_during, &dialog] () {
      if (++qt_ticks_during == 10)
        dialog.accept ();
    });
    ticker.start (5);
    QTimer::singleShot (TEST_TIMEOUT_MS, &dialog, &QDialog::reject);
    steps_before = sibling_steps;
    result = dialog.exec ();
    steps_after_exec = sibling_steps;
    ticker.stop ();

    /* Back in the task: the sibling runs again. */
    int resumed_from = sibling_steps;
    while (sibling_steps < resumed_from + 3)
      Bridge::sleep (0.005);
  });

  run_qt_until_done (task);
  sibling.cancel ();
  g_assert_true (run_qt_until ([&sibling] () { return sibling.isDone (); }));

  g_assert_cmpint (result, ==, QDialog::Accepted);
  g_assert_cmpint (steps_after_exec, ==, steps_before);
}

/* A nested Qt event loop run from a plain Qt slot (not a task): tasks keep
 * running inside it, and one of them ends it. */
static void
test_nested_loop_in_slot (void)
{
  int steps = 0;
  bool slot_done = false;
  Bridge::Task<void> task;

  QTimer::singleShot (0, [&] () {
    QEventLoop nested;

    task = Bridge::spawn ([&steps, &nested] () {
      while (steps < 5 && Bridge::sleep (0.005))
        steps++;
      nested.quit ();
    });
    /* If tasks did not run in it, the nested loop ends here instead. */
    QTimer::singleShot (TEST_TIMEOUT_MS, &nested, &QEventLoop::quit);
    nested.exec ();
    slot_done = true;
  });
  g_assert_true (run_qt_until ([&slot_done] () { return slot_done; }));
  g_assert_cmpint (steps, ==, 5);
}

/* A QThread running its own event loop: its own QtLoop, its own libbridge
 * loop, tasks on that thread, and wakeups across threads. */
static void
test_qthread (void)
{
  QThread thread;
  QObject worker;
  std::atomic<bool> finished (false);
  std::atomic<bool> ran_on_thread (false);
  std::atomic<bool> separate_loop (false);
  std::atomic<bool> driven_as_expected (false);
  std::atomic<BridgeLoop *> worker_loop (nullptr);
  std::atomic<int> cross_calls (0);
  Bridge::QtLoop *thread_loop = nullptr;

  worker.moveToThread (&thread);
  thread.start ();

  QMetaObject::invokeMethod (&worker, [&] () {
    thread_loop = new Bridge::QtLoop ();
    driven_as_expected = thread_loop->drivesContext () == !qt_uses_glib_dispatcher ();
    separate_loop = thread_loop->loop () != main_qt_loop->loop () &&
                    bridge_loop_get_default () == thread_loop->loop ();
    worker_loop = thread_loop->loop ();
    auto task = Bridge::spawn ([&] () {
      Bridge::sleep (0.02);
      ran_on_thread = QThread::currentThread () == &thread;
      finished = true;
      wake_main_thread ();
    });
  });

  g_assert_true (run_qt_until ([&finished] () { return finished.load (); }));
  g_assert_true (ran_on_thread);
  g_assert_true (separate_loop);
  g_assert_true (driven_as_expected);

  /* The main thread wakes the worker's loop. */
  BridgeHandle *handle = bridge_loop_call_soon_threadsafe (worker_loop, [] (gpointer data) {
    static_cast<std::atomic<int> *> (data)->fetch_add (1);
    wake_main_thread ();
  }, &cross_calls, nullptr);
  bridge_handle_unref (handle);
  g_assert_true (run_qt_until ([&cross_calls] () { return cross_calls.load () == 1; }));

  QMetaObject::invokeMethod (&worker, [&thread_loop] () { delete thread_loop; thread_loop = nullptr; },
                             Qt::BlockingQueuedConnection);
  thread.quit ();
  thread.wait ();
}

/* One QtLoop per thread: a second one is a mistake, said so. */
static void
test_second_qt_loop (void)
{
  if (g_test_subprocess ())
    {
      Bridge::QtLoop second;
      g_assert_null (second.loop ());
      return;
    }
  g_test_trap_subprocess (nullptr, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*this thread already has one*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, nullptr);
  QApplication app (argc, argv);
  fail_on_qt_warnings ();
  Bridge::QtLoop qt_loop;

  main_qt_loop = &qt_loop;

  g_test_add_func ("/libbridge/qt/loop/dispatcher-mode", test_dispatcher_mode);
  g_test_add_func ("/libbridge/qt/loop/tasks-run-in-qt-loop", test_tasks_run_in_qt_loop);
  g_test_add_func ("/libbridge/qt/loop/sleep-not-early", test_sleep_not_early);
  g_test_add_func ("/libbridge/qt/loop/spawn-from-qt-slot", test_spawn_from_qt_slot);
  g_test_add_func ("/libbridge/qt/loop/glib-source-from-qt-slot", test_glib_source_from_qt_slot);
  g_test_add_func ("/libbridge/qt/loop/threadsafe-wakeup", test_threadsafe_wakeup);
  g_test_add_func ("/libbridge/qt/loop/idle-cpu", test_idle_cpu);
  g_test_add_func ("/libbridge/qt/loop/one-dispatch-per-pass", test_one_dispatch_per_pass);
  g_test_add_func ("/libbridge/qt/loop/ready-fds-per-pass", test_ready_fds_per_pass);
  g_test_add_func ("/libbridge/qt/loop/gio-in-task", test_gio_in_task);
  g_test_add_func ("/libbridge/qt/loop/nested-dialog-in-task", test_nested_dialog_in_task);
  g_test_add_func ("/libbridge/qt/loop/nested-loop-in-slot", test_nested_loop_in_slot);
  g_test_add_func ("/libbridge/qt/loop/qthread", test_qthread);
  g_test_add_func ("/libbridge/qt/loop/second-qt-loop", test_second_qt_loop);

  return g_test_run ();
}
