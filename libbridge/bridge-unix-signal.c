/* bridge-unix-signal.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <signal.h>
#include <glib-unix.h>
#include <gio/gio.h>

#include "bridge-error.h"
#include "bridge-future-private.h"
#include "bridge-loop-private.h"
#include "bridge-task.h"
#include "bridge-unix-signal.h"

/* Unix signals, on GLib's g_unix_signal_source_new(): GLib's own handler
 * only writes to a wakeup pipe, and the source dispatches in the loop's
 * thread, so the callbacks here run as ordinary loop callbacks, from the
 * ready queue, never inside the signal handler. */

typedef struct
{
  gint            ref_count;
  BridgeLoop     *loop;       /* borrowed: the loop's table owns the handler */
  GSource        *source;     /* NULL once removed */
  BridgeCallback  callback;
  gpointer        data;
  GDestroyNotify  destroy;
} SignalHandler;

static const char handlers_key[] = "bridge-unix-signal-handlers";

static gboolean
signal_supported (int       signum,
                  GError  **error)
{
  /* What g_unix_signal_source_new() accepts. */
  if (signum == SIGHUP || signum == SIGINT || signum == SIGTERM ||
      signum == SIGUSR1 || signum == SIGUSR2 || signum == SIGWINCH)
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "Signal %d cannot be handled by the loop: only SIGHUP, SIGINT, SIGTERM, "
               "SIGUSR1, SIGUSR2 and SIGWINCH can", signum);
  return FALSE;
}

static SignalHandler *
handler_ref (SignalHandler *handler)
{
  handler->ref_count++;
  return handler;
}

static void
handler_unref (SignalHandler *handler)
{
  if (--handler->ref_count > 0)
    return;

  if (handler->destroy != NULL)
    handler->destroy (handler->data);
  g_free (handler);
}

static void
handler_run (gpointer a,
             gpointer b)
{
  SignalHandler *handler = a;

  if (handler->source != NULL && !_bridge_loop_is_closing (handler->loop))
    handler->callback (handler->data);
  handler_unref (handler);
}

static gboolean
handler_signalled (gpointer user_data)
{
  SignalHandler *handler = user_data;

  if (bridge_loop_is_closed (handler->loop))
    return G_SOURCE_REMOVE;

  _bridge_loop_push_ready (handler->loop, handler_run, handler_ref (handler), NULL);
  return G_SOURCE_CONTINUE;
}

static void
handler_remove (gpointer data)
{
  SignalHandler *handler = data;
  GSource *source = g_steal_pointer (&handler->source);

  g_source_destroy (source);
  g_source_unref (source);
  handler_unref (handler);
}

/**
 * bridge_loop_add_signal_handler:
 * @loop: a [class@Bridge.Loop]
 * @signum: the signal: `SIGHUP`, `SIGINT`, `SIGTERM`, `SIGUSR1`, `SIGUSR2`
 *   or `SIGWINCH`
 * @callback: (scope notified): called in the loop after each delivery
 * @user_data: data for @callback
 * @destroy: (nullable): frees @user_data when the handler is removed or
 *   replaced
 * @error: return location for %G_IO_ERROR_INVALID_ARGUMENT when @signum
 *   is not one of the signals above
 *
 * Calls @callback from the loop whenever the process receives @signum
 * (`loop.add_signal_handler()`). Unlike a handler installed with
 * `sigaction()`, @callback may do anything a loop callback may: it runs
 * from the loop's ready queue, on the loop's thread. Deliveries that arrive
 * close together may be merged into one call.
 *
 * A signal has at most one handler per loop: adding another replaces it.
 * Removing the handler, or finalizing the loop, gives the signal back its
 * default action (unless something else in the process still handles it
 * through GLib).
 *
 * Returns: %TRUE if the handler was installed
 *
 * Since: 0.1
 */
gboolean
bridge_loop_add_signal_handler (BridgeLoop      *loop,
                                int              signum,
                                BridgeCallback   callback,
                                gpointer         user_data,
                                GDestroyNotify   destroy,
                                GError         **error)
{
  GHashTable *handlers;
  SignalHandler *handler;

  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), FALSE);
  g_return_val_if_fail (callback != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!signal_supported (signum, error))
    {
      if (destroy != NULL)
        destroy (user_data);
      return FALSE;
    }

  if (bridge_loop_is_closed (loop))
    {
      g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE, "Event loop is closed");
      if (destroy != NULL)
        destroy (user_data);
      return FALSE;
    }

  handlers = g_object_get_data (G_OBJECT (loop), handlers_key);
  if (handlers == NULL)
    {
      handlers = g_hash_table_new_full (NULL, NULL, NULL, handler_remove);
      g_object_set_data_full (G_OBJECT (loop), handlers_key, handlers,
                              (GDestroyNotify) g_hash_table_unref);
    }

  handler = g_new0 (SignalHandler, 1);
  handler->ref_count = 1;
  handler->loop = loop;
  handler->callback = callback;
  handler->data = user_data;
  handler->destroy = destroy;
  handler->source = g_unix_signal_source_new (signum);
  g_source_set_callback (handler->source, handler_signalled, handler, NULL);
  g_source_set_static_name (handler->source, "[libbridge] signal handler");
  g_source_attach (handler->source, bridge_loop_get_context (loop));

  /* Replaces (and removes) a previous handler only now, so the signal
   * never goes back to its default action in between. */
  g_hash_table_replace (handlers, GINT_TO_POINTER (signum), handler);
  return TRUE;
}

/**
 * bridge_loop_remove_signal_handler:
 * @loop: a [class@Bridge.Loop]
 * @signum: the signal
 *
 * Removes the handler of @signum (`loop.remove_signal_handler()`) and frees
 * its data. A delivery already seen does not call it any more.
 *
 * Returns: %TRUE if @signum had a handler
 *
 * Since: 0.1
 */
gboolean
bridge_loop_remove_signal_handler (BridgeLoop *loop,
                                   int         signum)
{
  GHashTable *handlers;

  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), FALSE);

  handlers = g_object_get_data (G_OBJECT (loop), handlers_key);
  return handlers != NULL && g_hash_table_remove (handlers, GINT_TO_POINTER (signum));
}

/* ---- awaiting a signal once ----------------------------------------------------------- */

static gboolean
await_signal_delivered (gpointer user_data)
{
  BridgeFuture *future = user_data;

  if (_bridge_future_is_pending (future))
    bridge_future_set_value (future, NULL, NULL);
  return G_SOURCE_REMOVE;
}

/**
 * bridge_await_unix_signal:
 * @signum: the signal, as for [method@Bridge.Loop.add_signal_handler]
 * @error: return location for %G_IO_ERROR_INVALID_ARGUMENT for a signal
 *   that cannot be awaited, %G_IO_ERROR_CANCELLED if the task was
 *   cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits, inside the current task, until the process receives @signum: a
 * service's main task can `bridge_await_unix_signal (SIGTERM, &error)` and
 * then shut down in order. Deliveries before the call are not seen.
 * Meanwhile the signal does not take its default action; afterwards it
 * does again, unless another handler is installed.
 *
 * Returns: %TRUE once the signal arrived
 *
 * Since: 0.1
 */
gboolean
bridge_await_unix_signal (int      signum,
                          GError **error)
{
  BridgeTask *task = bridge_task_get_current ();
  BridgeFuture *future;
  GSource *source;
  gboolean ret;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (task == NULL)
    {
      g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                   "%s() called outside a task: only code running in a task "
                   "started with bridge_spawn() can wait", G_STRFUNC);
      return FALSE;
    }
  if (!signal_supported (signum, error))
    return FALSE;

  future = bridge_future_new_for_loop (bridge_future_get_loop (BRIDGE_FUTURE (task)));
  bridge_future_set_label (future, G_STRFUNC);
  source = g_unix_signal_source_new (signum);
  g_source_set_callback (source, await_signal_delivered, future, NULL);
  g_source_set_static_name (source, "[libbridge] bridge_await_unix_signal");
  g_source_attach (source, bridge_loop_get_context (bridge_future_get_loop (future)));

  ret = bridge_await (future, error);

  g_source_destroy (source);
  g_source_unref (source);
  bridge_future_unref (future);
  return ret;
}
