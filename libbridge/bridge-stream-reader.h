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

/**
 * BRIDGE_STREAM_READER_DEFAULT_LIMIT:
 *
 * The default limit of [method@Bridge.StreamReader.read_line] and
 * [method@Bridge.StreamReader.read_until]: 64 KiB, as asyncio's.
 *
 * Since: 0.1
 */
#define BRIDGE_STREAM_READER_DEFAULT_LIMIT (64 * 1024)

/**
 * BRIDGE_STREAM_ERROR:
 *
 * The error domain of [class@Bridge.StreamReader]'s reads by delimiter and
 * size; see [error@Bridge.StreamError].
 *
 * Since: 0.1
 */
#define BRIDGE_STREAM_ERROR (bridge_stream_error_quark ())

/**
 * BridgeStreamError:
 * @BRIDGE_STREAM_ERROR_INCOMPLETE_READ: the stream ended before the
 *   separator or the number of bytes asked for (asyncio's
 *   `IncompleteReadError`)
 * @BRIDGE_STREAM_ERROR_LIMIT_OVERRUN: no separator within the reader's
 *   limit (asyncio's `LimitOverrunError`)
 *
 * Errors of [method@Bridge.StreamReader.read_until],
 * [method@Bridge.StreamReader.read_line] and
 * [method@Bridge.StreamReader.read_exactly].
 *
 * Since: 0.1
 */
typedef enum
{
  BRIDGE_STREAM_ERROR_INCOMPLETE_READ,
  BRIDGE_STREAM_ERROR_LIMIT_OVERRUN,
} BridgeStreamError;

BRIDGE_AVAILABLE_IN_ALL
GQuark bridge_stream_error_quark (void);

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
BRIDGE_AVAILABLE_IN_ALL
GBytes              *bridge_stream_reader_read_until      (BridgeStreamReader  *reader,
                                                           const guint8        *separator,
                                                           gsize                separator_len,
                                                           GError             **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
GBytes              *bridge_stream_reader_read_line       (BridgeStreamReader  *reader,
                                                           GError             **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
GBytes              *bridge_stream_reader_read_exactly    (BridgeStreamReader  *reader,
                                                           gsize                n,
                                                           GError             **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
GBytes              *bridge_stream_reader_read            (BridgeStreamReader  *reader,
                                                           gssize               n,
                                                           GError             **error) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
void                 bridge_stream_reader_set_limit       (BridgeStreamReader  *reader,
                                                           gsize                limit);
BRIDGE_AVAILABLE_IN_ALL
gsize                bridge_stream_reader_get_limit       (BridgeStreamReader  *reader);

G_END_DECLS
