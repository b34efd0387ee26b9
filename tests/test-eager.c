/* test-eager.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* bridge_spawn_eager() against asyncio 3.12's eager_task_factory. Each test
 * states the asyncio behaviour it mirrors, as documented for
 * asyncio.eager_task_factory and Task(..., eager_start=True): "the coroutine
 * starts executing synchronously during Task construction. Tasks are only
 * scheduled on the event loop if they block. [...] If the coroutine returns
 * or raises without blocking, the task will be finished eagerly and will
 * skip scheduling to the event loop." */

#include "config.h"

#include <libbridge.h>

#include "test-util.h"

static guint
count_tasks (BridgeLoop *loop)
{
  g_autoptr(GPtrArray) listed = bridge_loop_list_tasks (loop);

  return listed->len;
}

/* A step in the order things happened, across tasks. */
typedef struct
{
  GString *log;
} Trace;

static void
trace_add (Trace      *trace,
           const char *step)
{
  if (trace->log->len > 0)
    g_string_append_c (trace->log, ' ');
  g_string_append (trace->log, step);
}

/* ---- a task that never awaits ----------------------------------------------- */

typedef struct
{
  guint       ran;
  guint       destroyed;
  BridgeTask *seen_current;
  int         seen_state;
} EagerData;

static void
eager_data_destroy (gpointer user_data)
{
  EagerData *data = user_data;

  data->destroyed++;
}

static void
return_at_once (BridgeTask *task,
                gpointer    user_data)
{
  EagerData *data = user_data;

  data->ran++;
  data->seen_current = bridge_task_get_current ();
  data->seen_state = bridge_task_get_state (task);
  bridge_task_return_int64 (task, 42);
}

/* asyncio: with eager_task_factory, `t = loop.create_task(coro())` where
 * coro() returns 42 without awaiting runs coro() inside create_task(); t is
 * done when create_task() returns (t.done() is True, t.result() == 42), and
 * the loop never schedules a step for it. */
static void
test_eager_completes_before_return (LoopFixture   *fixture,
                                    gconstpointer  user_data)
{
  EagerData data = { 0 };
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = bridge_spawn_eager_full (fixture->loop, "eager", BRIDGE_STACK_SIZE_DEFAULT,
                                  return_at_once, &data, eager_data_destroy);

  g_assert_cmpuint (data.ran, ==, 1);
  g_assert_true (data.seen_current == task);
  g_assert_cmpint (data.seen_state, ==, BRIDGE_TASK_STATE_RUNNING);
  g_assert_true (bridge_future_is_done (BRIDGE_FUTURE (task)));
  g_assert_cmpint (bridge_task_get_state (task), ==, BRIDGE_TASK_STATE_DONE);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (task), &error), ==, 42);
  g_assert_no_error (error);
  /* Finished, so no longer among the loop's live tasks, and its data is
   * released once. */
  g_assert_cmpuint (count_tasks (fixture->loop), ==, 0);
  g_assert_cmpuint (data.destroyed, ==, 1);
  /* Outside any task the caller is outside again. */
  g_assert_null (bridge_task_get_current ());

  /* Iterating the loop does not run the body again: it never had a step. */
  g_main_context_iteration (fixture->context, FALSE);
  g_assert_cmpuint (data.ran, ==, 1);
}

static void
record_done (BridgeFuture *future,
             gpointer      user_data)
{
  guint *calls = user_data;

  (*calls)++;
}

/* asyncio: a done callback added to an eagerly finished task (in 3.12 it
 * can only be added after create_task() returned) is scheduled with
 * loop.call_soon(), never called inside add_done_callback(). */
static void
test_eager_done_callbacks_from_loop (LoopFixture   *fixture,
                                     gconstpointer  user_data)
{
  EagerData data = { 0 };
  g_autoptr(BridgeTask) task = NULL;
  guint calls = 0;

  task = bridge_spawn_eager_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT,
                                  return_at_once, &data, NULL);
  g_assert_true (bridge_future_is_done (BRIDGE_FUTURE (task)));

  bridge_future_add_done_callback (BRIDGE_FUTURE (task), record_done, &calls, NULL);
  g_assert_cmpuint (calls, ==, 0);
  test_run_until (fixture->context, calls == 1, TEST_TIMEOUT_SECONDS);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (task), NULL), ==, 42);
}

static void
fail_at_once (BridgeTask *task,
              gpointer    user_data)
{
  bridge_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone");
}

/* asyncio: a coroutine that raises before its first await makes the eager
 * task done with that exception when create_task() returns; create_task()
 * itself does not raise. */
static void
test_eager_fails_before_return (LoopFixture   *fixture,
                                gconstpointer  user_data)
{
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = bridge_spawn_eager_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT,
                                  fail_at_once, NULL, NULL);
  g_assert_true (bridge_future_is_done (BRIDGE_FUTURE (task)));
  g_assert_false (bridge_future_get_value (BRIDGE_FUTURE (task), NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

/* ---- a task that awaits --------------------------------------------------------- */

typedef struct
{
  Trace         trace;
  BridgeFuture *future;
  BridgeTask   *seen_current;
  GError       *error;
  gboolean      awaited;
} AwaitData;

static void
await_data_clear (AwaitData *data)
{
  g_string_free (data->trace.log, TRUE);
  g_clear_pointer (&data->future, bridge_future_unref);
  g_clear_error (&data->error);
}

static void
await_future (BridgeTask *task,
              gpointer    user_data)
{
  AwaitData *data = user_data;

  trace_add (&data->trace, "start");
  data->seen_current = bridge_task_get_current ();
  data->awaited = bridge_await (data->future, &data->error);
  trace_add (&data->trace, "resumed");
  /* Resumed by the loop: still itself. */
  g_assert_true (bridge_task_get_current () == task);
  /* A second suspension, now from a step the loop started. */
  if (data->awaited)
    data->awaited = bridge_yield (&data->error);
  trace_add (&data->trace, "end");
}

/* asyncio: with eager_task_factory, a coroutine runs inside create_task() up
 * to its first `await fut` on a pending future; create_task() then returns a
 * pending task which the loop resumes once fut is done, like any task. */
static void
test_eager_parks_at_first_await (LoopFixture   *fixture,
                                 gconstpointer  user_data)
{
  AwaitData data = { { g_string_new (NULL) }, bridge_future_new_for_loop (fixture->loop) };
  g_autoptr(BridgeTask) task = NULL;

  task = bridge_spawn_eager_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT,
                                  await_future, &data, NULL);
  g_assert_cmpstr (data.trace.log->str, ==, "start");
  g_assert_true (data.seen_current == task);
  g_assert_null (bridge_task_get_current ());
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (task)));
  g_assert_cmpint (bridge_task_get_state (task), ==, BRIDGE_TASK_STATE_PARKED);
  g_assert_true (bridge_task_get_awaiting (task) == data.future);
  g_assert_cmpuint (count_tasks (fixture->loop), ==, 1);

  g_assert_true (bridge_future_set_int64 (data.future, 7, NULL));
  /* The wake-up goes through the loop, as for any task. */
  g_assert_cmpstr (data.trace.log->str, ==, "start");
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (task)), TEST_TIMEOUT_SECONDS);
  g_assert_cmpstr (data.trace.log->str, ==, "start resumed end");
  g_assert_no_error (data.error);
  g_assert_true (data.awaited);
  g_assert_true (bridge_future_get_value (BRIDGE_FUTURE (task), NULL, NULL));
  await_data_clear (&data);
}

/* asyncio: cancelling a task that eagerly parked on `await fut` cancels fut,
 * and CancelledError comes out of that await in the task. */
static void
test_eager_cancel_after_park (LoopFixture   *fixture,
                              gconstpointer  user_data)
{
  AwaitData data = { { g_string_new (NULL) }, bridge_future_new_for_loop (fixture->loop) };
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = bridge_spawn_eager_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT,
                                  await_future, &data, NULL);
  g_assert_true (bridge_task_cancel (task, "stop"));
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (task)), TEST_TIMEOUT_SECONDS);

  g_assert_false (data.awaited);
  g_assert_error (data.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (bridge_future_is_cancelled (data.future));
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
  g_assert_false (bridge_future_get_value (BRIDGE_FUTURE (task), NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "stop");
  await_data_clear (&data);
}

static void
cancel_self_then_await (BridgeTask *task,
                        gpointer    user_data)
{
  AwaitData *data = user_data;

  trace_add (&data->trace, "start");
  g_assert_true (bridge_task_cancel (task, "self"));
  /* A request: the eager part goes on until it awaits. */
  trace_add (&data->trace, "still-running");
  data->awaited = bridge_await (data->future, &data->error);
  trace_add (&data->trace, "end");
}

/* asyncio: a task that calls its own cancel() during the eager part keeps
 * running until its first await; that await cancels the future it awaits
 * and raises CancelledError, delivered in a later loop iteration (the task
 * was parked, create_task() returned a pending task). Letting it propagate
 * ends the task cancelled. */
static void
test_eager_cancel_during_eager_part (LoopFixture   *fixture,
                                     gconstpointer  user_data)
{
  AwaitData data = { { g_string_new (NULL) }, bridge_future_new_for_loop (fixture->loop) };
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = bridge_spawn_eager_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT,
                                  cancel_self_then_await, &data, NULL);
  g_assert_cmpstr (data.trace.log->str, ==, "start still-running");
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (task)));
  g_assert_true (bridge_future_is_cancelled (data.future));

  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (task)), TEST_TIMEOUT_SECONDS);
  g_assert_cmpstr (data.trace.log->str, ==, "start still-running end");
  g_assert_false (data.awaited);
  g_assert_error (data.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (bridge_future_get_value (BRIDGE_FUTURE (task), NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "self");
  await_data_clear (&data);
}

/* ---- where the spawner is ------------------------------------------------------ */

typedef struct
{
  BridgeLoop *loop;
  AwaitData   child;
  BridgeTask *task;
  BridgeTask *current_after;
  gboolean    called;
} CallbackData;

static void
spawn_eager_from_callback (gpointer user_data)
{
  CallbackData *data = user_data;

  /* A plain callback on the loop's thread is not in a task. */
  g_assert_null (bridge_task_get_current ());
  data->task = bridge_spawn_eager_full (data->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT,
                                        await_future, &data->child, NULL);
  data->current_after = bridge_task_get_current ();
  data->called = TRUE;
}

/* asyncio: loop.create_task() from a call_soon() callback (no current task)
 * runs the coroutine inside create_task(), current_task() being the new task
 * there; back in the callback current_task() is None again. */
static void
test_eager_from_callback (LoopFixture   *fixture,
                          gconstpointer  user_data)
{
  CallbackData data = { fixture->loop, { { g_string_new (NULL) }, bridge_future_new_for_loop (fixture->loop) } };

  bridge_loop_call_soon (fixture->loop, spawn_eager_from_callback, &data, NULL);
  test_run_until (fixture->context, data.called, TEST_TIMEOUT_SECONDS);
  g_assert_cmpstr (data.child.trace.log->str, ==, "start");
  g_assert_true (data.child.seen_current == data.task);
  g_assert_null (data.current_after);

  g_assert_true (bridge_future_set_int64 (data.child.future, 1, NULL));
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (data.task)), TEST_TIMEOUT_SECONDS);
  g_assert_cmpstr (data.child.trace.log->str, ==, "start resumed end");
  g_assert_true (bridge_future_get_value (BRIDGE_FUTURE (data.task), NULL, NULL));
  bridge_task_unref (data.task);
  await_data_clear (&data.child);
}

typedef struct
{
  AwaitData   parked_child;
  EagerData   finished_child;
  BridgeTask *parked_task;
  BridgeTask *current_after_parked;
  BridgeTask *current_after_finished;
  gboolean    awaited_child;
  GError     *error;
} SpawnerData;

static void
spawn_eager_from_task (BridgeTask *task,
                       gpointer    user_data)
{
  SpawnerData *data = user_data;
  g_autoptr(BridgeTask) finished = NULL;
  char locals[512];

  /* Frames of the spawner's own, which the child's run must leave alone. */
  memset (locals, 0x5a, sizeof locals);

  data->parked_task = bridge_spawn_eager (await_future, &data->parked_child, NULL);
  data->current_after_parked = bridge_task_get_current ();

  finished = bridge_spawn_eager (return_at_once, &data->finished_child, NULL);
  data->current_after_finished = bridge_task_get_current ();
  g_assert_true (bridge_future_is_done (BRIDGE_FUTURE (finished)));
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (finished), NULL), ==, 42);

  for (gsize i = 0; i < sizeof locals; i++)
    g_assert_cmpint (locals[i], ==, 0x5a);

  /* The spawner itself parks and is resumed by the loop afterwards. */
  data->awaited_child = bridge_await (BRIDGE_FUTURE (data->parked_task), &data->error);
  g_assert_true (bridge_task_get_current () == task);
}

/* asyncio: create_task() inside a running task with eager_task_factory runs
 * the child inside the call, current_task() being the child there; when
 * create_task() returns (the child awaited, or finished), current_task() is
 * the parent again, and both tasks carry on normally. */
static void
test_eager_from_task (LoopFixture   *fixture,
                      gconstpointer  user_data)
{
  SpawnerData data = { { { g_string_new (NULL) }, bridge_future_new_for_loop (fixture->loop) } };
  g_autoptr(BridgeTask) spawner = NULL;

  spawner = bridge_spawn_full (fixture->loop, "spawner", BRIDGE_STACK_SIZE_DEFAULT,
                               spawn_eager_from_task, &data, NULL);
  test_run_until (fixture->context, data.parked_task != NULL &&
                  bridge_task_get_state (spawner) == BRIDGE_TASK_STATE_PARKED,
                  TEST_TIMEOUT_SECONDS);

  g_assert_true (data.parked_child.seen_current == data.parked_task);
  g_assert_true (data.current_after_parked == spawner);
  g_assert_true (data.finished_child.seen_current != NULL);
  g_assert_true (data.finished_child.seen_current != spawner);
  g_assert_true (data.current_after_finished == spawner);
  g_assert_cmpstr (data.parked_child.trace.log->str, ==, "start");

  g_assert_true (bridge_future_set_int64 (data.parked_child.future, 1, NULL));
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (spawner)), TEST_TIMEOUT_SECONDS);
  g_assert_cmpstr (data.parked_child.trace.log->str, ==, "start resumed end");
  g_assert_true (data.awaited_child);
  g_assert_no_error (data.error);
  g_assert_true (bridge_future_get_value (BRIDGE_FUTURE (spawner), NULL, NULL));
  bridge_task_unref (data.parked_task);
  await_data_clear (&data.parked_child);
}

/* ---- nesting ------------------------------------------------------------------- */

typedef struct
{
  Trace         trace;
  BridgeFuture *gate;
  BridgeTask   *tasks[3];
  BridgeTask   *seen[3];
  BridgeTask   *seen_after[3];
  BridgeTask   *children[3];
} NestData;

static void
nest_level (BridgeTask *task,
            gpointer    user_data)
{
  NestData *data = user_data;
  guint level = 0;
  g_autofree char *start = NULL;
  g_autofree char *back = NULL;
  g_autofree char *end = NULL;

  while (level < 3 && data->tasks[level] != NULL)
    level++;
  g_assert_cmpuint (level, <, 3);
  data->tasks[level] = task;
  data->seen[level] = bridge_task_get_current ();
  start = g_strdup_printf ("start%u", level);
  back = g_strdup_printf ("back%u", level);
  end = g_strdup_printf ("end%u", level);

  trace_add (&data->trace, start);
  if (level < 2)
    {
      data->children[level] = bridge_spawn_eager (nest_level, data, NULL);
      data->seen_after[level] = bridge_task_get_current ();
      trace_add (&data->trace, back);
    }
  g_assert_true (bridge_await (data->gate, NULL));
  if (level < 2)
    g_assert_true (bridge_await (BRIDGE_FUTURE (data->children[level]), NULL));
  trace_add (&data->trace, end);
}

/* asyncio: an eager task that eagerly creates a task that eagerly creates a
 * third runs all three inside the outermost create_task(), each up to its
 * first await, innermost first back; each create_task() returns to its
 * caller with current_task() restored to that caller. */
static void
test_eager_nested (LoopFixture   *fixture,
                   gconstpointer  user_data)
{
  NestData data = { { g_string_new (NULL) }, bridge_future_new_for_loop (fixture->loop) };
  g_autoptr(BridgeTask) outer = NULL;

  outer = bridge_spawn_eager_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT,
                                   nest_level, &data, NULL);
  g_assert_cmpstr (data.trace.log->str, ==, "start0 start1 start2 back1 back0");
  g_assert_true (data.tasks[0] == outer);
  for (guint i = 0; i < 3; i++)
    g_assert_true (data.seen[i] == data.tasks[i]);
  g_assert_true (data.seen_after[0] == data.tasks[0]);
  g_assert_true (data.seen_after[1] == data.tasks[1]);
  g_assert_true (data.children[0] == data.tasks[1]);
  g_assert_true (data.children[1] == data.tasks[2]);
  g_assert_null (bridge_task_get_current ());
  g_assert_cmpuint (count_tasks (fixture->loop), ==, 3);

  g_assert_true (bridge_future_set_int64 (data.gate, 1, NULL));
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (outer)), TEST_TIMEOUT_SECONDS);
  g_assert_true (g_str_has_suffix (data.trace.log->str, "end0"));
  g_assert_true (bridge_future_get_value (BRIDGE_FUTURE (outer), NULL, NULL));
  for (guint i = 0; i < 2; i++)
    bridge_task_unref (data.children[i]);
  g_string_free (data.trace.log, TRUE);
  bridge_future_unref (data.gate);
}

/* ---- another thread ------------------------------------------------------------ */

typedef struct
{
  BridgeLoop *loop;
  EagerData   data;
  BridgeTask *task;
  guint       ran_in_call;
} ThreadData;

static gpointer
spawn_eager_from_thread (gpointer user_data)
{
  ThreadData *thread = user_data;

  thread->task = bridge_spawn_eager_full (thread->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT,
                                          return_at_once, &thread->data, NULL);
  thread->ran_in_call = thread->data.ran;
  return NULL;
}

/* asyncio: tasks belong to their loop's thread; a task for a loop run by
 * another thread cannot start in the calling thread, so it joins the loop
 * and runs there (as run_coroutine_threadsafe does). */
static void
test_eager_other_thread (LoopFixture   *fixture,
                         gconstpointer  user_data)
{
  ThreadData thread = { fixture->loop };
  GThread *other;

  /* The loop's thread is this one. */
  g_main_context_iteration (fixture->context, FALSE);
  other = g_thread_new ("spawner", spawn_eager_from_thread, &thread);
  g_thread_join (other);
  g_assert_cmpuint (thread.ran_in_call, ==, 0);

  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (thread.task)), TEST_TIMEOUT_SECONDS);
  g_assert_cmpuint (thread.data.ran, ==, 1);
  g_assert_true (thread.data.seen_current == thread.task);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (thread.task), NULL), ==, 42);
  bridge_task_unref (thread.task);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  LOOP_TEST ("/libbridge/task/eager/completes-before-return", test_eager_completes_before_return);
  LOOP_TEST ("/libbridge/task/eager/done-callbacks-from-loop", test_eager_done_callbacks_from_loop);
  LOOP_TEST ("/libbridge/task/eager/fails-before-return", test_eager_fails_before_return);
  LOOP_TEST ("/libbridge/task/eager/parks-at-first-await", test_eager_parks_at_first_await);
  LOOP_TEST ("/libbridge/task/eager/cancel-after-park", test_eager_cancel_after_park);
  LOOP_TEST ("/libbridge/task/eager/cancel-during-eager-part", test_eager_cancel_during_eager_part);
  LOOP_TEST ("/libbridge/task/eager/from-callback", test_eager_from_callback);
  LOOP_TEST ("/libbridge/task/eager/from-task", test_eager_from_task);
  LOOP_TEST ("/libbridge/task/eager/nested", test_eager_nested);
  LOOP_TEST ("/libbridge/task/eager/other-thread", test_eager_other_thread);

  return g_test_run ();
}
