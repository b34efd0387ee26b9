/* test-qt-api.cpp: libbridge-qt's C++ conveniences (spawn and await with
 * C++ values, Error, TaskPtr, awaitSignal, connectTask, AsyncClose,
 * awaitReply), run once under each Qt event dispatcher.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <QApplication>
#include <QDialog>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QThread>
#include <QWidget>

#include <stdexcept>
#include <string>

#include "fault-server.h"
#include "libbridge-qt-close.h"
#include "libbridge-qt-network.h"
#include "test-qt-util.h"

/* ---- Error and handles ------------------------------------------------ */

static void
test_error_holder (void)
{
  Bridge::Error error;

  g_assert_false (error);
  g_set_error_literal (error.out (), G_IO_ERROR, G_IO_ERROR_CANCELLED, "stop");
  g_assert_true (error.isCancelled ());
  g_assert_true (error.message () == QStringLiteral ("stop"));

  /* out() drops what was there: no "GError set over the top" warning. */
  g_set_error_literal (error.out (), G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "late");
  g_assert_true (error.isTimedOut ());

  Bridge::Error copy = error;
  Bridge::Error moved = std::move (error);
  g_assert_false (error);
  g_assert_true (copy.isTimedOut () && moved.isTimedOut ());
  g_assert_true (copy.get () != moved.get ());

  GError *raw = moved.release ();
  g_assert_false (moved);
  g_error_free (raw);
}

static void
test_handle_references (void)
{
  static bool freed;
  Bridge::FuturePtr future = Bridge::FuturePtr::adopt (bridge_future_new ());

  /* The pointer's destroy function runs when the future is finalized. */
  freed = false;
  bridge_future_set_pointer (future.get (), &freed, [] (gpointer flag) { *static_cast<bool *> (flag) = true; },
                             nullptr);
  {
    Bridge::FuturePtr copy = future;
    future.reset ();
    g_assert_false (future);
    g_assert_false (freed);
    g_assert_true (copy.isDone ());
  }
  g_assert_true (freed);
}

/* ---- spawn and await ----------------------------------------------------- */

static void
test_task_values (void)
{
  std::optional<int> number;
  std::optional<QString> text;
  std::optional<std::string> failed_value;
  Bridge::Error failed_error, error_task_error;
  bool void_ok = false;

  auto task = Bridge::spawn ([&] () {
    auto answer = Bridge::spawn ([] () { Bridge::sleep (0.001); return 42; });
    auto greeting = Bridge::spawn ([] () { return QStringLiteral ("hello"); });
    auto failing = Bridge::spawn ([] () -> Bridge::Result<std::string> {
      return Bridge::Error (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, QStringLiteral ("no such thing"));
    });
    auto error_only = Bridge::spawn ([] () {
      return Bridge::Error (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, QStringLiteral ("denied"));
    });
    auto nothing = Bridge::spawn ([] () {});

    number = Bridge::await (answer);
    /* Awaiting twice reads the same value: results are copied out. */
    number = Bridge::await (answer);
    text = Bridge::await (greeting);
    failed_value = Bridge::await (failing, &failed_error);
    Bridge::await (error_only, &error_task_error);
    void_ok = Bridge::await (nothing);
  });
  run_qt_until_done (task);

  g_assert_true (number == 42);
  g_assert_true (text == QStringLiteral ("hello"));
  g_assert_false (failed_value.has_value ());
  g_assert_true (failed_error.matches (G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
  g_assert_true (error_task_error.matches (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED));
  g_assert_true (void_ok);
}

static void
test_task_cancelled (void)
{
  Bridge::Error error;
  bool cleaned_up = false;

  auto task = Bridge::spawn ([&] () {
    Bridge::sleep (60, &error);
    cleaned_up = true;
  });
  QTimer::singleShot (10, [&task] () { task.cancel (); });
  run_qt_until_done (task);
  g_assert_true (error.isCancelled ());
  g_assert_true (cleaned_up);
  g_assert_true (task.isCancelled ());
}

/* An exception must not unwind out of a fiber: it is caught at the task's
 * edge, reported, and becomes the task's error. */
static void
test_task_exception (void)
{
  g_test_expect_message ("Bridge-Qt", G_LOG_LEVEL_CRITICAL, "*exception escaped*'thrower'*broken promise*");
  auto task = Bridge::spawn ([] () -> int { throw std::runtime_error ("broken promise"); }, "thrower");
  run_qt_until_done (task);
  g_test_assert_expected_messages ();

  const GError *error = bridge_future_get_error (task.future ());
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "broken promise"));
}

/* ---- awaitSignal ------------------------------------------------------------ */

static void
test_await_signal_arguments (void)
{
  QObject sender;
  std::optional<QString> name;

  auto task = Bridge::spawn ([&] () {
    auto args = Bridge::awaitSignal (&sender, &QObject::objectNameChanged);
    if (args)
      name = std::get<0> (*args);
  });
  QTimer::singleShot (10, [&sender] () { sender.setObjectName (QStringLiteral ("renamed")); });
  run_qt_until_done (task);
  g_assert_true (name == QStringLiteral ("renamed"));
}

static void
test_await_signal_timeout (void)
{
  QObject sender;
  Bridge::Error error;
  bool got = true;

  auto task = Bridge::spawn ([&] () {
    got = Bridge::awaitSignal (&sender, &QObject::objectNameChanged, &error, 0.02).has_value ();
  });
  run_qt_until_done (task);
  g_assert_false (got);
  g_assert_true (error.isTimedOut ());
  /* Not connected any more: emitting now touches nothing of the task. */
  sender.setObjectName (QStringLiteral ("late"));
}

static void
test_await_signal_cancelled (void)
{
  QObject sender;
  Bridge::Error error;

  auto task = Bridge::spawn ([&] () {
    Bridge::awaitSignal (&sender, &QObject::objectNameChanged, &error);
  });
  QTimer::singleShot (10, [&task] () { task.cancel (); });
  run_qt_until_done (task);
  g_assert_true (error.isCancelled ());
  sender.setObjectName (QStringLiteral ("after"));
}

static void
test_await_signal_sender_destroyed (void)
{
  auto *sender = new QObject ();
  Bridge::Error error;

  auto task = Bridge::spawn ([&] () {
    Bridge::awaitSignal (sender, &QObject::objectNameChanged, &error);
  });
  QTimer::singleShot (10, [sender] () { delete sender; });
  run_qt_until_done (task);
  g_assert_true (error.matches (G_IO_ERROR, G_IO_ERROR_CLOSED));
}

static void
test_await_signal_outside_task (void)
{
  QObject sender;
  Bridge::Error error;

  g_assert_false (Bridge::awaitSignal (&sender, &QObject::objectNameChanged, &error).has_value ());
  g_assert_true (error.matches (BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE));
}

/* A sender on another thread: the emission is queued to the task's thread. */
static void
test_await_signal_other_thread (void)
{
  QThread thread;
  QObject sender;
  std::optional<QString> name;
  bool delivered_here = false;

  sender.moveToThread (&thread);
  thread.start ();
  auto task = Bridge::spawn ([&] () {
    auto args = Bridge::awaitSignal (&sender, &QObject::objectNameChanged);
    delivered_here = QThread::currentThread () == qApp->thread ();
    if (args)
      name = std::get<0> (*args);
  });
  g_assert_true (run_qt_until ([&task] () {
    return bridge_task_get_state (task.get ()) == BRIDGE_TASK_STATE_PARKED;
  }));
  QMetaObject::invokeMethod (&sender, [&sender] () { sender.setObjectName (QStringLiteral ("from afar")); });
  run_qt_until_done (task);
  thread.quit ();
  thread.wait ();
  g_assert_true (delivered_here);
  g_assert_true (name == QStringLiteral ("from afar"));
}

/* The asynchronous form of QDialog::exec(): other tasks keep running. */
static void
test_await_signal_dialog_open (void)
{
  std::optional<int> result;
  int sibling_steps = 0, steps_while_open = -1;

  auto sibling = Bridge::spawn ([&sibling_steps] () {
    while (Bridge::sleep (0.005))
      sibling_steps++;
  });
  auto task = Bridge::spawn ([&] () {
    QDialog dialog;
    QTimer watch;

    dialog.open ();
    int before = sibling_steps;
    /* The dialog closes once the sibling task has made progress while it
     * was open (or, if it never does, at the guard). */
    QObject::connect (&watch, &QTimer::timeout, [&] () {
      if (sibling_steps >= before + 5)
        dialog.done (7);
    });
    watch.start (5);
    QTimer::singleShot (TEST_TIMEOUT_MS, &dialog, [&dialog] () { dialog.done (0); });
    auto args = Bridge::awaitSignal (&dialog, &QDialog::finished);
    steps_while_open = sibling_steps - before;
    if (args)
      result = std::get<0> (*args);
  });
  run_qt_until_done (task);
  sibling.cancel ();
  g_assert_true (run_qt_until ([&sibling] () { return sibling.isDone (); }));
  g_assert_true (result == 7);
  g_assert_cmpint (steps_while_open, >=, 5);
}

/* ---- connectTask --------------------------------------------------------------- */

struct ConnectRun
{
  int started = 0;
  int finished = 0;
  int cancelled = 0;
  QStringList names;
};

static void
connect_and_emit_three (Bridge::ConnectPolicy policy,
                        ConnectRun           *run)
{
  QObject sender, context;
  /* An event, not a future: cancelling a task cancels the future it awaits. */
  g_autoptr(BridgeEvent) release = bridge_event_new ();

  Bridge::connectTask (&sender, &QObject::objectNameChanged, &context,
                       [run, release] (const QString &name) {
    Bridge::Error error;

    run->started++;
    run->names << name;
    if (bridge_event_wait (release, error.out ()))
      run->finished++;
    else if (error.isCancelled ())
      run->cancelled++;
  }, policy);

  for (const char *name : { "one", "two", "three" })
    {
      sender.setObjectName (QString::fromUtf8 (name));
      /* Each emission's task gets to its await before the next; with
       * Exclusive, the later ones get a moment to (wrongly) start. */
      int expected = run->started + 1;
      bool may_be_ignored = policy == Bridge::ConnectPolicy::Exclusive && run->started > 0;
      run_qt_until ([run, expected] () { return run->started == expected; },
                    may_be_ignored ? 200 : TEST_TIMEOUT_MS);
    }
  bridge_event_set (release);
  g_assert_true (run_qt_until ([run] () { return run->finished + run->cancelled == run->started; }));
}

static void
test_connect_parallel (void)
{
  ConnectRun run;

  connect_and_emit_three (Bridge::ConnectPolicy::Parallel, &run);
  g_assert_cmpint (run.started, ==, 3);
  g_assert_cmpint (run.finished, ==, 3);
  g_assert_true (run.names == QStringList ({ "one", "two", "three" }));
}

static void
test_connect_restart (void)
{
  ConnectRun run;

  connect_and_emit_three (Bridge::ConnectPolicy::Restart, &run);
  g_assert_cmpint (run.started, ==, 3);
  g_assert_cmpint (run.cancelled, ==, 2);
  g_assert_cmpint (run.finished, ==, 1);
}

static void
test_connect_exclusive (void)
{
  ConnectRun run;

  connect_and_emit_three (Bridge::ConnectPolicy::Exclusive, &run);
  g_assert_cmpint (run.started, ==, 1);
  g_assert_cmpint (run.finished, ==, 1);
  g_assert_true (run.names == QStringList ({ "one" }));
}

/* Destroying the context object cancels its tasks and disconnects. */
static void
test_connect_context_destroyed (void)
{
  QObject sender;
  auto *context = new QObject ();
  int started = 0;
  Bridge::Error error;

  Bridge::connectTask (&sender, &QObject::objectNameChanged, context, [&] () {
    started++;
    Bridge::sleep (60, &error);
  });
  sender.setObjectName (QStringLiteral ("go"));
  g_assert_true (run_qt_until ([&started] () { return started == 1; }));
  delete context;
  g_assert_true (run_qt_until ([&error] () { return error.isSet (); }));
  g_assert_true (error.isCancelled ());

  sender.setObjectName (QStringLiteral ("again"));
  run_qt_until ([] () { return false; }, 50);
  g_assert_cmpint (started, ==, 1);
}

/* ---- AsyncClose ------------------------------------------------------------------ */

class ClosingWidget final : public QWidget
{
public:
  int cleanups = 0;
  bool cleanup_done = false;

protected:
  void
  closeEvent (QCloseEvent *event) override
  {
    m_close.handle (this, event, [this] () {
      cleanups++;
      Bridge::sleep (0.02);
      cleanup_done = true;
    });
  }

private:
  Bridge::AsyncClose m_close;
};

static void
test_async_close (void)
{
  ClosingWidget widget;

  widget.show ();
  g_assert_false (widget.close ());   /* refused: the cleanup runs first */
  g_assert_true (widget.isVisible ());
  g_assert_false (widget.close ());   /* refused again, no second cleanup */
  g_assert_true (run_qt_until ([&widget] () { return !widget.isVisible (); }));
  g_assert_true (widget.cleanup_done);
  g_assert_cmpint (widget.cleanups, ==, 1);
}

/* ---- awaitReply -------------------------------------------------------------------- */

static FaultServer *server;

static QUrl
server_url (const char *path_and_query)
{
  return QUrl (QString::fromUtf8 (fault_server_get_uri (server)) + QString::fromUtf8 (path_and_query));
}

static void
test_await_reply (void)
{
  QNetworkAccessManager manager;
  QByteArray body;
  Bridge::Error error;

  auto task = Bridge::spawn ([&] () {
    QNetworkReply *reply = manager.get (QNetworkRequest (server_url ("a?size=100k&seed=3")));
    if (Bridge::awaitReply (reply, &error))
      body = reply->readAll ();
    reply->deleteLater ();
  });
  run_qt_until_done (task);
  g_assert_false (error);
  g_assert_cmpint (body.size (), ==, 100 * 1024);

  QByteArray expected (100 * 1024, '\0');
  fault_server_fill_body (3, 0, reinterpret_cast<guint8 *> (expected.data ()), expected.size ());
  g_assert_true (body == expected);
}

static void
test_await_reply_http_error (void)
{
  QNetworkAccessManager manager;
  Bridge::Error error;
  int status = 0;

  auto task = Bridge::spawn ([&] () {
    QNetworkReply *reply = manager.get (QNetworkRequest (server_url ("b?status=404")));
    Bridge::awaitReply (reply, &error);
    status = reply->attribute (QNetworkRequest::HttpStatusCodeAttribute).toInt ();
    reply->deleteLater ();
  });
  run_qt_until_done (task);
  g_assert_true (error.matches (G_IO_ERROR, G_IO_ERROR_FAILED));
  g_assert_cmpint (status, ==, 404);
}

/* Cancelling the task aborts the request. */
static void
test_await_reply_cancelled (void)
{
  QNetworkAccessManager manager;
  Bridge::Error error;
  QNetworkReply::NetworkError reply_error = QNetworkReply::NoError;

  auto task = Bridge::spawn ([&] () {
    QNetworkReply *reply = manager.get (QNetworkRequest (server_url ("c?size=1m&hang_after=1000")));
    Bridge::awaitReply (reply, &error);
    reply_error = reply->error ();
    reply->deleteLater ();
  });
  QTimer::singleShot (50, [&task] () { task.cancel (); });
  run_qt_until_done (task);
  g_assert_true (error.isCancelled ());
  g_assert_cmpint (reply_error, ==, QNetworkReply::OperationCanceledError);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = nullptr;

  g_test_init (&argc, &argv, nullptr);
  QApplication app (argc, argv);
  fail_on_qt_warnings ();
  Bridge::QtLoop qt_loop;

  server = fault_server_new_in_thread (FALSE, &error);
  g_assert_no_error (error);

  g_test_add_func ("/libbridge/qt/error/holder", test_error_holder);
  g_test_add_func ("/libbridge/qt/handle/references", test_handle_references);
  g_test_add_func ("/libbridge/qt/task/values", test_task_values);
  g_test_add_func ("/libbridge/qt/task/cancelled", test_task_cancelled);
  g_test_add_func ("/libbridge/qt/task/exception", test_task_exception);
  g_test_add_func ("/libbridge/qt/await-signal/arguments", test_await_signal_arguments);
  g_test_add_func ("/libbridge/qt/await-signal/timeout", test_await_signal_timeout);
  g_test_add_func ("/libbridge/qt/await-signal/cancelled", test_await_signal_cancelled);
  g_test_add_func ("/libbridge/qt/await-signal/sender-destroyed", test_await_signal_sender_destroyed);
  g_test_add_func ("/libbridge/qt/await-signal/outside-task", test_await_signal_outside_task);
  g_test_add_func ("/libbridge/qt/await-signal/other-thread", test_await_signal_other_thread);
  g_test_add_func ("/libbridge/qt/await-signal/dialog-open", test_await_signal_dialog_open);
  g_test_add_func ("/libbridge/qt/connect-task/parallel", test_connect_parallel);
  g_test_add_func ("/libbridge/qt/connect-task/restart", test_connect_restart);
  g_test_add_func ("/libbridge/qt/connect-task/exclusive", test_connect_exclusive);
  g_test_add_func ("/libbridge/qt/connect-task/context-destroyed", test_connect_context_destroyed);
  g_test_add_func ("/libbridge/qt/async-close", test_async_close);
  g_test_add_func ("/libbridge/qt/await-reply/ok", test_await_reply);
  g_test_add_func ("/libbridge/qt/await-reply/http-error", test_await_reply_http_error);
  g_test_add_func ("/libbridge/qt/await-reply/cancelled", test_await_reply_cancelled);

  int status = g_test_run ();
  fault_server_free (server);
  return status;
}
