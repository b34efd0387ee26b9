/* bridge-gather.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "bridge-future-private.h"
#include "bridge-gather.h"

/* The future returned by bridge_gather(). */
typedef struct
{
  BridgeFuture  parent;

  /* The children in argument order (duplicates included), one reference
   * each. Owned while the gather is pending, and after that for as long as
   * a child's waker is outstanding (a waker holds no reference on its
   * child: this array keeps it alive). On success the array itself becomes
   * the result. */
  GPtrArray    *children;
  guint         n_children;
  guint         n_finished;
  guint         n_callbacks;      /* registered on children and not released */
  guint         n_wakers;         /* of which wakers (see gather_child_waker()) */
  char         *cancel_message;
  guint         return_exceptions : 1;
  guint         cancel_requested : 1;
} BridgeGather;

static gboolean gather_cancel   (BridgeFuture *future,
                                 const char   *message);
static void     gather_finalize (BridgeFuture *future);

static const BridgeFutureClass gather_class = {
  .type_name = "Future",
  .instance_size = sizeof (BridgeGather),
  .cancel = gather_cancel,
  .finalize = gather_finalize,
};

static void
gather_finalize (BridgeFuture *future)
{
  BridgeGather *self = (BridgeGather *) future;

  g_clear_pointer (&self->children, g_ptr_array_unref);
  g_free (self->cancel_message);
}

/* asyncio's _GatheringFuture.cancel(): every child is asked, and the gather
 * only counts as cancelled when at least one child accepted. The gather then
 * completes once the children have reacted, not right now. */
static gboolean
gather_cancel (BridgeFuture *future,
               const char   *message)
{
  BridgeGather *self = (BridgeGather *) future;
  GPtrArray *children;
  gboolean ret = FALSE;

  if (!_bridge_future_is_pending (future) || self->children == NULL)
    return FALSE;

  /* Cancelling never runs done callbacks synchronously, but keep the array
   * alive regardless: a child's cancel hook is arbitrary code. */
  children = g_ptr_array_ref (self->children);
  for (guint i = 0; i < children->len; i++)
    if (bridge_future_cancel (g_ptr_array_index (children, i), message))
      ret = TRUE;
  g_ptr_array_unref (children);

  if (ret && !self->cancel_requested)
    {
      self->cancel_requested = TRUE;
      self->cancel_message = g_strdup (message);
    }
  return ret;
}

static void
mark_error_retrieved (BridgeFuture *child)
{
  /* What asyncio's fut.exception() does: the error was looked at, so the
   * child is not reported as "exception was never retrieved". */
  if (child->result_kind == BRIDGE_RESULT_ERROR)
    child->error_retrieved = TRUE;
}

/* Once the gather is done and no waker needs the children alive any more,
 * the gather lets go of them: a child that nobody else holds is freed now,
 * not when the gather is. */
static void
gather_release_children (BridgeGather *self)
{
  if (self->n_wakers == 0 && !_bridge_future_is_pending (BRIDGE_FUTURE (self)))
    g_clear_pointer (&self->children, g_ptr_array_unref);
}

/* asyncio's gather() _done_callback(), for one finished child. */
static void
gather_child_finished (BridgeGather *self,
                       BridgeFuture *child)
{
  BridgeFuture *outer = BRIDGE_FUTURE (self);
  GPtrArray *children;

  self->n_finished++;

  if (!_bridge_future_is_pending (outer))
    {
      mark_error_retrieved (child);
      return;
    }

  if (!self->return_exceptions && child->result_kind == BRIDGE_RESULT_ERROR)
    {
      /* The first error (a cancelled child included) fails the gather at
       * once; the siblings keep running, and their errors are marked as
       * retrieved when they arrive. */
      _bridge_future_complete_copy (outer, child, NULL);
      gather_release_children (self);
      return;
    }

  if (self->n_finished < self->n_children)
    return;

  children = g_steal_pointer (&self->children);
  for (guint i = 0; i < children->len; i++)
    mark_error_retrieved (g_ptr_array_index (children, i));

  if (self->cancel_requested)
    {
      /* A cancellation that any child accepted wins even over
       * return_exceptions (bpo-32684). */
      g_ptr_array_unref (children);
      _bridge_future_complete_error (outer,
                                     _bridge_future_new_cancelled_error (self->cancel_message),
                                     NULL);
      return;
    }

  _bridge_future_complete_pointer (outer, children, (GDestroyNotify) g_ptr_array_unref, NULL);
}

static void
gather_child_done_cb (BridgeFuture *child,
                      gpointer      user_data)
{
  gather_child_finished (user_data, child);
}

/* The children's callbacks share one reference to the gather, counted here
 * instead of one atomic reference each: done callbacks are registered, run
 * and released on the loop's thread, and two atomic operations per child
 * were a fifth of the cost of a large gather. */
static void
gather_callback_released (gpointer user_data)
{
  BridgeGather *self = user_data;

  if (--self->n_callbacks == 0)
    bridge_future_unref (BRIDGE_FUTURE (self));
}

static void
gather_waker_released (gpointer user_data)
{
  BridgeGather *self = user_data;

  self->n_wakers--;
  gather_release_children (self);
  gather_callback_released (self);
}

/* A task child calls the gather back through a waker when the gather's is
 * its only callback (see _bridge_future_add_waker()): straight from the
 * ready queue, without the reference on the child and the extra step a
 * done callback takes, which were half the cost of a gather of tasks that
 * finish at once. Nothing then holds the child but the gather's array, so
 * the array stays until the last waker is done. Only tasks: the loop holds
 * a task until it ends (or abandons it at close, which releases the
 * waker), so the array never waits for good; a plain future that nobody
 * will complete could otherwise keep it, and through it the future and the
 * gather, alive. */
static void
gather_child_waker (gpointer a,
                    gpointer b)
{
  BridgeGather *self = a;
  BridgeFuture *child = b;

  if (G_LIKELY (!_bridge_loop_is_closing (child->loop)))
    gather_child_finished (self, child);
  gather_waker_released (self);
}

/* How many children ahead bridge_gather() fetches: enough to cover a miss
 * to the last-level cache at the time one child takes. */
#define GATHER_PREFETCH_AHEAD 8

/* The two cache lines a child's registration writes: its reference count,
 * and its inline callback entry. */
static inline void
gather_prefetch_child (BridgeFuture *child)
{
  __builtin_prefetch (&child->ref_count, 1);
  __builtin_prefetch (&child->first_callback, 1);
}

/**
 * bridge_gather:
 * @futures: (array length=n_futures) (nullable): the futures and tasks to
 *   wait for; duplicates are allowed
 * @n_futures: the number of entries in @futures
 * @return_exceptions: %TRUE to report failed children in place instead of
 *   failing the gather
 *
 * Runs @futures concurrently and collects their results in argument order
 * (`asyncio.gather(*aws, return_exceptions=)`).
 *
 * The returned future completes once every child is done. Its value is a
 * pointer to a `GPtrArray` of the children themselves, one reference each,
 * in the order of @futures (a child passed twice appears twice). Read each
 * child's typed result from it with [method@Bridge.Future.get_int64],
 * [method@Bridge.Future.get_object] and so on: the array stands for
 * asyncio's list of results, and keeps every result with its type.
 * [func@Bridge.await_pointer] hands the array to the caller (free it with
 * `g_ptr_array_unref()`); [method@Bridge.Future.get_pointer] only lends it.
 *
 * ```c
 * g_autoptr(BridgeFuture) all = bridge_gather (futures, 3, FALSE);
 * g_autoptr(GPtrArray) children = bridge_await_pointer (all, &error);
 *
 * if (children != NULL)
 *   for (guint i = 0; i < children->len; i++)
 *     total += bridge_future_get_int64 (g_ptr_array_index (children, i), NULL);
 * ```
 *
 * Without @return_exceptions, the first child that fails (or is cancelled)
 * fails the gather at once with a copy of its error; the other children are
 * not cancelled and keep running. With @return_exceptions, failed and
 * cancelled children are simply part of the result, and reading them gives
 * their error. Either way the gather marks the errors it sees as retrieved,
 * as asyncio does.
 *
 * Cancelling the returned future ([method@Bridge.Future.cancel], or
 * cancelling a task that awaits it) cancels every child that is still
 * pending. If at least one of them accepted, the gather ends cancelled once
 * the children are done, even with @return_exceptions; if none did (they had
 * all finished already), the cancellation is refused and the results are
 * delivered.
 *
 * A gather of zero futures is returned already completed, with an empty
 * array. Children that are already done are taken into account right away,
 * as in Python 3.12: a gather over futures that are all done is itself done
 * when this returns (its done callbacks still run from the ready queue).
 *
 * Differences from asyncio: only futures and tasks can be gathered (spawn a
 * task for a function first), and a gather that fails because a child was
 * cancelled is itself cancelled, because in libbridge a future that holds
 * %G_IO_ERROR_CANCELLED is a cancelled future.
 *
 * Cost: one reference and one inline done callback per child; no other
 * allocation than the array. A task that has no other callback calls the
 * gather back straight from the ready queue when it ends, without a
 * reference of its own: the gather then keeps its children until the last
 * such call has run, even after it failed.
 *
 * Returns: (transfer full): a future whose value is a `GPtrArray` of
 *   [struct@Bridge.Future]; its error is the first child's error, or
 *   %G_IO_ERROR_CANCELLED
 *
 * Since: 0.1
 */
BridgeFuture *
bridge_gather (BridgeFuture **futures,
               guint          n_futures,
               gboolean       return_exceptions)
{
  BridgeGather *self;
  GPtrArray *children;
  BridgeLoop *loop = NULL;
  guint n_done = 0;

  g_return_val_if_fail (futures != NULL || n_futures == 0, NULL);

  for (guint i = 0; i < n_futures; i++)
    g_return_val_if_fail (futures[i] != NULL, NULL);

  if (n_futures > 0)
    loop = futures[0]->loop;

  self = _bridge_future_new_of_class (&gather_class, loop);
  self->return_exceptions = !!return_exceptions;
  self->n_children = n_futures;

  children = g_ptr_array_new_full (n_futures, (GDestroyNotify) bridge_future_unref);

  if (n_futures == 0)
    {
      _bridge_future_complete_pointer (BRIDGE_FUTURE (self), children,
                                       (GDestroyNotify) g_ptr_array_unref, NULL);
      return BRIDGE_FUTURE (self);
    }

  self->children = g_ptr_array_ref (children);
  /* Filled in place below, one reference at a time. */
  g_ptr_array_set_size (children, n_futures);

  /* One pass over the children: a reference each, and a callback on each
   * pending one; the callbacks keep the gather alive until the last one ran
   * or its child was freed. The children were mostly last touched long ago
   * (a batch of tasks made before the gather), and a reference is a locked
   * instruction, which waits for its cache miss with nothing else in
   * flight: fetch each child a few places ahead. */
  for (guint i = 0; i < n_futures; i++)
    {
      BridgeFuture *child = futures[i];

      if (i + GATHER_PREFETCH_AHEAD < n_futures)
        gather_prefetch_child (futures[i + GATHER_PREFETCH_AHEAD]);

      children->pdata[i] = bridge_future_ref (child);
      if (_bridge_future_is_pending (child))
        {
          if (self->n_callbacks++ == 0)
            bridge_future_ref (BRIDGE_FUTURE (self));
          if (child->klass == &_bridge_task_class &&
              _bridge_future_add_waker (child, gather_child_waker, self, gather_waker_released))
            self->n_wakers++;
          else
            bridge_future_add_done_callback (child, gather_child_done_cb, self,
                                             gather_callback_released);
        }
      else
        n_done++;
    }

  /* Children that are already done are counted now, after every callback is
   * registered, as asyncio 3.12 does: an early failure completes the gather
   * here, and the remaining done children still get their errors marked as
   * retrieved. Nothing can complete in between, so "pending" above and
   * "done" here split the children exactly. */
  for (guint i = 0; n_done > 0 && i < n_futures; i++)
    {
      BridgeFuture *child = g_ptr_array_index (children, i);

      if (!_bridge_future_is_pending (child))
        {
          n_done--;
          gather_child_finished (self, child);
        }
    }

  g_ptr_array_unref (children);
  return BRIDGE_FUTURE (self);
}
