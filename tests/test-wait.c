/* test-wait.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <libbridge.h>

#include "test-combinator-util.h"

static gboolean
array_has (GPtrArray *array,
           gpointer   item)
{
  return g_ptr_array_find (array, item, NULL);
}

/* ---- FIRST_COMPLETED ------------------------------------------------------------ */

static void
first_completed_main (BridgeTask *task,
                      gpointer    user_data)
{
  ChildSpec quick = { .delay = 0.010, .value = 1 };
  ChildSpec slow = { .delay = 10.0, .value = 2 };
  g_autoptr(BridgeTask) a = spawn_child (&quick);
  g_autoptr(BridgeTask) b = spawn_child (&slow);
  BridgeFuture *futures[] = { BRIDGE_FUTURE (b), BRIDGE_FUTURE (a) };
  g_autoptr(GPtrArray) done = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_wait (futures, 2, BRIDGE_WAIT_FIRST_COMPLETED, -1, &done, &pending, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (done->len, ==, 1);
  g_assert_true (g_ptr_array_index (done, 0) == BRIDGE_FUTURE (a));
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_true (g_ptr_array_index (pending, 0) == BRIDGE_FUTURE (b));
  g_assert_false (slow.saw_cancel);

  cancel_and_reap (b);
}

static void
test_wait_first_completed (LoopFixture   *fixture,
                           gconstpointer  data)
{
  fixture_run_ok (fixture, first_completed_main, NULL);
}

/* ---- FIRST_EXCEPTION ----------------------------------------------------------------- */

static void
first_exception_main (BridgeTask *task,
                      gpointer    user_data)
{
  ExceptionLog *exceptions = user_data;
  ChildSpec fine = { .delay = 0.005, .value = 1 };
  ChildSpec failing = { .delay = 0.020, .value = 2, .error_code = G_IO_ERROR_INVALID_DATA };
  ChildSpec slow = { .delay = 10.0, .value = 3 };
  g_autoptr(BridgeTask) a = spawn_child (&fine);
  g_autoptr(BridgeTask) b = spawn_child (&failing);
  g_autoptr(BridgeTask) c = spawn_child (&slow);
  BridgeFuture *futures[] = { BRIDGE_FUTURE (a), BRIDGE_FUTURE (b), BRIDGE_FUTURE (c) };
  g_autoptr(GPtrArray) done = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;

  /* The first completion is not an error: the wait goes on until b fails. */
  g_assert_true (bridge_wait (futures, 3, BRIDGE_WAIT_FIRST_EXCEPTION, -1, &done, &pending, &error));
  g_assert_no_error (error);
  g_assert_true (failing.finished);
  g_assert_cmpuint (done->len, ==, 2);
  g_assert_true (g_ptr_array_index (done, 0) == BRIDGE_FUTURE (a));
  g_assert_true (g_ptr_array_index (done, 1) == BRIDGE_FUTURE (b));
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_true (g_ptr_array_index (pending, 0) == BRIDGE_FUTURE (c));

  cancel_and_reap (c);
  g_clear_pointer (&done, g_ptr_array_unref);
  g_clear_pointer (&b, bridge_task_unref);
  /* The error that ended the wait counts as retrieved, as in asyncio. */
  g_assert_cmpuint (exceptions->count, ==, 0);
}

static void
test_wait_first_exception (LoopFixture   *fixture,
                           gconstpointer  data)
{
  ExceptionLog exceptions = { 0 };

  bridge_loop_set_exception_handler (fixture->loop, exception_log_handler, &exceptions, NULL);
  fixture_run_ok (fixture, first_exception_main, &exceptions);
  g_assert_cmpuint (exceptions.count, ==, 0);
  bridge_loop_set_exception_handler (fixture->loop, NULL, NULL, NULL);
  exception_log_clear (&exceptions);
}

/* A cancellation is not an exception for FIRST_EXCEPTION; with none, the
 * wait lasts until everything is done. */
static void
first_exception_none_main (BridgeTask *task,
                           gpointer    user_data)
{
  g_autoptr(BridgeFuture) cancelled = bridge_future_new ();
  ChildSpec fine = { .delay = 0.020, .value = 1 };
  g_autoptr(BridgeTask) a = spawn_child (&fine);
  BridgeFuture *futures[] = { cancelled, BRIDGE_FUTURE (a) };
  g_autoptr(GPtrArray) done = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;

  bridge_future_cancel (cancelled, NULL);
  g_assert_true (bridge_wait (futures, 2, BRIDGE_WAIT_FIRST_EXCEPTION, -1, &done, &pending, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (done->len, ==, 2);
  g_assert_cmpuint (pending->len, ==, 0);
  g_assert_true (fine.finished);
}

static void
test_wait_first_exception_none (LoopFixture   *fixture,
                                gconstpointer  data)
{
  fixture_run_ok (fixture, first_exception_none_main, NULL);
}

/* ---- ALL_COMPLETED ----------------------------------------------------------------------- */

static void
all_completed_main (BridgeTask *task,
                    gpointer    user_data)
{
  ChildSpec specs[] = {
    { .delay = 0.020, .value = 1 },
    { .delay = 0.005, .value = 2, .error_code = G_IO_ERROR_INVALID_DATA },
    { .delay = 0.010, .value = 3 },
  };
  BridgeFuture *futures[G_N_ELEMENTS (specs)];
  g_autoptr(GPtrArray) done = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    futures[i] = BRIDGE_FUTURE (spawn_child (&specs[i]));

  /* An error does not end an ALL_COMPLETED wait, and is not raised by it. */
  g_assert_true (bridge_wait (futures, 3, BRIDGE_WAIT_ALL_COMPLETED, 10.0, &done, &pending, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (done->len, ==, 3);
  g_assert_cmpuint (pending->len, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      g_assert_true (specs[i].finished);
      g_assert_true (g_ptr_array_index (done, i) == futures[i]);
    }

  g_assert_false (bridge_future_get_value (futures[1], NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);

  for (guint i = 0; i < G_N_ELEMENTS (futures); i++)
    bridge_future_unref (futures[i]);
}

static void
test_wait_all_completed (LoopFixture   *fixture,
                         gconstpointer  data)
{
  fixture_run_ok (fixture, all_completed_main, NULL);
}

/* ---- a timeout cancels nothing --------------------------------------------------------------- */

static void
timeout_main (BridgeTask *task,
              gpointer    user_data)
{
  ChildSpec quick = { .delay = 0.005, .value = 1 };
  ChildSpec slow = { .delay = 10.0, .value = 2 };
  g_autoptr(BridgeTask) a = spawn_child (&quick);
  g_autoptr(BridgeTask) b = spawn_child (&slow);
  BridgeFuture *futures[] = { BRIDGE_FUTURE (a), BRIDGE_FUTURE (b) };
  g_autoptr(GPtrArray) done = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;
  double start = bridge_loop_time (current_loop ());

  g_assert_true (bridge_wait (futures, 2, BRIDGE_WAIT_ALL_COMPLETED, 0.050, &done, &pending, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (bridge_loop_time (current_loop ()) - start, >=, 0.045);
  g_assert_cmpuint (done->len, ==, 1);
  g_assert_true (array_has (done, a));
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_true (array_has (pending, b));

  /* The pending task was left alone and is still running. */
  g_assert_false (slow.saw_cancel);
  g_assert_cmpint (bridge_task_get_state (b), ==, BRIDGE_TASK_STATE_PARKED);
  g_assert_true (bridge_yield (&error));
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (b)));

  cancel_and_reap (b);
}

static void
test_wait_timeout (LoopFixture   *fixture,
                   gconstpointer  data)
{
  fixture_run_ok (fixture, timeout_main, NULL);
}

static void
timeout_zero_main (BridgeTask *task,
                   gpointer    user_data)
{
  g_autoptr(BridgeFuture) never = bridge_future_new ();
  g_autoptr(GPtrArray) done = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_wait (&never, 1, BRIDGE_WAIT_FIRST_COMPLETED, 0, &done, &pending, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (done->len, ==, 0);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_false (bridge_future_is_done (never));
}

static void
test_wait_timeout_zero (LoopFixture   *fixture,
                        gconstpointer  data)
{
  fixture_run_ok (fixture, timeout_zero_main, NULL);
}

/* ---- a future that is already done ---------------------------------------------------------- */

static void
mark_ran_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
already_done_main (BridgeTask *task,
                   gpointer    user_data)
{
  g_autoptr(BridgeFuture) finished = bridge_future_new ();
  ChildSpec slow = { .delay = 10.0, .value = 2 };
  g_autoptr(BridgeTask) b = spawn_child (&slow);
  BridgeFuture *futures[] = { BRIDGE_FUTURE (b), finished };
  g_autoptr(GPtrArray) done = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;
  gboolean other_callback_ran = FALSE;

  bridge_future_set_int64 (finished, 9, NULL);
  bridge_loop_call_soon (current_loop (), mark_ran_cb, &other_callback_ran, NULL);

  g_assert_true (bridge_wait (futures, 2, BRIDGE_WAIT_FIRST_COMPLETED, -1, &done, &pending, &error));
  g_assert_no_error (error);
  /* As in asyncio, the done future is reported through its callback: the
   * task did go through the loop once. */
  g_assert_true (other_callback_ran);
  g_assert_cmpuint (done->len, ==, 1);
  g_assert_true (g_ptr_array_index (done, 0) == finished);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_true (g_ptr_array_index (pending, 0) == BRIDGE_FUTURE (b));
  g_clear_pointer (&done, g_ptr_array_unref);
  g_clear_pointer (&pending, g_ptr_array_unref);

  /* Everything already done, ALL_COMPLETED: same, nothing pending. */
  g_assert_true (bridge_wait (&finished, 1, BRIDGE_WAIT_ALL_COMPLETED, -1, &done, &pending, &error));
  g_assert_cmpuint (done->len, ==, 1);
  g_assert_cmpuint (pending->len, ==, 0);

  cancel_and_reap (b);
}

static void
test_wait_already_done (LoopFixture   *fixture,
                        gconstpointer  data)
{
  fixture_run_ok (fixture, already_done_main, NULL);
}

/* ---- duplicates count once --------------------------------------------------------------------- */

static void
duplicates_main (BridgeTask *task,
                 gpointer    user_data)
{
  ChildSpec spec_a = { .delay = 0.005, .value = 1 };
  ChildSpec spec_b = { .delay = 0.010, .value = 2 };
  g_autoptr(BridgeTask) a = spawn_child (&spec_a);
  g_autoptr(BridgeTask) b = spawn_child (&spec_b);
  BridgeFuture *futures[] = { BRIDGE_FUTURE (a), BRIDGE_FUTURE (b), BRIDGE_FUTURE (a), BRIDGE_FUTURE (a) };
  g_autoptr(GPtrArray) done = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;

  /* ALL_COMPLETED over {a, b}: a counted three times would end the wait
   * before b is done. */
  g_assert_true (bridge_wait (futures, 4, BRIDGE_WAIT_ALL_COMPLETED, -1, &done, &pending, &error));
  g_assert_no_error (error);
  g_assert_true (spec_b.finished);
  g_assert_cmpuint (done->len, ==, 2);
  g_assert_true (g_ptr_array_index (done, 0) == BRIDGE_FUTURE (a));
  g_assert_true (g_ptr_array_index (done, 1) == BRIDGE_FUTURE (b));
  g_assert_cmpuint (pending->len, ==, 0);
}

static void
test_wait_duplicates (LoopFixture   *fixture,
                      gconstpointer  data)
{
  fixture_run_ok (fixture, duplicates_main, NULL);
}

/* ---- misuse -------------------------------------------------------------------------------------- */

static void
misuse_main (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new ();
  GPtrArray *done = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_wait (NULL, 0, BRIDGE_WAIT_ALL_COMPLETED, -1, &done, NULL, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_VALUE);
  g_assert_null (done);
  g_clear_error (&error);

  g_assert_false (bridge_wait (&future, 1, (BridgeWaitMode) 42, -1, &done, NULL, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_VALUE);
  g_assert_null (done);
}

static void
test_wait_misuse (LoopFixture   *fixture,
                  gconstpointer  data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_wait (&future, 1, BRIDGE_WAIT_ALL_COMPLETED, -1, NULL, NULL, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);

  fixture_run_ok (fixture, misuse_main, NULL);
}

/* ---- cancelling the waiting task ---------------------------------------------------------------- */

typedef struct
{
  BridgeFuture *futures[2];
  gboolean      returned;
} WaiterData;

static void
waiting_task (BridgeTask *task,
              gpointer    user_data)
{
  WaiterData *data = user_data;
  GPtrArray *done = NULL;
  GError *error = NULL;

  g_assert_false (bridge_wait (data->futures, 2, BRIDGE_WAIT_ALL_COMPLETED, 10.0, &done, NULL, &error));
  g_assert_null (done);
  data->returned = TRUE;
  bridge_task_return_error (task, error);
}

static void
cancel_waiter_main (BridgeTask *task,
                    gpointer    user_data)
{
  ChildSpec spec = { .delay = 10.0, .value = 1 };
  g_autoptr(BridgeTask) child = spawn_child (&spec);
  g_autoptr(BridgeFuture) plain = bridge_future_new ();
  WaiterData data = { { BRIDGE_FUTURE (child), plain }, FALSE };
  g_autoptr(BridgeTask) waiter = bridge_spawn_full (NULL, "waiter", 0, waiting_task, &data, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_yield (&error));
  g_assert_true (bridge_task_cancel (waiter, NULL));
  g_assert_false (bridge_await (BRIDGE_FUTURE (waiter), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (data.returned);

  /* What it waited for was not cancelled. */
  g_assert_false (bridge_future_is_done (plain));
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (child)));
  g_assert_false (spec.saw_cancel);
  cancel_and_reap (child);
}

static void
test_wait_cancel_waiter (LoopFixture   *fixture,
                         gconstpointer  data)
{
  fixture_run_ok (fixture, cancel_waiter_main, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  LOOP_TEST ("/libbridge/wait/first-completed", test_wait_first_completed);
  LOOP_TEST ("/libbridge/wait/first-exception", test_wait_first_exception);
  LOOP_TEST ("/libbridge/wait/first-exception-none", test_wait_first_exception_none);
  LOOP_TEST ("/libbridge/wait/all-completed", test_wait_all_completed);
  LOOP_TEST ("/libbridge/wait/timeout-cancels-nothing", test_wait_timeout);
  LOOP_TEST ("/libbridge/wait/timeout-zero", test_wait_timeout_zero);
  LOOP_TEST ("/libbridge/wait/already-done", test_wait_already_done);
  LOOP_TEST ("/libbridge/wait/duplicates", test_wait_duplicates);
  LOOP_TEST ("/libbridge/wait/misuse", test_wait_misuse);
  LOOP_TEST ("/libbridge/wait/cancel-waiting-task", test_wait_cancel_waiter);

  return g_test_run ();
}
