/* bridge-stream-writer.h
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
 * BRIDGE_STREAM_WRITER_DEFAULT_HIGH_WATER:
 *
 * The buffer size above which [method@Bridge.StreamWriter.drain] waits:
 * 64 KiB, as asyncio's.
 *
 * Since: 0.1
 */
#define BRIDGE_STREAM_WRITER_DEFAULT_HIGH_WATER (64 * 1024)

#define BRIDGE_TYPE_STREAM_WRITER (bridge_stream_writer_get_type ())

BRIDGE_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BridgeStreamWriter, bridge_stream_writer, BRIDGE, STREAM_WRITER, GObject)

BRIDGE_AVAILABLE_IN_ALL
BridgeStreamWriter  *bridge_stream_writer_new                (GOutputStream       *stream) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
GOutputStream       *bridge_stream_writer_get_stream         (BridgeStreamWriter  *writer);
BRIDGE_AVAILABLE_IN_ALL
void                 bridge_stream_writer_write              (BridgeStreamWriter  *writer,
                                                              const guint8        *data,
                                                              gsize                size);
BRIDGE_AVAILABLE_IN_ALL
void                 bridge_stream_writer_write_bytes        (BridgeStreamWriter  *writer,
                                                              GBytes              *bytes);
BRIDGE_AVAILABLE_IN_ALL
gsize                bridge_stream_writer_get_buffer_size    (BridgeStreamWriter  *writer);
BRIDGE_AVAILABLE_IN_ALL
void                 bridge_stream_writer_set_buffer_limits  (BridgeStreamWriter  *writer,
                                                              gsize                high,
                                                              gsize                low);
BRIDGE_AVAILABLE_IN_ALL
gboolean             bridge_stream_writer_drain              (BridgeStreamWriter  *writer,
                                                              GError             **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean             bridge_stream_writer_close              (BridgeStreamWriter  *writer,
                                                              GError             **error);

G_END_DECLS
