/* bridge-wait.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "bridge-error.h"
#include "bridge-future-private.h"
#include "bridge-handle.h"
#include "bridge-loop.h"
#include "bridge-task.h"
#include "bridge-wait.h"

/* The future the waiting task parks on: completed by the futures' done
 * callbacks when the condition holds, or by the timer. */
typedef struct
{
  BridgeFuture    parent;
  BridgeHandle   *timer;       /* a reference while armed */
  guint           counter;     /* futures not done yet */
  BridgeWaitMode  return_when;
} WaitFuture;

static void waiter_finalize (BridgeFuture *future);

static const BridgeFutureClass waiter_class = {
  .type_name = "Future",
  .instance_size = sizeof (WaitFuture),
  .cancel = NULL,
  .finalize = waiter_finalize,
};

static void
waiter_disarm (WaitFuture *self)
{
  if (self->timer != NULL)
    {
      BridgeHandle *timer = g_steal_pointer (&self->timer);

      bridge_handle_cancel (timer);
      bridge_handle_unref (timer);
    }
}

static void
waiter_finalize (BridgeFuture *future)
{
  waiter_disarm ((WaitFuture *) future);
}

static void
waiter_release (WaitFuture *self)
{
  if (_bridge_future_is_pending (BRIDGE_FUTURE (self)))
    _bridge_future_complete_value (BRIDGE_FUTURE (self), NULL, NULL);
}

static void
waiter_timeout_cb (gpointer user_data)
{
  /* Only wakes the waiting task: nothing is cancelled on timeout. */
  waiter_release (user_data);
}

/* asyncio's _wait() _on_completion(). */
static void
wait_on_completion_cb (BridgeFuture *future,
                       gpointer      user_data)
{
  WaitFuture *self = user_data;

  self->counter--;

  /* Same order of tests as asyncio, which matters: looking at the error (and
   * so marking it as retrieved) only happens in FIRST_EXCEPTION mode while
   * other futures are still pending. */
  if (self->counter == 0 ||
      self->return_when == BRIDGE_WAIT_FIRST_COMPLETED ||
      (self->return_when == BRIDGE_WAIT_FIRST_EXCEPTION &&
       future->state != BRIDGE_FUTURE_CANCELLED &&
       bridge_future_get_error (future) != NULL))
    {
      waiter_disarm (self);
      waiter_release (self);
    }
}

/* Whether @future's most recent done callback is (@func, @data). While the
 * futures are registered nothing else adds callbacks, so this tells a
 * duplicate in the argument list in O(1), without a hash set. */
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
 * bridge_wait:
 * @futures: (array length=n_futures): the futures and tasks to wait for;
 *   duplicates count once
 * @n_futures: the number of entries in @futures, at least one
 * @return_when: when to return
 * @timeout: the most seconds to wait; negative for no limit
 * @done: (out) (optional) (transfer full) (element-type BridgeFuture): the
 *   futures that are done
 * @pending: (out) (optional) (transfer full) (element-type BridgeFuture): the
 *   futures that are not
 * @error: return location for %G_IO_ERROR_CANCELLED when the calling task is
 *   cancelled, %BRIDGE_ERROR_VALUE for an empty set or a bad @return_when, or
 *   %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits from inside a task until @return_when is met or @timeout passes,
 * and sorts @futures into the ones that are done and the ones that are still
 * pending (`asyncio.wait(fs, timeout=, return_when=)`).
 *
 * A timeout is not an error and never cancels anything: the call simply
 * returns with the unfinished futures in @pending. Cancelling the calling
 * task stops the wait with %G_IO_ERROR_CANCELLED and leaves @futures
 * running as well. Errors of the futures themselves are not reported here:
 * read them from the futures in @done. With %BRIDGE_WAIT_FIRST_EXCEPTION, the
 * error that ended the wait counts as retrieved, as in asyncio.
 *
 * Futures that are already done count like the others, through their done
 * callbacks: the call returns in the next iteration of the loop, as asyncio's
 * does.
 *
 * Differences from asyncio: @done and @pending are arrays that keep the
 * order of @futures (first occurrence of each) instead of unordered sets;
 * the sets are only computed when the wait ends, so a future that finished
 * while the task was being woken is in @done too, exactly as asyncio's.
 *
 * Returns: %TRUE when the wait ended (condition met or timeout), %FALSE with
 *   @error set otherwise
 *
 * Since: 0.1
 */
gboolean
bridge_wait (BridgeFuture   **futures,
             guint            n_futures,
             BridgeWaitMode   return_when,
             double           timeout,
             GPtrArray      **done,
             GPtrArray      **pending,
             GError         **error)
{
  BridgeTask *task = bridge_task_get_current ();
  WaitFuture *waiter;
  GPtrArray *unique;
  gboolean ret;

  g_return_val_if_fail (futures != NULL || n_futures == 0, FALSE);

  for (guint i = 0; i < n_futures; i++)
    g_return_val_if_fail (futures[i] != NULL, FALSE);

  if (task == NULL)
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                           "bridge_wait() called outside a task: only code running in "
                           "a task started with bridge_spawn() can wait");
      return FALSE;
    }
  if (n_futures == 0)
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_VALUE,
                           "Set of Tasks/Futures is empty.");
      return FALSE;
    }
  if ((guint) return_when > BRIDGE_WAIT_ALL_COMPLETED)
    {
      g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_VALUE,
                   "Invalid return_when value: %d", (int) return_when);
      return FALSE;
    }

  waiter = _bridge_future_new_of_class (&waiter_class,
                                        bridge_future_get_loop (BRIDGE_FUTURE (task)));
  waiter->return_when = return_when;

  unique = g_ptr_array_new_full (n_futures, (GDestroyNotify) bridge_future_unref);
  for (guint i = 0; i < n_futures; i++)
    {
      BridgeFuture *future = futures[i];

      if (last_callback_is (future, wait_on_completion_cb, waiter))
        continue;

      g_ptr_array_add (unique, bridge_future_ref (future));
      bridge_future_add_done_callback (future, wait_on_completion_cb,
                                       bridge_future_ref (BRIDGE_FUTURE (waiter)),
                                       (GDestroyNotify) bridge_future_unref);
    }
  waiter->counter = unique->len;

  if (timeout >= 0)
    {
      BridgeLoop *loop = bridge_future_get_loop (BRIDGE_FUTURE (waiter));

      waiter->timer = bridge_handle_ref (bridge_loop_call_later (loop, timeout, waiter_timeout_cb,
                                                                 bridge_future_ref (BRIDGE_FUTURE (waiter)),
                                                                 (GDestroyNotify) bridge_future_unref));
    }

  ret = bridge_await (BRIDGE_FUTURE (waiter), error);

  /* asyncio's `finally`: the callbacks of futures that are still pending are
   * removed; those of futures already done are queued and cannot be, which
   * is harmless since the waiter is done and each holds a reference. */
  waiter_disarm (waiter);
  for (guint i = 0; i < unique->len; i++)
    bridge_future_remove_done_callback (g_ptr_array_index (unique, i),
                                        wait_on_completion_cb, waiter);

  if (ret)
    {
      GPtrArray *done_set = g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_future_unref);
      GPtrArray *pending_set = g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_future_unref);

      for (guint i = 0; i < unique->len; i++)
        {
          BridgeFuture *future = g_ptr_array_index (unique, i);

          g_ptr_array_add (_bridge_future_is_pending (future) ? pending_set : done_set,
                           bridge_future_ref (future));
        }

      if (done != NULL)
        *done = done_set;
      else
        g_ptr_array_unref (done_set);
      if (pending != NULL)
        *pending = pending_set;
      else
        g_ptr_array_unref (pending_set);
    }

  g_ptr_array_unref (unique);
  bridge_future_unref (BRIDGE_FUTURE (waiter));
  return ret;
}
