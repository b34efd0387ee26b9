/* dl-http-auth-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before dl-http-auth-private.h"
#endif

#include <libbridge.h>
#include <libsoup/soup.h>

#include "dl-download.h"
#include "dl-manager.h"

G_BEGIN_DECLS

typedef struct _DlHttpAuth DlHttpAuth;

/* What to do with a response, as far as authentication goes. */
typedef enum
{
  DL_HTTP_AUTH_PASS,    /* not about authentication: handle it as usual */
  DL_HTTP_AUTH_RESEND,  /* credentials are there now: send the request again */
  DL_HTTP_AUTH_FAILED,  /* none, or refused (or cancelled): the error says */
} DlHttpAuthVerdict;

DlHttpAuth        *_dl_http_auth_new      (DlManager      *manager,
                                           DlDownload     *download);
void               _dl_http_auth_free     (DlHttpAuth     *self);
GUri              *_dl_http_auth_get_uri  (DlHttpAuth     *self,
                                           GError        **error) G_GNUC_WARN_UNUSED_RESULT;
void               _dl_http_auth_prepare  (DlHttpAuth     *self,
                                           SoupMessage    *msg);
DlHttpAuthVerdict  _dl_http_auth_check    (DlHttpAuth     *self,
                                           SoupMessage    *msg,
                                           BridgeTimeout  *scope,
                                           double          timeout,
                                           GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlHttpAuth, _dl_http_auth_free)

G_END_DECLS
