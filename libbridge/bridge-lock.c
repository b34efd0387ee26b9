/* bridge-lock.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-error.h"
#include "bridge-lock.h"
#include "bridge-waiter-private.h"

/**
 * BridgeLock:
 *
 * A mutual-exclusion lock for tasks: asyncio's `Lock`.
 *
 * [method@Bridge.Lock.acquire] takes the lock, parking the calling task
 * while another task holds it; [method@Bridge.Lock.release] hands it on.
 * Waiters are served strictly first come, first served: a task that calls
 * acquire while others are queued waits behind them even if the lock
 * happens to be free at that moment.
 *
 * A task cancelled while it waits leaves the lock consistent: it never ends
 * up holding the lock, and if it had just been chosen to take it, the next
 * waiter is woken in its place.
 *
 * Like every libbridge primitive the lock is not thread-safe: use it from
 * the thread of the loop its tasks run on. It is bound to the loop of the
 * first task that waits on it. As in asyncio the lock has no owner: any
 * task (or callback) may release it.
 *
 * Since: 0.1
 */
struct _BridgeLock
{
  gatomicrefcount  ref_count;
  gboolean         locked;
  GQueue           waiters;     /* BridgeWaiter, FIFO */
  BridgeLoop      *loop;        /* bound on first wait */
};

G_DEFINE_BOXED_TYPE (BridgeLock, bridge_lock, bridge_lock_ref, bridge_lock_unref)

/**
 * bridge_lock_new: (constructor)
 *
 * Creates an unlocked lock (`asyncio.Lock()`).
 *
 * Returns: (transfer full): a new [struct@Bridge.Lock]
 *
 * Since: 0.1
 */
BridgeLock *
bridge_lock_new (void)
{
  BridgeLock *lock = g_new0 (BridgeLock, 1);

  g_atomic_ref_count_init (&lock->ref_count);
  g_queue_init (&lock->waiters);
  return lock;
}

/**
 * bridge_lock_ref:
 * @lock: a [struct@Bridge.Lock]
 *
 * Takes a reference on @lock.
 *
 * Returns: (transfer full): @lock, with one more reference
 *
 * Since: 0.1
 */
BridgeLock *
bridge_lock_ref (BridgeLock *lock)
{
  g_return_val_if_fail (lock != NULL, NULL);

  g_atomic_ref_count_inc (&lock->ref_count);
  return lock;
}

/**
 * bridge_lock_unref:
 * @lock: (transfer full): a [struct@Bridge.Lock]
 *
 * Drops a reference. A task parked in [method@Bridge.Lock.acquire] holds
 * one, so the lock outlives its waiters.
 *
 * Since: 0.1
 */
void
bridge_lock_unref (BridgeLock *lock)
{
  g_return_if_fail (lock != NULL);

  if (!g_atomic_ref_count_dec (&lock->ref_count))
    return;

  _bridge_waiter_queue_clear (&lock->waiters);
  g_clear_object (&lock->loop);
  g_free (lock);
}

/* Wakes the head waiter only, and only if it is still pending: a cancelled
 * head is about to leave and wakes the next one itself (see acquire). */
static void
wake_up_first (BridgeLock *lock)
{
  BridgeWaiter *first = _bridge_waiter_peek_head (&lock->waiters);

  if (first != NULL)
    _bridge_waiter_wake (first);
}

static gboolean
all_waiters_cancelled (BridgeLock *lock)
{
  for (GList *l = lock->waiters.head; l != NULL; l = l->next)
    if (!_bridge_waiter_is_cancelled (l->data))
      return FALSE;
  return TRUE;
}

/**
 * bridge_lock_acquire:
 * @lock: a [struct@Bridge.Lock]
 * @error: return location for %G_IO_ERROR_CANCELLED, or
 *   %BRIDGE_ERROR_INVALID_STATE when called outside a task or from a loop
 *   other than the one the lock is bound to
 *
 * Takes the lock (`await lock.acquire()`). If it is free and nobody is
 * queued this returns at once without suspending or allocating; otherwise
 * the task waits its turn, in arrival order.
 *
 * If the task is cancelled while it waits, this fails with
 * %G_IO_ERROR_CANCELLED and the task does not hold the lock, even when the
 * cancellation arrived just after the lock had been handed to it: the lock
 * then goes to the next waiter, as in asyncio.
 *
 * Returns: %TRUE if the calling task now holds the lock
 *
 * Since: 0.1
 */
gboolean
bridge_lock_acquire (BridgeLock  *lock,
                     GError     **error)
{
  BridgeTask *task;
  BridgeWaiter *waiter = NULL;
  gboolean ok;

  g_return_val_if_fail (lock != NULL, FALSE);

  if (G_UNLIKELY ((task = _bridge_waiter_get_task (G_STRFUNC, error)) == NULL))
    return FALSE;

  /* Free, and nobody queued ahead of us that is still interested. */
  if (G_LIKELY (!lock->locked) &&
      (lock->waiters.length == 0 || all_waiters_cancelled (lock)))
    {
      lock->locked = TRUE;
      return TRUE;
    }

  if (!_bridge_waiter_bind_loop (&lock->loop, task, "Lock", error))
    return FALSE;

  bridge_lock_ref (lock);
  ok = _bridge_waiter_wait (&lock->waiters, task, &waiter, error);
  _bridge_waiter_unlink (&lock->waiters, waiter);

  if (ok)
    lock->locked = TRUE;
  else if (!lock->locked)
    {
      /* We may have been the one woken by release(), or we were the
       * cancelled head that release() skipped: either way nobody else has
       * been told the lock is free, so pass it on. */
      wake_up_first (lock);
    }

  bridge_future_unref (BRIDGE_FUTURE (waiter));
  bridge_lock_unref (lock);
  return ok;
}

/**
 * bridge_lock_release:
 * @lock: a locked [struct@Bridge.Lock]
 * @error: return location for %BRIDGE_ERROR_INVALID_STATE when @lock is
 *   not locked
 *
 * Releases the lock (`lock.release()`) and wakes the first waiter, which
 * takes the lock when it runs. It does not suspend and may be called from
 * any code on the loop's thread. Releasing an unlocked lock is an error
 * (asyncio's `RuntimeError`); with @error %NULL it is reported as a critical
 * warning instead.
 *
 * Returns: %TRUE if the lock was released
 *
 * Since: 0.1
 */
gboolean
bridge_lock_release (BridgeLock  *lock,
                     GError     **error)
{
  g_return_val_if_fail (lock != NULL, FALSE);

  if (G_UNLIKELY (!lock->locked))
    return _bridge_set_misuse (error, BRIDGE_ERROR_INVALID_STATE, "Lock is not acquired");

  lock->locked = FALSE;
  if (lock->waiters.length > 0)
    wake_up_first (lock);
  return TRUE;
}

/**
 * bridge_lock_is_locked:
 * @lock: a [struct@Bridge.Lock]
 *
 * Tells whether a task holds @lock.
 *
 * Returns: whether the lock is held (`lock.locked()`)
 *
 * Since: 0.1
 */
gboolean
bridge_lock_is_locked (BridgeLock *lock)
{
  g_return_val_if_fail (lock != NULL, FALSE);

  return lock->locked;
}
