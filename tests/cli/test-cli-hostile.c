/* test-cli-hostile.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/xattr.h>

#include <glib/gstdio.h>

#include "cli-test-util.h"

/* `bridge-downloader --headless` against servers and inputs that mean harm:
 * escape sequences in a status line or a file name, passwords in URLs,
 * input lists without end. Each case is what a user would run, against the
 * fault server in a thread of this process. */

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

/* Nothing that acts on a terminal: no ESC, BEL, CR, C1 CSI or bidi
 * override, only the newlines that end the lines. */
static void
assert_terminal_safe (const char *text)
{
  assert_lacks (text, "\033", "ESC");
  assert_lacks (text, "\a", "BEL");
  assert_lacks (text, "\r", "CR");
  assert_lacks (text, "\302\233", "C1 CSI");
  assert_lacks (text, "\342\200\256", "RIGHT-TO-LEFT OVERRIDE");
}

/* ---- terminal escapes ------------------------------------------------------------- */

/* A reason phrase that would set the window title and clear the screen is
 * shown escaped in the failure line. */
static void
test_escape_reason (CliFixture    *fixture,
                    gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture,
                                        "e.bin?status=404&reason=Gone%1B%5D0%3Bpwned%07%1B%5B2J"
                                        "%C2%9B31m%E2%80%AE");
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, u, NULL);

  g_assert_cmpint (result->status, ==, 1);
  assert_terminal_safe (result->err);
  /* Escaped, not dropped: the message still says what the server said. */
  assert_contains (result->err, "Gone\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m\\u202e");
}

/* ---- passwords in URLs ------------------------------------------------------------ */

static char *
url_with_password (CliFixture *fixture,
                   const char *path_and_query)
{
  return g_strdup_printf ("http://alice:Pa55w0rd@127.0.0.1:%u/%s",
                          fault_server_get_port (fixture->server), path_and_query);
}

/* Neither the JSON events nor the failure lines show the password; they
 * show the URL without it. */
static void
test_url_password_not_shown (CliFixture    *fixture,
                             gconstpointer  user_data)
{
  g_autofree char *ok = url_with_password (fixture, "ok.bin?size=2000&seed=3");
  g_autofree char *missing = url_with_password (fixture, "missing.bin?status=404");
  g_autoptr(CliResult) json = NULL;
  g_autoptr(CliResult) human = NULL;
  g_autofree char *shown = NULL;

  json = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", ok, missing, NULL);
  g_assert_cmpint (json->status, ==, 1);
  cli_check_json (json->out, "--count", "2", "--expect", "0=done", "--expect", "1=failed", NULL);
  assert_lacks (json->out, "Pa55w0rd", "the password");
  assert_lacks (json->err, "Pa55w0rd", "the password");
  shown = g_strdup_printf ("\"url\":\"http://alice@127.0.0.1:%u/missing.bin?status=404\"",
                           fault_server_get_port (fixture->server));
  assert_contains (json->out, shown);

  human = cli_run (fixture->home, NULL, "-o", fixture->out_dir, missing, NULL);
  g_assert_cmpint (human->status, ==, 1);
  assert_lacks (human->err, "Pa55w0rd", "the password");
  assert_contains (human->err, "http://alice@127.0.0.1");
}

/* ---- input files ------------------------------------------------------------------ */

static char *
write_file (CliFixture *fixture,
            const char *name,
            const char *contents,
            gssize      length)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fixture->home, name, NULL);

  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
  return path;
}

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* A line over the limit stops reading the input with an error naming the
 * line, and the run ends with the usage status; the lines before it were
 * queued as they were read (at most line 1 here is requested). An endless
 * line (/dev/zero) too, at once, without reading it into memory, before
 * anything is requested. */
static void
test_input_line_too_long (CliFixture    *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "a.bin?size=10");
  g_autoptr(GString) contents = g_string_new (NULL);
  g_autofree char *list = NULL;
  g_autoptr(CliResult) result = NULL;
  g_autoptr(CliResult) zero = NULL;
  guint n_requests;

  g_string_append_printf (contents, "%s\n# fine\n%s?", u, u);
  for (guint i = 0; i < 100 * 1024; i++)
    g_string_append_c (contents, 'x');
  g_string_append_c (contents, '\n');
  list = write_file (fixture, "long.txt", contents->str, (gssize) contents->len);

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "-i", list, NULL);
  g_assert_cmpint (result->status, ==, 2);
  assert_contains (result->err, "long.txt:3: the line is longer than 65536 bytes");
  n_requests = fault_server_get_request_count (fixture->server, NULL);
  g_assert_cmpuint (n_requests, <=, 1);

  zero = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "-i", "/dev/zero", NULL);
  g_assert_cmpint (zero->status, ==, 2);
  assert_contains (zero->err, "/dev/zero:1: the line is longer than 65536 bytes");
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, NULL), ==, n_requests);
}

/* A malformed line fails that line only: the others are downloaded, and
 * the failure names the line. */
static void
test_input_bad_line_alone (CliFixture    *fixture,
                           gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=1000&seed=1");
  g_autofree char *b = cli_fixture_url (fixture, "b.bin?size=2000&seed=2");
  g_autofree char *c = cli_fixture_url (fixture, "c.bin?size=3000&seed=3");
  g_autofree char *d = cli_fixture_url (fixture, "d.bin?size=4000&seed=4");
  g_autofree char *contents = g_strdup_printf ("%s\n%s sha256=1234\n%s please\n%s sha256=%s\n",
                                               a, b, c, d, HEX_A);
  g_autofree char *list = write_file (fixture, "list.txt", contents, -1);
  g_autofree char *path_a = g_build_filename (fixture->out_dir, "a.bin", NULL);
  g_autofree char *path_b = g_build_filename (fixture->out_dir, "b.bin", NULL);
  g_autoptr(CliResult) result = NULL;

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", "-i", list, NULL);
  g_assert_cmpint (result->status, ==, 1);
  cli_check_json (result->out, "--count", "4",
                  "--expect", "0=done",
                  "--expect", "1=failed:g-option-context-error-quark:1",
                  "--expect", "2=failed:g-option-context-error-quark:1",
                  "--expect", "3=failed:dl-download-error-quark:5", NULL);
  assert_contains (result->out, "list.txt:2: “1234” is not a SHA-256 checksum");
  assert_contains (result->out, "list.txt:3: unexpected “please”");
  cli_assert_body (path_a, 1, 1000);
  g_assert_false (g_file_test (path_b, G_FILE_TEST_EXISTS));
  /* The bad lines were never requested. */
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, NULL), ==, 2);
}

/* ---- concurrent first runs --------------------------------------------------------- */

#define CONCURRENT_FIRST_RUNS 40

/* Many runs start at once with no history yet: every one of them creates
 * (or finds) the same history, none fails on it, and each one's download
 * is in it, so any of them could be resumed. */
static void
test_concurrent_first_runs (CliFixture    *fixture,
                            gconstpointer  user_data)
{
  GSubprocess *processes[CONCURRENT_FIRST_RUNS];
  char *err_paths[CONCURRENT_FIRST_RUNS];

  for (guint i = 0; i < CONCURRENT_FIRST_RUNS; i++)
    {
      g_autofree char *query = g_strdup_printf ("c%u.bin?size=%u&seed=%u", i, 1000 + i, i);
      g_autofree char *u = cli_fixture_url (fixture, query);
      g_autofree char *dir = g_strdup_printf ("%s/%u", fixture->out_dir, i);
      const char *args[] = { "-o", dir, u, NULL };

      err_paths[i] = g_strdup_printf ("%s/err-%u.txt", fixture->home, i);
      processes[i] = cli_spawn (NULL, err_paths[i], args);
    }

  for (guint i = 0; i < CONCURRENT_FIRST_RUNS; i++)
    {
      g_autofree char *err = NULL;
      g_autofree char *name = g_strdup_printf ("c%u.bin", i);
      g_autofree char *dir = g_strdup_printf ("%s/%u", fixture->out_dir, i);
      g_autofree char *file = g_build_filename (dir, name, NULL);
      int status = cli_wait (processes[i], CLI_TEST_TIMEOUT_SECONDS);

      g_assert_true (g_file_get_contents (err_paths[i], &err, NULL, NULL));
      if (status != 0 || strstr (err, "history") != NULL)
        g_error ("run %u: exit %d: %s", i, status, err);
      cli_assert_body (file, i, 1000 + i);
      g_object_unref (processes[i]);
      g_free (err_paths[i]);
    }
}

/* ---- the history ------------------------------------------------------------------ */

static char *
history_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "bridge-downloader", "downloads.sqlite", NULL);
}

/* Runs @sql on the history with Python's sqlite3 module (no sqlite3
 * program is needed). */
static void
history_exec (const char *sql)
{
  g_autofree char *path = history_path ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = {
    "/usr/bin/python3", "-c",
    "import sqlite3, sys\n"
    "db = sqlite3.connect(sys.argv[1])\n"
    "db.execute(sys.argv[2])\n"
    "db.commit()\n",
    path, sql, NULL
  };
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status,
                &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s: %s", sql, err);
}

/* A history row with an impossible resume offset (negative, or past the
 * end of the file) is not trusted: the download starts over from zero,
 * with a warning, and completes. */
static void
test_history_bad_offset (CliFixture    *fixture,
                         gconstpointer  user_data)
{
  const char *offsets[] = { "-5", "999999999" };

  for (guint i = 0; i < G_N_ELEMENTS (offsets); i++)
    {
      g_autofree char *query = g_strdup_printf ("b%u.bin?size=100k&seed=%u&drop_after=40k&faults=1",
                                                i, 20 + i);
      g_autofree char *u = cli_fixture_url (fixture, query);
      g_autofree char *name = g_strdup_printf ("b%u.bin", i);
      g_autofree char *path = g_build_filename (fixture->out_dir, name, NULL);
      g_autofree char *sql = NULL;
      g_autoptr(CliResult) first = NULL;
      g_autoptr(CliResult) second = NULL;

      first = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--retries", "0", u, NULL);
      g_assert_cmpint (first->status, ==, 1);

      sql = g_strdup_printf ("UPDATE downloads SET resume_offset = %s, bytes_received = %s "
                             "WHERE url = '%s'", offsets[i], offsets[i], u);
      history_exec (sql);

      second = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", u, NULL);
      if (second->status != 0)
        g_error ("re-run with resume_offset %s: exit %d: %s%s", offsets[i], second->status,
                 second->out, second->err);
      cli_check_json (second->out, "--expect", "0=done", NULL);
      assert_contains (second->err, "starting over");
      cli_assert_body (path, 20 + i, 100 * 1024);
    }
}

/* ---- running the same command again ------------------------------------------------ */

static guint
count_files (const char *dir,
             const char *suffix)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (suffix == NULL || g_str_has_suffix (name, suffix))
      n++;
  return n;
}

/* A finished run, run again: every file is reported done (skipped), none
 * is fetched or saved a second time; --fresh fetches them all again. */
static void
test_rerun_skips_done (CliFixture    *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=10k&seed=1");
  g_autofree char *b = cli_fixture_url (fixture, "b.bin?size=20k&seed=2");
  g_autofree char *c = cli_fixture_url (fixture, "c.bin?size=30k&seed=3");
  g_autofree char *path_b = g_build_filename (fixture->out_dir, "b.bin", NULL);
  g_autoptr(CliResult) first = NULL;
  g_autoptr(CliResult) second = NULL;
  g_autoptr(CliResult) human = NULL;
  g_autoptr(CliResult) after_delete = NULL;
  g_autoptr(CliResult) fresh = NULL;
  guint requests;

  first = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", a, b, c, NULL);
  g_assert_cmpint (first->status, ==, 0);
  g_assert_cmpuint (count_files (fixture->out_dir, NULL), ==, 3);
  requests = fault_server_get_request_count (fixture->server, NULL);

  second = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", a, b, c, NULL);
  g_assert_cmpint (second->status, ==, 0);
  cli_check_json (second->out, "--count", "3", "--expect", "0=done", "--expect", "1=done",
                  "--expect", "2=done", "--check-files", NULL);
  assert_contains (second->out, "\"skipped\":true");
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, NULL), ==, requests);
  g_assert_cmpuint (count_files (fixture->out_dir, NULL), ==, 3);

  human = cli_run (fixture->home, NULL, "-o", fixture->out_dir, a, b, c, NULL);
  g_assert_cmpint (human->status, ==, 0);
  assert_contains (human->err, "Already saved");
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, NULL), ==, requests);

  /* A file deleted since is fetched again, under its own name. */
  g_assert_cmpint (g_unlink (path_b), ==, 0);
  after_delete = cli_run (fixture->home, NULL, "-o", fixture->out_dir, a, b, c, NULL);
  g_assert_cmpint (after_delete->status, ==, 0);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, NULL), ==, requests + 1);
  cli_assert_body (path_b, 2, 20 * 1024);
  g_assert_cmpuint (count_files (fixture->out_dir, NULL), ==, 3);

  /* --fresh: everything again (beside the files there, which are kept). */
  fresh = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--fresh", "--json", a, b, c, NULL);
  g_assert_cmpint (fresh->status, ==, 0);
  g_assert_null (strstr (fresh->out, "\"skipped\":true"));
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, NULL), ==, requests + 4);
  g_assert_cmpuint (count_files (fixture->out_dir, NULL), ==, 6);
  g_assert_cmpuint (count_files (fixture->out_dir, ".part"), ==, 0);
}

/* Interrupted with some files done and one half way, then run again: the
 * done ones are skipped, the partial one resumes; one file per URL, no
 * .part left. */
static void
test_rerun_after_interrupt (CliFixture    *fixture,
                            gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=10k&seed=1");
  g_autofree char *b = cli_fixture_url (fixture, "b.bin?size=20k&seed=2");
  g_autofree char *big = cli_fixture_url (fixture, "big.bin?size=8m&rate=2m&seed=5");
  g_autofree char *part = g_build_filename (fixture->out_dir, "big.bin.part", NULL);
  g_autofree char *path_big = g_build_filename (fixture->out_dir, "big.bin", NULL);
  g_autofree char *path_a = g_build_filename (fixture->out_dir, "a.bin", NULL);
  g_autofree char *path_b = g_build_filename (fixture->out_dir, "b.bin", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(CliResult) rerun = NULL;
  const char *args[] = { "-o", fixture->out_dir, "--json", a, b, big, NULL };

  process = cli_spawn (NULL, NULL, args);
  cli_wait_for_size (part, 1024 * 1024, process, CLI_TEST_TIMEOUT_SECONDS);
  g_assert_true (g_file_test (path_a, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (path_b, G_FILE_TEST_EXISTS));
  g_subprocess_send_signal (process, SIGINT);
  g_assert_cmpint (cli_wait (process, CLI_TEST_TIMEOUT_SECONDS), ==, 130);

  rerun = cli_runv (fixture->home, NULL, args);
  g_assert_cmpint (rerun->status, ==, 0);
  cli_check_json (rerun->out, "--count", "3", "--expect", "0=done", "--expect", "1=done",
                  "--expect", "2=done", "--resumed", "2=-1", "--check-files", NULL);
  cli_assert_body (path_a, 1, 10 * 1024);
  cli_assert_body (path_b, 2, 20 * 1024);
  cli_assert_body (path_big, 5, 8 * 1024 * 1024);
  g_assert_cmpuint (count_files (fixture->out_dir, NULL), ==, 3);
}

/* ---- integrity -------------------------------------------------------------------- */

/* A chunked body (no length) cut at a chunk boundary, or with a malformed
 * chunk, is a cut connection: the download resumes and ends with the whole
 * file. A server that always cuts (and cannot resume) makes the download
 * fail, with no final file. A correct chunked body is accepted as it is. */
static void
test_chunked_cut (CliFixture    *fixture,
                  gconstpointer  user_data)
{
  const char *faults[] = {
    "chunked=1", "chunked_cut=48k", "chunked_garbage=zz", "chunked_garbage=neg",
    "chunked_garbage=huge", "chunked_garbage=nocrlf",
  };

  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autofree char *query = g_strdup_printf ("k%u.bin?size=100000&seed=%u&faults=1&%s",
                                                i, 30 + i, faults[i]);
      g_autofree char *u = cli_fixture_url (fixture, query);
      g_autofree char *name = g_strdup_printf ("k%u.bin", i);
      g_autofree char *path = g_build_filename (fixture->out_dir, name, NULL);
      g_autoptr(CliResult) result = NULL;

      g_test_message ("%s", faults[i]);
      result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", u, NULL);
      g_assert_cmpint (result->status, ==, 0);
      cli_check_json (result->out, "--expect", "0=done", "--check-files", NULL);
      cli_assert_body (path, 30 + i, 100000);
    }

  {
    g_autofree char *u = cli_fixture_url (fixture, "always.bin?size=100000&chunked_cut=48k&no_range=1");
    g_autofree char *path = g_build_filename (fixture->out_dir, "always.bin", NULL);
    g_autoptr(CliResult) result = NULL;

    result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", "--retries", "2",
                      u, NULL);
    g_assert_cmpint (result->status, ==, 1);
    cli_check_json (result->out, "--expect", "0=failed", NULL);
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  }
}

/* A server that ignores If-Range and answers the resume with a range of
 * another version of the file (another ETag; or, without ETags, another
 * Last-Modified): the download starts over instead of joining the two. */
static void
test_range_etag_change (CliFixture    *fixture,
                        gconstpointer  user_data)
{
  const char *variants[] = { "", "&no_etag=1" };

  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autofree char *query = g_strdup_printf ("v%u.bin?size=100k&seed=%u&drop_after=40k&faults=1"
                                                "&range_etag_change=1%s", i, 40 + i, variants[i]);
      g_autofree char *u = cli_fixture_url (fixture, query);
      g_autofree char *name = g_strdup_printf ("v%u.bin", i);
      g_autofree char *path = g_build_filename (fixture->out_dir, name, NULL);
      g_autoptr(CliResult) result = NULL;

      g_test_message ("range_etag_change%s", variants[i]);
      result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", u, NULL);
      g_assert_cmpint (result->status, ==, 0);
      cli_check_json (result->out, "--expect", "0=done", "--check-files", NULL);
      cli_assert_body (path, 40 + i, 100 * 1024);
      assert_contains (result->out, "The file changed on the server");
    }
}

/* ---- retries ---------------------------------------------------------------------- */

/* The "delay" of the first "retrying" event in @json, in seconds. */
static double
first_retry_delay (const char *json)
{
  const char *retrying = strstr (json, "\"event\":\"retrying\"");
  const char *delay;

  if (retrying == NULL)
    g_error ("no retrying event in: %s", json);
  delay = strstr (retrying, "\"delay\":");
  g_assert_nonnull (delay);
  return g_ascii_strtod (delay + strlen ("\"delay\":"), NULL);
}

/* A server's Retry-After is honoured up to a cap: 600 s by default, less
 * with --max-retry-after; an hour or a day is not waited for. 408, 425
 * and 429 are worth another try, other 4xx are not, nor headers too big
 * to read. */
static void
test_retry_after_capped (CliFixture    *fixture,
                         gconstpointer  user_data)
{
  g_autofree char *day = cli_fixture_url (fixture, "d.bin?size=1000&status=503&retry_after=86400");
  g_autofree char *hour = cli_fixture_url (fixture,
                                           "h.bin?size=1000&seed=7&status=503,200&key=hour&retry_after=3600");
  g_autofree char *early = cli_fixture_url (fixture, "e.bin?size=1000&seed=8&status=425,200&key=early");
  g_autofree char *forbidden = cli_fixture_url (fixture, "f.bin?size=1000&status=403,200&key=forbidden");
  g_autofree char *path = g_build_filename (fixture->out_dir, "h.bin", NULL);
  g_autofree char *path_early = g_build_filename (fixture->out_dir, "e.bin", NULL);
  g_autoptr(CliResult) default_cap = NULL;
  g_autoptr(CliResult) capped = NULL;
  g_autoptr(CliResult) statuses = NULL;

  /* The default: the first retry waits 600 s, not a day (the run gives up
   * at --max-time). */
  default_cap = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", "--max-time", "1",
                         day, NULL);
  g_assert_cmpint (default_cap->status, ==, 1);
  g_assert_cmpfloat (first_retry_delay (default_cap->out), <=, 600.0);
  g_assert_cmpfloat (first_retry_delay (default_cap->out), >, 590.0);

  capped = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", "--max-retry-after",
                    "0.5", hour, NULL);
  g_assert_cmpint (capped->status, ==, 0);
  g_assert_cmpfloat (first_retry_delay (capped->out), <=, 0.5);
  cli_assert_body (path, 7, 1000);

  statuses = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", "--max-retry-after",
                      "0.5", early, forbidden, NULL);
  g_assert_cmpint (statuses->status, ==, 1);
  cli_check_json (statuses->out, "--expect", "0=done", "--expect", "1=failed", NULL);
  cli_assert_body (path_early, 8, 1000);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "forbidden"), ==, 1);

  /* Response headers over libsoup's limit: as permanent as a 403. */
  {
    g_autofree char *big = cli_fixture_url (fixture, "b.bin?size=1000&header_size=200k&key=big");
    g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json",
                                           "--max-retry-after", "0.5", big, NULL);

    g_assert_cmpint (result->status, ==, 1);
    cli_check_json (result->out, "--expect", "0=failed", NULL);
    g_assert_cmpuint (fault_server_get_request_count (fixture->server, "big"), ==, 1);
  }
}

/* ---- bounds ----------------------------------------------------------------------- */

/* --max-filesize: a body without end fails once past the limit, and its
 * .part goes (no length, no ranges: it could never be completed); a file
 * announced larger fails before anything is written. */
static void
test_max_filesize (CliFixture    *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *endless = cli_fixture_url (fixture, "forever.bin?endless=1&rate=8m");
  g_autofree char *big = cli_fixture_url (fixture, "big.bin?size=2m");
  g_autofree char *small = cli_fixture_url (fixture, "small.bin?size=1000&seed=3");
  g_autofree char *path_small = g_build_filename (fixture->out_dir, "small.bin", NULL);
  g_autoptr(CliResult) result = NULL;

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", "--max-filesize", "1M",
                    endless, big, small, NULL);
  g_assert_cmpint (result->status, ==, 1);
  cli_check_json (result->out, "--expect", "0=failed", "--expect", "1=failed",
                  "--expect", "2=done", NULL);
  assert_contains (result->out, "larger than the limit of 1048576 bytes");
  cli_assert_body (path_small, 3, 1000);
  /* Only the small file: no forever.bin.part, no big.bin. */
  g_assert_cmpuint (count_files (fixture->out_dir, NULL), ==, 1);
}

/* A server that names its file "foo.bin.part" gets no file whose name
 * ends in the partial suffix: the saved name is "foo.bin_part". So it
 * cannot plant what a resume of an interrupted "foo.bin" would take for
 * its own partial file. */
static void
test_part_name (CliFixture    *fixture,
                gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "dir/foo.bin?size=5000&seed=6&part_name=1");
  g_autofree char *upper = cli_fixture_url (fixture,
                                            "x?size=10&cd=attachment%3B%20filename%3D%22B.PART%22");
  g_autofree char *path = g_build_filename (fixture->out_dir, "foo.bin_part", NULL);
  g_autoptr(CliResult) result = NULL;

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", u, upper, NULL);
  g_assert_cmpint (result->status, ==, 0);
  cli_check_json (result->out, "--expect", "0=done", "--expect", "1=done", "--check-files", NULL);
  cli_assert_body (path, 6, 5000);
  g_assert_cmpuint (count_files (fixture->out_dir, ".part"), ==, 0);
  g_assert_cmpuint (count_files (fixture->out_dir, ".PART"), ==, 0);
  g_assert_cmpuint (count_files (fixture->out_dir, NULL), ==, 2);
}

/* The history (downloads.sqlite, and its WAL) never holds the password;
 * running the same command again gives it back, and the download resumes
 * under its history entry. */
static void
test_url_password_not_stored (CliFixture    *fixture,
                              gconstpointer  user_data)
{
  g_autofree char *u = url_with_password (fixture,
                                          "s.bin?size=100k&seed=12&drop_after=40k&faults=1&key=pw");
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "bridge-downloader", NULL);
  g_autofree char *path = g_build_filename (fixture->out_dir, "s.bin", NULL);
  g_autoptr(CliResult) first = NULL;
  g_autoptr(CliResult) second = NULL;
  g_autoptr(GDir) d = NULL;
  const char *name;

  first = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--retries", "0", u, NULL);
  g_assert_cmpint (first->status, ==, 1);

  d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *file = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;

      g_assert_true (g_file_get_contents (file, &contents, &len, NULL));
      /* Binary: the file has NUL bytes long before the rows. */
      if (memmem (contents, len, "Pa55w0rd", strlen ("Pa55w0rd")) != NULL)
        g_error ("the password is in %s", file);
    }

  second = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", u, NULL);
  g_assert_cmpint (second->status, ==, 0);
  cli_check_json (second->out, "--expect", "0=done", "--resumed", "0=-1", NULL);
  cli_assert_body (path, 12, 100 * 1024);
}

/* The "done" event's SHA-256 describes the bytes the engine saved, even
 * when the output folder is swapped for a symbolic link to a decoy while
 * the download runs (the engine keeps writing through its descriptors, so
 * the file lands in the real folder; the path now leads to the decoy). */
static void
test_sha256_folder_swapped (CliFixture    *fixture,
                            gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "f.bin?size=4m&rate=4m&seed=14");
  g_autofree char *events_path = g_build_filename (fixture->home, "events.jsonl", NULL);
  g_autofree char *part = g_build_filename (fixture->out_dir, "f.bin.part", NULL);
  g_autofree char *real = g_build_filename (fixture->home, "real", NULL);
  g_autofree char *decoy = g_build_filename (fixture->home, "decoy", NULL);
  g_autofree char *decoy_file = g_build_filename (decoy, "f.bin", NULL);
  g_autofree char *real_file = g_build_filename (real, "f.bin", NULL);
  g_autofree char *expected = fault_server_body_sha256 (14, 4 * 1024 * 1024);
  g_autofree char *expected_field = g_strdup_printf ("\"sha256\":\"%s\"", expected);
  g_autofree char *events = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *args[] = { "-o", fixture->out_dir, "--json", u, NULL };

  g_assert_cmpint (g_mkdir_with_parents (decoy, 0700), ==, 0);
  g_file_set_contents (decoy_file, "not what the server sent", -1, &error);
  g_assert_no_error (error);

  process = cli_spawn (events_path, NULL, args);
  cli_wait_for_size (part, 512 * 1024, process, CLI_TEST_TIMEOUT_SECONDS);
  g_assert_cmpint (g_rename (fixture->out_dir, real), ==, 0);
  g_assert_cmpint (symlink (decoy, fixture->out_dir), ==, 0);
  g_assert_cmpint (cli_wait (process, CLI_TEST_TIMEOUT_SECONDS), ==, 0);

  g_file_get_contents (events_path, &events, NULL, &error);
  g_assert_no_error (error);
  cli_check_json (events, "--expect", "0=done", NULL);
  cli_assert_body (real_file, 14, 4 * 1024 * 1024);
  assert_contains (events, expected_field);
}

/* An interrupted download's foo.bin.part, deleted by the user and replaced
 * by a file of the same name it did not create: the re-run leaves that
 * file alone and starts over under another name ("foo (1).bin"), instead
 * of adopting its bytes. The saved file is right, and carries no mark of
 * ours. */
static void
test_part_not_adopted (CliFixture    *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "foo.bin?size=4m&rate=4m&seed=15");
  g_autofree char *part = g_build_filename (fixture->out_dir, "foo.bin.part", NULL);
  /* foo.bin.part is taken: the new partial file, and so the file, gets
   * the next free name. */
  g_autofree char *path = g_build_filename (fixture->out_dir, "foo (1).bin", NULL);
  g_autofree char *junk = g_malloc (3 * 1024 * 1024);
  g_autofree char *after = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(CliResult) rerun = NULL;
  g_autoptr(GError) error = NULL;
  const char *args[] = { "-o", fixture->out_dir, "--json", u, NULL };
  gsize after_len = 0;

  process = cli_spawn (NULL, NULL, args);
  cli_wait_for_size (part, 1024 * 1024, process, CLI_TEST_TIMEOUT_SECONDS);
  g_subprocess_send_signal (process, SIGINT);
  g_assert_cmpint (cli_wait (process, CLI_TEST_TIMEOUT_SECONDS), ==, 130);

  /* The user deletes it; something else makes a file of that name. */
  g_assert_cmpint (g_unlink (part), ==, 0);
  memset (junk, 'J', 3 * 1024 * 1024);
  g_file_set_contents (part, junk, 3 * 1024 * 1024, &error);
  g_assert_no_error (error);

  rerun = cli_runv (fixture->home, NULL, args);
  g_assert_cmpint (rerun->status, ==, 0);
  cli_check_json (rerun->out, "--expect", "0=done", "--check-files", NULL);
  cli_assert_body (path, 15, 4 * 1024 * 1024);
  g_assert_cmpint (getxattr (path, "user.bridge-downloader.owner", NULL, 0), <, 0);

  /* The other file is untouched. */
  g_file_get_contents (part, &after, &after_len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after_len, ==, 3 * 1024 * 1024);
  g_assert_true (memcmp (after, junk, after_len) == 0);
}

/* A download killed after creating its partial file but before its name
 * reached the history (simulated: the name is taken out of the row) chooses
 * its name again on the next run: its own orphan .part goes, the file gets
 * its name, and nothing is left behind (no "o (1).bin", no .part). */
static void
test_rerun_orphan_part (CliFixture    *fixture,
                        gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "o.bin?size=4m&rate=4m&seed=16");
  g_autofree char *part = g_build_filename (fixture->out_dir, "o.bin.part", NULL);
  g_autofree char *path = g_build_filename (fixture->out_dir, "o.bin", NULL);
  g_autofree char *sql = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(CliResult) rerun = NULL;
  const char *args[] = { "-o", fixture->out_dir, "--json", u, NULL };

  process = cli_spawn (NULL, NULL, args);
  cli_wait_for_size (part, 1024 * 1024, process, CLI_TEST_TIMEOUT_SECONDS);
  g_subprocess_send_signal (process, SIGINT);
  g_assert_cmpint (cli_wait (process, CLI_TEST_TIMEOUT_SECONDS), ==, 130);

  sql = g_strdup_printf ("UPDATE downloads SET file_name = NULL, resume_offset = 0, "
                         "bytes_received = 0 WHERE url = '%s'", u);
  history_exec (sql);

  rerun = cli_runv (fixture->home, NULL, args);
  g_assert_cmpint (rerun->status, ==, 0);
  cli_check_json (rerun->out, "--expect", "0=done", "--check-files", NULL);
  cli_assert_body (path, 16, 4 * 1024 * 1024);
  g_assert_cmpuint (count_files (fixture->out_dir, NULL), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_unsetenv ("BRIDGE_DOWNLOADER_STALL_PROBE");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  CLI_FIXTURE_TEST ("/downloader/cli/hostile/escape-reason", test_escape_reason);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/url-password-not-shown", test_url_password_not_shown);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/url-password-not-stored", test_url_password_not_stored);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/input-line-too-long", test_input_line_too_long);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/input-bad-line-alone", test_input_bad_line_alone);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/concurrent-first-runs", test_concurrent_first_runs);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/history-bad-offset", test_history_bad_offset);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/rerun-skips-done", test_rerun_skips_done);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/rerun-after-interrupt", test_rerun_after_interrupt);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/rerun-orphan-part", test_rerun_orphan_part);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/chunked-cut", test_chunked_cut);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/range-etag-change", test_range_etag_change);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/retry-after-capped", test_retry_after_capped);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/max-filesize", test_max_filesize);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/part-name", test_part_name);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/part-not-adopted", test_part_not_adopted);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/sha256-folder-swapped", test_sha256_folder_swapped);

  return g_test_run ();
}
