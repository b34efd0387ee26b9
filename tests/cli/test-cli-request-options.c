/* test-cli-request-options.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "cli-test-util.h"

/* What `bridge-downloader --headless` sends besides its own request:
 * --header, --user-agent, --referer, --load-cookies, the same per line of
 * an input file (with limit=), kept in the history so that a resume sends
 * the same request, and --proxy. The requests are seen on the wire, by a
 * relay in front of the fault server that records every request's head. */

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("expected “%s” in: %s", needle, haystack);
}

static void
assert_lacks (const char *haystack,
              const char *needle)
{
  if (strstr (haystack, needle) != NULL)
    g_error ("did not expect “%s” in: %s", needle, haystack);
}

static char *
write_file (CliFixture *fixture,
            const char *name,
            const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fixture->home, name, NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

/* The URL of @path_and_query through @sniff. */
static char *
sniff_url (SniffProxy *sniff,
           const char *path_and_query)
{
  return g_strconcat (sniff_proxy_get_uri (sniff), path_and_query, NULL);
}

/* The head of the only request whose request line holds @needle. */
static char *
find_head (SniffProxy *sniff,
           const char *needle)
{
  g_autoptr(GPtrArray) heads = sniff_proxy_dup_heads (sniff);
  char *found = NULL;

  for (guint i = 0; i < heads->len; i++)
    {
      const char *head = g_ptr_array_index (heads, i);
      g_autofree char *request_line = g_strndup (head, strcspn (head, "\r"));

      if (strstr (request_line, needle) == NULL)
        continue;
      if (found != NULL)
        g_error ("more than one request for %s", needle);
      found = g_strconcat (head, "\r\n", NULL);
    }
  if (found == NULL)
    g_error ("no request for %s among %u", needle, heads->len);
  return found;
}

static char *
history_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "bridge-downloader", "downloads.sqlite", NULL);
}

/* ---- the command line's options ---------------------------------------------------- */

static void
test_header (CliFixture    *fixture,
             gconstpointer  user_data)
{
  g_autoptr(SniffProxy) sniff = sniff_proxy_new (fault_server_get_port (fixture->server));
  g_autofree char *u = sniff_url (sniff, "h.bin?size=1000&seed=1");
  g_autoptr(CliResult) result = NULL;
  g_autofree char *head = NULL;

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--header", "X-One: 1",
                    "--header=X-Two:   two words  ", "-H", "X-Repeated: a", "-H", "X-Repeated: b",
                    u, NULL);
  g_assert_cmpint (result->status, ==, 0);
  g_assert_cmpstr (result->err, !=, NULL);

  head = find_head (sniff, "/h.bin");
  assert_contains (head, "\r\nX-One: 1\r\n");
  assert_contains (head, "\r\nX-Two: two words\r\n");
  /* Given twice, sent twice. */
  assert_contains (head, "\r\nX-Repeated: a\r\n");
  assert_contains (head, "\r\nX-Repeated: b\r\n");
}

static void
test_user_agent (CliFixture    *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(SniffProxy) sniff = sniff_proxy_new (fault_server_get_port (fixture->server));
  g_autofree char *u = sniff_url (sniff, "ua.bin?size=1000&seed=2");
  g_autofree char *v = sniff_url (sniff, "plain.bin?size=1000&seed=3");
  g_autoptr(CliResult) result = NULL;
  g_autoptr(CliResult) plain = NULL;
  g_autofree char *head = NULL;
  g_autofree char *plain_head = NULL;

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--user-agent",
                    "Mozilla/5.0 (Test) Gecko/20100101", u, NULL);
  g_assert_cmpint (result->status, ==, 0);
  head = find_head (sniff, "/ua.bin");
  assert_contains (head, "\r\nUser-Agent: Mozilla/5.0 (Test) Gecko/20100101\r\n");
  assert_lacks (head, "bridge-downloader");

  /* Without it, the downloader's own. */
  plain = cli_run (fixture->home, NULL, "-o", fixture->out_dir, v, NULL);
  g_assert_cmpint (plain->status, ==, 0);
  plain_head = find_head (sniff, "/plain.bin");
  assert_contains (plain_head, "\r\nUser-Agent: bridge-downloader/");
}

static void
test_referer (CliFixture    *fixture,
              gconstpointer  user_data)
{
  g_autoptr(SniffProxy) sniff = sniff_proxy_new (fault_server_get_port (fixture->server));
  g_autofree char *u = sniff_url (sniff, "r.bin?size=1000&seed=4");
  g_autoptr(CliResult) result = NULL;
  g_autofree char *head = NULL;

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir,
                    "--referer", "https://pages.test/list.html", u, NULL);
  g_assert_cmpint (result->status, ==, 0);
  head = find_head (sniff, "/r.bin");
  assert_contains (head, "\r\nReferer: https://pages.test/list.html\r\n");
}

/* A cookies.txt's cookies go to the URLs they match, and only there. */
static void
test_load_cookies (CliFixture    *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(SniffProxy) sniff = sniff_proxy_new (fault_server_get_port (fixture->server));
  g_autofree char *u = sniff_url (sniff, "c.bin?size=1000&seed=5");
  g_autofree char *cookies = write_file (fixture, "cookies.txt",
                                         "# Netscape HTTP Cookie File\n"
                                         "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc123\n"
                                         "#HttpOnly_127.0.0.1\tFALSE\t/c.bin\tFALSE\t0\tpath\tyes\n"
                                         "127.0.0.1\tFALSE\t/elsewhere\tFALSE\t0\tnot\there\n"
                                         "other.test\tTRUE\t/\tFALSE\t0\tforeign\tno\n");
  g_autoptr(CliResult) result = NULL;
  g_autofree char *head = NULL;

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--load-cookies", cookies, u,
                    NULL);
  g_assert_cmpint (result->status, ==, 0);
  head = find_head (sniff, "/c.bin");
  assert_contains (head, "session=abc123");
  assert_contains (head, "path=yes");
  assert_lacks (head, "not=here");
  assert_lacks (head, "foreign");
}

/* A header that is not one, or would break the request, is a usage error
 * naming the option, before any request. */
static void
test_bad_header (CliFixture    *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "never.bin?size=10");
  struct
  {
    const char *option;
    const char *value;
    const char *message;
  } cases[] = {
    { "--header", "X-Injected: a\r\nHost: evil.test", "--header: the value of “X-Injected” must not hold a line break" },
    { "--header", "X-Newline: a\nb", "--header: the value of “X-Newline” must not hold a line break" },
    { "--header", "Bad Name: x", "--header: “Bad Name” is not a valid header name" },
    { "--header", "no colon", "--header: a header is “Name: value”" },
    { "--header", ": empty name", "--header: “” is not a valid header name" },
    { "--header", "Range: bytes=0-", "--header: the header “Range” cannot be set" },
    { "--header", "Host: other.test", "--header: the header “Host” cannot be set" },
    { "--user-agent", "UA\r\nX-Injected: 1", "--user-agent: the value of “User-Agent” must not hold" },
    { "--referer", "ftp://files.test/", "--referer: “ftp://files.test/” is not an http or https URL" },
    { "--load-cookies", "/nonexistent/cookies.txt", "--load-cookies: " },
    { "--proxy", "ftp://127.0.0.1:21", "--proxy: the proxy scheme “ftp” is not supported" },
    { "--proxy", "http://127.0.0.1:8080/path", "--proxy: “http://127.0.0.1:8080/path” is not a proxy URL" },
    /* Quoted without its password. */
    { "--proxy", "http://alice:s3cret@127.0.0.1:8080/path", "--proxy: “http://alice@127.0.0.1:8080/path” is not a proxy URL" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *option = g_strconcat (cases[i].option, "=", cases[i].value, NULL);
      g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir,
                                             option, u, NULL);

      g_test_message ("%s", option);
      g_assert_cmpint (result->status, ==, 2);
      assert_contains (result->err, cases[i].message);
      assert_lacks (result->err, "s3cret");
    }
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, NULL), ==, 0);
}

/* ---- input files ----------------------------------------------------------------------- */

/* Each line sends its own options, on top of the command line's. */
static void
test_input_line_options (CliFixture    *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(SniffProxy) sniff = sniff_proxy_new (fault_server_get_port (fixture->server));
  g_autofree char *a = sniff_url (sniff, "a.bin?size=1000&seed=6");
  g_autofree char *b = sniff_url (sniff, "b.bin?size=1000&seed=7");
  g_autofree char *c = sniff_url (sniff, "c.bin?size=1000&seed=8");
  g_autofree char *cookies = write_file (fixture, "cookies.txt",
                                         "127.0.0.1\tFALSE\t/b.bin\tFALSE\t0\tline\tcookie\n");
  g_autofree char *contents = g_strdup_printf (
    "%s header=\"X-Line: first line\" referer=https://pages.test/a\n"
    "  %s\tuser-agent=\"Agent B/2\" cookies=%s header=X-Compact:b\n"
    "%s\n",
    a, b, cookies, c);
  g_autofree char *list = write_file (fixture, "list.txt", contents);
  g_autoptr(CliResult) result = NULL;
  g_autofree char *head_a = NULL;
  g_autofree char *head_b = NULL;
  g_autofree char *head_c = NULL;

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--header", "X-All: yes",
                    "-i", list, NULL);
  g_assert_cmpint (result->status, ==, 0);

  head_a = find_head (sniff, "/a.bin");
  assert_contains (head_a, "\r\nX-All: yes\r\n");
  assert_contains (head_a, "\r\nX-Line: first line\r\n");
  assert_contains (head_a, "\r\nReferer: https://pages.test/a\r\n");
  assert_lacks (head_a, "Agent B");
  assert_lacks (head_a, "Cookie");

  head_b = find_head (sniff, "/b.bin");
  assert_contains (head_b, "\r\nX-All: yes\r\n");
  assert_contains (head_b, "\r\nUser-Agent: Agent B/2\r\n");
  assert_contains (head_b, "\r\nCookie: line=cookie\r\n");
  assert_contains (head_b, "\r\nX-Compact: b\r\n");
  assert_lacks (head_b, "X-Line");
  assert_lacks (head_b, "Referer");

  head_c = find_head (sniff, "/c.bin");
  assert_contains (head_c, "\r\nX-All: yes\r\n");
  assert_lacks (head_c, "X-Line");
  assert_lacks (head_c, "X-Compact");
}

/* A bad option on a line fails that line only, and says which. */
static void
test_input_line_bad_option (CliFixture    *fixture,
                            gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=1000&seed=9");
  g_autofree char *b = cli_fixture_url (fixture, "b.bin?size=1000&seed=10");
  g_autofree char *c = cli_fixture_url (fixture, "c.bin?size=1000&seed=11");
  g_autofree char *d = cli_fixture_url (fixture, "d.bin?size=1000&seed=12");
  g_autofree char *contents = g_strdup_printf ("%s header=\"Bad Name: x\"\n"
                                               "%s limit=fast\n"
                                               "%s header=\"X-Open: never closed\n"
                                               "%s\n", a, b, c, d);
  g_autofree char *list = write_file (fixture, "list.txt", contents);
  g_autofree char *path_d = g_build_filename (fixture->out_dir, "d.bin", NULL);
  g_autoptr(CliResult) result = NULL;

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", "-i", list, NULL);
  g_assert_cmpint (result->status, ==, 1);
  cli_check_json (result->out, "--count", "4",
                  "--expect", "0=failed:g-option-context-error-quark:1",
                  "--expect", "1=failed:g-option-context-error-quark:1",
                  "--expect", "2=failed:g-option-context-error-quark:1",
                  "--expect", "3=done", NULL);
  assert_contains (result->out, "list.txt:1: header: “Bad Name” is not a valid header name");
  assert_contains (result->out, "list.txt:2: limit: limit must be a number of bytes per second");
  assert_contains (result->out, "list.txt:3: a quote is not closed");
  cli_assert_body (path_d, 12, 1000);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, NULL), ==, 1);
}

/* limit=RATE holds that download to its own speed. Only a lower bound on
 * the time is asserted, which a loaded machine cannot break: 320 KiB at
 * 64 KiB/s, less the bucket's first second, cannot take under 3 s. */
static void
test_input_line_limit (CliFixture    *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "slow.bin?size=320k&seed=13");
  g_autofree char *contents = g_strdup_printf ("%s limit=64k\n", a);
  g_autofree char *list = write_file (fixture, "list.txt", contents);
  g_autofree char *path = g_build_filename (fixture->out_dir, "slow.bin", NULL);
  g_autoptr(CliResult) result = NULL;
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "-i", list, NULL);
  elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 13, 320 * 1024);
  g_test_message ("320 KiB at limit=64k took %.2f s", elapsed);
  g_assert_cmpfloat (elapsed, >=, 3.0);
}

/* ---- kept with the download -------------------------------------------------------- */

/* Killed mid-download and run again, the resumed request (with Range)
 * carries the same headers, user agent, referer and cookies. */
static void
test_resume_after_kill_same_request (CliFixture    *fixture,
                                     gconstpointer  user_data)
{
  g_autoptr(SniffProxy) sniff = sniff_proxy_new (fault_server_get_port (fixture->server));
  g_autofree char *u = sniff_url (sniff, "k.bin?size=4m&seed=14&rate=512k");
  g_autofree char *cookies = write_file (fixture, "cookies.txt",
                                         "127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tkept\n");
  g_autofree char *part = g_build_filename (fixture->out_dir, "k.bin.part", NULL);
  g_autofree char *path = g_build_filename (fixture->out_dir, "k.bin", NULL);
  const char *args[] = { "-o", fixture->out_dir, "--header", "X-Keep: across restarts",
                         "--header", "Authorization: Bearer t0ken", "--user-agent", "Keeper/1",
                         "--referer", "https://pages.test/k", "--load-cookies", cookies, u, NULL };
  g_autoptr(GSubprocess) process = cli_spawn (NULL, NULL, args);
  g_autoptr(GPtrArray) heads = NULL;
  g_autoptr(CliResult) again = NULL;
  g_autofree char *resumed = NULL;

  /* Past two of the part file's syncs (one a second), so that an offset
   * to resume from is recorded. */
  cli_wait_for_size (part, 1536 * 1024, process, CLI_TEST_TIMEOUT_SECONDS);
  g_subprocess_send_signal (process, SIGKILL);
  g_assert_cmpint (cli_wait (process, CLI_TEST_TIMEOUT_SECONDS), ==, 128 + SIGKILL);

  sniff_proxy_reset (sniff);
  again = cli_runv (fixture->home, NULL, args);
  g_assert_cmpint (again->status, ==, 0);
  cli_assert_body (path, 14, 4 * 1024 * 1024);

  heads = sniff_proxy_dup_heads (sniff);
  g_assert_cmpuint (heads->len, ==, 1);
  resumed = g_strconcat (g_ptr_array_index (heads, 0), "\r\n", NULL);
  assert_contains (resumed, "\r\nRange: bytes=");
  assert_contains (resumed, "\r\nX-Keep: across restarts\r\n");
  assert_contains (resumed, "\r\nAuthorization: Bearer t0ken\r\n");
  assert_contains (resumed, "\r\nUser-Agent: Keeper/1\r\n");
  assert_contains (resumed, "\r\nReferer: https://pages.test/k\r\n");
  assert_contains (resumed, "\r\nCookie: sid=kept\r\n");
}

static gboolean
file_contains (const char *path,
               const char *needle)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return FALSE;
  /* Binary: the database has NUL bytes long before the rows. */
  return memmem (contents, len, needle, strlen (needle)) != NULL;
}

/* The history keeps the options for a resume (the app resumes downloads
 * the CLI left), but not a credential header, and only its owner may read
 * it. */
static void
test_history_keeps_options_not_secrets (CliFixture    *fixture,
                                        gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "h.bin?size=1000&seed=15");
  g_autofree char *cookies = write_file (fixture, "cookies.txt",
                                         "127.0.0.1\tFALSE\t/\tFALSE\t0\tjar\tfromfile\n");
  g_autofree char *history = history_path ();
  g_autofree char *wal = g_strconcat (history, "-wal", NULL);
  g_autoptr(CliResult) result = NULL;
  GStatBuf st;

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir,
                    "--header", "X-Stored: visible", "--header", "Authorization: Basic c2VjcmV0",
                    "--header", "Cookie: typed=s3cret", "--load-cookies", cookies, u, NULL);
  g_assert_cmpint (result->status, ==, 0);

  g_assert_true (file_contains (history, "X-Stored: visible"));
  /* The cookies file by its path, not its cookies. */
  g_assert_true (file_contains (history, cookies));
  g_assert_false (file_contains (history, "fromfile"));
  g_assert_false (file_contains (history, "c2VjcmV0"));
  g_assert_false (file_contains (history, "s3cret"));
  g_assert_false (file_contains (wal, "c2VjcmV0"));

  g_assert_cmpint (g_stat (history, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

/* ---- proxy -------------------------------------------------------------------------------- */

static void
test_proxy_http (CliFixture    *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(SniffProxy) proxy = sniff_proxy_new (fault_server_get_port (fixture->server));
  guint16 port = cli_closed_port ();
  g_autofree char *u = g_strdup_printf ("http://127.0.0.1:%u/p.bin?size=5000&seed=16", port);
  g_autofree char *path = g_build_filename (fixture->out_dir, "p.bin", NULL);
  g_autofree char *target = g_strdup_printf ("GET http://127.0.0.1:%u/p.bin", port);
  g_autoptr(CliResult) result = NULL;
  g_autofree char *head = NULL;

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir,
                    "--proxy", sniff_proxy_get_uri (proxy), u, NULL);
  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 16, 5000);
  /* A proxy's request line has the whole URL. */
  head = find_head (proxy, "/p.bin");
  g_assert_true (g_str_has_prefix (head, target));
}

static void
test_proxy_socks5 (CliFixture    *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(SniffProxy) proxy = sniff_proxy_new_full (fault_server_get_port (fixture->server), TRUE);
  guint16 port = cli_closed_port ();
  g_autofree char *u = g_strdup_printf ("http://127.0.0.1:%u/s.bin?size=5000&seed=17", port);
  g_autofree char *path = g_build_filename (fixture->out_dir, "s.bin", NULL);
  g_autofree char *proxy_url = NULL;
  g_autofree char *connect = g_strdup_printf ("SOCKS5 127.0.0.1:%u", port);
  g_autoptr(GPtrArray) heads = NULL;
  g_autoptr(CliResult) result = NULL;

  proxy_url = g_strdup_printf ("socks5://127.0.0.1:%u", sniff_proxy_get_port (proxy));
  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--proxy", proxy_url, u, NULL);
  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 17, 5000);
  heads = sniff_proxy_dup_heads (proxy);
  g_assert_cmpuint (heads->len, >=, 2);
  g_assert_cmpstr (g_ptr_array_index (heads, 0), ==, connect);
}

/* ---- proxies from the environment ---------------------------------------------------------- */

/* `bridge-downloader --headless ARGS…` with @env added to its environment. */
static CliResult *
run_with_env (CliFixture          *fixture,
              const char * const  *env,
              const char          *first_arg,
              ...) G_GNUC_NULL_TERMINATED;

static CliResult *
run_with_env (CliFixture          *fixture,
              const char * const  *env,
              const char          *first_arg,
              ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  return cli_runv_env (fixture->home, NULL, env, (const char * const *) args->pdata);
}

static guint
count_heads (SniffProxy *proxy)
{
  g_autoptr(GPtrArray) heads = sniff_proxy_dup_heads (proxy);

  return heads->len;
}

/* http_proxy sends http:// URLs through that proxy, as curl does. */
static void
test_proxy_environment_http (CliFixture    *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(SniffProxy) proxy = sniff_proxy_new (fault_server_get_port (fixture->server));
  guint16 port = cli_closed_port ();
  g_autofree char *u = g_strdup_printf ("http://127.0.0.1:%u/e.bin?size=5000&seed=20", port);
  g_autofree char *path = g_build_filename (fixture->out_dir, "e.bin", NULL);
  g_autofree char *target = g_strdup_printf ("GET http://127.0.0.1:%u/e.bin", port);
  g_autofree char *variable = g_strconcat ("http_proxy=", sniff_proxy_get_uri (proxy), NULL);
  const char *env[] = { variable, NULL };
  g_autoptr(CliResult) result = NULL;
  g_autofree char *head = NULL;

  result = run_with_env (fixture, env, "-o", fixture->out_dir, u, NULL);
  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 20, 5000);
  head = find_head (proxy, "/e.bin");
  g_assert_true (g_str_has_prefix (head, target));
}

/* all_proxy is the proxy of every scheme without one of its own; a socks5
 * one is asked to connect to the URL's host. */
static void
test_proxy_environment_all (CliFixture    *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(SniffProxy) proxy = sniff_proxy_new_full (fault_server_get_port (fixture->server), TRUE);
  guint16 port = cli_closed_port ();
  g_autofree char *u = g_strdup_printf ("http://127.0.0.1:%u/a.bin?size=5000&seed=21", port);
  g_autofree char *path = g_build_filename (fixture->out_dir, "a.bin", NULL);
  g_autofree char *connect = g_strdup_printf ("SOCKS5 127.0.0.1:%u", port);
  g_autofree char *variable = NULL;
  g_autoptr(GPtrArray) heads = NULL;
  g_autoptr(CliResult) result = NULL;
  const char *env[] = { NULL, NULL };

  variable = g_strdup_printf ("all_proxy=socks5://127.0.0.1:%u", sniff_proxy_get_port (proxy));
  env[0] = variable;
  result = run_with_env (fixture, env, "-o", fixture->out_dir, u, NULL);
  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 21, 5000);
  heads = sniff_proxy_dup_heads (proxy);
  g_assert_cmpuint (heads->len, >=, 1);
  g_assert_cmpstr (g_ptr_array_index (heads, 0), ==, connect);
}

/* A host that no_proxy lists is reached directly. */
static void
test_proxy_environment_no_proxy (CliFixture    *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(SniffProxy) proxy = sniff_proxy_new (fault_server_get_port (fixture->server));
  g_autofree char *u = cli_fixture_url (fixture, "n.bin?size=5000&seed=22");
  g_autofree char *path = g_build_filename (fixture->out_dir, "n.bin", NULL);
  g_autofree char *variable = g_strconcat ("http_proxy=", sniff_proxy_get_uri (proxy), NULL);
  const char *env[] = { variable, "no_proxy=localhost, 127.0.0.1", NULL };
  g_autoptr(CliResult) result = NULL;

  result = run_with_env (fixture, env, "-o", fixture->out_dir, u, NULL);
  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 22, 5000);
  g_assert_cmpuint (count_heads (proxy), ==, 0);
}

/* HTTP_PROXY in upper case is what a web server sets from a request's
 * "Proxy:" header for a CGI program: ignored, as curl ignores it. */
static void
test_proxy_environment_upper_case_http_ignored (CliFixture    *fixture,
                                                gconstpointer  user_data)
{
  g_autoptr(SniffProxy) proxy = sniff_proxy_new (fault_server_get_port (fixture->server));
  g_autofree char *u = cli_fixture_url (fixture, "u.bin?size=5000&seed=23");
  g_autofree char *path = g_build_filename (fixture->out_dir, "u.bin", NULL);
  g_autofree char *variable = g_strconcat ("HTTP_PROXY=", sniff_proxy_get_uri (proxy), NULL);
  const char *env[] = { variable, NULL };
  g_autoptr(CliResult) result = NULL;

  result = run_with_env (fixture, env, "-o", fixture->out_dir, u, NULL);
  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 23, 5000);
  g_assert_cmpuint (count_heads (proxy), ==, 0);
}

/* --proxy wins over the environment's proxies. */
static void
test_proxy_option_over_environment (CliFixture    *fixture,
                                    gconstpointer  user_data)
{
  g_autoptr(SniffProxy) proxy = sniff_proxy_new (fault_server_get_port (fixture->server));
  guint16 port = cli_closed_port ();
  g_autofree char *u = g_strdup_printf ("http://127.0.0.1:%u/o.bin?size=5000&seed=24", port);
  g_autofree char *path = g_build_filename (fixture->out_dir, "o.bin", NULL);
  g_autofree char *variable = g_strdup_printf ("http_proxy=http://127.0.0.1:%u", cli_closed_port ());
  const char *env[] = { variable, NULL };
  g_autoptr(CliResult) result = NULL;
  g_autofree char *head = NULL;

  result = run_with_env (fixture, env, "-o", fixture->out_dir, "--proxy",
                         sniff_proxy_get_uri (proxy), u, NULL);
  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 24, 5000);
  head = find_head (proxy, "/o.bin");
  g_assert_nonnull (head);
}

/* A proxy variable that names no proxy is a usage error naming it,
 * before anything is downloaded. */
static void
test_proxy_environment_bad (CliFixture    *fixture,
                            gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "b.bin?size=5000&seed=25");
  const char *env[] = { "https_proxy=ftp://127.0.0.1:21", NULL };
  g_autoptr(CliResult) result = NULL;

  result = run_with_env (fixture, env, "-o", fixture->out_dir, u, NULL);
  g_assert_cmpint (result->status, ==, 2);
  assert_contains (result->err, "https_proxy: the proxy scheme “ftp” is not supported");
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, NULL), ==, 0);
}

/* Without a proxy in the environment the downloads connect directly and
 * GIO's default proxy resolver is never loaded (its modules and the
 * desktop's settings cost more than the rest of the start). GIO prints its
 * resolvers' list when it loads one with GIO_USE_PROXY_RESOLVER=help. */
static void
test_proxy_none_loads_no_resolver (CliFixture    *fixture,
                                   gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "d.bin?size=5000&seed=26");
  g_autofree char *path = g_build_filename (fixture->out_dir, "d.bin", NULL);
  const char *env[] = { "GIO_USE_PROXY_RESOLVER=help", NULL };
  g_autoptr(CliResult) result = NULL;

  result = run_with_env (fixture, env, "--quiet", "-o", fixture->out_dir, u, NULL);
  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 26, 5000);
  assert_lacks (result->out, "GIO_USE_PROXY_RESOLVER");
  assert_lacks (result->err, "GIO_USE_PROXY_RESOLVER");
}

/* ---- streaming input ------------------------------------------------------------------- */

/* -i from a pipe that stays open: the first URL is downloaded while the
 * input is still open, then the rest once it comes. */
static void
test_input_streamed (CliFixture    *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                               G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *a = cli_fixture_url (fixture, "first.bin?size=3000&seed=18");
  g_autofree char *b = cli_fixture_url (fixture, "second.bin?size=4000&seed=19");
  g_autofree char *first = g_strdup_printf ("%s\n", a);
  g_autofree char *second = g_strdup_printf ("# later\n%s\n", b);
  g_autofree char *path_a = g_build_filename (fixture->out_dir, "first.bin", NULL);
  g_autofree char *path_b = g_build_filename (fixture->out_dir, "second.bin", NULL);
  GOutputStream *in;

  cli_launcher_set_env (launcher);
  process = g_subprocess_launcher_spawn (launcher, &error, cli_test_get_program (), "--headless",
                                         "-o", fixture->out_dir, "-i", "-", NULL);
  g_assert_no_error (error);
  in = g_subprocess_get_stdin_pipe (process);

  g_output_stream_write_all (in, first, strlen (first), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_flush (in, NULL, &error);
  g_assert_no_error (error);

  /* The final name appears once the file is whole. */
  cli_wait_for_size (path_a, 3000, process, CLI_TEST_TIMEOUT_SECONDS);
  g_assert_nonnull (g_subprocess_get_identifier (process));
  cli_assert_body (path_a, 18, 3000);
  g_assert_false (g_file_test (path_b, G_FILE_TEST_EXISTS));

  g_output_stream_write_all (in, second, strlen (second), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (in, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpint (cli_wait (process, CLI_TEST_TIMEOUT_SECONDS), ==, 0);
  cli_assert_body (path_b, 19, 4000);
}

static guint
count_lines_with (const char *path,
                  const char *needle)
{
  g_autofree char *contents = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  for (const char *p = contents; (p = strstr (p, needle)) != NULL; p++)
    n++;
  return n;
}

/* An input far longer than what may wait at once (1024 downloads) is read
 * as the downloads get through it, not queued ahead: with every download
 * stuck (a server that answers in ten minutes), the run stops reading at
 * 1024, and an interrupt then finds exactly those. */
static void
test_input_read_ahead_bounded (CliFixture    *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GString) contents = g_string_new (NULL);
  g_autofree char *list = NULL;
  g_autofree char *out = g_build_filename (fixture->home, "events.json", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *events = NULL;
  gint64 deadline = g_get_monotonic_time () + (gint64) CLI_TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;

  for (guint i = 0; i < 3000; i++)
    g_string_append_printf (contents, "%sstuck-%u.bin?size=10&delay=600\n",
                            fault_server_get_uri (fixture->server), i);
  list = write_file (fixture, "list.txt", contents->str);

  {
    const char *args[] = { "-o", fixture->out_dir, "--json", "-i", list, NULL };

    process = cli_spawn (out, NULL, args);
  }
  while (count_lines_with (out, "\"event\":\"queued\"") < 1024)
    {
      g_assert_nonnull (g_subprocess_get_identifier (process));
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10000);
    }

  g_subprocess_send_signal (process, SIGINT);
  g_assert_cmpint (cli_wait (process, CLI_TEST_TIMEOUT_SECONDS), ==, 128 + SIGINT);
  g_assert_true (g_file_get_contents (out, &events, NULL, NULL));
  g_assert_cmpuint (count_lines_with (out, "\"event\":\"queued\""), ==, 1024);
  g_assert_nonnull (strstr (events, "\"total\":1024"));
}

/* An input line with a key Downloader does not know fails alone, and the
 * error repeats the key, not its value: a value may be a secret. */
static void
test_input_line_unknown_key_hidden (CliFixture    *fixture,
                                    gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=1000&seed=9");
  g_autofree char *b = cli_fixture_url (fixture, "b.bin?size=1000&seed=10");
  g_autofree char *contents = g_strdup_printf ("%s user=alice:Secr3tPw\n"
                                               "%s http://bob:Secr3tPw@127.0.0.1/z\n",
                                               a, b);
  g_autofree char *list = write_file (fixture, "list.txt", contents);
  g_autoptr(CliResult) result = NULL;

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", "-i", list, NULL);
  g_assert_cmpint (result->status, ==, 1);
  cli_check_json (result->out, "--count", "2",
                  "--expect", "0=failed:g-option-context-error-quark:1",
                  "--expect", "1=failed:g-option-context-error-quark:1", NULL);
  assert_contains (result->out, "list.txt:1: unexpected “user=…”");
  assert_contains (result->out, "list.txt:2: unexpected “http://bob@127.0.0.1/z”");
  g_assert_null (strstr (result->out, "Secr3tPw"));
  g_assert_null (strstr (result->err, "Secr3tPw"));
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, NULL), ==, 0);
}

/* A file fetched over several connections: every range request carries
 * the download's own headers, as its first request did. */
static void
test_ranges_carry_options (CliFixture    *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(SniffProxy) sniff = sniff_proxy_new (fault_server_get_port (fixture->server));
  g_autofree char *u = sniff_url (sniff, "split.bin?size=8m&seed=3&rate=4m");
  g_autofree char *path = g_build_filename (fixture->out_dir, "split.bin", NULL);
  g_autoptr(GPtrArray) heads = NULL;
  g_autoptr(CliResult) result = NULL;
  guint n_ranges = 0;

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--connections=4",
                    "--per-host=4", "--min-split-size=1M", "-H", "X-Token: t0k3n", u, NULL);
  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 3, 8 * 1024 * 1024);

  heads = sniff_proxy_dup_heads (sniff);
  for (guint i = 0; i < heads->len; i++)
    {
      const char *head = g_ptr_array_index (heads, i);

      if (strstr (head, "/split.bin") == NULL)
        continue;
      assert_contains (head, "\r\nX-Token: t0k3n");
      if (strstr (head, "\r\nRange: ") != NULL)
        n_ranges++;
    }
  g_assert_cmpuint (n_ranges, >=, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_unsetenv ("BRIDGE_DOWNLOADER_STALL_PROBE");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  CLI_FIXTURE_TEST ("/downloader/cli/request-options/header", test_header);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/user-agent", test_user_agent);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/referer", test_referer);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/load-cookies", test_load_cookies);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/bad-header", test_bad_header);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/input-line-options", test_input_line_options);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/input-line-bad-option", test_input_line_bad_option);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/input-line-limit", test_input_line_limit);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/input-line-unknown-key-hidden",
                    test_input_line_unknown_key_hidden);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/resume-after-kill-same-request",
                    test_resume_after_kill_same_request);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/history-keeps-options-not-secrets",
                    test_history_keeps_options_not_secrets);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/proxy-http", test_proxy_http);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/proxy-socks5", test_proxy_socks5);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/proxy-environment-http",
                    test_proxy_environment_http);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/proxy-environment-all",
                    test_proxy_environment_all);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/proxy-environment-no-proxy",
                    test_proxy_environment_no_proxy);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/proxy-environment-upper-case-http-ignored",
                    test_proxy_environment_upper_case_http_ignored);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/proxy-option-over-environment",
                    test_proxy_option_over_environment);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/proxy-environment-bad",
                    test_proxy_environment_bad);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/proxy-none-loads-no-resolver",
                    test_proxy_none_loads_no_resolver);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/input-streamed", test_input_streamed);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/input-read-ahead-bounded",
                    test_input_read_ahead_bounded);
  CLI_FIXTURE_TEST ("/downloader/cli/request-options/ranges-carry-options",
                    test_ranges_carry_options);

  return g_test_run ();
}
