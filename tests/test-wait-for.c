/* test-wait-for.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <libbridge.h>

#include "test-combinator-util.h"

/* ---- completes in time ---------------------------------------------------------- */

static void
in_time_main (BridgeTask *task,
              gpointer    user_data)
{
  ChildSpec spec = { .delay = 0.010, .value = 11 };
  g_autoptr(BridgeTask) child = spawn_child (&spec);
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_wait_for (BRIDGE_FUTURE (child), 10.0, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (child), NULL), ==, 11);
  g_assert_false (spec.saw_cancel);
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 0);
}

static void
test_wait_for_in_time (LoopFixture   *fixture,
                       gconstpointer  data)
{
  fixture_run_ok (fixture, in_time_main, NULL);
}

static void
inner_error_main (BridgeTask *task,
                  gpointer    user_data)
{
  ChildSpec spec = { .delay = 0.005, .value = 1, .error_code = G_IO_ERROR_NOT_FOUND };
  g_autoptr(BridgeTask) child = spawn_child (&spec);
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_wait_for (BRIDGE_FUTURE (child), 10.0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_wait_for_inner_error (LoopFixture   *fixture,
                           gconstpointer  data)
{
  ExceptionLog exceptions = { 0 };

  bridge_loop_set_exception_handler (fixture->loop, exception_log_handler, &exceptions, NULL);
  fixture_run_ok (fixture, inner_error_main, NULL);
  g_assert_cmpuint (exceptions.count, ==, 0);
  bridge_loop_set_exception_handler (fixture->loop, NULL, NULL, NULL);
  exception_log_clear (&exceptions);
}

/* ---- the timeout cancels the inner future and waits for it -------------------------------- */

static void
timeout_main (BridgeTask *task,
              gpointer    user_data)
{
  ChildSpec spec = { .delay = 10.0, .value = 1, .cleanup_delay = 0.030 };
  g_autoptr(BridgeTask) child = spawn_child (&spec);
  g_autoptr(GError) error = NULL;
  double start = bridge_loop_time (current_loop ());

  g_assert_false (bridge_wait_for (BRIDGE_FUTURE (child), 0.020, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);

  /* The child was cancelled, and wait_for() returned only once its cleanup
   * (which itself awaits) was over. */
  g_assert_true (spec.saw_cancel);
  g_assert_true (spec.cleaned_up);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (child)));
  g_assert_cmpfloat (bridge_loop_time (current_loop ()) - start, >=, 0.045);

  /* The caller's own cancellation count is untouched and later awaits work. */
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 0);
  g_assert_true (bridge_sleep (0.001, &error));
  g_assert_no_error (error);
}

static void
test_wait_for_timeout (LoopFixture   *fixture,
                       gconstpointer  data)
{
  fixture_run_ok (fixture, timeout_main, NULL);
}

/* ---- the inner result wins over the timeout ------------------------------------------------ */

static void
result_wins_main (BridgeTask *task,
                  gpointer    user_data)
{
  ChildSpec stubborn = { .delay = 10.0, .value = 23, .ignore_cancel = TRUE, .cleanup_delay = 0.010 };
  ChildSpec failing = { .delay = 10.0, .value = 24, .ignore_cancel = TRUE,
                        .error_code = G_IO_ERROR_BROKEN_PIPE };
  g_autoptr(BridgeTask) a = spawn_child (&stubborn);
  g_autoptr(BridgeTask) b = spawn_child (&failing);
  g_autoptr(GError) error = NULL;

  /* It completed with a value while being cancelled: the value is returned. */
  g_assert_true (bridge_wait_for (BRIDGE_FUTURE (a), 0.010, &error));
  g_assert_no_error (error);
  g_assert_true (stubborn.saw_cancel);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (a), NULL), ==, 23);

  /* It failed while being cancelled: that error is returned, not a timeout. */
  g_assert_false (bridge_wait_for (BRIDGE_FUTURE (b), 0.010, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_assert_true (failing.saw_cancel);
}

static void
test_wait_for_result_wins (LoopFixture   *fixture,
                           gconstpointer  data)
{
  fixture_run_ok (fixture, result_wins_main, NULL);
}

/* The returned future is cancelled after the inner one finished but before
 * it heard of it: the request wins, as a pending cancellation of a task
 * awaiting the inner future would, and the inner result is left intact. */
static void
test_wait_for_cancel_after_inner_done (LoopFixture   *fixture,
                                       gconstpointer  data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(BridgeFuture) wait_for = bridge_wait_for_future (future, 10.0);
  g_autoptr(BridgeFuture) tick = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_future_set_int64 (future, 42, NULL));
  g_assert_false (bridge_future_is_done (wait_for));
  g_assert_true (bridge_future_cancel (wait_for, NULL));
  g_assert_true (bridge_future_is_cancelled (wait_for));

  /* Let the inner callback run (it was queued before this tick): it must
   * leave the finished outer future alone. */
  tick = bridge_future_new_for_loop (fixture->loop);
  bridge_loop_call_soon (fixture->loop, set_int64_cb, tick, NULL);
  g_assert_true (bridge_loop_run_until_complete (fixture->loop, tick, &error));
  g_assert_no_error (error);

  g_assert_true (bridge_future_is_cancelled (wait_for));
  g_assert_false (bridge_future_get_value (wait_for, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (bridge_future_get_int64 (future, NULL), ==, 42);
}

/* ---- timeout 0 ------------------------------------------------------------------------------ */

static void
mark_ran_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
timeout_zero_main (BridgeTask *task,
                   gpointer    user_data)
{
  g_autoptr(BridgeFuture) finished = bridge_future_new ();
  g_autoptr(BridgeFuture) plain = bridge_future_new ();
  ChildSpec unstarted = { .delay = 10.0, .value = 3 };
  ChildSpec stubborn = { .delay = 10.0, .value = 4, .ignore_cancel = TRUE };
  g_autoptr(BridgeTask) running = spawn_child (&stubborn);
  g_autoptr(BridgeTask) child = NULL;
  g_autoptr(GError) error = NULL;
  gboolean loop_ran = FALSE;

  /* Already done: the result at once, without giving the loop a turn. */
  bridge_future_set_int64 (finished, 5, NULL);
  bridge_loop_call_soon (current_loop (), mark_ran_cb, &loop_ran, NULL);
  g_assert_true (bridge_wait_for (finished, 0, &error));
  g_assert_no_error (error);
  g_assert_false (loop_ran);
  g_assert_cmpint (bridge_future_get_int64 (finished, NULL), ==, 5);

  /* A pending future is cancelled right away. */
  g_assert_false (bridge_wait_for (plain, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_true (bridge_future_is_cancelled (plain));
  g_clear_error (&error);

  /* A task that has not started yet never runs its body. */
  child = spawn_child (&unstarted);
  g_assert_false (bridge_wait_for (BRIDGE_FUTURE (child), 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_false (unstarted.started);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (child)));
  g_clear_error (&error);

  /* A running task that ignores the cancellation still delivers. */
  g_assert_true (stubborn.started);
  g_assert_true (bridge_wait_for (BRIDGE_FUTURE (running), 0, &error));
  g_assert_no_error (error);
  g_assert_true (stubborn.saw_cancel);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (running), NULL), ==, 4);
}

static void
test_wait_for_timeout_zero (LoopFixture   *fixture,
                            gconstpointer  data)
{
  fixture_run_ok (fixture, timeout_zero_main, NULL);
}

/* ---- no timeout ---------------------------------------------------------------------------------- */

static void
no_timeout_main (BridgeTask *task,
                 gpointer    user_data)
{
  ChildSpec spec = { .delay = 0.030, .value = 8 };
  g_autoptr(BridgeTask) child = spawn_child (&spec);
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_wait_for (BRIDGE_FUTURE (child), -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (child), NULL), ==, 8);
}

static void
test_wait_for_no_timeout (LoopFixture   *fixture,
                          gconstpointer  data)
{
  fixture_run_ok (fixture, no_timeout_main, NULL);
}

/* ---- cancelling the caller is a cancellation, not a timeout ------------------------------------ */

typedef struct
{
  ChildSpec   spec;
  BridgeTask *child;
  double      timeout;
} OuterData;

static void
waiting_task (BridgeTask *task,
              gpointer    user_data)
{
  OuterData *data = user_data;
  GError *error = NULL;

  g_assert_false (bridge_wait_for (BRIDGE_FUTURE (data->child), data->timeout, &error));
  bridge_task_return_error (task, error);
}

static void
caller_cancelled_main (BridgeTask *task,
                       gpointer    user_data)
{
  OuterData data = { .spec = { .delay = 10.0, .value = 1, .cleanup_delay = 0.010 }, .timeout = 10.0 };
  g_autoptr(BridgeTask) waiter = NULL;
  g_autoptr(GError) error = NULL;

  data.child = spawn_child (&data.spec);
  waiter = bridge_spawn_full (NULL, "waiter", 0, waiting_task, &data, NULL);
  g_assert_true (bridge_yield (&error));
  g_assert_true (bridge_task_cancel (waiter, "from outside"));

  g_assert_false (bridge_await (BRIDGE_FUTURE (waiter), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "from outside");
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (waiter)));

  /* The inner task got the cancellation too, and was waited for. */
  g_assert_true (data.spec.saw_cancel);
  g_assert_true (data.spec.cleaned_up);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (data.child)));
  bridge_task_unref (data.child);
}

static void
test_wait_for_caller_cancelled (LoopFixture   *fixture,
                                gconstpointer  data)
{
  fixture_run_ok (fixture, caller_cancelled_main, NULL);
}

/* Cancelled from outside while the inner task is still cleaning up after
 * the timeout: that is a cancellation, not a timeout. */
static void
cancelled_after_timeout_main (BridgeTask *task,
                              gpointer    user_data)
{
  OuterData data = { .spec = { .delay = 10.0, .value = 1, .cleanup_delay = 10.0 }, .timeout = 0.010 };
  g_autoptr(BridgeTask) waiter = NULL;
  g_autoptr(GError) error = NULL;

  data.child = spawn_child (&data.spec);
  waiter = bridge_spawn_full (NULL, "waiter", 0, waiting_task, &data, NULL);

  /* The deadline passes and the child starts its (long) cleanup. */
  while (!data.spec.saw_cancel)
    g_assert_true (bridge_sleep (0.005, &error));
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (waiter)));
  g_assert_true (bridge_task_cancel (waiter, NULL));

  g_assert_false (bridge_await (BRIDGE_FUTURE (waiter), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (data.spec.cleanup_interrupted);
  bridge_task_unref (data.child);
}

static void
test_wait_for_cancelled_after_timeout (LoopFixture   *fixture,
                                       gconstpointer  data)
{
  fixture_run_ok (fixture, cancelled_after_timeout_main, NULL);
}

/* ---- the future form, outside a task ---------------------------------------------------------- */

static void
test_wait_for_future_form (LoopFixture   *fixture,
                           gconstpointer  data)
{
  g_autoptr(BridgeFuture) slow = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(BridgeFuture) quick = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(BridgeFuture) slow_wait = bridge_wait_for_future (slow, 0.010);
  g_autoptr(BridgeFuture) quick_wait = bridge_wait_for_future (quick, 10.0);
  g_autoptr(BridgeFuture) cancelled_wait = NULL;
  g_autoptr(BridgeFuture) third = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_loop_run_until_complete (fixture->loop, slow_wait, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_true (bridge_future_is_cancelled (slow));
  g_clear_error (&error);

  set_int64_at (fixture->loop, bridge_loop_time (fixture->loop) + 0.005, quick);
  g_assert_true (bridge_loop_run_until_complete (fixture->loop, quick_wait, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bridge_future_get_int64 (quick_wait, NULL), ==, 42);

  /* Cancelling the returned future cancels the inner one. */
  cancelled_wait = bridge_wait_for_future (third, 10.0);
  g_assert_true (bridge_future_cancel (cancelled_wait, "bye"));
  g_assert_false (bridge_loop_run_until_complete (fixture->loop, cancelled_wait, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (bridge_future_is_cancelled (third));
  g_assert_true (bridge_future_is_cancelled (cancelled_wait));
}

static void
test_wait_for_outside_task (LoopFixture   *fixture,
                            gconstpointer  data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_wait_for (future, 1.0, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  /* Nothing was armed or cancelled. */
  g_assert_false (bridge_future_is_done (future));
}

/* The timer and the inner callback hold the returned future, which holds
 * the inner task: closing the loop under them must free everything. */
static void
test_wait_for_pending_at_close (LoopFixture   *fixture,
                                gconstpointer  data)
{
  BridgeFuture *never = bridge_future_new_for_loop (fixture->loop);
  BridgeTask *inner = spawn_parked (fixture->loop, never);
  BridgeFuture *wait_for = bridge_wait_for_future (BRIDGE_FUTURE (inner), 10.0);
  guint pending_destroyed = 0;

  bridge_loop_set_exception_handler (fixture->loop, count_pending_destroyed, &pending_destroyed, NULL);
  g_assert_true (bridge_loop_close (fixture->loop, NULL));
  g_assert_cmpuint (pending_destroyed, ==, 1);

  bridge_future_unref (wait_for);
  bridge_task_unref (inner);
  bridge_future_unref (never);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  LOOP_TEST ("/libbridge/wait-for/in-time", test_wait_for_in_time);
  LOOP_TEST ("/libbridge/wait-for/inner-error", test_wait_for_inner_error);
  LOOP_TEST ("/libbridge/wait-for/timeout-cancels-and-waits", test_wait_for_timeout);
  LOOP_TEST ("/libbridge/wait-for/inner-result-wins", test_wait_for_result_wins);
  LOOP_TEST ("/libbridge/wait-for/cancel-after-inner-done", test_wait_for_cancel_after_inner_done);
  LOOP_TEST ("/libbridge/wait-for/timeout-zero", test_wait_for_timeout_zero);
  LOOP_TEST ("/libbridge/wait-for/no-timeout", test_wait_for_no_timeout);
  LOOP_TEST ("/libbridge/wait-for/caller-cancelled", test_wait_for_caller_cancelled);
  LOOP_TEST ("/libbridge/wait-for/cancelled-after-timeout", test_wait_for_cancelled_after_timeout);
  LOOP_TEST ("/libbridge/wait-for/future-form", test_wait_for_future_form);
  LOOP_TEST ("/libbridge/wait-for/outside-task", test_wait_for_outside_task);
  LOOP_TEST ("/libbridge/wait-for/pending-at-loop-close", test_wait_for_pending_at_close);

  return g_test_run ();
}
