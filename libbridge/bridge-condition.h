/* bridge-condition.h
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

#include "bridge-lock.h"
#include "bridge-types.h"

G_BEGIN_DECLS

#define BRIDGE_TYPE_CONDITION (bridge_condition_get_type ())

typedef struct _BridgeCondition BridgeCondition;

/**
 * BridgeConditionPredicate:
 * @user_data: the data given to [method@Bridge.Condition.wait_for]
 *
 * A predicate checked with the condition's lock held.
 *
 * Returns: %TRUE when the awaited state is reached
 *
 * Since: 0.1
 */
typedef gboolean (*BridgeConditionPredicate) (gpointer user_data);

BRIDGE_AVAILABLE_IN_ALL
GType             bridge_condition_get_type    (void) G_GNUC_CONST;
BRIDGE_AVAILABLE_IN_ALL
BridgeCondition  *bridge_condition_new         (BridgeLock                *lock) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeCondition  *bridge_condition_ref         (BridgeCondition           *condition);
BRIDGE_AVAILABLE_IN_ALL
void              bridge_condition_unref       (BridgeCondition           *condition);
BRIDGE_AVAILABLE_IN_ALL
BridgeLock       *bridge_condition_get_lock    (BridgeCondition           *condition);
BRIDGE_AVAILABLE_IN_ALL
gboolean          bridge_condition_acquire     (BridgeCondition           *condition,
                                                GError                   **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean          bridge_condition_release     (BridgeCondition           *condition,
                                                GError                   **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean          bridge_condition_is_locked   (BridgeCondition           *condition);
BRIDGE_AVAILABLE_IN_ALL
gboolean          bridge_condition_wait        (BridgeCondition           *condition,
                                                GError                   **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean          bridge_condition_wait_for    (BridgeCondition           *condition,
                                                BridgeConditionPredicate   predicate,
                                                gpointer                   user_data,
                                                GError                   **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean          bridge_condition_notify      (BridgeCondition           *condition,
                                                guint                      n,
                                                GError                   **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean          bridge_condition_notify_all  (BridgeCondition           *condition,
                                                GError                   **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeCondition, bridge_condition_unref)

G_END_DECLS
