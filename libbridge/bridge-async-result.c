/* bridge-async-result.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-async-result-private.h"
#include "bridge-error.h"
#include "bridge-future-private.h"
#include "bridge-loop-private.h"
#include "bridge-task.h"

/* Awaiting any GIO-style `_async`/`_finish` pair.
 *
 * The future handed to GIO as user_data carries two references: one for
 * the operation, dropped by bridge_async_ready() whenever GIO calls back,
 * and one for the awaiting code, dropped by bridge_await_async_result().
 * The two ends are independent on purpose: a cancelled task wakes at once
 * (its awaited future is cancelled by bridge_task_cancel()) and goes on,
 * while the operation, stopped through the task's GCancellable, calls back
 * later into a future that is still alive and simply drops the result. */

typedef struct
{
  BridgeFuture    parent;
  gpointer        op_data;
  GDestroyNotify  op_destroy;
} AsyncResultFuture;

static void
async_result_future_finalize (BridgeFuture *future)
{
  AsyncResultFuture *self = (AsyncResultFuture *) future;

  if (self->op_destroy != NULL)
    self->op_destroy (g_steal_pointer (&self->op_data));
}

static const BridgeFutureClass async_result_future_class = {
  .type_name = "Future",
  .instance_size = sizeof (AsyncResultFuture),
  .cancel = NULL,
  .finalize = async_result_future_finalize,
};

BridgeFuture *
_bridge_async_result_future_new_full (gpointer       op_data,
                                      GDestroyNotify op_destroy)
{
  AsyncResultFuture *self = _bridge_future_new_of_class (&async_result_future_class, NULL);

  self->op_data = op_data;
  self->op_destroy = op_destroy;
  /* The second reference belongs to the operation: bridge_async_ready(). */
  return bridge_future_ref (BRIDGE_FUTURE (self));
}

gpointer
_bridge_async_result_future_get_data (BridgeFuture *future)
{
  g_assert (future->klass == &async_result_future_class);

  return ((AsyncResultFuture *) future)->op_data;
}

BridgeFuture *
_bridge_async_begin (const char     *function,
                     gpointer        op_data,
                     GDestroyNotify  op_destroy,
                     GCancellable  **cancellable,
                     GError        **error)
{
  BridgeTask *task = bridge_task_get_current ();
  BridgeFuture *future;

  /* Refuse before starting anything: an operation such as a delete must not
   * run when its caller cannot wait for it. */
  if (G_UNLIKELY (task == NULL))
    {
      g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                   "%s() called outside a task: only code running in a task "
                   "started with bridge_spawn() can wait", function);
      if (op_destroy != NULL)
        op_destroy (op_data);
      return NULL;
    }

  *cancellable = bridge_task_get_cancellable (task);
  future = _bridge_async_result_future_new_full (op_data, op_destroy);
  /* Inspectors show what a task waits for: name the operation. */
  bridge_future_set_label (future, function);
  return future;
}

/**
 * bridge_async_result_future_new:
 *
 * Creates the future to pass as the `user_data` of [func@Bridge.async_ready]
 * when starting any GIO-style asynchronous operation, so that a task can
 * wait for it with [func@Bridge.await_async_result]. It works with every API
 * that follows the `_async`/`_finish` convention, including those libbridge
 * has no wrapper for:
 *
 * ```c
 * BridgeFuture *f = bridge_async_result_future_new ();
 * g_autoptr(GAsyncResult) res = NULL;
 * g_autoptr(GFileInputStream) stream = NULL;
 *
 * g_file_read_async (file, G_PRIORITY_DEFAULT,
 *                    bridge_task_get_cancellable (bridge_task_get_current ()),
 *                    bridge_async_ready, f);
 * if (!(res = bridge_await_async_result (f, &error)))
 *   return;   // cancelled, or called outside a task
 * stream = g_file_read_finish (file, res, &error);
 * ```
 *
 * Pass the task's cancellable ([method@Bridge.Task.get_cancellable]) to the
 * operation: cancelling the task then stops the operation as well, while the
 * task itself wakes at once with %G_IO_ERROR_CANCELLED, without waiting for
 * GIO to call back.
 *
 * The returned future holds two references. The operation's is dropped by
 * [func@Bridge.async_ready] when GIO calls back; the caller's is consumed by
 * [func@Bridge.await_async_result] (or, if the caller decides not to wait
 * after all, by [method@Bridge.Future.unref]). Hand the future to exactly
 * one operation. If the operation is never started, unref it twice.
 *
 * Whatever else the operation reads or writes (a buffer given to
 * `g_input_stream_read_async()`, say) must stay valid until GIO calls back,
 * which may be after a cancelled task has moved on: prefer the `GBytes`
 * variants of GIO calls, which hold their data themselves, or the
 * ready-made wrappers of libbridge, which take care of this.
 *
 * Returns: (transfer full): a pending future on the current loop
 *
 * Since: 0.1
 */
BridgeFuture *
bridge_async_result_future_new (void)
{
  return _bridge_async_result_future_new_full (NULL, NULL);
}

/**
 * bridge_async_ready:
 * @source_object: (nullable): the operation's source object
 * @result: the operation's result
 * @user_data: a future from [func@Bridge.async_result_future_new]
 *
 * A `GAsyncReadyCallback` that completes the future given as @user_data with
 * @result (as an object value, for [func@Bridge.await_async_result]) and
 * drops the operation's reference to it.
 *
 * If the future was cancelled meanwhile, because the awaiting task was
 * cancelled or timed out, the result is dropped without calling the
 * `_finish` function; a GIO operation that was still running when its
 * cancellable was cancelled reports nothing worth reading. It may be called
 * from any thread.
 *
 * Since: 0.1
 */
void
bridge_async_ready (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  BridgeFuture *future = user_data;

  g_return_if_fail (G_IS_ASYNC_RESULT (result));
  g_return_if_fail (future != NULL);

  if (G_UNLIKELY (future->klass != &async_result_future_class))
    {
      g_critical ("%s: the user_data is not a future from bridge_async_result_future_new()",
                  G_STRFUNC);
      return;
    }

  /* From another thread the state cannot be read safely; the result then
   * travels to the loop, which drops it there if the future was cancelled. */
  if (!_bridge_loop_is_owner_thread (future->loop) || _bridge_future_is_pending (future))
    bridge_future_set_object (future, result, NULL);

  bridge_future_unref (future);
}

/**
 * bridge_await_async_result:
 * @future: (transfer full): the future from
 *   [func@Bridge.async_result_future_new] that was passed to
 *   [func@Bridge.async_ready]
 * @error: return location for %G_IO_ERROR_CANCELLED when the task was
 *   cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits, inside a task, until GIO calls back, and returns the
 * `GAsyncResult` to pass to the operation's `_finish` function. The
 * operation's own errors are reported by `_finish`, not here.
 *
 * This is `await` for GIO: the same as [func@Bridge.await] on @future plus
 * reading the result. When the task is cancelled, this returns at once with
 * %G_IO_ERROR_CANCELLED; the operation, if it was given the task's
 * cancellable, stops on its own and its late callback is harmless.
 *
 * Consumes the caller's reference to @future in every case.
 *
 * Returns: (transfer full) (nullable): the result, or %NULL with @error set
 *
 * Since: 0.1
 */
GAsyncResult *
bridge_await_async_result (BridgeFuture  *future,
                           GError       **error)
{
  GAsyncResult *result = NULL;

  g_return_val_if_fail (future != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (bridge_await (future, error))
    {
      result = bridge_future_get_object (future, NULL);
      if (result != NULL)
        g_object_ref (result);
      else
        g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                     "%s(): the future was not completed by bridge_async_ready()",
                     G_STRFUNC);
    }

  bridge_future_unref (future);
  return result;
}
