/* test-store.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <libbridge.h>
#include <sqlite3.h>

#include "dl-store.h"

static char *
store_path (void)
{
  /* G_TEST_OPTION_ISOLATE_DIRS gives every test its own XDG_DATA_HOME. */
  return dl_store_get_default_path ();
}

static DlStoreRecord *
sample_record (void)
{
  DlStoreRecord *record = dl_store_record_new ("https://example.com/a.iso", "/srv/downloads");

  record->file_name = g_strdup ("a.iso");
  record->state = DL_DOWNLOAD_STATE_DOWNLOADING;
  record->bytes_received = 1000;
  record->resume_offset = 800;
  record->total_bytes = 5000;
  record->etag = g_strdup ("\"abc\"");
  record->last_modified = g_strdup ("Wed, 01 Jan 2020 00:00:00 GMT");
  record->sha256 = g_strdup ("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  record->error_message = g_strdup ("HTTP 503 Service Unavailable");
  record->attempts = 3;
  return record;
}

static void
assert_records_equal (const DlStoreRecord *a,
                      const DlStoreRecord *b)
{
  g_assert_cmpint (a->id, ==, b->id);
  g_assert_cmpstr (a->url, ==, b->url);
  g_assert_cmpstr (a->output_dir, ==, b->output_dir);
  g_assert_cmpstr (a->file_name, ==, b->file_name);
  g_assert_cmpint (a->state, ==, b->state);
  g_assert_cmpint (a->bytes_received, ==, b->bytes_received);
  g_assert_cmpint (a->resume_offset, ==, b->resume_offset);
  g_assert_cmpint (a->total_bytes, ==, b->total_bytes);
  g_assert_cmpstr (a->etag, ==, b->etag);
  g_assert_cmpstr (a->last_modified, ==, b->last_modified);
  g_assert_cmpstr (a->sha256, ==, b->sha256);
  g_assert_cmpstr (a->error_message, ==, b->error_message);
  g_assert_cmpuint (a->attempts, ==, b->attempts);
  g_assert_cmpint (a->created_at, ==, b->created_at);
  g_assert_cmpint (a->finished_at, ==, b->finished_at);
}

static void
test_default_path (void)
{
  g_autofree char *path = store_path ();
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "bridge-downloader",
                                                "downloads.sqlite", NULL);
  g_autoptr(DlStore) store = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (path, ==, expected);

  /* Opening creates the folder and the file. */
  store = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dl_store_get_path (store), ==, expected);
  g_assert_true (g_file_test (expected, G_FILE_TEST_IS_REGULAR));
}

static void
test_round_trip (void)
{
  g_autoptr(DlStore) store = NULL;
  g_autoptr(DlStoreRecord) record = sample_record ();
  g_autoptr(DlStoreRecord) loaded = NULL;
  g_autoptr(DlStoreRecord) minimal = dl_store_record_new ("http://h/x", "/tmp");
  g_autoptr(DlStoreRecord) loaded_minimal = NULL;
  g_autoptr(GError) error = NULL;

  store = dl_store_open (NULL, &error);
  g_assert_no_error (error);

  g_assert_true (dl_store_insert (store, record, &error));
  g_assert_no_error (error);
  g_assert_cmpint (record->id, >, 0);

  loaded = dl_store_lookup (store, record->id, &error);
  g_assert_no_error (error);
  assert_records_equal (record, loaded);

  /* NULL strings stay NULL, -1 stays -1. */
  g_assert_true (dl_store_insert (store, minimal, &error));
  loaded_minimal = dl_store_lookup (store, minimal->id, &error);
  g_assert_no_error (error);
  assert_records_equal (minimal, loaded_minimal);
  g_assert_null (loaded_minimal->file_name);
  g_assert_cmpint (loaded_minimal->total_bytes, ==, -1);
  g_assert_cmpint (loaded_minimal->state, ==, DL_DOWNLOAD_STATE_QUEUED);
}

static void
test_update (void)
{
  g_autoptr(DlStore) store = NULL;
  g_autoptr(DlStoreRecord) record = sample_record ();
  g_autoptr(DlStoreRecord) loaded = NULL;
  g_autoptr(DlStoreRecord) missing = sample_record ();
  g_autoptr(GError) error = NULL;

  store = dl_store_open (NULL, &error);
  g_assert_true (dl_store_insert (store, record, &error));

  record->state = DL_DOWNLOAD_STATE_DONE;
  g_free (record->file_name);
  record->file_name = g_strdup ("a (1).iso");
  g_clear_pointer (&record->error_message, g_free);
  record->finished_at = g_get_real_time ();
  g_assert_true (dl_store_update (store, record, &error));
  g_assert_no_error (error);

  g_assert_true (dl_store_update_progress (store, record->id, 4000, 3500, &error));
  g_assert_no_error (error);
  record->bytes_received = 4000;
  record->resume_offset = 3500;

  loaded = dl_store_lookup (store, record->id, &error);
  g_assert_no_error (error);
  assert_records_equal (record, loaded);

  missing->id = 9999;
  g_assert_false (dl_store_update (store, missing, &error));
  g_assert_error (error, DL_STORE_ERROR, DL_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (dl_store_update_progress (store, 9999, 1, 1, &error));
  g_assert_error (error, DL_STORE_ERROR, DL_STORE_ERROR_NOT_FOUND);
}

static void
test_reopen (void)
{
  g_autoptr(DlStore) store = NULL;
  g_autoptr(DlStoreRecord) record = sample_record ();
  g_autoptr(DlStoreRecord) loaded = NULL;
  g_autoptr(GError) error = NULL;

  store = dl_store_open (NULL, &error);
  g_assert_true (dl_store_insert (store, record, &error));
  g_assert_true (dl_store_update_progress (store, record->id, 1234, 1200, &error));
  dl_store_close (store);

  /* A closed store says so instead of crashing. */
  g_assert_false (dl_store_update_progress (store, record->id, 1, 1, &error));
  g_assert_error (error, DL_STORE_ERROR, DL_STORE_ERROR_FAILED);
  g_clear_error (&error);
  g_clear_object (&store);

  store = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  loaded = dl_store_lookup (store, record->id, &error);
  g_assert_no_error (error);
  record->bytes_received = 1234;
  record->resume_offset = 1200;
  assert_records_equal (record, loaded);
}

/* The WAL and its index stay beside the history between runs, the WAL
 * empty once the last connection closed: the next run opens the same
 * files instead of making them anew, and finds everything. */
static void
test_wal_files_kept_empty (void)
{
  g_autofree char *path = store_path ();
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_autoptr(DlStore) store = NULL;
  g_autoptr(DlStoreRecord) first = sample_record ();
  g_autoptr(DlStoreRecord) second = sample_record ();
  g_autoptr(DlStoreRecord) loaded = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf wal_before, shm_before, wal_after, shm_after;

  store = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (dl_store_insert (store, first, &error));
  dl_store_close (store);
  g_clear_object (&store);

  g_assert_cmpint (g_stat (wal, &wal_before), ==, 0);
  g_assert_cmpint (wal_before.st_size, ==, 0);
  g_assert_cmpint (wal_before.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (shm, &shm_before), ==, 0);
  g_assert_cmpint (shm_before.st_mode & 0777, ==, 0600);

  store = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (dl_store_insert (store, second, &error));
  loaded = dl_store_lookup (store, first->id, &error);
  g_assert_no_error (error);
  assert_records_equal (first, loaded);
  dl_store_close (store);

  g_assert_cmpint (g_stat (wal, &wal_after), ==, 0);
  g_assert_cmpint (wal_after.st_size, ==, 0);
  g_assert_cmpuint (wal_after.st_ino, ==, wal_before.st_ino);
  g_assert_cmpint (g_stat (shm, &shm_after), ==, 0);
  g_assert_cmpuint (shm_after.st_ino, ==, shm_before.st_ino);
}

static void
test_committed_without_close (void)
{
  g_autofree char *path = store_path ();
  g_autoptr(DlStore) store = NULL;
  g_autoptr(DlStoreRecord) record = sample_record ();
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *mode = NULL;

  store = dl_store_open (NULL, &error);
  g_assert_true (dl_store_insert (store, record, &error));
  g_assert_true (dl_store_update_progress (store, record->id, 77, 66, &error));

  /* Another connection (another process after a crash of this one) sees
   * every committed write while the first is still open, and the journal is
   * in WAL mode. */
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT resume_offset FROM downloads WHERE id = ?1", -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, record->id);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 0), ==, 66);
  sqlite3_finalize (stmt);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA journal_mode", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  mode = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  g_assert_cmpstr (mode, ==, "wal");
  g_free (mode);
}

static void
test_history (void)
{
  g_autoptr(DlStore) store = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  gint64 ids[5];

  store = dl_store_open (NULL, &error);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *url = g_strdup_printf ("https://example.com/%u", i);
      g_autoptr(DlStoreRecord) record = dl_store_record_new (url, "/tmp");

      record->state = i % 2 ? DL_DOWNLOAD_STATE_DONE : DL_DOWNLOAD_STATE_FAILED;
      g_assert_true (dl_store_insert (store, record, &error));
      ids[i] = record->id;
    }

  g_assert_true (dl_store_remove (store, ids[2], &error));
  g_assert_no_error (error);
  /* Removing twice is fine. */
  g_assert_true (dl_store_remove (store, ids[2], &error));

  records = dl_store_list (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 4);
  for (guint i = 0, j = 0; i < G_N_ELEMENTS (ids); i++)
    {
      DlStoreRecord *record;

      if (i == 2)
        continue;
      record = g_ptr_array_index (records, j++);
      g_assert_cmpint (record->id, ==, ids[i]);
      g_assert_cmpint (record->state, ==, i % 2 ? DL_DOWNLOAD_STATE_DONE : DL_DOWNLOAD_STATE_FAILED);
    }

  g_assert_null (dl_store_lookup (store, ids[2], &error));
  g_assert_error (error, DL_STORE_ERROR, DL_STORE_ERROR_NOT_FOUND);
}

static void
write_raw (const char *path,
           const char *contents,
           gsize       len)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (dir, 0700);
  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
}

static void
exec_raw (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  g_mkdir_with_parents (dir, 0700);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static void
test_corrupt (void)
{
  g_autofree char *path = store_path ();
  g_autofree char *garbage = g_malloc (8192);
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  DlStore *store;
  gsize len;

  memset (garbage, 'Z', 8192);
  write_raw (path, garbage, 8192);

  store = dl_store_open (NULL, &error);
  g_assert_null (store);
  g_assert_error (error, DL_STORE_ERROR, DL_STORE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, path));

  /* The file is left as it was, for the user to look at. */
  g_file_get_contents (path, &after, &len, NULL);
  g_assert_cmpmem (after, len, garbage, 8192);
}

static void
test_newer_schema (void)
{
  g_autofree char *path = store_path ();
  g_autoptr(GError) error = NULL;
  DlStore *store;

  exec_raw (path, "CREATE TABLE downloads (id INTEGER PRIMARY KEY, future TEXT);"
                  "PRAGMA application_id = 1111780452;"   /* ours: 0x42446c64 */
                  "PRAGMA user_version = 99;");

  store = dl_store_open (NULL, &error);
  g_assert_null (store);
  g_assert_error (error, DL_STORE_ERROR, DL_STORE_ERROR_VERSION);
  g_assert_nonnull (strstr (error->message, "99"));
  g_assert_nonnull (strstr (error->message, "newer"));
}

static void
test_foreign (void)
{
  g_autofree char *path = store_path ();
  g_autoptr(GError) error = NULL;
  DlStore *store;

  exec_raw (path, "CREATE TABLE photos (id INTEGER PRIMARY KEY, blob BLOB);");

  store = dl_store_open (NULL, &error);
  g_assert_null (store);
  g_assert_error (error, DL_STORE_ERROR, DL_STORE_ERROR_FOREIGN);
  g_clear_error (&error);

  g_unlink (path);
  exec_raw (path, "PRAGMA application_id = 7;");
  store = dl_store_open (NULL, &error);
  g_assert_null (store);
  g_assert_error (error, DL_STORE_ERROR, DL_STORE_ERROR_FOREIGN);
}

static void
test_unknown_state (void)
{
  g_autofree char *path = store_path ();
  g_autoptr(DlStore) store = NULL;
  g_autoptr(DlStoreRecord) record = sample_record ();
  g_autoptr(DlStoreRecord) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sql = NULL;

  store = dl_store_open (NULL, &error);
  g_assert_true (dl_store_insert (store, record, &error));
  dl_store_close (store);
  g_clear_object (&store);

  sql = g_strdup_printf ("UPDATE downloads SET state = 'teleporting', error_message = NULL "
                         "WHERE id = %" G_GINT64_FORMAT, record->id);
  exec_raw (path, sql);

  store = dl_store_open (NULL, &error);
  loaded = dl_store_lookup (store, record->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (loaded->state, ==, DL_DOWNLOAD_STATE_FAILED);
  g_assert_nonnull (strstr (loaded->error_message, "teleporting"));
}

/* A removal queued from the loop thread is committed like the other queued
 * writes: a read afterwards no longer finds the row, nor a record whose
 * queued insert it overtook. */
static void
test_queue_remove (void)
{
  g_autoptr(DlStore) store = NULL;
  g_autoptr(DlStoreRecord) committed = sample_record ();
  g_autoptr(DlStoreRecord) queued = sample_record ();
  g_autoptr(DlStoreRecord) loaded = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;

  store = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (dl_store_insert (store, committed, &error));
  /* A queued insert takes a reserved id, which the first insert made. */
  g_assert_true (dl_store_queue_insert (store, queued));

  dl_store_queue_remove (store, committed->id);
  dl_store_queue_remove (store, queued->id);
  /* Nothing queued afterwards brings them back. */
  dl_store_queue_progress (store, committed->id, 1, 1);

  loaded = dl_store_lookup (store, committed->id, &error);
  g_assert_error (error, DL_STORE_ERROR, DL_STORE_ERROR_NOT_FOUND);
  g_assert_null (loaded);
  g_clear_error (&error);

  records = dl_store_list (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 0);
}

static void
inserted_cb (gint64        id,
             const GError *error,
             gpointer      user_data)
{
  BridgeFuture *future = user_data;

  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  bridge_future_set_int64 (future, id, NULL);
}

/* The loop thread inserts without waiting: the callback brings the id. */
static void
test_insert_async (void)
{
  g_autoptr(DlStore) store = NULL;
  g_autoptr(DlStoreRecord) record = sample_record ();
  g_autoptr(DlStoreRecord) loaded = NULL;
  g_autoptr(BridgeFuture) future = bridge_future_new ();
  g_autoptr(GError) error = NULL;

  store = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  dl_store_insert_async (store, record, inserted_cb, future, NULL);
  g_assert_true (bridge_loop_run_until_complete (bridge_loop_get_default (), future, &error));
  record->id = bridge_future_get_int64 (future, &error);
  g_assert_no_error (error);

  loaded = dl_store_lookup (store, record->id, &error);
  g_assert_no_error (error);
  assert_records_equal (record, loaded);
}

static gboolean
lookup_in_callback (gpointer user_data)
{
  DlStore *store = user_data;
  g_autoptr(DlStoreRecord) record = NULL;

  record = dl_store_lookup (store, 1, NULL);
  return G_SOURCE_REMOVE;
}

/* A call that waits for the store, made by a main loop callback outside a
 * task, would stall the loop: a debug build says so. */
static void
test_blocking_call_on_loop_thread (void)
{
#ifndef DL_ENABLE_DEBUG
  g_test_skip ("The check is in debug builds only");
#else
  if (g_test_subprocess ())
    {
      g_autoptr(DlStore) store = dl_store_open (NULL, NULL);
      g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

      g_idle_add (lookup_in_callback, store);
      g_idle_add ((GSourceFunc) g_main_loop_quit, loop);
      g_main_loop_run (loop);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*dl_store_lookup*would block the loop*");
#endif
}

/* The same call before any loop runs (at startup) or on a worker thread
 * only blocks its own thread: no complaint. */
static void
test_blocking_call_outside_loop (void)
{
  g_autoptr(DlStore) store = NULL;
  g_autoptr(DlStoreRecord) record = sample_record ();
  g_autoptr(GError) error = NULL;

  g_assert_true (dl_store_can_wait ());
  store = dl_store_open (NULL, &error);
  g_assert_true (dl_store_insert (store, record, &error));
  g_assert_no_error (error);
}

/* Whether another connection (another process) finds the row @id. */
static gboolean
row_is_committed (const char *path,
                  gint64      id)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gboolean found;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM downloads WHERE id = ?1", -1,
                                       &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, id);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  found = sqlite3_column_int64 (stmt, 0) > 0;
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return found;
}

/* Opening reserves ids for the first downloads, so that adding one never
 * waits; its commit is left to the writer thread. The ids are the
 * instance's own all the same: another instance opening the same history
 * at that moment gets others, and each queued insert reaches the file
 * without a close. */
static void
test_ids_at_hand_on_open (void)
{
  g_autofree char *path = store_path ();
  g_autoptr(DlStore) first = NULL;
  g_autoptr(DlStore) second = NULL;
  g_autoptr(DlStoreRecord) a = sample_record ();
  g_autoptr(DlStoreRecord) b = sample_record ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline;

  first = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  second = dl_store_open (NULL, &error);
  g_assert_no_error (error);

  g_assert_true (dl_store_queue_insert (first, a));
  g_assert_true (dl_store_queue_insert (second, b));
  g_assert_cmpint (a->id, >, 0);
  g_assert_cmpint (b->id, >, 0);
  g_assert_cmpint (a->id, !=, b->id);

  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!(row_is_committed (path, a->id) && row_is_committed (path, b->id)))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }

  dl_store_close (first);
  dl_store_close (second);
  g_clear_object (&first);
  first = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  records = dl_store_list (first, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 2);
  assert_records_equal (g_ptr_array_index (records, 0), a->id < b->id ? a : b);
  assert_records_equal (g_ptr_array_index (records, 1), a->id < b->id ? b : a);
}

/* The first list may be the downloads as read when opening, but never once
 * something was written since: a write queued or made meanwhile is in it. */
static void
test_list_sees_writes_since_open (void)
{
  g_autoptr(DlStore) store = NULL;
  g_autoptr(DlStoreRecord) stored = sample_record ();
  g_autoptr(DlStoreRecord) queued = sample_record ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;

  store = dl_store_open (NULL, &error);
  g_assert_true (dl_store_insert (store, stored, &error));
  g_assert_no_error (error);
  dl_store_close (store);
  g_clear_object (&store);

  store = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  queued->url = (g_free (queued->url), g_strdup ("https://example.com/b.iso"));
  g_assert_true (dl_store_queue_insert (store, queued));
  records = dl_store_list (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 2);
  assert_records_equal (g_ptr_array_index (records, 0), stored);
  assert_records_equal (g_ptr_array_index (records, 1), queued);
  g_clear_pointer (&records, g_ptr_array_unref);

  /* And after a direct write. */
  dl_store_close (store);
  g_clear_object (&store);
  store = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (dl_store_remove (store, stored->id, &error));
  g_assert_no_error (error);
  records = dl_store_list (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1);
  assert_records_equal (g_ptr_array_index (records, 0), queued);
}

/* Whether the WAL was ever checkpointed: its frames copied into the
 * database (nBackfill, in the checkpoint information that follows the two
 * copies of the WAL-index header at the start of the -shm file, in native
 * byte order), or the WAL restarted after a complete checkpoint (the
 * checkpoint sequence number in the WAL's own header, big-endian, counts
 * restarts). Both in SQLite's documented file formats. */
static gboolean
wal_was_checkpointed (const char *path)
{
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm_contents = NULL;
  g_autofree char *wal_contents = NULL;
  gsize shm_length = 0;
  gsize wal_length = 0;
  guint32 backfilled;
  guint32 restarts;

  g_assert_true (g_file_get_contents (shm, &shm_contents, &shm_length, NULL));
  g_assert_cmpuint (shm_length, >=, 100);
  memcpy (&backfilled, shm_contents + 96, sizeof backfilled);

  g_assert_true (g_file_get_contents (wal, &wal_contents, &wal_length, NULL));
  g_assert_cmpuint (wal_length, >=, 32);
  memcpy (&restarts, wal_contents + 12, sizeof restarts);

  return backfilled > 0 || GUINT32_FROM_BE (restarts) > 0;
}

/* The WAL is checkpointed once it has grown past a thousand pages while
 * the store stays open, by a thread of the store's own that starts the
 * first time one is needed. */
static void
test_checkpoint_while_open (void)
{
  g_autofree char *path = store_path ();
  g_autoptr(DlStore) store = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline;

  store = dl_store_open (NULL, &error);
  g_assert_no_error (error);
  /* Each commit adds a few pages. */
  for (guint i = 0; i < 600; i++)
    {
      g_autoptr(DlStoreRecord) record = sample_record ();

      g_assert_true (dl_store_insert (store, record, &error));
      g_assert_no_error (error);
    }

  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!wal_was_checkpointed (path))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/downloader/store/default-path", test_default_path);
  g_test_add_func ("/downloader/store/round-trip", test_round_trip);
  g_test_add_func ("/downloader/store/update", test_update);
  g_test_add_func ("/downloader/store/reopen", test_reopen);
  g_test_add_func ("/downloader/store/committed-without-close", test_committed_without_close);
  g_test_add_func ("/downloader/store/wal-files-kept-empty", test_wal_files_kept_empty);
  g_test_add_func ("/downloader/store/history", test_history);
  g_test_add_func ("/downloader/store/corrupt", test_corrupt);
  g_test_add_func ("/downloader/store/newer-schema", test_newer_schema);
  g_test_add_func ("/downloader/store/foreign", test_foreign);
  g_test_add_func ("/downloader/store/unknown-state", test_unknown_state);
  g_test_add_func ("/downloader/store/queue-remove", test_queue_remove);
  g_test_add_func ("/downloader/store/insert-async", test_insert_async);
  g_test_add_func ("/downloader/store/ids-at-hand-on-open", test_ids_at_hand_on_open);
  g_test_add_func ("/downloader/store/list-sees-writes-since-open", test_list_sees_writes_since_open);
  g_test_add_func ("/downloader/store/checkpoint-while-open", test_checkpoint_while_open);
  g_test_add_func ("/downloader/store/blocking-call-on-loop-thread",
                   test_blocking_call_on_loop_thread);
  g_test_add_func ("/downloader/store/blocking-call-outside-loop", test_blocking_call_outside_loop);

  return g_test_run ();
}
