/* fault-server.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A local HTTP(S) server whose misbehaviour is chosen per URL by query
 * parameters; see the comment block at the top of fault-server.c (or
 * `bridge-fault-server --help`) for the list. */
typedef struct _FaultServer FaultServer;

/* Serves http://127.0.0.1:PORT/ (or https with the bundled test certificate
 * when @tls) on the thread-default main context of the caller, which must
 * iterate that context for requests to be served. */
FaultServer *fault_server_new                 (gboolean      tls,
                                               GError      **error);

/* Same, but the server runs in a thread of its own with its own
 * GMainContext, so a client that blocks its thread cannot stall it. */
FaultServer *fault_server_new_in_thread       (gboolean      tls,
                                               GError      **error);

/* Everything: @port 0 picks a free port; TLS is on when @cert_file is set
 * (@key_file may be NULL when the key is in @cert_file). */
FaultServer *fault_server_new_full            (guint         port,
                                               const char   *cert_file,
                                               const char   *key_file,
                                               gboolean      in_thread,
                                               GError      **error);

/* Base URI with a trailing slash, e.g. "http://127.0.0.1:40123/". */
const char  *fault_server_get_uri             (FaultServer  *self);
guint        fault_server_get_port            (FaultServer  *self);

/* Requests seen whose query had key=@key; @key NULL counts every request. */
guint        fault_server_get_request_count   (FaultServer  *self,
                                               const char   *key);

/* Client connections currently open (accepted and not yet closed). */
guint        fault_server_get_open_connections (FaultServer *self);

/* The most client connections that were open at once, as seen by requests
 * (a connection counts once a request arrives on it). */
guint        fault_server_get_max_open_connections (FaultServer *self);

void         fault_server_free                (FaultServer  *self);

/* The deterministic body: byte i of the body for seed S is
 *   x = (S * 0xD1B54A32D192ED03 + (i >> 3) * 0x9E3779B97F4A7C15 + 1) mod 2^64
 *   x ^= x >> 32; x *= 0xD6E8FEB86659FD93;
 *   x ^= x >> 32; x *= 0xD6E8FEB86659FD93;
 *   x ^= x >> 32;
 *   byte = (x >> (8 * (i & 7))) & 0xff
 * (all arithmetic modulo 2^64). Fills @buf with bytes @offset … @offset+@len-1. */
void         fault_server_fill_body           (guint64       seed,
                                               guint64       offset,
                                               guint8       *buf,
                                               gsize         len);

/* Lower-case hex SHA-256 of the whole body of @size bytes for @seed. */
char        *fault_server_body_sha256         (guint64       seed,
                                               guint64       size);

/* Paths of the bundled self-signed test certificate (CN=localhost, SAN
 * localhost and 127.0.0.1) and its key, for clients that must trust it. */
const char  *fault_server_get_test_cert_file  (void);
const char  *fault_server_get_test_key_file   (void);

/* Help text listing every query parameter (also printed by --help). */
const char  *fault_server_get_help            (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FaultServer, fault_server_free)

G_END_DECLS
