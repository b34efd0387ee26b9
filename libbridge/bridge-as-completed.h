/* bridge-as-completed.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_INSIDE) && !defined (BRIDGE_COMPILATION)
# error "Only <libbridge.h> can be included directly."
#endif

#include <glib.h>

#include "bridge-types.h"

G_BEGIN_DECLS

typedef struct _BridgeAsCompleted BridgeAsCompleted;

BRIDGE_AVAILABLE_IN_ALL
BridgeAsCompleted *bridge_as_completed_new           (BridgeFuture       **futures,
                                                      guint                n_futures,
                                                      double               timeout) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeFuture      *bridge_as_completed_next          (BridgeAsCompleted   *iter,
                                                      GError             **error);
BRIDGE_AVAILABLE_IN_ALL
guint              bridge_as_completed_get_remaining (BridgeAsCompleted   *iter);
BRIDGE_AVAILABLE_IN_ALL
void               bridge_as_completed_free          (BridgeAsCompleted   *iter);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeAsCompleted, bridge_as_completed_free)

G_END_DECLS
