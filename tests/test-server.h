/* test-server.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* ---- a port nobody answers ------------------------------------------------------
 *
 * A listening socket with a backlog of zero whose accept queue is already
 * full: the kernel drops further SYNs, so a connect() to it hangs (until the
 * TCP retries give up, minutes later). Stands in for an unreachable host
 * without touching the network. No libsoup needed. */

typedef struct _TestBlackhole TestBlackhole;

TestBlackhole  *test_blackhole_new       (void);
guint16         test_blackhole_get_port  (TestBlackhole  *self);
void            test_blackhole_free      (TestBlackhole  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestBlackhole, test_blackhole_free)

/* ---- the SoupServer -----------------------------------------------------------------
 *
 * Listens on 127.0.0.1 in the thread-default main context of its creator
 * (create it inside a task, so it is the task's loop). Paths:
 *
 *   /hello                      "Hello, world!\n"
 *   /bytes/N                    N bytes of test_server_pattern()
 *   /status/CODE                an empty response with that status
 *   /redirect/N                 302 to /redirect/N-1; /redirect/0 says "redirected"
 *   /drip?chunks=C&size=S&interval=MS
 *                               C chunks of S pattern bytes, the first at
 *                               once and the next every MS milliseconds; with
 *                               interval=-1 only the first chunk is sent and
 *                               the response then hangs mid-body
 *   /hang                       reads the request and never answers
 *   /drop?len=N&sent=M          announces N bytes, sends M, closes the connection
 *
 * /drip, /hang and /drop take the connection over from libsoup and keep a
 * read pending on it, so the server notices when the client closes it
 * (TEST_SERVER_CLOSED). */

#define TEST_TYPE_SERVER (test_server_get_type ())
G_DECLARE_FINAL_TYPE (TestServer, test_server, TEST, SERVER, GObject)

typedef enum
{
  TEST_SERVER_REQUESTS,   /* requests handled */
  TEST_SERVER_STOLEN,     /* connections taken over by /drip, /hang, /drop */
  TEST_SERVER_CLOSED,     /* taken-over connections that the client closed */
  TEST_SERVER_N_COUNTERS,
} TestServerCounter;

TestServer  *test_server_new          (void);
char        *test_server_get_uri      (TestServer         *self,
                                       const char         *path_and_query);
guint        test_server_get_count    (TestServer         *self,
                                       TestServerCounter   counter);
gboolean     test_server_await_count  (TestServer         *self,
                                       TestServerCounter   counter,
                                       guint               at_least,
                                       GError            **error);
void         test_server_close        (TestServer         *self);
gboolean     test_server_shutdown     (TestServer         *self,
                                       GError            **error);

/* Byte i of every body is test_server_pattern_byte (i). */
static inline guint8
test_server_pattern_byte (gsize i)
{
  return (guint8) ((i * 7 + i / 251) & 0xff);
}

GBytes      *test_server_pattern      (gsize               offset,
                                       gsize               size);
gboolean     test_server_check_pattern (GBytes            *bytes,
                                        gsize              offset);

G_END_DECLS
