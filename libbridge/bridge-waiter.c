/* bridge-waiter.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-error.h"
#include "bridge-waiter-private.h"

static void waiter_finalize (BridgeFuture *future);

static const BridgeFutureClass waiter_class = {
  /* To diagnostics a waiter is the plain future asyncio would have made. */
  .type_name = "Future",
  .instance_size = sizeof (BridgeWaiter),
  .cancel = NULL,
  .finalize = waiter_finalize,
};

static void
waiter_finalize (BridgeFuture *future)
{
  /* The queue holds a reference while the waiter is linked. */
  g_assert (!((BridgeWaiter *) future)->queued);
}

/* The task running now, or NULL with %BRIDGE_ERROR_INVALID_STATE: blocking
 * operations of the primitives are only for tasks, even when they would not
 * block this time, so that code which works in a test does not fail later. */
BridgeTask *
_bridge_waiter_get_task (const char  *function,
                         GError     **error)
{
  BridgeTask *task = bridge_task_get_current ();

  if (G_UNLIKELY (task == NULL))
    g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                 "%s() called outside a task: only code running in a task "
                 "started with bridge_spawn() can wait", function);
  return task;
}

/* A primitive belongs to the loop of the first task that parks on it, as
 * asyncio's `_LoopBoundMixin` does; @bound holds a reference to that loop. */
gboolean
_bridge_waiter_bind_loop (BridgeLoop **bound,
                          BridgeTask  *task,
                          const char  *what,
                          GError     **error)
{
  BridgeLoop *loop = bridge_future_get_loop (BRIDGE_FUTURE (task));

  if (G_LIKELY (*bound == loop))
    return TRUE;

  if (*bound == NULL)
    {
      *bound = g_object_ref (loop);
      return TRUE;
    }

  g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
               "%s is bound to a different event loop", what);
  return FALSE;
}

/* Appends a new waiter to @queue and parks @task (the current task) on it.
 * Returns what bridge_await() returned: %TRUE when woken, %FALSE with
 * %G_IO_ERROR_CANCELLED when the task was cancelled, which may also happen
 * after the waiter was woken (the race every primitive must handle). The
 * waiter may still be linked: the caller unlinks it and drops
 * @out_waiter. */
gboolean
_bridge_waiter_wait (GQueue        *queue,
                     BridgeTask    *task,
                     BridgeWaiter **out_waiter,
                     GError       **error)
{
  BridgeWaiter *waiter;

  waiter = _bridge_future_new_of_class (&waiter_class,
                                        bridge_future_get_loop (BRIDGE_FUTURE (task)));
  waiter->link.data = waiter;
  waiter->queued = TRUE;
  g_queue_push_tail_link (queue, &waiter->link);
  bridge_future_ref (BRIDGE_FUTURE (waiter));   /* the queue's reference */

  *out_waiter = waiter;
  return bridge_await (BRIDGE_FUTURE (waiter), error);
}

/* `waiters.remove(fut)`, tolerating a waiter that was already popped. */
void
_bridge_waiter_unlink (GQueue       *queue,
                       BridgeWaiter *waiter)
{
  if (!waiter->queued)
    return;

  g_queue_unlink (queue, &waiter->link);
  waiter->queued = FALSE;
  bridge_future_unref (BRIDGE_FUTURE (waiter));
}

/* Drops every waiter of a primitive that is being freed. Only waiters of
 * tasks abandoned by bridge_loop_close() can be left at that point: a parked
 * task holds a reference to the primitive it waits on. */
void
_bridge_waiter_queue_clear (GQueue *queue)
{
  BridgeWaiter *waiter;

  while ((waiter = _bridge_waiter_pop_head (queue)) != NULL)
    bridge_future_unref (BRIDGE_FUTURE (waiter));
}

/* Misuse of a primitive (releasing an unlocked lock, …) is a GError, as
 * asyncio raises; a caller that passes no GError gets a critical warning
 * instead, like the future setters. Always returns %FALSE. */
gboolean
_bridge_set_misuse (GError     **error,
                    int          code,
                    const char  *format,
                    ...)
{
  va_list args;
  GError *local;

  va_start (args, format);
  local = g_error_new_valist (BRIDGE_ERROR, code, format, args);
  va_end (args);

  if (error != NULL)
    g_propagate_error (error, local);
  else
    {
      g_critical ("%s", local->message);
      g_error_free (local);
    }
  return FALSE;
}
