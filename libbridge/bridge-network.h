/* bridge-network.h
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
GSocketConnection  *bridge_socket_client_connect_to_host  (GSocketClient  *client,
                                                           const char     *host_and_port,
                                                           guint16         default_port,
                                                           GError        **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
GList              *bridge_resolver_lookup_by_name        (GResolver      *resolver,
                                                           const char     *hostname,
                                                           GError        **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
