/* test-gio-util.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libbridge.h>

#include "test-util.h"

G_BEGIN_DECLS

/* A cancelled task must wake this soon after bridge_task_cancel(), without
 * waiting for GIO to call back. */
#define TEST_PROMPT_USEC (50 * 1000)

/* ---- cancelling the current task later, and timing its wake-up ------------- */

typedef struct
{
  BridgeTask *task;
  gint64      at;
} TestCanceller;

static inline void
test_canceller_fire (gpointer user_data)
{
  TestCanceller *canceller = user_data;

  canceller->at = g_get_monotonic_time ();
  bridge_task_cancel (canceller->task, NULL);
}

/* Cancels the current task after @delay seconds, recording when. */
static inline void
test_cancel_later (TestCanceller *canceller,
                   double         delay)
{
  canceller->task = bridge_task_get_current ();
  canceller->at = 0;
  bridge_loop_call_later (bridge_loop_get_default (), delay, test_canceller_fire, canceller, NULL);
}

/* Cancels @task now, recording when. */
static inline void
test_cancel_now (TestCanceller *canceller,
                 BridgeTask    *task)
{
  canceller->task = task;
  test_canceller_fire (canceller);
}

static inline void
test_assert_woke_promptly (TestCanceller *canceller)
{
  gint64 delay = g_get_monotonic_time () - canceller->at;

  g_assert_cmpint (canceller->at, >, 0);
  g_test_message ("woke %" G_GINT64_FORMAT " µs after the cancellation", delay);
  g_assert_cmpint (delay, <, TEST_PROMPT_USEC);
}

/* ---- waiting for GIO to let go -------------------------------------------------
 *
 * A cancelled task wakes before GIO calls back; a test must still let that
 * callback happen before it closes the loop, or the operation's state would
 * be destroyed with the context instead of released. The operation holds its
 * source object until then, so the object's finalization is the signal. */

static inline void
test_finalized_cb (gpointer  user_data,
                   GObject  *where_the_object_was)
{
  BridgeFuture *future = user_data;

  bridge_future_set_value (future, NULL, NULL);
  bridge_future_unref (future);
}

/* A future that completes when @object is finalized, on whatever thread. */
static inline BridgeFuture *
test_watch_finalize (gpointer object)
{
  BridgeFuture *future = bridge_future_new ();

  g_object_weak_ref (object, test_finalized_cb, bridge_future_ref (future));
  return future;
}

/* Drops the caller's reference to @object and waits, in a task, until
 * everything else let go of it too. */
static inline void
test_unref_and_await_finalize (gpointer object)
{
  g_autoptr(GError) error = NULL;
  BridgeFuture *watch = test_watch_finalize (object);

  g_object_unref (object);
  g_assert_true (bridge_await (watch, &error));
  g_assert_no_error (error);
  bridge_future_unref (watch);
}

static inline void
test_await_watch (BridgeFuture *watch)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_await (watch, &error));
  g_assert_no_error (error);
  bridge_future_unref (watch);
}

G_END_DECLS
