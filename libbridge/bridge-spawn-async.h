/* bridge-spawn-async.h
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
void         bridge_spawn_async           (gpointer              source_object,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data,
                                           BridgeTaskFunc        func,
                                           gpointer              data,
                                           GDestroyNotify        destroy);
BRIDGE_AVAILABLE_IN_ALL
gboolean     bridge_spawn_finish          (GAsyncResult         *result,
                                           GValue               *value,
                                           GError              **error);
BRIDGE_AVAILABLE_IN_ALL
gpointer     bridge_spawn_finish_object   (GAsyncResult         *result,
                                           GError              **error);
BRIDGE_AVAILABLE_IN_ALL
gpointer     bridge_spawn_finish_pointer  (GAsyncResult         *result,
                                           GError              **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean     bridge_spawn_finish_boolean  (GAsyncResult         *result,
                                           GError              **error);
BRIDGE_AVAILABLE_IN_ALL
gint64       bridge_spawn_finish_int64    (GAsyncResult         *result,
                                           GError              **error);
BRIDGE_AVAILABLE_IN_ALL
char        *bridge_spawn_finish_string   (GAsyncResult         *result,
                                           GError              **error);

G_END_DECLS
