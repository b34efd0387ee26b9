/* test-cli-auth.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "cli-test-util.h"

/* `bridge-downloader --headless` against servers that ask for a user name
 * and password (the fault server's auth=basic and auth=digest, which
 * accept alice / Pa55w0rd): credentials from the URL and from --user, a
 * refused password, and where credentials must never appear or go. */

#define PASSWORD "Pa55w0rd"

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("expected “%s” in: %s", needle, haystack);
}

static void
assert_lacks (const char *haystack,
              const char *needle,
              const char *what)
{
  if (strstr (haystack, needle) != NULL)
    g_error ("%s in: %s", what, haystack);
}

static guint
count_lines_with (const char *text,
                  const char *needle)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      n++;
  return n;
}

/* http://USERINFO@127.0.0.1:PORT/PATH */
static char *
url_with_userinfo (CliFixture *fixture,
                   const char *userinfo,
                   const char *path_and_query)
{
  return g_strdup_printf ("http://%s@127.0.0.1:%u/%s", userinfo,
                          fault_server_get_port (fixture->server), path_and_query);
}

/* Neither the history nor its WAL holds @secret. */
static void
assert_history_lacks (const char *secret)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "bridge-downloader", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *file = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;

      g_assert_true (g_file_get_contents (file, &contents, &len, NULL));
      if (memmem (contents, len, secret, strlen (secret)) != NULL)
        g_error ("the password is in %s", file);
    }
}

/* Basic credentials in the URL fetch the protected file. */
static void
test_url_credentials (CliFixture    *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *u = url_with_userinfo (fixture, "alice:" PASSWORD,
                                          "u.bin?auth=basic&size=3000&seed=1");
  g_autofree char *path = g_build_filename (fixture->out_dir, "u.bin", NULL);
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, u, NULL);

  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 1, 3000);
}

/* --user USER:PASSWORD does the same for a URL without user info. */
static void
test_user_option (CliFixture    *fixture,
                  gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "o.bin?auth=basic&size=3000&seed=2");
  g_autofree char *path = g_build_filename (fixture->out_dir, "o.bin", NULL);
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir,
                                         "--user", "alice:" PASSWORD, u, NULL);

  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 2, 3000);
}

/* Digest authentication works with either source of credentials. */
static void
test_digest (CliFixture    *fixture,
             gconstpointer  user_data)
{
  g_autofree char *a = url_with_userinfo (fixture, "alice:" PASSWORD,
                                          "d1.bin?auth=digest&size=5000&seed=3");
  g_autofree char *b = cli_fixture_url (fixture, "d2.bin?auth=digest&size=6000&seed=4");
  g_autofree char *path_a = g_build_filename (fixture->out_dir, "d1.bin", NULL);
  g_autofree char *path_b = g_build_filename (fixture->out_dir, "d2.bin", NULL);
  g_autoptr(CliResult) url_run = NULL;
  g_autoptr(CliResult) user_run = NULL;

  url_run = cli_run (fixture->home, NULL, "-o", fixture->out_dir, a, NULL);
  g_assert_cmpint (url_run->status, ==, 0);
  cli_assert_body (path_a, 3, 5000);

  user_run = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "-u", "alice:" PASSWORD, b,
                      NULL);
  g_assert_cmpint (user_run->status, ==, 0);
  cli_assert_body (path_b, 4, 6000);
}

/* A refused password fails the download once, with a clear reason and
 * exit status 1: the server sees the request without credentials and the
 * one with them, and nothing more (no retries, no loop). */
static void
test_wrong_password (CliFixture    *fixture,
                     gconstpointer  user_data)
{
  const char *schemes[] = { "basic", "digest" };

  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    {
      g_autofree char *key = g_strdup_printf ("wrong-%s", schemes[i]);
      g_autofree char *query = g_strdup_printf ("w.bin?auth=%s&key=%s", schemes[i], key);
      g_autofree char *u = cli_fixture_url (fixture, query);
      g_autoptr(CliResult) result = NULL;

      result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--retries", "5",
                        "--user", "alice:wrong", u, NULL);
      g_assert_cmpint (result->status, ==, 1);
      g_assert_cmpuint (count_lines_with (result->err, "Authentication failed"), ==, 2);
      assert_contains (result->err, "refused the user name or password");
      g_assert_cmpuint (fault_server_get_request_count (fixture->server, key), ==, 2);
    }
}

/* Without credentials, a protected file fails at once, saying why. */
static void
test_no_credentials (CliFixture    *fixture,
                     gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "n.bin?auth=basic&key=none");
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json",
                                         u, NULL);

  g_assert_cmpint (result->status, ==, 1);
  cli_check_json (result->out, "--expect", "0=failed:dl-download-error-quark:8", NULL);
  assert_contains (result->out, "asks for a user name and password, and none were given");
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "none"), ==, 1);
}

/* The password, right or wrong, from the URL or from --user, is in no
 * output (human or --json) and not in the history. */
static void
test_password_never_shown (CliFixture    *fixture,
                           gconstpointer  user_data)
{
  g_autofree char *good = url_with_userinfo (fixture, "alice:" PASSWORD,
                                             "g.bin?auth=digest&size=2000");
  g_autofree char *bad = url_with_userinfo (fixture, "alice:Wr0ngPa55", "b.bin?auth=basic");
  g_autofree char *plain = cli_fixture_url (fixture, "p.bin?auth=basic&size=1000");
  g_autofree char *refused = cli_fixture_url (fixture, "r.bin?auth=digest");
  g_autoptr(CliResult) json = NULL;
  g_autoptr(CliResult) human = NULL;
  g_autoptr(CliResult) option = NULL;

  json = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", good, bad, NULL);
  g_assert_cmpint (json->status, ==, 1);
  cli_check_json (json->out, "--count", "2", "--expect", "0=done",
                  "--expect", "1=failed:dl-download-error-quark:8", NULL);

  human = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--fresh", good, bad, NULL);
  g_assert_cmpint (human->status, ==, 1);
  assert_contains (human->err, "http://alice@127.0.0.1");

  option = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json",
                    "--user", "alice:" PASSWORD, plain, NULL);
  g_assert_cmpint (option->status, ==, 0);
  g_clear_pointer (&option, cli_result_free);
  option = cli_run (fixture->home, NULL, "-o", fixture->out_dir,
                    "--user", "alice:Wr0ngPa55", refused, NULL);
  g_assert_cmpint (option->status, ==, 1);

  for (guint i = 0; i < 2; i++)
    {
      const char *secret = i == 0 ? PASSWORD : "Wr0ngPa55";

      assert_lacks (json->out, secret, "the password");
      assert_lacks (json->err, secret, "the password");
      assert_lacks (human->err, secret, "the password");
      assert_lacks (option->err, secret, "the password");
      assert_history_lacks (secret);
    }
}

/* A malformed --user is a usage error that does not repeat what was
 * typed (it may be a password without its user name). */
static void
test_user_option_malformed (CliFixture    *fixture,
                            gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "m.bin?auth=basic");
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir,
                                         "--user", PASSWORD, u, NULL);

  g_assert_cmpint (result->status, ==, 2);
  assert_contains (result->err, "USER:PASSWORD");
  assert_lacks (result->err, PASSWORD, "the password");
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, NULL), ==, 0);
}

/* A redirect from 127.0.0.1 to localhost (another host, same server)
 * does not take the credentials along: the target answers 403 to any
 * request that carries an Authorization header. */
static void
test_redirect_other_host_gets_nothing (CliFixture    *fixture,
                                       gconstpointer  user_data)
{
  g_autofree char *target = g_strdup_printf ("http%%3A%%2F%%2Flocalhost%%3A%u%%2Ft.bin%%3F"
                                             "forbid_auth%%3D1%%26size%%3D1500%%26seed%%3D5",
                                             fault_server_get_port (fixture->server));
  g_autofree char *query = g_strdup_printf ("r.bin?auth=basic&redirect_to=%s", target);
  g_autofree char *u = url_with_userinfo (fixture, "alice:" PASSWORD, query);
  g_autofree char *plain = cli_fixture_url (fixture, query);
  g_autofree char *path = g_build_filename (fixture->out_dir, "t.bin", NULL);
  g_autoptr(CliResult) url_run = NULL;
  g_autoptr(CliResult) user_run = NULL;

  url_run = cli_run (fixture->home, NULL, "-o", fixture->out_dir, u, NULL);
  g_assert_cmpint (url_run->status, ==, 0);
  cli_assert_body (path, 5, 1500);

  user_run = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--fresh",
                      "--user", "alice:" PASSWORD, plain, NULL);
  g_assert_cmpint (user_run->status, ==, 0);
}

/* Nor are they used when the other host asks for credentials itself: the
 * download fails there. */
static void
test_redirect_other_host_asks (CliFixture    *fixture,
                               gconstpointer  user_data)
{
  g_autofree char *target = g_strdup_printf ("http%%3A%%2F%%2Flocalhost%%3A%u%%2Fx.bin%%3F"
                                             "auth%%3Dbasic",
                                             fault_server_get_port (fixture->server));
  g_autofree char *query = g_strdup_printf ("r.bin?redirect_to=%s", target);
  g_autofree char *u = url_with_userinfo (fixture, "alice:" PASSWORD, query);
  g_autofree char *plain = cli_fixture_url (fixture, query);
  g_autoptr(CliResult) url_run = NULL;
  g_autoptr(CliResult) user_run = NULL;

  url_run = cli_run (fixture->home, NULL, "-o", fixture->out_dir, u, NULL);
  g_assert_cmpint (url_run->status, ==, 1);
  assert_contains (url_run->err, "localhost");
  assert_contains (url_run->err, "asks for a user name and password, and none were given");

  user_run = cli_run (fixture->home, NULL, "-o", fixture->out_dir,
                      "--user", "alice:" PASSWORD, plain, NULL);
  g_assert_cmpint (user_run->status, ==, 1);
  assert_contains (user_run->err, "asks for a user name and password, and none were given");
}

/* While the run lasts, other users cannot read the --user password in
 * its command line (ps, /proc/PID/cmdline). */
static void
test_user_option_hidden_from_ps (CliFixture    *fixture,
                                 gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "slow.bin?auth=basic&size=200k&rate=100k");
  g_autofree char *part = g_build_filename (fixture->out_dir, "slow.bin.part", NULL);
  const char *args[] = { "-o", fixture->out_dir, "--user", "alice:" PASSWORD, u, NULL };
  g_autoptr(GSubprocess) process = cli_spawn (NULL, NULL, args);
  g_autofree char *cmdline_path = g_strdup_printf ("/proc/%s/cmdline",
                                                   g_subprocess_get_identifier (process));
  g_autofree char *cmdline = NULL;
  gsize len = 0;

  /* Running, with the file begun: the options were parsed long ago. */
  g_assert_cmpint (cli_wait_for_size (part, 1, process, CLI_TEST_TIMEOUT_SECONDS), >, 0);
  g_assert_true (g_file_get_contents (cmdline_path, &cmdline, &len, NULL));
  g_assert_null (memmem (cmdline, len, PASSWORD, strlen (PASSWORD)));
  g_assert_nonnull (memmem (cmdline, len, "alice:", strlen ("alice:")));
  g_assert_cmpint (cli_wait (process, CLI_TEST_TIMEOUT_SECONDS), ==, 0);
}

/* Fetched over several connections from a protected file: each range
 * request gets the credentials too, and the file is whole. */
static void
test_ranges_authenticated (CliFixture    *fixture,
                           gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "r.bin?auth=digest&size=8m&seed=4&rate=4m");
  g_autofree char *path = g_build_filename (fixture->out_dir, "r.bin", NULL);
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir,
                                         "--connections=4", "--per-host=4",
                                         "--min-split-size=1M", "--user", "alice:" PASSWORD,
                                         u, NULL);

  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 4, 8 * 1024 * 1024);
  g_assert_cmpuint (fault_server_get_max_open_connections (fixture->server), >=, 2);
}

/* ---- an HTTP proxy that asks for credentials (407) --------------------------------------- */

/* -x http://USERINFO@PROXY, for a file on a port only the proxy reaches. */
static CliResult *
run_through_proxy (CliFixture *fixture,
                   SniffProxy *proxy,
                   const char *host,
                   const char *userinfo,
                   const char *name)
{
  guint16 proxy_port = sniff_proxy_get_port (proxy);
  g_autofree char *proxy_url = NULL;
  g_autofree char *u = g_strdup_printf ("http://127.0.0.1:%u/%s?size=5000&seed=21",
                                        cli_closed_port (), name);

  proxy_url = userinfo != NULL
              ? g_strdup_printf ("http://%s@%s:%u", userinfo, host, proxy_port)
              : g_strdup_printf ("http://%s:%u", host, proxy_port);
  return cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", "--retries", "5",
                  "--proxy", proxy_url, u, NULL);
}

/* The credentials in the proxy's address answer its 407, and every
 * request still asks for the file (not for the proxy's own front page). */
static void
test_proxy_credentials (CliFixture    *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(SniffProxy) proxy = sniff_proxy_new (fault_server_get_port (fixture->server));
  g_autofree char *path = g_build_filename (fixture->out_dir, "px.bin", NULL);
  g_autoptr(CliResult) result = NULL;
  g_autoptr(GPtrArray) heads = NULL;
  guint authorized = 0;

  sniff_proxy_require_credentials (proxy, "alice", PASSWORD);
  result = run_through_proxy (fixture, proxy, "127.0.0.1", "alice:" PASSWORD, "px.bin");

  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 21, 5000);
  heads = sniff_proxy_dup_heads (proxy);
  g_assert_cmpuint (heads->len, >=, 2);
  for (guint i = 0; i < heads->len; i++)
    {
      const char *head = g_ptr_array_index (heads, i);

      g_assert_true (g_str_has_prefix (head, "GET http://127.0.0.1:"));
      assert_contains (head, "/px.bin?");
      if (strstr (head, "\nProxy-Authorization: Basic ") != NULL)
        authorized++;
    }
  g_assert_cmpuint (authorized, >=, 1);
  assert_lacks (result->out, PASSWORD, "the proxy's password");
  assert_lacks (result->err, PASSWORD, "the proxy's password");
}

/* The same through a proxy at an IPv6 address, whose authority libsoup
 * writes without brackets. */
static gboolean
ipv6_loopback_available (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);

  return socket != NULL && g_socket_bind (socket, address, FALSE, NULL);
}

static void
test_proxy_credentials_ipv6 (CliFixture    *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(SniffProxy) proxy = NULL;
  g_autofree char *path = g_build_filename (fixture->out_dir, "p6.bin", NULL);
  g_autoptr(CliResult) result = NULL;

  if (!ipv6_loopback_available ())
    {
      g_test_skip ("this machine has no IPv6 loopback address");
      return;
    }
  proxy = sniff_proxy_new_ipv6 (fault_server_get_port (fixture->server));
  sniff_proxy_require_credentials (proxy, "alice", PASSWORD);
  result = run_through_proxy (fixture, proxy, "[::1]", "alice:" PASSWORD, "p6.bin");

  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 21, 5000);
}

/* The download failed at once on the proxy's refusal, said so, and did not
 * show the password. */
static void
assert_proxy_refused (CliResult *result)
{
  g_assert_cmpint (result->status, ==, 1);
  cli_check_json (result->out, "--expect", "0=failed:dl-download-error-quark:8", NULL);
  assert_contains (result->out, "Proxy authentication failed");
  assert_contains (result->out, "refused the user name or password");
  assert_lacks (result->out, PASSWORD, "the proxy's password");
}

/* Refused proxy credentials fail the download at once, saying so. */
static void
test_proxy_wrong_password (CliFixture    *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(SniffProxy) proxy = sniff_proxy_new (fault_server_get_port (fixture->server));
  g_autoptr(CliResult) result = NULL;
  g_autoptr(GPtrArray) heads = NULL;

  sniff_proxy_require_credentials (proxy, "alice", PASSWORD);
  result = run_through_proxy (fixture, proxy, "127.0.0.1", "alice:wrong-" PASSWORD, "pw.bin");

  assert_proxy_refused (result);
  heads = sniff_proxy_dup_heads (proxy);
  g_assert_cmpuint (heads->len, ==, 2);
}

/* Runs the CLI on https://127.0.0.1:ORIGIN_PORT/NAME through an HTTP proxy
 * that asks for alice's @password, in front of the TLS fault server. The
 * proxy's request heads go to @heads. */
static CliResult *
run_https_through_proxy (CliFixture  *fixture,
                         const char  *password,
                         const char  *name,
                         guint16      origin_port,
                         GPtrArray  **heads)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FaultServer) tls_server = fault_server_new_in_thread (TRUE, &error);
  g_autoptr(SniffProxy) proxy = NULL;
  g_autofree char *proxy_url = NULL;
  g_autofree char *u = NULL;
  CliResult *result;

  g_assert_no_error (error);
  proxy = sniff_proxy_new (fault_server_get_port (tls_server));
  sniff_proxy_require_credentials (proxy, "alice", PASSWORD);
  proxy_url = g_strdup_printf ("http://alice:%s@127.0.0.1:%u", password, sniff_proxy_get_port (proxy));
  u = g_strdup_printf ("https://127.0.0.1:%u/%s?size=5000&seed=21", origin_port, name);
  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", "--retries", "5",
                    "--proxy", proxy_url, u, NULL);
  *heads = sniff_proxy_dup_heads (proxy);
  return result;
}

/* An https URL goes through an HTTP proxy as a CONNECT tunnel: the
 * credentials in the proxy's address answer the proxy's 407 to the
 * CONNECT, and only then does TLS start, end to end with the server. The
 * CLI trusts the system's certificate authorities only, so the test
 * server's certificate ends the download, with a TLS error: the proxy got
 * past, and said nothing it should not. */
static void
test_proxy_credentials_connect (CliFixture    *fixture,
                                gconstpointer  user_data)
{
  guint16 origin_port = cli_closed_port ();
  g_autofree char *connect_line = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n", origin_port);
  g_autoptr(GPtrArray) heads = NULL;
  g_autoptr(CliResult) result = run_https_through_proxy (fixture, PASSWORD, "pc.bin",
                                                         origin_port, &heads);

  /* Asked once without credentials, then with them; never a GET to the
   * proxy, which sees nothing of the request inside the tunnel. */
  g_assert_cmpuint (heads->len, ==, 2);
  for (guint i = 0; i < heads->len; i++)
    g_assert_true (g_str_has_prefix (g_ptr_array_index (heads, i), connect_line));
  g_assert_null (strstr (g_ptr_array_index (heads, 0), "\nProxy-Authorization:"));
  assert_contains (g_ptr_array_index (heads, 1), "\nProxy-Authorization: Basic ");

  g_assert_cmpint (result->status, ==, 1);
  assert_contains (result->out, "certificate");
  assert_lacks (result->out, "Proxy authentication", "a proxy authentication error");
  assert_lacks (result->out, PASSWORD, "the proxy's password");
  assert_lacks (result->err, PASSWORD, "the proxy's password");
}

/* Refused credentials on a CONNECT fail the download at once, saying so,
 * as for a plain request. */
static void
test_proxy_wrong_password_connect (CliFixture    *fixture,
                                   gconstpointer  user_data)
{
  g_autoptr(GPtrArray) heads = NULL;
  g_autoptr(CliResult) result = run_https_through_proxy (fixture, "wrong-" PASSWORD, "pw.bin",
                                                         cli_closed_port (), &heads);

  assert_proxy_refused (result);
  g_assert_cmpuint (heads->len, ==, 2);
}

/* A proxy that asks, with no credentials in its address: a clear error. */
static void
test_proxy_no_credentials (CliFixture    *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(SniffProxy) proxy = sniff_proxy_new (fault_server_get_port (fixture->server));
  g_autoptr(CliResult) result = NULL;
  g_autoptr(GPtrArray) heads = NULL;

  sniff_proxy_require_credentials (proxy, "alice", PASSWORD);
  result = run_through_proxy (fixture, proxy, "127.0.0.1", NULL, "pn.bin");

  g_assert_cmpint (result->status, ==, 1);
  cli_check_json (result->out, "--expect", "0=failed:dl-download-error-quark:8", NULL);
  assert_contains (result->out, "asks for a user name and password, and its address has none");
  heads = sniff_proxy_dup_heads (proxy);
  g_assert_cmpuint (heads->len, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_unsetenv ("BRIDGE_DOWNLOADER_STALL_PROBE");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  CLI_FIXTURE_TEST ("/downloader/cli/auth/url-credentials", test_url_credentials);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/user-option", test_user_option);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/digest", test_digest);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/wrong-password", test_wrong_password);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/no-credentials", test_no_credentials);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/password-never-shown", test_password_never_shown);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/user-option-malformed", test_user_option_malformed);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/redirect-other-host-gets-nothing",
                    test_redirect_other_host_gets_nothing);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/redirect-other-host-asks",
                    test_redirect_other_host_asks);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/proxy-credentials", test_proxy_credentials);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/proxy-credentials-ipv6", test_proxy_credentials_ipv6);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/proxy-credentials-connect", test_proxy_credentials_connect);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/proxy-wrong-password-connect",
                    test_proxy_wrong_password_connect);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/proxy-wrong-password", test_proxy_wrong_password);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/proxy-no-credentials", test_proxy_no_credentials);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/user-option-hidden-from-ps",
                    test_user_option_hidden_from_ps);
  CLI_FIXTURE_TEST ("/downloader/cli/auth/ranges-authenticated", test_ranges_authenticated);

  return g_test_run ();
}
