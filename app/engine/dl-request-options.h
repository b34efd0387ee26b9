/* dl-request-options.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define DL_TYPE_REQUEST_OPTIONS (dl_request_options_get_type ())

typedef struct _DlRequestOptions DlRequestOptions;

GType             dl_request_options_get_type          (void) G_GNUC_CONST;
DlRequestOptions *dl_request_options_new               (void) G_GNUC_WARN_UNUSED_RESULT;
DlRequestOptions *dl_request_options_new_from_stored   (const char        *headers,
                                                        const char        *cookies,
                                                        const char        *cookies_file) G_GNUC_WARN_UNUSED_RESULT;
DlRequestOptions *dl_request_options_copy              (DlRequestOptions  *self) G_GNUC_WARN_UNUSED_RESULT;
DlRequestOptions *dl_request_options_ref               (DlRequestOptions  *self);
void              dl_request_options_unref             (DlRequestOptions  *self);

gboolean          dl_request_options_add_header        (DlRequestOptions  *self,
                                                        const char        *line,
                                                        GError           **error);
gboolean          dl_request_options_set_user_agent    (DlRequestOptions  *self,
                                                        const char        *user_agent,
                                                        GError           **error);
gboolean          dl_request_options_set_referer       (DlRequestOptions  *self,
                                                        const char        *referer,
                                                        GError           **error);
void              dl_request_options_set_cookies_text  (DlRequestOptions  *self,
                                                        const char        *text);
gboolean          dl_request_options_set_cookies_file  (DlRequestOptions  *self,
                                                        const char        *path,
                                                        GError           **error);
void              dl_request_options_set_cookies_path  (DlRequestOptions  *self,
                                                        const char        *path);

gboolean          dl_request_options_is_empty          (DlRequestOptions  *self);
const char       *dl_request_options_get_header        (DlRequestOptions  *self,
                                                        const char        *name);
char             *dl_request_options_dup_stored_headers (DlRequestOptions *self) G_GNUC_WARN_UNUSED_RESULT;
const char       *dl_request_options_get_cookies_text  (DlRequestOptions  *self);
const char       *dl_request_options_get_cookies_file  (DlRequestOptions  *self);

gboolean          dl_request_options_is_secret_header  (const char        *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlRequestOptions, dl_request_options_unref)

G_END_DECLS
