/* dl-test-util.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "test-util.h"
#include "fault-server.h"
#include "dl-download.h"
#include "dl-manager.h"

G_BEGIN_DECLS

typedef struct
{
  FaultServer *server;
  DlStore     *store;
  DlManager   *manager;
  char        *out_dir;
} DlFixture;

static inline void
dl_fixture_setup (DlFixture     *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->server = fault_server_new_in_thread (GPOINTER_TO_INT (user_data), &error);
  g_assert_no_error (error);

  /* G_TEST_OPTION_ISOLATE_DIRS: the store and the folder are the test's own. */
  fixture->store = dl_store_open (NULL, &error);
  g_assert_no_error (error);

  fixture->out_dir = g_build_filename (g_get_home_dir (), "out", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fixture->out_dir, 0755), ==, 0);

  fixture->manager = dl_manager_new (fixture->store);
  dl_manager_set_output_dir (fixture->manager, fixture->out_dir);
  /* Fast retries, so the retry tests take milliseconds, not seconds. */
  dl_manager_set_retry_delay (fixture->manager, 0.02);
  dl_manager_set_max_retry_delay (fixture->manager, 0.1);
}

static inline void
dl_fixture_wait_idle (DlFixture *fixture)
{
  dl_manager_shutdown (fixture->manager);
  test_run_until (NULL, dl_manager_get_n_running (fixture->manager) == 0, TEST_TIMEOUT_SECONDS);
}

static inline void
dl_fixture_teardown (DlFixture     *fixture,
                     gconstpointer  user_data)
{
  dl_fixture_wait_idle (fixture);
  g_assert_finalize_object (fixture->manager);
  fixture->manager = NULL;
  g_clear_object (&fixture->store);
  g_clear_pointer (&fixture->server, fault_server_free);
  g_clear_pointer (&fixture->out_dir, g_free);
}

static inline char *
dl_fixture_url (DlFixture  *fixture,
                const char *path_and_query)
{
  return g_strconcat (fault_server_get_uri (fixture->server), path_and_query, NULL);
}

static inline DlDownload *
dl_fixture_add (DlFixture  *fixture,
                const char *path_and_query,
                const char *sha256)
{
  g_autofree char *url = dl_fixture_url (fixture, path_and_query);
  g_autoptr(GError) error = NULL;
  DlDownload *download = dl_manager_add (fixture->manager, url, sha256, &error);

  g_assert_no_error (error);
  g_assert_nonnull (download);
  return download;
}

#define dl_wait_state(download, wanted) \
  test_run_until (NULL, dl_download_get_state (download) == (wanted), TEST_TIMEOUT_SECONDS)

#define dl_wait_finished(download) \
  test_run_until (NULL, dl_download_is_finished (download), TEST_TIMEOUT_SECONDS)

static inline char *
dl_file_sha256 (const char *path)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, len);
}

/* The file is complete, byte for byte, and no partial file is left. */
static inline void
dl_assert_file (DlDownload *download,
                guint64     seed,
                guint64     size)
{
  g_autofree char *path = dl_download_dup_path (download);
  g_autofree char *part = NULL;
  g_autofree char *expected = fault_server_body_sha256 (seed, size);
  g_autofree char *actual = NULL;

  if (dl_download_get_state (download) != DL_DOWNLOAD_STATE_DONE)
    g_error ("download of %s is in state %d: %s", dl_download_get_url (download),
             dl_download_get_state (download), dl_download_get_error_message (download));

  g_assert_nonnull (path);
  actual = dl_file_sha256 (path);
  g_assert_cmpstr (actual, ==, expected);
  g_assert_cmpint (dl_download_get_bytes_received (download), ==, size);
  g_assert_cmpint (dl_download_get_total_bytes (download), ==, size);

  part = g_strconcat (path, ".part", NULL);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
}

static inline guint
dl_count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

G_END_DECLS
