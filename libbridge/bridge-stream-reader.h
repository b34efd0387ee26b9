/* bridge-stream-reader.h
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

/**
 * BRIDGE_STREAM_READER_DEFAULT_CHUNK_SIZE:
 *
 * The chunk size [ctor@Bridge.StreamReader.new] uses when given 0: 64 KiB.
 *
 * Since: 0.1
 */
#define BRIDGE_STREAM_READER_DEFAULT_CHUNK_SIZE (64 * 1024)

#define BRIDGE_TYPE_STREAM_READER (bridge_stream_reader_get_type ())

BRIDGE_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BridgeStreamReader, bridge_stream_reader, BRIDGE, STREAM_READER, GObject)

BRIDGE_AVAILABLE_IN_ALL
BridgeStreamReader  *bridge_stream_reader_new             (GInputStream        *stream,
                                                           gsize                chunk_size) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
GBytes              *bridge_stream_reader_next            (BridgeStreamReader  *reader,
                                                           GError             **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
GInputStream        *bridge_stream_reader_get_stream      (BridgeStreamReader  *reader);
BRIDGE_AVAILABLE_IN_ALL
gsize                bridge_stream_reader_get_chunk_size  (BridgeStreamReader  *reader);
BRIDGE_AVAILABLE_IN_ALL
guint64              bridge_stream_reader_get_bytes_read  (BridgeStreamReader  *reader);
BRIDGE_AVAILABLE_IN_ALL
gboolean             bridge_stream_reader_is_at_end       (BridgeStreamReader  *reader);

G_END_DECLS
