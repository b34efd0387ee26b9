/* test-download.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "dl-file-name.h"
#include "dl-test-util.h"

/* The download coroutine against the fault server, one rule per test. Every
 * completed file is checked byte for byte (SHA-256 of the generated body). */

#define KIB 1024
#define MIB (1024 * 1024)

static void
assert_failed (DlDownload *download,
               GQuark      domain,
               int         code,
               const char *fragment)
{
  const GError *error = dl_download_get_error (download);

  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_FAILED);
  g_assert_nonnull (error);
  if (!g_error_matches (error, domain, code))
    g_error ("expected %s:%d, got %s:%d: %s", g_quark_to_string (domain), code,
             g_quark_to_string (error->domain), error->code, error->message);
  if (fragment != NULL && strstr (error->message, fragment) == NULL)
    g_error ("“%s” not in the error “%s”", fragment, error->message);
  g_assert_cmpstr (dl_download_get_error_message (download), ==, error->message);
}

/* No complete file with the download's name in the folder. */
static void
assert_not_renamed (DlFixture  *fixture,
                    const char *name)
{
  g_autofree char *path = g_build_filename (fixture->out_dir, name, NULL);

  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_plain (DlFixture     *fixture,
            gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "plain.bin?size=3m&seed=1", NULL);
  g_autoptr(DlStoreRecord) record = NULL;
  g_autoptr(GError) error = NULL;

  dl_wait_finished (download);
  dl_assert_file (download, 1, 3 * MIB);
  g_assert_cmpstr (dl_download_get_file_name (download), ==, "plain.bin");
  g_assert_cmpuint (dl_download_get_attempts (download), ==, 1);
  g_assert_null (dl_download_get_error_message (download));
  g_assert_cmpint (dl_download_get_finished_at (download), >, 0);

  /* Recorded as done, with the final name. */
  record = dl_store_lookup (fixture->store, dl_download_get_id (download), &error);
  g_assert_no_error (error);
  g_assert_cmpint (record->state, ==, DL_DOWNLOAD_STATE_DONE);
  g_assert_cmpstr (record->file_name, ==, "plain.bin");
  g_assert_cmpint (record->resume_offset, ==, 3 * MIB);
}

static void
test_empty (DlFixture     *fixture,
            gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "empty.bin?size=0", NULL);

  dl_wait_finished (download);
  dl_assert_file (download, 0, 0);
}

static void
test_checksum (DlFixture     *fixture,
               gconstpointer  user_data)
{
  g_autofree char *good = fault_server_body_sha256 (7, 2 * MIB);
  g_autofree char *bad = g_strdup (good);
  g_autofree char *bad_part = NULL;
  DlDownload *ok;
  DlDownload *wrong;

  bad[0] = bad[0] == '0' ? '1' : '0';
  ok = dl_fixture_add (fixture, "good.bin?size=2m&seed=7", good);
  wrong = dl_fixture_add (fixture, "bad.bin?size=2m&seed=7", bad);

  dl_wait_finished (ok);
  dl_wait_finished (wrong);
  dl_assert_file (ok, 7, 2 * MIB);
  assert_failed (wrong, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_CHECKSUM, "SHA-256 mismatch");
  assert_not_renamed (fixture, "bad.bin");
  /* Bad bytes are not kept for a resume. */
  bad_part = g_build_filename (fixture->out_dir, "bad.bin.part", NULL);
  g_assert_false (g_file_test (bad_part, G_FILE_TEST_EXISTS));
}

static void
test_pause_resume (DlFixture     *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *sha = fault_server_body_sha256 (2, 4 * MIB);
  DlDownload *download = dl_fixture_add (fixture, "pause.bin?size=4m&seed=2&rate=2m", sha);
  g_autofree char *part = NULL;
  struct stat st;

  test_run_until (NULL, dl_download_get_bytes_received (download) > 512 * KIB, TEST_TIMEOUT_SECONDS);
  g_assert_true (dl_download_can_pause (download));
  dl_download_pause (download);
  dl_wait_state (download, DL_DOWNLOAD_STATE_PAUSED);
  test_run_until (NULL, dl_manager_get_n_running (fixture->manager) == 0, TEST_TIMEOUT_SECONDS);

  /* The partial file is kept, synced up to the recorded offset. */
  part = g_build_filename (fixture->out_dir, "pause.bin.part", NULL);
  g_assert_cmpint (stat (part, &st), ==, 0);
  g_assert_cmpint (st.st_size, >=, 512 * KIB);
  g_assert_cmpint (dl_download_get_bytes_received (download), ==, st.st_size);
  g_assert_cmpint (st.st_size, <, 4 * MIB);

  g_assert_true (dl_download_can_resume (download));
  dl_download_resume (download);
  dl_wait_finished (download);
  dl_assert_file (download, 2, 4 * MIB);
  g_assert_cmpuint (dl_download_get_attempts (download), ==, 2);
}

static void
test_retry_503 (DlFixture     *fixture,
                gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "r.bin?size=100k&seed=3&status=503,503,200&key=r503", NULL);

  dl_wait_finished (download);
  dl_assert_file (download, 3, 100 * KIB);
  g_assert_cmpuint (dl_download_get_attempts (download), ==, 3);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "r503"), ==, 3);
}

static void
test_retry_429 (DlFixture     *fixture,
                gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "r.bin?size=10k&status=429,408,200&key=r429", NULL);

  dl_wait_finished (download);
  dl_assert_file (download, 0, 10 * KIB);
  g_assert_cmpuint (dl_download_get_attempts (download), ==, 3);
}

static void
test_retry_gives_up (DlFixture     *fixture,
                     gconstpointer  user_data)
{
  DlDownload *download;

  dl_manager_set_max_retries (fixture->manager, 2);
  download = dl_fixture_add (fixture, "r.bin?status=500&key=r500", NULL);

  dl_wait_finished (download);
  assert_failed (download, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_HTTP, "500");
  g_assert_nonnull (strstr (dl_download_get_error_message (download), "Gave up after 3 attempts"));
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "r500"), ==, 3);
}

static void
check_retry_after (DlFixture  *fixture,
                   const char *query)
{
  DlDownload *download;
  gint64 start = g_get_monotonic_time ();
  gboolean saw_retrying = FALSE;
  double elapsed;

  download = dl_fixture_add (fixture, query, NULL);
  test_run_until (NULL, dl_download_is_finished (download) ||
                  (dl_download_get_state (download) == DL_DOWNLOAD_STATE_RETRYING &&
                   (saw_retrying = TRUE, FALSE)), TEST_TIMEOUT_SECONDS);
  elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  dl_assert_file (download, 0, 1 * KIB);
  /* The backoff alone would be 0.02 s: only Retry-After explains this. */
  g_assert_cmpfloat (elapsed, >=, 0.9);
  g_assert_cmpfloat (elapsed, <, 10);
  (void) saw_retrying;
}

static void
test_retry_after_seconds (DlFixture     *fixture,
                          gconstpointer  user_data)
{
  check_retry_after (fixture, "ra.bin?size=1k&status=503,200&retry_after=1&key=ra1");
}

static void
test_retry_after_date (DlFixture     *fixture,
                       gconstpointer  user_data)
{
  /* An HTTP-date has one-second resolution: +2 is at least one second. */
  check_retry_after (fixture, "ra.bin?size=1k&status=503,200&retry_after=%2B2&key=ra2");
}

static void
test_retry_at_property (DlFixture     *fixture,
                        gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "ra.bin?size=1k&status=503,200&retry_after=1&key=ra3", NULL);
  gint64 retry_at;

  dl_wait_state (download, DL_DOWNLOAD_STATE_RETRYING);
  retry_at = dl_download_get_retry_at (download);
  g_assert_cmpint (retry_at, >, g_get_monotonic_time () + G_USEC_PER_SEC / 2);
  g_assert_nonnull (strstr (dl_download_get_error_message (download), "503"));

  dl_wait_finished (download);
  g_assert_cmpint (dl_download_get_retry_at (download), ==, 0);
  g_assert_null (dl_download_get_error_message (download));
}

static void
test_404 (DlFixture     *fixture,
          gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "missing.bin?status=404&key=r404", NULL);

  dl_wait_finished (download);
  assert_failed (download, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_HTTP, "404");
  g_assert_cmpuint (dl_download_get_attempts (download), ==, 1);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "r404"), ==, 1);
  /* Nothing was created for an error page. */
  g_assert_cmpuint (dl_count_files (fixture->out_dir), ==, 0);
}

static void
test_drop_resume (DlFixture     *fixture,
                  gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "drop.bin?size=2m&seed=4&drop_after=700k&faults=1&key=drop", NULL);

  dl_wait_finished (download);
  dl_assert_file (download, 4, 2 * MIB);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "drop"), ==, 2);
}

static void
test_drop_every_time (DlFixture     *fixture,
                      gconstpointer  user_data)
{
  /* Every response breaks off after 300 KiB, but each one makes progress:
   * the retry budget (2) is per failure in a row, so it completes. */
  DlDownload *download;

  dl_manager_set_max_retries (fixture->manager, 2);
  download = dl_fixture_add (fixture, "drip.bin?size=1m&seed=5&drop_after=300k&key=drip", NULL);

  dl_wait_finished (download);
  dl_assert_file (download, 5, 1 * MIB);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "drip"), ==, 4);
}

static void
test_no_range_restart (DlFixture     *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *sha = fault_server_body_sha256 (6, 2 * MIB);
  DlDownload *download = dl_fixture_add (fixture, "nr.bin?size=2m&seed=6&drop_after=700k&faults=1&no_range=1&key=nr", sha);

  dl_wait_finished (download);
  dl_assert_file (download, 6, 2 * MIB);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "nr"), ==, 2);
}

static void
test_etag_change_restart (DlFixture     *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *sha = fault_server_body_sha256 (8, 2 * MIB);
  DlDownload *download = dl_fixture_add (fixture, "et.bin?size=2m&seed=8&drop_after=700k&faults=1&etag_change=1&key=et", sha);

  dl_wait_finished (download);
  dl_assert_file (download, 8, 2 * MIB);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "et"), ==, 2);
}

static void
test_lying_length_long (DlFixture     *fixture,
                        gconstpointer  user_data)
{
  /* Content-Length promises 200 KiB, the body has 100 KiB: never complete. */
  DlDownload *download;

  dl_manager_set_max_retries (fixture->manager, 2);
  download = dl_fixture_add (fixture, "lie.bin?size=100k&lie_length=200k&key=lielong", NULL);

  dl_wait_finished (download);
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_FAILED);
  assert_not_renamed (fixture, "lie.bin");
}

static void
test_lying_length_short (DlFixture     *fixture,
                         gconstpointer  user_data)
{
  /* Content-Length says 100 KiB of a 200 KiB body: with the checksum of the
   * real file, the short file is caught and never renamed. */
  g_autofree char *sha = fault_server_body_sha256 (0, 200 * KIB);
  DlDownload *download = dl_fixture_add (fixture, "short.bin?size=200k&lie_length=100k&key=lieshort", sha);

  dl_wait_finished (download);
  assert_failed (download, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_CHECKSUM, NULL);
  assert_not_renamed (fixture, "short.bin");
}

static void
test_redirect_chain (DlFixture     *fixture,
                     gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "chain.bin?size=64k&seed=9&redirect=5", NULL);

  dl_wait_finished (download);
  dl_assert_file (download, 9, 64 * KIB);
  g_assert_cmpstr (dl_download_get_file_name (download), ==, "chain.bin");
}

static void
test_redirect_too_many (DlFixture     *fixture,
                        gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "many.bin?redirect=25", NULL);

  dl_wait_finished (download);
  assert_failed (download, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_REDIRECT, "Too many redirects");
}

static void
test_redirect_loop (DlFixture     *fixture,
                    gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "loop.bin?redirect_loop=1", NULL);

  dl_wait_finished (download);
  assert_failed (download, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_REDIRECT, "loop");
  g_assert_cmpuint (dl_count_files (fixture->out_dir), ==, 0);
}

static void
test_redirect_other_scheme (DlFixture     *fixture,
                            gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "s.bin?redirect_to=file%3A%2F%2F%2Fetc%2Fpasswd", NULL);

  dl_wait_finished (download);
  assert_failed (download, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_INSECURE_REDIRECT, "file");
}

static void
trust_test_certificate (DlFixture *fixture)
{
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) error = NULL;

  database = g_tls_file_database_new (fault_server_get_test_cert_file (), &error);
  g_assert_no_error (error);
  dl_manager_set_tls_database (fixture->manager, database);
}

static void
test_https (DlFixture     *fixture,
            gconstpointer  user_data)
{
  DlDownload *download;

  trust_test_certificate (fixture);
  download = dl_fixture_add (fixture, "tls.bin?size=300k&seed=10", NULL);

  dl_wait_finished (download);
  dl_assert_file (download, 10, 300 * KIB);
}

static void
test_https_to_http (DlFixture     *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FaultServer) plain = fault_server_new_in_thread (FALSE, &error);
  g_autofree char *target = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *query = NULL;
  DlDownload *download;

  g_assert_no_error (error);
  trust_test_certificate (fixture);
  target = g_strconcat (fault_server_get_uri (plain), "down.bin", NULL);
  escaped = g_uri_escape_string (target, NULL, TRUE);
  query = g_strconcat ("down.bin?redirect_to=", escaped, NULL);
  download = dl_fixture_add (fixture, query, NULL);

  dl_wait_finished (download);
  assert_failed (download, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_INSECURE_REDIRECT, "https to insecure http");
  g_assert_cmpuint (fault_server_get_request_count (plain, NULL), ==, 0);
}

static void
test_bad_certificate (DlFixture     *fixture,
                      gconstpointer  user_data)
{
  /* The system store does not know the test CA. */
  DlDownload *download = dl_fixture_add (fixture, "tls.bin?size=1k", NULL);

  dl_wait_finished (download);
  assert_failed (download, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_TLS, "not trusted");
  g_assert_cmpuint (dl_download_get_attempts (download), ==, 1);
}

static void
test_hostile_disposition (DlFixture     *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *parent = g_path_get_dirname (fixture->out_dir);
  g_autofree char *escaped = g_uri_escape_string ("attachment; filename=\"../../.evil\xe2\x80\xae" "hs.exe\"", NULL, TRUE);
  g_autofree char *query = g_strconcat ("x.bin?size=1k&cd=", escaped, NULL);
  g_autofree char *outside = g_build_filename (parent, ".evil", NULL);
  DlDownload *download = dl_fixture_add (fixture, query, NULL);

  dl_wait_finished (download);
  dl_assert_file (download, 0, 1 * KIB);
  g_assert_cmpstr (dl_download_get_file_name (download), ==, "evilhs.exe");
  g_assert_cmpuint (dl_count_files (fixture->out_dir), ==, 1);
  g_assert_false (g_file_test (outside, G_FILE_TEST_EXISTS));
}

static void
test_disposition_name (DlFixture     *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *escaped = g_uri_escape_string ("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf", NULL, TRUE);
  g_autofree char *query = g_strconcat ("get?size=1k&cd=", escaped, NULL);
  DlDownload *download = dl_fixture_add (fixture, query, NULL);

  dl_wait_finished (download);
  dl_assert_file (download, 0, 1 * KIB);
  g_assert_cmpstr (dl_download_get_file_name (download), ==, "résumé.pdf");
}

static void
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
assert_contents (const char *dir,
                 const char *name,
                 const char *expected)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, expected);
}

static void
test_collision (DlFixture     *fixture,
                gconstpointer  user_data)
{
  DlDownload *first;
  DlDownload *second;

  write_file (fixture->out_dir, "c.bin", "mine");
  first = dl_fixture_add (fixture, "c.bin?size=10k&seed=11", NULL);
  dl_wait_finished (first);
  second = dl_fixture_add (fixture, "c.bin?size=10k&seed=12", NULL);
  dl_wait_finished (second);

  dl_assert_file (first, 11, 10 * KIB);
  dl_assert_file (second, 12, 10 * KIB);
  g_assert_cmpstr (dl_download_get_file_name (first), ==, "c (1).bin");
  g_assert_cmpstr (dl_download_get_file_name (second), ==, "c (2).bin");
  assert_contents (fixture->out_dir, "c.bin", "mine");
}

static void
test_never_overwrites (DlFixture     *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *part = g_build_filename (fixture->out_dir, "race.bin.part", NULL);
  DlDownload *download = dl_fixture_add (fixture, "race.bin?size=600k&seed=13&rate=1m", NULL);

  /* While it downloads, someone creates the final name. */
  test_run_until (NULL, g_file_test (part, G_FILE_TEST_EXISTS), TEST_TIMEOUT_SECONDS);
  write_file (fixture->out_dir, "race.bin", "precious");

  dl_wait_finished (download);
  dl_assert_file (download, 13, 600 * KIB);
  g_assert_cmpstr (dl_download_get_file_name (download), ==, "race (1).bin");
  assert_contents (fixture->out_dir, "race.bin", "precious");
}

/* A folder the program opened itself and handed over is where the
 * downloads into its path go, even once that path names another folder:
 * no download opens it again. */
static void
test_kept_folder (DlFixture     *fixture,
                  gconstpointer  user_data)
{
  g_autofree char *kept = g_build_filename (fixture->out_dir, "kept", NULL);
  g_autofree char *moved = g_build_filename (fixture->out_dir, "moved", NULL);
  g_autofree char *in_moved = g_build_filename (moved, "k.bin", NULL);
  g_autofree char *in_kept = g_build_filename (kept, "k.bin", NULL);
  g_autofree char *url = dl_fixture_url (fixture, "k.bin?size=3k&seed=8");
  g_autoptr(GError) error = NULL;
  DlDownload *download;
  int fd;

  g_assert_cmpint (g_mkdir (kept, 0700), ==, 0);
  fd = dl_file_name_open_dir (kept, &error);
  g_assert_no_error (error);
  dl_manager_keep_folder_open (fixture->manager, kept, fd);
  g_assert_cmpint (g_rename (kept, moved), ==, 0);
  g_assert_cmpint (g_mkdir (kept, 0700), ==, 0);

  download = dl_manager_add_with_options (fixture->manager, url, kept, NULL, NULL, &error);
  g_assert_no_error (error);
  dl_wait_finished (download);
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_DONE);
  g_assert_true (g_file_test (in_moved, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (in_kept, G_FILE_TEST_EXISTS));
}

static void
test_missing_folder (DlFixture     *fixture,
                     gconstpointer  user_data)
{
  g_autofree char *url = dl_fixture_url (fixture, "m.bin?size=1k");
  g_autofree char *missing = g_build_filename (fixture->out_dir, "no", "such", NULL);
  g_autoptr(GError) error = NULL;
  DlDownload *download = dl_manager_add_full (fixture->manager, url, missing, NULL, &error);
  DlDownload *other = dl_fixture_add (fixture, "fine.bin?size=1k", NULL);

  g_assert_no_error (error);
  dl_wait_finished (download);
  dl_wait_finished (other);
  assert_failed (download, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "does not exist");
  g_assert_cmpuint (dl_download_get_attempts (download), ==, 0);
  /* The rest keep going. */
  dl_assert_file (other, 0, 1 * KIB);
}

static void
test_read_only_folder (DlFixture     *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *url = dl_fixture_url (fixture, "ro.bin?size=1k");
  g_autofree char *ro = g_build_filename (fixture->out_dir, "ro", NULL);
  g_autoptr(GError) error = NULL;
  DlDownload *download;

  /* root ignores permissions: sysfs refuses new files even to root. */
  if (geteuid () == 0)
    {
      g_free (ro);
      ro = g_strdup ("/sys/kernel");
    }
  else
    {
      g_assert_cmpint (g_mkdir (ro, 0500), ==, 0);
    }

  download = dl_manager_add_full (fixture->manager, url, ro, NULL, &error);
  g_assert_no_error (error);
  dl_wait_finished (download);
  assert_failed (download, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "Cannot save into");
}

static void
test_idle_timeout (DlFixture     *fixture,
                   gconstpointer  user_data)
{
  DlDownload *download;

  dl_manager_set_idle_timeout (fixture->manager, 0.5);
  download = dl_fixture_add (fixture, "hang.bin?size=1m&seed=14&hang_after=300k&faults=1&key=hang", NULL);

  dl_wait_finished (download);
  dl_assert_file (download, 14, 1 * MIB);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "hang"), ==, 2);
}

static void
test_idle_timeout_error (DlFixture     *fixture,
                         gconstpointer  user_data)
{
  DlDownload *download;

  dl_manager_set_idle_timeout (fixture->manager, 0.3);
  dl_manager_set_max_retries (fixture->manager, 0);
  download = dl_fixture_add (fixture, "hang.bin?size=1m&hang_after=0&key=hang0", NULL);

  dl_wait_finished (download);
  assert_failed (download, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "No data");
}

static void
test_connect_timeout (DlFixture     *fixture,
                      gconstpointer  user_data)
{
  DlDownload *download;

  dl_manager_set_connect_timeout (fixture->manager, 0.3);
  download = dl_fixture_add (fixture, "slow.bin?size=10k&seed=15&delay=2&faults=1&key=slow", NULL);

  dl_wait_finished (download);
  dl_assert_file (download, 15, 10 * KIB);
  g_assert_cmpuint (dl_download_get_attempts (download), ==, 2);
}

static void
test_cancel (DlFixture     *fixture,
             gconstpointer  user_data)
{
  g_autofree char *part = g_build_filename (fixture->out_dir, "cancel.bin.part", NULL);
  DlDownload *download = dl_fixture_add (fixture, "cancel.bin?size=4m&rate=1m", NULL);

  test_run_until (NULL, dl_download_get_bytes_received (download) > 100 * KIB, TEST_TIMEOUT_SECONDS);
  dl_download_cancel (download);
  dl_wait_state (download, DL_DOWNLOAD_STATE_CANCELLED);
  test_run_until (NULL, dl_manager_get_n_running (fixture->manager) == 0, TEST_TIMEOUT_SECONDS);

  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (dl_count_files (fixture->out_dir), ==, 0);
  g_assert_true (dl_download_can_retry (download));
}

static gint64
recorded_offset (DlStore *store,
                 gint64   id)
{
  g_autoptr(DlStoreRecord) record = dl_store_lookup (store, id, NULL);

  return record != NULL ? record->resume_offset : -1;
}

static void
test_restart_resumes (DlFixture     *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  DlDownload *download = dl_fixture_add (fixture, "restart.bin?size=6m&seed=16&rate=3m", NULL);
  gint64 id = dl_download_get_id (download);
  g_autoptr(DlStoreRecord) record = NULL;

  /* Wait for a recorded offset (synced at least once a second). */
  test_run_until (NULL, recorded_offset (fixture->store, id) > 0, TEST_TIMEOUT_SECONDS);

  /* Quit: the stored state stays "downloading". */
  dl_fixture_wait_idle (fixture);
  g_clear_pointer (&record, dl_store_record_free);
  record = dl_store_lookup (fixture->store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (record->state, ==, DL_DOWNLOAD_STATE_DOWNLOADING);
  g_assert_cmpint (record->resume_offset, >, 0);
  g_assert_cmpint (record->resume_offset, <, 6 * MIB);
  g_assert_finalize_object (fixture->manager);

  /* Start again: it comes back and finishes from where it was. */
  fixture->manager = dl_manager_new (fixture->store);
  dl_manager_set_output_dir (fixture->manager, fixture->out_dir);
  g_assert_true (dl_manager_load (fixture->manager, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)), ==, 1);
  download = dl_manager_lookup (fixture->manager, id);
  g_assert_nonnull (download);

  dl_wait_finished (download);
  dl_assert_file (download, 16, 6 * MIB);
}

static void
test_crash_garbage_truncated (DlFixture     *fixture,
                              gconstpointer  user_data)
{
  /* After a crash the partial file may hold more than was recorded, and
   * garbage at that: the resume truncates to the recorded offset. */
  g_autoptr(GError) error = NULL;
  g_autofree char *url = dl_fixture_url (fixture, "crash.bin?size=1m&seed=17");
  g_autoptr(DlStoreRecord) record = dl_store_record_new (url, fixture->out_dir);
  g_autofree char *part = g_build_filename (fixture->out_dir, "crash.bin.part", NULL);
  g_autofree guint8 *body = g_malloc (300 * KIB);
  DlDownload *download;

  fault_server_fill_body (17, 0, body, 200 * KIB);
  memset (body + 200 * KIB, 0xAA, 100 * KIB);
  g_file_set_contents (part, (const char *) body, 300 * KIB, &error);
  g_assert_no_error (error);

  record->file_name = g_strdup ("crash.bin");
  record->state = DL_DOWNLOAD_STATE_DOWNLOADING;
  record->bytes_received = 300 * KIB;
  record->resume_offset = 200 * KIB;
  g_assert_true (dl_store_insert (fixture->store, record, &error));

  g_assert_true (dl_manager_load (fixture->manager, TRUE, &error));
  download = dl_manager_lookup (fixture->manager, record->id);
  dl_wait_finished (download);
  dl_assert_file (download, 17, 1 * MIB);
}

static void
test_notify_on_change (DlFixture     *fixture,
                       gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "n.bin?size=8m&seed=18&rate=8m", NULL);
  guint bytes_notifies = 0;
  guint state_notifies = 0;
  gint64 start = g_get_monotonic_time ();
  double seconds;
  gulong id1, id2;

  id1 = g_signal_connect_swapped (download, "notify::bytes-received", G_CALLBACK (test_count_cb), &bytes_notifies);
  id2 = g_signal_connect_swapped (download, "notify::state", G_CALLBACK (test_count_cb), &state_notifies);

  dl_wait_finished (download);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  dl_assert_file (download, 18, 8 * MIB);

  /* 8 MiB arrive in some 320 chunks, but the UI hears of it ≤ 10 times a
   * second (plus the flushes at state changes). */
  g_assert_cmpuint (bytes_notifies, >, 2);
  g_assert_cmpuint (bytes_notifies, <=, 10 * seconds + 6);
  /* connecting, downloading, verifying, done */
  g_assert_cmpuint (state_notifies, ==, 4);

  g_signal_handler_disconnect (download, id1);
  g_signal_handler_disconnect (download, id2);
}

/* Throughput of one big download from the local fault server, for tuning
 * the buffer sizes: run with `-m perf`. */
static void
test_perf_throughput (DlFixture     *fixture,
                      gconstpointer  user_data)
{
  guint64 size = 512 * (guint64) MIB;
  g_autofree char *query = g_strdup_printf ("big.bin?size=%" G_GUINT64_FORMAT "&seed=19", size);
  gint64 start;
  double seconds;
  DlDownload *download;

  if (!g_test_perf ())
    {
      g_test_skip ("performance test: run with -m perf");
      return;
    }

  start = g_get_monotonic_time ();
  download = dl_fixture_add (fixture, query, NULL);
  dl_wait_finished (download);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_DONE);
  g_test_minimized_result (seconds, "%.0f MiB in %.2f s: %.0f MiB/s",
                           size / (double) MIB, seconds, size / (double) MIB / seconds);
}

#define DL_TEST(path, func) \
  g_test_add (path, DlFixture, GINT_TO_POINTER (FALSE), dl_fixture_setup, func, dl_fixture_teardown)
#define DL_TLS_TEST(path, func) \
  g_test_add (path, DlFixture, GINT_TO_POINTER (TRUE), dl_fixture_setup, func, dl_fixture_teardown)

static gboolean
cancel_and_retry_cb (gpointer user_data)
{
  DlDownload *download = user_data;

  dl_download_cancel (download);
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_CANCELLED);
  g_assert_cmpint (dl_download_get_bytes_received (download), ==, 0);
  dl_download_retry (download);
  return G_SOURCE_REMOVE;
}

/* Cancel on a paused download removes its partial file on a disk thread,
 * not on the loop's; a retry in the same breath waits for that removal
 * before it opens the folder, so it neither resumes the old bytes nor
 * loses its own new file to the removal. */
static void
test_cancel_paused_then_retry (DlFixture     *fixture,
                               gconstpointer  user_data)
{
  g_autofree char *sha = fault_server_body_sha256 (7, 2 * MIB);
  g_autofree char *part = g_build_filename (fixture->out_dir, "again.bin.part", NULL);
  DlDownload *download = dl_fixture_add (fixture, "again.bin?size=2m&seed=7&rate=2m", sha);

  test_run_until (NULL, dl_download_get_bytes_received (download) > 256 * KIB, TEST_TIMEOUT_SECONDS);
  dl_download_pause (download);
  dl_wait_state (download, DL_DOWNLOAD_STATE_PAUSED);
  test_run_until (NULL, dl_manager_get_n_running (fixture->manager) == 0, TEST_TIMEOUT_SECONDS);
  g_assert_true (g_file_test (part, G_FILE_TEST_EXISTS));

  g_idle_add (cancel_and_retry_cb, download);
  dl_wait_finished (download);
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_DONE);
  dl_assert_file (download, 7, 2 * MIB);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (dl_count_files (fixture->out_dir), ==, 1);
}

/* Under a speed limit a download takes at least as long as the limit
 * says (less the bucket's first quarter second), and still ends with the
 * right file. The lower bound cannot be missed by a slow machine; how
 * closely a limit holds is test-rate-limit's, against a clock of its own. */
static void
assert_took_at_least (gint64 start,
                      double seconds)
{
  g_assert_cmpfloat ((g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC, >=, seconds);
}

static void
test_rate_limit_global (DlFixture     *fixture,
                        gconstpointer  user_data)
{
  gint64 start = g_get_monotonic_time ();
  DlDownload *download;

  dl_manager_set_rate_limit (fixture->manager, 256 * KIB);
  download = dl_fixture_add (fixture, "slow.bin?size=512k&seed=8", NULL);
  dl_wait_finished (download);
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_DONE);
  dl_assert_file (download, 8, 512 * KIB);
  assert_took_at_least (start, (512 - 64) / 256.0);
}

static void
test_rate_limit_own (DlFixture     *fixture,
                     gconstpointer  user_data)
{
  gint64 start = g_get_monotonic_time ();
  DlDownload *download = dl_fixture_add (fixture, "own.bin?size=384k&seed=9", NULL);

  dl_download_set_rate_limit (download, 128 * KIB);
  g_assert_cmpuint (dl_download_get_rate_limit (download), ==, 128 * KIB);
  dl_wait_finished (download);
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_DONE);
  dl_assert_file (download, 9, 384 * KIB);
  assert_took_at_least (start, (384 - 32) / 128.0);
}

int
main (int   argc,
      char *argv[])
{
  /* The isolated XDG dirs hide the GSettings schemas that GIO's GNOME
   * proxy resolver would read: no proxies for a server on 127.0.0.1. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  DL_TEST ("/downloader/download/plain", test_plain);
  DL_TEST ("/downloader/download/empty", test_empty);
  DL_TEST ("/downloader/download/kept-folder", test_kept_folder);
  DL_TEST ("/downloader/download/checksum", test_checksum);
  DL_TEST ("/downloader/download/pause-resume", test_pause_resume);
  DL_TEST ("/downloader/download/retry/503", test_retry_503);
  DL_TEST ("/downloader/download/retry/429-408", test_retry_429);
  DL_TEST ("/downloader/download/retry/gives-up", test_retry_gives_up);
  DL_TEST ("/downloader/download/retry/retry-after-seconds", test_retry_after_seconds);
  DL_TEST ("/downloader/download/retry/retry-after-date", test_retry_after_date);
  DL_TEST ("/downloader/download/retry/retry-at", test_retry_at_property);
  DL_TEST ("/downloader/download/http-404", test_404);
  DL_TEST ("/downloader/download/resume/drop", test_drop_resume);
  DL_TEST ("/downloader/download/resume/drop-every-time", test_drop_every_time);
  DL_TEST ("/downloader/download/resume/no-range-restart", test_no_range_restart);
  DL_TEST ("/downloader/download/resume/etag-change-restart", test_etag_change_restart);
  DL_TEST ("/downloader/download/resume/after-restart", test_restart_resumes);
  DL_TEST ("/downloader/download/resume/crash-garbage-truncated", test_crash_garbage_truncated);
  DL_TEST ("/downloader/download/length/lie-long", test_lying_length_long);
  DL_TEST ("/downloader/download/length/lie-short", test_lying_length_short);
  DL_TEST ("/downloader/download/redirect/chain", test_redirect_chain);
  DL_TEST ("/downloader/download/redirect/too-many", test_redirect_too_many);
  DL_TEST ("/downloader/download/redirect/loop", test_redirect_loop);
  DL_TEST ("/downloader/download/redirect/other-scheme", test_redirect_other_scheme);
  DL_TLS_TEST ("/downloader/download/tls/https", test_https);
  DL_TLS_TEST ("/downloader/download/tls/https-to-http", test_https_to_http);
  DL_TLS_TEST ("/downloader/download/tls/bad-certificate", test_bad_certificate);
  DL_TEST ("/downloader/download/name/hostile-disposition", test_hostile_disposition);
  DL_TEST ("/downloader/download/name/disposition", test_disposition_name);
  DL_TEST ("/downloader/download/name/collision", test_collision);
  DL_TEST ("/downloader/download/name/never-overwrites", test_never_overwrites);
  DL_TEST ("/downloader/download/folder/missing", test_missing_folder);
  DL_TEST ("/downloader/download/folder/read-only", test_read_only_folder);
  DL_TEST ("/downloader/download/timeout/idle", test_idle_timeout);
  DL_TEST ("/downloader/download/timeout/idle-error", test_idle_timeout_error);
  DL_TEST ("/downloader/download/timeout/connect", test_connect_timeout);
  DL_TEST ("/downloader/download/cancel", test_cancel);
  DL_TEST ("/downloader/download/rate-limit/global", test_rate_limit_global);
  DL_TEST ("/downloader/download/rate-limit/own", test_rate_limit_own);
  DL_TEST ("/downloader/download/cancel-paused-then-retry", test_cancel_paused_then_retry);
  DL_TEST ("/downloader/download/notify/throttled", test_notify_on_change);
  DL_TEST ("/downloader/download/perf/throughput", test_perf_throughput);

  return g_test_run ();
}
