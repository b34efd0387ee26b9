/* test-async-result.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libbridge.h>
#include <glib/gstdio.h>

#include "test-gio-util.h"

/* The generic GAsyncReadyCallback adapter: bridge_async_ready() and
 * bridge_await_async_result(), with real GIO calls and with a fake
 * operation whose callback the test controls (late, synchronous, from
 * another thread). */

/* ---- helpers ------------------------------------------------------------------------ */

static void
set_flag_cb (gpointer  user_data,
             GObject  *where_the_object_was)
{
  *(gboolean *) user_data = TRUE;
}

static GFile *
make_temp_file (const char *contents)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("bridge-test-XXXXXX", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return g_file_new_for_path (path);
}

/* ---- a fake operation ----------------------------------------------------------------- */

typedef enum
{
  FAKE_LATE,          /* calls back when released, ignoring cancellation */
  FAKE_HONOR_CANCEL,  /* calls back CANCELLED soon after its cancellable fires */
  FAKE_SYNCHRONOUS,   /* calls back inside the _async call */
  FAKE_THREAD,        /* calls back from another thread when released */
} FakeMode;

typedef struct
{
  GTask               *task;
  GAsyncReadyCallback  callback;
  gpointer             user_data;
  GMutex               lock;
  GCond                cond;
  gboolean             released;
  GThread             *thread;
  gulong               cancel_handler;
  /* Observed inside the cancellable's handler, for the ordering test. */
  BridgeTask          *watched_task;
  BridgeFuture        *watched_future;
  gboolean             future_done_at_cancel;
  BridgeTaskState      task_state_at_cancel;
  guint                cancel_seen;
} FakeOp;

static FakeOp fake;

static gboolean
fake_return_cancelled_cb (gpointer user_data)
{
  GTask *task = user_data;

  /* The handler holds the GTask, which holds the cancellable: break that. */
  g_cancellable_disconnect (g_task_get_cancellable (task), fake.cancel_handler);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "fake operation cancelled");
  return G_SOURCE_REMOVE;
}

static void
fake_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *task = user_data;
  GSource *idle;

  fake.cancel_seen++;
  if (fake.watched_future != NULL)
    {
      fake.future_done_at_cancel = bridge_future_is_done (fake.watched_future);
      fake.task_state_at_cancel = bridge_task_get_state (fake.watched_task);
    }
  /* Like GIO: the cancellation is reported from the main loop, later. */
  idle = g_idle_source_new ();
  g_source_set_callback (idle, fake_return_cancelled_cb, g_object_ref (task), g_object_unref);
  g_source_attach (idle, g_task_get_context (task));
  g_source_unref (idle);
}

static gpointer
fake_thread_main (gpointer data)
{
  g_mutex_lock (&fake.lock);
  while (!fake.released)
    g_cond_wait (&fake.cond, &fake.lock);
  g_mutex_unlock (&fake.lock);

  g_task_return_int (fake.task, 42);
  fake.callback (NULL, G_ASYNC_RESULT (fake.task), fake.user_data);
  g_clear_object (&fake.task);
  return NULL;
}

static void
fake_op_async (FakeMode             mode,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_assert_null (fake.task);
  fake.released = FALSE;

  switch (mode)
    {
    case FAKE_LATE:
      fake.task = g_task_new (NULL, cancellable, callback, user_data);
      g_task_set_check_cancellable (fake.task, FALSE);
      break;

    case FAKE_HONOR_CANCEL:
      fake.task = g_task_new (NULL, cancellable, callback, user_data);
      fake.cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (fake_cancelled_cb),
                                                   g_object_ref (fake.task), g_object_unref);
      break;

    case FAKE_SYNCHRONOUS:
      {
        /* No GTask callback: we call it ourselves, right now. */
        g_autoptr(GTask) task = g_task_new (NULL, cancellable, NULL, NULL);

        g_task_return_int (task, 7);
        callback (NULL, G_ASYNC_RESULT (task), user_data);
      }
      break;

    case FAKE_THREAD:
      fake.task = g_task_new (NULL, cancellable, NULL, NULL);
      g_task_set_check_cancellable (fake.task, FALSE);
      fake.callback = callback;
      fake.user_data = user_data;
      fake.thread = g_thread_new ("fake-op", fake_thread_main, NULL);
      break;

    default:
      g_assert_not_reached ();
    }
}

static gint64
fake_op_finish (GAsyncResult  *result,
                GError       **error)
{
  return g_task_propagate_int (G_TASK (result), error);
}

/* Makes a FAKE_LATE or FAKE_THREAD operation call back now. */
static void
fake_op_release (void)
{
  if (fake.thread != NULL)
    {
      g_mutex_lock (&fake.lock);
      fake.released = TRUE;
      g_cond_signal (&fake.cond);
      g_mutex_unlock (&fake.lock);
      return;
    }

  g_task_return_int (fake.task, 42);
  g_clear_object (&fake.task);
}

static void
fake_op_join (void)
{
  if (fake.thread != NULL)
    g_thread_join (g_steal_pointer (&fake.thread));
}

/* ---- real GIO ------------------------------------------------------------------------- */

static void
file_read_body (BridgeTask *task,
                gpointer    user_data)
{
  GFile *file = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  char buffer[64] = { 0 };
  gsize n = 0;
  BridgeFuture *f;

  /* The documented pattern, word for word. */
  f = bridge_async_result_future_new ();
  g_file_read_async (file, G_PRIORITY_DEFAULT,
                     bridge_task_get_cancellable (bridge_task_get_current ()),
                     bridge_async_ready, f);
  res = bridge_await_async_result (f, &error);
  g_assert_no_error (error);
  g_assert_true (G_IS_ASYNC_RESULT (res));
  stream = g_file_read_finish (file, res, &error);
  g_assert_no_error (error);

  g_input_stream_read_all (G_INPUT_STREAM (stream), buffer, sizeof buffer - 1, &n, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (buffer, ==, "awaited");
  bridge_task_return_boolean (task, TRUE);
}

static void
test_file_read (void)
{
  g_autoptr(GFile) file = make_temp_file ("awaited");
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (file_read_body, file, &error));
  g_assert_no_error (error);
  g_file_delete (file, NULL, NULL);
}

static void
unwrapped_body (BridgeTask *task,
                gpointer    user_data)
{
  const char *dir = user_data;
  g_autoptr(GFile) file = g_file_new_for_path (dir);
  g_autoptr(GFileEnumerator) enumerator = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable = bridge_task_get_cancellable (task);
  GList *infos;
  BridgeFuture *f;
  guint n = 0;

  /* Two GIO calls libbridge has no wrapper for. */
  f = bridge_async_result_future_new ();
  g_file_enumerate_children_async (file, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NONE,
                                   G_PRIORITY_DEFAULT, cancellable, bridge_async_ready, f);
  res = bridge_await_async_result (f, &error);
  g_assert_no_error (error);
  enumerator = g_file_enumerate_children_finish (file, res, &error);
  g_assert_no_error (error);
  g_clear_object (&res);

  do
    {
      f = bridge_async_result_future_new ();
      g_file_enumerator_next_files_async (enumerator, 2, G_PRIORITY_DEFAULT, cancellable,
                                          bridge_async_ready, f);
      res = bridge_await_async_result (f, &error);
      g_assert_no_error (error);
      infos = g_file_enumerator_next_files_finish (enumerator, res, &error);
      g_assert_no_error (error);
      g_clear_object (&res);
      n += g_list_length (infos);
      g_list_free_full (infos, g_object_unref);
    }
  while (infos != NULL);

  bridge_task_return_int64 (task, n);
}

static void
test_unwrapped_api (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeTask) task = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bridge-test-XXXXXX", &error);

  g_assert_no_error (error);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/file-%u", dir, i);
      g_file_set_contents (path, "x", 1, &error);
      g_assert_no_error (error);
    }

  g_assert_true (test_run_task_full (NULL, 0, unwrapped_body, dir, &task, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (task), NULL), ==, 5);

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/file-%u", dir, i);
      g_unlink (path);
    }
  g_rmdir (dir);
}

static void
finish_error_body (BridgeTask *task,
                   gpointer    user_data)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/nonexistent/bridge-test");
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  BridgeFuture *f = bridge_async_result_future_new ();

  g_file_read_async (file, G_PRIORITY_DEFAULT, bridge_task_get_cancellable (task),
                     bridge_async_ready, f);
  /* The operation's own error is the _finish function's business. */
  res = bridge_await_async_result (f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (res);
  stream = g_file_read_finish (file, res, &error);
  g_assert_null (stream);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_finish_error (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (finish_error_body, NULL, &error));
  g_assert_no_error (error);
}

/* ---- cancellation ------------------------------------------------------------------ */

static void
cancel_late_body (BridgeTask *task,
                  gpointer    user_data)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  BridgeFuture *watch;
  TestCanceller canceller;
  BridgeFuture *f = bridge_async_result_future_new ();

  fake_op_async (FAKE_LATE, bridge_task_get_cancellable (task), bridge_async_ready, f);
  watch = test_watch_finalize (fake.task);
  test_cancel_later (&canceller, 0.02);

  res = bridge_await_async_result (f, &error);
  /* Woken by the cancellation, long before the operation calls back. */
  test_assert_woke_promptly (&canceller);
  g_assert_null (res);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_nonnull (fake.task);
  g_assert_true (g_cancellable_is_cancelled (bridge_task_get_cancellable (task)));

  /* The late callback lands in a cancelled future that is still alive. */
  bridge_task_uncancel (task);
  fake_op_release ();
  test_await_watch (watch);
}

static void
test_cancel_late (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (cancel_late_body, NULL, &error));
  g_assert_no_error (error);
}

static void
cancel_order_body (BridgeTask *task,
                   gpointer    user_data)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  BridgeFuture *watch;
  BridgeFuture *f = bridge_async_result_future_new ();

  fake_op_async (FAKE_HONOR_CANCEL, bridge_task_get_cancellable (task), bridge_async_ready, f);
  fake.watched_task = task;
  fake.watched_future = bridge_future_ref (f);
  fake.cancel_seen = 0;
  watch = test_watch_finalize (fake.task);
  g_clear_object (&fake.task);

  res = bridge_await_async_result (f, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (res);

  /* The GCancellable fired first, while the awaited future was still
   * pending and the task still parked; the future was cancelled next; the
   * task resumed last. */
  g_assert_cmpuint (fake.cancel_seen, ==, 1);
  g_assert_false (fake.future_done_at_cancel);
  g_assert_cmpint (fake.task_state_at_cancel, ==, BRIDGE_TASK_STATE_PARKED);
  g_assert_true (bridge_future_is_cancelled (fake.watched_future));
  g_clear_pointer (&fake.watched_future, bridge_future_unref);

  /* And the operation, stopped by the cancellable, still called back. */
  bridge_task_uncancel (task);
  test_await_watch (watch);
}

static void
cancel_order_canceller (BridgeTask *task,
                        gpointer    user_data)
{
  BridgeTask *victim = user_data;
  BridgeFuture *awaited;

  /* Wait until the victim is parked on the operation. */
  while (bridge_task_get_awaiting (victim) == NULL)
    bridge_yield (NULL);

  awaited = bridge_task_get_awaiting (victim);
  g_assert_true (bridge_task_cancel (victim, NULL));
  /* bridge_task_cancel() cancelled the cancellable and the future, but did
   * not resume the victim: that happens from the ready queue. */
  g_assert_true (bridge_future_is_cancelled (awaited));
  g_assert_cmpint (bridge_task_get_state (victim), ==, BRIDGE_TASK_STATE_PARKED);
}

static void
test_cancel_order (void)
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
  g_autoptr(BridgeTask) victim = NULL;
  g_autoptr(BridgeTask) canceller = NULL;
  g_autoptr(GError) error = NULL;

  victim = bridge_spawn_full (loop, "victim", 0, cancel_order_body, NULL, NULL);
  canceller = bridge_spawn_full (loop, "canceller", 0, cancel_order_canceller, victim, NULL);
  bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (victim), &error);
  bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (canceller), &error);
  g_assert_no_error (error);
  g_assert_true (bridge_loop_close (loop, &error));
}

static void
cancel_before_await_body (BridgeTask *task,
                          gpointer    user_data)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/");
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  BridgeFuture *f;

  /* Cancelled while running: the cancellation is pending, not delivered. */
  bridge_task_cancel (task, NULL);
  g_assert_true (g_cancellable_is_cancelled (bridge_task_get_cancellable (task)));

  f = bridge_async_result_future_new ();
  g_file_query_info_async (file, G_FILE_ATTRIBUTE_STANDARD_TYPE, G_FILE_QUERY_INFO_NONE,
                           G_PRIORITY_DEFAULT, bridge_task_get_cancellable (task),
                           bridge_async_ready, f);
  res = bridge_await_async_result (f, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (res);
}

static void
test_cancel_before_await (void)
{
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (test_run_task_full (NULL, 0, cancel_before_await_body, NULL, &task, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
}

static void
uncancel_body (BridgeTask *task,
               gpointer    user_data)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/");
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *first;
  GCancellable *second;
  BridgeFuture *f;

  first = bridge_task_get_cancellable (task);
  g_object_ref (first);
  bridge_task_cancel (task, NULL);
  g_assert_false (bridge_sleep (10, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_true (g_cancellable_is_cancelled (first));

  /* Carrying on after a cancellation (what a timeout scope does): the task
   * gets a fresh cancellable, so its GIO calls work again. */
  g_assert_cmpuint (bridge_task_uncancel (task), ==, 0);
  second = bridge_task_get_cancellable (task);
  g_assert_true (second != first);
  g_assert_false (g_cancellable_is_cancelled (second));
  g_object_unref (first);

  f = bridge_async_result_future_new ();
  g_file_query_info_async (file, G_FILE_ATTRIBUTE_STANDARD_TYPE, G_FILE_QUERY_INFO_NONE,
                           G_PRIORITY_DEFAULT, bridge_task_get_cancellable (task),
                           bridge_async_ready, f);
  res = bridge_await_async_result (f, &error);
  g_assert_no_error (error);
  info = g_file_query_info_finish (file, res, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_file_info_get_file_type (info), ==, G_FILE_TYPE_DIRECTORY);
}

static void
test_uncancel_fresh_cancellable (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (uncancel_body, NULL, &error));
  g_assert_no_error (error);
}

/* ---- unusual callers ------------------------------------------------------------------ */

static void
synchronous_body (BridgeTask *task,
                  gpointer    user_data)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  BridgeFuture *f = bridge_async_result_future_new ();

  /* The callback runs inside the _async call: the await returns at once. */
  fake_op_async (FAKE_SYNCHRONOUS, bridge_task_get_cancellable (task), bridge_async_ready, f);
  g_assert_true (bridge_future_is_done (f));
  res = bridge_await_async_result (f, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fake_op_finish (res, &error), ==, 7);
  g_assert_no_error (error);
}

static void
test_synchronous_callback (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (synchronous_body, NULL, &error));
  g_assert_no_error (error);
}

static void
thread_callback_body (BridgeTask *task,
                      gpointer    user_data)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  GThread *self = g_thread_self ();
  BridgeFuture *f = bridge_async_result_future_new ();

  /* An API that calls back from its own thread: the result still reaches
   * the task on the loop's thread. */
  fake_op_async (FAKE_THREAD, bridge_task_get_cancellable (task), bridge_async_ready, f);
  fake_op_release ();
  res = bridge_await_async_result (f, &error);
  g_assert_no_error (error);
  g_assert_true (g_thread_self () == self);
  g_assert_cmpint (fake_op_finish (res, &error), ==, 42);
  g_assert_no_error (error);
  fake_op_join ();
}

static void
test_thread_callback (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (thread_callback_body, NULL, &error));
  g_assert_no_error (error);
}

static void
thread_callback_cancelled_body (BridgeTask *task,
                                gpointer    user_data)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  BridgeFuture *watch;
  TestCanceller canceller;
  BridgeFuture *f = bridge_async_result_future_new ();

  fake_op_async (FAKE_THREAD, bridge_task_get_cancellable (task), bridge_async_ready, f);
  watch = test_watch_finalize (fake.task);
  test_cancel_later (&canceller, 0.02);
  res = bridge_await_async_result (f, &error);
  test_assert_woke_promptly (&canceller);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The result arrives from the other thread into a cancelled future: it
   * is dropped quietly (no critical, no leak). */
  bridge_task_uncancel (task);
  fake_op_release ();
  test_await_watch (watch);
  fake_op_join ();
}

static void
test_thread_callback_cancelled (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (thread_callback_cancelled_body, NULL, &error));
  g_assert_no_error (error);
}

static void
test_outside_task (void)
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  gboolean finalized = FALSE;
  BridgeFuture *f;

  g_main_context_push_thread_default (bridge_loop_get_context (loop));
  f = bridge_async_result_future_new ();
  fake_op_async (FAKE_LATE, NULL, bridge_async_ready, f);
  g_object_weak_ref (G_OBJECT (fake.task), set_flag_cb, &finalized);

  res = bridge_await_async_result (f, &error);
  g_assert_null (res);
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_main_context_pop_thread_default (bridge_loop_get_context (loop));

  /* The operation goes on and its callback finds a future nobody awaits. */
  fake_op_release ();
  test_run_until (bridge_loop_get_context (loop), finalized, TEST_TIMEOUT_SECONDS);
  g_assert_true (bridge_loop_close (loop, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_mutex_init (&fake.lock);
  g_cond_init (&fake.cond);

  g_test_add_func ("/libbridge/async-result/file-read", test_file_read);
  g_test_add_func ("/libbridge/async-result/unwrapped-api", test_unwrapped_api);
  g_test_add_func ("/libbridge/async-result/finish-error", test_finish_error);
  g_test_add_func ("/libbridge/async-result/cancel-wakes-at-once", test_cancel_late);
  g_test_add_func ("/libbridge/async-result/cancel-order", test_cancel_order);
  g_test_add_func ("/libbridge/async-result/cancel-before-await", test_cancel_before_await);
  g_test_add_func ("/libbridge/async-result/uncancel-fresh-cancellable", test_uncancel_fresh_cancellable);
  g_test_add_func ("/libbridge/async-result/synchronous-callback", test_synchronous_callback);
  g_test_add_func ("/libbridge/async-result/thread-callback", test_thread_callback);
  g_test_add_func ("/libbridge/async-result/thread-callback-cancelled", test_thread_callback_cancelled);
  g_test_add_func ("/libbridge/async-result/outside-task", test_outside_task);

  return g_test_run ();
}
