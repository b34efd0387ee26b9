/* bridge-handle.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_INSIDE) && !defined (BRIDGE_COMPILATION)
# error "Only <libbridge.h> can be included directly."
#endif

#include "bridge-types.h"

G_BEGIN_DECLS

#define BRIDGE_TYPE_HANDLE (bridge_handle_get_type ())

BRIDGE_AVAILABLE_IN_ALL
GType         bridge_handle_get_type      (void) G_GNUC_CONST;
BRIDGE_AVAILABLE_IN_ALL
BridgeHandle *bridge_handle_ref           (BridgeHandle *handle);
BRIDGE_AVAILABLE_IN_ALL
void          bridge_handle_unref         (BridgeHandle *handle);
BRIDGE_AVAILABLE_IN_ALL
void          bridge_handle_cancel        (BridgeHandle *handle);
BRIDGE_AVAILABLE_IN_ALL
gboolean      bridge_handle_is_cancelled  (BridgeHandle *handle);
BRIDGE_AVAILABLE_IN_ALL
double        bridge_handle_get_when      (BridgeHandle *handle);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeHandle, bridge_handle_unref)

G_END_DECLS
