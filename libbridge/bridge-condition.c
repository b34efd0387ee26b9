/* bridge-condition.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "bridge-condition.h"
#include "bridge-error.h"
#include "bridge-waiter-private.h"

/**
 * BridgeCondition:
 *
 * A condition variable for tasks: asyncio's `Condition`.
 *
 * A condition pairs a [struct@Bridge.Lock] with a queue of tasks waiting to
 * be notified. A task holding the lock calls [method@Bridge.Condition.wait],
 * which releases the lock, parks until [method@Bridge.Condition.notify] or
 * [method@Bridge.Condition.notify_all] wakes it, and takes the lock again
 * before returning, even when it fails because the task was cancelled.
 *
 * Notifications are never lost to cancellation: a task that is cancelled
 * just after being notified passes a notification on to the next waiter
 * (Python 3.13 behaviour). As with any condition variable, waiters must
 * re-check their predicate after waking; [method@Bridge.Condition.wait_for]
 * does that loop.
 *
 * Not thread-safe: use it from the thread of the loop its tasks run on.
 *
 * Since: 0.1
 */
struct _BridgeCondition
{
  gatomicrefcount  ref_count;
  BridgeLock      *lock;
  GQueue           waiters;
  BridgeLoop      *loop;
};

G_DEFINE_BOXED_TYPE (BridgeCondition, bridge_condition, bridge_condition_ref, bridge_condition_unref)

/**
 * bridge_condition_new: (constructor)
 * @lock: (nullable): the lock to use; %NULL creates a new one
 *
 * Creates a condition variable (`asyncio.Condition(lock=None)`). Several
 * conditions may share one lock.
 *
 * Returns: (transfer full): a new [struct@Bridge.Condition]
 *
 * Since: 0.1
 */
BridgeCondition *
bridge_condition_new (BridgeLock *lock)
{
  BridgeCondition *condition = g_new0 (BridgeCondition, 1);

  g_atomic_ref_count_init (&condition->ref_count);
  condition->lock = lock != NULL ? bridge_lock_ref (lock) : bridge_lock_new ();
  g_queue_init (&condition->waiters);
  return condition;
}

/**
 * bridge_condition_ref:
 * @condition: a [struct@Bridge.Condition]
 *
 * Takes a reference on @condition.
 *
 * Returns: (transfer full): @condition, with one more reference
 *
 * Since: 0.1
 */
BridgeCondition *
bridge_condition_ref (BridgeCondition *condition)
{
  g_return_val_if_fail (condition != NULL, NULL);

  g_atomic_ref_count_inc (&condition->ref_count);
  return condition;
}

/**
 * bridge_condition_unref:
 * @condition: (transfer full): a [struct@Bridge.Condition]
 *
 * Drops a reference. Waiting tasks hold one.
 *
 * Since: 0.1
 */
void
bridge_condition_unref (BridgeCondition *condition)
{
  g_return_if_fail (condition != NULL);

  if (!g_atomic_ref_count_dec (&condition->ref_count))
    return;

  _bridge_waiter_queue_clear (&condition->waiters);
  g_clear_pointer (&condition->lock, bridge_lock_unref);
  g_clear_object (&condition->loop);
  g_free (condition);
}

/**
 * bridge_condition_get_lock:
 * @condition: a [struct@Bridge.Condition]
 *
 * Gives the lock that @condition waits with: the one it was created with, or
 * its own.
 *
 * Returns: (transfer none): the condition's lock
 *
 * Since: 0.1
 */
BridgeLock *
bridge_condition_get_lock (BridgeCondition *condition)
{
  g_return_val_if_fail (condition != NULL, NULL);

  return condition->lock;
}

/**
 * bridge_condition_acquire:
 * @condition: a [struct@Bridge.Condition]
 * @error: return location for an error, as for [method@Bridge.Lock.acquire]
 *
 * Takes the condition's lock (`await condition.acquire()`).
 *
 * Returns: %TRUE if the calling task now holds the lock
 *
 * Since: 0.1
 */
gboolean
bridge_condition_acquire (BridgeCondition  *condition,
                          GError          **error)
{
  g_return_val_if_fail (condition != NULL, FALSE);

  return bridge_lock_acquire (condition->lock, error);
}

/**
 * bridge_condition_release:
 * @condition: a [struct@Bridge.Condition]
 * @error: return location for %BRIDGE_ERROR_INVALID_STATE when the lock is
 *   not held
 *
 * Releases the condition's lock (`condition.release()`).
 *
 * Returns: %TRUE if the lock was released
 *
 * Since: 0.1
 */
gboolean
bridge_condition_release (BridgeCondition  *condition,
                          GError          **error)
{
  g_return_val_if_fail (condition != NULL, FALSE);

  return bridge_lock_release (condition->lock, error);
}

/**
 * bridge_condition_is_locked:
 * @condition: a [struct@Bridge.Condition]
 *
 * Tells whether a task holds the lock of @condition.
 *
 * Returns: whether the condition's lock is held (`condition.locked()`)
 *
 * Since: 0.1
 */
gboolean
bridge_condition_is_locked (BridgeCondition *condition)
{
  g_return_val_if_fail (condition != NULL, FALSE);

  return bridge_lock_is_locked (condition->lock);
}

/* Wakes up to @n waiters that are still pending, oldest first. */
static void
notify_waiters (BridgeCondition *condition,
                guint            n)
{
  guint woken = 0;

  for (GList *l = condition->waiters.head; l != NULL && woken < n; l = l->next)
    if (_bridge_waiter_wake (l->data))
      woken++;
}

/**
 * bridge_condition_wait:
 * @condition: a [struct@Bridge.Condition] whose lock the caller holds
 * @error: return location for %G_IO_ERROR_CANCELLED, or
 *   %BRIDGE_ERROR_INVALID_STATE when the lock is not held, when called
 *   outside a task, or from a loop other than the one the condition is bound
 *   to
 *
 * Waits until notified (`await condition.wait()`): releases the lock, parks
 * until [method@Bridge.Condition.notify] wakes this task, then takes the
 * lock again.
 *
 * The lock is held again whenever this returns after parking, also when it
 * fails with %G_IO_ERROR_CANCELLED (the task keeps re-acquiring through
 * further cancellations), so the caller releases it the same way on both
 * paths. When a cancellation (or any failure) hits a task that had already
 * been notified, one other waiter is notified in its place.
 *
 * Returns: %TRUE if notified, %FALSE with @error set otherwise
 *
 * Since: 0.1
 */
gboolean
bridge_condition_wait (BridgeCondition  *condition,
                       GError          **error)
{
  BridgeTask *task;
  BridgeWaiter *waiter = NULL;
  GError *wait_error = NULL;
  GError *acquire_error = NULL;
  gboolean ok;

  g_return_val_if_fail (condition != NULL, FALSE);

  if (G_UNLIKELY ((task = _bridge_waiter_get_task (G_STRFUNC, error)) == NULL))
    return FALSE;

  if (!bridge_lock_is_locked (condition->lock))
    return _bridge_set_misuse (error, BRIDGE_ERROR_INVALID_STATE,
                               "cannot wait on un-acquired lock");

  if (!_bridge_waiter_bind_loop (&condition->loop, task, "Condition", error))
    return FALSE;

  bridge_condition_ref (condition);
  bridge_lock_release (condition->lock, NULL);

  ok = _bridge_waiter_wait (&condition->waiters, task, &waiter, &wait_error);
  _bridge_waiter_unlink (&condition->waiters, waiter);
  bridge_future_unref (BRIDGE_FUTURE (waiter));

  /* The lock must be held again on every way out, so keep trying through
   * cancellations and report the last one. */
  for (;;)
    {
      GError *local = NULL;

      if (bridge_lock_acquire (condition->lock, &local))
        break;

      g_clear_error (&acquire_error);
      acquire_error = local;
      if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        break;
    }

  if (ok && acquire_error == NULL)
    {
      bridge_condition_unref (condition);
      return TRUE;
    }

  /* We may have consumed a notification that we will not act on: hand one
   * on, at the price of a possible spurious wake-up, which the condition
   * variable protocol allows. */
  notify_waiters (condition, 1);

  if (acquire_error != NULL)
    {
      g_propagate_error (error, acquire_error);
      g_clear_error (&wait_error);
    }
  else
    g_propagate_error (error, wait_error);

  bridge_condition_unref (condition);
  return FALSE;
}

/**
 * bridge_condition_wait_for:
 * @condition: a [struct@Bridge.Condition] whose lock the caller holds
 * @predicate: (scope call): checked before each wait, with the lock held
 * @user_data: data for @predicate
 * @error: return location for an error, as for
 *   [method@Bridge.Condition.wait]
 *
 * Waits until @predicate returns %TRUE (`await condition.wait_for(pred)`).
 * If it is true at once this returns without waiting. asyncio returns the
 * predicate's last value; in C that is simply %TRUE on success.
 *
 * Returns: %TRUE once @predicate is true, %FALSE with @error set otherwise
 *
 * Since: 0.1
 */
gboolean
bridge_condition_wait_for (BridgeCondition           *condition,
                           BridgeConditionPredicate   predicate,
                           gpointer                   user_data,
                           GError                   **error)
{
  g_return_val_if_fail (condition != NULL, FALSE);
  g_return_val_if_fail (predicate != NULL, FALSE);

  while (!predicate (user_data))
    {
      if (!bridge_condition_wait (condition, error))
        return FALSE;
    }
  return TRUE;
}

/**
 * bridge_condition_notify:
 * @condition: a [struct@Bridge.Condition] whose lock the caller holds
 * @n: how many waiters to wake at most
 * @error: return location for %BRIDGE_ERROR_INVALID_STATE when the lock is
 *   not held
 *
 * Wakes up to @n tasks waiting on @condition, oldest first
 * (`condition.notify(n)`); asyncio's default of one is `n = 1`. The woken
 * tasks return from their wait only once they have the lock again, so the
 * caller should release it soon. Never suspends.
 *
 * Notifying without holding the lock is an error (asyncio's
 * `RuntimeError`); with @error %NULL it is a critical warning instead.
 *
 * Returns: %TRUE unless the lock was not held
 *
 * Since: 0.1
 */
gboolean
bridge_condition_notify (BridgeCondition  *condition,
                         guint             n,
                         GError          **error)
{
  g_return_val_if_fail (condition != NULL, FALSE);

  if (!bridge_lock_is_locked (condition->lock))
    return _bridge_set_misuse (error, BRIDGE_ERROR_INVALID_STATE,
                               "cannot notify on un-acquired lock");

  notify_waiters (condition, n);
  return TRUE;
}

/**
 * bridge_condition_notify_all:
 * @condition: a [struct@Bridge.Condition] whose lock the caller holds
 * @error: return location for %BRIDGE_ERROR_INVALID_STATE when the lock is
 *   not held
 *
 * Wakes every task waiting on @condition (`condition.notify_all()`).
 *
 * Returns: %TRUE unless the lock was not held
 *
 * Since: 0.1
 */
gboolean
bridge_condition_notify_all (BridgeCondition  *condition,
                             GError          **error)
{
  g_return_val_if_fail (condition != NULL, FALSE);

  return bridge_condition_notify (condition, G_MAXUINT, error);
}
