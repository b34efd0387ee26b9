/* test-shield.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <libbridge.h>

#include "test-combinator-util.h"

/* ---- cancelling the outer future leaves the inner one running ------------------- */

static void
outer_cancel_main (BridgeTask *task,
                   gpointer    user_data)
{
  ChildSpec spec = { .delay = 0.020, .value = 7 };
  g_autoptr(BridgeTask) inner = spawn_child (&spec);
  g_autoptr(BridgeFuture) outer = bridge_shield (BRIDGE_FUTURE (inner));
  g_autoptr(GError) error = NULL;

  g_assert_true (outer != BRIDGE_FUTURE (inner));
  g_assert_true (bridge_yield (&error));

  g_assert_true (bridge_future_cancel (outer, NULL));
  g_assert_true (bridge_future_is_cancelled (outer));
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (inner)));
  g_assert_cmpuint (bridge_task_get_cancelling (inner), ==, 0);

  g_assert_cmpint (bridge_await_int64 (BRIDGE_FUTURE (inner), &error), ==, 7);
  g_assert_no_error (error);
  g_assert_false (spec.saw_cancel);
  g_assert_true (bridge_future_is_cancelled (outer));
}

static void
test_shield_outer_cancel (LoopFixture   *fixture,
                          gconstpointer  data)
{
  fixture_run_ok (fixture, outer_cancel_main, NULL);
}

/* A task awaiting the shield is cancelled at once; the work goes on. */
typedef struct
{
  BridgeFuture *shielded;
  gboolean      returned;
} AwaiterData;

static void
awaiter_task (BridgeTask *task,
              gpointer    user_data)
{
  AwaiterData *data = user_data;
  GError *error = NULL;

  g_assert_false (bridge_await (data->shielded, &error));
  data->returned = TRUE;
  bridge_task_return_error (task, error);
}

static void
awaiting_task_cancelled_main (BridgeTask *task,
                              gpointer    user_data)
{
  ChildSpec spec = { .delay = 0.030, .value = 9 };
  g_autoptr(BridgeTask) inner = spawn_child (&spec);
  AwaiterData data = { bridge_shield (BRIDGE_FUTURE (inner)), FALSE };
  g_autoptr(BridgeTask) awaiter = bridge_spawn_full (NULL, "awaiter", 0, awaiter_task, &data, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_yield (&error));
  g_assert_true (bridge_task_cancel (awaiter, NULL));
  g_assert_false (bridge_await (BRIDGE_FUTURE (awaiter), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_true (data.returned);
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (inner)));

  g_assert_cmpint (bridge_await_int64 (BRIDGE_FUTURE (inner), &error), ==, 9);
  g_assert_no_error (error);
  g_assert_false (spec.saw_cancel);
  bridge_future_unref (data.shielded);
}

static void
test_shield_awaiting_task_cancelled (LoopFixture   *fixture,
                                     gconstpointer  data)
{
  fixture_run_ok (fixture, awaiting_task_cancelled_main, NULL);
}

/* ---- the outcome passes through ------------------------------------------------------------- */

static void
outcome_main (BridgeTask *task,
              gpointer    user_data)
{
  ChildSpec fine = { .delay = 0.005, .value = 3 };
  ChildSpec failing = { .delay = 0.005, .value = 4, .error_code = G_IO_ERROR_NOT_FOUND };
  g_autoptr(BridgeTask) a = spawn_child (&fine);
  g_autoptr(BridgeTask) b = spawn_child (&failing);
  g_autoptr(BridgeFuture) plain = bridge_future_new ();
  g_autoptr(BridgeFuture) shield_a = bridge_shield (BRIDGE_FUTURE (a));
  g_autoptr(BridgeFuture) shield_b = bridge_shield (BRIDGE_FUTURE (b));
  g_autoptr(BridgeFuture) shield_plain = bridge_shield (plain);
  g_autoptr(GError) error = NULL;
  static char text[] = "borrowed";

  g_assert_cmpint (bridge_await_int64 (shield_a, &error), ==, 3);
  g_assert_no_error (error);

  g_assert_false (bridge_await (shield_b, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A pointer result is lent by the inner future. */
  bridge_future_set_pointer (plain, text, NULL, NULL);
  g_assert_true (bridge_await (shield_plain, &error));
  g_assert_true (bridge_future_get_pointer (shield_plain, NULL) == text);
}

static void
test_shield_outcome (LoopFixture   *fixture,
                     gconstpointer  data)
{
  ExceptionLog exceptions = { 0 };

  bridge_loop_set_exception_handler (fixture->loop, exception_log_handler, &exceptions, NULL);
  fixture_run_ok (fixture, outcome_main, NULL);
  /* The shield retrieved b's error when it copied it. */
  g_assert_cmpuint (exceptions.count, ==, 0);
  bridge_loop_set_exception_handler (fixture->loop, NULL, NULL, NULL);
  exception_log_clear (&exceptions);
}

/* ---- cancelling the inner future cancels the outer one --------------------------------------- */

static void
inner_cancelled_main (BridgeTask *task,
                      gpointer    user_data)
{
  g_autoptr(BridgeFuture) inner = bridge_future_new ();
  g_autoptr(BridgeFuture) outer = bridge_shield (inner);
  g_autoptr(GError) error = NULL;

  bridge_future_cancel (inner, "inner went away");
  g_assert_false (bridge_await (outer, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "inner went away");
  g_assert_true (bridge_future_is_cancelled (outer));
}

static void
test_shield_inner_cancelled (LoopFixture   *fixture,
                             gconstpointer  data)
{
  fixture_run_ok (fixture, inner_cancelled_main, NULL);
}

/* ---- an inner future that is already done is returned itself ---------------------------------- */

static void
test_shield_done (LoopFixture   *fixture,
                  gconstpointer  data)
{
  g_autoptr(BridgeFuture) inner = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(BridgeFuture) outer = NULL;

  bridge_future_set_int64 (inner, 1, NULL);
  outer = bridge_shield (inner);
  g_assert_true (outer == inner);
}

/* ---- the inner future fails after the outer one was cancelled ------------------------------------ */

static void
fails_after_cancel_main (BridgeTask *task,
                         gpointer    user_data)
{
  ExceptionLog *exceptions = user_data;
  ChildSpec spec = { .delay = 0.020, .value = 5, .error_code = G_IO_ERROR_CONNECTION_REFUSED };
  BridgeTask *inner = spawn_child (&spec);
  BridgeFuture *outer = bridge_shield (BRIDGE_FUTURE (inner));
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_yield (&error));
  g_assert_true (bridge_future_cancel (outer, NULL));

  /* Keep watching the inner task from here, without retrieving its error. */
  while (!bridge_future_is_done (BRIDGE_FUTURE (inner)))
    g_assert_true (bridge_sleep (0.005, &error));

  g_assert_true (spec.finished);
  g_assert_false (spec.saw_cancel);
  g_assert_true (bridge_future_is_cancelled (outer));
  g_assert_cmpuint (exceptions->count, ==, 0);

  /* Nobody retrieved the inner error: asyncio reports it when the task goes
   * away, and so does libbridge. It was not silently swallowed. */
  bridge_future_unref (outer);
  bridge_task_unref (inner);
  g_assert_cmpuint (exceptions->count, ==, 1);
  g_assert_cmpstr (exceptions->last_message, ==, "Task exception was never retrieved");
  g_assert_error (exceptions->last_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

static void
test_shield_inner_fails_after_cancel (LoopFixture   *fixture,
                                      gconstpointer  data)
{
  ExceptionLog exceptions = { 0 };

  bridge_loop_set_exception_handler (fixture->loop, exception_log_handler, &exceptions, NULL);
  fixture_run_ok (fixture, fails_after_cancel_main, &exceptions);
  g_assert_cmpuint (exceptions.count, ==, 1);
  bridge_loop_set_exception_handler (fixture->loop, NULL, NULL, NULL);
  exception_log_clear (&exceptions);
}

/* The inner callback holds the outer future, which holds the inner task:
 * closing the loop under them must free both (the fixture checks). */
static void
test_shield_pending_at_close (LoopFixture   *fixture,
                              gconstpointer  data)
{
  BridgeFuture *never = bridge_future_new_for_loop (fixture->loop);
  BridgeTask *inner = spawn_parked (fixture->loop, never);
  BridgeFuture *outer = bridge_shield (BRIDGE_FUTURE (inner));
  guint pending_destroyed = 0;

  bridge_loop_set_exception_handler (fixture->loop, count_pending_destroyed, &pending_destroyed, NULL);
  g_assert_true (bridge_loop_close (fixture->loop, NULL));
  g_assert_cmpuint (pending_destroyed, ==, 1);

  bridge_future_unref (outer);
  bridge_task_unref (inner);
  bridge_future_unref (never);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  LOOP_TEST ("/libbridge/shield/outer-cancel-spares-inner", test_shield_outer_cancel);
  LOOP_TEST ("/libbridge/shield/awaiting-task-cancelled", test_shield_awaiting_task_cancelled);
  LOOP_TEST ("/libbridge/shield/outcome", test_shield_outcome);
  LOOP_TEST ("/libbridge/shield/inner-cancelled", test_shield_inner_cancelled);
  LOOP_TEST ("/libbridge/shield/already-done", test_shield_done);
  LOOP_TEST ("/libbridge/shield/inner-fails-after-outer-cancelled", test_shield_inner_fails_after_cancel);
  LOOP_TEST ("/libbridge/shield/pending-at-loop-close", test_shield_pending_at_close);

  return g_test_run ();
}
