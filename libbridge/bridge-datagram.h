/* bridge-datagram.h
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
GBytes    *bridge_socket_receive_from  (GSocket          *socket,
                                        gsize             max_size,
                                        GSocketAddress  **address,
                                        GError          **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
gboolean   bridge_socket_send_to       (GSocket          *socket,
                                        GSocketAddress   *address,
                                        GBytes           *data,
                                        GError          **error);

G_END_DECLS
