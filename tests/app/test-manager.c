/* test-manager.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "dl-download-private.h"
#include "dl-stall-probe.h"
#include "dl-test-util.h"

#define KIB 1024

typedef struct
{
  DlManager *manager;
  guint      max_active;
} ActiveWatch;

static void
active_changed_cb (DlManager   *manager,
                   GParamSpec  *pspec,
                   ActiveWatch *watch)
{
  watch->max_active = MAX (watch->max_active, dl_manager_get_n_active (manager));
}

static gboolean
all_finished (DlManager *manager)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (manager));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (G_LIST_MODEL (manager), i);

      if (!dl_download_is_finished (download))
        return FALSE;
    }
  return TRUE;
}

static void
assert_all_done (DlManager *manager,
                 guint64    seed,
                 guint64    size)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (manager));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (G_LIST_MODEL (manager), i);

      dl_assert_file (download, seed, size);
    }
}

static void
test_defaults (DlFixture     *fixture,
               gconstpointer  user_data)
{
  SoupSession *session = dl_manager_get_session (fixture->manager);

  g_assert_cmpuint (dl_manager_get_max_concurrent (fixture->manager), ==, 4);
  g_assert_cmpuint (dl_manager_get_max_per_host (fixture->manager), ==, 2);
  g_assert_cmpuint (dl_manager_get_max_retries (fixture->manager), ==, 5);
  g_assert_cmpfloat (dl_manager_get_idle_timeout (fixture->manager), ==, 30.0);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (fixture->manager)) == DL_TYPE_DOWNLOAD);

  /* Bytes as sent: no decoding. libsoup's own per-host limit is not below
   * ours, also after raising ours. */
  g_assert_false (soup_session_has_feature (session, SOUP_TYPE_CONTENT_DECODER));
  g_assert_cmpint (soup_session_get_max_conns_per_host (session), >=, 2);
  dl_manager_set_max_per_host (fixture->manager, 12);
  session = dl_manager_get_session (fixture->manager);
  g_assert_false (soup_session_has_feature (session, SOUP_TYPE_CONTENT_DECODER));
  g_assert_cmpint (soup_session_get_max_conns_per_host (session), >=, 12);
}

static void
test_add_refuses (DlFixture     *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (dl_manager_add (fixture->manager, "ftp://example.com/x", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  g_assert_null (dl_manager_add (fixture->manager, "file:///etc/passwd", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  g_assert_null (dl_manager_add (fixture->manager, "not a url", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_null (dl_manager_add (fixture->manager, "http://example.com/x", "abc", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)), ==, 0);
}

static void
count_items_changed_cb (GListModel *model,
                        guint       position,
                        guint       removed,
                        guint       added,
                        int        *delta)
{
  *delta += (int) added - (int) removed;
}

static void
test_list_model (DlFixture     *fixture,
                 gconstpointer  user_data)
{
  int delta = 0;
  DlDownload *a, *b;
  g_autoptr(DlDownload) first = NULL;

  g_signal_connect (fixture->manager, "items-changed", G_CALLBACK (count_items_changed_cb), &delta);
  a = dl_fixture_add (fixture, "a.bin?size=1k", NULL);
  b = dl_fixture_add (fixture, "b.bin?size=1k", NULL);
  g_assert_cmpint (delta, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)), ==, 2);
  first = g_list_model_get_item (G_LIST_MODEL (fixture->manager), 0);
  g_assert_true (first == a);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (fixture->manager), 2));

  dl_wait_finished (a);
  dl_wait_finished (b);
  dl_download_remove (a);
  g_assert_cmpint (delta, ==, 1);
  g_assert_true (dl_manager_lookup (fixture->manager, dl_download_get_id (b)) == b);
  g_signal_handlers_disconnect_by_func (fixture->manager, count_items_changed_cb, &delta);
}

static void
test_global_limit (DlFixture     *fixture,
                   gconstpointer  user_data)
{
  ActiveWatch watch = { fixture->manager, 0 };

  dl_manager_set_max_concurrent (fixture->manager, 2);
  dl_manager_set_max_per_host (fixture->manager, 10);
  g_signal_connect (fixture->manager, "notify::n-active", G_CALLBACK (active_changed_cb), &watch);

  for (guint i = 0; i < 6; i++)
    dl_fixture_add (fixture, "g.bin?size=100k&rate=1m", NULL);

  test_run_until (NULL, all_finished (fixture->manager), TEST_TIMEOUT_SECONDS);
  assert_all_done (fixture->manager, 0, 100 * KIB);
  g_assert_cmpuint (watch.max_active, ==, 2);
  g_signal_handlers_disconnect_by_func (fixture->manager, active_changed_cb, &watch);
}

static void
test_per_host_limit (DlFixture     *fixture,
                     gconstpointer  user_data)
{
  ActiveWatch watch = { fixture->manager, 0 };
  g_autofree char *other = g_strdup_printf ("http://localhost:%u/h.bin?size=100k&rate=1m",
                                            fault_server_get_port (fixture->server));
  g_autoptr(GError) error = NULL;

  /* One at a time per host, two hosts: two at a time in all, although the
   * global limit would allow ten, and the busy host never blocks the other. */
  dl_manager_set_max_concurrent (fixture->manager, 10);
  dl_manager_set_max_per_host (fixture->manager, 1);
  g_signal_connect (fixture->manager, "notify::n-active", G_CALLBACK (active_changed_cb), &watch);

  for (guint i = 0; i < 3; i++)
    dl_fixture_add (fixture, "h.bin?size=100k&rate=1m", NULL);
  for (guint i = 0; i < 3; i++)
    g_assert_nonnull (dl_manager_add (fixture->manager, other, NULL, &error));

  test_run_until (NULL, all_finished (fixture->manager), TEST_TIMEOUT_SECONDS);
  assert_all_done (fixture->manager, 0, 100 * KIB);
  g_assert_cmpuint (watch.max_active, ==, 2);
  g_signal_handlers_disconnect_by_func (fixture->manager, active_changed_cb, &watch);
}

static void
test_live_limit (DlFixture     *fixture,
                 gconstpointer  user_data)
{
  ActiveWatch watch = { fixture->manager, 0 };

  dl_manager_set_max_concurrent (fixture->manager, 1);
  dl_manager_set_max_per_host (fixture->manager, 10);
  for (guint i = 0; i < 8; i++)
    dl_fixture_add (fixture, "l.bin?size=200k&rate=400k", NULL);

  test_run_until (NULL, dl_manager_get_n_active (fixture->manager) == 1, TEST_TIMEOUT_SECONDS);
  dl_manager_set_max_concurrent (fixture->manager, 3);
  test_run_until (NULL, dl_manager_get_n_active (fixture->manager) == 3, TEST_TIMEOUT_SECONDS);

  /* Lowered: the running ones finish, and from then on one at a time. */
  dl_manager_set_max_concurrent (fixture->manager, 1);
  test_run_until (NULL, dl_manager_get_n_active (fixture->manager) <= 1, TEST_TIMEOUT_SECONDS);
  g_signal_connect (fixture->manager, "notify::n-active", G_CALLBACK (active_changed_cb), &watch);

  test_run_until (NULL, all_finished (fixture->manager), TEST_TIMEOUT_SECONDS);
  assert_all_done (fixture->manager, 0, 200 * KIB);
  g_assert_cmpuint (watch.max_active, ==, 1);
  g_signal_handlers_disconnect_by_func (fixture->manager, active_changed_cb, &watch);
}

static void
test_many (DlFixture     *fixture,
           gconstpointer  user_data)
{
  ActiveWatch watch = { fixture->manager, 0 };
  guint n = g_test_slow () ? 1000 : 300;

  dl_manager_set_max_concurrent (fixture->manager, 20);
  dl_manager_set_max_per_host (fixture->manager, 20);
  g_signal_connect (fixture->manager, "notify::n-active", G_CALLBACK (active_changed_cb), &watch);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *query = g_strdup_printf ("many-%u.bin?size=8k&seed=%u", i, i);

      dl_fixture_add (fixture, query, NULL);
    }
  g_assert_cmpuint (dl_manager_get_n_running (fixture->manager), ==, n);

  test_run_until (NULL, all_finished (fixture->manager), TEST_TIMEOUT_SECONDS);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (G_LIST_MODEL (fixture->manager), i);

      dl_assert_file (download, i, 8 * KIB);
    }
  g_assert_cmpuint (watch.max_active, <=, 20);
  g_assert_cmpuint (dl_count_files (fixture->out_dir), ==, n);
  g_signal_handlers_disconnect_by_func (fixture->manager, active_changed_cb, &watch);
}

static void
test_retry_action (DlFixture     *fixture,
                   gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "ra.bin?size=5k&status=404,200&key=retry-action", NULL);

  dl_wait_finished (download);
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_FAILED);
  g_assert_true (dl_download_can_retry (download));
  g_assert_false (dl_download_can_pause (download));

  dl_download_retry (download);
  dl_wait_state (download, DL_DOWNLOAD_STATE_DONE);
  dl_assert_file (download, 0, 5 * KIB);
  g_assert_null (dl_download_get_error_message (download));
}

static void
test_remove_running (DlFixture     *fixture,
                     gconstpointer  user_data)
{
  g_autofree char *part = g_build_filename (fixture->out_dir, "rm.bin.part", NULL);
  g_autoptr(DlDownload) download = g_object_ref (dl_fixture_add (fixture, "rm.bin?size=4m&rate=1m", NULL));
  gint64 id = dl_download_get_id (download);
  g_autoptr(GError) error = NULL;
  DlStoreRecord *record;

  test_run_until (NULL, g_file_test (part, G_FILE_TEST_EXISTS), TEST_TIMEOUT_SECONDS);
  dl_download_remove (download);
  test_run_until (NULL, g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)) == 0,
                  TEST_TIMEOUT_SECONDS);

  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  record = dl_store_lookup (fixture->store, id, &error);
  g_assert_null (record);
  g_assert_error (error, DL_STORE_ERROR, DL_STORE_ERROR_NOT_FOUND);
  /* A removed download's actions do nothing. */
  dl_download_resume (download);
  g_assert_cmpuint (dl_manager_get_n_running (fixture->manager), ==, 0);
}

static void
test_remove_done_keeps_file (DlFixture     *fixture,
                             gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "keep.bin?size=1k", NULL);
  g_autofree char *path = NULL;

  dl_wait_finished (download);
  path = dl_download_dup_path (download);
  dl_download_remove (download);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)), ==, 0);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
}

static void
test_history (DlFixture     *fixture,
              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  DlDownload *done = dl_fixture_add (fixture, "hist.bin?size=1k", NULL);
  DlDownload *failed = dl_fixture_add (fixture, "gone.bin?status=410", NULL);
  DlDownload *paused = dl_fixture_add (fixture, "later.bin?size=4m&rate=1m", NULL);
  gint64 ids[3] = { dl_download_get_id (done), dl_download_get_id (failed), dl_download_get_id (paused) };
  g_autoptr(DlDownload) loaded_done = NULL;
  g_autoptr(DlDownload) loaded_failed = NULL;
  g_autoptr(DlDownload) loaded_paused = NULL;

  dl_wait_finished (done);
  dl_wait_finished (failed);
  test_run_until (NULL, dl_download_get_bytes_received (paused) > 100 * KIB, TEST_TIMEOUT_SECONDS);
  dl_download_pause (paused);
  dl_wait_state (paused, DL_DOWNLOAD_STATE_PAUSED);
  dl_fixture_wait_idle (fixture);
  g_assert_finalize_object (fixture->manager);

  fixture->manager = dl_manager_new (fixture->store);
  g_assert_true (dl_manager_load (fixture->manager, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)), ==, 3);

  loaded_done = g_list_model_get_item (G_LIST_MODEL (fixture->manager), 0);
  loaded_failed = g_list_model_get_item (G_LIST_MODEL (fixture->manager), 1);
  loaded_paused = g_list_model_get_item (G_LIST_MODEL (fixture->manager), 2);
  g_assert_cmpint (dl_download_get_id (loaded_done), ==, ids[0]);
  g_assert_cmpint (dl_download_get_state (loaded_done), ==, DL_DOWNLOAD_STATE_DONE);
  g_assert_cmpstr (dl_download_get_file_name (loaded_done), ==, "hist.bin");
  g_assert_cmpint (dl_download_get_id (loaded_failed), ==, ids[1]);
  g_assert_cmpint (dl_download_get_state (loaded_failed), ==, DL_DOWNLOAD_STATE_FAILED);
  g_assert_nonnull (strstr (dl_download_get_error_message (loaded_failed), "410"));
  g_assert_cmpint (dl_download_get_id (loaded_paused), ==, ids[2]);
  /* Paused by the user: stays paused after a restart. */
  g_assert_cmpint (dl_download_get_state (loaded_paused), ==, DL_DOWNLOAD_STATE_PAUSED);
  g_assert_cmpint (dl_download_get_bytes_received (loaded_paused), >, 100 * KIB);
  g_assert_true (dl_manager_find_unfinished (fixture->manager, dl_download_get_url (loaded_paused), fixture->out_dir) == loaded_paused);
  g_assert_null (dl_manager_find_unfinished (fixture->manager, dl_download_get_url (loaded_done), fixture->out_dir));

  dl_download_resume (loaded_paused);
  dl_wait_finished (loaded_paused);
  dl_assert_file (loaded_paused, 0, 4 * 1024 * 1024);
}

static void
test_gzip_raw (DlFixture     *fixture,
               gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "z.bin?size=64k&gzip=1", NULL);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  dl_wait_finished (download);
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_DONE);
  path = dl_download_dup_path (download);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));

  /* The bytes as sent (gzip), as many as Content-Length said. */
  g_assert_cmpuint (len, ==, dl_download_get_total_bytes (download));
  g_assert_cmpuint (len, >=, 2);
  g_assert_cmpuint ((guchar) contents[0], ==, 0x1f);
  g_assert_cmpuint ((guchar) contents[1], ==, 0x8b);
}

/* What Remove Finished and Cancel do to a long list: 1000 finished rows go
 * and 200 running downloads are cancelled, from one main loop callback, as
 * the window does it, while the stall probe samples the loop. Nothing on
 * the way waits for the store or the disk on the loop thread (a debug
 * build makes that a critical, fatal here); every row leaves the list and
 * the history, and every partial file the disk. How long the loop stalled
 * is bench/run's to judge (app-remove-stall): it is only reported here. */
#define N_FINISHED 1000
#define N_RUNNING  200

static void
add_finished_records (DlFixture *fixture)
{
  for (guint i = 0; i < N_FINISHED; i++)
    {
      g_autofree char *url = dl_fixture_url (fixture, "finished.bin");
      g_autoptr(DlStoreRecord) record = dl_store_record_new (url, fixture->out_dir);
      g_autoptr(GError) error = NULL;

      record->file_name = g_strdup_printf ("finished-%04u.bin", i);
      record->state = DL_DOWNLOAD_STATE_DONE;
      record->bytes_received = record->resume_offset = record->total_bytes = 1024;
      g_assert_true (dl_store_insert (fixture->store, record, &error));
      g_assert_no_error (error);
    }
}

static guint
count_state (DlManager       *manager,
             DlDownloadState  state)
{
  GListModel *model = G_LIST_MODEL (manager);
  guint count = 0;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);

      count += dl_download_get_state (download) == state;
    }
  return count;
}

/* Starts @n downloads that run for minutes (64 MiB at 64 KiB/s), all at
 * once, and waits until every one of them is downloading. */
static void
start_slow_downloads (DlFixture *fixture,
                      guint      n)
{
  dl_manager_set_max_concurrent (fixture->manager, n);
  dl_manager_set_max_per_host (fixture->manager, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = g_strdup_printf ("running-%03u.bin?size=64m&rate=64k&seed=%u", i, i);

      dl_fixture_add (fixture, path, NULL);
    }
  test_run_until (NULL, count_state (fixture->manager, DL_DOWNLOAD_STATE_DOWNLOADING) == n,
                  TEST_TIMEOUT_SECONDS);
}

/* The window's Remove Finished, then Cancel on each running download. */
static gboolean
clean_up_cb (gpointer user_data)
{
  DlManager *manager = user_data;
  GListModel *model = G_LIST_MODEL (manager);
  g_autoptr(GPtrArray) downloads = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    g_ptr_array_add (downloads, g_list_model_get_item (model, i));
  for (guint i = 0; i < downloads->len; i++)
    {
      DlDownload *download = g_ptr_array_index (downloads, i);

      if (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE)
        dl_download_remove (download);
    }
  for (guint i = 0; i < downloads->len; i++)
    dl_download_cancel (g_ptr_array_index (downloads, i));
  return G_SOURCE_REMOVE;
}

static void
test_remove_and_cancel_many (DlFixture     *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(DlStallProbe) probe = NULL;
  g_autoptr(GArray) samples = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  gint64 worst = 0;

  add_finished_records (fixture);
  g_assert_true (dl_manager_load (fixture->manager, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_state (fixture->manager, DL_DOWNLOAD_STATE_DONE), ==, N_FINISHED);

  start_slow_downloads (fixture, N_RUNNING);
  /* Every partial file is there to be removed. */
  test_run_until (NULL, dl_count_files (fixture->out_dir) == N_RUNNING, TEST_TIMEOUT_SECONDS);

  probe = dl_stall_probe_new (NULL);
  dl_stall_probe_start_recording (probe);
  g_idle_add (clean_up_cb, fixture->manager);
  test_run_until (NULL,
                  g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)) == N_RUNNING &&
                  dl_manager_get_n_running (fixture->manager) == 0,
                  TEST_TIMEOUT_SECONDS);
  samples = dl_stall_probe_stop_recording (probe);

  g_assert_cmpuint (count_state (fixture->manager, DL_DOWNLOAD_STATE_CANCELLED), ==, N_RUNNING);
  g_assert_cmpuint (dl_count_files (fixture->out_dir), ==, 0);

  /* The history keeps the cancelled downloads only. */
  records = dl_store_list (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, N_RUNNING);
  for (guint i = 0; i < records->len; i++)
    g_assert_cmpint (((DlStoreRecord *) g_ptr_array_index (records, i))->state, ==,
                     DL_DOWNLOAD_STATE_CANCELLED);

  for (guint i = 0; i < samples->len; i++)
    worst = MAX (worst, g_array_index (samples, DlStallSample, i).lateness);
  g_test_message ("worst main loop stall while removing and cancelling: %.1f ms over %u samples",
                  worst / 1000.0, samples->len);
}

#define N_CANCELLED 40

static guint
count_stopping (DlManager *manager)
{
  GListModel *model = G_LIST_MODEL (manager);
  guint count = 0;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);

      count += download->task != NULL && bridge_task_get_cancelling (download->task) > 0;
    }
  return count;
}

typedef struct
{
  DlManager *manager;
  guint      stopping_at_once;
  gboolean   done;
} CancelAll;

static gboolean
cancel_all_cb (gpointer user_data)
{
  CancelAll *all = user_data;
  GListModel *model = G_LIST_MODEL (all->manager);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);

      dl_download_cancel (download);
    }
  all->stopping_at_once = count_stopping (all->manager);
  all->done = TRUE;
  return G_SOURCE_REMOVE;
}

/* Cancel on many running downloads at once: the first task is cancelled
 * at once, the others a few per iteration after it. Cancelled together,
 * their operations would all end, and their tasks clean up, in the one
 * iteration that follows. */
static void
test_cancel_many_spread (DlFixture     *fixture,
                         gconstpointer  user_data)
{
  CancelAll all = { fixture->manager, 0, FALSE };

  start_slow_downloads (fixture, N_CANCELLED);

  g_idle_add (cancel_all_cb, &all);
  test_run_until (NULL, all.done, TEST_TIMEOUT_SECONDS);
  g_assert_cmpuint (all.stopping_at_once, ==, 1);

  test_run_until (NULL, count_state (fixture->manager, DL_DOWNLOAD_STATE_CANCELLED) == N_CANCELLED,
                  TEST_TIMEOUT_SECONDS);
  test_run_until (NULL, dl_count_files (fixture->out_dir) == 0, TEST_TIMEOUT_SECONDS);
}

typedef struct
{
  guint n_changes;
  guint n_removed;
} ChangeCount;

static void
count_changes_cb (GListModel  *model,
                  guint        position,
                  guint        removed,
                  guint        added,
                  ChangeCount *count)
{
  count->n_changes++;
  count->n_removed += removed;
}

static gboolean
only_referenced_here (GPtrArray *objects)
{
  for (guint i = 0; i < objects->len; i++)
    if (g_atomic_int_get (&G_OBJECT (g_ptr_array_index (objects, i))->ref_count) != 1)
      return FALSE;
  return TRUE;
}

/* Remove Finished on a long history: the first removal leaves the list at
 * once, the others together once the burst is over. Whoever shows the list
 * (the window's sorted, filtered copy of it) pays for each change about as
 * much as for the whole list. */
static void
test_remove_burst (DlFixture     *fixture,
                   gconstpointer  user_data)
{
  GListModel *model = G_LIST_MODEL (fixture->manager);
  g_autoptr(GPtrArray) downloads = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  ChangeCount count = { 0, 0 };

  add_finished_records (fixture);
  g_assert_true (dl_manager_load (fixture->manager, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, N_FINISHED);
  for (guint i = 0; i < N_FINISHED; i++)
    g_ptr_array_add (downloads, g_list_model_get_item (model, i));

  g_signal_connect (model, "items-changed", G_CALLBACK (count_changes_cb), &count);
  for (guint i = 0; i < downloads->len; i++)
    dl_download_remove (g_ptr_array_index (downloads, i));
  g_assert_cmpuint (count.n_changes, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, N_FINISHED - 1);

  test_run_until (NULL, g_list_model_get_n_items (model) == 0, TEST_TIMEOUT_SECONDS);
  g_assert_cmpuint (count.n_changes, ==, 2);
  g_assert_cmpuint (count.n_removed, ==, N_FINISHED);
  g_signal_handlers_disconnect_by_func (model, count_changes_cb, &count);

  /* The manager lets go of each of them, a few per iteration after the
   * change: only this test's references remain. */
  test_run_until (NULL, only_referenced_here (downloads), TEST_TIMEOUT_SECONDS);
}

static void
running_changed_cb (DlDownload *download,
                    GParamSpec *pspec,
                    GArray     *seen)
{
  gboolean running = dl_download_is_running (download);

  g_array_append_val (seen, running);
}

/* DlDownload:running follows the task: its actions change with it, and
 * whoever shows them learns it from the download itself. */
static void
test_running_property (DlFixture     *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (gboolean));
  DlDownload *download = dl_fixture_add (fixture, "run.bin?size=4m&rate=1m", NULL);

  g_assert_true (dl_download_is_running (download));
  g_signal_connect (download, "notify::running", G_CALLBACK (running_changed_cb), seen);

  dl_wait_state (download, DL_DOWNLOAD_STATE_DOWNLOADING);
  dl_download_pause (download);
  test_run_until (NULL, !dl_download_is_running (download), TEST_TIMEOUT_SECONDS);
  g_assert_true (dl_download_can_resume (download));
  dl_download_resume (download);
  g_assert_true (dl_download_is_running (download));
  g_assert_true (dl_download_can_pause (download));

  g_assert_cmpuint (seen->len, ==, 2);
  g_assert_false (g_array_index (seen, gboolean, 0));
  g_assert_true (g_array_index (seen, gboolean, 1));
  g_signal_handlers_disconnect_by_func (download, running_changed_cb, seen);
}

/* How many threads of this process carry a name starting with @prefix. */
static guint
count_threads_named (const char *prefix)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", tid, "comm", NULL);
      g_autofree char *comm = NULL;

      if (g_file_get_contents (path, &comm, NULL, NULL) && g_str_has_prefix (comm, prefix))
        n++;
    }
  return n;
}

/* The disk work runs on threads of the engine's own executor, named for
 * it: top -H and gdb tell them from the other pools. */
static void
test_disk_threads_named (DlFixture     *fixture,
                         gconstpointer  user_data)
{
  DlDownload *download = dl_fixture_add (fixture, "named.bin?size=256k", NULL);

  dl_wait_finished (download);
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_DONE);
  g_assert_cmpuint (count_threads_named ("dl-disk-"), >, 0);
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

  DL_TEST ("/downloader/manager/defaults", test_defaults);
  DL_TEST ("/downloader/manager/add-refuses", test_add_refuses);
  DL_TEST ("/downloader/manager/list-model", test_list_model);
  DL_TEST ("/downloader/manager/limit/global", test_global_limit);
  DL_TEST ("/downloader/manager/limit/per-host", test_per_host_limit);
  DL_TEST ("/downloader/manager/limit/live", test_live_limit);
  DL_TEST ("/downloader/manager/limit/many", test_many);
  DL_TEST ("/downloader/manager/action/retry", test_retry_action);
  DL_TEST ("/downloader/manager/action/remove-running", test_remove_running);
  DL_TEST ("/downloader/manager/action/remove-done-keeps-file", test_remove_done_keeps_file);
  DL_TEST ("/downloader/manager/history", test_history);
  DL_TEST ("/downloader/manager/gzip-raw", test_gzip_raw);
  DL_TEST ("/downloader/manager/remove-and-cancel-many", test_remove_and_cancel_many);
  DL_TEST ("/downloader/manager/cancel-many-spread", test_cancel_many_spread);
  DL_TEST ("/downloader/manager/remove-burst", test_remove_burst);
  DL_TEST ("/downloader/download/running", test_running_property);
  DL_TEST ("/downloader/manager/disk-threads-named", test_disk_threads_named);

  return g_test_run ();
}
