/* test-cli-disk.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cli-test-util.h"

/* `bridge-downloader --headless` against a disk that says no: full
 * (ENOSPC), read-only, missing or impossible to create. A full or read-only
 * folder is a tmpfs mounted in a private mount namespace (unshare), so
 * nothing outside the test sees it; the mount, and what the CLI left in it,
 * vanish with the namespace, so the same shell copies the folder's contents
 * out (a snapshot) before it exits. Without the privileges for that, the
 * namespace cases skip. */

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

/* The one "failed" event in @json (fails the test when there is none). */
static char *
failed_event (const char *json)
{
  g_auto(GStrv) lines = g_strsplit (json, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "\"event\":\"failed\"") != NULL)
      return g_strdup (lines[i]);
  g_error ("no failed event in:\n%s", json);
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("expected “%s” in: %s", needle, haystack);
}

/* ---- a private tmpfs ------------------------------------------------------------- */

/* $1: the folder to mount over; $2: the tmpfs options; $3: the snapshot
 * folder (created only once the mount worked: its absence means "not
 * permitted"); the rest: the command. The listing goes to stderr, for the
 * test log. */
static const char namespace_script[] =
  "dir=$1; options=$2; snapshot=$3; shift 3\n"
  "mount -t tmpfs -o \"$options\" tmpfs \"$dir\" || exit 125\n"
  "mkdir \"$snapshot\" || exit 126\n"
  "\"$@\"\n"
  "status=$?\n"
  "ls -la \"$dir\" >&2\n"
  "cp -a \"$dir/.\" \"$snapshot/\" || exit 126\n"
  "exit $status\n";

typedef struct
{
  int   status;     /* the CLI's exit status */
  char *out;        /* its stdout: the JSON events */
  char *snapshot;   /* a copy of the output folder as the CLI left it */
} NamespaceResult;

static void
namespace_result_free (NamespaceResult *result)
{
  g_free (result->out);
  g_free (result->snapshot);
  g_free (result);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NamespaceResult, namespace_result_free)

/* Runs `bridge-downloader --headless --json -o OUT_DIR ARGS…` with OUT_DIR a
 * fresh tmpfs mounted with @options in a private mount namespace. Returns
 * NULL, having marked the test skipped, when this process may not do that
 * (root may; others only with unprivileged user namespaces). */
static NamespaceResult *
run_on_tmpfs (CliFixture    *fixture,
              const char         *options,
              const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *unshare = g_find_program_in_path ("unshare");
  g_autofree char *out_path = g_build_filename (fixture->home, "events.jsonl", NULL);
  g_autofree char *err_path = g_build_filename (fixture->home, "stderr.txt", NULL);
  g_autofree char *err = NULL;
  g_autofree char *command = NULL;
  NamespaceResult *result;
  int status;

  if (unshare == NULL)
    {
      g_test_skip ("unshare(1) is not installed");
      return NULL;
    }

  g_assert_cmpint (g_mkdir_with_parents (fixture->out_dir, 0755), ==, 0);
  result = g_new0 (NamespaceResult, 1);
  result->snapshot = g_build_filename (fixture->home, "snapshot", NULL);

  g_ptr_array_add (argv, unshare);
  /* Not root: a user namespace of its own, where it is. */
  if (geteuid () != 0)
    g_ptr_array_add (argv, (gpointer) "--map-root-user");
  g_ptr_array_add (argv, (gpointer) "--mount");
  g_ptr_array_add (argv, (gpointer) "--propagation");
  g_ptr_array_add (argv, (gpointer) "private");
  g_ptr_array_add (argv, (gpointer) "/bin/sh");
  g_ptr_array_add (argv, (gpointer) "-c");
  g_ptr_array_add (argv, (gpointer) namespace_script);
  g_ptr_array_add (argv, (gpointer) "sh");
  g_ptr_array_add (argv, fixture->out_dir);
  g_ptr_array_add (argv, (gpointer) options);
  g_ptr_array_add (argv, result->snapshot);
  g_ptr_array_add (argv, (gpointer) cli_test_get_program ());
  g_ptr_array_add (argv, (gpointer) "--headless");
  g_ptr_array_add (argv, (gpointer) "--json");
  g_ptr_array_add (argv, (gpointer) "-o");
  g_ptr_array_add (argv, fixture->out_dir);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  cli_launcher_set_env (launcher);
  /* The error messages checked below are the C library's English ones. */
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_set_stdout_file_path (launcher, out_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, err_path);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  status = cli_wait (process, CLI_TEST_TIMEOUT_SECONDS);

  g_file_get_contents (err_path, &err, NULL, NULL);
  command = g_strjoinv (" ", (char **) argv->pdata);
  g_test_message ("exit %d from %s; stderr:\n%s", status, command, err != NULL ? err : "");

  if (!g_file_test (result->snapshot, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *reason = g_strdup_printf ("cannot mount a tmpfs in a private mount "
                                                 "namespace (exit %d): %s", status,
                                                 err != NULL ? g_strstrip (err) : "");

      g_test_skip (reason);
      namespace_result_free (result);
      return NULL;
    }

  result->status = status;
  g_file_get_contents (out_path, &result->out, NULL, &error);
  g_assert_no_error (error);
  return result;
}

/* ---- the cases ------------------------------------------------------------------ */

/* A 2 MiB disk: an 8 MiB download runs out of space and fails with the
 * reason, its partial file never becomes the final name; the download
 * before it (100 KiB, fits) and the one after it (empty: an inode, no
 * blocks) complete. One at a time (-j 1), so which of them fill the disk
 * does not depend on timing. */
static void
test_enospc (CliFixture    *fixture,
             gconstpointer  user_data)
{
  g_autofree char *small = cli_fixture_url (fixture, "small.bin?size=100k&seed=2");
  g_autofree char *big = cli_fixture_url (fixture, "big.bin?size=8m&seed=1");
  g_autofree char *empty = cli_fixture_url (fixture, "empty.bin?size=0");
  g_autofree char *no_space = g_strdup_printf ("1=failed:%s:%d", g_quark_to_string (G_IO_ERROR),
                                               G_IO_ERROR_NO_SPACE);
  g_autofree char *failed = NULL;
  g_autofree char *small_path = NULL;
  g_autofree char *empty_path = NULL;
  g_autofree char *big_path = NULL;
  g_autofree char *part_path = NULL;
  g_autoptr(NamespaceResult) result = NULL;
  const char *args[] = { "-j", "1", "--retries", "1", small, big, empty, NULL };
  guint expected_files = 2;

  result = run_on_tmpfs (fixture, "size=2m", args);
  if (result == NULL)
    return;

  g_assert_cmpint (result->status, ==, 1);
  cli_check_json (result->out, "--count", "3", "--status", "1",
                  "--expect", "0=done", "--expect", no_space, "--expect", "2=done", NULL);
  failed = failed_event (result->out);
  g_test_message ("the failure: %s", failed);
  assert_contains (failed, "big.bin");
  assert_contains (failed, "No space left on device");

  /* What was on the tmpfs. */
  small_path = g_build_filename (result->snapshot, "small.bin", NULL);
  empty_path = g_build_filename (result->snapshot, "empty.bin", NULL);
  big_path = g_build_filename (result->snapshot, "big.bin", NULL);
  part_path = g_build_filename (result->snapshot, "big.bin.part", NULL);
  cli_assert_body (small_path, 2, 100 * 1024);
  cli_assert_body (empty_path, 0, 0);
  g_assert_false (g_file_test (big_path, G_FILE_TEST_EXISTS));
  if (g_file_test (part_path, G_FILE_TEST_EXISTS))
    {
      /* Kept (resumable): whatever fit, and the right bytes. */
      gint64 size = cli_file_size (part_path);
      g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
      g_autofree guint8 *body = g_malloc (MAX (size, 1));
      g_autofree char *actual = cli_file_sha256 (part_path);

      g_assert_cmpint (size, <, 2 * 1024 * 1024);
      fault_server_fill_body (1, 0, body, size);
      g_checksum_update (checksum, body, size);
      g_assert_cmpstr (actual, ==, g_checksum_get_string (checksum));
      expected_files++;
    }
  /* Nothing else: no "big (1).bin", no stray temporary. */
  g_assert_cmpuint (count_files (result->snapshot), ==, expected_files);
}

/* A read-only folder (root ignores permission bits, not a read-only
 * mount): each download fails with the reason, nothing is written. */
static void
test_read_only_folder (CliFixture    *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=10k&seed=1");
  g_autofree char *b = cli_fixture_url (fixture, "b.bin?size=0");
  g_autofree char *read_only = g_strdup_printf ("failed:%s:%d", g_quark_to_string (G_IO_ERROR),
                                                G_IO_ERROR_READ_ONLY);
  g_autofree char *expect_a = g_strconcat ("0=", read_only, NULL);
  g_autofree char *expect_b = g_strconcat ("1=", read_only, NULL);
  g_autofree char *failed = NULL;
  g_autoptr(NamespaceResult) result = NULL;
  const char *args[] = { a, b, NULL };

  result = run_on_tmpfs (fixture, "ro", args);
  if (result == NULL)
    return;

  g_assert_cmpint (result->status, ==, 1);
  cli_check_json (result->out, "--count", "2", "--status", "1",
                  "--expect", expect_a, "--expect", expect_b, NULL);
  failed = failed_event (result->out);
  g_test_message ("the failure: %s", failed);
  assert_contains (failed, fixture->out_dir);
  assert_contains (failed, "Read-only file system");
  g_assert_cmpuint (count_files (result->snapshot), ==, 0);
}

/* A missing output folder is created, parents and all, as `mkdir -p`
 * would (dl-cli.c: g_mkdir_with_parents on -o DIR). */
static void
test_missing_folder (CliFixture    *fixture,
                     gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=20k&seed=4");
  g_autofree char *dir = g_build_filename (fixture->out_dir, "not", "yet", "there", NULL);
  g_autofree char *path = g_build_filename (dir, "a.bin", NULL);
  g_autoptr(CliResult) result = NULL;

  g_assert_false (g_file_test (fixture->out_dir, G_FILE_TEST_EXISTS));
  result = cli_run (fixture->home, NULL, "-o", dir, "--json", a, NULL);
  g_assert_cmpint (result->status, ==, 0);
  cli_check_json (result->out, "--count", "1", "--expect", "0=done", "--check-files", NULL);
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
  cli_assert_body (path, 4, 20 * 1024);
  g_assert_cmpuint (count_files (dir), ==, 1);
}

/* A folder that cannot be created (a file is in the way): a clear error
 * that names it, and the file is left alone. */
static void
test_uncreatable_folder (CliFixture    *fixture,
                         gconstpointer  user_data)
{
  g_autofree char *a = cli_fixture_url (fixture, "a.bin?size=20k&seed=4");
  g_autofree char *blocker = g_build_filename (fixture->home, "blocker", NULL);
  g_autofree char *dir = g_build_filename (blocker, "sub", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *failed = NULL;
  g_autoptr(CliResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_file_set_contents (blocker, "mine", -1, &error);
  g_assert_no_error (error);

  result = cli_run (fixture->home, NULL, "-o", dir, "--json", a, NULL);
  g_assert_cmpint (result->status, ==, 1);
  cli_check_json (result->out, "--count", "1", "--status", "1", "--expect", "0=failed", NULL);
  failed = failed_event (result->out);
  g_test_message ("the failure: %s", failed);
  assert_contains (failed, dir);

  g_file_get_contents (blocker, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, "mine");
}

int
main (int   argc,
      char *argv[])
{
  /* As in test-cli.c: no proxies for a server on 127.0.0.1. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_unsetenv ("BRIDGE_DOWNLOADER_STALL_PROBE");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  CLI_FIXTURE_TEST ("/downloader/cli/disk/enospc", test_enospc);
  CLI_FIXTURE_TEST ("/downloader/cli/disk/read-only-folder", test_read_only_folder);
  CLI_FIXTURE_TEST ("/downloader/cli/disk/missing-folder", test_missing_folder);
  CLI_FIXTURE_TEST ("/downloader/cli/disk/uncreatable-folder", test_uncreatable_folder);

  return g_test_run ();
}
