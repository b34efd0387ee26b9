/* dl-proxy-resolver-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before dl-proxy-resolver-private.h"
#endif

#include <gio/gio.h>

G_BEGIN_DECLS

/* The manager's proxy resolver: another resolver's answers, with the
 * credentials of HTTP proxies kept apart (see dl-proxy-resolver.c). */
#define DL_TYPE_PROXY_RESOLVER (_dl_proxy_resolver_get_type ())
G_DECLARE_FINAL_TYPE (DlProxyResolver, _dl_proxy_resolver, DL, PROXY_RESOLVER, GObject)

DlProxyResolver *_dl_proxy_resolver_new             (GProxyResolver   *base);
gboolean         _dl_proxy_resolver_dup_credentials (DlProxyResolver  *self,
                                                     const char       *authority,
                                                     char            **user,
                                                     char            **password);

G_END_DECLS
