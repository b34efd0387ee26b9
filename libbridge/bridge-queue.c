/* bridge-queue.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "bridge-error.h"
#include "bridge-queue.h"
#include "bridge-waiter-private.h"

/**
 * BridgeQueue:
 *
 * A queue of pointers between tasks: asyncio's `Queue`, `LifoQueue` and
 * `PriorityQueue` in one type, chosen with [enum@Bridge.QueueMode].
 *
 * [method@Bridge.Queue.put] adds an item, waiting while a bounded queue is
 * full (back-pressure); [method@Bridge.Queue.get] takes one, waiting while
 * the queue is empty. The `_nowait` forms never wait and fail with
 * %BRIDGE_ERROR_QUEUE_FULL or %BRIDGE_ERROR_QUEUE_EMPTY instead; they may be
 * called from any code on the loop's thread, not only from tasks.
 * [method@Bridge.Queue.task_done] and [method@Bridge.Queue.join] count
 * processed items, and [method@Bridge.Queue.shutdown] ends the queue with
 * Python 3.13's `QueueShutDown` semantics (%BRIDGE_ERROR_QUEUE_SHUT_DOWN).
 *
 * Items are untyped pointers and may be %NULL. Items the queue drops, at
 * an immediate shutdown or when it is freed with items left, go to the
 * queue's item destroy function. An item whose put fails is not taken: the
 * caller still owns it.
 *
 * Priority mode orders items with a compare function given at creation,
 * smallest first, like Python's `heapq` on the items themselves; a
 * priority is part of the item (a struct field, say), not a separate
 * argument of put. Unlike `heapq`, items that compare equal come out in the
 * order they went in.
 *
 * Waiting is FIFO-fair and cancellation-safe, exactly as in asyncio: a
 * getter that is cancelled never loses an item (the item stays queued, and
 * if the cancelled getter had been chosen for it, the next getter is woken
 * in its place); the same holds for putters and free space. Getting from a
 * non-empty queue and putting into a non-full one never allocate or
 * suspend.
 *
 * Not thread-safe: use it from the thread of the loop its tasks run on.
 *
 * Since: 0.1
 */

typedef struct
{
  gpointer item;
  guint64  sequence;    /* insertion order: ties go first in, first out */
} HeapEntry;

struct _BridgeQueue
{
  gatomicrefcount   ref_count;
  BridgeQueueMode   mode;
  guint             maxsize;        /* 0: unbounded */
  guint             length;

  /* FIFO and LIFO: a ring buffer whose capacity is a power of two. */
  gpointer         *ring;
  guint             ring_capacity;
  guint             ring_head;

  /* PRIORITY: a binary min-heap. */
  HeapEntry        *heap;
  guint             heap_capacity;
  guint64           next_sequence;
  GCompareDataFunc  compare;
  gpointer          compare_data;

  GDestroyNotify    item_destroy;

  guint             unfinished;     /* items put and not yet task_done() */
  gboolean          shut_down;

  GQueue            getters;
  GQueue            putters;
  GQueue            joiners;
  BridgeLoop       *loop;
};

G_DEFINE_BOXED_TYPE (BridgeQueue, bridge_queue, bridge_queue_ref, bridge_queue_unref)

/* ---- storage -------------------------------------------------------------- */

static void
ring_grow (BridgeQueue *queue)
{
  guint capacity = queue->ring_capacity != 0 ? queue->ring_capacity * 2 : 16;
  gpointer *ring = g_new (gpointer, capacity);

  /* Unwrap into the new buffer, head first. */
  for (guint i = 0; i < queue->length; i++)
    ring[i] = queue->ring[(queue->ring_head + i) & (queue->ring_capacity - 1)];

  g_free (queue->ring);
  queue->ring = ring;
  queue->ring_capacity = capacity;
  queue->ring_head = 0;
}

static inline gboolean
heap_before (BridgeQueue     *queue,
             const HeapEntry *a,
             const HeapEntry *b)
{
  int cmp = queue->compare (a->item, b->item, queue->compare_data);

  return cmp < 0 || (cmp == 0 && a->sequence < b->sequence);
}

static void
heap_push (BridgeQueue *queue,
           gpointer     item)
{
  HeapEntry entry = { item, queue->next_sequence++ };
  guint index;

  if (queue->length == queue->heap_capacity)
    {
      queue->heap_capacity = queue->heap_capacity != 0 ? queue->heap_capacity * 2 : 16;
      queue->heap = g_renew (HeapEntry, queue->heap, queue->heap_capacity);
    }

  index = queue->length;
  while (index > 0)
    {
      guint parent = (index - 1) / 2;

      if (!heap_before (queue, &entry, &queue->heap[parent]))
        break;
      queue->heap[index] = queue->heap[parent];
      index = parent;
    }
  queue->heap[index] = entry;
}

static gpointer
heap_pop (BridgeQueue *queue)
{
  gpointer item = queue->heap[0].item;
  HeapEntry last = queue->heap[queue->length - 1];
  guint n = queue->length - 1;
  guint index = 0;

  for (;;)
    {
      guint child = 2 * index + 1;

      if (child >= n)
        break;
      if (child + 1 < n && heap_before (queue, &queue->heap[child + 1], &queue->heap[child]))
        child++;
      if (!heap_before (queue, &queue->heap[child], &last))
        break;
      queue->heap[index] = queue->heap[child];
      index = child;
    }
  if (n > 0)
    queue->heap[index] = last;
  return item;
}

static inline void
store_push (BridgeQueue *queue,
            gpointer     item)
{
  if (queue->mode == BRIDGE_QUEUE_PRIORITY)
    heap_push (queue, item);
  else
    {
      if (G_UNLIKELY (queue->length == queue->ring_capacity))
        ring_grow (queue);
      queue->ring[(queue->ring_head + queue->length) & (queue->ring_capacity - 1)] = item;
    }
  queue->length++;
}

static inline gpointer
store_pop (BridgeQueue *queue)
{
  gpointer item;

  switch (queue->mode)
    {
    case BRIDGE_QUEUE_FIFO:
      item = queue->ring[queue->ring_head];
      queue->ring_head = (queue->ring_head + 1) & (queue->ring_capacity - 1);
      break;
    case BRIDGE_QUEUE_LIFO:
      item = queue->ring[(queue->ring_head + queue->length - 1) & (queue->ring_capacity - 1)];
      break;
    case BRIDGE_QUEUE_PRIORITY:
      item = heap_pop (queue);
      break;
    default:
      g_assert_not_reached ();
    }
  queue->length--;
  return item;
}

static inline gboolean
is_full (BridgeQueue *queue)
{
  return queue->maxsize != 0 && queue->length >= queue->maxsize;
}

/* Drops every remaining item, one at a time so that a destroy function
 * that looks at the queue sees it consistent. */
static guint
drop_items (BridgeQueue *queue)
{
  guint dropped = 0;

  while (queue->length > 0)
    {
      gpointer item = store_pop (queue);

      dropped++;
      if (queue->item_destroy != NULL)
        queue->item_destroy (item);
    }
  return dropped;
}

/* ---- waiters ---------------------------------------------------------------- */

/* `_wakeup_next()`: pops waiters until one is still pending and wakes it.
 * Popped waiters leave the queue; their tasks see that when they run. */
static void
wakeup_next (GQueue *waiters)
{
  BridgeWaiter *waiter;

  while ((waiter = _bridge_waiter_pop_head (waiters)) != NULL)
    {
      gboolean woke = _bridge_waiter_wake (waiter);

      bridge_future_unref (BRIDGE_FUTURE (waiter));
      if (woke)
        break;
    }
}

static void
wakeup_all (GQueue *waiters)
{
  BridgeWaiter *waiter;

  while ((waiter = _bridge_waiter_pop_head (waiters)) != NULL)
    {
      _bridge_waiter_wake (waiter);
      bridge_future_unref (BRIDGE_FUTURE (waiter));
    }
}

/* Parks the current task in @waiters (the getters or the putters). On
 * failure (a cancellation) a wake-up this task received but cannot use goes
 * on to the next waiter, when @can_use_wakeup says the queue state would
 * have let it proceed. */
static gboolean
wait_in (BridgeQueue  *queue,
         GQueue       *waiters,
         BridgeTask   *task,
         gboolean    (*can_use_wakeup) (BridgeQueue *queue),
         GError      **error)
{
  BridgeWaiter *waiter = NULL;
  gboolean ok;

  if (!_bridge_waiter_bind_loop (&queue->loop, task, "Queue", error))
    return FALSE;

  bridge_queue_ref (queue);
  ok = _bridge_waiter_wait (waiters, task, &waiter, error);
  if (!ok)
    {
      /* Just in case it is still pending: nothing may wake it any more. */
      if (!_bridge_waiter_is_done (waiter))
        bridge_future_cancel (BRIDGE_FUTURE (waiter), NULL);
      _bridge_waiter_unlink (waiters, waiter);
      if (can_use_wakeup (queue) && !_bridge_waiter_is_cancelled (waiter))
        wakeup_next (waiters);
    }
  else
    _bridge_waiter_unlink (waiters, waiter);

  bridge_future_unref (BRIDGE_FUTURE (waiter));
  bridge_queue_unref (queue);
  return ok;
}

static gboolean
getter_can_proceed (BridgeQueue *queue)
{
  return queue->length > 0;
}

static gboolean
putter_can_proceed (BridgeQueue *queue)
{
  return !is_full (queue);
}

/* ---- public API ------------------------------------------------------------- */

/**
 * bridge_queue_new: (constructor)
 * @maxsize: the most items the queue holds; 0 for no limit
 *
 * Creates a first-in, first-out queue (`asyncio.Queue(maxsize)`) that does
 * not own its items. See [ctor@Bridge.Queue.new_full] for the other modes
 * and for owned items.
 *
 * Returns: (transfer full): a new [struct@Bridge.Queue]
 *
 * Since: 0.1
 */
BridgeQueue *
bridge_queue_new (guint maxsize)
{
  return bridge_queue_new_full (BRIDGE_QUEUE_FIFO, maxsize, NULL, NULL, NULL);
}

/**
 * bridge_queue_new_full: (constructor)
 * @mode: the order of the items
 * @maxsize: the most items the queue holds; 0 for no limit
 * @compare: (nullable) (scope forever): for %BRIDGE_QUEUE_PRIORITY, orders
 *   the items (negative when the first comes out first); %NULL otherwise
 * @compare_data: data for @compare; it must outlive the queue
 * @item_destroy: (nullable): frees items the queue drops, at an immediate
 *   [method@Bridge.Queue.shutdown] or when it is freed with items left
 *
 * Creates a queue (`asyncio.Queue`, `asyncio.LifoQueue` or
 * `asyncio.PriorityQueue`). asyncio's priority queue compares the items
 * themselves; here @compare does, and equal items keep their order.
 *
 * Returns: (transfer full): a new [struct@Bridge.Queue]
 *
 * Since: 0.1
 */
BridgeQueue *
bridge_queue_new_full (BridgeQueueMode   mode,
                       guint             maxsize,
                       GCompareDataFunc  compare,
                       gpointer          compare_data,
                       GDestroyNotify    item_destroy)
{
  BridgeQueue *queue;

  g_return_val_if_fail (mode == BRIDGE_QUEUE_FIFO || mode == BRIDGE_QUEUE_LIFO ||
                        mode == BRIDGE_QUEUE_PRIORITY, NULL);
  g_return_val_if_fail ((mode == BRIDGE_QUEUE_PRIORITY) == (compare != NULL), NULL);

  queue = g_new0 (BridgeQueue, 1);
  g_atomic_ref_count_init (&queue->ref_count);
  queue->mode = mode;
  queue->maxsize = maxsize;
  queue->compare = compare;
  queue->compare_data = compare_data;
  queue->item_destroy = item_destroy;
  g_queue_init (&queue->getters);
  g_queue_init (&queue->putters);
  g_queue_init (&queue->joiners);
  return queue;
}

/**
 * bridge_queue_ref:
 * @queue: a [struct@Bridge.Queue]
 *
 * Takes a reference on @queue.
 *
 * Returns: (transfer full): @queue, with one more reference
 *
 * Since: 0.1
 */
BridgeQueue *
bridge_queue_ref (BridgeQueue *queue)
{
  g_return_val_if_fail (queue != NULL, NULL);

  g_atomic_ref_count_inc (&queue->ref_count);
  return queue;
}

/**
 * bridge_queue_unref:
 * @queue: (transfer full): a [struct@Bridge.Queue]
 *
 * Drops a reference. Waiting tasks hold one. When the last reference goes,
 * items still queued are passed to the item destroy function.
 *
 * Since: 0.1
 */
void
bridge_queue_unref (BridgeQueue *queue)
{
  g_return_if_fail (queue != NULL);

  if (!g_atomic_ref_count_dec (&queue->ref_count))
    return;

  drop_items (queue);
  _bridge_waiter_queue_clear (&queue->getters);
  _bridge_waiter_queue_clear (&queue->putters);
  _bridge_waiter_queue_clear (&queue->joiners);
  g_clear_object (&queue->loop);
  g_free (queue->ring);
  g_free (queue->heap);
  g_free (queue);
}

/**
 * bridge_queue_put_nowait:
 * @queue: a [struct@Bridge.Queue]
 * @item: (nullable): the item
 * @error: return location for %BRIDGE_ERROR_QUEUE_FULL or
 *   %BRIDGE_ERROR_QUEUE_SHUT_DOWN
 *
 * Adds @item without waiting (`queue.put_nowait(item)`) and wakes the
 * oldest waiting getter. Callable from any code on the loop's thread.
 *
 * Returns: %TRUE if @item was queued; on failure the caller keeps @item
 *
 * Since: 0.1
 */
gboolean
bridge_queue_put_nowait (BridgeQueue  *queue,
                         gpointer      item,
                         GError      **error)
{
  g_return_val_if_fail (queue != NULL, FALSE);

  if (G_UNLIKELY (queue->shut_down))
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_SHUT_DOWN, "Queue is shut down");
      return FALSE;
    }
  if (G_UNLIKELY (is_full (queue)))
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_FULL, "Queue is full");
      return FALSE;
    }

  store_push (queue, item);
  queue->unfinished++;
  if (queue->getters.length > 0)
    wakeup_next (&queue->getters);
  return TRUE;
}

/**
 * bridge_queue_put:
 * @queue: a [struct@Bridge.Queue]
 * @item: (nullable): the item
 * @error: return location for %BRIDGE_ERROR_QUEUE_SHUT_DOWN,
 *   %G_IO_ERROR_CANCELLED, or %BRIDGE_ERROR_INVALID_STATE when called
 *   outside a task or from a loop other than the one the queue is bound to
 *
 * Adds @item (`await queue.put(item)`), first waiting for a free slot if the
 * queue is bounded and full. Putters waiting for space are served in
 * arrival order. If the queue is shut down, or is shut down while the task
 * waits, this fails with %BRIDGE_ERROR_QUEUE_SHUT_DOWN.
 *
 * Returns: %TRUE if @item was queued; on failure the caller keeps @item
 *
 * Since: 0.1
 */
gboolean
bridge_queue_put (BridgeQueue  *queue,
                  gpointer      item,
                  GError      **error)
{
  BridgeTask *task;

  g_return_val_if_fail (queue != NULL, FALSE);

  if (G_UNLIKELY ((task = _bridge_waiter_get_task (G_STRFUNC, error)) == NULL))
    return FALSE;

  while (is_full (queue))
    {
      if (queue->shut_down)
        {
          g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_SHUT_DOWN, "Queue is shut down");
          return FALSE;
        }
      if (!wait_in (queue, &queue->putters, task, putter_can_proceed, error))
        return FALSE;
    }

  return bridge_queue_put_nowait (queue, item, error);
}

/**
 * bridge_queue_get_nowait:
 * @queue: a [struct@Bridge.Queue]
 * @out_item: (out) (optional) (transfer full): the item; if %NULL, the
 *   item is dropped (passed to the item destroy function)
 * @error: return location for %BRIDGE_ERROR_QUEUE_EMPTY, or
 *   %BRIDGE_ERROR_QUEUE_SHUT_DOWN when the queue is shut down and empty
 *
 * Takes the next item without waiting (`queue.get_nowait()`) and wakes the
 * oldest waiting putter. Callable from any code on the loop's thread.
 *
 * Returns: %TRUE if an item was taken
 *
 * Since: 0.1
 */
gboolean
bridge_queue_get_nowait (BridgeQueue  *queue,
                         gpointer     *out_item,
                         GError      **error)
{
  gpointer item;

  g_return_val_if_fail (queue != NULL, FALSE);

  if (G_UNLIKELY (queue->length == 0))
    {
      if (queue->shut_down)
        g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_SHUT_DOWN, "Queue is shut down");
      else
        g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_EMPTY, "Queue is empty");
      return FALSE;
    }

  item = store_pop (queue);
  if (queue->putters.length > 0)
    wakeup_next (&queue->putters);

  if (out_item != NULL)
    *out_item = item;
  else if (queue->item_destroy != NULL)
    queue->item_destroy (item);
  return TRUE;
}

/**
 * bridge_queue_get:
 * @queue: a [struct@Bridge.Queue]
 * @out_item: (out) (optional) (transfer full): the item; if %NULL, the
 *   item is dropped (passed to the item destroy function)
 * @error: return location for %BRIDGE_ERROR_QUEUE_SHUT_DOWN,
 *   %G_IO_ERROR_CANCELLED, or %BRIDGE_ERROR_INVALID_STATE when called
 *   outside a task or from a loop other than the one the queue is bound to
 *
 * Takes the next item (`await queue.get()`), first waiting for one if the
 * queue is empty. Getters are served in arrival order. A getter cancelled
 * while it waits takes nothing and loses nothing: the item it might have
 * been woken for stays queued for the next getter.
 *
 * After [method@Bridge.Queue.shutdown] the remaining items can still be
 * taken; once the queue is empty this fails with
 * %BRIDGE_ERROR_QUEUE_SHUT_DOWN, and so do getters that were waiting.
 *
 * Returns: %TRUE if an item was taken
 *
 * Since: 0.1
 */
gboolean
bridge_queue_get (BridgeQueue  *queue,
                  gpointer     *out_item,
                  GError      **error)
{
  BridgeTask *task;

  g_return_val_if_fail (queue != NULL, FALSE);

  if (G_UNLIKELY ((task = _bridge_waiter_get_task (G_STRFUNC, error)) == NULL))
    return FALSE;

  while (queue->length == 0)
    {
      if (queue->shut_down)
        {
          g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_SHUT_DOWN, "Queue is shut down");
          return FALSE;
        }
      if (!wait_in (queue, &queue->getters, task, getter_can_proceed, error))
        return FALSE;
    }

  return bridge_queue_get_nowait (queue, out_item, error);
}

/**
 * bridge_queue_task_done:
 * @queue: a [struct@Bridge.Queue]
 * @error: return location for %BRIDGE_ERROR_VALUE when called more often
 *   than items were put
 *
 * Tells the queue that an item taken earlier is processed
 * (`queue.task_done()`). When every item put has been marked so,
 * [method@Bridge.Queue.join] returns. Calling it too often is an error
 * (asyncio's `ValueError`); with @error %NULL it is a critical warning
 * instead.
 *
 * Returns: %TRUE unless it was called too often
 *
 * Since: 0.1
 */
gboolean
bridge_queue_task_done (BridgeQueue  *queue,
                        GError      **error)
{
  g_return_val_if_fail (queue != NULL, FALSE);

  if (G_UNLIKELY (queue->unfinished == 0))
    return _bridge_set_misuse (error, BRIDGE_ERROR_VALUE, "task_done() called too many times");

  if (--queue->unfinished == 0)
    wakeup_all (&queue->joiners);
  return TRUE;
}

/**
 * bridge_queue_join:
 * @queue: a [struct@Bridge.Queue]
 * @error: return location for %G_IO_ERROR_CANCELLED, or
 *   %BRIDGE_ERROR_INVALID_STATE when called outside a task or from a loop
 *   other than the one the queue is bound to
 *
 * Waits until every item ever put has been marked done with
 * [method@Bridge.Queue.task_done] (`await queue.join()`). Returns at once
 * if none is outstanding.
 *
 * Returns: %TRUE once all items are processed
 *
 * Since: 0.1
 */
gboolean
bridge_queue_join (BridgeQueue  *queue,
                   GError      **error)
{
  BridgeTask *task;
  BridgeWaiter *waiter = NULL;
  gboolean ok;

  g_return_val_if_fail (queue != NULL, FALSE);

  if (G_UNLIKELY ((task = _bridge_waiter_get_task (G_STRFUNC, error)) == NULL))
    return FALSE;

  if (queue->unfinished == 0)
    return TRUE;

  if (!_bridge_waiter_bind_loop (&queue->loop, task, "Queue", error))
    return FALSE;

  bridge_queue_ref (queue);
  ok = _bridge_waiter_wait (&queue->joiners, task, &waiter, error);
  _bridge_waiter_unlink (&queue->joiners, waiter);
  bridge_future_unref (BRIDGE_FUTURE (waiter));
  bridge_queue_unref (queue);
  return ok;
}

/**
 * bridge_queue_shutdown:
 * @queue: a [struct@Bridge.Queue]
 * @immediate: whether to drop the items still queued
 *
 * Shuts the queue down (`queue.shutdown(immediate)`, Python 3.13): every
 * later put fails with %BRIDGE_ERROR_QUEUE_SHUT_DOWN, and so do the
 * putters waiting now. Getters keep taking the remaining items, and fail
 * with %BRIDGE_ERROR_QUEUE_SHUT_DOWN once the queue is empty.
 *
 * With @immediate, the remaining items are dropped at once (passed to the
 * item destroy function) and each counts as done for
 * [method@Bridge.Queue.join], so joiners are released when nothing else is
 * outstanding; waiting getters fail at once. Shutting down again is
 * allowed (an immediate shutdown after a plain one drops the rest). Never
 * suspends.
 *
 * Since: 0.1
 */
void
bridge_queue_shutdown (BridgeQueue *queue,
                       gboolean     immediate)
{
  g_return_if_fail (queue != NULL);

  queue->shut_down = TRUE;

  if (immediate)
    {
      guint dropped = drop_items (queue);

      queue->unfinished -= MIN (dropped, queue->unfinished);
      if (queue->unfinished == 0)
        wakeup_all (&queue->joiners);
    }

  /* Every waiter re-checks the queue and sees the shutdown. */
  wakeup_all (&queue->getters);
  wakeup_all (&queue->putters);
}

/**
 * bridge_queue_get_size:
 * @queue: a [struct@Bridge.Queue]
 *
 * Counts the items in @queue.
 *
 * Returns: the number of items queued (`queue.qsize()`)
 *
 * Since: 0.1
 */
guint
bridge_queue_get_size (BridgeQueue *queue)
{
  g_return_val_if_fail (queue != NULL, 0);

  return queue->length;
}

/**
 * bridge_queue_get_maxsize:
 * @queue: a [struct@Bridge.Queue]
 *
 * Reads the capacity of @queue.
 *
 * Returns: the most items the queue holds, 0 for no limit
 *   (`queue.maxsize`)
 *
 * Since: 0.1
 */
guint
bridge_queue_get_maxsize (BridgeQueue *queue)
{
  g_return_val_if_fail (queue != NULL, 0);

  return queue->maxsize;
}

/**
 * bridge_queue_get_mode:
 * @queue: a [struct@Bridge.Queue]
 *
 * Reads the order @queue hands out its items in.
 *
 * Returns: the order in which the queue hands out items
 *
 * Since: 0.1
 */
BridgeQueueMode
bridge_queue_get_mode (BridgeQueue *queue)
{
  g_return_val_if_fail (queue != NULL, BRIDGE_QUEUE_FIFO);

  return queue->mode;
}

/**
 * bridge_queue_is_empty:
 * @queue: a [struct@Bridge.Queue]
 *
 * Tells whether @queue holds no item.
 *
 * Returns: whether no item is queued (`queue.empty()`)
 *
 * Since: 0.1
 */
gboolean
bridge_queue_is_empty (BridgeQueue *queue)
{
  g_return_val_if_fail (queue != NULL, TRUE);

  return queue->length == 0;
}

/**
 * bridge_queue_is_full:
 * @queue: a [struct@Bridge.Queue]
 *
 * Tells whether a put on @queue would wait.
 *
 * Returns: whether a bounded queue holds @maxsize items (`queue.full()`);
 *   always %FALSE for an unbounded queue
 *
 * Since: 0.1
 */
gboolean
bridge_queue_is_full (BridgeQueue *queue)
{
  g_return_val_if_fail (queue != NULL, FALSE);

  return is_full (queue);
}

/**
 * bridge_queue_is_shut_down:
 * @queue: a [struct@Bridge.Queue]
 *
 * Tells whether @queue was shut down.
 *
 * Returns: whether [method@Bridge.Queue.shutdown] was called
 *
 * Since: 0.1
 */
gboolean
bridge_queue_is_shut_down (BridgeQueue *queue)
{
  g_return_val_if_fail (queue != NULL, FALSE);

  return queue->shut_down;
}
