/* test-spawn-async.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "test-gio-util.h"

/* bridge_spawn_async()/bridge_spawn_finish(): a coroutine published as a
 * classic foo_async()/foo_finish() pair, used from plain callback code (no
 * task in sight) and from a task through bridge_async_ready(). */

/* ---- a context driven by plain code ----------------------------------------------- */

typedef struct
{
  GMainContext *context;
  BridgeLoop   *loop;
} Ctx;

static void
ctx_begin (Ctx *ctx)
{
  ctx->context = g_main_context_new ();
  g_main_context_push_thread_default (ctx->context);
  ctx->loop = bridge_loop_new (ctx->context);
}

static void
ctx_end (Ctx *ctx)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_loop_close (ctx->loop, &error));
  g_assert_no_error (error);
  g_assert_finalize_object (ctx->loop);
  g_main_context_pop_thread_default (ctx->context);
  g_main_context_unref (ctx->context);
}

/* ---- bodies --------------------------------------------------------------------- */

typedef struct
{
  const char   *mode;
  gboolean      ran;
  gboolean      saw_cancel;
  guint         destroyed;
  BridgeFuture *destroyed_future;   /* optional, completed on destroy */
  BridgeCallback on_parked;          /* optional, runs once "sleep" parks */
  gpointer       on_parked_data;
} Body;

static void
body_destroy (gpointer data)
{
  Body *body = data;

  body->destroyed++;
  if (body->destroyed_future != NULL)
    bridge_future_set_value (body->destroyed_future, NULL, NULL);
}

static void
body_func (BridgeTask *task,
           gpointer    user_data)
{
  Body *body = user_data;
  g_autoptr(GError) error = NULL;

  body->ran = TRUE;

  if (g_str_equal (body->mode, "int"))
    {
      g_assert_true (bridge_sleep (0.01, &error));
      bridge_task_return_int64 (task, 42);
    }
  else if (g_str_equal (body->mode, "error"))
    bridge_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "nope");
  else if (g_str_equal (body->mode, "sleep"))
    {
      /* Runs from the ready queue, so after this task has parked below. */
      if (body->on_parked != NULL)
        bridge_loop_call_soon (bridge_loop_get_default (), body->on_parked, body->on_parked_data, NULL);
      /* Cleanup after the cancellation runs, then the task ends cancelled. */
      body->saw_cancel = !bridge_sleep (30, &error) &&
                         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    }
  else if (g_str_equal (body->mode, "value"))
    {
      g_auto(GValue) value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_UINT);
      g_value_set_uint (&value, 7);
      bridge_task_return_value (task, &value);
    }
  else if (g_str_equal (body->mode, "object"))
    {
      g_autoptr(GObject) object = g_object_new (G_TYPE_OBJECT, NULL);
      bridge_task_return_object (task, object);
    }
  else if (g_str_equal (body->mode, "pointer"))
    bridge_task_return_pointer (task, g_strdup ("pointer"), g_free);
  else if (g_str_equal (body->mode, "boolean"))
    bridge_task_return_boolean (task, TRUE);
  else if (g_str_equal (body->mode, "string"))
    bridge_task_return_string (task, "string");
  else if (g_str_equal (body->mode, "none"))
    ;
  else
    g_assert_not_reached ();
}

/* A published API whose body is the coroutine above. */
static void
my_fetch_async (GObject             *self,
                Body                *body,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  bridge_spawn_async (self, cancellable, callback, user_data, body_func, body, body_destroy);
}

static gint64
my_fetch_finish (GObject       *self,
                 GAsyncResult  *result,
                 GError       **error)
{
  g_assert_true (g_task_is_valid (result, self));
  return bridge_spawn_finish_int64 (result, error);
}

/* ---- the caller's side: plain callbacks ------------------------------------------- */

typedef struct
{
  gboolean  done;
  GObject  *source;
  gboolean  tagged;
  gboolean  in_context;
  gint64    value;
  GError   *error;
  gint64    at;
} Outcome;

static void
int_ready_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->source = source;
  outcome->tagged = g_async_result_is_tagged (result, bridge_spawn_async);
  outcome->in_context = g_main_context_is_owner (g_main_context_get_thread_default ());
  outcome->value = my_fetch_finish (source, result, &outcome->error);
  outcome->at = g_get_monotonic_time ();
  outcome->done = TRUE;
}

static void
test_result (void)
{
  Ctx ctx;
  Body body = { .mode = "int" };
  Outcome outcome = { 0 };
  g_autoptr(GObject) source = g_object_new (G_TYPE_OBJECT, NULL);

  ctx_begin (&ctx);
  my_fetch_async (source, &body, NULL, int_ready_cb, &outcome);
  g_assert_false (outcome.done);
  test_run_until (ctx.context, outcome.done, TEST_TIMEOUT_SECONDS);

  g_assert_no_error (outcome.error);
  g_assert_cmpint (outcome.value, ==, 42);
  g_assert_true (outcome.source == source);
  g_assert_true (outcome.tagged);
  g_assert_true (outcome.in_context);
  g_assert_cmpuint (body.destroyed, ==, 1);
  ctx_end (&ctx);
}

static void
test_error (void)
{
  Ctx ctx;
  Body body = { .mode = "error" };
  Outcome outcome = { 0 };
  g_autoptr(GObject) source = g_object_new (G_TYPE_OBJECT, NULL);

  ctx_begin (&ctx);
  my_fetch_async (source, &body, NULL, int_ready_cb, &outcome);
  test_run_until (ctx.context, outcome.done, TEST_TIMEOUT_SECONDS);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_cmpint (outcome.value, ==, 0);
  g_clear_error (&outcome.error);
  ctx_end (&ctx);
}

static gint64 cancelled_at;

static void
cancel_cb (gpointer user_data)
{
  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (user_data);
}

static void
test_cancel (void)
{
  Ctx ctx;
  Body body = { .mode = "sleep" };
  Outcome outcome = { 0 };
  g_autoptr(GObject) source = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  ctx_begin (&ctx);
  body.on_parked = cancel_cb;
  body.on_parked_data = cancellable;
  my_fetch_async (source, &body, cancellable, int_ready_cb, &outcome);

  test_run_until (ctx.context, outcome.done, TEST_TIMEOUT_SECONDS);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&outcome.error);
  /* The body was cancelled at its await, cleaned up, and the caller heard
   * of it at once. */
  g_assert_true (body.saw_cancel);
  g_assert_cmpuint (body.destroyed, ==, 1);
  g_test_message ("called back %" G_GINT64_FORMAT " µs after the cancellation",
                  outcome.at - cancelled_at);
  g_assert_cmpint (outcome.at - cancelled_at, <, TEST_PROMPT_USEC);
  ctx_end (&ctx);
}

static void
test_cancelled_before (void)
{
  Ctx ctx;
  Body body = { .mode = "int" };
  Outcome outcome = { 0 };
  g_autoptr(GObject) source = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  ctx_begin (&ctx);
  g_cancellable_cancel (cancellable);
  my_fetch_async (source, &body, cancellable, int_ready_cb, &outcome);
  test_run_until (ctx.context, outcome.done, TEST_TIMEOUT_SECONDS);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&outcome.error);
  /* The body never started, and its data was still freed. */
  g_assert_false (body.ran);
  g_assert_cmpuint (body.destroyed, ==, 1);
  ctx_end (&ctx);
}

typedef struct
{
  GCancellable *cancellable;
  GMutex        lock;
  GCond         cond;
  gboolean      go;
} ThreadCancel;

static gpointer
cancel_thread_main (gpointer data)
{
  ThreadCancel *tc = data;

  g_mutex_lock (&tc->lock);
  while (!tc->go)
    g_cond_wait (&tc->cond, &tc->lock);
  g_mutex_unlock (&tc->lock);

  g_cancellable_cancel (tc->cancellable);
  return NULL;
}

static void
release_cancel_thread_cb (gpointer user_data)
{
  ThreadCancel *tc = user_data;

  g_mutex_lock (&tc->lock);
  tc->go = TRUE;
  g_cond_signal (&tc->cond);
  g_mutex_unlock (&tc->lock);
}

static void
test_cancel_from_thread (void)
{
  Ctx ctx;
  Body body = { .mode = "sleep" };
  Outcome outcome = { 0 };
  g_autoptr(GObject) source = g_object_new (G_TYPE_OBJECT, NULL);
  ThreadCancel tc = { .cancellable = g_cancellable_new () };
  GThread *thread;

  g_mutex_init (&tc.lock);
  g_cond_init (&tc.cond);
  ctx_begin (&ctx);
  /* The thread cancels once the body is parked in its sleep. */
  body.on_parked = release_cancel_thread_cb;
  body.on_parked_data = &tc;
  my_fetch_async (source, &body, tc.cancellable, int_ready_cb, &outcome);
  thread = g_thread_new ("canceller", cancel_thread_main, &tc);

  test_run_until (ctx.context, outcome.done, TEST_TIMEOUT_SECONDS);
  g_thread_join (thread);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&outcome.error);
  g_assert_true (body.saw_cancel);
  g_assert_cmpuint (body.destroyed, ==, 1);

  ctx_end (&ctx);
  g_object_unref (tc.cancellable);
  g_mutex_clear (&tc.lock);
  g_cond_clear (&tc.cond);
}

/* ---- the typed finishers ---------------------------------------------------------- */

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
run_mode (Ctx        *ctx,
          const char *mode)
{
  Body body = { .mode = mode };
  GAsyncResult *result = NULL;

  bridge_spawn_async (NULL, NULL, store_result_cb, &result, body_func, &body, body_destroy);
  test_run_until (ctx->context, result != NULL, TEST_TIMEOUT_SECONDS);
  g_assert_cmpuint (body.destroyed, ==, 1);
  return result;
}

static void
test_finishers (void)
{
  Ctx ctx;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result;
  GValue value = G_VALUE_INIT;
  gpointer object;
  char *string;

  ctx_begin (&ctx);

  result = run_mode (&ctx, "value");
  g_assert_true (bridge_spawn_finish (result, &value, &error));
  g_assert_no_error (error);
  g_assert_true (G_VALUE_HOLDS_UINT (&value));
  g_assert_cmpuint (g_value_get_uint (&value), ==, 7);
  g_value_unset (&value);
  g_object_unref (result);

  result = run_mode (&ctx, "none");
  g_assert_true (bridge_spawn_finish (result, &value, &error));
  g_assert_false (G_IS_VALUE (&value));
  g_object_unref (result);

  result = run_mode (&ctx, "object");
  object = bridge_spawn_finish_object (result, &error);
  g_assert_no_error (error);
  g_assert_true (G_IS_OBJECT (object));
  g_object_unref (result);
  g_assert_finalize_object (object);

  result = run_mode (&ctx, "pointer");
  string = bridge_spawn_finish_pointer (result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (string, ==, "pointer");
  g_object_unref (result);
  g_free (string);

  result = run_mode (&ctx, "boolean");
  g_assert_true (bridge_spawn_finish_boolean (result, &error));
  g_assert_no_error (error);
  g_object_unref (result);

  result = run_mode (&ctx, "string");
  string = bridge_spawn_finish_string (result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (string, ==, "string");
  g_free (string);
  g_object_unref (result);

  result = run_mode (&ctx, "error");
  g_assert_null (bridge_spawn_finish_string (result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_object_unref (result);

  ctx_end (&ctx);
}

/* ---- a body doing GIO, awaited by another task ---------------------------------- */

static void
load_body (BridgeTask *task,
           gpointer    user_data)
{
  GFile *file = user_data;
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  if (bridge_file_load_contents (file, &contents, NULL, NULL, &error))
    bridge_task_return_pointer (task, contents, g_free);
  else
    bridge_task_return_error (task, g_steal_pointer (&error));
}

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  char **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = bridge_spawn_finish_pointer (result, &error);
  g_assert_no_error (error);
}

static void
test_gio_body (void)
{
  Ctx ctx;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *contents = NULL;
  int fd = g_file_open_tmp ("bridge-spawn-async-XXXXXX", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, "coroutine body", -1, &error);
  g_assert_no_error (error);
  file = g_file_new_for_path (path);

  ctx_begin (&ctx);
  bridge_spawn_async (NULL, NULL, store_cb, &contents, load_body, g_object_ref (file), g_object_unref);
  test_run_until (ctx.context, contents != NULL, TEST_TIMEOUT_SECONDS);
  g_assert_cmpstr (contents, ==, "coroutine body");
  ctx_end (&ctx);
  g_unlink (path);
}

static void
cancel_outer_cb (gpointer user_data)
{
  TestCanceller *canceller = user_data;

  test_cancel_now (canceller, canceller->task);
}

static void
nested_body (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(GObject) source = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  Body inner = { .mode = "int" };
  Body sleeper = { .mode = "sleep" };
  TestCanceller canceller;
  BridgeFuture *f;

  /* From a task, the published pair is awaited like any GIO call. */
  f = bridge_async_result_future_new ();
  my_fetch_async (source, &inner, bridge_task_get_cancellable (task), bridge_async_ready, f);
  res = bridge_await_async_result (f, &error);
  g_assert_no_error (error);
  g_assert_cmpint (my_fetch_finish (source, res, &error), ==, 42);
  g_assert_no_error (error);
  g_clear_object (&res);

  /* Cancelling the awaiting task cancels the inner one through the
   * cancellable it was given. */
  sleeper.destroyed_future = bridge_future_new ();
  sleeper.on_parked = cancel_outer_cb;
  sleeper.on_parked_data = &canceller;
  canceller.task = task;
  f = bridge_async_result_future_new ();
  my_fetch_async (source, &sleeper, bridge_task_get_cancellable (task), bridge_async_ready, f);
  res = bridge_await_async_result (f, &error);
  test_assert_woke_promptly (&canceller);
  g_assert_null (res);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  bridge_task_uncancel (task);
  test_await_watch (sleeper.destroyed_future);
  g_assert_true (sleeper.saw_cancel);
}

static void
test_nested (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (nested_body, NULL, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/spawn-async/result", test_result);
  g_test_add_func ("/libbridge/spawn-async/error", test_error);
  g_test_add_func ("/libbridge/spawn-async/cancel", test_cancel);
  g_test_add_func ("/libbridge/spawn-async/cancelled-before", test_cancelled_before);
  g_test_add_func ("/libbridge/spawn-async/cancel-from-thread", test_cancel_from_thread);
  g_test_add_func ("/libbridge/spawn-async/finishers", test_finishers);
  g_test_add_func ("/libbridge/spawn-async/gio-body", test_gio_body);
  g_test_add_func ("/libbridge/spawn-async/awaited-from-task", test_nested);

  return g_test_run ();
}
