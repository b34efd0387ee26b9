/* bridge-signal-task.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "bridge-future-private.h"
#include "bridge-loop-private.h"
#include "bridge-object.h"
#include "bridge-signal-task.h"
#include "bridge-task.h"

/* Signals that spawn tasks (GTK's asyncSlot).
 *
 * The handler is a bare GClosure. Its state, a Connection, is shared by the
 * closure and by every task it started, since a task may outlive the
 * handler (with BRIDGE_CONNECT_KEEP_ON_DISCONNECT) and uses the user data
 * until it returns; the user data is freed with the last of them. */

typedef struct
{
  gint                  ref_count;
  BridgeSignalTaskFunc  func;
  gpointer              data;
  GDestroyNotify        destroy;
  BridgeConnectFlags    flags;
  BridgeLoop           *loop;
  char                 *signal_name;
  GPtrArray            *tasks;          /* started and not seen done yet */
  gboolean              disconnected;
} Connection;

typedef struct
{
  Connection *connection;
  gpointer    instance;   /* not referenced: the task is bound to it */
  GValue     *params;
  guint       n_params;
} Emission;

static Connection *
connection_ref (Connection *connection)
{
  connection->ref_count++;
  return connection;
}

static void
connection_unref (gpointer data)
{
  Connection *connection = data;

  if (--connection->ref_count > 0)
    return;

  if (connection->destroy != NULL)
    connection->destroy (connection->data);
  g_ptr_array_unref (connection->tasks);
  g_object_unref (connection->loop);
  g_free (connection->signal_name);
  g_free (connection);
}

static void
emission_free (gpointer data)
{
  Emission *emission = data;

  for (guint i = 0; i < emission->n_params; i++)
    g_value_unset (&emission->params[i]);
  g_free (emission->params);
  connection_unref (emission->connection);
  g_free (emission);
}

static void
emission_task_main (BridgeTask *task,
                    gpointer    user_data)
{
  Emission *emission = user_data;
  Connection *connection = emission->connection;

  connection->func (task, emission->instance, emission->params, emission->n_params,
                    connection->data);
}

typedef struct
{
  Connection *connection;
  BridgeTask *task;   /* borrowed: in connection->tasks until this is freed */
} StartedTask;

static void
started_task_done (BridgeFuture *future,
                   gpointer      user_data)
{
  /* All the work is in started_task_free(), which also runs when the
   * callback is dropped unrun (the loop closed under the task): the list
   * must let go of the task either way, or the task (whose data refers to
   * the connection) and the connection would keep each other alive. */
}

static void
started_task_free (gpointer data)
{
  StartedTask *started = data;

  g_ptr_array_remove_fast (started->connection->tasks, started->task);
  connection_unref (started->connection);
  g_free (started);
}

static gboolean
connection_has_running_task (Connection *connection)
{
  for (guint i = 0; i < connection->tasks->len; i++)
    if (!bridge_future_is_done (g_ptr_array_index (connection->tasks, i)))
      return TRUE;
  return FALSE;
}

static void
connection_cancel_tasks (Connection *connection,
                         const char *message)
{
  /* A copy: cancelling runs nothing synchronously today, but the list must
   * not change under the walk if that ever changes. */
  g_autoptr(GPtrArray) tasks = g_ptr_array_copy (connection->tasks,
                                                 (GCopyFunc) (void (*) (void)) bridge_task_ref, NULL);

  g_ptr_array_set_free_func (tasks, (GDestroyNotify) bridge_task_unref);
  for (guint i = 0; i < tasks->len; i++)
    bridge_task_cancel (g_ptr_array_index (tasks, i), message);
}

static void
signal_task_marshal (GClosure     *closure,
                     GValue       *return_value,
                     guint         n_param_values,
                     const GValue *param_values,
                     gpointer      invocation_hint,
                     gpointer      marshal_data)
{
  Connection *connection = closure->data;
  StartedTask *started;
  Emission *emission;
  BridgeTask *task;
  gpointer instance;

  if ((connection->flags & BRIDGE_CONNECT_HANDLED) && return_value != NULL &&
      G_VALUE_HOLDS_BOOLEAN (return_value))
    g_value_set_boolean (return_value, TRUE);

  if (connection->disconnected)
    return;

  if (G_UNLIKELY (!_bridge_loop_is_owner_thread (connection->loop)))
    {
      g_critical ("The signal “%s” was emitted on a thread other than the one of the "
                  "loop bridge_signal_connect_task() was called on; no task was started",
                  connection->signal_name);
      return;
    }

  if ((connection->flags & BRIDGE_CONNECT_EXCLUSIVE) && connection_has_running_task (connection))
    return;

  if (connection->flags & BRIDGE_CONNECT_RESTART)
    connection_cancel_tasks (connection, "Restarted by a new emission of the signal");

  instance = g_value_peek_pointer (&param_values[0]);

  /* The task starts after the emission returns, when the arguments the
   * emitter passed may be gone: copy them (objects are referenced, boxed
   * values and strings copied; a plain pointer stays a bare address). */
  emission = g_new0 (Emission, 1);
  emission->connection = connection_ref (connection);
  emission->instance = instance;
  emission->n_params = n_param_values - 1;
  emission->params = g_new0 (GValue, MAX (emission->n_params, 1));
  for (guint i = 0; i < emission->n_params; i++)
    {
      g_value_init (&emission->params[i], G_VALUE_TYPE (&param_values[i + 1]));
      g_value_copy (&param_values[i + 1], &emission->params[i]);
    }

  task = bridge_spawn_full (connection->loop, connection->signal_name, BRIDGE_STACK_SIZE_DEFAULT,
                            emission_task_main, emission, emission_free);
  bridge_task_bind_object (task, instance);
  g_ptr_array_add (connection->tasks, task);   /* takes the reference */
  started = g_new (StartedTask, 1);
  started->connection = connection_ref (connection);
  started->task = task;
  bridge_future_add_done_callback (BRIDGE_FUTURE (task), started_task_done, started,
                                   started_task_free);
}

/* The handler was disconnected, or its instance disposed. */
static void
signal_task_invalidated (gpointer  data,
                         GClosure *closure)
{
  Connection *connection = data;

  connection->disconnected = TRUE;
  if (!(connection->flags & BRIDGE_CONNECT_KEEP_ON_DISCONNECT))
    connection_cancel_tasks (connection, "The signal handler that started the task was disconnected");
}

static void
signal_task_finalized (gpointer  data,
                       GClosure *closure)
{
  connection_unref (data);
}

/**
 * bridge_signal_connect_task:
 * @instance: (type GObject): the object whose signal starts tasks
 * @detailed_signal: the signal, with an optional detail, as in
 *   `"notify::text"`
 * @func: (scope notified): the body of each task
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data once the handler is disconnected
 *   and every task it started has returned
 * @flags: how emissions that overlap a running task are treated
 *
 * Connects a handler that spawns a task for each emission of
 * @detailed_signal on @instance: the counterpart of qasync's `asyncSlot`,
 * for a button whose click downloads something or an entry whose text
 * starts a search.
 *
 * Each task is named after the signal, bound to @instance with
 * [method@Bridge.Task.bind_object] (it is cancelled when @instance is
 * disposed, and a window's or widget's application is held while it runs)
 * and starts in a later loop iteration, after the emission has returned.
 * That is why @func receives copies of the emission's arguments: objects
 * are referenced, boxed types and strings copied, and a `G_TYPE_POINTER`
 * argument is only an address, valid no longer than the emitter keeps it.
 * @instance itself is passed without a reference; once an await in the task
 * fails, assume it is gone.
 *
 * @flags decide what an emission does while an earlier task still runs:
 * nothing special (%BRIDGE_CONNECT_DEFAULT), cancel it first
 * (%BRIDGE_CONNECT_RESTART) or nothing at all (%BRIDGE_CONNECT_EXCLUSIVE).
 * The handler returns the default value of a signal's return type, or %TRUE
 * for a boolean signal with %BRIDGE_CONNECT_HANDLED.
 *
 * The returned id works with `g_signal_handler_disconnect()` and the other
 * `g_signal_handler_*()` functions. Disconnecting cancels the tasks still
 * running, unless @flags has %BRIDGE_CONNECT_KEEP_ON_DISCONNECT.
 *
 * An asynchronous close of a `GtkWindow` (qasync's `asyncClose`) combines
 * both flags: connect to `close-request` with
 * `BRIDGE_CONNECT_EXCLUSIVE | BRIDGE_CONNECT_HANDLED`, so the window stays
 * open and repeated close clicks are ignored while the task saves or asks;
 * the task ends with `gtk_window_destroy()` when the window should go.
 *
 * ```c
 * static void
 * close_window (BridgeTask *task, gpointer window, const GValue *params,
 *               guint n_params, gpointer user_data)
 * {
 *   g_autoptr(GError) error = NULL;
 *
 *   if (!save_document (window, &error))   // awaits, may ask the user
 *     return;                               // cancelled or failed: stay open
 *   gtk_window_destroy (window);
 * }
 *
 * bridge_signal_connect_task (window, "close-request", close_window, NULL, NULL,
 *                             BRIDGE_CONNECT_EXCLUSIVE | BRIDGE_CONNECT_HANDLED);
 * ```
 *
 * Emissions must happen on the thread of the loop that is current when this
 * is called; an emission from another thread is refused with a critical
 * warning.
 *
 * Returns: the handler id, or 0 if @instance has no such signal
 *
 * Since: 0.1
 */
gulong
bridge_signal_connect_task (gpointer              instance,
                            const char           *detailed_signal,
                            BridgeSignalTaskFunc  func,
                            gpointer              user_data,
                            GDestroyNotify        destroy,
                            BridgeConnectFlags    flags)
{
  Connection *connection;
  GClosure *closure;
  GQuark detail;
  guint signal_id;
  BridgeTask *current;

  g_return_val_if_fail (G_IS_OBJECT (instance), 0);
  g_return_val_if_fail (detailed_signal != NULL, 0);
  g_return_val_if_fail (func != NULL, 0);

  if ((flags & BRIDGE_CONNECT_RESTART) && (flags & BRIDGE_CONNECT_EXCLUSIVE))
    {
      g_critical ("%s: BRIDGE_CONNECT_RESTART and BRIDGE_CONNECT_EXCLUSIVE contradict "
                  "each other: the first cancels the running task, the second keeps it",
                  G_STRFUNC);
      return 0;
    }

  if (!g_signal_parse_name (detailed_signal, G_OBJECT_TYPE (instance), &signal_id, &detail, TRUE))
    {
      g_critical ("%s: %s has no signal “%s”", G_STRFUNC,
                  G_OBJECT_TYPE_NAME (instance), detailed_signal);
      return 0;
    }

  current = bridge_task_get_current ();

  connection = g_new0 (Connection, 1);
  connection->ref_count = 1;   /* the closure's */
  connection->func = func;
  connection->data = user_data;
  connection->destroy = destroy;
  connection->flags = flags;
  connection->loop = g_object_ref (current != NULL ?
                                   bridge_future_get_loop (BRIDGE_FUTURE (current)) :
                                   bridge_loop_get_default ());
  connection->signal_name = g_strdup (detailed_signal);
  connection->tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_task_unref);

  closure = g_closure_new_simple (sizeof (GClosure), connection);
  g_closure_set_marshal (closure, signal_task_marshal);
  g_closure_add_invalidate_notifier (closure, connection, signal_task_invalidated);
  g_closure_add_finalize_notifier (closure, connection, signal_task_finalized);

  return g_signal_connect_closure_by_id (instance, signal_id, detail, closure, FALSE);
}
