/* dl-http-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before dl-http-private.h"
#endif

#include <libsoup/soup.h>

#include "dl-disk-private.h"

G_BEGIN_DECLS

SoupMessage *_dl_http_new_request      (GUri          *uri,
                                        gint64         offset,
                                        const char    *etag,
                                        const char    *last_modified) G_GNUC_WARN_UNUSED_RESULT;
gboolean     _dl_http_is_redirect      (guint          status);
GUri        *_dl_http_follow_redirect  (SoupMessage   *msg,
                                        GUri          *uri,
                                        GHashTable    *visited,
                                        guint          hops,
                                        GError       **error) G_GNUC_WARN_UNUSED_RESULT;
double       _dl_http_parse_retry_after (SoupMessage  *msg,
                                         double        max);
void         _dl_http_set_error        (GError       **error,
                                        SoupMessage   *msg);
gssize       _dl_http_read_into        (GInputStream  *stream,
                                        DlBuffer      *buffer,
                                        gsize          count,
                                        GError       **error);
char        *_dl_http_normalize_proxy_url (const char  *url,
                                           GError     **error) G_GNUC_WARN_UNUSED_RESULT;
GProxyResolver *_dl_http_new_proxy_resolver (const char  *url,
                                             GError     **error) G_GNUC_WARN_UNUSED_RESULT;
void         _dl_http_close_response   (GInputStream  *stream,
                                        gboolean       at_eof,
                                        const char    *url);

G_END_DECLS
