/* bridge-server.h
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

/**
 * BridgeConnectionFunc: (skip)
 * @task: the task serving this connection
 * @connection: the accepted connection; it is closed when the function
 *   returns, unless it was closed already
 * @user_data: the data given to [func@Bridge.start_server]
 *
 * Serves one client of a [class@Bridge.Server], as the `client_connected_cb`
 * of `asyncio.start_server()` does. It runs in a task of its own.
 *
 * It runs on the task's fiber, so it is always C: this type is not
 * introspectable, and neither are [func@Bridge.start_server] and
 * [func@Bridge.start_unix_server].
 *
 * Since: 0.1
 */
typedef void (*BridgeConnectionFunc) (BridgeTask        *task,
                                      GSocketConnection *connection,
                                      gpointer           user_data);

#define BRIDGE_TYPE_SERVER (bridge_server_get_type ())

BRIDGE_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BridgeServer, bridge_server, BRIDGE, SERVER, GObject)

BRIDGE_AVAILABLE_IN_ALL
BridgeServer       *bridge_start_server             (const char            *address,
                                                     guint16                port,
                                                     BridgeConnectionFunc   handler,
                                                     gpointer               user_data,
                                                     GDestroyNotify         destroy,
                                                     GError               **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeServer       *bridge_start_unix_server        (const char            *path,
                                                     BridgeConnectionFunc   handler,
                                                     gpointer               user_data,
                                                     GDestroyNotify         destroy,
                                                     GError               **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
guint16             bridge_server_get_port          (BridgeServer          *server);
BRIDGE_AVAILABLE_IN_ALL
GSocketAddress     *bridge_server_get_address       (BridgeServer          *server);
BRIDGE_AVAILABLE_IN_ALL
gboolean            bridge_server_is_serving        (BridgeServer          *server);
BRIDGE_AVAILABLE_IN_ALL
guint               bridge_server_get_n_connections (BridgeServer          *server);
BRIDGE_AVAILABLE_IN_ALL
void                bridge_server_close             (BridgeServer          *server);
BRIDGE_AVAILABLE_IN_ALL
gboolean            bridge_server_wait_closed       (BridgeServer          *server,
                                                     GError               **error);
BRIDGE_AVAILABLE_IN_ALL
GSocketConnection  *bridge_open_connection          (const char            *host,
                                                     guint16                port,
                                                     GError               **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
GSocketConnection  *bridge_open_unix_connection     (const char            *path,
                                                     GError               **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
