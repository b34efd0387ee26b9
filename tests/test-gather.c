/* test-gather.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <libbridge.h>

#include "test-combinator-util.h"

static gint64
child_int64 (GPtrArray *children,
             guint      index)
{
  g_autoptr(GError) error = NULL;
  gint64 value = bridge_future_get_int64 (g_ptr_array_index (children, index), &error);

  g_assert_no_error (error);
  return value;
}

/* ---- results come in argument order -------------------------------------- */

static void
order_main (BridgeTask *task,
            gpointer    user_data)
{
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(BridgeFuture) release_1 = bridge_future_new ();
  g_autoptr(BridgeFuture) release_2 = bridge_future_new ();
  g_autoptr(BridgeFuture) release_3 = bridge_future_new ();
  ChildSpec specs[] = {
    { .release = release_1, .value = 1, .log = log },
    { .release = release_2, .value = 2, .log = log },
    { .release = release_3, .value = 3, .log = log },
  };
  BridgeFuture *futures[G_N_ELEMENTS (specs)];
  g_autoptr(BridgeFuture) gather = NULL;
  g_autoptr(GPtrArray) children = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    futures[i] = BRIDGE_FUTURE (spawn_child (&specs[i]));

  gather = bridge_gather (futures, G_N_ELEMENTS (futures), FALSE);
  g_assert_false (bridge_future_is_done (gather));

  /* Let the children start and park, then release them in another order
   * than they were passed in: they wake, and finish, in that order. */
  g_assert_true (bridge_yield (NULL));
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    g_assert_true (specs[i].started);
  bridge_future_set_boolean (release_2, TRUE, NULL);
  bridge_future_set_boolean (release_3, TRUE, NULL);
  bridge_future_set_boolean (release_1, TRUE, NULL);

  children = bridge_await_pointer (gather, &error);
  g_assert_no_error (error);
  g_assert_nonnull (children);

  /* They finished in another order than they were passed in. */
  g_assert_cmpstr (log->str, ==, "2;3;1;");
  g_assert_cmpuint (children->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_true (g_ptr_array_index (children, i) == futures[i]);
      g_assert_cmpint (child_int64 (children, i), ==, specs[i].value);
    }

  for (guint i = 0; i < G_N_ELEMENTS (futures); i++)
    bridge_future_unref (futures[i]);
}

static void
test_gather_order (LoopFixture   *fixture,
                   gconstpointer  data)
{
  fixture_run_ok (fixture, order_main, NULL);
}

/* ---- the first error propagates; siblings keep running ----------------------- */

static void
first_error_main (BridgeTask *task,
                  gpointer    user_data)
{
  ExceptionLog *exceptions = user_data;
  ChildSpec failing = { .delay = 0.010, .value = 1, .error_code = G_IO_ERROR_NOT_FOUND };
  ChildSpec second_failing = { .delay = 0.020, .value = 2, .error_code = G_IO_ERROR_PERMISSION_DENIED };
  ChildSpec slow = { .delay = 0.040, .value = 3 };
  BridgeTask *tasks[] = { spawn_child (&failing), spawn_child (&second_failing), spawn_child (&slow) };
  g_autoptr(BridgeFuture) gather = NULL;
  g_autoptr(GError) error = NULL;

  gather = bridge_gather ((BridgeFuture **) tasks, G_N_ELEMENTS (tasks), FALSE);
  g_assert_false (bridge_await (gather, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "child 1 failed");
  g_assert_false (bridge_future_is_cancelled (gather));
  g_clear_error (&error);

  /* The siblings were not cancelled and are still running. */
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (tasks[1])));
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (tasks[2])));

  g_assert_true (bridge_sleep (0.050, &error));
  g_assert_no_error (error);
  g_assert_true (second_failing.finished);
  g_assert_true (slow.finished);
  g_assert_false (slow.saw_cancel);
  g_assert_false (second_failing.saw_cancel);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (tasks[2]), NULL), ==, 3);

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    bridge_task_unref (tasks[i]);

  /* The gather looked at every error, as asyncio does: none is reported as
   * never retrieved, not even the second child's. */
  g_assert_cmpuint (exceptions->count, ==, 0);
}

static void
test_gather_first_error (LoopFixture   *fixture,
                         gconstpointer  data)
{
  ExceptionLog exceptions = { 0 };

  bridge_loop_set_exception_handler (fixture->loop, exception_log_handler, &exceptions, NULL);
  fixture_run_ok (fixture, first_error_main, &exceptions);
  g_assert_cmpuint (exceptions.count, ==, 0);
  bridge_loop_set_exception_handler (fixture->loop, NULL, NULL, NULL);
  exception_log_clear (&exceptions);
}

/* ---- a cancelled child fails the gather without return_exceptions ------------- */

static void
child_cancelled_main (BridgeTask *task,
                      gpointer    user_data)
{
  g_autoptr(BridgeFuture) plain = bridge_future_new ();
  ChildSpec slow = { .delay = 0.030, .value = 3 };
  g_autoptr(BridgeTask) child = spawn_child (&slow);
  BridgeFuture *futures[] = { plain, BRIDGE_FUTURE (child) };
  g_autoptr(BridgeFuture) gather = bridge_gather (futures, 2, FALSE);
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_future_cancel (plain, "plain went away"));
  g_assert_false (bridge_await (gather, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "plain went away");
  g_assert_true (bridge_future_is_cancelled (gather));
  g_clear_error (&error);

  /* Someone else's cancellation is not the gather's: the sibling runs on. */
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (child)));
  g_assert_cmpint (bridge_await_int64 (BRIDGE_FUTURE (child), &error), ==, 3);
  g_assert_no_error (error);
}

static void
test_gather_child_cancelled (LoopFixture   *fixture,
                             gconstpointer  data)
{
  fixture_run_ok (fixture, child_cancelled_main, NULL);
}

/* ---- return_exceptions puts errors in place ------------------------------------- */

static void
return_exceptions_main (BridgeTask *task,
                        gpointer    user_data)
{
  ChildSpec failing = { .delay = 0.010, .value = 1, .error_code = G_IO_ERROR_NOT_FOUND };
  ChildSpec fine = { .delay = 0.020, .value = 3 };
  g_autoptr(BridgeTask) failing_task = spawn_child (&failing);
  g_autoptr(BridgeTask) fine_task = spawn_child (&fine);
  g_autoptr(BridgeFuture) cancelled = bridge_future_new ();
  BridgeFuture *futures[] = { BRIDGE_FUTURE (failing_task), cancelled, BRIDGE_FUTURE (fine_task) };
  g_autoptr(BridgeFuture) gather = NULL;
  g_autoptr(GPtrArray) children = NULL;
  g_autoptr(GError) error = NULL;

  gather = bridge_gather (futures, G_N_ELEMENTS (futures), TRUE);
  bridge_future_cancel (cancelled, NULL);

  children = bridge_await_pointer (gather, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (children->len, ==, 3);

  g_assert_false (bridge_future_get_value (g_ptr_array_index (children, 0), NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (bridge_future_is_cancelled (g_ptr_array_index (children, 1)));
  g_assert_false (bridge_future_get_value (g_ptr_array_index (children, 1), NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  g_assert_cmpint (child_int64 (children, 2), ==, 3);
}

static void
test_gather_return_exceptions (LoopFixture   *fixture,
                               gconstpointer  data)
{
  ExceptionLog exceptions = { 0 };

  bridge_loop_set_exception_handler (fixture->loop, exception_log_handler, &exceptions, NULL);
  fixture_run_ok (fixture, return_exceptions_main, NULL);
  /* Errors returned in place count as retrieved. */
  g_assert_cmpuint (exceptions.count, ==, 0);
  bridge_loop_set_exception_handler (fixture->loop, NULL, NULL, NULL);
  exception_log_clear (&exceptions);
}

/* ---- cancelling the gather cancels every child ------------------------------------ */

typedef struct
{
  ChildSpec     specs[3];
  BridgeTask   *children[3];
  BridgeFuture *gather;
  gboolean      return_exceptions;
} CancelData;

static void
gather_awaiter (BridgeTask *task,
                gpointer    user_data)
{
  CancelData *data = user_data;
  GError *error = NULL;

  g_assert_false (bridge_await (data->gather, &error));
  bridge_task_return_error (task, error);
}

static void
cancel_main (BridgeTask *task,
             gpointer    user_data)
{
  CancelData *data = user_data;
  g_autoptr(BridgeTask) awaiter = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 3; i++)
    {
      data->specs[i].delay = 10.0;
      data->specs[i].value = i;
      data->children[i] = spawn_child (&data->specs[i]);
    }
  data->specs[2].cleanup_delay = 0.050;
  data->gather = bridge_gather ((BridgeFuture **) data->children, 3, data->return_exceptions);

  /* A task awaits the gather; cancelling that task is cancelling the gather. */
  awaiter = bridge_spawn_full (NULL, "awaiter", 0, gather_awaiter, data, NULL);
  g_assert_true (bridge_yield (&error));
  g_assert_true (bridge_yield (&error));
  g_assert_true (bridge_task_cancel (awaiter, "stop it"));

  g_assert_false (bridge_await (BRIDGE_FUTURE (awaiter), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "stop it");
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (awaiter)));
  g_assert_true (bridge_future_is_cancelled (data->gather));
  g_clear_error (&error);

  /* With return_exceptions the gather waits for every child, cleanup
   * included; without, the first cancelled child ends it while the slow one
   * is still cleaning up, as in asyncio. */
  g_assert_true (data->specs[2].saw_cancel);
  g_assert_cmpint (data->specs[2].cleaned_up, ==, data->return_exceptions);

  for (guint i = 0; i < 3; i++)
    {
      g_assert_false (bridge_await (BRIDGE_FUTURE (data->children[i]), &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_clear_error (&error);
      g_assert_true (data->specs[i].saw_cancel);
      g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (data->children[i])));
      bridge_task_unref (data->children[i]);
    }
  bridge_future_unref (data->gather);
}

static void
test_gather_cancel (LoopFixture   *fixture,
                    gconstpointer  user_data)
{
  CancelData data = { .return_exceptions = GPOINTER_TO_INT (user_data) };

  fixture_run_ok (fixture, cancel_main, &data);
}

/* A child that refuses the cancellation does not save the gather: a cancel
 * that any child accepted wins (bpo-32684), with return_exceptions too. */
static void
cancel_refused_main (BridgeTask *task,
                     gpointer    user_data)
{
  ChildSpec stubborn = { .delay = 10.0, .value = 7, .ignore_cancel = TRUE };
  g_autoptr(BridgeTask) child = spawn_child (&stubborn);
  g_autoptr(BridgeFuture) gather = bridge_gather ((BridgeFuture **) &child, 1, TRUE);
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_yield (&error));
  g_assert_true (bridge_future_cancel (gather, NULL));
  g_assert_false (bridge_await (gather, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  g_assert_true (stubborn.saw_cancel);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (child), &error), ==, 7);
  g_assert_no_error (error);
}

static void
test_gather_cancel_refused (LoopFixture   *fixture,
                            gconstpointer  data)
{
  fixture_run_ok (fixture, cancel_refused_main, NULL);
}

/* ---- zero futures ------------------------------------------------------------------------- */

static void
test_gather_empty (LoopFixture   *fixture,
                   gconstpointer  data)
{
  g_autoptr(BridgeFuture) gather = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *children;

  /* Done at once, even outside a task and without running the loop. */
  g_main_context_push_thread_default (fixture->context);
  gather = bridge_gather (NULL, 0, FALSE);
  g_main_context_pop_thread_default (fixture->context);
  g_assert_true (bridge_future_get_loop (gather) == fixture->loop);
  g_assert_true (bridge_future_is_done (gather));
  children = bridge_future_get_pointer (gather, &error);
  g_assert_no_error (error);
  g_assert_nonnull (children);
  g_assert_cmpuint (children->len, ==, 0);
  g_assert_false (bridge_future_cancel (gather, NULL));
}

/* ---- an already-failed child ------------------------------------------------------------- */

static void
already_failed_main (BridgeTask *task,
                     gpointer    user_data)
{
  g_autoptr(BridgeFuture) failed = bridge_future_new ();
  ChildSpec sibling = { .delay = 0.020, .value = 5 };
  g_autoptr(BridgeTask) child = spawn_child (&sibling);
  BridgeFuture *futures[] = { BRIDGE_FUTURE (child), failed };
  g_autoptr(BridgeFuture) gather = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_future_set_error (failed, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                                                                      "already broken"), NULL));

  /* As in asyncio 3.12, the gather is failed as soon as it is made. */
  gather = bridge_gather (futures, 2, FALSE);
  g_assert_true (bridge_future_is_done (gather));
  g_assert_false (bridge_await (gather, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_clear_error (&error);

  /* The sibling never noticed. */
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (child)));
  g_assert_cmpint (bridge_await_int64 (BRIDGE_FUTURE (child), &error), ==, 5);
  g_assert_no_error (error);
  g_assert_false (sibling.saw_cancel);
}

static void
test_gather_already_failed (LoopFixture   *fixture,
                            gconstpointer  data)
{
  fixture_run_ok (fixture, already_failed_main, NULL);
}

static void
all_done_main (BridgeTask *task,
               gpointer    user_data)
{
  g_autoptr(BridgeFuture) a = bridge_future_new ();
  g_autoptr(BridgeFuture) b = bridge_future_new ();
  BridgeFuture *futures[] = { a, b };
  g_autoptr(BridgeFuture) gather = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *children;

  bridge_future_set_int64 (a, 1, NULL);
  bridge_future_set_int64 (b, 2, NULL);
  gather = bridge_gather (futures, 2, FALSE);
  g_assert_true (bridge_future_is_done (gather));
  g_assert_true (bridge_await (gather, &error));
  g_assert_no_error (error);
  children = bridge_future_get_pointer (gather, NULL);
  g_assert_cmpint (child_int64 (children, 0), ==, 1);
  g_assert_cmpint (child_int64 (children, 1), ==, 2);
}

static void
test_gather_all_done (LoopFixture   *fixture,
                      gconstpointer  data)
{
  fixture_run_ok (fixture, all_done_main, NULL);
}

/* ---- cancelled while the children are finishing -------------------------------------------- */

static void
cancel_while_finishing_main (BridgeTask *task,
                             gpointer    user_data)
{
  g_autoptr(BridgeFuture) a = bridge_future_new ();
  g_autoptr(BridgeFuture) b = bridge_future_new ();
  g_autoptr(BridgeFuture) c = bridge_future_new ();
  BridgeFuture *pair[] = { a, b };
  BridgeFuture *trio[] = { a, b, c };
  g_autoptr(BridgeFuture) all_finished = NULL;
  g_autoptr(BridgeFuture) one_pending = NULL;
  g_autoptr(GPtrArray) children = NULL;
  g_autoptr(GError) error = NULL;

  all_finished = bridge_gather (pair, 2, FALSE);
  one_pending = bridge_gather (trio, 3, FALSE);

  /* Both children finish in this step: their done callbacks are queued but
   * the gathers have not heard of it yet. */
  bridge_future_set_int64 (a, 1, NULL);
  bridge_future_set_int64 (b, 2, NULL);
  g_assert_false (bridge_future_is_done (all_finished));

  /* No child accepts a cancellation any more, so neither does the gather:
   * it still delivers the results. */
  g_assert_false (bridge_future_cancel (all_finished, NULL));
  children = bridge_await_pointer (all_finished, &error);
  g_assert_no_error (error);
  g_assert_false (bridge_future_is_cancelled (all_finished));
  g_assert_cmpint (child_int64 (children, 0), ==, 1);
  g_assert_cmpint (child_int64 (children, 1), ==, 2);

  /* With one child still pending the cancellation is accepted: that child
   * is cancelled, the finished ones keep their results. */
  g_assert_true (bridge_future_cancel (one_pending, NULL));
  g_assert_false (bridge_await (one_pending, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (bridge_future_is_cancelled (one_pending));
  g_assert_true (bridge_future_is_cancelled (c));
  g_assert_cmpint (bridge_future_get_int64 (a, NULL), ==, 1);
  g_assert_cmpint (bridge_future_get_int64 (b, NULL), ==, 2);
}

static void
test_gather_cancel_while_finishing (LoopFixture   *fixture,
                                    gconstpointer  data)
{
  fixture_run_ok (fixture, cancel_while_finishing_main, NULL);
}

/* ---- duplicates ------------------------------------------------------------------------------ */

static void
duplicates_main (BridgeTask *task,
                 gpointer    user_data)
{
  ChildSpec spec_a = { .delay = 0.010, .value = 1 };
  ChildSpec spec_b = { .delay = 0.005, .value = 2 };
  g_autoptr(BridgeTask) a = spawn_child (&spec_a);
  g_autoptr(BridgeTask) b = spawn_child (&spec_b);
  BridgeFuture *futures[] = { BRIDGE_FUTURE (a), BRIDGE_FUTURE (b), BRIDGE_FUTURE (a) };
  g_autoptr(BridgeFuture) gather = bridge_gather (futures, 3, FALSE);
  g_autoptr(GPtrArray) children = NULL;
  g_autoptr(GError) error = NULL;

  children = bridge_await_pointer (gather, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (children->len, ==, 3);
  g_assert_true (g_ptr_array_index (children, 0) == g_ptr_array_index (children, 2));
  g_assert_cmpint (child_int64 (children, 0), ==, 1);
  g_assert_cmpint (child_int64 (children, 1), ==, 2);
  g_assert_cmpint (child_int64 (children, 2), ==, 1);
}

static void
test_gather_duplicates (LoopFixture   *fixture,
                        gconstpointer  data)
{
  fixture_run_ok (fixture, duplicates_main, NULL);
}

/* ---- pending when the loop is closed ------------------------------------------------------- */

/* The children's callbacks hold the gather and the gather holds the
 * children, as asyncio's closures do. When the loop is closed under them,
 * nothing may stay alive: the fixture checks that the loop is finalized,
 * which needs every future of the test to be freed. */
static void
test_gather_pending_at_close (LoopFixture   *fixture,
                              gconstpointer  data)
{
  BridgeFuture *never = bridge_future_new_for_loop (fixture->loop);
  BridgeTask *a = spawn_parked (fixture->loop, never);
  BridgeTask *b = spawn_parked (fixture->loop, never);
  BridgeFuture *children[] = { BRIDGE_FUTURE (a), BRIDGE_FUTURE (b) };
  BridgeFuture *gather = bridge_gather (children, 2, FALSE);
  guint pending_destroyed = 0;

  bridge_loop_set_exception_handler (fixture->loop, count_pending_destroyed, &pending_destroyed, NULL);
  g_assert_true (bridge_loop_close (fixture->loop, NULL));
  g_assert_cmpuint (pending_destroyed, ==, 2);

  g_assert_false (bridge_future_is_done (gather));
  bridge_future_unref (gather);
  bridge_task_unref (a);
  bridge_task_unref (b);
  bridge_future_unref (never);
}

/* ---- a sibling that fails after the gather did, held by nothing else ------ */

/* Two children that fail in the same iteration, and the test lets go of
 * both at once: after the first error failed the gather, the gather alone
 * keeps the second child until it has looked at its error, so the error is
 * marked as retrieved instead of being reported when the child is freed. */
static void
sibling_unheld_main (BridgeTask *task,
                     gpointer    user_data)
{
  ChildSpec first = { .delay = -1, .value = 1, .error_code = G_IO_ERROR_NOT_FOUND };
  ChildSpec second = { .delay = -1, .value = 2, .error_code = G_IO_ERROR_PERMISSION_DENIED };
  BridgeFuture *children[] = { BRIDGE_FUTURE (spawn_child (&first)),
                               BRIDGE_FUTURE (spawn_child (&second)) };
  g_autoptr(BridgeFuture) gather = bridge_gather (children, G_N_ELEMENTS (children), FALSE);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (children); i++)
    bridge_future_unref (children[i]);

  g_assert_false (bridge_await (gather, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_true (first.finished);
  g_assert_true (second.finished);
}

static void
test_gather_sibling_unheld (LoopFixture   *fixture,
                            gconstpointer  data)
{
  ExceptionLog exceptions = { 0 };

  bridge_loop_set_exception_handler (fixture->loop, exception_log_handler, &exceptions, NULL);
  fixture_run_ok (fixture, sibling_unheld_main, NULL);
  g_assert_cmpuint (exceptions.count, ==, 0);
  bridge_loop_set_exception_handler (fixture->loop, NULL, NULL, NULL);
  exception_log_clear (&exceptions);
}

/* ---- a failed gather lets go of its children ------------------------------- */

static void
flag_released (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
ignore_done_cb (BridgeFuture *future,
                gpointer      user_data)
{
}

/* Once the gather failed and no child needs it any more, it drops its
 * references: a plain future that nobody will complete, and that nobody
 * else holds, is freed then, while the gather itself is still around. */
static void
lets_go_main (BridgeTask *task,
              gpointer    user_data)
{
  ChildSpec failing = { .delay = -1, .value = 1, .error_code = G_IO_ERROR_NOT_FOUND };
  BridgeFuture *never = bridge_future_new ();
  g_autoptr(BridgeTask) child = spawn_child (&failing);
  BridgeFuture *children[] = { never, BRIDGE_FUTURE (child) };
  g_autoptr(BridgeFuture) gather = bridge_gather (children, G_N_ELEMENTS (children), FALSE);
  g_autoptr(GError) error = NULL;
  gboolean released = FALSE;

  bridge_future_add_done_callback (never, ignore_done_cb, &released, flag_released);
  bridge_future_unref (never);

  g_assert_false (bridge_await (gather, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_true (released);
}

static void
test_gather_lets_go (LoopFixture   *fixture,
                     gconstpointer  data)
{
  fixture_run_ok (fixture, lets_go_main, NULL);
}

/* ---- callbacks added to a child after the gather run after the gather's ----- */

static void
record_gather_done_cb (BridgeFuture *future,
                       gpointer      user_data)
{
  BridgeFuture **gather = user_data;

  /* The gather heard from this child first, and completed. */
  g_assert_true (bridge_future_is_done (*gather));
  *gather = NULL;
}

static void
callback_order_main (BridgeTask *task,
                     gpointer    user_data)
{
  ChildSpec spec = { .delay = -1, .value = 7 };
  g_autoptr(BridgeTask) child = spawn_child (&spec);
  BridgeFuture *children[] = { BRIDGE_FUTURE (child) };
  g_autoptr(BridgeFuture) gather = bridge_gather (children, 1, FALSE);
  BridgeFuture *seen = gather;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  bridge_future_add_done_callback (BRIDGE_FUTURE (child), record_gather_done_cb, &seen, NULL);
  results = bridge_await_pointer (gather, &error);
  g_assert_no_error (error);
  g_assert_cmpint (child_int64 (results, 0), ==, 7);
  /* The child's own callbacks ran before the gather's awaiter resumed. */
  g_assert_null (seen);
}

static void
test_gather_callback_order (LoopFixture   *fixture,
                            gconstpointer  data)
{
  fixture_run_ok (fixture, callback_order_main, NULL);
}

/* ---- a child done, but its gather not told, when the loop closes ------------ */

static void
return_at_once (BridgeTask *task,
                gpointer    user_data)
{
}

static void
stop_cb (gpointer user_data)
{
  bridge_loop_stop (user_data);
}

/* The child ends in the loop's last iteration; the gather would have heard
 * in the next one, which never comes. Closing the loop releases what the
 * queued call holds, without completing the gather. */
static void
test_gather_finished_at_close (LoopFixture   *fixture,
                               gconstpointer  data)
{
  BridgeTask *child = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT,
                                         return_at_once, NULL, NULL);
  BridgeFuture *children[] = { BRIDGE_FUTURE (child) };
  BridgeFuture *gather = bridge_gather (children, 1, FALSE);

  /* The child runs in the same iteration as this stop, before it. */
  bridge_loop_call_soon (fixture->loop, stop_cb, fixture->loop, NULL);
  g_assert_true (bridge_loop_run_forever (fixture->loop, NULL));
  g_assert_true (bridge_future_is_done (BRIDGE_FUTURE (child)));
  g_assert_false (bridge_future_is_done (gather));

  g_assert_true (bridge_loop_close (fixture->loop, NULL));
  g_assert_false (bridge_future_is_done (gather));
  bridge_future_unref (gather);
  bridge_task_unref (child);
}

/* ---- 10,000 tasks ------------------------------------------------------------------------------ */

#define N_MANY 10000

static void
many_child (BridgeTask *task,
            gpointer    user_data)
{
  bridge_task_return_int64 (task, GPOINTER_TO_INT (user_data));
}

static void
many_main (BridgeTask *task,
           gpointer    user_data)
{
  BridgeFuture **futures = g_new (BridgeFuture *, N_MANY);
  g_autoptr(BridgeFuture) gather = NULL;
  g_autoptr(GPtrArray) children = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start, created, finished;

  for (guint i = 0; i < N_MANY; i++)
    futures[i] = BRIDGE_FUTURE (bridge_spawn_full (NULL, NULL, 0, many_child, GINT_TO_POINTER (i), NULL));

  start = g_get_monotonic_time ();
  gather = bridge_gather (futures, N_MANY, FALSE);
  created = g_get_monotonic_time ();
  children = bridge_await_pointer (gather, &error);
  finished = g_get_monotonic_time ();
  g_assert_no_error (error);

  g_test_message ("gather over %d tasks: %.3f ms to create, %.3f ms until all results",
                  N_MANY, (created - start) / 1000.0, (finished - start) / 1000.0);
  if (g_test_perf ())
    g_assert_cmpint (created - start, <=, 1000);

  g_assert_cmpuint (children->len, ==, N_MANY);
  for (guint i = 0; i < N_MANY; i++)
    {
      g_assert_true (g_ptr_array_index (children, i) == futures[i]);
      g_assert_cmpint (child_int64 (children, i), ==, i);
      bridge_future_unref (futures[i]);
    }
  g_free (futures);
}

static void
test_gather_many (LoopFixture   *fixture,
                  gconstpointer  data)
{
  fixture_run_ok (fixture, many_main, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  LOOP_TEST ("/libbridge/gather/order", test_gather_order);
  LOOP_TEST ("/libbridge/gather/first-error", test_gather_first_error);
  LOOP_TEST ("/libbridge/gather/child-cancelled", test_gather_child_cancelled);
  LOOP_TEST ("/libbridge/gather/return-exceptions", test_gather_return_exceptions);
  g_test_add ("/libbridge/gather/cancel", LoopFixture, GINT_TO_POINTER (FALSE),
              loop_fixture_setup, test_gather_cancel, loop_fixture_teardown);
  g_test_add ("/libbridge/gather/cancel-return-exceptions", LoopFixture, GINT_TO_POINTER (TRUE),
              loop_fixture_setup, test_gather_cancel, loop_fixture_teardown);
  LOOP_TEST ("/libbridge/gather/cancel-refused-by-child", test_gather_cancel_refused);
  LOOP_TEST ("/libbridge/gather/empty", test_gather_empty);
  LOOP_TEST ("/libbridge/gather/already-failed-child", test_gather_already_failed);
  LOOP_TEST ("/libbridge/gather/all-done", test_gather_all_done);
  LOOP_TEST ("/libbridge/gather/cancel-while-finishing", test_gather_cancel_while_finishing);
  LOOP_TEST ("/libbridge/gather/duplicates", test_gather_duplicates);
  LOOP_TEST ("/libbridge/gather/pending-at-loop-close", test_gather_pending_at_close);
  LOOP_TEST ("/libbridge/gather/sibling-error-unheld", test_gather_sibling_unheld);
  LOOP_TEST ("/libbridge/gather/failed-lets-go-of-children", test_gather_lets_go);
  LOOP_TEST ("/libbridge/gather/callbacks-after-the-gathers", test_gather_callback_order);
  LOOP_TEST ("/libbridge/gather/child-finished-at-loop-close", test_gather_finished_at_close);
  LOOP_TEST ("/libbridge/gather/many", test_gather_many);

  return g_test_run ();
}
