/* dl-cookies.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * DL_COOKIES_MAX_FILE_SIZE:
 *
 * The largest cookies.txt read, in bytes: a browser's whole jar is far
 * smaller, and a larger "cookies file" is a mistake, not cookies.
 */
#define DL_COOKIES_MAX_FILE_SIZE (16 * 1024 * 1024)

typedef struct _DlCookies DlCookies;

DlCookies  *dl_cookies_new              (void) G_GNUC_WARN_UNUSED_RESULT;
void        dl_cookies_free             (DlCookies   *self);
guint       dl_cookies_add_from_text    (DlCookies   *self,
                                         const char  *text,
                                         gssize       length);
gboolean    dl_cookies_add_from_file    (DlCookies   *self,
                                         const char  *path,
                                         GError     **error);
guint       dl_cookies_get_n_cookies    (DlCookies   *self);
guint       dl_cookies_get_n_skipped    (DlCookies   *self);
char       *dl_cookies_build_header     (DlCookies   *self,
                                         GUri        *uri,
                                         gint64       now_unix) G_GNUC_WARN_UNUSED_RESULT;
char       *dl_cookies_build_header_for_url (DlCookies   *self,
                                             const char  *url,
                                             gint64       now_unix) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlCookies, dl_cookies_free)

G_END_DECLS
