/* bridge-handle.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dlfcn.h>

#include "bridge-handle-private.h"
#include "bridge-loop-private.h"
#include "bridge-task.h"

/**
 * BridgeHandle:
 *
 * A scheduled callback (asyncio's `Handle` and `TimerHandle`), returned by
 * [method@Bridge.Loop.call_soon] and its siblings so it can be cancelled.
 *
 * The loop owns the handles it returns from `call_soon()`, `call_later()`
 * and `call_at()`: they stay valid until the callback has run or was
 * cancelled. Take a reference with [method@Bridge.Handle.ref] to keep one
 * longer, for example to cancel it later without knowing whether it ran.
 * Like asyncio's handles, which reference their loop, a handle keeps its
 * [class@Bridge.Loop] alive until its last reference is dropped.
 *
 * Since: 0.1
 */

G_DEFINE_BOXED_TYPE (BridgeHandle, bridge_handle, bridge_handle_ref, bridge_handle_unref)

/* One cache line (see the structure). */
G_STATIC_ASSERT (GLIB_SIZEOF_VOID_P != 8 || sizeof (BridgeHandle) == 64);

BridgeHandle *
_bridge_handle_new (BridgeLoop     *loop,
                    BridgeCallback  callback,
                    gpointer        user_data,
                    GDestroyNotify  destroy)
{
  /* From the loop's block pool while it dispatches here (pages faulted in
   * ahead: a burst of timers touches many fresh pages); else GSlice, not
   * malloc: a burst of timers freed at once filled glibc's fast bins, and
   * the next large allocation merged them all (malloc_consolidate), a large
   * part of the cost of those timers. */
  BridgeHandle *handle = _bridge_loop_alloc_block (loop, BRIDGE_BLOCK_HANDLE);

  if (handle == NULL)
    handle = g_slice_new (BridgeHandle);

  /* A handle keeps its loop alive, as asyncio's handles reference their
   * loop; its memory may be the loop's. */
  _bridge_loop_hold (loop);

  handle->ref_count = 1;
  handle->state = BRIDGE_HANDLE_SCHEDULED;
  handle->loop = loop;
  handle->callback = callback;
  handle->user_data = user_data;
  handle->destroy = destroy;
  handle->when_seconds = 0;
  handle->inbox_next = NULL;
  handle->in_heap = FALSE;
  return handle;
}

static void
release_data (BridgeHandle *handle)
{
  GDestroyNotify destroy = g_steal_pointer (&handle->destroy);

  if (destroy != NULL)
    destroy (g_steal_pointer (&handle->user_data));
}

/* Ready-queue entry point; the queue's reference is dropped here. */
void
_bridge_handle_run (gpointer a,
                    gpointer b)
{
  BridgeHandle *handle = a;

  if (g_atomic_int_compare_and_exchange (&handle->state,
                                         BRIDGE_HANDLE_SCHEDULED, BRIDGE_HANDLE_RAN))
    {
      if (G_LIKELY (!_bridge_loop_is_closing (handle->loop)))
        handle->callback (handle->user_data);
      release_data (handle);
    }

  bridge_handle_unref (handle);
}

/* The loop is closing: forget the callback without running it. */
void
_bridge_handle_drop (BridgeHandle *handle)
{
  if (g_atomic_int_compare_and_exchange (&handle->state,
                                         BRIDGE_HANDLE_SCHEDULED, BRIDGE_HANDLE_CANCELLED))
    release_data (handle);
  bridge_handle_unref (handle);
}

/* Names a handle in a misuse report: its callback, and the task that made
 * the mistake. */
static char *
describe_handle (BridgeHandle *handle)
{
  BridgeTask *task = bridge_task_get_current ();
  Dl_info info;
  const char *function = NULL;
  g_autofree char *callback = NULL;

  if (dladdr ((gpointer) handle->callback, &info) != 0)
    function = info.dli_sname;

  callback = function != NULL ?
                              g_strdup_printf ("%s()", function) :
                              g_strdup_printf ("callback %p", (gpointer) handle->callback);

  return g_strdup_printf ("the handle of %s%s%s%s", callback,
                          task != NULL ? " (in task “" : "",
                          task != NULL ? bridge_task_get_name (task) : "",
                          task != NULL ? "”)" : "");
}

static gboolean
check_alive (BridgeHandle *handle,
             const char   *function)
{
  if (G_LIKELY (g_atomic_int_get (&handle->ref_count) > 0))
    return TRUE;

  {
    g_autofree char *what = describe_handle (handle);
    g_critical ("%s: %s was already freed: one unref too many", function, what);
  }
  return FALSE;
}

/**
 * bridge_handle_ref:
 * @handle: a [struct@Bridge.Handle]
 *
 * Takes a reference on @handle.
 *
 * Returns: (transfer full): @handle
 *
 * Since: 0.1
 */
BridgeHandle *
bridge_handle_ref (BridgeHandle *handle)
{
  g_return_val_if_fail (handle != NULL, NULL);

  if (!check_alive (handle, G_STRFUNC))
    return handle;

  g_atomic_int_inc (&handle->ref_count);
  return handle;
}

/**
 * bridge_handle_unref:
 * @handle: (transfer full): a [struct@Bridge.Handle]
 *
 * Drops a reference. Only references the caller owns may be dropped: those
 * taken with [method@Bridge.Handle.ref] and the one returned by
 * [method@Bridge.Loop.call_soon_threadsafe]. Dropping the loop's own
 * reference to a handle still scheduled, or one reference too many, is
 * reported as a critical warning naming the handle's callback, and the
 * handle is left alone.
 *
 * Since: 0.1
 */
void
bridge_handle_unref (BridgeHandle *handle)
{
  gint ref_count;

  g_return_if_fail (handle != NULL);

  ref_count = g_atomic_int_get (&handle->ref_count);
  if (G_UNLIKELY (ref_count <= 0))
    {
      check_alive (handle, G_STRFUNC);
      return;
    }

  /* The last reference of a handle still scheduled is the loop's: the
   * caller unrefs a handle that call_soon() lent it. */
  if (G_UNLIKELY (ref_count == 1 && g_atomic_int_get (&handle->state) == BRIDGE_HANDLE_SCHEDULED))
    {
      g_autofree char *what = describe_handle (handle);
      g_critical ("%s: %s is still scheduled and belongs to the loop: only unref a "
                  "handle you took a reference to with bridge_handle_ref()", G_STRFUNC, what);
      return;
    }

  /* Sole owner: skip the locked decrement (see bridge_future_unref()). */
  if (ref_count == 1 || g_atomic_int_dec_and_test (&handle->ref_count))
    {
      BridgeLoop *loop = handle->loop;

      release_data (handle);
      handle->ref_count = BRIDGE_HANDLE_FREED;
      if (!_bridge_loop_release_block (loop, handle))
        g_slice_free (BridgeHandle, handle);
      _bridge_loop_release (loop);
    }
}

/**
 * bridge_handle_cancel:
 * @handle: a [struct@Bridge.Handle]
 *
 * Cancels the callback (`Handle.cancel()`): if it has not run yet it never
 * will, and its data is freed now. Cancelling a handle that already ran does
 * nothing. A handle from [method@Bridge.Loop.call_soon_threadsafe] may be
 * cancelled from any thread.
 *
 * Since: 0.1
 */
void
bridge_handle_cancel (BridgeHandle *handle)
{
  g_return_if_fail (handle != NULL);

  if (g_atomic_int_compare_and_exchange (&handle->state,
                                         BRIDGE_HANDLE_SCHEDULED, BRIDGE_HANDLE_CANCELLED))
    {
      release_data (handle);
      /* Let the loop count it, so cancelled timers are dropped from its heap
       * in bulk instead of piling up until they fall due. */
      if (handle->in_heap)
        _bridge_loop_timer_cancelled (handle->loop);
    }
}

/**
 * bridge_handle_is_cancelled:
 * @handle: a [struct@Bridge.Handle]
 *
 * Tells whether [method@Bridge.Handle.cancel] was called on @handle.
 *
 * Returns: whether @handle was cancelled (`Handle.cancelled()`)
 *
 * Since: 0.1
 */
gboolean
bridge_handle_is_cancelled (BridgeHandle *handle)
{
  g_return_val_if_fail (handle != NULL, FALSE);

  return g_atomic_int_get (&handle->state) == BRIDGE_HANDLE_CANCELLED;
}

/**
 * bridge_handle_get_when:
 * @handle: a [struct@Bridge.Handle] from `call_later()` or `call_at()`
 *
 * Reads when the timer behind @handle is due.
 *
 * Returns: when the callback is due, in [method@Bridge.Loop.time] seconds
 *   (`TimerHandle.when()`); 0 for handles that are not timers
 *
 * Since: 0.1
 */
double
bridge_handle_get_when (BridgeHandle *handle)
{
  g_return_val_if_fail (handle != NULL, 0);

  return handle->when_seconds;
}
