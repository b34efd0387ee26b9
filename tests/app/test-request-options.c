/* test-request-options.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <sqlite3.h>

#include "dl-test-util.h"
#include "dl-request-options-private.h"
#include "dl-store.h"

/* DlRequestOptions: what a download sends besides the engine's own
 * request, checked when given, put into each request, and kept in the
 * history without credentials. */

static void
assert_refused (const char *line,
                const char *message)
{
  g_autoptr(DlRequestOptions) options = dl_request_options_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (dl_request_options_add_header (options, line, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  if (strstr (error->message, message) == NULL)
    g_error ("“%s” refused with “%s”, expected “%s”", line, error->message, message);
  g_assert_true (dl_request_options_is_empty (options));
}

static void
test_header_checked (void)
{
  g_autoptr(DlRequestOptions) options = dl_request_options_new ();
  g_autoptr(GError) error = NULL;

  assert_refused ("X-A: one\r\nHost: evil.test", "must not hold a line break");
  assert_refused ("X-A: one\ntwo", "must not hold a line break");
  assert_refused ("X-A: bell\a", "must not hold a line break");
  assert_refused ("X A: v", "is not a valid header name");
  assert_refused ("X(A): v", "is not a valid header name");
  assert_refused (": v", "is not a valid header name");
  assert_refused ("no colon", "a header is “Name: value”");
  assert_refused ("Range: bytes=5-", "cannot be set");
  assert_refused ("host: other.test", "cannot be set");
  assert_refused ("Transfer-Encoding: chunked", "cannot be set");
  assert_refused ("Proxy-Authorization: Basic eA==", "cannot be set");

  g_assert_true (dl_request_options_add_header (options, "X-Token:  t1 ", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (dl_request_options_get_header (options, "x-token"), ==, "t1");

  g_assert_false (dl_request_options_set_user_agent (options, "UA\r\nX: 1", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (dl_request_options_set_referer (options, "javascript:alert(1)", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* Quoted without a password. */
  g_assert_false (dl_request_options_set_referer (options, "ftp://bob:s3cret@files.test/", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (strstr (error->message, "s3cret"));
  g_assert_nonnull (strstr (error->message, "ftp://bob@files.test/"));
}

/* The history gets every header but those that carry credentials. */
static void
test_stored_without_secrets (void)
{
  g_autoptr(DlRequestOptions) options = dl_request_options_new ();
  g_autoptr(DlRequestOptions) loaded = NULL;
  g_autofree char *stored = NULL;

  g_assert_true (dl_request_options_add_header (options, "X-One: 1", NULL));
  g_assert_true (dl_request_options_add_header (options, "Authorization: Bearer s3cret", NULL));
  g_assert_true (dl_request_options_add_header (options, "cookie: typed=s3cret", NULL));
  g_assert_true (dl_request_options_set_user_agent (options, "Agent/1", NULL));
  g_assert_true (dl_request_options_set_referer (options, "https://pages.test/", NULL));
  g_assert_true (dl_request_options_set_user_agent (options, "Agent/2", NULL));

  stored = dl_request_options_dup_stored_headers (options);
  g_assert_cmpstr (stored, ==, "X-One: 1\nReferer: https://pages.test/\nUser-Agent: Agent/2");

  loaded = dl_request_options_new_from_stored (stored, NULL, NULL);
  g_assert_cmpstr (dl_request_options_get_header (loaded, "User-Agent"), ==, "Agent/2");
  g_assert_null (dl_request_options_get_header (loaded, "Authorization"));
}

static char *
request_header (SoupMessage *msg,
                const char  *name)
{
  return g_strdup (soup_message_headers_get_one (soup_message_get_request_headers (msg), name));
}

/* A request to the download's own server gets everything; one a redirect
 * sends to another server gets the user agent and the cookies that match
 * it, not the headers, the referer or the other server's cookies. */
static void
test_apply_origin_only (void)
{
  g_autoptr(DlRequestOptions) options = dl_request_options_new ();
  g_autoptr(SoupMessage) home = soup_message_new ("GET", "http://127.0.0.1:8080/file.bin");
  g_autoptr(SoupMessage) away = soup_message_new ("GET", "http://localhost:9090/cdn/file.bin");
  g_autofree char *value = NULL;

  g_assert_true (dl_request_options_add_header (options, "X-Token: t1", NULL));
  g_assert_true (dl_request_options_add_header (options, "Authorization: Bearer t2", NULL));
  g_assert_true (dl_request_options_set_referer (options, "https://pages.test/", NULL));
  dl_request_options_set_cookies_text (options,
                                       "127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\thome\n"
                                       "localhost\tFALSE\t/\tFALSE\t0\tcdn\taway\n");

  _dl_request_options_apply (options, home, "http://127.0.0.1:8080/file.bin");
  _dl_request_options_apply (options, away, "http://127.0.0.1:8080/file.bin");

  value = request_header (home, "X-Token");
  g_assert_cmpstr (value, ==, "t1");
  g_clear_pointer (&value, g_free);
  value = request_header (home, "Authorization");
  g_assert_cmpstr (value, ==, "Bearer t2");
  g_clear_pointer (&value, g_free);
  value = request_header (home, "Referer");
  g_assert_cmpstr (value, ==, "https://pages.test/");
  g_clear_pointer (&value, g_free);
  value = request_header (home, "Cookie");
  g_assert_cmpstr (value, ==, "sid=home");
  g_clear_pointer (&value, g_free);

  g_assert_null (soup_message_headers_get_one (soup_message_get_request_headers (away), "X-Token"));
  g_assert_null (soup_message_headers_get_one (soup_message_get_request_headers (away),
                                               "Authorization"));
  g_assert_null (soup_message_headers_get_one (soup_message_get_request_headers (away), "Referer"));
  value = request_header (away, "Cookie");
  g_assert_cmpstr (value, ==, "cdn=away");
}

/* The options and the speed limit of a download come back from the
 * history after a restart, without the credential header; the cookies
 * file by its path, read again. */
static void
test_kept_across_restart (DlFixture     *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(DlRequestOptions) options = dl_request_options_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *url = dl_fixture_url (fixture, "kept.bin?size=64k&seed=3&status=503&key=kept");
  g_autofree char *cookies = g_build_filename (g_get_home_dir (), "cookies.txt", NULL);
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *value = NULL;
  DlRequestOptions *loaded;
  DlDownload *download;
  gint64 id;

  g_file_set_contents (cookies, "127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tfile\n", -1, &error);
  g_assert_no_error (error);
  g_assert_true (dl_request_options_add_header (options, "X-Keep: yes", NULL));
  g_assert_true (dl_request_options_add_header (options, "Authorization: Bearer gone", NULL));
  g_assert_true (dl_request_options_set_user_agent (options, "Keeper/1", NULL));
  g_assert_true (dl_request_options_set_cookies_file (options, cookies, &error));
  g_assert_no_error (error);

  /* A server that keeps failing: the download stays unfinished. */
  dl_manager_set_max_retries (fixture->manager, 0);
  download = dl_manager_add_with_options (fixture->manager, url, NULL, NULL, options, &error);
  g_assert_no_error (error);
  dl_download_set_rate_limit (download, 123456);
  id = dl_download_get_id (download);
  g_assert_true (dl_download_get_request_options (download) == options);
  dl_wait_finished (download);

  dl_fixture_wait_idle (fixture);
  g_assert_finalize_object (fixture->manager);
  dl_store_close (fixture->store);
  g_clear_object (&fixture->store);

  /* The app again. */
  fixture->store = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  fixture->manager = dl_manager_new (fixture->store);
  g_assert_true (dl_manager_load (fixture->manager, FALSE, &error));
  download = dl_manager_lookup (fixture->manager, id);
  g_assert_nonnull (download);
  g_assert_cmpuint (dl_download_get_rate_limit (download), ==, 123456);
  loaded = dl_download_get_request_options (download);
  g_assert_nonnull (loaded);
  g_assert_cmpstr (dl_request_options_get_header (loaded, "X-Keep"), ==, "yes");
  g_assert_cmpstr (dl_request_options_get_header (loaded, "User-Agent"), ==, "Keeper/1");
  g_assert_null (dl_request_options_get_header (loaded, "Authorization"));
  g_assert_cmpstr (dl_request_options_get_cookies_file (loaded), ==, cookies);

  msg = soup_message_new ("GET", url);
  _dl_request_options_apply (loaded, msg, dl_download_get_url (download));
  value = request_header (msg, "Cookie");
  g_assert_cmpstr (value, ==, "sid=file");
}

/* Downloads without options store none, and clearing them stores that. */
static void
test_cleared (DlFixture     *fixture,
              gconstpointer  user_data)
{
  g_autoptr(DlRequestOptions) options = dl_request_options_new ();
  g_autoptr(DlStoreRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = dl_fixture_url (fixture, "c.bin?size=10&status=503&key=c");
  DlDownload *download;

  g_assert_true (dl_request_options_add_header (options, "X-Gone: soon", NULL));
  dl_manager_set_max_retries (fixture->manager, 0);
  download = dl_manager_add_with_options (fixture->manager, url, NULL, NULL, options, &error);
  g_assert_no_error (error);
  dl_wait_finished (download);

  dl_download_set_request_options (download, NULL);
  g_assert_null (dl_download_get_request_options (download));
  dl_fixture_wait_idle (fixture);
  dl_store_close (fixture->store);
  g_clear_object (&fixture->store);

  fixture->store = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  record = dl_store_lookup (fixture->store, dl_download_get_id (download), &error);
  g_assert_no_error (error);
  g_assert_null (record->request_headers);
}

/* ---- the history file ----------------------------------------------------------------- */

static void
test_history_private (void)
{
  g_autofree char *path = dl_store_get_default_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(DlStore) store = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  /* One an older build left readable by all. */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);

  store = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  dl_store_close (store);
  g_clear_object (&store);

  /* A new one. */
  g_assert_cmpint (g_unlink (path), ==, 0);
  store = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  dl_store_close (store);
}

/* A history of schema 1 (before request options) opens, keeps its rows,
 * and takes options from then on. */
static void
test_migration_from_1 (void)
{
  g_autofree char *path = dl_store_get_default_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(DlStore) store = NULL;
  g_autoptr(DlStoreRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "CREATE TABLE downloads ("
                                 "  id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL,"
                                 "  output_dir TEXT NOT NULL, file_name TEXT, state TEXT NOT NULL,"
                                 "  bytes_received INTEGER NOT NULL DEFAULT 0,"
                                 "  resume_offset INTEGER NOT NULL DEFAULT 0,"
                                 "  total_bytes INTEGER NOT NULL DEFAULT -1, etag TEXT,"
                                 "  last_modified TEXT, sha256 TEXT, error_message TEXT,"
                                 "  attempts INTEGER NOT NULL DEFAULT 0,"
                                 "  created_at INTEGER NOT NULL,"
                                 "  finished_at INTEGER NOT NULL DEFAULT 0);"
                                 "CREATE INDEX downloads_state ON downloads (state);"
                                 "INSERT INTO downloads (url, output_dir, state, created_at) "
                                 "VALUES ('http://127.0.0.1:1/old.bin', '/tmp', 'paused', 1);"
                                 "PRAGMA application_id = 1111780452;"
                                 "PRAGMA user_version = 1;",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  record = dl_store_lookup (store, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (record->url, ==, "http://127.0.0.1:1/old.bin");
  g_assert_null (record->request_headers);
  g_assert_cmpuint (record->rate_limit, ==, 0);

  record->request_headers = g_strdup ("X-New: 1");
  record->rate_limit = 1000;
  g_assert_true (dl_store_update (store, record, &error));
  g_assert_no_error (error);
  g_clear_pointer (&record, dl_store_record_free);
  record = dl_store_lookup (store, 1, &error);
  g_assert_cmpstr (record->request_headers, ==, "X-New: 1");
  g_assert_cmpuint (record->rate_limit, ==, 1000);
  dl_store_close (store);
}

#define DL_TEST(path, func) \
  g_test_add (path, DlFixture, GINT_TO_POINTER (FALSE), dl_fixture_setup, func, dl_fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/downloader/request-options/header-checked", test_header_checked);
  g_test_add_func ("/downloader/request-options/stored-without-secrets", test_stored_without_secrets);
  g_test_add_func ("/downloader/request-options/apply-origin-only", test_apply_origin_only);
  DL_TEST ("/downloader/request-options/kept-across-restart", test_kept_across_restart);
  DL_TEST ("/downloader/request-options/cleared", test_cleared);
  g_test_add_func ("/downloader/request-options/history-private", test_history_private);
  g_test_add_func ("/downloader/request-options/migration-from-1", test_migration_from_1);

  return g_test_run ();
}
