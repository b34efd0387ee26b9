/* dl-format.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "dl-download.h"

G_BEGIN_DECLS

char   *dl_format_size         (gint64          bytes) G_GNUC_WARN_UNUSED_RESULT;
char   *dl_format_size_iec     (gint64          bytes) G_GNUC_WARN_UNUSED_RESULT;
char   *dl_format_clock        (gint64          seconds) G_GNUC_WARN_UNUSED_RESULT;
char   *dl_format_speed        (double          bytes_per_second) G_GNUC_WARN_UNUSED_RESULT;
char   *dl_format_time_left    (gint64          seconds) G_GNUC_WARN_UNUSED_RESULT;
char   *dl_format_duration     (gint64          usec) G_GNUC_WARN_UNUSED_RESULT;
char   *dl_format_host         (const char     *url) G_GNUC_WARN_UNUSED_RESULT;
char   *dl_format_display_name (DlDownload     *download) G_GNUC_WARN_UNUSED_RESULT;
char   *dl_format_reason       (DlDownload     *download) G_GNUC_WARN_UNUSED_RESULT;
char   *dl_format_status       (DlDownload     *download,
                                gint64          now) G_GNUC_WARN_UNUSED_RESULT;
GStrv   dl_parse_links         (const char     *text,
                                GStrv          *rejected) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
