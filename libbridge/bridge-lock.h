/* bridge-lock.h
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

#define BRIDGE_TYPE_LOCK (bridge_lock_get_type ())

typedef struct _BridgeLock BridgeLock;

BRIDGE_AVAILABLE_IN_ALL
GType        bridge_lock_get_type  (void) G_GNUC_CONST;
BRIDGE_AVAILABLE_IN_ALL
BridgeLock  *bridge_lock_new       (void) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeLock  *bridge_lock_ref       (BridgeLock  *lock);
BRIDGE_AVAILABLE_IN_ALL
void         bridge_lock_unref     (BridgeLock  *lock);
BRIDGE_AVAILABLE_IN_ALL
gboolean     bridge_lock_acquire   (BridgeLock  *lock,
                                    GError     **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean     bridge_lock_release   (BridgeLock  *lock,
                                    GError     **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean     bridge_lock_is_locked (BridgeLock  *lock);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeLock, bridge_lock_unref)

G_END_DECLS
