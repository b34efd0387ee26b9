/* bridge-file.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_INSIDE) && !defined (BRIDGE_COMPILATION)
# error "Only <libbridge.h> can be included directly."
#endif

#include <gio/gio.h>

#include "bridge-types.h"

G_BEGIN_DECLS

BRIDGE_AVAILABLE_IN_ALL
GFileInputStream   *bridge_file_read              (GFile                *file,
                                                   int                   io_priority,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
GFileOutputStream  *bridge_file_replace           (GFile                *file,
                                                   const char           *etag,
                                                   gboolean              make_backup,
                                                   GFileCreateFlags      flags,
                                                   int                   io_priority,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
GFileOutputStream  *bridge_file_create            (GFile                *file,
                                                   GFileCreateFlags      flags,
                                                   int                   io_priority,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
GFileOutputStream  *bridge_file_append_to         (GFile                *file,
                                                   GFileCreateFlags      flags,
                                                   int                   io_priority,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
GFileInfo          *bridge_file_query_info        (GFile                *file,
                                                   const char           *attributes,
                                                   GFileQueryInfoFlags   flags,
                                                   int                   io_priority,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
gboolean            bridge_file_move              (GFile                *source,
                                                   GFile                *destination,
                                                   GFileCopyFlags        flags,
                                                   int                   io_priority,
                                                   GError              **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean            bridge_file_delete            (GFile                *file,
                                                   int                   io_priority,
                                                   GError              **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean            bridge_file_load_contents     (GFile                *file,
                                                   char                **contents,
                                                   gsize                *length,
                                                   char                **etag_out,
                                                   GError              **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean            bridge_file_replace_contents  (GFile                *file,
                                                   const char           *contents,
                                                   gsize                 length,
                                                   const char           *etag,
                                                   gboolean              make_backup,
                                                   GFileCreateFlags      flags,
                                                   char                **new_etag,
                                                   GError              **error);

G_END_DECLS
