/* bridge-signal.c
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
#include "bridge-loop-private.h"
#include "bridge-signal.h"
#include "bridge-task.h"

/* Awaiting a GObject signal once.
 *
 * The handler is a bare GClosure that only completes a future; the state it
 * shares with the timer lives as long as the closure, which GObject keeps
 * alive during an emission even after a disconnection. Whichever of the
 * signal and the timer comes first claims the future with an atomic flag,
 * since a signal may be emitted from another thread. */

typedef struct
{
  BridgeFuture *future;
  char         *signal_name;
  gint          claimed;
} SignalWait;

static gboolean
signal_wait_claim (SignalWait *wait)
{
  if (!g_atomic_int_compare_and_exchange (&wait->claimed, FALSE, TRUE))
    return FALSE;
  /* On the loop's thread the future may already be cancelled (the task was
   * cancelled but has not resumed yet); from another thread a cancelled
   * future drops the late result by itself. */
  return !_bridge_loop_is_owner_thread (wait->future->loop) ||
         _bridge_future_is_pending (wait->future);
}

static void
signal_wait_free (gpointer  data,
                  GClosure *closure)
{
  SignalWait *wait = data;

  bridge_future_unref (wait->future);
  g_free (wait->signal_name);
  g_free (wait);
}

static void
signal_marshal (GClosure     *closure,
                GValue       *return_value,
                guint         n_param_values,
                const GValue *param_values,
                gpointer      invocation_hint,
                gpointer      marshal_data)
{
  SignalWait *wait = closure->data;

  /* A signal with a return value gets the type's default (FALSE, 0, NULL):
   * the handler only observes. */
  if (signal_wait_claim (wait))
    bridge_future_set_value (wait->future, NULL, NULL);
}

static void
signal_timeout_cb (gpointer user_data)
{
  SignalWait *wait = user_data;

  if (signal_wait_claim (wait))
    bridge_future_set_error (wait->future,
                             g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                          "Timed out waiting for the signal “%s”",
                                          wait->signal_name),
                             NULL);
}

/**
 * bridge_await_signal:
 * @object: (type GObject): the object that will emit the signal
 * @detailed_signal: the signal, with an optional detail, as in
 *   `"notify::title"`
 * @timeout: how many seconds to wait at most; a negative value
 *   (%BRIDGE_TIMEOUT_NEVER) waits without a limit
 * @error: return location for %G_IO_ERROR_TIMED_OUT,
 *   %G_IO_ERROR_CANCELLED if the task was cancelled,
 *   %G_IO_ERROR_INVALID_ARGUMENT if @object has no such signal, or
 *   %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits, inside the current task, until @object emits @detailed_signal
 * once: the counterpart of connecting a one-shot handler and continuing in
 * it, or of `asyncio.wait_for(event.wait(), timeout)`.
 *
 * The handler is connected when this is called and disconnected before it
 * returns, whatever the outcome; emissions before the call are not seen.
 * The signal's arguments are not recorded: read what you need from @object
 * afterwards. A reference to @object is held while waiting. The signal may
 * be emitted from any thread; the task resumes on its own.
 *
 * Returns: %TRUE if the signal was emitted
 *
 * Since: 0.1
 */
gboolean
bridge_await_signal (gpointer     object,
                     const char  *detailed_signal,
                     double       timeout,
                     GError     **error)
{
  BridgeTask *task = bridge_task_get_current ();
  g_autoptr(GObject) held = NULL;
  BridgeHandle *timer = NULL;
  BridgeFuture *future;
  SignalWait *wait;
  GClosure *closure;
  BridgeLoop *loop;
  GQuark detail;
  gulong handler;
  guint signal_id;
  gboolean ret;

  g_return_val_if_fail (G_IS_OBJECT (object), FALSE);
  g_return_val_if_fail (detailed_signal != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (task == NULL)
    {
      g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                   "%s() called outside a task: only code running in a task "
                   "started with bridge_spawn() can wait", G_STRFUNC);
      return FALSE;
    }

  if (!g_signal_parse_name (detailed_signal, G_OBJECT_TYPE (object), &signal_id, &detail, TRUE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s has no signal “%s”", G_OBJECT_TYPE_NAME (object), detailed_signal);
      return FALSE;
    }

  loop = bridge_future_get_loop (BRIDGE_FUTURE (task));
  future = bridge_future_new_for_loop (loop);
  held = g_object_ref (object);

  wait = g_new0 (SignalWait, 1);
  wait->future = bridge_future_ref (future);
  wait->signal_name = g_strdup (detailed_signal);
  closure = g_closure_new_simple (sizeof (GClosure), wait);
  g_closure_add_finalize_notifier (closure, wait, signal_wait_free);
  g_closure_set_marshal (closure, signal_marshal);
  handler = g_signal_connect_closure_by_id (object, signal_id, detail, closure, FALSE);

  /* The timer runs on this loop's thread and is cancelled below before the
   * handler goes, so it never outlives the closure that owns @wait. */
  if (timeout >= 0)
    timer = bridge_handle_ref (bridge_loop_call_later (loop, timeout, signal_timeout_cb, wait, NULL));

  ret = bridge_await (future, error);

  if (timer != NULL)
    {
      bridge_handle_cancel (timer);
      bridge_handle_unref (timer);
    }
  g_signal_handler_disconnect (object, handler);
  bridge_future_unref (future);
  return ret;
}
