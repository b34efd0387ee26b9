/* bridge-event.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-error.h"
#include "bridge-event.h"
#include "bridge-waiter-private.h"

/**
 * BridgeEvent:
 *
 * A flag tasks can wait for: asyncio's `Event`.
 *
 * [method@Bridge.Event.set] raises the flag and wakes every task waiting in
 * [method@Bridge.Event.wait]; while it is set, waiting returns at once.
 * [method@Bridge.Event.clear] lowers it again. A task that was woken by
 * `set()` returns %TRUE even if the flag was cleared again before it ran.
 *
 * Not thread-safe: use it from the thread of the loop its tasks run on.
 *
 * Since: 0.1
 */
struct _BridgeEvent
{
  gatomicrefcount  ref_count;
  gboolean         value;
  GQueue           waiters;
  BridgeLoop      *loop;
};

G_DEFINE_BOXED_TYPE (BridgeEvent, bridge_event, bridge_event_ref, bridge_event_unref)

/**
 * bridge_event_new: (constructor)
 *
 * Creates an event whose flag is not set (`asyncio.Event()`).
 *
 * Returns: (transfer full): a new [struct@Bridge.Event]
 *
 * Since: 0.1
 */
BridgeEvent *
bridge_event_new (void)
{
  BridgeEvent *event = g_new0 (BridgeEvent, 1);

  g_atomic_ref_count_init (&event->ref_count);
  g_queue_init (&event->waiters);
  return event;
}

/**
 * bridge_event_ref:
 * @event: a [struct@Bridge.Event]
 *
 * Takes a reference on @event.
 *
 * Returns: (transfer full): @event, with one more reference
 *
 * Since: 0.1
 */
BridgeEvent *
bridge_event_ref (BridgeEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);

  g_atomic_ref_count_inc (&event->ref_count);
  return event;
}

/**
 * bridge_event_unref:
 * @event: (transfer full): a [struct@Bridge.Event]
 *
 * Drops a reference. Waiting tasks hold one.
 *
 * Since: 0.1
 */
void
bridge_event_unref (BridgeEvent *event)
{
  g_return_if_fail (event != NULL);

  if (!g_atomic_ref_count_dec (&event->ref_count))
    return;

  _bridge_waiter_queue_clear (&event->waiters);
  g_clear_object (&event->loop);
  g_free (event);
}

/**
 * bridge_event_wait:
 * @event: a [struct@Bridge.Event]
 * @error: return location for %G_IO_ERROR_CANCELLED, or
 *   %BRIDGE_ERROR_INVALID_STATE when called outside a task or from a loop
 *   other than the one the event is bound to
 *
 * Waits until the flag is set (`await event.wait()`). Returns at once,
 * without suspending, if it is set already.
 *
 * Returns: %TRUE once the flag was set, %FALSE if the task was cancelled
 *
 * Since: 0.1
 */
gboolean
bridge_event_wait (BridgeEvent  *event,
                   GError      **error)
{
  BridgeTask *task;
  BridgeWaiter *waiter = NULL;
  gboolean ok;

  g_return_val_if_fail (event != NULL, FALSE);

  if (G_UNLIKELY ((task = _bridge_waiter_get_task (G_STRFUNC, error)) == NULL))
    return FALSE;

  if (event->value)
    return TRUE;

  if (!_bridge_waiter_bind_loop (&event->loop, task, "Event", error))
    return FALSE;

  bridge_event_ref (event);
  ok = _bridge_waiter_wait (&event->waiters, task, &waiter, error);
  _bridge_waiter_unlink (&event->waiters, waiter);
  bridge_future_unref (BRIDGE_FUTURE (waiter));
  bridge_event_unref (event);
  return ok;
}

/**
 * bridge_event_set:
 * @event: a [struct@Bridge.Event]
 *
 * Sets the flag (`event.set()`) and wakes every waiting task; they resume
 * in the order they started waiting. Does nothing if the flag is set
 * already. Never suspends: callable from any code on the loop's thread.
 *
 * Since: 0.1
 */
void
bridge_event_set (BridgeEvent *event)
{
  g_return_if_fail (event != NULL);

  if (event->value)
    return;

  event->value = TRUE;
  /* Waiters leave the queue themselves when they resume. */
  for (GList *l = event->waiters.head; l != NULL; l = l->next)
    _bridge_waiter_wake (l->data);
}

/**
 * bridge_event_clear:
 * @event: a [struct@Bridge.Event]
 *
 * Lowers the flag (`event.clear()`): later waits block until the next
 * [method@Bridge.Event.set].
 *
 * Since: 0.1
 */
void
bridge_event_clear (BridgeEvent *event)
{
  g_return_if_fail (event != NULL);

  event->value = FALSE;
}

/**
 * bridge_event_is_set:
 * @event: a [struct@Bridge.Event]
 *
 * Tells whether the flag of @event is set.
 *
 * Returns: whether the flag is set (`event.is_set()`)
 *
 * Since: 0.1
 */
gboolean
bridge_event_is_set (BridgeEvent *event)
{
  g_return_val_if_fail (event != NULL, FALSE);

  return event->value;
}
