/* bridge-barrier.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-barrier.h"
#include "bridge-error.h"
#include "bridge-waiter-private.h"

/**
 * BridgeBarrier:
 *
 * A meeting point for a fixed number of tasks: asyncio's `Barrier`.
 *
 * Each task calls [method@Bridge.Barrier.wait]; once @parties tasks are
 * waiting they are all released together, each with a distinct index from
 * 0 to @parties - 1 (the last to arrive gets @parties - 1). The barrier
 * then drains: tasks arriving for the next round wait until every task of
 * the previous round has left, and it refills. It can be used any number of
 * times.
 *
 * [method@Bridge.Barrier.reset] sends the tasks waiting now away with
 * %BRIDGE_ERROR_BROKEN_BARRIER and makes the barrier usable again;
 * [method@Bridge.Barrier.abort] breaks it for good.
 *
 * asyncio builds its barrier on a `Condition`, which makes `reset()` and
 * `abort()` coroutines. Nothing here holds a lock across a suspension, so
 * in libbridge they are plain functions that never suspend and can be
 * called from any code on the loop's thread. Waiters are woken in arrival
 * order, as with asyncio's `notify_all()`.
 *
 * Not thread-safe: use it from the thread of the loop its tasks run on.
 *
 * Since: 0.1
 */
typedef enum
{
  STATE_FILLING,
  STATE_DRAINING,
  STATE_RESETTING,
  STATE_BROKEN,
} BarrierState;

struct _BridgeBarrier
{
  gatomicrefcount  ref_count;
  guint            parties;
  guint            count;       /* tasks inside wait(), past the entry check */
  guint            next_index;  /* of the round being filled */
  GArray          *free_indices;   /* given up by waiters cancelled while filling */
  BarrierState     state;
  GQueue           waiters;     /* everyone parked, for either reason */
  BridgeLoop      *loop;
};

G_DEFINE_BOXED_TYPE (BridgeBarrier, bridge_barrier, bridge_barrier_ref, bridge_barrier_unref)

/**
 * bridge_barrier_new: (constructor)
 * @parties: how many tasks must wait before all are released; at least 1
 *
 * Creates a barrier (`asyncio.Barrier(parties)`).
 *
 * Returns: (transfer full): a new [struct@Bridge.Barrier]
 *
 * Since: 0.1
 */
BridgeBarrier *
bridge_barrier_new (guint parties)
{
  BridgeBarrier *barrier;

  g_return_val_if_fail (parties > 0, NULL);

  barrier = g_new0 (BridgeBarrier, 1);
  g_atomic_ref_count_init (&barrier->ref_count);
  barrier->parties = parties;
  barrier->state = STATE_FILLING;
  g_queue_init (&barrier->waiters);
  return barrier;
}

/**
 * bridge_barrier_ref:
 * @barrier: a [struct@Bridge.Barrier]
 *
 * Takes a reference on @barrier.
 *
 * Returns: (transfer full): @barrier, with one more reference
 *
 * Since: 0.1
 */
BridgeBarrier *
bridge_barrier_ref (BridgeBarrier *barrier)
{
  g_return_val_if_fail (barrier != NULL, NULL);

  g_atomic_ref_count_inc (&barrier->ref_count);
  return barrier;
}

/**
 * bridge_barrier_unref:
 * @barrier: (transfer full): a [struct@Bridge.Barrier]
 *
 * Drops a reference. Waiting tasks hold one.
 *
 * Since: 0.1
 */
void
bridge_barrier_unref (BridgeBarrier *barrier)
{
  g_return_if_fail (barrier != NULL);

  if (!g_atomic_ref_count_dec (&barrier->ref_count))
    return;

  _bridge_waiter_queue_clear (&barrier->waiters);
  g_clear_object (&barrier->loop);
  g_clear_pointer (&barrier->free_indices, g_array_unref);
  g_free (barrier);
}

/* notify_all(): every parked task re-checks the state when it runs. */
static void
wake_all (BridgeBarrier *barrier)
{
  for (GList *l = barrier->waiters.head; l != NULL; l = l->next)
    _bridge_waiter_wake (l->data);
}

static gboolean
park (BridgeBarrier  *barrier,
      BridgeTask     *task,
      GError        **error)
{
  BridgeWaiter *waiter = NULL;
  gboolean ok;

  ok = _bridge_waiter_wait (&barrier->waiters, task, &waiter, error);
  _bridge_waiter_unlink (&barrier->waiters, waiter);
  bridge_future_unref (BRIDGE_FUTURE (waiter));
  return ok;
}

/* The last task out of a round refills the barrier and lets in whoever
 * waits for the next round. */
static void
start_round (BridgeBarrier *barrier)
{
  barrier->state = STATE_FILLING;
  barrier->next_index = 0;
  if (barrier->free_indices != NULL)
    g_array_set_size (barrier->free_indices, 0);
}

/* Each party of a round gets its own index, from 0 to parties - 1, even when
 * waiters before it were cancelled: their indices are handed out again. */
static guint
take_index (BridgeBarrier *barrier)
{
  if (barrier->free_indices != NULL && barrier->free_indices->len > 0)
    {
      guint index = g_array_index (barrier->free_indices, guint, barrier->free_indices->len - 1);

      g_array_set_size (barrier->free_indices, barrier->free_indices->len - 1);
      return index;
    }
  return barrier->next_index++;
}

static void
give_back_index (BridgeBarrier *barrier,
                 guint          index)
{
  if (barrier->free_indices == NULL)
    barrier->free_indices = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_val (barrier->free_indices, index);
}

static void
leave (BridgeBarrier *barrier)
{
  barrier->count--;
  if (barrier->count == 0)
    {
      if (barrier->state == STATE_RESETTING || barrier->state == STATE_DRAINING)
        start_round (barrier);
      wake_all (barrier);
    }
}

/**
 * bridge_barrier_wait:
 * @barrier: a [struct@Bridge.Barrier]
 * @out_index: (out) (optional): the task's index in this round, from 0 to
 *   @parties - 1 in order of arrival
 * @error: return location for %BRIDGE_ERROR_BROKEN_BARRIER,
 *   %G_IO_ERROR_CANCELLED, or %BRIDGE_ERROR_INVALID_STATE when called
 *   outside a task or from a loop other than the one the barrier is bound to
 *
 * Waits until @parties tasks are waiting, then returns in all of them
 * (`await barrier.wait()`). The task that completes the round returns
 * without suspending.
 *
 * Fails with %BRIDGE_ERROR_BROKEN_BARRIER if the barrier is broken, or is
 * reset or aborted while the task waits. A task cancelled while it waits
 * leaves the round (the count of waiting tasks drops by one) and gives its
 * index to the next task to arrive, so the parties of a round always have
 * distinct indices (CPython 3.11 hands out a repeated one there, against
 * its own documentation).
 *
 * Returns: %TRUE if the round completed
 *
 * Since: 0.1
 */
gboolean
bridge_barrier_wait (BridgeBarrier  *barrier,
                     guint          *out_index,
                     GError        **error)
{
  BridgeTask *task;
  guint index;
  gboolean ok = TRUE;

  g_return_val_if_fail (barrier != NULL, FALSE);

  if (G_UNLIKELY ((task = _bridge_waiter_get_task (G_STRFUNC, error)) == NULL))
    return FALSE;

  if (!_bridge_waiter_bind_loop (&barrier->loop, task, "Barrier", error))
    return FALSE;

  bridge_barrier_ref (barrier);

  /* Wait while the previous round drains or a reset completes. */
  while (barrier->state == STATE_DRAINING || barrier->state == STATE_RESETTING)
    {
      if (!park (barrier, task, error))
        {
          bridge_barrier_unref (barrier);
          return FALSE;
        }
    }

  if (barrier->state == STATE_BROKEN)
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_BROKEN_BARRIER, "Barrier aborted");
      bridge_barrier_unref (barrier);
      return FALSE;
    }

  index = take_index (barrier);
  if (++barrier->count == barrier->parties)
    {
      /* The round is complete: release everyone; newcomers wait for the
       * drain. */
      barrier->state = STATE_DRAINING;
      wake_all (barrier);
    }
  else
    {
      while (ok && barrier->state == STATE_FILLING)
        ok = park (barrier, task, error);

      /* Cancelled while the round was still filling: this party never
       * counted, so its index goes to the next one to arrive. */
      if (!ok && barrier->state == STATE_FILLING)
        give_back_index (barrier, index);

      if (ok && (barrier->state == STATE_BROKEN || barrier->state == STATE_RESETTING))
        {
          g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_BROKEN_BARRIER,
                               "Abort or reset of barrier");
          ok = FALSE;
        }
    }

  leave (barrier);
  bridge_barrier_unref (barrier);

  if (ok && out_index != NULL)
    *out_index = index;
  return ok;
}

/**
 * bridge_barrier_reset:
 * @barrier: a [struct@Bridge.Barrier]
 *
 * Returns the barrier to its empty state (`await barrier.reset()`): tasks
 * waiting in it now fail with %BRIDGE_ERROR_BROKEN_BARRIER, and once they
 * have left the barrier fills again. Also repairs a broken barrier. Never
 * suspends (asyncio's is a coroutine only because it takes its condition's
 * lock).
 *
 * Since: 0.1
 */
void
bridge_barrier_reset (BridgeBarrier *barrier)
{
  g_return_if_fail (barrier != NULL);

  if (barrier->count > 0)
    barrier->state = STATE_RESETTING;
  else
    start_round (barrier);
  wake_all (barrier);
}

/**
 * bridge_barrier_abort:
 * @barrier: a [struct@Bridge.Barrier]
 *
 * Breaks the barrier (`await barrier.abort()`): tasks waiting now and every
 * later [method@Bridge.Barrier.wait] fail with
 * %BRIDGE_ERROR_BROKEN_BARRIER, until [method@Bridge.Barrier.reset]. Never
 * suspends.
 *
 * Since: 0.1
 */
void
bridge_barrier_abort (BridgeBarrier *barrier)
{
  g_return_if_fail (barrier != NULL);

  barrier->state = STATE_BROKEN;
  wake_all (barrier);
}

/**
 * bridge_barrier_get_parties:
 * @barrier: a [struct@Bridge.Barrier]
 *
 * Reads the number of tasks a round of @barrier waits for.
 *
 * Returns: how many tasks make a round (`barrier.parties`)
 *
 * Since: 0.1
 */
guint
bridge_barrier_get_parties (BridgeBarrier *barrier)
{
  g_return_val_if_fail (barrier != NULL, 0);

  return barrier->parties;
}

/**
 * bridge_barrier_get_n_waiting:
 * @barrier: a [struct@Bridge.Barrier]
 *
 * Counts the tasks parked in [method@Bridge.Barrier.wait] for the current
 * round.
 *
 * Returns: how many tasks wait for the current round to fill
 *   (`barrier.n_waiting`); 0 while it drains, resets or is broken
 *
 * Since: 0.1
 */
guint
bridge_barrier_get_n_waiting (BridgeBarrier *barrier)
{
  g_return_val_if_fail (barrier != NULL, 0);

  return barrier->state == STATE_FILLING ? barrier->count : 0;
}

/**
 * bridge_barrier_is_broken:
 * @barrier: a [struct@Bridge.Barrier]
 *
 * Tells whether @barrier was aborted with [method@Bridge.Barrier.abort].
 *
 * Returns: whether the barrier was aborted (`barrier.broken`)
 *
 * Since: 0.1
 */
gboolean
bridge_barrier_is_broken (BridgeBarrier *barrier)
{
  g_return_val_if_fail (barrier != NULL, FALSE);

  return barrier->state == STATE_BROKEN;
}
