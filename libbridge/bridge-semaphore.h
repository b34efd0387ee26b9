/* bridge-semaphore.h
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

#define BRIDGE_TYPE_SEMAPHORE (bridge_semaphore_get_type ())

typedef struct _BridgeSemaphore BridgeSemaphore;

BRIDGE_AVAILABLE_IN_ALL
GType             bridge_semaphore_get_type    (void) G_GNUC_CONST;
BRIDGE_AVAILABLE_IN_ALL
BridgeSemaphore  *bridge_semaphore_new         (guint              value,
                                                gboolean           bounded) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeSemaphore  *bridge_semaphore_ref         (BridgeSemaphore   *semaphore);
BRIDGE_AVAILABLE_IN_ALL
void              bridge_semaphore_unref       (BridgeSemaphore   *semaphore);
BRIDGE_AVAILABLE_IN_ALL
gboolean          bridge_semaphore_acquire     (BridgeSemaphore   *semaphore,
                                                GError           **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean          bridge_semaphore_release     (BridgeSemaphore   *semaphore,
                                                GError           **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean          bridge_semaphore_is_locked   (BridgeSemaphore   *semaphore);
BRIDGE_AVAILABLE_IN_ALL
guint             bridge_semaphore_get_value   (BridgeSemaphore   *semaphore);
BRIDGE_AVAILABLE_IN_ALL
gboolean          bridge_semaphore_is_bounded  (BridgeSemaphore   *semaphore);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeSemaphore, bridge_semaphore_unref)

G_END_DECLS
