/* test-timeout.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <libbridge.h>

#include "test-combinator-util.h"

/* After a scope, the task must be clean: no cancellation request left, and
 * its next await works. */
static void
assert_task_clean (BridgeTask *task)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 0);
  g_assert_true (bridge_sleep (0.001, &error));
  g_assert_no_error (error);
  g_assert_true (bridge_yield (&error));
  g_assert_no_error (error);
}

/* ---- the deadline passes: a timeout ------------------------------------------------ */

static void
expires_main (BridgeTask *task,
              gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  double start = bridge_loop_time (current_loop ());
  BridgeTimeout *scope = bridge_timeout_begin (0.020);
  g_autoptr(BridgeTimeout) keep = bridge_timeout_ref (scope);

  g_assert_cmpfloat (bridge_timeout_get_when (scope), >=, start + 0.020);
  g_assert_false (bridge_timeout_expired (scope));

  g_assert_false (bridge_sleep (10.0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (bridge_timeout_expired (scope));
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 1);

  g_assert_false (bridge_timeout_end (scope, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_true (bridge_timeout_expired (keep));
  g_assert_cmpfloat (bridge_loop_time (current_loop ()) - start, >=, 0.015);
  assert_task_clean (task);
}

static void
test_timeout_expires (LoopFixture   *fixture,
                      gconstpointer  data)
{
  fixture_run_ok (fixture, expires_main, NULL);
}

/* A task that lets the timeout error end it ends failed, not cancelled. */
static void
lets_timeout_out_main (BridgeTask *task,
                       gpointer    user_data)
{
  GError *error = NULL;
  BridgeTimeout *scope = bridge_timeout_begin (0.005);

  bridge_sleep (10.0, &error);
  bridge_timeout_end (scope, &error);
  bridge_task_return_error (task, error);
}

static void
test_timeout_task_fails_with_timeout (LoopFixture   *fixture,
                                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (fixture_run (fixture, lets_timeout_out_main, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

/* ---- the body finishes in time ------------------------------------------------------------ */

static void
in_time_main (BridgeTask *task,
              gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  BridgeTimeout *scope = bridge_timeout_begin (0.030);
  g_autoptr(BridgeTimeout) keep = bridge_timeout_ref (scope);

  g_assert_true (bridge_sleep (0.005, &error));
  g_assert_true (bridge_timeout_end (scope, &error));
  g_assert_no_error (error);
  g_assert_false (bridge_timeout_expired (keep));

  /* The deadline was disarmed: sleeping past it is not interrupted. */
  g_assert_true (bridge_sleep (0.050, &error));
  g_assert_no_error (error);
  g_assert_false (bridge_timeout_expired (keep));
  assert_task_clean (task);
}

static void
test_timeout_in_time (LoopFixture   *fixture,
                      gconstpointer  data)
{
  fixture_run_ok (fixture, in_time_main, NULL);
}

/* ---- delay 0 and a deadline in the past ---------------------------------------------------- */

static void
zero_main (BridgeTask *task,
           gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  BridgeTimeout *scope = bridge_timeout_begin (0);

  g_assert_false (bridge_sleep (10.0, &error));
  g_assert_false (bridge_timeout_end (scope, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);

  scope = bridge_timeout_begin_at (bridge_loop_time (current_loop ()) - 5.0);
  g_assert_false (bridge_yield (&error));
  g_assert_false (bridge_timeout_end (scope, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  assert_task_clean (task);
}

static void
test_timeout_zero (LoopFixture   *fixture,
                   gconstpointer  data)
{
  fixture_run_ok (fixture, zero_main, NULL);
}

/* ---- a cancellation from outside passes through ---------------------------------------------- */

static void
outside_scope_task (BridgeTask *task,
                    gpointer    user_data)
{
  GError *error = NULL;
  BridgeTimeout *scope = bridge_timeout_begin (10.0);

  g_assert_false (bridge_sleep (10.0, &error));
  g_assert_false (bridge_timeout_end (scope, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  bridge_task_return_error (task, error);
}

static void
outside_cancel_main (BridgeTask *task,
                     gpointer    user_data)
{
  g_autoptr(BridgeTask) child = bridge_spawn_full (NULL, "scoped", 0, outside_scope_task, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_yield (&error));
  g_assert_true (bridge_task_cancel (child, "from outside"));
  g_assert_false (bridge_await (BRIDGE_FUTURE (child), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "from outside");
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (child)));
}

static void
test_timeout_outside_cancel (LoopFixture   *fixture,
                             gconstpointer  data)
{
  fixture_run_ok (fixture, outside_cancel_main, NULL);
}

/* The scope expires and the task is cancelled from outside as well: the
 * outside request is still there after the scope withdrew its own, so the
 * cancellation passes through. */
static void
both_task (BridgeTask *task,
           gpointer    user_data)
{
  GError *error = NULL;
  BridgeTimeout *scope = bridge_timeout_begin (0);
  g_autoptr(BridgeTimeout) keep = bridge_timeout_ref (scope);

  /* Cancelled by someone else before the scope's deadline comes round. */
  bridge_task_cancel (task, "from outside");
  g_assert_false (bridge_sleep (10.0, &error));
  g_assert_true (bridge_timeout_expired (keep));
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 2);

  g_assert_false (bridge_timeout_end (scope, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 1);
  bridge_task_return_error (task, error);
}

static void
test_timeout_expired_and_outside_cancel (LoopFixture   *fixture,
                                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (fixture_run (fixture, both_task, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ---- nested scopes --------------------------------------------------------------------------- */

static void
nested_outer_first_main (BridgeTask *task,
                         gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  BridgeTimeout *outer = bridge_timeout_begin (0.020);
  BridgeTimeout *inner = bridge_timeout_begin (10.0);
  g_autoptr(BridgeTimeout) outer_keep = bridge_timeout_ref (outer);
  g_autoptr(BridgeTimeout) inner_keep = bridge_timeout_ref (inner);

  g_assert_false (bridge_sleep (10.0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* Not the inner scope's cancellation: it must not swallow it. */
  g_assert_false (bridge_timeout_end (inner, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (bridge_timeout_expired (inner_keep));

  g_assert_false (bridge_timeout_end (outer, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_true (bridge_timeout_expired (outer_keep));
  assert_task_clean (task);
}

static void
test_timeout_nested_outer_first (LoopFixture   *fixture,
                                 gconstpointer  data)
{
  fixture_run_ok (fixture, nested_outer_first_main, NULL);
}

/* Both deadlines pass before the task runs again, the outer one first: the
 * inner scope expired too, but another request (the outer's) is left, so it
 * lets the cancellation through and the outer scope reports the timeout. */
static void
nested_both_main (BridgeTask *task,
                  gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  double past = bridge_loop_time (current_loop ()) - 1.0;
  BridgeTimeout *outer = bridge_timeout_begin_at (past);
  BridgeTimeout *inner = bridge_timeout_begin_at (past);
  g_autoptr(BridgeTimeout) outer_keep = bridge_timeout_ref (outer);
  g_autoptr(BridgeTimeout) inner_keep = bridge_timeout_ref (inner);

  g_assert_false (bridge_sleep (10.0, &error));
  g_assert_true (bridge_timeout_expired (inner_keep));
  g_assert_true (bridge_timeout_expired (outer_keep));
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 2);

  g_assert_false (bridge_timeout_end (inner, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (bridge_timeout_end (outer, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  assert_task_clean (task);
}

static void
test_timeout_nested_both (LoopFixture   *fixture,
                          gconstpointer  data)
{
  fixture_run_ok (fixture, nested_both_main, NULL);
}

static void
nested_inner_first_main (BridgeTask *task,
                         gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  BridgeTimeout *outer = bridge_timeout_begin (10.0);
  BridgeTimeout *inner = bridge_timeout_begin (0.010);
  g_autoptr(BridgeTimeout) outer_keep = bridge_timeout_ref (outer);

  g_assert_false (bridge_sleep (10.0, &error));
  g_assert_false (bridge_timeout_end (inner, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  /* The outer scope did not expire: the inner timeout passes through it. */
  g_assert_false (bridge_timeout_end (outer, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_false (bridge_timeout_expired (outer_keep));
  assert_task_clean (task);
}

static void
test_timeout_nested_inner_first (LoopFixture   *fixture,
                                 gconstpointer  data)
{
  fixture_run_ok (fixture, nested_inner_first_main, NULL);
}

/* ---- expiring exactly as the body finishes ---------------------------------------------------------- */

/* The future the body awaits is completed by a timer due at the same instant
 * as the deadline and scheduled first, so it runs first, in the same
 * iteration: the body's wake-up is queued but has not run when the deadline
 * fires. As in asyncio (the task's _must_cancel), the cancellation still
 * reaches the body and becomes a timeout; the future keeps its value. */
static void
expires_as_body_finishes_main (BridgeTask *task,
                               gpointer    user_data)
{
  BridgeLoop *loop = current_loop ();
  g_autoptr(BridgeFuture) future = bridge_future_new ();
  g_autoptr(GError) error = NULL;
  double when = bridge_loop_time (loop) + 0.020;
  BridgeTimeout *scope;

  set_int64_at (loop, when, future);
  scope = bridge_timeout_begin_at (when);

  g_assert_false (bridge_await (future, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (bridge_timeout_end (scope, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_false (bridge_future_is_cancelled (future));
  g_assert_cmpint (bridge_future_get_int64 (future, NULL), ==, 42);
  assert_task_clean (task);
}

static void
test_timeout_expires_as_body_finishes (LoopFixture   *fixture,
                                       gconstpointer  data)
{
  fixture_run_ok (fixture, expires_as_body_finishes_main, NULL);
}

/* Same instant, deadline scheduled first: the awaited future is cancelled
 * before its own timer comes, and the body times out. */
static void
expires_just_before_body_main (BridgeTask *task,
                               gpointer    user_data)
{
  BridgeLoop *loop = current_loop ();
  g_autoptr(BridgeFuture) future = bridge_future_new ();
  g_autoptr(GError) error = NULL;
  double when = bridge_loop_time (loop) + 0.020;
  BridgeTimeout *scope = bridge_timeout_begin_at (when);

  set_int64_at (loop, when, future);
  g_assert_false (bridge_await (future, &error));
  g_assert_false (bridge_timeout_end (scope, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_true (bridge_future_is_cancelled (future));
  assert_task_clean (task);
}

static void
test_timeout_expires_just_before_body (LoopFixture   *fixture,
                                       gconstpointer  data)
{
  fixture_run_ok (fixture, expires_just_before_body_main, NULL);
}

/* The body's future completes and, in the same step, the deadline moves to
 * "now": the body's wake-up was queued first, so the body finishes and ends
 * the scope before the deadline handler runs. No timeout, no stray
 * cancellation. */
typedef struct
{
  BridgeFuture  *future;
  BridgeTimeout *scope;
} RaceData;

static void
complete_and_expire_cb (gpointer user_data)
{
  RaceData *data = user_data;

  bridge_future_set_int64 (data->future, 42, NULL);
  bridge_timeout_reschedule (data->scope, 0);
}

static void
body_finishes_first_main (BridgeTask *task,
                          gpointer    user_data)
{
  BridgeLoop *loop = current_loop ();
  g_autoptr(BridgeFuture) future = bridge_future_new ();
  g_autoptr(GError) error = NULL;
  RaceData data = { future, bridge_timeout_begin (10.0) };
  g_autoptr(BridgeTimeout) keep = bridge_timeout_ref (data.scope);

  bridge_loop_call_later (loop, 0.010, complete_and_expire_cb, &data, NULL);
  g_assert_cmpint (bridge_await_int64 (future, &error), ==, 42);
  g_assert_no_error (error);
  g_assert_true (bridge_timeout_end (data.scope, &error));
  g_assert_no_error (error);
  g_assert_false (bridge_timeout_expired (keep));
  assert_task_clean (task);
}

static void
test_timeout_body_finishes_first (LoopFixture   *fixture,
                                  gconstpointer  data)
{
  fixture_run_ok (fixture, body_finishes_first_main, NULL);
}

/* ---- the awaited task ignores the cancellation ------------------------------------------------------ */

static void
body_ignores_cancel_main (BridgeTask *task,
                          gpointer    user_data)
{
  ChildSpec stubborn = { .delay = 10.0, .value = 31, .ignore_cancel = TRUE, .cleanup_delay = 0.005 };
  ChildSpec failing = { .delay = 10.0, .value = 32, .ignore_cancel = TRUE,
                        .error_code = G_IO_ERROR_BROKEN_PIPE };
  g_autoptr(BridgeTask) a = spawn_child (&stubborn);
  g_autoptr(BridgeTask) b = spawn_child (&failing);
  g_autoptr(GError) error = NULL;
  BridgeTimeout *scope = bridge_timeout_begin (0.010);
  g_autoptr(BridgeTimeout) keep = bridge_timeout_ref (scope);

  /* The result arrived despite the deadline: it is kept, and the scope
   * still says it expired. */
  g_assert_cmpint (bridge_await_int64 (BRIDGE_FUTURE (a), &error), ==, 31);
  g_assert_no_error (error);
  g_assert_true (bridge_timeout_end (scope, &error));
  g_assert_no_error (error);
  g_assert_true (bridge_timeout_expired (keep));
  assert_task_clean (task);

  /* Another error than the cancellation is not turned into a timeout. */
  scope = bridge_timeout_begin (0.010);
  g_assert_false (bridge_await (BRIDGE_FUTURE (b), &error));
  g_assert_false (bridge_timeout_end (scope, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  assert_task_clean (task);
}

static void
test_timeout_body_ignores_cancel (LoopFixture   *fixture,
                                  gconstpointer  data)
{
  fixture_run_ok (fixture, body_ignores_cancel_main, NULL);
}

/* ---- reschedule ------------------------------------------------------------------------------------ */

static void
reschedule_main (BridgeTask *task,
                 gpointer    user_data)
{
  BridgeLoop *loop = current_loop ();
  g_autoptr(GError) error = NULL;
  BridgeTimeout *scope = bridge_timeout_begin (BRIDGE_TIMEOUT_NEVER);
  g_autoptr(BridgeTimeout) keep = bridge_timeout_ref (scope);
  double when;

  g_assert_cmpfloat (bridge_timeout_get_when (scope), <, 0);
  g_assert_true (bridge_sleep (0.010, &error));

  /* Far away, then close, then never again. */
  bridge_timeout_reschedule (scope, bridge_loop_time (loop) + 0.005);
  bridge_timeout_reschedule (scope, BRIDGE_TIMEOUT_NEVER);
  g_assert_true (bridge_sleep (0.020, &error));
  g_assert_false (bridge_timeout_expired (scope));

  when = bridge_loop_time (loop) + 0.010;
  bridge_timeout_reschedule (scope, when);
  g_assert_cmpfloat (bridge_timeout_get_when (scope), ==, when);
  g_assert_false (bridge_sleep (10.0, &error));
  g_assert_true (bridge_timeout_expired (scope));

  /* An expiring scope's deadline cannot move any more. */
  g_test_expect_message ("Bridge", G_LOG_LEVEL_CRITICAL, "*Cannot change the deadline*expiring*");
  bridge_timeout_reschedule (scope, BRIDGE_TIMEOUT_NEVER);
  g_test_assert_expected_messages ();

  g_assert_false (bridge_timeout_end (scope, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  g_test_expect_message ("Bridge", G_LOG_LEVEL_CRITICAL, "*Cannot change the deadline*expired*");
  bridge_timeout_reschedule (keep, 0);
  g_test_assert_expected_messages ();
  assert_task_clean (task);
}

static void
test_timeout_reschedule (LoopFixture   *fixture,
                         gconstpointer  data)
{
  fixture_run_ok (fixture, reschedule_main, NULL);
}

/* ---- dropping a scope without ending it ------------------------------------------------------------- */

static gboolean
early_return (void)
{
  g_autoptr(BridgeTimeout) scope = bridge_timeout_begin (0.005);
  GError *error = NULL;

  if (!bridge_sleep (10.0, &error))
    {
      g_error_free (error);
      return FALSE;   /* the scope is dropped, not ended */
    }
  return TRUE;
}

static void
unref_without_end_main (BridgeTask *task,
                        gpointer    user_data)
{
  g_assert_false (early_return ());
  /* The expired scope withdrew its request as it went. */
  assert_task_clean (task);
}

static void
test_timeout_unref_without_end (LoopFixture   *fixture,
                                gconstpointer  data)
{
  fixture_run_ok (fixture, unref_without_end_main, NULL);
}

/* ---- misuse ------------------------------------------------------------------------------------------- */

static void
test_timeout_outside_task (LoopFixture   *fixture,
                           gconstpointer  data)
{
  BridgeTimeout *scope = bridge_timeout_begin (1.0);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (scope);
  g_assert_false (bridge_timeout_end (scope, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  LOOP_TEST ("/libbridge/timeout/expires", test_timeout_expires);
  LOOP_TEST ("/libbridge/timeout/task-fails-with-timeout", test_timeout_task_fails_with_timeout);
  LOOP_TEST ("/libbridge/timeout/in-time", test_timeout_in_time);
  LOOP_TEST ("/libbridge/timeout/zero-and-past", test_timeout_zero);
  LOOP_TEST ("/libbridge/timeout/outside-cancel-passes-through", test_timeout_outside_cancel);
  LOOP_TEST ("/libbridge/timeout/expired-and-outside-cancel", test_timeout_expired_and_outside_cancel);
  LOOP_TEST ("/libbridge/timeout/nested-outer-fires-first", test_timeout_nested_outer_first);
  LOOP_TEST ("/libbridge/timeout/nested-both-expire", test_timeout_nested_both);
  LOOP_TEST ("/libbridge/timeout/nested-inner-fires-first", test_timeout_nested_inner_first);
  LOOP_TEST ("/libbridge/timeout/expires-as-body-finishes", test_timeout_expires_as_body_finishes);
  LOOP_TEST ("/libbridge/timeout/expires-just-before-body", test_timeout_expires_just_before_body);
  LOOP_TEST ("/libbridge/timeout/body-finishes-first", test_timeout_body_finishes_first);
  LOOP_TEST ("/libbridge/timeout/body-ignores-cancel", test_timeout_body_ignores_cancel);
  LOOP_TEST ("/libbridge/timeout/reschedule", test_timeout_reschedule);
  LOOP_TEST ("/libbridge/timeout/unref-without-end", test_timeout_unref_without_end);
  LOOP_TEST ("/libbridge/timeout/outside-task", test_timeout_outside_task);

  return g_test_run ();
}
