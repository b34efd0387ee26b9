/* bridge-queue.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_INSIDE) && !defined (BRIDGE_COMPILATION)
# error "Only <libbridge.h> can be included directly."
#endif

#include <glib-object.h>

#include "bridge-types.h"

G_BEGIN_DECLS

#define BRIDGE_TYPE_QUEUE (bridge_queue_get_type ())

typedef struct _BridgeQueue BridgeQueue;

/**
 * BridgeQueueMode:
 * @BRIDGE_QUEUE_FIFO: first in, first out (asyncio's `Queue`)
 * @BRIDGE_QUEUE_LIFO: last in, first out (asyncio's `LifoQueue`)
 * @BRIDGE_QUEUE_PRIORITY: smallest item first by the queue's compare
 *   function, and first in, first out among equal items (asyncio's
 *   `PriorityQueue`)
 *
 * The order in which a [struct@Bridge.Queue] hands out its items.
 *
 * Since: 0.1
 */
typedef enum
{
  BRIDGE_QUEUE_FIFO,
  BRIDGE_QUEUE_LIFO,
  BRIDGE_QUEUE_PRIORITY,
} BridgeQueueMode;

BRIDGE_AVAILABLE_IN_ALL
GType            bridge_queue_get_type      (void) G_GNUC_CONST;
BRIDGE_AVAILABLE_IN_ALL
BridgeQueue     *bridge_queue_new           (guint              maxsize) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeQueue     *bridge_queue_new_full      (BridgeQueueMode    mode,
                                             guint              maxsize,
                                             GCompareDataFunc   compare,
                                             gpointer           compare_data,
                                             GDestroyNotify     item_destroy) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeQueue     *bridge_queue_ref           (BridgeQueue       *queue);
BRIDGE_AVAILABLE_IN_ALL
void             bridge_queue_unref         (BridgeQueue       *queue);
BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_queue_put           (BridgeQueue       *queue,
                                             gpointer           item,
                                             GError           **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_queue_put_nowait    (BridgeQueue       *queue,
                                             gpointer           item,
                                             GError           **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_queue_get           (BridgeQueue       *queue,
                                             gpointer          *out_item,
                                             GError           **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_queue_get_nowait    (BridgeQueue       *queue,
                                             gpointer          *out_item,
                                             GError           **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_queue_task_done     (BridgeQueue       *queue,
                                             GError           **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_queue_join          (BridgeQueue       *queue,
                                             GError           **error);
BRIDGE_AVAILABLE_IN_ALL
void             bridge_queue_shutdown      (BridgeQueue       *queue,
                                             gboolean           immediate);
BRIDGE_AVAILABLE_IN_ALL
guint            bridge_queue_get_size      (BridgeQueue       *queue);
BRIDGE_AVAILABLE_IN_ALL
guint            bridge_queue_get_maxsize   (BridgeQueue       *queue);
BRIDGE_AVAILABLE_IN_ALL
BridgeQueueMode  bridge_queue_get_mode      (BridgeQueue       *queue);
BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_queue_is_empty      (BridgeQueue       *queue);
BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_queue_is_full       (BridgeQueue       *queue);
BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_queue_is_shut_down  (BridgeQueue       *queue);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeQueue, bridge_queue_unref)

G_END_DECLS
