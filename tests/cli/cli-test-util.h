/* cli-test-util.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "fault-server.h"

G_BEGIN_DECLS

/* Upper bound for anything a CLI test waits for: generous, so that a slow
 * machine (or valgrind) passes, and only a hang fails. */
#define CLI_TEST_TIMEOUT_SECONDS 120.0

/* ---- running the CLI ----------------------------------------------------------- */

typedef struct
{
  int     status;     /* exit status, or 128 + the signal that killed it */
  char   *out;        /* everything on stdout */
  char   *err;        /* everything on stderr */
} CliResult;

void        cli_result_free            (CliResult    *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliResult, cli_result_free)

const char *cli_test_get_program       (void);

/* Gives a launcher the test case's isolated HOME and XDG dirs (the
 * environment itself points them at /dev/null). */
void        cli_launcher_set_env       (GSubprocessLauncher *launcher);

/* Runs `bridge-downloader --headless ARGS…` in @cwd (NULL: the test's),
 * with @stdin_data on its standard input (NULL: nothing), until it exits. */
CliResult  *cli_run                    (const char   *cwd,
                                        const char   *stdin_data,
                                        const char   *first_arg,
                                        ...) G_GNUC_NULL_TERMINATED G_GNUC_WARN_UNUSED_RESULT;
CliResult  *cli_runv                   (const char   *cwd,
                                        const char   *stdin_data,
                                        const char * const *args) G_GNUC_WARN_UNUSED_RESULT;
/* The same with @env ("NAME=value", NULL-terminated) added to the
 * environment. */
CliResult  *cli_runv_env               (const char   *cwd,
                                        const char   *stdin_data,
                                        const char * const *env,
                                        const char * const *args) G_GNUC_WARN_UNUSED_RESULT;

/* Starts it without waiting; stdout and stderr go to the files
 * @out_path and @err_path (or are discarded when NULL), so that a long run
 * never blocks on a full pipe. */
GSubprocess *cli_spawn                 (const char   *out_path,
                                        const char   *err_path,
                                        const char * const *args) G_GNUC_WARN_UNUSED_RESULT;

/* Waits for @process to exit, at most @timeout_seconds; returns its status
 * as cli_run() does. */
int          cli_wait                  (GSubprocess  *process,
                                        double        timeout_seconds);

/* ---- checking results ------------------------------------------------------------ */

/* Runs tests/cli/check-json-events.py on @json_lines with @args (NULL
 * terminated); fails the test with the checker's explanation if it
 * disagrees. */
void         cli_check_json            (const char   *json_lines,
                                        const char   *first_arg,
                                        ...) G_GNUC_NULL_TERMINATED;

char        *cli_file_sha256           (const char   *path) G_GNUC_WARN_UNUSED_RESULT;
gint64       cli_file_size             (const char   *path);

/* The file at @path is the fault server's body for @seed and @size. */
void         cli_assert_body           (const char   *path,
                                        guint64       seed,
                                        guint64       size);

/* Polls (every few milliseconds) until @path exists with at least @size
 * bytes, or @process exits, or the bound expires; returns the size seen. */
gint64       cli_wait_for_size         (const char   *path,
                                        gint64        size,
                                        GSubprocess  *process,
                                        double        timeout_seconds);

/* ---- a sniffing proxy ------------------------------------------------------------- */

/* A TCP relay in front of the fault server that records the Range header of
 * every request and counts the bytes sent back: evidence, from the
 * server's side of the wire, that a re-run resumed instead of starting over.
 * As an HTTP proxy it also answers a CONNECT (an https URL) with a tunnel to
 * the fault server, whatever address the CONNECT names. */
/* A loopback port nothing listens on: a URL there is only reached through
 * a proxy. */
guint16      cli_closed_port            (void);

typedef struct _SniffProxy SniffProxy;

SniffProxy  *sniff_proxy_new            (guint16       upstream_port);
/* With @socks5, it is a SOCKS5 proxy (no authentication, CONNECT) whose
 * every connection goes to @upstream_port. */
SniffProxy  *sniff_proxy_new_full       (guint16       upstream_port,
                                         gboolean      socks5);
/* An HTTP proxy listening on ::1. */
SniffProxy  *sniff_proxy_new_ipv6       (guint16       upstream_port);
void         sniff_proxy_free           (SniffProxy   *self);
const char  *sniff_proxy_get_uri        (SniffProxy   *self);
/* Its port (on 127.0.0.1, or ::1), for a proxy URL of another scheme or
 * with user info. */
guint16      sniff_proxy_get_port       (SniffProxy   *self);
/* The Range header of each request so far, in order ("" when there was
 * none). */
GPtrArray   *sniff_proxy_dup_ranges     (SniffProxy   *self) G_GNUC_WARN_UNUSED_RESULT;
/* Each request's head so far (request line and headers, separated by
 * CRLF), in order; "SOCKS5 HOST:PORT" for a SOCKS5 connection's request. */
GPtrArray   *sniff_proxy_dup_heads      (SniffProxy   *self) G_GNUC_WARN_UNUSED_RESULT;
guint64      sniff_proxy_get_bytes_down (SniffProxy   *self);
void         sniff_proxy_reset          (SniffProxy   *self);
void         sniff_proxy_require_credentials (SniffProxy *self,
                                              const char *user,
                                              const char *password);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SniffProxy, sniff_proxy_free)

/* ---- a fault server and a home folder per test ------------------------------- */

typedef struct
{
  FaultServer *server;
  char        *home;      /* the test's $HOME (g_test_init's isolated dirs) */
  char        *out_dir;   /* $HOME/out, not created */
} CliFixture;

static inline void
cli_fixture_setup (CliFixture    *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->server = fault_server_new_in_thread (FALSE, &error);
  g_assert_no_error (error);
  fixture->home = g_strdup (g_get_home_dir ());
  g_assert_cmpint (g_mkdir_with_parents (fixture->home, 0700), ==, 0);
  fixture->out_dir = g_build_filename (fixture->home, "out", NULL);
}

static inline void
cli_fixture_teardown (CliFixture    *fixture,
                      gconstpointer  user_data)
{
  g_clear_pointer (&fixture->server, fault_server_free);
  g_clear_pointer (&fixture->home, g_free);
  g_clear_pointer (&fixture->out_dir, g_free);
}

#define CLI_FIXTURE_TEST(path, func) \
  g_test_add (path, CliFixture, NULL, cli_fixture_setup, func, cli_fixture_teardown)

/* The fault server's URL for @path_and_query. */
static inline char *
cli_fixture_url (CliFixture *fixture,
                 const char *path_and_query)
{
  return g_strconcat (fault_server_get_uri (fixture->server), path_and_query, NULL);
}

G_END_DECLS
