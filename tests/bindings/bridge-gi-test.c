/* bridge-gi-test.c: C tasks for the binding tests to await and feed
 *
 * A bound language cannot start a task (that would run interpreted code on
 * a fiber), but C code can start one and hand it over, as a task or as an
 * `_async`/`_finish` pair. These are such C functions, introspected as the
 * BridgeGiTest namespace for tests/bindings only.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "bridge-gi-test.h"

typedef struct
{
  gint64 a;
  gint64 b;
  double seconds;
} AddLater;

static void
add_later_task (BridgeTask *task,
                gpointer    user_data)
{
  AddLater *job = user_data;
  GError *error = NULL;

  if (bridge_sleep (job->seconds, &error))
    bridge_task_return_int64 (task, job->a + job->b);
  else
    bridge_task_return_error (task, error);
}

/**
 * bridge_gi_test_add_later_async:
 * @a: a number
 * @b: another number
 * @seconds: how long the task sleeps before it adds them
 * @cancellable: (nullable): cancels the task
 * @callback: (scope async): called with the result
 * @user_data: data for @callback
 *
 * Runs a libbridge task that sleeps, then returns @a + @b.
 */
void
bridge_gi_test_add_later_async (gint64               a,
                                gint64               b,
                                double               seconds,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  AddLater *job = g_new0 (AddLater, 1);

  job->a = a;
  job->b = b;
  job->seconds = seconds;
  bridge_spawn_async (NULL, cancellable, callback, user_data, add_later_task, job, g_free);
}

/**
 * bridge_gi_test_add_later_finish:
 * @result: the result given to the callback
 * @error: return location for the task's error
 *
 * Returns: the sum
 */
gint64
bridge_gi_test_add_later_finish (GAsyncResult  *result,
                                 GError       **error)
{
  return bridge_spawn_finish_int64 (result, error);
}

typedef struct
{
  double  seconds;
  char   *word;
} SleepThenSay;

static void
sleep_then_say_free (gpointer data)
{
  SleepThenSay *job = data;

  g_free (job->word);
  g_free (job);
}

static void
sleep_then_say_task (BridgeTask *task,
                     gpointer    user_data)
{
  SleepThenSay *job = user_data;
  GError *error = NULL;

  if (bridge_sleep (job->seconds, &error))
    bridge_task_return_string (task, job->word);
  else
    bridge_task_return_error (task, error);
}

/**
 * bridge_gi_test_sleep_then_say:
 * @seconds: how long the task sleeps
 * @word: what it returns then
 *
 * Returns: (transfer full): a running task that returns @word after @seconds
 */
BridgeTask *
bridge_gi_test_sleep_then_say (double      seconds,
                               const char *word)
{
  SleepThenSay *job = g_new0 (SleepThenSay, 1);

  job->seconds = seconds;
  job->word = g_strdup (word);
  return bridge_spawn (sleep_then_say_task, job, sleep_then_say_free);
}

typedef struct
{
  BridgeQueue *queue;
  guint        n_items;
} SumQueue;

static void
sum_queue_free (gpointer data)
{
  SumQueue *job = data;

  bridge_queue_unref (job->queue);
  g_free (job);
}

static void
sum_queue_task (BridgeTask *task,
                gpointer    user_data)
{
  SumQueue *job = user_data;
  gint64 sum = 0;

  for (guint i = 0; i < job->n_items; i++)
    {
      gpointer item;
      GError *error = NULL;

      if (!bridge_queue_get (job->queue, &item, &error))
        {
          bridge_task_return_error (task, error);
          return;
        }
      sum += GPOINTER_TO_INT (item);
    }
  bridge_task_return_int64 (task, sum);
}

/**
 * bridge_gi_test_sum_queue:
 * @queue: a queue of integers (stored as pointers)
 * @n_items: how many items the task takes
 *
 * Returns: (transfer full): a running task that takes @n_items from @queue,
 *   waiting for each, and returns their sum
 */
BridgeTask *
bridge_gi_test_sum_queue (BridgeQueue *queue,
                          guint        n_items)
{
  SumQueue *job = g_new0 (SumQueue, 1);

  job->queue = bridge_queue_ref (queue);
  job->n_items = n_items;
  return bridge_spawn (sum_queue_task, job, sum_queue_free);
}

static void
wait_event_task (BridgeTask *task,
                 gpointer    user_data)
{
  GError *error = NULL;

  if (bridge_event_wait (user_data, &error))
    bridge_task_return_boolean (task, TRUE);
  else
    bridge_task_return_error (task, error);
}

/**
 * bridge_gi_test_wait_event:
 * @event: an event
 *
 * Returns: (transfer full): a running task that waits for @event to be set,
 *   then returns %TRUE
 */
BridgeTask *
bridge_gi_test_wait_event (BridgeEvent *event)
{
  return bridge_spawn (wait_event_task, bridge_event_ref (event), (GDestroyNotify) bridge_event_unref);
}

typedef struct
{
  BridgeLock  *lock;
  BridgeEvent *release;
} HoldLock;

static void
hold_lock_free (gpointer data)
{
  HoldLock *job = data;

  bridge_lock_unref (job->lock);
  bridge_event_unref (job->release);
  g_free (job);
}

static void
hold_lock_task (BridgeTask *task,
                gpointer    user_data)
{
  HoldLock *job = user_data;
  GError *error = NULL;

  if (!bridge_lock_acquire (job->lock, &error))
    {
      bridge_task_return_error (task, error);
      return;
    }
  if (!bridge_event_wait (job->release, &error))
    {
      bridge_lock_release (job->lock, NULL);
      bridge_task_return_error (task, error);
      return;
    }
  if (bridge_lock_release (job->lock, &error))
    bridge_task_return_boolean (task, TRUE);
  else
    bridge_task_return_error (task, error);
}

/**
 * bridge_gi_test_hold_lock:
 * @lock: a lock
 * @release: an event
 *
 * Returns: (transfer full): a running task that acquires @lock, holds it
 *   until @release is set, releases it and returns %TRUE
 */
BridgeTask *
bridge_gi_test_hold_lock (BridgeLock  *lock,
                          BridgeEvent *release)
{
  HoldLock *job = g_new0 (HoldLock, 1);

  job->lock = bridge_lock_ref (lock);
  job->release = bridge_event_ref (release);
  return bridge_spawn (hold_lock_task, job, hold_lock_free);
}
