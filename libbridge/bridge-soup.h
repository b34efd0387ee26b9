/* bridge-soup.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_INSIDE) && !defined (BRIDGE_COMPILATION)
# error "Only <libbridge.h> can be included directly."
#endif

#include <libsoup/soup.h>

#include "bridge-types.h"

G_BEGIN_DECLS

BRIDGE_AVAILABLE_IN_ALL
GInputStream  *bridge_soup_session_send           (SoupSession  *session,
                                                   SoupMessage  *msg,
                                                   int           io_priority,
                                                   GError      **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
GBytes        *bridge_soup_session_send_and_read  (SoupSession  *session,
                                                   SoupMessage  *msg,
                                                   int           io_priority,
                                                   GError      **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
