/* dl-file-hash.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

char *dl_file_hash_sha256 (int          fd,
                           const char  *name,
                           GError     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
