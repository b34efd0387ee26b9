/* bridge-stream.h
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
GBytes    *bridge_input_stream_read_bytes         (GInputStream   *stream,
                                                   gsize           count,
                                                   int             io_priority,
                                                   GError        **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
gboolean   bridge_input_stream_read_all           (GInputStream   *stream,
                                                   void           *buffer,
                                                   gsize           count,
                                                   int             io_priority,
                                                   gsize          *bytes_read,
                                                   GError        **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean   bridge_input_stream_close              (GInputStream   *stream,
                                                   int             io_priority,
                                                   GError        **error);
BRIDGE_AVAILABLE_IN_ALL
gssize     bridge_output_stream_write_bytes       (GOutputStream  *stream,
                                                   GBytes         *bytes,
                                                   int             io_priority,
                                                   GError        **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean   bridge_output_stream_write_all         (GOutputStream  *stream,
                                                   const void     *buffer,
                                                   gsize           count,
                                                   int             io_priority,
                                                   gsize          *bytes_written,
                                                   GError        **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean   bridge_output_stream_write_all_bytes   (GOutputStream  *stream,
                                                   GBytes         *bytes,
                                                   int             io_priority,
                                                   gsize          *bytes_written,
                                                   GError        **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean   bridge_output_stream_flush             (GOutputStream  *stream,
                                                   int             io_priority,
                                                   GError        **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean   bridge_output_stream_close             (GOutputStream  *stream,
                                                   int             io_priority,
                                                   GError        **error);

G_END_DECLS
