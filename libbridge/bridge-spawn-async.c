/* bridge-spawn-async.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-future-private.h"
#include "bridge-loop-private.h"
#include "bridge-spawn-async.h"
#include "bridge-task.h"

/* Exporting a task as a classic GIO asynchronous operation: the reverse of
 * bridge-async-result.c. A GTask carries the caller's callback, context and
 * cancellable; the task's outcome is handed to it when the task is done.
 * The GTask's result is the finished task itself, from which the typed
 * finishers read. */

typedef struct
{
  GTask  *gtask;
  gulong  cancelled_id;
} SpawnAsync;

static void
spawn_async_free (gpointer data)
{
  SpawnAsync *sa = data;

  g_clear_object (&sa->gtask);
  g_free (sa);
}

static void
spawn_async_cancel_item (gpointer a,
                         gpointer b)
{
  BridgeTask *task = a;

  bridge_task_cancel (task, NULL);
  bridge_task_unref (task);
}

/* The caller's cancellable fired, on whatever thread cancelled it. */
static void
spawn_async_cancelled_cb (GCancellable *cancellable,
                          gpointer      user_data)
{
  BridgeTask *task = user_data;
  BridgeLoop *loop = bridge_future_get_loop (BRIDGE_FUTURE (task));

  if (_bridge_loop_is_owner_thread (loop))
    bridge_task_cancel (task, NULL);
  else
    _bridge_loop_push_ready_threadsafe (loop, spawn_async_cancel_item, bridge_task_ref (task), NULL);
}

static void
spawn_async_task_done (BridgeFuture *future,
                       gpointer      user_data)
{
  SpawnAsync *sa = user_data;
  GError *error = NULL;

  if (sa->cancelled_id != 0)
    {
      g_cancellable_disconnect (g_task_get_cancellable (sa->gtask), sa->cancelled_id);
      sa->cancelled_id = 0;
    }

  if (_bridge_future_propagate (future, &error))
    g_task_return_pointer (sa->gtask, bridge_future_ref (future),
                           (GDestroyNotify) bridge_future_unref);
  else
    g_task_return_error (sa->gtask, error);
}

/**
 * bridge_spawn_async:
 * @source_object: (type GObject) (nullable): the object the operation is
 *   about, given back to @callback
 * @cancellable: (nullable): the caller's `GCancellable`
 * @callback: (scope async): called with the result once the task is done
 * @user_data: data for @callback
 * @func: (scope notified): the task's body
 * @data: data for @func
 * @destroy: (nullable): frees @data when @func has returned
 *
 * Runs @func as a task and reports its outcome the way any GIO asynchronous
 * function does: @callback is called in the thread-default main context of
 * the caller, and gets a `GAsyncResult` to pass to [func@Bridge.spawn_finish]
 * or one of the typed finishers. This lets a library or a GTK application
 * offer a classic `foo_async()`/`foo_finish()` pair whose body is one
 * sequential coroutine:
 *
 * ```c
 * void
 * my_thing_fetch_async (MyThing *self, GCancellable *cancellable,
 *                       GAsyncReadyCallback callback, gpointer user_data)
 * {
 *   bridge_spawn_async (self, cancellable, callback, user_data,
 *                       my_thing_fetch_task, g_object_ref (self), g_object_unref);
 * }
 *
 * GBytes *
 * my_thing_fetch_finish (MyThing *self, GAsyncResult *result, GError **error)
 * {
 *   return bridge_spawn_finish_pointer (result, error);
 * }
 * ```
 *
 * Cancelling @cancellable cancels the task (from any thread), which then
 * sees %G_IO_ERROR_CANCELLED at its next await, and the GIO operations it
 * awaits stop too. As with any `GTask`, once @cancellable is cancelled the
 * finisher reports %G_IO_ERROR_CANCELLED even if the task still returned a
 * value.
 *
 * The task runs on [func@Bridge.Loop.get_default]: the loop of the calling
 * task, or of the thread-default main context, which is where @callback is
 * called. It is an ordinary task: it shows in
 * [method@Bridge.Loop.list_tasks] and can await anything.
 *
 * Since: 0.1
 */
void
bridge_spawn_async (gpointer             source_object,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data,
                    BridgeTaskFunc       func,
                    gpointer             data,
                    GDestroyNotify       destroy)
{
  g_autoptr(BridgeTask) task = NULL;
  SpawnAsync *sa;

  g_return_if_fail (source_object == NULL || G_IS_OBJECT (source_object));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  g_return_if_fail (func != NULL);

  sa = g_new0 (SpawnAsync, 1);
  sa->gtask = g_task_new (source_object, cancellable, callback, user_data);
  g_task_set_source_tag (sa->gtask, bridge_spawn_async);

  task = bridge_spawn_full (bridge_loop_get_default (), NULL, BRIDGE_STACK_SIZE_DEFAULT,
                            func, data, destroy);
  g_task_set_name (sa->gtask, bridge_task_get_name (task));

  /* Connected before the task can run, so no cancellation is missed; an
   * already cancelled cancellable cancels the task before it starts. */
  if (cancellable != NULL)
    sa->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (spawn_async_cancelled_cb),
                                              bridge_task_ref (task),
                                              (GDestroyNotify) bridge_task_unref);

  bridge_future_add_done_callback (BRIDGE_FUTURE (task), spawn_async_task_done, sa,
                                   spawn_async_free);
}

static BridgeFuture *
spawn_propagate (GAsyncResult  *result,
                 GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == bridge_spawn_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * bridge_spawn_finish:
 * @result: the `GAsyncResult` given to the callback of
 *   [func@Bridge.spawn_async]
 * @value: (out caller-allocates) (optional): an uninitialised `GValue` for
 *   the task's value; it stays uninitialised when the task returned none,
 *   and a pointer result comes as a %G_TYPE_POINTER value that stays owned
 *   by the task (use [func@Bridge.spawn_finish_pointer] to take it)
 * @error: return location for the task's error, or %G_IO_ERROR_CANCELLED
 *
 * Finishes an operation started with [func@Bridge.spawn_async]. Call one
 * finisher, once.
 *
 * Returns: %TRUE if the task completed with a value (or none)
 *
 * Since: 0.1
 */
gboolean
bridge_spawn_finish (GAsyncResult  *result,
                     GValue        *value,
                     GError       **error)
{
  g_autoptr(BridgeFuture) future = spawn_propagate (result, error);

  if (future == NULL)
    return FALSE;
  return bridge_future_get_value (future, value, error);
}

/**
 * bridge_spawn_finish_object:
 * @result: the `GAsyncResult` given to the callback of
 *   [func@Bridge.spawn_async]
 * @error: return location for the task's error, or %G_IO_ERROR_CANCELLED
 *
 * Finishes an operation whose task returned an object with
 * [method@Bridge.Task.return_object].
 *
 * Returns: (transfer full) (type GObject) (nullable): the object
 *
 * Since: 0.1
 */
gpointer
bridge_spawn_finish_object (GAsyncResult  *result,
                            GError       **error)
{
  g_autoptr(BridgeFuture) future = spawn_propagate (result, error);
  gpointer object;

  if (future == NULL)
    return NULL;
  object = bridge_future_get_object (future, error);
  return object != NULL ? g_object_ref (object) : NULL;
}

/**
 * bridge_spawn_finish_pointer:
 * @result: the `GAsyncResult` given to the callback of
 *   [func@Bridge.spawn_async]
 * @error: return location for the task's error, or %G_IO_ERROR_CANCELLED
 *
 * Finishes an operation whose task returned a pointer with
 * [method@Bridge.Task.return_pointer], and takes it over from the task.
 *
 * Returns: (transfer full) (nullable): the pointer
 *
 * Since: 0.1
 */
gpointer
bridge_spawn_finish_pointer (GAsyncResult  *result,
                             GError       **error)
{
  g_autoptr(BridgeFuture) future = spawn_propagate (result, error);

  if (future == NULL)
    return NULL;
  return _bridge_future_steal_pointer (future);
}

/**
 * bridge_spawn_finish_boolean:
 * @result: the `GAsyncResult` given to the callback of
 *   [func@Bridge.spawn_async]
 * @error: return location for the task's error, or %G_IO_ERROR_CANCELLED
 *
 * Finishes an operation whose task returned a boolean with
 * [method@Bridge.Task.return_boolean].
 *
 * Returns: the boolean; %FALSE with @error set on failure
 *
 * Since: 0.1
 */
gboolean
bridge_spawn_finish_boolean (GAsyncResult  *result,
                             GError       **error)
{
  g_autoptr(BridgeFuture) future = spawn_propagate (result, error);

  if (future == NULL)
    return FALSE;
  return bridge_future_get_boolean (future, error);
}

/**
 * bridge_spawn_finish_int64:
 * @result: the `GAsyncResult` given to the callback of
 *   [func@Bridge.spawn_async]
 * @error: return location for the task's error, or %G_IO_ERROR_CANCELLED
 *
 * Finishes an operation whose task returned an integer with
 * [method@Bridge.Task.return_int64].
 *
 * Returns: the integer; 0 with @error set on failure
 *
 * Since: 0.1
 */
gint64
bridge_spawn_finish_int64 (GAsyncResult  *result,
                           GError       **error)
{
  g_autoptr(BridgeFuture) future = spawn_propagate (result, error);

  if (future == NULL)
    return 0;
  return bridge_future_get_int64 (future, error);
}

/**
 * bridge_spawn_finish_string:
 * @result: the `GAsyncResult` given to the callback of
 *   [func@Bridge.spawn_async]
 * @error: return location for the task's error, or %G_IO_ERROR_CANCELLED
 *
 * Finishes an operation whose task returned a string with
 * [method@Bridge.Task.return_string].
 *
 * Returns: (transfer full) (nullable): a copy of the string
 *
 * Since: 0.1
 */
char *
bridge_spawn_finish_string (GAsyncResult  *result,
                            GError       **error)
{
  g_autoptr(BridgeFuture) future = spawn_propagate (result, error);

  if (future == NULL)
    return NULL;
  return g_strdup (bridge_future_get_string (future, error));
}
