/* bridge-run.h
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

BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_run       (BridgeTaskFunc   func,
                                 gpointer         user_data,
                                 GError         **error);
BRIDGE_AVAILABLE_IN_ALL
BridgeFuture  *bridge_run_full  (const char      *name,
                                 BridgeTaskFunc   func,
                                 gpointer         user_data,
                                 GDestroyNotify   destroy,
                                 GError         **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
