/* test-unix-signal.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>

#include "test-gio-util.h"

/* loop.add_signal_handler()/remove_signal_handler() and awaiting a signal:
 * the callback runs in the loop after a delivery, replacing and removing
 * work, unsupported signals are refused, and an await ends with the
 * signal or a cancellation. */

typedef struct
{
  guint calls;
  gint  freed;
  guint second_calls;
} Counts;

static void
count_call (gpointer user_data)
{
  ((Counts *) user_data)->calls++;
}

static void
count_second_call (gpointer user_data)
{
  ((Counts *) user_data)->second_calls++;
}

static void
count_free (gpointer user_data)
{
  ((Counts *) user_data)->freed++;
}

static void
test_handler_called (LoopFixture   *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  Counts counts = { 0 };

  g_assert_true (bridge_loop_add_signal_handler (fixture->loop, SIGUSR1, count_call, &counts,
                                                 count_free, &error));
  g_assert_no_error (error);
  g_assert_no_errno (raise (SIGUSR1));
  /* Not inside the signal handler: in the loop, later. */
  g_assert_cmpuint (counts.calls, ==, 0);
  test_run_until (fixture->context, counts.calls == 1, TEST_TIMEOUT_SECONDS);

  g_assert_no_errno (raise (SIGUSR1));
  test_run_until (fixture->context, counts.calls == 2, TEST_TIMEOUT_SECONDS);

  g_assert_true (bridge_loop_remove_signal_handler (fixture->loop, SIGUSR1));
  g_assert_cmpint (counts.freed, ==, 1);
  g_assert_false (bridge_loop_remove_signal_handler (fixture->loop, SIGUSR1));
}

static void
test_handler_replaced (LoopFixture   *fixture,
                       gconstpointer  user_data)
{
  Counts counts = { 0 };

  g_assert_true (bridge_loop_add_signal_handler (fixture->loop, SIGUSR2, count_call, &counts,
                                                 count_free, NULL));
  g_assert_true (bridge_loop_add_signal_handler (fixture->loop, SIGUSR2, count_second_call, &counts,
                                                 count_free, NULL));
  g_assert_cmpint (counts.freed, ==, 1);
  g_assert_no_errno (raise (SIGUSR2));
  test_run_until (fixture->context, counts.second_calls == 1, TEST_TIMEOUT_SECONDS);
  g_assert_cmpuint (counts.calls, ==, 0);
  g_assert_true (bridge_loop_remove_signal_handler (fixture->loop, SIGUSR2));
  g_assert_cmpint (counts.freed, ==, 2);
}

static void
test_removed_before_dispatch (LoopFixture   *fixture,
                              gconstpointer  user_data)
{
  Counts counts = { 0 };
  Counts keeper = { 0 };

  /* A second handler on another loop keeps SIGUSR1 from killing us once
   * the first is gone. */
  g_autoptr(BridgeLoop) other = bridge_loop_new (NULL);

  g_assert_true (bridge_loop_add_signal_handler (other, SIGUSR1, count_call, &keeper, NULL, NULL));
  g_assert_true (bridge_loop_add_signal_handler (fixture->loop, SIGUSR1, count_call, &counts,
                                                 count_free, NULL));
  g_assert_no_errno (raise (SIGUSR1));
  g_assert_true (bridge_loop_remove_signal_handler (fixture->loop, SIGUSR1));
  for (guint i = 0; i < 10; i++)
    g_main_context_iteration (fixture->context, FALSE);
  g_assert_cmpuint (counts.calls, ==, 0);
  g_assert_cmpint (counts.freed, ==, 1);

  /* The other loop saw it. */
  test_run_until (bridge_loop_get_context (other), keeper.calls == 1, TEST_TIMEOUT_SECONDS);
  g_assert_true (bridge_loop_close (other, NULL));
}

static void
test_unsupported_signal (LoopFixture   *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  Counts counts = { 0 };

  g_assert_false (bridge_loop_add_signal_handler (fixture->loop, SIGKILL, count_call, &counts,
                                                  count_free, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  /* The data is not leaked. */
  g_assert_cmpint (counts.freed, ==, 1);
}

static void
test_closed_loop (void)
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
  g_autoptr(GError) error = NULL;
  Counts counts = { 0 };

  g_assert_true (bridge_loop_close (loop, NULL));
  g_assert_false (bridge_loop_add_signal_handler (loop, SIGUSR1, count_call, &counts, count_free, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_cmpint (counts.freed, ==, 1);
}

/* ---- bridge_await_unix_signal() ------------------------------------------------------ */

static void
raise_later_cb (gpointer user_data)
{
  g_assert_no_errno (raise (GPOINTER_TO_INT (user_data)));
}

static void
await_body (BridgeTask *task,
            gpointer    user_data)
{
  g_autoptr(GError) error = NULL;

  bridge_loop_call_later (bridge_loop_get_default (), 0.02, raise_later_cb, GINT_TO_POINTER (SIGHUP), NULL);
  g_assert_true (bridge_await_unix_signal (SIGHUP, &error));
  g_assert_no_error (error);
}

static void
test_await (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (await_body, NULL, &error));
  g_assert_no_error (error);
}

static void
await_cancel_body (BridgeTask *task,
                   gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  TestCanceller canceller;

  test_cancel_later (&canceller, 0.02);
  g_assert_false (bridge_await_unix_signal (SIGUSR2, &error));
  test_assert_woke_promptly (&canceller);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_await_cancelled (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (test_run_task (await_cancel_body, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
await_unsupported_body (BridgeTask *task,
                        gpointer    user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_await_unix_signal (SIGSEGV, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_await_unsupported (void)
{
  g_assert_true (test_run_task (await_unsupported_body, NULL, NULL));
}

static void
test_await_outside_task (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_await_unix_signal (SIGUSR1, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  LOOP_TEST ("/libbridge/unix-signal/handler/called", test_handler_called);
  LOOP_TEST ("/libbridge/unix-signal/handler/replaced", test_handler_replaced);
  LOOP_TEST ("/libbridge/unix-signal/handler/removed-before-dispatch", test_removed_before_dispatch);
  LOOP_TEST ("/libbridge/unix-signal/handler/unsupported", test_unsupported_signal);
  g_test_add_func ("/libbridge/unix-signal/handler/closed-loop", test_closed_loop);
  g_test_add_func ("/libbridge/unix-signal/await/delivered", test_await);
  g_test_add_func ("/libbridge/unix-signal/await/cancelled", test_await_cancelled);
  g_test_add_func ("/libbridge/unix-signal/await/unsupported", test_await_unsupported);
  g_test_add_func ("/libbridge/unix-signal/await/outside-task", test_await_outside_task);

  return g_test_run ();
}
