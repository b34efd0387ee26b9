/* test-cli.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cli-test-util.h"

/* `bridge-downloader --headless` as a user runs it: the built binary,
 * spawned, against the fault server running in a thread of this process.
 * Each test case gets its own HOME and XDG dirs (G_TEST_OPTION_ISOLATE_DIRS,
 * inherited by the CLI), so its own history and output folder. */

/* DL_DOWNLOAD_ERROR's domain and codes, as the JSON events spell them. */
#define DL_ERROR_DOMAIN "dl-download-error-quark"
#define DL_ERROR_HTTP "1"
#define DL_ERROR_CHECKSUM "5"

static char *
out_path (CliFixture    *fixture,
          const char *name)
{
  return g_build_filename (fixture->out_dir, name, NULL);
}

static void
assert_body (CliFixture    *fixture,
             const char *name,
             guint64     seed,
             guint64     size)
{
  g_autofree char *path = out_path (fixture, name);

  cli_assert_body (path, seed, size);
}

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

static char *
write_file (CliFixture    *fixture,
            const char *name,
            const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fixture->home, name, NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

/* ---- usage errors: exit 2, nothing downloaded ------------------------------------------ */

static void
assert_usage_error (CliFixture    *fixture,
                    const char       *expected_message,
                    const char * const *args)
{
  g_autoptr(CliResult) result = cli_runv (fixture->home, NULL, args);

  g_assert_cmpint (result->status, ==, 2);
  g_assert_cmpstr (result->out, ==, "");
  if (strstr (result->err, expected_message) == NULL)
    g_error ("expected “%s” in: %s", expected_message, result->err);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, NULL), ==, 0);
  g_assert_false (g_file_test (fixture->out_dir, G_FILE_TEST_EXISTS));
}

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void
test_usage_no_url (CliFixture    *fixture,
                   gconstpointer  user_data)
{
  const char *args[] = { "-o", fixture->out_dir, NULL };

  assert_usage_error (fixture, "No URL", args);
}

static void
test_usage_bad_option (CliFixture    *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "a.bin");
  const char *args[] = { "-o", fixture->out_dir, "--bogus", u, NULL };

  assert_usage_error (fixture, "--bogus", args);
}

static void
test_usage_bad_numbers (CliFixture    *fixture,
                        gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "a.bin");
  const char *cases[][2] = {
    { "--jobs", "0" }, { "--jobs", "many" }, { "--jobs", "2000" },
    { "--per-host", "0" }, { "--retries", "-1" },
    { "--timeout", "0" }, { "--timeout", "soon" }, { "--connect-timeout", "-3" },
    { "--max-time", "0" }, { "--max-time", "90000" },
    { "--limit-rate", "0" }, { "--limit-rate", "fast" }, { "--limit-rate", "10x" },
    { "--limit-rate", "1kb" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *args[] = { "-o", fixture->out_dir, cases[i][0], cases[i][1], u, NULL };

      assert_usage_error (fixture, cases[i][0], args);
    }
}

static void
test_usage_bad_sha256 (CliFixture    *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "a.bin");
  const char *args[] = { "-o", fixture->out_dir, "--sha256", "0123abc", u, NULL };
  const char *args_not_hex[] = {
    "-o", fixture->out_dir, "--sha256",
    "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", u, NULL
  };

  assert_usage_error (fixture, "not a SHA-256", args);
  assert_usage_error (fixture, "not a SHA-256", args_not_hex);
}

static void
test_usage_sha256_count (CliFixture    *fixture,
                         gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "a.bin");
  g_autofree char *v = cli_fixture_url (fixture, "b.bin");
  const char *too_many[] = {
    "-o", fixture->out_dir, "--sha256", HEX_A, "--sha256", HEX_A, u, NULL
  };
  const char *too_few[] = { "-o", fixture->out_dir, "--sha256", HEX_A, u, v, NULL };

  assert_usage_error (fixture, "--sha256", too_many);
  assert_usage_error (fixture, "--sha256", too_few);
}

/* A malformed line fails on its own (test-cli-hostile); a missing file is
 * a usage error. */
static void
test_usage_bad_input_file (CliFixture    *fixture,
                           gconstpointer  user_data)
{
  const char *missing[] = { "-o", fixture->out_dir, "-i", "/nonexistent/urls.txt", NULL };

  assert_usage_error (fixture, "/nonexistent/urls.txt", missing);
}

/* ---- outcomes ----------------------------------------------------------------------- */

static void
test_all_ok (CliFixture    *fixture,
             gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=1m&seed=1");
  g_autofree char *b = cli_fixture_url (fixture, "b.bin?size=3000&seed=2");
  g_autofree char *c = cli_fixture_url (fixture, "empty.bin?size=0");
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir,
                                         a, b, c, NULL);

  g_assert_cmpint (result->status, ==, 0);
  g_assert_cmpstr (result->out, ==, "");
  assert_body (fixture, "a.bin", 1, 1024 * 1024);
  assert_body (fixture, "b.bin", 2, 3000);
  assert_body (fixture, "empty.bin", 0, 0);
  g_assert_cmpuint (count_files (fixture->out_dir, NULL), ==, 3);
  g_assert_nonnull (strstr (result->err, "3 downloads completed"));
}

/* --limit-rate=0.25M (256 KiB/s): 512 KiB take at least as long as the limit says
 * (less the first quarter second's burst), and arrive whole; suffixes
 * are powers of 1024, as in curl. */
static void
test_limit_rate (CliFixture    *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=512k&seed=1");
  gint64 start = g_get_monotonic_time ();
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir,
                                         "--limit-rate=0.25M", a, NULL);
  double seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  g_assert_cmpint (result->status, ==, 0);
  assert_body (fixture, "a.bin", 1, 512 * 1024);
  g_assert_cmpfloat (seconds, >=, (512 - 64) / 256.0);
}

static void
test_one_404 (CliFixture    *fixture,
              gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=100k&seed=1");
  g_autofree char *missing = cli_fixture_url (fixture, "missing.bin?status=404");
  g_autofree char *b = cli_fixture_url (fixture, "b.bin?size=200k&seed=2");
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir,
                                         a, missing, b, NULL);

  g_assert_cmpint (result->status, ==, 1);
  assert_body (fixture, "a.bin", 1, 100 * 1024);
  assert_body (fixture, "b.bin", 2, 200 * 1024);
  g_assert_cmpuint (count_files (fixture->out_dir, NULL), ==, 2);
  g_assert_nonnull (strstr (result->err, "HTTP 404"));
  g_assert_nonnull (strstr (result->err, "1 of 3 downloads failed"));
}

static void
test_bad_url (CliFixture    *fixture,
              gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=10k&seed=1");
  g_autofree char *code = g_strdup_printf ("failed:%s:%d", g_quark_to_string (G_IO_ERROR),
                                           G_IO_ERROR_NOT_SUPPORTED);
  g_autofree char *expect_ftp = g_strconcat ("1=", code, NULL);
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json",
                                         a, "ftp://example.com/file", NULL);

  g_assert_cmpint (result->status, ==, 1);
  assert_body (fixture, "a.bin", 1, 10 * 1024);
  cli_check_json (result->out, "--count", "2", "--expect", "0=done", "--expect", expect_ftp, NULL);
}

/* ---- --json ----------------------------------------------------------------------------- */

static void
test_json_events (CliFixture    *fixture,
                  gconstpointer  user_data)
{
  g_autofree char *slow = cli_fixture_url (fixture, "slow.bin?size=1400k&rate=1m&seed=1");
  g_autofree char *flaky = cli_fixture_url (fixture, "flaky.bin?size=5000&seed=2&status=503,503,200"
                                         "&retry_after=0&key=flaky");
  g_autofree char *missing = cli_fixture_url (fixture, "missing.bin?status=404");
  g_autofree char *http_error = g_strconcat ("2=failed:" DL_ERROR_DOMAIN ":", DL_ERROR_HTTP, NULL);
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json",
                                         slow, flaky, missing, NULL);

  g_assert_cmpint (result->status, ==, 1);
  /* Machines read stdout; stderr (not a terminal here) stays empty. */
  g_assert_cmpstr (result->err, ==, "");
  cli_check_json (result->out,
                  "--count", "3", "--status", "1", "--check-files",
                  "--expect", "0=done", "--expect", "1=done", "--expect", http_error,
                  "--min-progress", "0=2", "--min-retrying", "1=2",
                  NULL);
  assert_body (fixture, "slow.bin", 1, 1400 * 1024);
  assert_body (fixture, "flaky.bin", 2, 5000);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "flaky"), ==, 3);
}

/* Strings go through the JSON escaper: quotes, backslashes and control
 * characters in a URL (echoed as given), non-ASCII in a file name. */
static void
test_json_escaping (CliFixture    *fixture,
                    gconstpointer  user_data)
{
  g_autofree char *weird = cli_fixture_url (fixture, "we%22ird%20n%C3%A4me.bin?size=10&seed=3");
  g_autofree char *expected_path = out_path (fixture, "we_ird näme.bin");
  g_autofree char *hostile = cli_fixture_url (fixture, "a\"b\\c\td\001e.bin");
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json",
                                         weird, hostile, NULL);

  g_assert_cmpint (result->status, ==, 0);
  cli_check_json (result->out, "--count", "2", "--expect", "0=done", "--expect", "1=done",
                  "--check-files", NULL);
  g_assert_nonnull (strstr (result->out, "/we_ird näme.bin\""));
  g_assert_nonnull (strstr (result->out, "a\\\"b\\\\c\\td\\u0001e.bin"));
  cli_assert_body (expected_path, 3, 10);
}

/* ---- checksums ----------------------------------------------------------------------- */

static void
test_sha256_match (CliFixture    *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=300k&seed=7");
  g_autofree char *b = cli_fixture_url (fixture, "b.bin?size=20k&seed=8");
  g_autofree char *sha_a = fault_server_body_sha256 (7, 300 * 1024);
  g_autofree char *sha_b = fault_server_body_sha256 (8, 20 * 1024);
  g_autofree char *sha_b_upper = g_ascii_strup (sha_b, -1);
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json",
                                         "--sha256", sha_a, a, b, "--sha256", sha_b_upper, NULL);

  g_assert_cmpint (result->status, ==, 0);
  cli_check_json (result->out, "--count", "2", "--expect", "0=done", "--expect", "1=done",
                  "--check-files", NULL);
  g_assert_nonnull (strstr (result->out, sha_a));
  g_assert_nonnull (strstr (result->out, sha_b));
  assert_body (fixture, "a.bin", 7, 300 * 1024);
  assert_body (fixture, "b.bin", 8, 20 * 1024);
}

static void
test_sha256_mismatch (CliFixture    *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=300k&seed=7");
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json",
                                         "--sha256", HEX_A, a, NULL);
  g_autofree char *path = out_path (fixture, "a.bin");
  g_autofree char *part = out_path (fixture, "a.bin.part");

  g_assert_cmpint (result->status, ==, 1);
  cli_check_json (result->out, "--count", "1",
                  "--expect", "0=failed:" DL_ERROR_DOMAIN ":" DL_ERROR_CHECKSUM, NULL);
  g_assert_nonnull (strstr (result->out, "SHA-256 mismatch"));
  /* Never under the final name, and the bad bytes are not kept either. */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
}

/* ---- input lists --------------------------------------------------------------------- */

static char *
input_list (CliFixture    *fixture,
            guint    first_seed,
            guint    n)
{
  GString *list = g_string_new ("# downloads\n\n");

  for (guint i = 0; i < n; i++)
    {
      guint seed = first_seed + i;
      g_autofree char *u = g_strdup_printf ("%sf%u.bin?size=%u&seed=%u",
                                            fault_server_get_uri (fixture->server),
                                            seed, 1000 + seed, seed);

      if (i % 2 == 0)
        {
          g_autofree char *sha = fault_server_body_sha256 (seed, 1000 + seed);

          g_string_append_printf (list, "  %s\tsha256=%s\r\n", u, sha);
        }
      else
        g_string_append_printf (list, "%s\n   \n#%s\n", u, u);
    }
  return g_string_free (list, FALSE);
}

static void
assert_list_files (CliFixture    *fixture,
                   guint    first_seed,
                   guint    n)
{
  for (guint i = 0; i < n; i++)
    {
      guint seed = first_seed + i;
      g_autofree char *name = g_strdup_printf ("f%u.bin", seed);

      assert_body (fixture, name, seed, 1000 + seed);
    }
}

static void
test_input_file (CliFixture    *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *contents = input_list (fixture, 10, 5);
  g_autofree char *list = write_file (fixture, "urls.txt", contents);
  g_autofree char *extra = cli_fixture_url (fixture, "extra.bin?size=77&seed=4");
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir,
                                         "--input-file", list, extra, NULL);

  g_assert_cmpint (result->status, ==, 0);
  assert_list_files (fixture, 10, 5);
  assert_body (fixture, "extra.bin", 4, 77);
  g_assert_cmpuint (count_files (fixture->out_dir, NULL), ==, 6);
}

/* A checksum in the list is checked like --sha256. */
static void
test_input_file_sha256_mismatch (CliFixture    *fixture,
                                 gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "a.bin?size=1000&seed=1");
  g_autofree char *contents = g_strdup_printf ("%s sha256=" HEX_A "\n", u);
  g_autofree char *list = write_file (fixture, "urls.txt", contents);
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json",
                                         "-i", list, NULL);

  g_assert_cmpint (result->status, ==, 1);
  cli_check_json (result->out, "--expect", "0=failed:" DL_ERROR_DOMAIN ":" DL_ERROR_CHECKSUM, NULL);
  g_assert_cmpuint (count_files (fixture->out_dir, NULL), ==, 0);
}

static void
test_input_stdin (CliFixture    *fixture,
                  gconstpointer  user_data)
{
  g_autofree char *contents = input_list (fixture, 20, 4);
  g_autoptr(CliResult) result = cli_run (fixture->home, contents, "-o", fixture->out_dir,
                                         "-i", "-", NULL);

  g_assert_cmpint (result->status, ==, 0);
  assert_list_files (fixture, 20, 4);
  g_assert_cmpuint (count_files (fixture->out_dir, NULL), ==, 4);
}

static void
test_input_empty (CliFixture    *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(CliResult) result = cli_run (fixture->home, "# nothing today\n\n", "-o",
                                         fixture->out_dir, "-i", "-", "--json", NULL);

  g_assert_cmpint (result->status, ==, 0);
  cli_check_json (result->out, "--count", "0", "--status", "0", NULL);
}

/* ---- output ------------------------------------------------------------------------- */

static void
test_quiet (CliFixture    *fixture,
            gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=10k&seed=1");
  g_autofree char *missing = cli_fixture_url (fixture, "missing.bin?status=404");
  g_autoptr(CliResult) ok = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--quiet",
                                     a, NULL);
  g_autoptr(CliResult) failed = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "-q",
                                         missing, NULL);

  g_assert_cmpint (ok->status, ==, 0);
  g_assert_cmpstr (ok->out, ==, "");
  g_assert_cmpstr (ok->err, ==, "");
  assert_body (fixture, "a.bin", 1, 10 * 1024);

  g_assert_cmpint (failed->status, ==, 1);
  g_assert_cmpstr (failed->out, ==, "");
  g_assert_cmpstr (failed->err, ==, "");
}

/* Not a terminal: no live view, no escape sequences; a line per file. */
static void
test_human_piped (CliFixture    *fixture,
                  gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=600k&rate=1m&seed=1");
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, a, NULL);

  g_assert_cmpint (result->status, ==, 0);
  g_assert_null (strchr (result->err, '\033'));
  g_assert_nonnull (strstr (result->err, "Saved "));
  g_assert_nonnull (strstr (result->err, "a.bin"));
}

typedef struct
{
  int      fd;
  GString *text;
} PtyReader;

static gpointer
read_pty (gpointer data)
{
  PtyReader *reader = data;
  char buffer[4096];
  ssize_t n;

  /* Until the last writer (the CLI) is gone: then read() fails with EIO. */
  while ((n = read (reader->fd, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      g_string_append_len (reader->text, buffer, n);
  return NULL;
}

/* On a terminal: a live line per active download and a total, redrawn in
 * place. */
static void
test_human_terminal (CliFixture    *fixture,
                     gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=1500k&rate=1m&seed=1");
  g_autofree char *b = cli_fixture_url (fixture, "b.bin?size=1200k&rate=1m&seed=2");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = {
    cli_test_get_program (), "--headless", "-o", fixture->out_dir, a, b, NULL
  };
  PtyReader reader = { -1, g_string_new (NULL) };
  GThread *thread;
  int slave;
  guint redraws = 0;

  reader.fd = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  g_assert_cmpint (reader.fd, >=, 0);
  g_assert_cmpint (grantpt (reader.fd), ==, 0);
  g_assert_cmpint (unlockpt (reader.fd), ==, 0);
  slave = open (ptsname (reader.fd), O_RDWR | O_NOCTTY | O_CLOEXEC);
  g_assert_cmpint (slave, >=, 0);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_take_stderr_fd (launcher, slave);
  cli_launcher_set_env (launcher);
  g_subprocess_launcher_setenv (launcher, "TERM", "xterm", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_clear_object (&launcher);   /* closes our copy of the slave */

  thread = g_thread_new ("pty", read_pty, &reader);
  g_assert_cmpint (cli_wait (process, CLI_TEST_TIMEOUT_SECONDS), ==, 0);
  g_thread_join (thread);
  close (reader.fd);

  g_test_message ("%" G_GSIZE_FORMAT " bytes of terminal output", reader.text->len);
  for (const char *p = reader.text->str; (p = strstr (p, "\033[J")) != NULL; p++)
    redraws++;
  /* Two files at 1 MiB/s: more than a second of redraws, at most 10 a second. */
  g_assert_cmpuint (redraws, >=, 5);
  g_assert_cmpuint (redraws, <=, 100);
  g_assert_nonnull (strstr (reader.text->str, "a.bin"));
  g_assert_nonnull (strstr (reader.text->str, "b.bin"));
  g_assert_nonnull (strstr (reader.text->str, "%"));
  g_assert_nonnull (strstr (reader.text->str, "2/2 done"));
  g_assert_nonnull (strstr (reader.text->str, "2 downloads completed"));
  g_string_free (reader.text, TRUE);

  assert_body (fixture, "a.bin", 1, 1500 * 1024);
  assert_body (fixture, "b.bin", 2, 1200 * 1024);
}


/* Runs the CLI with stderr on a pseudo-terminal; returns its exit status and
 * everything it drew. */
static int
run_on_terminal (const char * const *argv,
                 GString            *text)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  PtyReader reader = { -1, text };
  GThread *thread;
  int slave;
  int status;

  reader.fd = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  g_assert_cmpint (reader.fd, >=, 0);
  g_assert_cmpint (grantpt (reader.fd), ==, 0);
  g_assert_cmpint (unlockpt (reader.fd), ==, 0);
  slave = open (ptsname (reader.fd), O_RDWR | O_NOCTTY | O_CLOEXEC);
  g_assert_cmpint (slave, >=, 0);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_take_stderr_fd (launcher, slave);
  cli_launcher_set_env (launcher);
  g_subprocess_launcher_setenv (launcher, "TERM", "xterm", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_clear_object (&launcher);

  thread = g_thread_new ("pty", read_pty, &reader);
  status = cli_wait (process, CLI_TEST_TIMEOUT_SECONDS);
  g_thread_join (thread);
  close (reader.fd);
  return status;
}

static guint
count_occurrences (const char *text,
                   const char *needle)
{
  guint n = 0;

  for (const char *p = text; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  return n;
}

/* The live view: a bar, the percentage, sizes in the app's units, speed
 * and time left once known; never "retrying in 0 s"; a results table at
 * the end. */
static void
test_terminal_progress (CliFixture    *fixture,
                        gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "bar.bin?size=1500k&rate=600k&seed=11");
  g_autofree char *r = cli_fixture_url (fixture, "again.bin?size=100k&seed=12&status=503,200"
                                                 "&retry_after=1&key=again");
  g_autofree char *gone = cli_fixture_url (fixture, "gone.bin?status=404");
  const char *argv[] = {
    cli_test_get_program (), "--headless", "--retries", "3", "-o", fixture->out_dir, a, r, gone,
    NULL
  };
  g_autoptr(GString) text = g_string_new (NULL);

  g_assert_cmpint (run_on_terminal (argv, text), ==, 1);
  g_test_message ("%s", text->str);

  g_assert_nonnull (strstr (text->str, "bar.bin  [#"));
  g_assert_nonnull (strstr (text->str, "%  "));
  g_assert_nonnull (strstr (text->str, "kB/s"));
  g_assert_nonnull (strstr (text->str, "retrying in 1 s"));
  g_assert_null (strstr (text->str, "retrying in 0 s"));
  g_assert_null (strstr (text->str, "KiB"));
  g_assert_null (strstr (text->str, "MiB"));
  g_assert_null (strstr (text->str, "0 bytes/s"));
  g_assert_null (strstr (text->str, "--:--"));

  g_assert_nonnull (strstr (text->str, "Download results:"));
  g_assert_nonnull (strstr (text->str, "Status  "));
  g_assert_nonnull (strstr (text->str, "OK      1.5\u00a0MB"));
  g_assert_nonnull (strstr (text->str, "/out/bar.bin"));
  g_assert_nonnull (strstr (text->str, "/out/again.bin"));
  g_assert_nonnull (strstr (text->str, "failed  —"));
  g_assert_nonnull (strstr (text->str, "gone.bin?status=404: HTTP 404"));
  g_assert_nonnull (strstr (text->str, "Total time 0:0"));
  g_assert_nonnull (strstr (text->str, "on average"));

  assert_body (fixture, "bar.bin", 11, 1500 * 1024);
}

/* Not a terminal: the same progress as plain lines now and then, and the
 * table; no escape sequences. */
static void
test_piped_progress (CliFixture    *fixture,
                     gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "lines.bin?size=3m&rate=600k&seed=13");
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, a, NULL);

  g_assert_cmpint (result->status, ==, 0);
  g_test_message ("%s", result->err);
  g_assert_null (strchr (result->err, '\033'));
  g_assert_nonnull (strstr (result->err, "  lines.bin  [#"));
  g_assert_nonnull (strstr (result->err, "Download results:"));
  g_assert_nonnull (strstr (result->err, "Total time"));
  g_assert_null (strstr (result->err, "MiB"));
}

/* --json and --quiet: none of the human display. */
static void
test_json_no_display (CliFixture    *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "quiet.bin?size=1m&rate=600k&seed=14");
  g_autoptr(CliResult) json = cli_run (fixture->home, NULL, "--json", "-o", fixture->out_dir, a,
                                       NULL);
  const char *argv[] = {
    cli_test_get_program (), "--headless", "--json", "-o", fixture->out_dir, a, NULL
  };
  g_autoptr(GString) text = g_string_new (NULL);

  g_assert_cmpint (json->status, ==, 0);
  g_assert_cmpstr (json->err, ==, "");

  /* Even on a terminal. */
  g_assert_cmpint (run_on_terminal (argv, text), ==, 0);
  g_assert_null (strstr (text->str, "[#"));
  g_assert_null (strstr (text->str, "Download results"));
}

/* A folder that cannot be written is reported once, with the system's
 * reason, before any request. */
static void
test_unwritable_dir (CliFixture    *fixture,
                     gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=4k&seed=15");
  g_autofree char *b = cli_fixture_url (fixture, "b.bin?size=4k&seed=16");
  g_autoptr(CliResult) denied = NULL;
  g_autoptr(CliResult) missing = NULL;

  /* sysfs refuses new files, even to root. */
  denied = cli_run (fixture->home, NULL, "-o", "/sys", a, b, NULL);
  g_test_message ("%s", denied->err);
  g_assert_cmpint (denied->status, ==, 1);
  g_assert_cmpuint (count_occurrences (denied->err, "Cannot save into /sys: Permission denied"),
                    ==, 1);
  g_assert_cmpuint (count_occurrences (denied->err, "\n"), ==, 1);

  /* procfs has no such folder and cannot make one. */
  missing = cli_run (fixture->home, NULL, "-o", "/proc/bridge-downloader-test/out", a, b, NULL);
  g_test_message ("%s", missing->err);
  g_assert_cmpint (missing->status, ==, 1);
  g_assert_cmpuint (count_occurrences (missing->err,
                                       "Cannot create the output folder "
                                       "/proc/bridge-downloader-test/out: No such file or directory"),
                    ==, 1);
  g_assert_cmpuint (count_occurrences (missing->err, "\n"), ==, 1);

  g_assert_cmpuint (fault_server_get_request_count (fixture->server, NULL), ==, 0);
}


/* From the build tree (BRIDGE_DOWNLOADER_LOCALEDIR, which ./run.sh sets),
 * a German user reads German: the CLI's own texts and the engine's, with
 * its plural. */
static void
test_german_from_build_tree (CliFixture    *fixture,
                             gconstpointer  user_data)
{
  const char *localedir = g_getenv ("DL_TEST_LOCALEDIR");
  g_autofree char *a = cli_fixture_url (fixture, "busy.bin?status=503");
  g_autoptr(CliResult) folder = NULL;
  g_autoptr(CliResult) gave_up = NULL;

  if (localedir == NULL)
    {
      g_test_skip ("DL_TEST_LOCALEDIR is not set");
      return;
    }

  /* Launchers copy this process's environment. */
  g_setenv ("LANGUAGE", "de", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("BRIDGE_DOWNLOADER_LOCALEDIR", localedir, TRUE);
  folder = cli_run (fixture->home, NULL, "-o", "/proc/bridge-downloader-test/out", a, NULL);
  gave_up = cli_run (fixture->home, NULL, "--retries", "0", "-o", fixture->out_dir, a, NULL);
  g_unsetenv ("LANGUAGE");
  g_unsetenv ("LC_ALL");
  g_unsetenv ("BRIDGE_DOWNLOADER_LOCALEDIR");

  g_test_message ("%s%s", folder->err, gave_up->err);
  g_assert_nonnull (strstr (folder->err, "Der Zielordner /proc/bridge-downloader-test/out kann "
                                         "nicht angelegt werden"));
  g_assert_nonnull (strstr (gave_up->err, "Aufgegeben nach 1 Versuch: "));
  g_assert_nonnull (strstr (gave_up->err, "Ergebnisse:"));
}

/* No -o: the XDG download folder, which the isolated test environment does
 * not have, so the current folder. */
static void
test_default_output_dir (CliFixture    *fixture,
                         gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "here.bin?size=5k&seed=6");
  g_autofree char *cwd = g_build_filename (fixture->home, "cwd", NULL);
  g_autofree char *path = g_build_filename (cwd, "here.bin", NULL);
  g_autoptr(CliResult) result = NULL;

  g_assert_cmpint (g_mkdir_with_parents (cwd, 0755), ==, 0);
  result = cli_run (cwd, NULL, a, NULL);
  g_assert_cmpint (result->status, ==, 0);
  cli_assert_body (path, 6, 5 * 1024);
}

/* ---- options reach the engine ----------------------------------------------------------- */

static void
test_idle_timeout (CliFixture    *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *hang = cli_fixture_url (fixture, "hang.bin?size=64k&hang_after=0&key=hang");
  g_autofree char *expect = g_strdup_printf ("0=failed:%s:%d", g_quark_to_string (G_IO_ERROR),
                                             G_IO_ERROR_TIMED_OUT);
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json",
                                         "--timeout", "0.3", "--retries", "1", hang, NULL);

  g_assert_cmpint (result->status, ==, 1);
  cli_check_json (result->out, "--expect", expect, "--min-retrying", "0=1", NULL);
  /* One try and one retry. */
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "hang"), ==, 2);
}

static void
test_connect_timeout (CliFixture    *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *slow = cli_fixture_url (fixture, "slow.bin?delay=5&key=slow");
  g_autofree char *expect = g_strdup_printf ("0=failed:%s:%d", g_quark_to_string (G_IO_ERROR),
                                             G_IO_ERROR_TIMED_OUT);
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json",
                                         "--connect-timeout", "0.3", "--retries", "0", slow, NULL);

  g_assert_cmpint (result->status, ==, 1);
  cli_check_json (result->out, "--expect", expect, NULL);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "slow"), ==, 1);
}

/* A download that drips for ten seconds, with --max-time half a second:
 * it fails as timed out instead of completing, is not retried, and keeps
 * what arrived in its partial file for a later resume. */
static void
test_max_time (CliFixture    *fixture,
               gconstpointer  user_data)
{
  g_autofree char *drip = cli_fixture_url (fixture, "drip.bin?size=200k&rate=20k&key=drip");
  g_autofree char *expect = g_strdup_printf ("0=failed:%s:%d", g_quark_to_string (G_IO_ERROR),
                                             G_IO_ERROR_TIMED_OUT);
  g_autofree char *part = out_path (fixture, "drip.bin.part");
  g_autofree char *done = out_path (fixture, "drip.bin");
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json",
                                         "--max-time", "0.5", "--retries", "3", drip, NULL);

  g_assert_cmpint (result->status, ==, 1);
  cli_check_json (result->out, "--expect", expect, NULL);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "drip"), ==, 1);
  g_assert_false (g_file_test (done, G_FILE_TEST_EXISTS));
  g_assert_cmpint (cli_file_size (part), >, 0);
  g_assert_cmpint (cli_file_size (part), <, 200 * 1024);
}

/* The limit counts from when a download starts, not while it waits for
 * its turn: eight downloads of about half a second each, one at a time,
 * with --max-time 3. The last waits some 3.5 s in the queue, then runs. */
static void
test_max_time_not_queued (CliFixture    *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CliResult) result = NULL;

  g_ptr_array_add (args, g_strdup ("-o"));
  g_ptr_array_add (args, g_strdup (fixture->out_dir));
  g_ptr_array_add (args, g_strdup ("--json"));
  g_ptr_array_add (args, g_strdup ("-j"));
  g_ptr_array_add (args, g_strdup ("1"));
  g_ptr_array_add (args, g_strdup ("--max-time"));
  g_ptr_array_add (args, g_strdup ("3"));
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *path = g_strdup_printf ("q%u.bin?size=50k&rate=100k&seed=%u", i, i + 1);

      g_ptr_array_add (args, cli_fixture_url (fixture, path));
    }
  g_ptr_array_add (args, NULL);

  result = cli_runv (fixture->home, NULL, (const char * const *) args->pdata);
  g_assert_cmpint (result->status, ==, 0);
  cli_check_json (result->out, "--count", "8", NULL);
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *name = g_strdup_printf ("q%u.bin", i);
      g_autofree char *path = out_path (fixture, name);

      cli_assert_body (path, i + 1, 50 * 1024);
    }
}

static void
test_jobs (CliFixture    *fixture,
           gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=400k&rate=1m&seed=1");
  g_autofree char *b = cli_fixture_url (fixture, "b.bin?size=400k&rate=1m&seed=2");
  g_autofree char *c = cli_fixture_url (fixture, "c.bin?size=400k&rate=1m&seed=3");
  /* With the checksums known, "done" comes before the download lets go
   * of its slot (no hashing afterwards), so the events show the limit. */
  g_autofree char *sha_a = fault_server_body_sha256 (1, 400 * 1024);
  g_autofree char *sha_b = fault_server_body_sha256 (2, 400 * 1024);
  g_autofree char *sha_c = fault_server_body_sha256 (3, 400 * 1024);
  g_autoptr(CliResult) one = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json",
                                      "-j", "1", a, b, c, "--sha256", sha_a, "--sha256", sha_b,
                                      "--sha256", sha_c, NULL);
  g_autoptr(CliResult) three = NULL;

  g_assert_cmpint (one->status, ==, 0);
  cli_check_json (one->out, "--count", "3", "--max-active", "1", NULL);

  /* Three at once, as long as the per-host limit allows it too: one host.
   * --fresh, or the run would find the files saved and skip them. */
  three = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", "--fresh",
                   "-j", "3", "--per-host", "3", a, b, c, "--sha256", sha_a, "--sha256", sha_b,
                   "--sha256", sha_c, NULL);
  g_assert_cmpint (three->status, ==, 0);
  cli_check_json (three->out, "--count", "3", "--max-active", "3", "--min-peak-active", "3", NULL);
}

/* 1,000 queued, 20 at a time, all complete and verified. */
static void
test_many (CliFixture    *fixture,
           gconstpointer  user_data)
{
  g_autoptr(GString) list = g_string_new (NULL);
  g_autofree char *list_path = NULL;
  g_autoptr(CliResult) result = NULL;
  const guint n = 1000;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *sha = fault_server_body_sha256 (i, 2048);

      g_string_append_printf (list, "%sm%04u.bin?size=2048&seed=%u sha256=%s\n",
                              fault_server_get_uri (fixture->server), i, i, sha);
    }
  list_path = write_file (fixture, "many.txt", list->str);

  result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json",
                    "-j", "20", "--per-host", "20", "-i", list_path, NULL);
  g_assert_cmpint (result->status, ==, 0);
  cli_check_json (result->out, "--count", "1000", "--status", "0", "--max-active", "20",
                  "--min-peak-active", "2", "--check-files", NULL);
  g_assert_cmpuint (count_files (fixture->out_dir, NULL), ==, n);
  g_assert_cmpuint (count_files (fixture->out_dir, ".part"), ==, 0);
  for (guint i = 0; i < n; i += 97)
    {
      g_autofree char *name = g_strdup_printf ("m%04u.bin", i);

      assert_body (fixture, name, i, 2048);
    }
}

/* ---- interruption and resuming ---------------------------------------------------------- */

static void
test_sigint_resume (CliFixture    *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(SniffProxy) proxy = sniff_proxy_new (fault_server_get_port (fixture->server));
  g_autofree char *u = g_strconcat (sniff_proxy_get_uri (proxy), "big.bin?size=8m&rate=2m&seed=5",
                                    NULL);
  g_autofree char *part = out_path (fixture, "big.bin.part");
  g_autofree char *events_path = g_build_filename (fixture->home, "events.jsonl", NULL);
  g_autofree char *events = NULL;
  g_autofree char *expected_range = NULL;
  g_autofree char *resumed = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) ranges = NULL;
  g_autoptr(CliResult) rerun = NULL;
  g_autoptr(GError) error = NULL;
  /* One connection: the file grows from its start, and the resume is one
   * request (a file fetched in parts resumes range by range, see
   * test-cli-split.c). */
  const char *args[] = { "-o", fixture->out_dir, "--json", "--connections=1", u, NULL };
  gint64 kept;

  process = cli_spawn (events_path, NULL, args);
  cli_wait_for_size (part, 2 * 1024 * 1024, process, CLI_TEST_TIMEOUT_SECONDS);
  g_subprocess_send_signal (process, SIGINT);
  g_assert_cmpint (cli_wait (process, CLI_TEST_TIMEOUT_SECONDS), ==, 130);

  /* The partial file is kept, synced and recorded as far as it got. */
  kept = cli_file_size (part);
  g_assert_cmpint (kept, >=, 2 * 1024 * 1024);
  g_assert_cmpint (kept, <, 8 * 1024 * 1024);
  g_file_get_contents (events_path, &events, NULL, &error);
  g_assert_no_error (error);
  cli_check_json (events, "--count", "1", "--expect", "0=stopped", "--status", "130", NULL);

  /* The same command again: one request, for the rest only. */
  sniff_proxy_reset (proxy);
  rerun = cli_runv (fixture->home, NULL, args);
  g_assert_cmpint (rerun->status, ==, 0);
  resumed = g_strdup_printf ("0=%" G_GINT64_FORMAT, kept);
  cli_check_json (rerun->out, "--count", "1", "--expect", "0=done", "--resumed", resumed, NULL);

  ranges = sniff_proxy_dup_ranges (proxy);
  expected_range = g_strdup_printf ("bytes=%" G_GINT64_FORMAT "-", kept);
  g_assert_cmpuint (ranges->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (ranges, 0), ==, expected_range);
  g_assert_cmpuint (sniff_proxy_get_bytes_down (proxy), <, 8 * 1024 * 1024 - kept + 4096);

  assert_body (fixture, "big.bin", 5, 8 * 1024 * 1024);
}

static void
test_sigterm (CliFixture    *fixture,
              gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "big.bin?size=8m&rate=2m&seed=5");
  g_autofree char *part = out_path (fixture, "big.bin.part");
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(CliResult) rerun = NULL;
  const char *args[] = { "-o", fixture->out_dir, u, NULL };

  process = cli_spawn (NULL, NULL, args);
  cli_wait_for_size (part, 1024 * 1024, process, CLI_TEST_TIMEOUT_SECONDS);
  g_subprocess_send_signal (process, SIGTERM);
  g_assert_cmpint (cli_wait (process, CLI_TEST_TIMEOUT_SECONDS), ==, 128 + SIGTERM);
  g_assert_cmpint (cli_file_size (part), >=, 1024 * 1024);

  rerun = cli_runv (fixture->home, NULL, args);
  g_assert_cmpint (rerun->status, ==, 0);
  assert_body (fixture, "big.bin", 5, 8 * 1024 * 1024);
}

/* A download that failed in an earlier run is the one a re-run retries
 * (same history entry), not a second copy. */
static void
test_rerun_after_failure (CliFixture    *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture, "f.bin?size=20k&seed=9&status=503,200&key=rerun");
  g_autoptr(CliResult) first = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json",
                                        "--retries", "0", u, NULL);
  g_autoptr(CliResult) second = NULL;

  g_assert_cmpint (first->status, ==, 1);
  cli_check_json (first->out, "--expect", "0=failed:" DL_ERROR_DOMAIN ":" DL_ERROR_HTTP, NULL);

  second = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", "--retries", "0",
                    u, NULL);
  g_assert_cmpint (second->status, ==, 0);
  cli_check_json (second->out, "--expect", "0=done", "--resumed", "0=-1", NULL);
  assert_body (fixture, "f.bin", 9, 20 * 1024);
  g_assert_cmpuint (count_files (fixture->out_dir, NULL), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  /* The isolated XDG dirs hide the GSettings schemas that GIO's GNOME proxy
   * resolver would read: no proxies for a server on 127.0.0.1 (the CLI
   * inherits this). */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_unsetenv ("BRIDGE_DOWNLOADER_STALL_PROBE");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  CLI_FIXTURE_TEST ("/downloader/cli/usage/no-url", test_usage_no_url);
  CLI_FIXTURE_TEST ("/downloader/cli/usage/bad-option", test_usage_bad_option);
  CLI_FIXTURE_TEST ("/downloader/cli/usage/bad-numbers", test_usage_bad_numbers);
  CLI_FIXTURE_TEST ("/downloader/cli/limit-rate", test_limit_rate);
  CLI_FIXTURE_TEST ("/downloader/cli/usage/bad-sha256", test_usage_bad_sha256);
  CLI_FIXTURE_TEST ("/downloader/cli/usage/sha256-count", test_usage_sha256_count);
  CLI_FIXTURE_TEST ("/downloader/cli/usage/bad-input-file", test_usage_bad_input_file);
  CLI_FIXTURE_TEST ("/downloader/cli/exit/all-ok", test_all_ok);
  CLI_FIXTURE_TEST ("/downloader/cli/exit/one-404", test_one_404);
  CLI_FIXTURE_TEST ("/downloader/cli/exit/bad-url", test_bad_url);
  CLI_FIXTURE_TEST ("/downloader/cli/json/events", test_json_events);
  CLI_FIXTURE_TEST ("/downloader/cli/json/escaping", test_json_escaping);
  CLI_FIXTURE_TEST ("/downloader/cli/sha256/match", test_sha256_match);
  CLI_FIXTURE_TEST ("/downloader/cli/sha256/mismatch", test_sha256_mismatch);
  CLI_FIXTURE_TEST ("/downloader/cli/input/file", test_input_file);
  CLI_FIXTURE_TEST ("/downloader/cli/input/file-sha256-mismatch", test_input_file_sha256_mismatch);
  CLI_FIXTURE_TEST ("/downloader/cli/input/stdin", test_input_stdin);
  CLI_FIXTURE_TEST ("/downloader/cli/input/empty", test_input_empty);
  CLI_FIXTURE_TEST ("/downloader/cli/output/quiet", test_quiet);
  CLI_FIXTURE_TEST ("/downloader/cli/output/piped", test_human_piped);
  CLI_FIXTURE_TEST ("/downloader/cli/output/terminal", test_human_terminal);
  CLI_FIXTURE_TEST ("/downloader/cli/output/terminal-progress", test_terminal_progress);
  CLI_FIXTURE_TEST ("/downloader/cli/output/piped-progress", test_piped_progress);
  CLI_FIXTURE_TEST ("/downloader/cli/output/json-no-display", test_json_no_display);
  CLI_FIXTURE_TEST ("/downloader/cli/output/unwritable-dir", test_unwritable_dir);
  CLI_FIXTURE_TEST ("/downloader/cli/i18n/german-from-build-tree", test_german_from_build_tree);
  CLI_FIXTURE_TEST ("/downloader/cli/output/default-dir", test_default_output_dir);
  CLI_FIXTURE_TEST ("/downloader/cli/options/idle-timeout", test_idle_timeout);
  CLI_FIXTURE_TEST ("/downloader/cli/options/connect-timeout", test_connect_timeout);
  CLI_FIXTURE_TEST ("/downloader/cli/options/max-time", test_max_time);
  CLI_FIXTURE_TEST ("/downloader/cli/options/max-time-not-queued", test_max_time_not_queued);
  CLI_FIXTURE_TEST ("/downloader/cli/options/jobs", test_jobs);
  CLI_FIXTURE_TEST ("/downloader/cli/many", test_many);
  CLI_FIXTURE_TEST ("/downloader/cli/resume/sigint", test_sigint_resume);
  CLI_FIXTURE_TEST ("/downloader/cli/resume/sigterm", test_sigterm);
  CLI_FIXTURE_TEST ("/downloader/cli/resume/after-failure", test_rerun_after_failure);

  return g_test_run ();
}
