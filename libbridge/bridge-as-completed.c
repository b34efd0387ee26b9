/* bridge-as-completed.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "bridge-as-completed.h"
#include "bridge-error.h"
#include "bridge-future-private.h"
#include "bridge-handle.h"
#include "bridge-loop.h"
#include "bridge-task.h"

/**
 * BridgeAsCompleted:
 *
 * An iterator over futures in the order they complete: asyncio's
 * `as_completed()`. Create it with [func@Bridge.AsCompleted.new], take the
 * futures one by one with [method@Bridge.AsCompleted.next] from a task, and
 * free it with [method@Bridge.AsCompleted.free].
 *
 * Since: 0.1
 */
struct _BridgeAsCompleted
{
  /* The owner's reference, one per registered done callback, one for the
   * timer, and one for each next() in progress: callbacks of futures that
   * were already done cannot be removed, so they may run after free(). */
  gint          ref_count;

  GPtrArray    *futures;        /* deduplicated, argument order, a reference each */
  GQueue        done;           /* finished, not handed out yet (borrowed from @futures) */
  GQueue        waiters;        /* wake-up futures of tasks parked in next(), a reference each */
  BridgeHandle *timer;          /* a reference while armed */
  guint         todo;           /* futures not finished yet */
  guint         left;           /* how many more next() calls produce something */
  guint         timed_out : 1;
  guint         freed : 1;
};

static BridgeAsCompleted *
iter_ref (BridgeAsCompleted *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

static void
iter_disarm (BridgeAsCompleted *self)
{
  if (self->timer != NULL)
    {
      BridgeHandle *timer = g_steal_pointer (&self->timer);

      bridge_handle_cancel (timer);
      bridge_handle_unref (timer);
    }
}

static void
iter_unref (BridgeAsCompleted *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;

  iter_disarm (self);
  g_queue_clear (&self->done);
  g_queue_clear_full (&self->waiters, (GDestroyNotify) bridge_future_unref);
  g_ptr_array_unref (self->futures);
  g_free (self);
}

/* Waiters are only wake-up signals, as asyncio.Queue's getters: the futures
 * stay in @done until a woken task takes one, so a task cancelled after its
 * wake-up loses nothing. */
static void
iter_wake (BridgeAsCompleted *self,
           gboolean           all)
{
  BridgeFuture *waiter;

  while ((waiter = g_queue_pop_head (&self->waiters)) != NULL)
    {
      gboolean woke = FALSE;

      if (_bridge_future_is_pending (waiter))
        woke = _bridge_future_complete_value (waiter, NULL, NULL);
      bridge_future_unref (waiter);
      if (woke && !all)
        break;
    }
}

static void
iter_completion_cb (BridgeFuture *future,
                    gpointer      user_data)
{
  BridgeAsCompleted *self = user_data;

  /* The timeout or free() came first: this future is no longer awaited. */
  if (self->timed_out || self->freed)
    return;

  self->todo--;
  g_queue_push_tail (&self->done, future);
  iter_wake (self, FALSE);
  if (self->todo == 0)
    iter_disarm (self);
}

static void
iter_forget_pending (BridgeAsCompleted *self)
{
  for (guint i = 0; i < self->futures->len; i++)
    {
      BridgeFuture *future = g_ptr_array_index (self->futures, i);

      /* A done future's callback is already queued and cannot be removed;
       * it will see timed_out or freed and do nothing. */
      if (_bridge_future_is_pending (future))
        bridge_future_remove_done_callback (future, iter_completion_cb, self);
    }
}

static void
iter_timeout_cb (gpointer user_data)
{
  BridgeAsCompleted *self = user_data;

  /* The handle is running: drop our reference, the queue holds its own. */
  g_clear_pointer (&self->timer, bridge_handle_unref);

  if (self->freed || self->todo == 0)
    return;

  /* asyncio queues one timeout marker per unfinished future behind the
   * futures already done: timed_out plus @left says the same. */
  self->timed_out = TRUE;
  self->todo = 0;
  iter_forget_pending (self);
  iter_wake (self, TRUE);
}

/* See bridge-wait.c: an O(1) duplicate test while registering. */
static gboolean
last_callback_is (BridgeFuture         *future,
                  BridgeFutureCallback  func,
                  gpointer              data)
{
  const BridgeFutureCallbackEntry *last = &future->first_callback;

  if (future->more_callbacks != NULL && future->more_callbacks->len > 0)
    last = &g_array_index (future->more_callbacks, BridgeFutureCallbackEntry,
                           future->more_callbacks->len - 1);
  return last->func == func && last->data == data;
}

/**
 * bridge_as_completed_new: (skip)
 * @futures: (array length=n_futures) (nullable): the futures and tasks;
 *   duplicates count once
 * @n_futures: the number of entries in @futures
 * @timeout: the most seconds for all of them together; negative for no limit
 *
 * Starts watching @futures so that [method@Bridge.AsCompleted.next] hands
 * them out in the order they complete (`asyncio.as_completed(fs,
 * timeout=)`, iterated with `async for` as in Python 3.13, which yields the
 * futures themselves).
 *
 * Duplicates in @futures are handed out once, as asyncio does with
 * `set(fs)`. Futures that are already done come first, in argument order.
 * When @timeout passes, nothing is cancelled: the futures that finished
 * before are still handed out, then each remaining call fails with
 * %G_IO_ERROR_TIMED_OUT.
 *
 * May be called outside a task; [method@Bridge.AsCompleted.next] may not.
 *
 * Returns: (transfer full): the iterator
 *
 * Since: 0.1
 */
BridgeAsCompleted *
bridge_as_completed_new (BridgeFuture **futures,
                         guint          n_futures,
                         double         timeout)
{
  BridgeAsCompleted *self;

  g_return_val_if_fail (futures != NULL || n_futures == 0, NULL);

  for (guint i = 0; i < n_futures; i++)
    g_return_val_if_fail (futures[i] != NULL, NULL);

  self = g_new0 (BridgeAsCompleted, 1);
  self->ref_count = 1;
  self->futures = g_ptr_array_new_full (n_futures, (GDestroyNotify) bridge_future_unref);
  g_queue_init (&self->done);
  g_queue_init (&self->waiters);

  for (guint i = 0; i < n_futures; i++)
    {
      BridgeFuture *future = futures[i];

      if (last_callback_is (future, iter_completion_cb, self))
        continue;

      g_ptr_array_add (self->futures, bridge_future_ref (future));
      bridge_future_add_done_callback (future, iter_completion_cb, iter_ref (self),
                                       (GDestroyNotify) iter_unref);
    }

  self->todo = self->left = self->futures->len;

  if (self->todo > 0 && timeout >= 0)
    {
      BridgeLoop *loop = bridge_future_get_loop (g_ptr_array_index (self->futures, 0));
      BridgeHandle *timer = bridge_loop_call_later (loop, timeout, iter_timeout_cb,
                                                    iter_ref (self), (GDestroyNotify) iter_unref);

      if (timer != NULL)
        self->timer = bridge_handle_ref (timer);
    }

  return self;
}

/**
 * bridge_as_completed_next:
 * @iter: a [struct@Bridge.AsCompleted]
 * @error: return location for %G_IO_ERROR_TIMED_OUT, %G_IO_ERROR_CANCELLED,
 *   or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits from inside a task for the next future to complete, and returns it.
 * The future is done; read its result or error with the
 * `bridge_future_get_*()` functions (this call does not, so a failed future
 * is returned normally, like the futures Python 3.13's `async for` yields).
 *
 * ```c
 * g_autoptr(BridgeAsCompleted) iter = bridge_as_completed_new (futures, n, 10.0);
 * BridgeFuture *next;
 *
 * while ((next = bridge_as_completed_next (iter, &error)) != NULL)
 *   handle (bridge_future_get_string (next, NULL));
 * if (error != NULL)
 *   … // timed out or cancelled
 * ```
 *
 * Returns %NULL without an error once every future was handed out. After the
 * overall timeout, the futures that finished in time are still returned, and
 * then every further call fails with %G_IO_ERROR_TIMED_OUT until as many
 * calls as there were futures were made.
 *
 * If the calling task is cancelled while it waits, this fails with
 * %G_IO_ERROR_CANCELLED and no future is lost: the next call returns it.
 * (asyncio loses one turn of the iteration in that case.) Several tasks may
 * wait on the same iterator; they are served first come, first served.
 *
 * Returns: (transfer none) (nullable): the next completed future, owned by
 *   @iter (take a reference to keep it after freeing @iter), or %NULL
 *
 * Since: 0.1
 */
BridgeFuture *
bridge_as_completed_next (BridgeAsCompleted  *iter,
                          GError            **error)
{
  BridgeTask *task = bridge_task_get_current ();
  BridgeFuture *result = NULL;

  g_return_val_if_fail (iter != NULL, NULL);

  if (task == NULL)
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                           "bridge_as_completed_next() called outside a task: only code "
                           "running in a task started with bridge_spawn() can wait");
      return NULL;
    }

  if (iter->freed || iter->left == 0)
    return NULL;

  iter->left--;
  iter_ref (iter);

  for (;;)
    {
      BridgeFuture *waiter;
      GError *local_error = NULL;

      if (iter->freed)
        {
          g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                               "The as_completed iterator was freed while a task waited on it");
          break;
        }

      if (!g_queue_is_empty (&iter->done))
        {
          result = g_queue_pop_head (&iter->done);
          break;
        }

      if (iter->timed_out)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Timeout was reached");
          break;
        }

      waiter = bridge_future_new_for_loop (bridge_future_get_loop (BRIDGE_FUTURE (task)));
      g_queue_push_tail (&iter->waiters, bridge_future_ref (waiter));

      if (!bridge_await (waiter, &local_error))
        {
          if (g_queue_remove (&iter->waiters, waiter))
            bridge_future_unref (waiter);

          /* Woken, then cancelled before running: hand the wake-up on so the
           * future that is waiting in @done is not stuck. */
          if (bridge_future_is_done (waiter) && !bridge_future_is_cancelled (waiter) &&
              (!g_queue_is_empty (&iter->done) || iter->timed_out))
            iter_wake (iter, FALSE);

          bridge_future_unref (waiter);
          iter->left++;
          g_propagate_error (error, local_error);
          break;
        }

      /* Another task may have taken the future meanwhile: look again. */
      bridge_future_unref (waiter);
    }

  iter_unref (iter);
  return result;
}

/**
 * bridge_as_completed_get_remaining:
 * @iter: a [struct@Bridge.AsCompleted]
 *
 * Tells how many futures the iterator has not handed out yet.
 *
 * Returns: how many more calls to [method@Bridge.AsCompleted.next] will
 *   return a future or a timeout before the iteration ends
 *
 * Since: 0.1
 */
guint
bridge_as_completed_get_remaining (BridgeAsCompleted *iter)
{
  g_return_val_if_fail (iter != NULL, 0);

  return iter->freed ? 0 : iter->left;
}

/**
 * bridge_as_completed_free:
 * @iter: (transfer full): a [struct@Bridge.AsCompleted]
 *
 * Stops watching the futures and frees @iter. The futures are not cancelled.
 * Futures returned by [method@Bridge.AsCompleted.next] are no longer valid
 * unless the caller took a reference. A task still waiting in
 * [method@Bridge.AsCompleted.next] is woken with
 * %BRIDGE_ERROR_INVALID_STATE.
 *
 * Since: 0.1
 */
void
bridge_as_completed_free (BridgeAsCompleted *iter)
{
  g_return_if_fail (iter != NULL);

  iter->freed = TRUE;
  iter_disarm (iter);
  iter_forget_pending (iter);
  iter_wake (iter, TRUE);
  iter_unref (iter);
}
