/* bridge-semaphore.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-error.h"
#include "bridge-semaphore.h"
#include "bridge-waiter-private.h"

/**
 * BridgeSemaphore:
 *
 * A counter of free slots that tasks take and give back: asyncio's
 * `Semaphore`, and with the bounded flag its `BoundedSemaphore`.
 *
 * [method@Bridge.Semaphore.acquire] takes a slot, parking the task while
 * none is free; [method@Bridge.Semaphore.release] gives one back and wakes
 * the oldest waiter. Waiters are served first come, first served: a task
 * that arrives while others wait queues behind them even if a slot is free
 * at that moment (Python 3.12 and later).
 *
 * A slot is never lost to cancellation: a slot handed to a task that is
 * cancelled before it runs goes back to the semaphore and on to the next
 * waiter.
 *
 * Not thread-safe: use it from the thread of the loop its tasks run on.
 *
 * Since: 0.1
 */
struct _BridgeSemaphore
{
  gatomicrefcount  ref_count;
  guint            value;       /* free slots not yet promised to a waiter */
  guint            n_woken;     /* waiters promised a slot that have not run */
  guint            bound;       /* the initial value, for bounded mode */
  gboolean         bounded;
  GQueue           waiters;
  BridgeLoop      *loop;
};

G_DEFINE_BOXED_TYPE (BridgeSemaphore, bridge_semaphore, bridge_semaphore_ref, bridge_semaphore_unref)

/**
 * bridge_semaphore_new: (constructor)
 * @value: the initial number of free slots
 * @bounded: whether releasing more often than acquiring is an error
 *
 * Creates a semaphore (`asyncio.Semaphore(value)`, or
 * `asyncio.BoundedSemaphore(value)` when @bounded). The value is unsigned,
 * so asyncio's `ValueError` for a negative value cannot happen.
 *
 * Returns: (transfer full): a new [struct@Bridge.Semaphore]
 *
 * Since: 0.1
 */
BridgeSemaphore *
bridge_semaphore_new (guint    value,
                      gboolean bounded)
{
  BridgeSemaphore *semaphore = g_new0 (BridgeSemaphore, 1);

  g_atomic_ref_count_init (&semaphore->ref_count);
  semaphore->value = value;
  semaphore->bound = value;
  semaphore->bounded = !!bounded;
  g_queue_init (&semaphore->waiters);
  return semaphore;
}

/**
 * bridge_semaphore_ref:
 * @semaphore: a [struct@Bridge.Semaphore]
 *
 * Takes a reference on @semaphore.
 *
 * Returns: (transfer full): @semaphore, with one more reference
 *
 * Since: 0.1
 */
BridgeSemaphore *
bridge_semaphore_ref (BridgeSemaphore *semaphore)
{
  g_return_val_if_fail (semaphore != NULL, NULL);

  g_atomic_ref_count_inc (&semaphore->ref_count);
  return semaphore;
}

/**
 * bridge_semaphore_unref:
 * @semaphore: (transfer full): a [struct@Bridge.Semaphore]
 *
 * Drops a reference. Waiting tasks hold one.
 *
 * Since: 0.1
 */
void
bridge_semaphore_unref (BridgeSemaphore *semaphore)
{
  g_return_if_fail (semaphore != NULL);

  if (!g_atomic_ref_count_dec (&semaphore->ref_count))
    return;

  _bridge_waiter_queue_clear (&semaphore->waiters);
  g_clear_object (&semaphore->loop);
  g_free (semaphore);
}

/* Promises a slot to the oldest waiter still pending. The slot leaves
 * @value now, so that later arrivals cannot take it before that waiter
 * runs; a waiter that turns out to be cancelled by then gives it back.
 *
 * asyncio leaves woken futures in its deque until their task runs, and so
 * rescans them on every release; here a woken waiter leaves the queue at
 * once and is counted in @n_woken, which keeps release() O(1). Cancelled
 * waiters met on the way are dropped: their tasks no longer need them. */
static gboolean
wake_up_next (BridgeSemaphore *semaphore)
{
  BridgeWaiter *waiter;

  while ((waiter = _bridge_waiter_pop_head (&semaphore->waiters)) != NULL)
    {
      gboolean woke = _bridge_waiter_wake (waiter);

      bridge_future_unref (BRIDGE_FUTURE (waiter));   /* the queue's reference */
      if (woke)
        {
          semaphore->value--;
          semaphore->n_woken++;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
is_locked (BridgeSemaphore *semaphore)
{
  if (semaphore->value == 0 || semaphore->n_woken > 0)
    return TRUE;

  /* FIFO: a free slot is not for newcomers while anybody still waits. */
  for (GList *l = semaphore->waiters.head; l != NULL; l = l->next)
    if (!_bridge_waiter_is_cancelled (l->data))
      return TRUE;
  return FALSE;
}

/**
 * bridge_semaphore_acquire:
 * @semaphore: a [struct@Bridge.Semaphore]
 * @error: return location for %G_IO_ERROR_CANCELLED, or
 *   %BRIDGE_ERROR_INVALID_STATE when called outside a task or from a loop
 *   other than the one the semaphore is bound to
 *
 * Takes a slot (`await semaphore.acquire()`). With a slot free and nobody
 * waiting this returns at once, without suspending or allocating; otherwise
 * the task waits its turn in arrival order.
 *
 * If the task is cancelled while it waits this fails with
 * %G_IO_ERROR_CANCELLED and no slot is taken, even when the cancellation
 * arrived just after a slot had been handed to it.
 *
 * Returns: %TRUE if the task took a slot
 *
 * Since: 0.1
 */
gboolean
bridge_semaphore_acquire (BridgeSemaphore  *semaphore,
                          GError          **error)
{
  BridgeTask *task;
  BridgeWaiter *waiter = NULL;
  gboolean woken;
  gboolean ok;

  g_return_val_if_fail (semaphore != NULL, FALSE);

  if (G_UNLIKELY ((task = _bridge_waiter_get_task (G_STRFUNC, error)) == NULL))
    return FALSE;

  if (G_LIKELY (semaphore->value > 0 && semaphore->n_woken == 0) &&
      (semaphore->waiters.length == 0 || !is_locked (semaphore)))
    {
      semaphore->value--;
      return TRUE;
    }

  if (!_bridge_waiter_bind_loop (&semaphore->loop, task, "Semaphore", error))
    return FALSE;

  bridge_semaphore_ref (semaphore);
  ok = _bridge_waiter_wait (&semaphore->waiters, task, &waiter, error);
  _bridge_waiter_unlink (&semaphore->waiters, waiter);

  /* Only wake_up_next() resolves a waiter with a value. */
  woken = _bridge_waiter_is_done (waiter) && !_bridge_waiter_is_cancelled (waiter);
  if (woken)
    semaphore->n_woken--;

  /* Woken (a slot was promised to us) but cancelled before we ran: give
   * the slot back. A waiter cancelled while still pending got nothing. */
  if (!ok && woken)
    semaphore->value++;

  /* Slots may have been freed while we waited and held back for FIFO's
   * sake, or just given back above: hand out all that are free. */
  while (semaphore->value > 0 && wake_up_next (semaphore))
    ;

  bridge_future_unref (BRIDGE_FUTURE (waiter));
  bridge_semaphore_unref (semaphore);
  return ok;
}

/**
 * bridge_semaphore_release:
 * @semaphore: a [struct@Bridge.Semaphore]
 * @error: return location for %BRIDGE_ERROR_VALUE when a bounded semaphore
 *   is released more often than it was acquired
 *
 * Gives a slot back (`semaphore.release()`) and wakes the oldest waiter.
 * Never suspends: callable from any code on the loop's thread.
 *
 * Over-releasing a bounded semaphore is an error (asyncio's `ValueError`);
 * with @error %NULL it is reported as a critical warning instead. An
 * unbounded semaphore simply grows, as in asyncio.
 *
 * Returns: %TRUE if the slot was given back
 *
 * Since: 0.1
 */
gboolean
bridge_semaphore_release (BridgeSemaphore  *semaphore,
                          GError          **error)
{
  g_return_val_if_fail (semaphore != NULL, FALSE);

  if (semaphore->bounded && semaphore->value >= semaphore->bound)
    return _bridge_set_misuse (error, BRIDGE_ERROR_VALUE,
                               "BoundedSemaphore released too many times");

  if (G_UNLIKELY (semaphore->value == G_MAXUINT))
    return _bridge_set_misuse (error, BRIDGE_ERROR_VALUE, "Semaphore value overflow");

  semaphore->value++;
  if (semaphore->waiters.length > 0)
    wake_up_next (semaphore);
  return TRUE;
}

/**
 * bridge_semaphore_is_locked:
 * @semaphore: a [struct@Bridge.Semaphore]
 *
 * Whether [method@Bridge.Semaphore.acquire] would have to wait
 * (`semaphore.locked()`): no slot is free, or tasks still wait ahead.
 *
 * Returns: %TRUE if an acquire would park now
 *
 * Since: 0.1
 */
gboolean
bridge_semaphore_is_locked (BridgeSemaphore *semaphore)
{
  g_return_val_if_fail (semaphore != NULL, FALSE);

  return is_locked (semaphore);
}

/**
 * bridge_semaphore_get_value:
 * @semaphore: a [struct@Bridge.Semaphore]
 *
 * The number of free slots not yet promised to a waiter (asyncio's
 * `_value`, which it has no public accessor for).
 *
 * Returns: the semaphore's value
 *
 * Since: 0.1
 */
guint
bridge_semaphore_get_value (BridgeSemaphore *semaphore)
{
  g_return_val_if_fail (semaphore != NULL, 0);

  return semaphore->value;
}

/**
 * bridge_semaphore_is_bounded:
 * @semaphore: a [struct@Bridge.Semaphore]
 *
 * Tells whether releasing @semaphore above its initial value is an error
 * (`BoundedSemaphore`).
 *
 * Returns: whether @semaphore was created bounded
 *
 * Since: 0.1
 */
gboolean
bridge_semaphore_is_bounded (BridgeSemaphore *semaphore)
{
  g_return_val_if_fail (semaphore != NULL, FALSE);

  return semaphore->bounded;
}
