/* bridge-waiter-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before bridge-waiter-private.h"
#endif

#include "bridge-future-private.h"
#include "bridge-task.h"

G_BEGIN_DECLS

/* A task parked on a synchronization primitive: one entry of the primitive's
 * FIFO of waiters (asyncio's `_waiters` deque of futures).
 *
 * A waiter is a plain future with its list link inside it, so parking costs
 * one allocation (the future asyncio creates as well) and a cancelled waiter
 * leaves the middle of the queue in O(1) instead of asyncio's O(n)
 * `deque.remove()`. While it is linked, the queue holds a reference. */
typedef struct
{
  BridgeFuture parent;
  GList        link;        /* link.data is the waiter itself */
  guint        queued : 1;
} BridgeWaiter;

BridgeTask *_bridge_waiter_get_task    (const char     *function,
                                        GError        **error);
gboolean    _bridge_waiter_bind_loop   (BridgeLoop    **bound,
                                        BridgeTask     *task,
                                        const char     *what,
                                        GError        **error);
gboolean    _bridge_waiter_wait        (GQueue         *queue,
                                        BridgeTask     *task,
                                        BridgeWaiter  **out_waiter,
                                        GError        **error);
void        _bridge_waiter_unlink      (GQueue         *queue,
                                        BridgeWaiter   *waiter);
void        _bridge_waiter_queue_clear (GQueue         *queue);
gboolean    _bridge_set_misuse         (GError        **error,
                                        int             code,
                                        const char     *format,
                                        ...) G_GNUC_PRINTF (3, 4);

static inline gboolean
_bridge_waiter_is_done (BridgeWaiter *waiter)
{
  return waiter->parent.state != BRIDGE_FUTURE_PENDING;
}

static inline gboolean
_bridge_waiter_is_cancelled (BridgeWaiter *waiter)
{
  return waiter->parent.state == BRIDGE_FUTURE_CANCELLED;
}

/* Resolves a waiter that is still pending (`fut.set_result()` guarded by
 * `if not fut.done()`). Its task resumes from the ready queue. */
static inline gboolean
_bridge_waiter_wake (BridgeWaiter *waiter)
{
  if (waiter->parent.state != BRIDGE_FUTURE_PENDING)
    return FALSE;
  _bridge_future_complete_value (&waiter->parent, NULL, NULL);
  return TRUE;
}

static inline BridgeWaiter *
_bridge_waiter_peek_head (GQueue *queue)
{
  return queue->head != NULL ? queue->head->data : NULL;
}

/* Unlinks the head (`deque.popleft()`); the caller owns the reference. */
static inline BridgeWaiter *
_bridge_waiter_pop_head (GQueue *queue)
{
  GList *link = g_queue_pop_head_link (queue);
  BridgeWaiter *waiter;

  if (link == NULL)
    return NULL;
  waiter = link->data;
  waiter->queued = FALSE;
  return waiter;
}

G_END_DECLS
