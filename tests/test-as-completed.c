/* test-as-completed.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <libbridge.h>

#include "test-combinator-util.h"

static gint64
next_int64 (BridgeAsCompleted *iter)
{
  g_autoptr(GError) error = NULL;
  BridgeFuture *next = bridge_as_completed_next (iter, &error);
  gint64 value;

  g_assert_no_error (error);
  g_assert_nonnull (next);
  g_assert_true (bridge_future_is_done (next));
  value = bridge_future_get_int64 (next, &error);
  g_assert_no_error (error);
  return value;
}

static void
assert_exhausted (BridgeAsCompleted *iter)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (bridge_as_completed_get_remaining (iter), ==, 0);
  g_assert_null (bridge_as_completed_next (iter, &error));
  g_assert_no_error (error);
}

/* ---- completion order ------------------------------------------------------------- */

static void
order_main (BridgeTask *task,
            gpointer    user_data)
{
  ChildSpec specs[] = {
    { .delay = 0.030, .value = 1 },
    { .delay = 0.010, .value = 2 },
    { .delay = 0.020, .value = 3 },
  };
  BridgeFuture *futures[G_N_ELEMENTS (specs)];
  g_autoptr(BridgeAsCompleted) iter = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    futures[i] = BRIDGE_FUTURE (spawn_child (&specs[i]));

  iter = bridge_as_completed_new (futures, G_N_ELEMENTS (futures), -1);
  g_assert_cmpuint (bridge_as_completed_get_remaining (iter), ==, 3);
  g_assert_cmpint (next_int64 (iter), ==, 2);
  g_assert_cmpint (next_int64 (iter), ==, 3);
  g_assert_cmpint (next_int64 (iter), ==, 1);
  assert_exhausted (iter);

  for (guint i = 0; i < G_N_ELEMENTS (futures); i++)
    bridge_future_unref (futures[i]);
}

static void
test_as_completed_order (LoopFixture   *fixture,
                         gconstpointer  data)
{
  fixture_run_ok (fixture, order_main, NULL);
}

/* ---- duplicates are handed out once ------------------------------------------------- */

static void
duplicates_main (BridgeTask *task,
                 gpointer    user_data)
{
  ChildSpec spec_a = { .delay = 0.010, .value = 1 };
  ChildSpec spec_b = { .delay = 0.020, .value = 2 };
  g_autoptr(BridgeTask) a = spawn_child (&spec_a);
  g_autoptr(BridgeTask) b = spawn_child (&spec_b);
  g_autoptr(BridgeFuture) done = bridge_future_new ();
  BridgeFuture *futures[] = { BRIDGE_FUTURE (a), BRIDGE_FUTURE (b), BRIDGE_FUTURE (a), done, done };
  g_autoptr(BridgeAsCompleted) iter = NULL;

  bridge_future_set_int64 (done, 0, NULL);
  iter = bridge_as_completed_new (futures, G_N_ELEMENTS (futures), -1);
  g_assert_cmpuint (bridge_as_completed_get_remaining (iter), ==, 3);
  g_assert_cmpint (next_int64 (iter), ==, 0);
  g_assert_cmpint (next_int64 (iter), ==, 1);
  g_assert_cmpint (next_int64 (iter), ==, 2);
  assert_exhausted (iter);
}

static void
test_as_completed_duplicates (LoopFixture   *fixture,
                              gconstpointer  data)
{
  fixture_run_ok (fixture, duplicates_main, NULL);
}

/* ---- futures already done come first, in argument order --------------------------------- */

static void
already_done_main (BridgeTask *task,
                   gpointer    user_data)
{
  ChildSpec spec = { .delay = 0.005, .value = 9 };
  g_autoptr(BridgeTask) pending = spawn_child (&spec);
  g_autoptr(BridgeFuture) first = bridge_future_new ();
  g_autoptr(BridgeFuture) second = bridge_future_new ();
  BridgeFuture *futures[] = { BRIDGE_FUTURE (pending), second, first };
  g_autoptr(BridgeAsCompleted) iter = NULL;

  bridge_future_set_int64 (first, 1, NULL);
  bridge_future_set_int64 (second, 2, NULL);
  iter = bridge_as_completed_new (futures, 3, -1);
  g_assert_cmpint (next_int64 (iter), ==, 2);
  g_assert_cmpint (next_int64 (iter), ==, 1);
  g_assert_cmpint (next_int64 (iter), ==, 9);
  assert_exhausted (iter);
}

static void
test_as_completed_already_done (LoopFixture   *fixture,
                                gconstpointer  data)
{
  fixture_run_ok (fixture, already_done_main, NULL);
}

/* ---- failed futures are handed out like the others ---------------------------------------- */

static void
failed_main (BridgeTask *task,
             gpointer    user_data)
{
  ChildSpec spec = { .delay = 0.005, .value = 1, .error_code = G_IO_ERROR_NOT_FOUND };
  g_autoptr(BridgeTask) failing = spawn_child (&spec);
  g_autoptr(BridgeAsCompleted) iter = bridge_as_completed_new ((BridgeFuture **) &failing, 1, -1);
  g_autoptr(GError) error = NULL;
  BridgeFuture *next;

  next = bridge_as_completed_next (iter, &error);
  g_assert_no_error (error);
  g_assert_true (next == BRIDGE_FUTURE (failing));
  g_assert_false (bridge_future_get_value (next, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_as_completed_failed (LoopFixture   *fixture,
                          gconstpointer  data)
{
  fixture_run_ok (fixture, failed_main, NULL);
}

/* ---- the overall timeout ----------------------------------------------------------------------- */

static void
timeout_main (BridgeTask *task,
              gpointer    user_data)
{
  ChildSpec quick = { .delay = 0.005, .value = 1 };
  ChildSpec slow = { .delay = 10.0, .value = 2 };
  ChildSpec slower = { .delay = 20.0, .value = 3 };
  g_autoptr(BridgeTask) a = spawn_child (&quick);
  g_autoptr(BridgeTask) b = spawn_child (&slow);
  g_autoptr(BridgeTask) c = spawn_child (&slower);
  BridgeFuture *futures[] = { BRIDGE_FUTURE (b), BRIDGE_FUTURE (a), BRIDGE_FUTURE (c) };
  g_autoptr(BridgeAsCompleted) iter = bridge_as_completed_new (futures, 3, 0.040);
  g_autoptr(GError) error = NULL;

  /* Wait past the deadline first: what finished in time is still handed out. */
  g_assert_true (bridge_sleep (0.060, &error));
  g_assert_cmpint (next_int64 (iter), ==, 1);

  /* Then one timeout per future that did not make it. */
  for (guint i = 0; i < 2; i++)
    {
      g_assert_null (bridge_as_completed_next (iter, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      g_clear_error (&error);
    }
  assert_exhausted (iter);

  /* The timeout cancelled nothing. */
  g_assert_false (slow.saw_cancel);
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (b)));
  cancel_and_reap (b);
  cancel_and_reap (c);
}

static void
test_as_completed_timeout (LoopFixture   *fixture,
                           gconstpointer  data)
{
  fixture_run_ok (fixture, timeout_main, NULL);
}

/* A task parked in next() when the deadline passes is woken with it. */
static void
timeout_while_waiting_main (BridgeTask *task,
                            gpointer    user_data)
{
  g_autoptr(BridgeFuture) never = bridge_future_new ();
  g_autoptr(BridgeAsCompleted) iter = bridge_as_completed_new (&never, 1, 0.020);
  g_autoptr(GError) error = NULL;
  double start = bridge_loop_time (current_loop ());

  g_assert_null (bridge_as_completed_next (iter, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpfloat (bridge_loop_time (current_loop ()) - start, >=, 0.015);
  g_assert_false (bridge_future_is_done (never));
  assert_exhausted (iter);

  /* The late completion is ignored. */
  bridge_future_set_int64 (never, 1, NULL);
  g_assert_true (bridge_yield (NULL));
  assert_exhausted (iter);
}

static void
test_as_completed_timeout_while_waiting (LoopFixture   *fixture,
                                         gconstpointer  data)
{
  fixture_run_ok (fixture, timeout_while_waiting_main, NULL);
}

/* ---- cancelling a task in next() loses nothing ------------------------------------------------- */

typedef struct
{
  BridgeAsCompleted *iter;
  gboolean           parked;
} NextData;

static void
next_task (BridgeTask *task,
           gpointer    user_data)
{
  NextData *data = user_data;
  GError *error = NULL;

  data->parked = TRUE;
  g_assert_null (bridge_as_completed_next (data->iter, &error));
  bridge_task_return_error (task, error);
}

static void
cancelled_in_next_main (BridgeTask *task,
                        gpointer    user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new ();
  NextData data = { bridge_as_completed_new (&future, 1, -1), FALSE };
  g_autoptr(BridgeTask) waiter = bridge_spawn_full (NULL, "next", 0, next_task, &data, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_yield (&error));
  g_assert_true (data.parked);
  g_assert_true (bridge_task_cancel (waiter, NULL));
  g_assert_false (bridge_await (BRIDGE_FUTURE (waiter), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* The turn was given back. */
  g_assert_cmpuint (bridge_as_completed_get_remaining (data.iter), ==, 1);
  bridge_future_set_int64 (future, 4, NULL);
  g_assert_cmpint (next_int64 (data.iter), ==, 4);
  assert_exhausted (data.iter);
  bridge_as_completed_free (data.iter);
}

static void
test_as_completed_cancelled_in_next (LoopFixture   *fixture,
                                     gconstpointer  data)
{
  fixture_run_ok (fixture, cancelled_in_next_main, NULL);
}

/* The hard case: the task was woken for a future, and cancelled before it
 * could run. The future must be handed out later, not dropped. */
static void
woken_then_cancelled_main (BridgeTask *task,
                           gpointer    user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new ();
  NextData data = { bridge_as_completed_new (&future, 1, -1), FALSE };
  g_autoptr(BridgeTask) waiter = bridge_spawn_full (NULL, "next", 0, next_task, &data, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_yield (&error));
  g_assert_true (data.parked);

  /* Iteration 1: the future completes. Iteration 2: the iterator hears of
   * it and wakes the waiter, whose resumption is queued for iteration 3;
   * this task, resuming in iteration 2 after that, cancels it first. */
  bridge_future_set_int64 (future, 6, NULL);
  g_assert_true (bridge_yield (&error));
  g_assert_cmpint (bridge_task_get_state (waiter), ==, BRIDGE_TASK_STATE_PARKED);
  g_assert_true (bridge_future_is_done (bridge_task_get_awaiting (waiter)));
  g_assert_true (bridge_task_cancel (waiter, NULL));

  g_assert_false (bridge_await (BRIDGE_FUTURE (waiter), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  g_assert_cmpuint (bridge_as_completed_get_remaining (data.iter), ==, 1);
  g_assert_cmpint (next_int64 (data.iter), ==, 6);
  assert_exhausted (data.iter);
  bridge_as_completed_free (data.iter);
}

static void
test_as_completed_woken_then_cancelled (LoopFixture   *fixture,
                                        gconstpointer  data)
{
  fixture_run_ok (fixture, woken_then_cancelled_main, NULL);
}

/* ---- two tasks on one iterator are served in order ---------------------------------------------- */

static void
taker_task (BridgeTask *task,
            gpointer    user_data)
{
  BridgeAsCompleted *iter = user_data;
  GError *error = NULL;
  BridgeFuture *next = bridge_as_completed_next (iter, &error);

  g_assert_no_error (error);
  bridge_task_return_int64 (task, bridge_future_get_int64 (next, NULL));
}

static void
two_takers_main (BridgeTask *task,
                 gpointer    user_data)
{
  g_autoptr(BridgeFuture) x = bridge_future_new ();
  g_autoptr(BridgeFuture) y = bridge_future_new ();
  BridgeFuture *futures[] = { x, y };
  g_autoptr(BridgeAsCompleted) iter = bridge_as_completed_new (futures, 2, -1);
  g_autoptr(BridgeTask) first = bridge_spawn_full (NULL, "first", 0, taker_task, iter, NULL);
  g_autoptr(BridgeTask) second = bridge_spawn_full (NULL, "second", 0, taker_task, iter, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_yield (&error));
  bridge_future_set_int64 (y, 20, NULL);
  g_assert_cmpint (bridge_await_int64 (BRIDGE_FUTURE (first), &error), ==, 20);
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (second)));
  bridge_future_set_int64 (x, 10, NULL);
  g_assert_cmpint (bridge_await_int64 (BRIDGE_FUTURE (second), &error), ==, 10);
  assert_exhausted (iter);
}

static void
test_as_completed_two_takers (LoopFixture   *fixture,
                              gconstpointer  data)
{
  fixture_run_ok (fixture, two_takers_main, NULL);
}

/* Woken, then cancelled, with another task waiting too: the wake-up is
 * passed on, so the other task gets the future. */
static void
wake_passed_on_main (BridgeTask *task,
                     gpointer    user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new ();
  g_autoptr(BridgeFuture) later = bridge_future_new ();
  BridgeFuture *futures[] = { future, later };
  NextData data = { bridge_as_completed_new (futures, 2, -1), FALSE };
  g_autoptr(BridgeTask) first = bridge_spawn_full (NULL, "first", 0, next_task, &data, NULL);
  g_autoptr(BridgeTask) second = bridge_spawn_full (NULL, "second", 0, taker_task, data.iter, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_yield (&error));
  bridge_future_set_int64 (future, 8, NULL);
  g_assert_true (bridge_yield (&error));
  /* The first waiter was woken and has not run yet. */
  g_assert_true (bridge_future_is_done (bridge_task_get_awaiting (first)));
  g_assert_false (bridge_future_is_done (bridge_task_get_awaiting (second)));
  g_assert_true (bridge_task_cancel (first, NULL));

  g_assert_true (bridge_wait_for (BRIDGE_FUTURE (second), TEST_TIMEOUT_SECONDS, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (second), NULL), ==, 8);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (first)));

  /* The cancelled task's turn is still there for the other future. */
  g_assert_cmpuint (bridge_as_completed_get_remaining (data.iter), ==, 1);
  bridge_future_set_int64 (later, 9, NULL);
  g_assert_cmpint (next_int64 (data.iter), ==, 9);
  assert_exhausted (data.iter);
  bridge_as_completed_free (data.iter);
}

static void
test_as_completed_wake_passed_on (LoopFixture   *fixture,
                                  gconstpointer  data)
{
  fixture_run_ok (fixture, wake_passed_on_main, NULL);
}

/* ---- edges ------------------------------------------------------------------------------------------ */

static void
empty_main (BridgeTask *task,
            gpointer    user_data)
{
  g_autoptr(BridgeAsCompleted) iter = bridge_as_completed_new (NULL, 0, 1.0);

  assert_exhausted (iter);
}

static void
test_as_completed_empty (LoopFixture   *fixture,
                         gconstpointer  data)
{
  fixture_run_ok (fixture, empty_main, NULL);
}

static void
test_as_completed_outside_task (LoopFixture   *fixture,
                                gconstpointer  data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(BridgeAsCompleted) iter = bridge_as_completed_new (&future, 1, 10.0);
  g_autoptr(GError) error = NULL;

  g_assert_null (bridge_as_completed_next (iter, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_cmpuint (bridge_as_completed_get_remaining (iter), ==, 1);
}

/* Freeing the iterator with futures still pending and done callbacks still
 * queued: nothing is cancelled, nothing leaks (the fixture checks). */
static void
free_early_main (BridgeTask *task,
                 gpointer    user_data)
{
  g_autoptr(BridgeFuture) pending = bridge_future_new ();
  g_autoptr(BridgeFuture) done = bridge_future_new ();
  BridgeFuture *futures[] = { pending, done };
  BridgeAsCompleted *iter;

  bridge_future_set_int64 (done, 1, NULL);
  iter = bridge_as_completed_new (futures, 2, 10.0);
  bridge_as_completed_free (iter);
  g_assert_true (bridge_yield (NULL));
  g_assert_false (bridge_future_is_done (pending));
  bridge_future_set_int64 (pending, 2, NULL);
  g_assert_true (bridge_yield (NULL));
}

static void
test_as_completed_free_early (LoopFixture   *fixture,
                              gconstpointer  data)
{
  fixture_run_ok (fixture, free_early_main, NULL);
}

/* The futures' callbacks and the timer hold the iterator, which holds the
 * futures: closing the loop under them must free everything. */
static void
test_as_completed_pending_at_close (LoopFixture   *fixture,
                                    gconstpointer  data)
{
  BridgeFuture *never = bridge_future_new_for_loop (fixture->loop);
  BridgeTask *a = spawn_parked (fixture->loop, never);
  BridgeTask *b = spawn_parked (fixture->loop, never);
  BridgeFuture *futures[] = { BRIDGE_FUTURE (a), BRIDGE_FUTURE (b) };
  BridgeAsCompleted *iter = bridge_as_completed_new (futures, 2, 10.0);
  guint pending_destroyed = 0;

  bridge_loop_set_exception_handler (fixture->loop, count_pending_destroyed, &pending_destroyed, NULL);
  g_assert_true (bridge_loop_close (fixture->loop, NULL));
  g_assert_cmpuint (pending_destroyed, ==, 2);

  bridge_as_completed_free (iter);
  bridge_task_unref (a);
  bridge_task_unref (b);
  bridge_future_unref (never);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  LOOP_TEST ("/libbridge/as-completed/order", test_as_completed_order);
  LOOP_TEST ("/libbridge/as-completed/duplicates", test_as_completed_duplicates);
  LOOP_TEST ("/libbridge/as-completed/already-done", test_as_completed_already_done);
  LOOP_TEST ("/libbridge/as-completed/failed-future", test_as_completed_failed);
  LOOP_TEST ("/libbridge/as-completed/timeout", test_as_completed_timeout);
  LOOP_TEST ("/libbridge/as-completed/timeout-while-waiting", test_as_completed_timeout_while_waiting);
  LOOP_TEST ("/libbridge/as-completed/cancelled-in-next", test_as_completed_cancelled_in_next);
  LOOP_TEST ("/libbridge/as-completed/woken-then-cancelled", test_as_completed_woken_then_cancelled);
  LOOP_TEST ("/libbridge/as-completed/two-takers", test_as_completed_two_takers);
  LOOP_TEST ("/libbridge/as-completed/wake-passed-on", test_as_completed_wake_passed_on);
  LOOP_TEST ("/libbridge/as-completed/empty", test_as_completed_empty);
  LOOP_TEST ("/libbridge/as-completed/outside-task", test_as_completed_outside_task);
  LOOP_TEST ("/libbridge/as-completed/free-early", test_as_completed_free_early);
  LOOP_TEST ("/libbridge/as-completed/pending-at-loop-close", test_as_completed_pending_at_close);

  return g_test_run ();
}
