/* bridge-async-result.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_INSIDE) && !defined (BRIDGE_COMPILATION)
# error "Only <libbridge.h> can be included directly."
#endif

#include <gio/gio.h>

#include "bridge-types.h"

G_BEGIN_DECLS

BRIDGE_AVAILABLE_IN_ALL
BridgeFuture  *bridge_async_result_future_new  (void) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
void           bridge_async_ready              (GObject       *source_object,
                                                GAsyncResult  *result,
                                                gpointer       user_data);
BRIDGE_AVAILABLE_IN_ALL
GAsyncResult  *bridge_await_async_result       (BridgeFuture  *future,
                                                GError       **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
