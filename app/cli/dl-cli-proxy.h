/* dl-cli-proxy.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gboolean dl_cli_proxy_from_environment (GProxyResolver **resolver,
                                        GError          **error);

G_END_DECLS
