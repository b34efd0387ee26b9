/* bridge-fd.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib-unix.h>

#include "bridge-error.h"
#include "bridge-fd.h"
#include "bridge-future-private.h"
#include "bridge-loop-private.h"
#include "bridge-task.h"

/* File descriptor readiness: asyncio's add_reader()/add_writer() and an
 * await of one readiness event.
 *
 * A loop keeps one watch per descriptor: a GSource polling it for what its
 * reader and writer want. When it is ready, the source stops polling and
 * queues the callbacks on the loop's ready queue, so they run in order with
 * everything else the loop does; once they have run, polling resumes for
 * whatever is still registered. A descriptor that stays readable therefore
 * calls its reader once per loop iteration, as asyncio's selector does. */

typedef struct
{
  BridgeCallback  callback;
  gpointer        data;
  GDestroyNotify  destroy;
} FdCallback;

typedef struct
{
  gint        ref_count;
  BridgeLoop *loop;        /* borrowed: the loop's table owns the watch */
  int         fd;
  GSource    *source;
  gpointer    tag;
  FdCallback  reader;
  FdCallback  writer;
  guint       queued : 1;
} FdWatch;

typedef struct
{
  GSource  source;
  FdWatch *watch;
} FdSource;

#define READ_EVENTS  (G_IO_IN | G_IO_PRI | G_IO_HUP | G_IO_ERR)
#define WRITE_EVENTS (G_IO_OUT | G_IO_ERR)

static const char watches_key[] = "bridge-fd-watches";

static void
fd_callback_clear (FdCallback *callback)
{
  FdCallback old = *callback;

  memset (callback, 0, sizeof *callback);
  if (old.destroy != NULL)
    old.destroy (old.data);
}

static FdWatch *
watch_ref (FdWatch *watch)
{
  watch->ref_count++;
  return watch;
}

static void
watch_unref (FdWatch *watch)
{
  if (--watch->ref_count > 0)
    return;

  g_free (watch);
}

static GIOCondition
watch_wanted (FdWatch *watch)
{
  return (watch->reader.callback != NULL ? READ_EVENTS : 0) |
         (watch->writer.callback != NULL ? WRITE_EVENTS : 0);
}

static void
watch_rearm (FdWatch *watch)
{
  if (watch->source != NULL)
    g_source_modify_unix_fd (watch->source, watch->tag, watch->queued ? 0 : watch_wanted (watch));
}

/* Loop thread, from the ready queue: @b carries the events seen. */
static void
watch_run (gpointer a,
           gpointer b)
{
  FdWatch *watch = a;
  GIOCondition revents = GPOINTER_TO_UINT (b);

  watch->queued = FALSE;

  if (watch->source != NULL && !_bridge_loop_is_closing (watch->loop))
    {
      /* Each callback may remove either registration, or both. */
      if ((revents & READ_EVENTS) && watch->reader.callback != NULL)
        watch->reader.callback (watch->reader.data);
      if ((revents & WRITE_EVENTS) && watch->writer.callback != NULL)
        watch->writer.callback (watch->writer.data);
      watch_rearm (watch);
    }

  watch_unref (watch);
}

static gboolean
fd_source_dispatch (GSource     *source,
                    GSourceFunc  callback,
                    gpointer     user_data)
{
  FdWatch *watch = ((FdSource *) source)->watch;
  GIOCondition revents = g_source_query_unix_fd (source, watch->tag);

  /* A closed loop runs nothing more; the watch goes with the loop. */
  if (bridge_loop_is_closed (watch->loop))
    return G_SOURCE_REMOVE;

  if (revents == 0 || watch->queued)
    return G_SOURCE_CONTINUE;

  /* Stop polling until the callbacks ran: a descriptor that stays ready
   * must not queue them twice. */
  watch->queued = TRUE;
  watch_rearm (watch);
  _bridge_loop_push_ready (watch->loop, watch_run, watch_ref (watch), GUINT_TO_POINTER (revents));
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs fd_source_funcs = {
  .dispatch = fd_source_dispatch,
};

/* The table's value destroy: the registration is over. */
static void
watch_destroy (gpointer data)
{
  FdWatch *watch = data;
  GSource *source = g_steal_pointer (&watch->source);

  g_source_destroy (source);
  g_source_unref (source);
  fd_callback_clear (&watch->reader);
  fd_callback_clear (&watch->writer);
  watch_unref (watch);
}

static GHashTable *
loop_watches (BridgeLoop *loop,
              gboolean    create)
{
  GHashTable *watches = g_object_get_data (G_OBJECT (loop), watches_key);

  if (watches == NULL && create)
    {
      watches = g_hash_table_new_full (NULL, NULL, NULL, watch_destroy);
      g_object_set_data_full (G_OBJECT (loop), watches_key, watches,
                              (GDestroyNotify) g_hash_table_unref);
    }
  return watches;
}

static void
add_callback (BridgeLoop     *loop,
              int             fd,
              gboolean        writer,
              BridgeCallback  callback,
              gpointer        user_data,
              GDestroyNotify  destroy)
{
  GHashTable *watches;
  FdWatch *watch;
  FdCallback old = { 0 };
  FdCallback *slot;

  if (bridge_loop_is_closed (loop))
    {
      g_critical ("%s: the loop is closed", writer ? "bridge_loop_add_writer" : "bridge_loop_add_reader");
      if (destroy != NULL)
        destroy (user_data);
      return;
    }

  watches = loop_watches (loop, TRUE);
  watch = g_hash_table_lookup (watches, GINT_TO_POINTER (fd));
  if (watch == NULL)
    {
      watch = g_new0 (FdWatch, 1);
      watch->ref_count = 1;
      watch->loop = loop;
      watch->fd = fd;
      watch->source = g_source_new (&fd_source_funcs, sizeof (FdSource));
      ((FdSource *) watch->source)->watch = watch;
      g_source_set_static_name (watch->source, "[libbridge] fd watch");
      watch->tag = g_source_add_unix_fd (watch->source, fd, 0);
      g_source_attach (watch->source, bridge_loop_get_context (loop));
      g_hash_table_insert (watches, GINT_TO_POINTER (fd), watch);
    }

  /* Registering again replaces the callback, as in asyncio. */
  slot = writer ? &watch->writer : &watch->reader;
  old = *slot;
  slot->callback = callback;
  slot->data = user_data;
  slot->destroy = destroy;
  watch_rearm (watch);

  if (old.destroy != NULL)
    old.destroy (old.data);
}

static gboolean
remove_callback (BridgeLoop *loop,
                 int         fd,
                 gboolean    writer)
{
  GHashTable *watches = loop_watches (loop, FALSE);
  FdWatch *watch;
  FdCallback *slot;

  watch = watches != NULL ? g_hash_table_lookup (watches, GINT_TO_POINTER (fd)) : NULL;
  if (watch == NULL)
    return FALSE;

  slot = writer ? &watch->writer : &watch->reader;
  if (slot->callback == NULL)
    return FALSE;

  if (watch_wanted (watch) == (writer ? WRITE_EVENTS : READ_EVENTS))
    {
      /* The last registration of @fd: the watch goes (a queued run then
       * finds it detached and does nothing). */
      g_hash_table_remove (watches, GINT_TO_POINTER (fd));
      return TRUE;
    }

  fd_callback_clear (slot);
  watch_rearm (watch);
  return TRUE;
}

/**
 * bridge_loop_add_reader:
 * @loop: a [class@Bridge.Loop]
 * @fd: a file descriptor, such as a socket or a pipe's end
 * @callback: (scope notified): called when @fd is readable
 * @user_data: data for @callback
 * @destroy: (nullable): frees @user_data when the reader is removed or
 *   replaced
 *
 * Calls @callback whenever @fd is readable (`loop.add_reader()`): when data
 * is waiting, at the end of the stream, or on an error. The descriptor is
 * polled level-triggered, so while it stays readable @callback runs once
 * per loop iteration; read from @fd in @callback, or remove the reader.
 * The callbacks run from the loop's ready queue, like those of
 * [method@Bridge.Loop.call_soon].
 *
 * A descriptor has at most one reader: adding another replaces it (and
 * frees the old data). The reader stays until
 * [method@Bridge.Loop.remove_reader] or the loop's end; close @fd only
 * after removing it. @fd stays the caller's: libbridge never closes it.
 *
 * Since: 0.1
 */
void
bridge_loop_add_reader (BridgeLoop     *loop,
                        int             fd,
                        BridgeCallback  callback,
                        gpointer        user_data,
                        GDestroyNotify  destroy)
{
  g_return_if_fail (BRIDGE_IS_LOOP (loop));
  g_return_if_fail (fd >= 0);
  g_return_if_fail (callback != NULL);

  add_callback (loop, fd, FALSE, callback, user_data, destroy);
}

/**
 * bridge_loop_remove_reader:
 * @loop: a [class@Bridge.Loop]
 * @fd: a file descriptor
 *
 * Removes the reader of @fd (`loop.remove_reader()`) and frees its data.
 * It will not be called again, even if @fd was found readable already.
 *
 * Returns: %TRUE if @fd had a reader
 *
 * Since: 0.1
 */
gboolean
bridge_loop_remove_reader (BridgeLoop *loop,
                           int         fd)
{
  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), FALSE);

  return remove_callback (loop, fd, FALSE);
}

/**
 * bridge_loop_add_writer:
 * @loop: a [class@Bridge.Loop]
 * @fd: a file descriptor
 * @callback: (scope notified): called when @fd is writable
 * @user_data: data for @callback
 * @destroy: (nullable): frees @user_data when the writer is removed or
 *   replaced
 *
 * Calls @callback whenever @fd is writable, or failed
 * (`loop.add_writer()`); otherwise as [method@Bridge.Loop.add_reader].
 * Most descriptors are writable nearly always: remove the writer once
 * there is nothing left to write.
 *
 * Since: 0.1
 */
void
bridge_loop_add_writer (BridgeLoop     *loop,
                        int             fd,
                        BridgeCallback  callback,
                        gpointer        user_data,
                        GDestroyNotify  destroy)
{
  g_return_if_fail (BRIDGE_IS_LOOP (loop));
  g_return_if_fail (fd >= 0);
  g_return_if_fail (callback != NULL);

  add_callback (loop, fd, TRUE, callback, user_data, destroy);
}

/**
 * bridge_loop_remove_writer:
 * @loop: a [class@Bridge.Loop]
 * @fd: a file descriptor
 *
 * Removes the writer of @fd (`loop.remove_writer()`) and frees its data.
 *
 * Returns: %TRUE if @fd had a writer
 *
 * Since: 0.1
 */
gboolean
bridge_loop_remove_writer (BridgeLoop *loop,
                           int         fd)
{
  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), FALSE);

  return remove_callback (loop, fd, TRUE);
}

/* ---- awaiting readiness once ---------------------------------------------------- */

static gboolean
await_fd_ready (gint         fd,
                GIOCondition revents,
                gpointer     user_data)
{
  BridgeFuture *future = user_data;

  if (_bridge_future_is_pending (future))
    bridge_future_set_int64 (future, revents, NULL);
  return G_SOURCE_REMOVE;
}

/**
 * bridge_await_fd:
 * @fd: a file descriptor
 * @condition: what to wait for: %G_IO_IN, %G_IO_OUT, %G_IO_PRI, or a
 *   combination
 * @error: return location for %G_IO_ERROR_CANCELLED if the task was
 *   cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits, inside the current task, until @fd is ready for @condition, the
 * way asyncio's `sock_recv()` and friends wait for their socket. %G_IO_HUP,
 * %G_IO_ERR and %G_IO_NVAL are always reported, so that a closed pipe or a
 * failed socket wakes the task too.
 *
 * Nothing is read or written: the task does that itself afterwards,
 * without blocking (use a non-blocking descriptor, or read only what is
 * known to be there). Cancelling the task wakes it at once with
 * %G_IO_ERROR_CANCELLED and stops polling @fd.
 *
 * Returns: the conditions that hold, or 0 with @error set
 *
 * Since: 0.1
 */
GIOCondition
bridge_await_fd (int            fd,
                 GIOCondition   condition,
                 GError       **error)
{
  BridgeTask *task = bridge_task_get_current ();
  BridgeFuture *future;
  GSource *source;
  GIOCondition ready = 0;

  g_return_val_if_fail (fd >= 0, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (task == NULL)
    {
      g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                   "%s() called outside a task: only code running in a task "
                   "started with bridge_spawn() can wait", G_STRFUNC);
      return 0;
    }

  future = bridge_future_new_for_loop (bridge_future_get_loop (BRIDGE_FUTURE (task)));
  bridge_future_set_label (future, G_STRFUNC);
  source = g_unix_fd_source_new (fd, condition | G_IO_HUP | G_IO_ERR | G_IO_NVAL);
  g_source_set_callback (source, (GSourceFunc) (void (*) (void)) await_fd_ready, future, NULL);
  g_source_set_static_name (source, "[libbridge] bridge_await_fd");
  g_source_attach (source, bridge_loop_get_context (bridge_future_get_loop (future)));

  if (bridge_await (future, error))
    ready = (GIOCondition) bridge_future_get_int64 (future, NULL);

  g_source_destroy (source);
  g_source_unref (source);
  bridge_future_unref (future);
  return ready;
}
