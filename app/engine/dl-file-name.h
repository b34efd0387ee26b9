/* dl-file-name.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * DL_FILE_NAME_MAX:
 *
 * The longest name, in bytes, that the sanitiser returns. It leaves room for
 * the `.part` suffix inside the kernel's 255-byte `NAME_MAX`, so the partial
 * file of any name we choose can always be created.
 */
#define DL_FILE_NAME_MAX 250

/**
 * DL_FILE_NAME_FALLBACK:
 *
 * The name used when nothing usable is left of the server's or the URL's.
 */
#define DL_FILE_NAME_FALLBACK "download"

/**
 * DL_FILE_NAME_PART_SUFFIX:
 *
 * The suffix of a file still being downloaded.
 */
#define DL_FILE_NAME_PART_SUFFIX ".part"

char     *dl_file_name_sanitize                  (const char   *name,
                                                  gssize        length) G_GNUC_WARN_UNUSED_RESULT;
char     *dl_file_name_from_content_disposition  (const char   *header_value) G_GNUC_WARN_UNUSED_RESULT;
char     *dl_file_name_from_url                  (const char   *url) G_GNUC_WARN_UNUSED_RESULT;
char     *dl_file_name_choose                    (const char   *content_disposition,
                                                  const char   *url) G_GNUC_WARN_UNUSED_RESULT;
char     *dl_file_name_with_index                (const char   *name,
                                                  guint         index) G_GNUC_WARN_UNUSED_RESULT;
char     *dl_file_name_part_name                 (const char   *name) G_GNUC_WARN_UNUSED_RESULT;
gboolean  dl_file_name_is_safe                   (const char   *name);

int       dl_file_name_open_dir                  (const char   *path,
                                                  GError      **error);
int       dl_file_name_create_part               (int           dirfd,
                                                  const char   *name,
                                                  char        **out_name,
                                                  GError      **error);
int       dl_file_name_open_part                 (int           dirfd,
                                                  const char   *name,
                                                  GError      **error);
gboolean  dl_file_name_remove_part               (int           dirfd,
                                                  const char   *name,
                                                  GError      **error);
gboolean  dl_file_name_rename_part               (int           dirfd,
                                                  const char   *name,
                                                  char        **out_name,
                                                  GError      **error);
gboolean  dl_file_name_commit                    (int           dirfd,
                                                  const char   *name,
                                                  char        **out_name,
                                                  GError      **error);

G_END_DECLS
