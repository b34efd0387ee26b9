/* dl-add-request.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * DL_ADD_REQUEST_MAX_URLS:
 *
 * The most URLs one request may add: a page's every link, not a flood.
 */
#define DL_ADD_REQUEST_MAX_URLS 1000

/**
 * DlAddRequest:
 * @urls: the http and https URLs to download, at least one
 * @headers: (nullable): extra request headers, each "Name: value"
 * @referer: (nullable): the page the links were found on
 * @cookies: (nullable): the cookies for them, as the text of a cookies.txt
 * @folder: (nullable): an absolute path to save the files in, instead of
 *   the Downloads folder
 *
 * What another program asks Downloader to fetch: the parameter of the
 * `app.add-downloads` action, and what the browser's native messages
 * carry. Every field has been checked when one exists.
 */
typedef struct
{
  GStrv  urls;
  GStrv  headers;
  char  *referer;
  char  *cookies;
  char  *folder;
} DlAddRequest;

DlAddRequest *dl_add_request_new_from_variant  (GVariant      *options,
                                                GError       **error) G_GNUC_WARN_UNUSED_RESULT;
GVariant     *dl_add_request_to_variant        (DlAddRequest  *self);
gboolean      dl_add_request_is_reserved_header (const char *name);
void          dl_add_request_free              (DlAddRequest  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlAddRequest, dl_add_request_free)

G_END_DECLS
