/* test-task.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libbridge.h>

#include "test-util.h"

static void
run_task_until_done (LoopFixture *fixture,
                     BridgeTask  *task)
{
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (task)), TEST_TIMEOUT_SECONDS);
}

static guint
count_tasks (BridgeLoop *loop)
{
  g_autoptr(GPtrArray) listed = bridge_loop_list_tasks (loop);

  return listed->len;
}

/* ---- spawning -------------------------------------------------------------------- */

typedef struct
{
  guint       ran;
  guint       destroyed;
  BridgeTask *seen_current;
  guint       destroyed_when_done;
} SpawnData;

static void
spawn_data_destroy (gpointer user_data)
{
  SpawnData *data = user_data;

  data->destroyed++;
}

static void
record_task (BridgeTask *task,
             gpointer    user_data)
{
  SpawnData *data = user_data;

  data->ran++;
  data->seen_current = bridge_task_get_current ();
  g_assert_cmpint (bridge_task_get_state (task), ==, BRIDGE_TASK_STATE_RUNNING);
  /* The data outlives the body. */
  g_assert_cmpuint (data->destroyed, ==, 0);
}

static void
test_spawn_not_synchronous (LoopFixture   *fixture,
                            gconstpointer  user_data)
{
  SpawnData data = { 0 };
  g_autoptr(BridgeTask) task = NULL;

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, record_task,
                            &data, spawn_data_destroy);
  g_assert_nonnull (task);
  g_assert_true (bridge_future_is_task (BRIDGE_FUTURE (task)));
  g_assert_true (bridge_future_get_loop (BRIDGE_FUTURE (task)) == fixture->loop);

  /* The body starts in a later iteration, never inside spawn. */
  g_assert_cmpuint (data.ran, ==, 0);
  g_assert_cmpint (bridge_task_get_state (task), ==, BRIDGE_TASK_STATE_SCHEDULED);
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (task)));

  run_task_until_done (fixture, task);
  g_assert_cmpuint (data.ran, ==, 1);
  g_assert_true (data.seen_current == task);
  g_assert_cmpint (bridge_task_get_state (task), ==, BRIDGE_TASK_STATE_DONE);
  /* Returning without a result is success with no value (None). */
  g_assert_false (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
  g_assert_true (bridge_future_get_value (BRIDGE_FUTURE (task), NULL, NULL));
  /* The data was released when the body returned, once. */
  g_assert_cmpuint (data.destroyed, ==, 1);
  g_clear_pointer (&task, bridge_task_unref);
  g_assert_cmpuint (data.destroyed, ==, 1);
}

static void
test_spawn_loop_keeps_reference (LoopFixture   *fixture,
                                 gconstpointer  user_data)
{
  SpawnData data = { 0 };

  /* Unlike asyncio's weak set, the loop holds running tasks: dropping the
   * only reference right away does not lose the task. */
  bridge_task_unref (bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT,
                                        record_task, &data, spawn_data_destroy));
  g_assert_cmpuint (count_tasks (fixture->loop), ==, 1);
  test_run_until (fixture->context, data.destroyed == 1, TEST_TIMEOUT_SECONDS);
  g_assert_cmpuint (data.ran, ==, 1);
  test_run_until (fixture->context, count_tasks (fixture->loop) == 0, TEST_TIMEOUT_SECONDS);
}

static void
spawn_child_task (BridgeTask *task,
                  gpointer    user_data)
{
  SpawnData *data = user_data;
  g_autoptr(BridgeTask) child = NULL;
  GError *error = NULL;

  /* bridge_spawn() inside a task uses the task's loop. */
  child = bridge_spawn (record_task, data, NULL);
  g_assert_true (bridge_future_get_loop (BRIDGE_FUTURE (child)) ==
                 bridge_future_get_loop (BRIDGE_FUTURE (task)));
  g_assert_true (bridge_await (BRIDGE_FUTURE (child), &error));
  g_assert_no_error (error);
  g_assert_true (data->seen_current == child);
  g_assert_true (bridge_task_get_current () == task);
}

static void
test_spawn_from_task (LoopFixture   *fixture,
                      gconstpointer  user_data)
{
  SpawnData data = { 0 };
  g_autoptr(BridgeTask) task = NULL;

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, spawn_child_task, &data, NULL);
  run_task_until_done (fixture, task);
  g_assert_cmpuint (data.ran, ==, 1);
  g_assert_true (bridge_future_get_value (BRIDGE_FUTURE (task), NULL, NULL));
}

/* ---- results -------------------------------------------------------------------- */

typedef enum
{
  KIND_NONE,
  KIND_OBJECT,
  KIND_POINTER,
  KIND_BOOLEAN,
  KIND_INT64,
  KIND_DOUBLE,
  KIND_STRING,
  KIND_VALUE,
  KIND_ERROR,
} ResultKind;

static guint pointer_freed;

static void
pointer_free (gpointer pointer)
{
  pointer_freed++;
  g_free (pointer);
}

static void
producer_task (BridgeTask *task,
               gpointer    user_data)
{
  ResultKind kind = GPOINTER_TO_INT (user_data);
  GError *error = NULL;

  /* Produce the result after a real suspension, so the awaiter parks. */
  g_assert_true (bridge_sleep (0.001, &error));
  g_assert_no_error (error);

  switch (kind)
    {
    case KIND_NONE:
      break;
    case KIND_OBJECT:
      {
        g_autoptr(GObject) object = g_object_new (G_TYPE_OBJECT, NULL);
        g_object_set_data (object, "tag", (gpointer) "produced");
        bridge_task_return_object (task, object);
      }
      break;
    case KIND_POINTER:
      bridge_task_return_pointer (task, g_strdup ("owned"), pointer_free);
      break;
    case KIND_BOOLEAN:
      bridge_task_return_boolean (task, TRUE);
      break;
    case KIND_INT64:
      bridge_task_return_int64 (task, G_MAXINT64);
      break;
    case KIND_DOUBLE:
      bridge_task_return_double (task, 0.125);
      break;
    case KIND_STRING:
      {
        char text[] = "text";
        bridge_task_return_string (task, text);
        text[0] = 'X';
      }
      break;
    case KIND_VALUE:
      {
        g_auto(GValue) value = G_VALUE_INIT;
        g_value_init (&value, G_TYPE_UINT);
        g_value_set_uint (&value, 77);
        bridge_task_return_value (task, &value);
      }
      break;
    case KIND_ERROR:
      bridge_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "missing %d", 42);
      break;
    default:
      g_assert_not_reached ();
    }
}

static BridgeTask *
spawn_producer (ResultKind kind)
{
  return bridge_spawn (producer_task, GINT_TO_POINTER (kind), NULL);
}

static void
consumer_task (BridgeTask *task,
               gpointer    user_data)
{
  GError *error = NULL;
  BridgeTask *producer;

  producer = spawn_producer (KIND_OBJECT);
  {
    g_autoptr(GObject) object = bridge_await_object (BRIDGE_FUTURE (producer), &error);
    g_assert_no_error (error);
    g_assert_true (G_IS_OBJECT (object));
    g_assert_cmpstr (g_object_get_data (object, "tag"), ==, "produced");
    /* Ours (transfer full) plus the task's. */
    g_assert_cmpuint (object->ref_count, ==, 2);
  }
  bridge_task_unref (producer);

  /* bridge_await_pointer() takes the pointer: the task no longer frees it. */
  pointer_freed = 0;
  producer = spawn_producer (KIND_POINTER);
  {
    char *pointer = bridge_await_pointer (BRIDGE_FUTURE (producer), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (pointer, ==, "owned");
    g_assert_null (bridge_future_get_pointer (BRIDGE_FUTURE (producer), NULL));
    bridge_task_unref (producer);
    g_assert_cmpuint (pointer_freed, ==, 0);
    g_free (pointer);
  }

  /* Not taken: the task frees it with itself (checked once the loop let
   * go of it too, in test_return_typed()). */
  producer = spawn_producer (KIND_POINTER);
  g_assert_true (bridge_await (BRIDGE_FUTURE (producer), &error));
  g_assert_cmpstr (bridge_future_get_pointer (BRIDGE_FUTURE (producer), NULL), ==, "owned");
  g_assert_cmpuint (pointer_freed, ==, 0);
  bridge_task_unref (producer);

  producer = spawn_producer (KIND_BOOLEAN);
  g_assert_true (bridge_await_boolean (BRIDGE_FUTURE (producer), &error));
  g_assert_no_error (error);
  bridge_task_unref (producer);

  producer = spawn_producer (KIND_INT64);
  g_assert_cmpint (bridge_await_int64 (BRIDGE_FUTURE (producer), &error), ==, G_MAXINT64);
  g_assert_no_error (error);
  bridge_task_unref (producer);

  producer = spawn_producer (KIND_DOUBLE);
  g_assert_cmpfloat (bridge_await_double (BRIDGE_FUTURE (producer), &error), ==, 0.125);
  g_assert_no_error (error);
  bridge_task_unref (producer);

  producer = spawn_producer (KIND_STRING);
  {
    g_autofree char *text = bridge_await_string (BRIDGE_FUTURE (producer), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (text, ==, "text");
  }
  bridge_task_unref (producer);

  producer = spawn_producer (KIND_VALUE);
  {
    g_auto(GValue) value = G_VALUE_INIT;
    g_assert_true (bridge_await_value (BRIDGE_FUTURE (producer), &value, &error));
    g_assert_no_error (error);
    g_assert_true (G_VALUE_HOLDS_UINT (&value));
    g_assert_cmpuint (g_value_get_uint (&value), ==, 77);
  }
  bridge_task_unref (producer);

  producer = spawn_producer (KIND_NONE);
  {
    g_auto(GValue) value = G_VALUE_INIT;
    g_assert_true (bridge_await_value (BRIDGE_FUTURE (producer), &value, &error));
    g_assert_no_error (error);
    g_assert_false (G_IS_VALUE (&value));
  }
  bridge_task_unref (producer);

  producer = spawn_producer (KIND_ERROR);
  g_assert_cmpint (bridge_await_int64 (BRIDGE_FUTURE (producer), &error), ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "missing 42");
  g_clear_error (&error);
  g_assert_false (bridge_future_is_cancelled (BRIDGE_FUTURE (producer)));
  bridge_task_unref (producer);

  bridge_task_return_string (task, "all good");
}

static void
test_return_typed (LoopFixture   *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = bridge_spawn_full (fixture->loop, "consumer", BRIDGE_STACK_SIZE_DEFAULT, consumer_task, NULL, NULL);
  g_assert_true (bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (bridge_future_get_string (BRIDGE_FUTURE (task), NULL), ==, "all good");
  g_assert_cmpuint (pointer_freed, ==, 1);
}

static void
test_return_read_by_loop (LoopFixture   *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  BridgeTask *task;

  /* The result is also there for plain code, through the future API. */
  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, producer_task,
                            GINT_TO_POINTER (KIND_INT64), NULL);
  g_assert_true (bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), &error));
  g_assert_no_error (error);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (task), NULL), ==, G_MAXINT64);
  bridge_task_unref (task);

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, producer_task,
                            GINT_TO_POINTER (KIND_ERROR), NULL);
  g_assert_false (bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  bridge_task_unref (task);
}

static void
return_twice_task (BridgeTask *task,
                   gpointer    user_data)
{
  bridge_task_return_int64 (task, 1);
  g_test_expect_message ("Bridge", G_LOG_LEVEL_CRITICAL, "*already returned a result*");
  bridge_task_return_int64 (task, 2);
  g_test_assert_expected_messages ();

  /* A refused pointer is freed rather than leaked. */
  pointer_freed = 0;
  g_test_expect_message ("Bridge", G_LOG_LEVEL_CRITICAL, "*already returned a result*");
  bridge_task_return_pointer (task, g_strdup ("late"), pointer_free);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (pointer_freed, ==, 1);
}

static void
test_return_twice (LoopFixture   *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(BridgeTask) task = NULL;

  if (!g_test_undefined ())
    {
      g_test_skip ("misuse test");
      return;
    }

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, return_twice_task, NULL, NULL);
  run_task_until_done (fixture, task);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (task), NULL), ==, 1);
}

/* ---- awaiting ------------------------------------------------------------------ */

typedef enum
{
  COMPLETE_VALUE,
  COMPLETE_ERROR,
  COMPLETE_CANCEL,
} CompleteHow;

typedef struct
{
  BridgeFuture *future;
  CompleteHow   how;
  guint         ticks;      /* loop iterations seen by a ticker callback */
  BridgeLoop   *loop;
  gboolean      ticking;
} AwaitData;

static void
complete_cb (gpointer user_data)
{
  AwaitData *data = user_data;

  switch (data->how)
    {
    case COMPLETE_VALUE:
      bridge_future_set_string (data->future, "from a callback", NULL);
      break;
    case COMPLETE_ERROR:
      bridge_future_set_error (data->future, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "refused"), NULL);
      break;
    case COMPLETE_CANCEL:
      bridge_future_cancel (data->future, "the user gave up");
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
awaiter_task (BridgeTask *task,
              gpointer    user_data)
{
  AwaitData *data = user_data;
  g_autofree char *text = NULL;
  GError *error = NULL;

  bridge_loop_call_later (data->loop, 0.005, complete_cb, data, NULL);
  text = bridge_await_string (data->future, &error);

  switch (data->how)
    {
    case COMPLETE_VALUE:
      g_assert_no_error (error);
      g_assert_cmpstr (text, ==, "from a callback");
      break;
    case COMPLETE_ERROR:
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
      g_assert_cmpstr (error->message, ==, "refused");
      g_assert_null (text);
      break;
    case COMPLETE_CANCEL:
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_cmpstr (error->message, ==, "the user gave up");
      /* Not a cancellation of this task: it carries on. */
      g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 0);
      break;
    default:
      g_assert_not_reached ();
    }
  g_clear_error (&error);
  bridge_task_return_boolean (task, TRUE);
}

static void
test_await_outcomes (LoopFixture   *fixture,
                     gconstpointer  user_data)
{
  const CompleteHow hows[] = { COMPLETE_VALUE, COMPLETE_ERROR, COMPLETE_CANCEL };

  for (guint i = 0; i < G_N_ELEMENTS (hows); i++)
    {
      AwaitData data = { bridge_future_new_for_loop (fixture->loop), hows[i], 0, fixture->loop, FALSE };
      g_autoptr(BridgeTask) task = NULL;
      g_autoptr(GError) error = NULL;

      task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, awaiter_task, &data, NULL);
      g_assert_true (bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), &error));
      g_assert_no_error (error);
      g_assert_true (bridge_future_get_boolean (BRIDGE_FUTURE (task), NULL));
      g_assert_false (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
      bridge_future_unref (data.future);
    }
}

static void
ticker_cb (gpointer user_data)
{
  AwaitData *data = user_data;

  data->ticks++;
  if (data->ticking)
    bridge_loop_call_soon (data->loop, ticker_cb, data, NULL);
}

static void
cancel_future_cb (gpointer user_data)
{
  bridge_future_cancel (user_data, NULL);
}

static void
await_done_task (BridgeTask *task,
                 gpointer    user_data)
{
  AwaitData *data = user_data;
  GError *error = NULL;
  guint before;

  /* Let the ticker start. */
  g_assert_true (bridge_yield (&error));

  /* A future that is already done: no suspension at all, as in asyncio. */
  before = data->ticks;
  g_assert_true (bridge_await (data->future, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (data->ticks, ==, before);
  g_assert_cmpint (bridge_future_get_int64 (data->future, NULL), ==, 3);

  /* A pending one suspends until a later iteration. */
  {
    g_autoptr(BridgeFuture) pending = bridge_future_new ();
    bridge_loop_call_soon (data->loop, cancel_future_cb, pending, NULL);
    g_assert_false (bridge_await (pending, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_cmpuint (data->ticks, >, before);
  }

  data->ticking = FALSE;
}

static void
test_await_done_future (LoopFixture   *fixture,
                        gconstpointer  user_data)
{
  AwaitData data = { bridge_future_new_for_loop (fixture->loop), COMPLETE_VALUE, 0, fixture->loop, TRUE };
  g_autoptr(BridgeTask) task = NULL;

  bridge_future_set_int64 (data.future, 3, NULL);
  bridge_loop_call_soon (fixture->loop, ticker_cb, &data, NULL);
  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, await_done_task, &data, NULL);
  run_task_until_done (fixture, task);
  g_assert_true (bridge_future_get_value (BRIDGE_FUTURE (task), NULL, NULL));
  bridge_future_unref (data.future);
  /* Let the last tick go. */
  while (g_main_context_iteration (fixture->context, FALSE))
    ;
}

static void
await_self_task (BridgeTask *task,
                 gpointer    user_data)
{
  GError *error = NULL;

  g_assert_false (bridge_await (BRIDGE_FUTURE (task), &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);
  bridge_task_return_int64 (task, 8);
}

static void
test_await_self (LoopFixture   *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(BridgeTask) task = NULL;

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, await_self_task, NULL, NULL);
  run_task_until_done (fixture, task);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (task), NULL), ==, 8);
}

static void
check_outside_task (BridgeFuture *future)
{
  GError *error = NULL;
  g_auto(GValue) value = G_VALUE_INIT;

  g_assert_null (bridge_task_get_current ());

  g_assert_false (bridge_await (future, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_cmpint (bridge_await_int64 (future, &error), ==, 0);
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_null (bridge_await_pointer (future, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_false (bridge_await_value (future, &value, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_false (bridge_sleep (0.01, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_false (bridge_sleep (0, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_false (bridge_yield (&error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  /* The future is untouched. */
  g_assert_false (bridge_future_is_done (future));
}

static void
outside_in_callback_cb (gpointer user_data)
{
  AwaitData *data = user_data;

  /* A plain callback runs on the loop, but not in a task. */
  check_outside_task (data->future);
  data->ticks++;
}

static void
test_await_outside_task (LoopFixture   *fixture,
                         gconstpointer  user_data)
{
  AwaitData data = { bridge_future_new_for_loop (fixture->loop), COMPLETE_VALUE, 0, fixture->loop, FALSE };

  check_outside_task (data.future);

  bridge_loop_call_soon (fixture->loop, outside_in_callback_cb, &data, NULL);
  test_run_until (fixture->context, data.ticks == 1, TEST_TIMEOUT_SECONDS);

  bridge_future_unref (data.future);
}

typedef struct
{
  BridgeFuture *future;
  guint         depth_reached;
} DeepAwait;

static gint64
await_at_depth (DeepAwait *data,
                guint      depth)
{
  volatile char pad[256];
  GError *error = NULL;
  gint64 result;

  pad[0] = (char) depth;
  pad[255] = (char) ~depth;
  if (depth == 0)
    {
      result = bridge_await_int64 (data->future, &error);
      g_assert_no_error (error);
    }
  else
    result = await_at_depth (data, depth - 1) + 1;

  /* The frame survived the suspension intact. */
  g_assert_cmpint (pad[0], ==, (char) depth);
  g_assert_cmpint (pad[255], ==, (char) ~depth);
  data->depth_reached = MAX (data->depth_reached, depth);
  return result;
}

static void
deep_await_task (BridgeTask *task,
                 gpointer    user_data)
{
  bridge_task_return_int64 (task, await_at_depth (user_data, 100));
}

static void
test_await_from_nested_calls (LoopFixture   *fixture,
                              gconstpointer  user_data)
{
  DeepAwait data = { bridge_future_new_for_loop (fixture->loop), 0 };
  g_autoptr(BridgeTask) task = NULL;

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, deep_await_task, &data, NULL);
  test_run_until (fixture->context, bridge_task_get_state (task) == BRIDGE_TASK_STATE_PARKED, TEST_TIMEOUT_SECONDS);
  g_assert_true (bridge_task_get_awaiting (task) == data.future);
  bridge_future_set_int64 (data.future, 1000, NULL);
  run_task_until_done (fixture, task);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (task), NULL), ==, 1100);
  g_assert_cmpuint (data.depth_reached, ==, 100);
  bridge_future_unref (data.future);
}

typedef struct
{
  BridgeFuture *future;
  guint         started;
  guint         woken;
} ManyData;

static void
many_waiter_task (BridgeTask *task,
                  gpointer    user_data)
{
  ManyData *data = user_data;
  GError *error = NULL;

  data->started++;
  g_assert_cmpint (bridge_await_int64 (data->future, &error), ==, 11);
  g_assert_no_error (error);
  data->woken++;
}

static void
test_await_many_waiters (LoopFixture   *fixture,
                         gconstpointer  user_data)
{
  ManyData data = { bridge_future_new_for_loop (fixture->loop), 0, 0 };
  const guint n = 2000;

  /* Small stacks of their own size class, on the side. */
  for (guint i = 0; i < n; i++)
    bridge_task_unref (bridge_spawn_full (fixture->loop, NULL, 16 * 1024, many_waiter_task, &data, NULL));
  test_run_until (fixture->context, data.started == n, TEST_TIMEOUT_SECONDS);
  g_assert_cmpuint (count_tasks (fixture->loop), ==, n);
  g_assert_cmpuint (data.woken, ==, 0);
  bridge_future_set_int64 (data.future, 11, NULL);
  test_run_until (fixture->context, data.woken == n, TEST_TIMEOUT_SECONDS);
  test_run_until (fixture->context, count_tasks (fixture->loop) == 0, TEST_TIMEOUT_SECONDS);
  bridge_future_unref (data.future);
}

/* ---- cancellation ---------------------------------------------------------------- */

typedef struct
{
  BridgeFuture *future;        /* what the task parks on */
  gboolean      cleaned_up;
  gboolean      saw_cancel;
  char         *message;
  guint         cancelling_seen;
  gboolean      uncancel;      /* withdraw the cancellation after catching it */
  gboolean      suppress;      /* carry on and return a value */
  gboolean      body_ran;
  gboolean      continued;
} CancelData;

static void
cancel_data_clear (CancelData *data)
{
  g_clear_pointer (&data->future, bridge_future_unref);
  g_clear_pointer (&data->message, g_free);
}

static void
cancellable_task (BridgeTask *task,
                  gpointer    user_data)
{
  CancelData *data = user_data;
  GError *error = NULL;

  data->body_ran = TRUE;
  if (!bridge_await (data->future, &error))
    {
      data->saw_cancel = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      data->message = g_strdup (error->message);
      data->cancelling_seen = bridge_task_get_cancelling (task);
      g_clear_error (&error);
    }
  /* Cleanup runs in every case. */
  data->cleaned_up = TRUE;

  if (data->uncancel)
    {
      g_assert_cmpuint (bridge_task_uncancel (task), ==, 0);
      g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 0);
      return;
    }

  if (data->suppress)
    {
      /* The cancellation was delivered once; awaiting again works. */
      g_assert_true (bridge_sleep (0.001, &error));
      g_assert_no_error (error);
      g_assert_true (bridge_yield (&error));
      g_assert_no_error (error);
      data->continued = TRUE;
      bridge_task_return_int64 (task, 99);
    }
  /* Otherwise: return without a result, letting the cancellation stand. */
}

static BridgeTask *
spawn_parked (LoopFixture *fixture,
              CancelData  *data)
{
  BridgeTask *task;

  data->future = bridge_future_new_for_loop (fixture->loop);
  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, cancellable_task, data, NULL);
  test_run_until (fixture->context, bridge_task_get_state (task) == BRIDGE_TASK_STATE_PARKED, TEST_TIMEOUT_SECONDS);
  g_assert_true (bridge_task_get_awaiting (task) == data->future);
  return task;
}

static void
test_cancel_at_await (LoopFixture   *fixture,
                      gconstpointer  user_data)
{
  CancelData data = { 0 };
  g_autoptr(BridgeTask) task = spawn_parked (fixture, &data);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable = bridge_task_get_cancellable (task);

  g_assert_false (g_cancellable_is_cancelled (cancellable));
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 0);

  g_assert_true (bridge_task_cancel (task, "stop it"));
  /* A request: nothing happened inside the task yet. */
  g_assert_false (data.cleaned_up);
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (task)));
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 1);
  /* GIO operations using the task's cancellable stop at once. */
  g_assert_true (g_cancellable_is_cancelled (cancellable));

  g_assert_false (bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "stop it");

  g_assert_true (data.saw_cancel);
  g_assert_cmpstr (data.message, ==, "stop it");
  g_assert_cmpuint (data.cancelling_seen, ==, 1);
  g_assert_true (data.cleaned_up);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
  /* The future it was parked on was cancelled too, as in asyncio. */
  g_assert_true (bridge_future_is_cancelled (data.future));

  /* A finished task cannot be cancelled. */
  g_assert_false (bridge_task_cancel (task, NULL));
  cancel_data_clear (&data);
}

static void
test_cancel_suppressed (LoopFixture   *fixture,
                        gconstpointer  user_data)
{
  CancelData data = { .suppress = TRUE };
  g_autoptr(BridgeTask) task = spawn_parked (fixture, &data);
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_task_cancel (task, NULL));
  g_assert_true (bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), &error));
  g_assert_no_error (error);

  g_assert_true (data.saw_cancel);
  g_assert_true (data.cleaned_up);
  g_assert_true (data.continued);
  g_assert_false (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (task), NULL), ==, 99);
  /* As in asyncio, the request count stays until uncancel(). */
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 1);
  cancel_data_clear (&data);
}

static void
test_cancel_uncancel (LoopFixture   *fixture,
                      gconstpointer  user_data)
{
  CancelData data = { .uncancel = TRUE };
  g_autoptr(BridgeTask) task = spawn_parked (fixture, &data);
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_task_cancel (task, "first"));
  g_assert_true (bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), &error));
  g_assert_no_error (error);

  /* After uncancel(), returning without a result is a plain success. */
  g_assert_true (data.saw_cancel);
  g_assert_true (data.cleaned_up);
  g_assert_false (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
  g_assert_true (bridge_future_get_value (BRIDGE_FUTURE (task), NULL, NULL));
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 0);
  cancel_data_clear (&data);
}

static void
test_cancel_counting (LoopFixture   *fixture,
                      gconstpointer  user_data)
{
  CancelData data = { 0 };
  g_autoptr(BridgeTask) task = spawn_parked (fixture, &data);
  g_autoptr(GError) error = NULL;

  /* Requests count up (cancelling()) and uncancel() counts down. */
  g_assert_true (bridge_task_cancel (task, "one"));
  g_assert_true (bridge_task_cancel (task, "two"));
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 2);
  g_assert_cmpuint (bridge_task_uncancel (task), ==, 1);
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 1);

  /* One request left: the task still ends cancelled. */
  g_assert_false (bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
  g_assert_cmpuint (data.cancelling_seen, ==, 1);
  /* Counting down never goes below zero. */
  g_assert_cmpuint (bridge_task_uncancel (task), ==, 0);
  g_assert_cmpuint (bridge_task_uncancel (task), ==, 0);
  cancel_data_clear (&data);
}

typedef struct
{
  gboolean woke;
  gboolean cancelled;
  double   slept;
} SleepData;

static void
long_sleep_task (BridgeTask *task,
                 gpointer    user_data)
{
  SleepData *data = user_data;
  GError *error = NULL;
  double start = bridge_loop_time (bridge_future_get_loop (BRIDGE_FUTURE (task)));

  if (!bridge_sleep (3600, &error))
    data->cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  data->slept = bridge_loop_time (bridge_future_get_loop (BRIDGE_FUTURE (task))) - start;
  data->woke = TRUE;
  g_clear_error (&error);
}

static void
test_cancel_sleep (LoopFixture   *fixture,
                   gconstpointer  user_data)
{
  SleepData data = { 0 };
  g_autoptr(BridgeTask) task = NULL;

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, long_sleep_task, &data, NULL);
  test_run_until (fixture->context, bridge_task_get_state (task) == BRIDGE_TASK_STATE_PARKED, TEST_TIMEOUT_SECONDS);

  /* The hour-long sleep ends as soon as the task is cancelled (the wait
   * below is bounded well under an hour). */
  g_assert_true (bridge_task_cancel (task, NULL));
  run_task_until_done (fixture, task);
  g_assert_true (data.woke);
  g_assert_true (data.cancelled);
  g_assert_cmpfloat (data.slept, <, TEST_TIMEOUT_SECONDS);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
}

static void
test_cancel_before_start (LoopFixture   *fixture,
                          gconstpointer  user_data)
{
  SpawnData data = { 0 };
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, record_task,
                            &data, spawn_data_destroy);
  g_assert_true (bridge_task_cancel (task, "too early"));

  g_assert_false (bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "too early");

  /* The body never ran. */
  g_assert_cmpuint (data.ran, ==, 0);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
  g_assert_cmpint (bridge_task_get_state (task), ==, BRIDGE_TASK_STATE_DONE);
  g_assert_cmpuint (count_tasks (fixture->loop), ==, 0);

  /* Its data is released, at the latest with the task. */
  g_clear_pointer (&task, bridge_task_unref);
  g_assert_cmpuint (data.destroyed, ==, 1);
}

typedef struct
{
  BridgeTask   *task;
  BridgeFuture *future;
} CancelAfterWake;

static void
complete_then_cancel_cb (gpointer user_data)
{
  CancelAfterWake *data = user_data;

  /* The future succeeds and the task is readied; a cancellation arriving
   * before it runs is still delivered, at that same await. */
  bridge_future_set_int64 (data->future, 5, NULL);
  g_assert_true (bridge_task_cancel (data->task, "late cancel"));
}

static void
test_cancel_while_scheduled (LoopFixture   *fixture,
                             gconstpointer  user_data)
{
  CancelData data = { 0 };
  g_autoptr(BridgeTask) task = spawn_parked (fixture, &data);
  CancelAfterWake wake = { task, data.future };

  bridge_loop_call_soon (fixture->loop, complete_then_cancel_cb, &wake, NULL);
  run_task_until_done (fixture, task);

  g_assert_true (data.saw_cancel);
  g_assert_cmpstr (data.message, ==, "late cancel");
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
  /* The future itself kept its value. */
  g_assert_false (bridge_future_is_cancelled (data.future));
  g_assert_cmpint (bridge_future_get_int64 (data.future, NULL), ==, 5);
  g_assert_error (bridge_future_get_error (BRIDGE_FUTURE (task)), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  cancel_data_clear (&data);
}

static void
yield_until_cancelled_task (BridgeTask *task,
                            gpointer    user_data)
{
  CancelData *data = user_data;
  GError *error = NULL;

  data->body_ran = TRUE;
  while (bridge_yield (&error))
    ;
  data->saw_cancel = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  data->message = g_strdup (error->message);
  g_clear_error (&error);
  data->cleaned_up = TRUE;
}

static void
test_cancel_yield (LoopFixture   *fixture,
                   gconstpointer  user_data)
{
  CancelData data = { 0 };
  g_autoptr(BridgeTask) task = NULL;

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, yield_until_cancelled_task, &data, NULL);
  test_run_until (fixture->context, data.body_ran, TEST_TIMEOUT_SECONDS);
  g_assert_true (bridge_task_cancel (task, "enough"));
  run_task_until_done (fixture, task);
  g_assert_true (data.saw_cancel);
  g_assert_cmpstr (data.message, ==, "enough");
  g_assert_true (data.cleaned_up);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
  cancel_data_clear (&data);
}

static void
cancel_and_withdraw_cb (gpointer user_data)
{
  BridgeTask *task = user_data;

  g_assert_cmpint (bridge_task_get_state (task), ==, BRIDGE_TASK_STATE_PARKED);
  g_assert_true (bridge_task_cancel (task, NULL));
  g_assert_cmpuint (bridge_task_uncancel (task), ==, 0);
}

static void
uncancel_before_delivery_task (BridgeTask *task,
                               gpointer    user_data)
{
  CancelData *data = user_data;
  GError *error = NULL;

  data->body_ran = TRUE;
  /* Cancelled and uncancelled while parked here, by a callback that runs
   * before the task resumes: nothing is delivered. */
  bridge_loop_call_soon (bridge_future_get_loop (BRIDGE_FUTURE (task)), cancel_and_withdraw_cb, task, NULL);
  g_assert_true (bridge_yield (&error));
  g_assert_no_error (error);
  data->continued = TRUE;
  bridge_task_return_boolean (task, TRUE);
}


static void
test_uncancel_before_delivery (LoopFixture   *fixture,
                               gconstpointer  user_data)
{
  CancelData data = { 0 };
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT,
                            uncancel_before_delivery_task, &data, NULL);
  g_assert_true (bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), &error));
  g_assert_no_error (error);
  g_assert_true (data.continued);
  g_assert_false (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
}

typedef struct
{
  BridgeTask   *inner;
  BridgeFuture *never;
  gboolean      inner_saw_cancel;
  gboolean      outer_saw_cancel;
} ChainData;

static void
inner_task (BridgeTask *task,
            gpointer    user_data)
{
  ChainData *data = user_data;
  GError *error = NULL;

  if (!bridge_await (data->never, &error))
    data->inner_saw_cancel = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
}

static void
outer_task (BridgeTask *task,
            gpointer    user_data)
{
  ChainData *data = user_data;
  GError *error = NULL;

  data->inner = bridge_spawn (inner_task, data, NULL);
  if (!bridge_await (BRIDGE_FUTURE (data->inner), &error))
    data->outer_saw_cancel = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
}

static void
test_cancel_awaited_task (LoopFixture   *fixture,
                          gconstpointer  user_data)
{
  ChainData data = { NULL, bridge_future_new_for_loop (fixture->loop), FALSE, FALSE };
  g_autoptr(BridgeTask) outer = NULL;

  outer = bridge_spawn_full (fixture->loop, "outer", BRIDGE_STACK_SIZE_DEFAULT, outer_task, &data, NULL);
  test_run_until (fixture->context,
                  data.inner != NULL && bridge_task_get_state (data.inner) == BRIDGE_TASK_STATE_PARKED,
                  TEST_TIMEOUT_SECONDS);

  /* Cancelling a task that awaits another task cancels that one too. */
  g_assert_true (bridge_task_cancel (outer, NULL));
  run_task_until_done (fixture, outer);
  g_assert_true (data.inner_saw_cancel);
  g_assert_true (data.outer_saw_cancel);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (data.inner)));
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (outer)));
  g_assert_true (bridge_future_is_cancelled (data.never));

  bridge_task_unref (data.inner);
  bridge_future_unref (data.never);
}

static void
cancel_self_task (BridgeTask *task,
                  gpointer    user_data)
{
  CancelData *data = user_data;
  GError *error = NULL;

  g_assert_true (bridge_task_cancel (task, "myself"));
  /* Nothing is delivered until the next await. */
  data->continued = TRUE;
  g_assert_false (bridge_await (data->future, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "myself");
  g_clear_error (&error);
  data->cleaned_up = TRUE;
}

static void
test_cancel_self (LoopFixture   *fixture,
                  gconstpointer  user_data)
{
  CancelData data = { bridge_future_new_for_loop (fixture->loop) };
  g_autoptr(BridgeTask) task = NULL;

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, cancel_self_task, &data, NULL);
  run_task_until_done (fixture, task);
  g_assert_true (data.continued);
  g_assert_true (data.cleaned_up);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
  cancel_data_clear (&data);
}

/* ---- diagnostics ------------------------------------------------------------------ */

static void
failing_task (BridgeTask *task,
              gpointer    user_data)
{
  bridge_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "boom");
}

static void
test_never_retrieved (LoopFixture   *fixture,
                      gconstpointer  user_data)
{
  BridgeTask *task;

  /* Held by the test: reported when the last reference goes. */
  task = bridge_spawn_full (fixture->loop, "doomed", BRIDGE_STACK_SIZE_DEFAULT, failing_task, NULL, NULL);
  run_task_until_done (fixture, task);
  g_test_expect_message ("Bridge", G_LOG_LEVEL_WARNING,
                         "Task exception was never retrieved*<Task name='doomed'>*boom*");
  bridge_task_unref (task);
  g_test_assert_expected_messages ();

  /* Fire and forget: reported when the loop lets go of the finished task. */
  g_test_expect_message ("Bridge", G_LOG_LEVEL_WARNING,
                         "Task exception was never retrieved*<Task name='forgotten'>*boom*");
  bridge_task_unref (bridge_spawn_full (fixture->loop, "forgotten", BRIDGE_STACK_SIZE_DEFAULT,
                                        failing_task, NULL, NULL));
  test_run_until (fixture->context, count_tasks (fixture->loop) == 0, TEST_TIMEOUT_SECONDS);
  g_test_assert_expected_messages ();

  /* Retrieved (here by run_until_complete): no report. An unexpected
   * warning would fail the test. */
  task = bridge_spawn_full (fixture->loop, "seen", BRIDGE_STACK_SIZE_DEFAULT, failing_task, NULL, NULL);
  g_assert_false (bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), NULL));
  bridge_task_unref (task);
}

static void
park_forever_task (BridgeTask *task,
                   gpointer    user_data)
{
  BridgeFuture *future = user_data;

  bridge_await (future, NULL);
  g_error ("a task abandoned by a closed loop resumed");
}

static void
yield_forever_task (BridgeTask *task,
                    gpointer    user_data)
{
  while (bridge_yield (NULL))
    ;
  g_error ("a task abandoned by a closed loop resumed");
}

static void
test_destroyed_pending (void)
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
  BridgeFuture *future = bridge_future_new_for_loop (loop);
  BridgeTask *parked, *yielding, *never_started;
  SpawnData data = { 0 };
  guint n_warnings = 3;

  parked = bridge_spawn_full (loop, "parked", BRIDGE_STACK_SIZE_DEFAULT, park_forever_task, future, NULL);
  yielding = bridge_spawn_full (loop, "yielding", BRIDGE_STACK_SIZE_DEFAULT, yield_forever_task, NULL, NULL);
  test_run_until (bridge_loop_get_context (loop),
                  bridge_task_get_state (parked) == BRIDGE_TASK_STATE_PARKED &&
                  bridge_task_get_state (yielding) == BRIDGE_TASK_STATE_PARKED,
                  TEST_TIMEOUT_SECONDS);
  never_started = bridge_spawn_full (loop, "never-started", BRIDGE_STACK_SIZE_DEFAULT,
                                     record_task, &data, spawn_data_destroy);

  /* Drop our references: the loop is all that holds them. */
  bridge_task_unref (parked);
  bridge_task_unref (yielding);
  bridge_task_unref (never_started);

  while (n_warnings-- > 0)
    g_test_expect_message ("Bridge", G_LOG_LEVEL_WARNING, "Task was destroyed but it is pending!*");
  g_assert_true (bridge_loop_close (loop, NULL));
  g_test_assert_expected_messages ();

  g_assert_cmpuint (data.ran, ==, 0);
  g_assert_cmpuint (data.destroyed, ==, 1);

  /* Completing the future now wakes nobody. */
  bridge_future_set_boolean (future, TRUE, NULL);
  bridge_future_unref (future);
  while (g_main_context_iteration (bridge_loop_get_context (loop), FALSE))
    ;
}

static void
test_destroyed_pending_named (LoopFixture   *fixture,
                              gconstpointer  user_data)
{
  BridgeFuture *future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(BridgeTask) task = NULL;

  task = bridge_spawn_full (fixture->loop, "stuck", BRIDGE_STACK_SIZE_DEFAULT, park_forever_task, future, NULL);
  test_run_until (fixture->context, bridge_task_get_state (task) == BRIDGE_TASK_STATE_PARKED, TEST_TIMEOUT_SECONDS);

  g_test_expect_message ("Bridge", G_LOG_LEVEL_WARNING, "Task was destroyed but it is pending!*<Task name='stuck'>*");
  g_assert_true (bridge_loop_close (fixture->loop, NULL));
  g_test_assert_expected_messages ();
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (task)));
  bridge_future_unref (future);
}

/* ---- names, current task, state --------------------------------------------------- */

static void
name_task (BridgeTask *task,
           gpointer    user_data)
{
  char **name = user_data;

  if (name != NULL)
    *name = g_strdup (bridge_task_get_name (bridge_task_get_current ()));
}

static guint64
task_number (const char *name)
{
  char *end = NULL;
  guint64 n;

  g_assert_true (g_str_has_prefix (name, "Task-"));
  n = g_ascii_strtoull (name + strlen ("Task-"), &end, 10);
  g_assert_cmpstr (end, ==, "");
  return n;
}

static void
test_names (LoopFixture   *fixture,
            gconstpointer  user_data)
{
  g_autoptr(BridgeTask) a = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, name_task, NULL, NULL);
  g_autoptr(BridgeTask) b = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, name_task, NULL, NULL);
  g_autoptr(BridgeTask) named = NULL;
  g_autofree char *inside = NULL;

  /* asyncio's default names: Task-N, numbered in creation order. */
  g_assert_cmpuint (task_number (bridge_task_get_name (b)), ==, task_number (bridge_task_get_name (a)) + 1);

  bridge_task_set_name (a, "renamed");
  g_assert_cmpstr (bridge_task_get_name (a), ==, "renamed");

  named = bridge_spawn_full (fixture->loop, "given", BRIDGE_STACK_SIZE_DEFAULT, name_task, &inside, NULL);
  g_assert_cmpstr (bridge_task_get_name (named), ==, "given");
  bridge_task_set_name (named, "given later");

  run_task_until_done (fixture, a);
  run_task_until_done (fixture, b);
  run_task_until_done (fixture, named);
  g_assert_cmpstr (inside, ==, "given later");
}

static void
current_in_callback_cb (gpointer user_data)
{
  guint *checked = user_data;

  g_assert_null (bridge_task_get_current ());
  (*checked)++;
}

static BridgeTask *
current_from_nested_call (guint depth)
{
  if (depth == 0)
    return bridge_task_get_current ();
  return current_from_nested_call (depth - 1);
}

typedef struct
{
  BridgeTask *other;
  guint       checked;
} CurrentData;

static void
current_task (BridgeTask *task,
              gpointer    user_data)
{
  CurrentData *data = user_data;
  GError *error = NULL;

  g_assert_true (bridge_task_get_current () == task);
  g_assert_true (current_from_nested_call (10) == task);
  bridge_loop_call_soon (bridge_future_get_loop (BRIDGE_FUTURE (task)), current_in_callback_cb, &data->checked, NULL);
  g_assert_true (bridge_yield (&error));
  g_assert_true (bridge_task_get_current () == task);
  g_assert_cmpuint (data->checked, ==, 1);
  if (data->other != NULL)
    g_assert_true (bridge_await (BRIDGE_FUTURE (data->other), &error));
  g_assert_no_error (error);
  /* Still this task after the other one ran meanwhile. */
  g_assert_true (bridge_task_get_current () == task);
}

static void
test_current (LoopFixture   *fixture,
              gconstpointer  user_data)
{
  CurrentData first = { 0 };
  CurrentData second = { 0 };
  g_autoptr(BridgeTask) a = NULL;
  g_autoptr(BridgeTask) b = NULL;

  g_assert_null (bridge_task_get_current ());
  a = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, current_task, &first, NULL);
  second.other = a;
  b = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, current_task, &second, NULL);
  run_task_until_done (fixture, b);
  g_assert_true (bridge_future_is_done (BRIDGE_FUTURE (a)));
  g_assert_null (bridge_task_get_current ());
}

typedef struct
{
  BridgeFuture *future;
  gboolean      checked_running;
} StateData;

static void
state_task (BridgeTask *task,
            gpointer    user_data)
{
  StateData *data = user_data;
  GError *error = NULL;

  g_assert_cmpint (bridge_task_get_state (task), ==, BRIDGE_TASK_STATE_RUNNING);
  g_assert_null (bridge_task_get_awaiting (task));
  g_assert_cmpint (bridge_task_get_parked_since (task), ==, 0);
  g_assert_cmpuint (bridge_task_get_stack_size (task), >=, 16 * 1024);
  data->checked_running = TRUE;
  g_assert_true (bridge_await (data->future, &error));
  g_assert_cmpint (bridge_task_get_state (task), ==, BRIDGE_TASK_STATE_RUNNING);
  g_assert_null (bridge_task_get_awaiting (task));
}

static void
test_state (LoopFixture   *fixture,
            gconstpointer  user_data)
{
  StateData data = { bridge_future_new_for_loop (fixture->loop), FALSE };
  g_autoptr(BridgeTask) task = NULL;
  gint64 before = g_get_monotonic_time ();

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, state_task, &data, NULL);
  g_assert_cmpint (bridge_task_get_state (task), ==, BRIDGE_TASK_STATE_SCHEDULED);
  test_run_until (fixture->context, bridge_task_get_state (task) == BRIDGE_TASK_STATE_PARKED, TEST_TIMEOUT_SECONDS);
  g_assert_true (data.checked_running);
  g_assert_true (bridge_task_get_awaiting (task) == data.future);
  g_assert_cmpint (bridge_task_get_parked_since (task), >=, before);
  g_assert_cmpint (bridge_task_get_parked_since (task), <=, g_get_monotonic_time ());

  bridge_future_set_boolean (data.future, TRUE, NULL);
  run_task_until_done (fixture, task);
  g_assert_cmpint (bridge_task_get_state (task), ==, BRIDGE_TASK_STATE_DONE);
  g_assert_null (bridge_task_get_awaiting (task));
  g_assert_cmpint (bridge_task_get_parked_since (task), ==, 0);
  bridge_future_unref (data.future);
}

/* ---- sleeping ------------------------------------------------------------------- */

static void
sleep_task (BridgeTask *task,
            gpointer    user_data)
{
  BridgeLoop *loop = bridge_future_get_loop (BRIDGE_FUTURE (task));
  GError *error = NULL;
  double start = bridge_loop_time (loop);

  g_assert_true (bridge_sleep (0.05, &error));
  g_assert_no_error (error);
  bridge_task_return_double (task, bridge_loop_time (loop) - start);
}

static void
test_sleep (LoopFixture   *fixture,
            gconstpointer  user_data)
{
  g_autoptr(BridgeTask) task = NULL;

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, sleep_task, NULL, NULL);
  run_task_until_done (fixture, task);
  /* Never early. */
  g_assert_cmpfloat (bridge_future_get_double (BRIDGE_FUTURE (task), NULL), >=, 0.05 - 1e-6);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  LOOP_TEST ("/libbridge/task/spawn/not-synchronous", test_spawn_not_synchronous);
  LOOP_TEST ("/libbridge/task/spawn/loop-keeps-reference", test_spawn_loop_keeps_reference);
  LOOP_TEST ("/libbridge/task/spawn/from-task", test_spawn_from_task);
  LOOP_TEST ("/libbridge/task/return/typed", test_return_typed);
  LOOP_TEST ("/libbridge/task/return/read-by-loop", test_return_read_by_loop);
  LOOP_TEST ("/libbridge/task/return/twice", test_return_twice);
  LOOP_TEST ("/libbridge/task/await/outcomes", test_await_outcomes);
  LOOP_TEST ("/libbridge/task/await/done-future", test_await_done_future);
  LOOP_TEST ("/libbridge/task/await/self", test_await_self);
  LOOP_TEST ("/libbridge/task/await/outside-task", test_await_outside_task);
  LOOP_TEST ("/libbridge/task/await/nested-calls", test_await_from_nested_calls);
  LOOP_TEST ("/libbridge/task/await/many-waiters", test_await_many_waiters);
  LOOP_TEST ("/libbridge/task/cancel/at-await", test_cancel_at_await);
  LOOP_TEST ("/libbridge/task/cancel/suppressed", test_cancel_suppressed);
  LOOP_TEST ("/libbridge/task/cancel/uncancel", test_cancel_uncancel);
  LOOP_TEST ("/libbridge/task/cancel/counting", test_cancel_counting);
  LOOP_TEST ("/libbridge/task/cancel/sleep", test_cancel_sleep);
  LOOP_TEST ("/libbridge/task/cancel/before-start", test_cancel_before_start);
  LOOP_TEST ("/libbridge/task/cancel/while-scheduled", test_cancel_while_scheduled);
  LOOP_TEST ("/libbridge/task/cancel/yield", test_cancel_yield);
  LOOP_TEST ("/libbridge/task/cancel/uncancel-before-delivery", test_uncancel_before_delivery);
  LOOP_TEST ("/libbridge/task/cancel/awaited-task", test_cancel_awaited_task);
  LOOP_TEST ("/libbridge/task/cancel/self", test_cancel_self);
  LOOP_TEST ("/libbridge/task/diagnostics/never-retrieved", test_never_retrieved);
  g_test_add_func ("/libbridge/task/diagnostics/destroyed-pending", test_destroyed_pending);
  LOOP_TEST ("/libbridge/task/diagnostics/destroyed-pending-named", test_destroyed_pending_named);
  LOOP_TEST ("/libbridge/task/names", test_names);
  LOOP_TEST ("/libbridge/task/current", test_current);
  LOOP_TEST ("/libbridge/task/state", test_state);
  LOOP_TEST ("/libbridge/task/sleep", test_sleep);

  return g_test_run ();
}
