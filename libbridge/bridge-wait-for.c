/* bridge-wait-for.c
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
#include "bridge-wait-for.h"

/* The future returned by bridge_wait_for_future(). */
typedef struct
{
  BridgeFuture  parent;
  BridgeFuture *inner;              /* kept: a pointer result is only borrowed */
  BridgeHandle *timer;              /* a reference while armed */
  guint         timed_out : 1;      /* the deadline passed and inner was cancelled */
  guint         cancel_requested : 1;
} BridgeWaitFor;

static gboolean wait_for_cancel   (BridgeFuture *future,
                                   const char   *message);
static void     wait_for_finalize (BridgeFuture *future);

static const BridgeFutureClass wait_for_class = {
  .type_name = "Future",
  .instance_size = sizeof (BridgeWaitFor),
  .cancel = wait_for_cancel,
  .finalize = wait_for_finalize,
};

static void
wait_for_disarm (BridgeWaitFor *self)
{
  if (self->timer != NULL)
    {
      BridgeHandle *timer = g_steal_pointer (&self->timer);

      bridge_handle_cancel (timer);
      bridge_handle_unref (timer);
    }
}

static void
wait_for_finalize (BridgeFuture *future)
{
  BridgeWaitFor *self = (BridgeWaitFor *) future;

  wait_for_disarm (self);
  g_clear_pointer (&self->inner, bridge_future_unref);
}

/* The deadline passed: ask the inner future to stop. The outer one completes
 * only once the inner one is done, whatever it ends with. */
static void
wait_for_expire (BridgeWaitFor *self)
{
  self->timed_out = TRUE;
  bridge_future_cancel (self->inner, NULL);
}

static void
wait_for_timeout_cb (gpointer user_data)
{
  BridgeWaitFor *self = user_data;

  /* The handle is running: drop our reference, the queue holds its own. */
  g_clear_pointer (&self->timer, bridge_handle_unref);

  if (_bridge_future_is_pending (BRIDGE_FUTURE (self)))
    wait_for_expire (self);
}

static void
wait_for_inner_done_cb (BridgeFuture *inner,
                        gpointer      user_data)
{
  BridgeWaitFor *self = user_data;
  BridgeFuture *outer = BRIDGE_FUTURE (self);

  wait_for_disarm (self);

  if (!_bridge_future_is_pending (outer))
    {
      /* The outer future was cancelled first; the result was still seen. */
      if (inner->result_kind == BRIDGE_RESULT_ERROR)
        inner->error_retrieved = TRUE;
      return;
    }

  /* Only a cancellation that our own timeout caused becomes a timeout; one
   * from elsewhere, or one requested on the outer future, stays a
   * cancellation. Anything else the inner future ended with wins, even
   * after the deadline: a result that arrived while it was being cancelled
   * is not thrown away. */
  if (inner->state == BRIDGE_FUTURE_CANCELLED && self->timed_out && !self->cancel_requested)
    {
      _bridge_future_complete_error (outer,
                                     g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                                          "Timeout was reached"),
                                     NULL);
      return;
    }

  _bridge_future_complete_copy (outer, inner, NULL);
}

static gboolean
wait_for_cancel (BridgeFuture *future,
                 const char   *message)
{
  BridgeWaitFor *self = (BridgeWaitFor *) future;

  if (!_bridge_future_is_pending (future))
    return FALSE;

  self->cancel_requested = TRUE;
  wait_for_disarm (self);

  /* Like a task awaiting the inner future: the cancellation goes to it, and
   * the outer future ends with whatever the inner one makes of it. */
  if (bridge_future_cancel (self->inner, message))
    return TRUE;

  /* The inner future is done but its callback has not run yet: the request
   * still wins, as a task's pending cancellation would. */
  return _bridge_future_cancel_default (future, message);
}

/**
 * bridge_wait_for_future:
 * @future: the future or task to wait for
 * @timeout: seconds until @future is cancelled; 0 cancels it right away
 *   unless it is already done; negative for no limit
 *
 * The future form of [func@Bridge.wait_for], usable outside tasks (it has
 * the semantics of `asyncio.ensure_future(asyncio.wait_for(fut, timeout))`,
 * without the cost of a task).
 *
 * The returned future completes with a copy of @future's outcome: its
 * value, its error, or its cancellation. When @timeout passes first,
 * @future is cancelled, and once it is done the returned future fails with
 * %G_IO_ERROR_TIMED_OUT, or completes with @future's value or error if
 * @future did not end cancelled (the inner result wins). Cancelling the
 * returned future cancels @future and ends with what @future makes of it.
 *
 * A pointer result is lent, not copied: the returned future keeps @future
 * alive so the pointer stays valid, and [func@Bridge.await_pointer] should
 * be used on @future itself to take it over.
 *
 * Returns: (transfer full): a new future
 *
 * Since: 0.1
 */
BridgeFuture *
bridge_wait_for_future (BridgeFuture *future,
                        double        timeout)
{
  BridgeWaitFor *self;
  BridgeLoop *loop;

  g_return_val_if_fail (future != NULL, NULL);

  loop = bridge_future_get_loop (future);
  self = _bridge_future_new_of_class (&wait_for_class, loop);
  self->inner = bridge_future_ref (future);

  if (!_bridge_future_is_pending (future))
    {
      _bridge_future_complete_copy (BRIDGE_FUTURE (self), future, NULL);
      return BRIDGE_FUTURE (self);
    }

  if (G_UNLIKELY (bridge_loop_is_closed (loop)))
    {
      _bridge_future_complete_error (BRIDGE_FUTURE (self),
                                     g_error_new_literal (BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                                                          "Event loop is closed"),
                                     NULL);
      return BRIDGE_FUTURE (self);
    }

  bridge_future_add_done_callback (future, wait_for_inner_done_cb,
                                   bridge_future_ref (BRIDGE_FUTURE (self)),
                                   (GDestroyNotify) bridge_future_unref);

  if (timeout == 0)
    {
      /* Already expired (asyncio's `timeout <= 0` branch): cancel now, so
       * a task that has not started yet never runs its body. */
      wait_for_expire (self);
    }
  else if (timeout > 0)
    {
      BridgeHandle *timer = bridge_loop_call_later (loop, timeout, wait_for_timeout_cb,
                                                    bridge_future_ref (BRIDGE_FUTURE (self)),
                                                    (GDestroyNotify) bridge_future_unref);
      self->timer = bridge_handle_ref (timer);
    }

  return BRIDGE_FUTURE (self);
}

/**
 * bridge_wait_for:
 * @future: the future or task to wait for
 * @timeout: seconds to wait; 0 cancels @future right away unless it is
 *   already done; negative for no limit
 * @error: return location for @future's error, %G_IO_ERROR_TIMED_OUT,
 *   %G_IO_ERROR_CANCELLED, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits from inside a task for @future, for at most @timeout seconds
 * (`await asyncio.wait_for(fut, timeout)`).
 *
 * When the deadline passes, @future is cancelled and this keeps waiting
 * until @future has finished cancelling (a task runs its cleanup first),
 * then fails with %G_IO_ERROR_TIMED_OUT. If @future completes anyway, with a
 * value or an error other than a cancellation, that outcome is returned
 * instead: the inner result wins. Cancelling the calling task cancels
 * @future too, and this fails with %G_IO_ERROR_CANCELLED (unless @future
 * ignores the request and returns a value).
 *
 * A @future that is already done returns at once without suspending,
 * whatever @timeout is.
 *
 * On success, read the value from @future itself with the
 * `bridge_future_get_*()` functions (or [func@Bridge.await_pointer], which
 * returns at once now that it is done):
 *
 * ```c
 * if (bridge_wait_for (BRIDGE_FUTURE (download), 30.0, &error))
 *   size = bridge_future_get_int64 (BRIDGE_FUTURE (download), NULL);
 * else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
 *   …
 * ```
 *
 * Unlike asyncio 3.12 (which runs `wait_for` through a timeout scope that
 * cancels the calling task), the deadline cancels @future directly, so the
 * calling task's [method@Bridge.Task.get_cancelling] count is never touched.
 * See [ctor@Bridge.Timeout.begin] for deadlines over several awaits.
 *
 * Returns: %TRUE if @future completed with a value
 *
 * Since: 0.1
 */
gboolean
bridge_wait_for (BridgeFuture  *future,
                 double         timeout,
                 GError       **error)
{
  BridgeFuture *wait_for;
  gboolean ret;

  g_return_val_if_fail (future != NULL, FALSE);

  if (bridge_task_get_current () == NULL)
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                           "bridge_wait_for() called outside a task: only code running in "
                           "a task started with bridge_spawn() can wait");
      return FALSE;
    }

  /* bridge_await() refuses a future of another loop; refuse it before a
   * timer is set on that loop, which may never run. */
  if (timeout < 0 || !_bridge_future_is_pending (future) ||
      bridge_future_get_loop (future) != bridge_future_get_loop (BRIDGE_FUTURE (bridge_task_get_current ())))
    return bridge_await (future, error);

  wait_for = bridge_wait_for_future (future, timeout);
  ret = bridge_await (wait_for, error);
  bridge_future_unref (wait_for);
  return ret;
}
