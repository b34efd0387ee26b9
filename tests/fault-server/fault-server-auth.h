/* fault-server-auth.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The realm both protections name. */
#define FAULT_SERVER_AUTH_REALM "Fault Server"

void      fault_server_auth_install             (SoupServer        *server);
gboolean  fault_server_auth_forbids_credentials (SoupServerMessage *msg,
                                                 GHashTable        *query);

G_END_DECLS
