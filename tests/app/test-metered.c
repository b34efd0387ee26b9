/* test-metered.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* DlManager:pause-on-metered against a fake GNetworkMonitor: downloads wait
 * while the network is metered, go on when it is not, and "Download Anyway"
 * lets one through. */

#include "config.h"

#include "dl-fake-network-monitor.h"
#include "dl-test-util.h"

#define KIB 1024

typedef struct
{
  DlFixture        dl;
  GNetworkMonitor *monitor;
} Fixture;

static void
setup (Fixture       *fixture,
       gconstpointer  user_data)
{
  dl_fixture_setup (&fixture->dl, GINT_TO_POINTER (FALSE));
  fixture->monitor = dl_fake_network_monitor_new (FALSE);
  dl_manager_set_network_monitor (fixture->dl.manager, fixture->monitor);
  dl_manager_set_pause_on_metered (fixture->dl.manager, TRUE);
}

static void
teardown (Fixture       *fixture,
          gconstpointer  user_data)
{
  dl_fixture_teardown (&fixture->dl, NULL);
  g_assert_finalize_object (fixture->monitor);
}

static DlDownload *
add (Fixture    *fixture,
     const char *path_and_query)
{
  return dl_fixture_add (&fixture->dl, path_and_query, NULL);
}

static gboolean
waits_for_unmetered (DlDownload *download)
{
  return dl_download_get_state (download) == DL_DOWNLOAD_STATE_PAUSED &&
         dl_download_get_metered_paused (download) && !dl_download_is_running (download);
}

/* Turning metered stops the running download and the queued one; turning
 * unmetered again finishes both, byte for byte. */
static void
test_pauses_running_and_queued (Fixture       *fixture,
                                gconstpointer  user_data)
{
  DlManager *manager = fixture->dl.manager;
  DlDownload *running, *queued;

  dl_manager_set_max_concurrent (manager, 1);
  running = add (fixture, "run.bin?size=400k&rate=200k&seed=1");
  queued = add (fixture, "queue.bin?size=100k&seed=2");
  dl_wait_state (running, DL_DOWNLOAD_STATE_DOWNLOADING);
  g_assert_cmpint (dl_download_get_state (queued), ==, DL_DOWNLOAD_STATE_QUEUED);

  dl_fake_network_monitor_set_metered (fixture->monitor, TRUE);
  test_run_until (NULL, waits_for_unmetered (running) && waits_for_unmetered (queued),
                  TEST_TIMEOUT_SECONDS);
  g_assert_cmpuint (dl_manager_get_n_running (manager), ==, 0);
  /* Neither can be resumed by hand: they go on by themselves. */
  g_assert_false (dl_download_can_resume (running));

  dl_fake_network_monitor_set_metered (fixture->monitor, FALSE);
  g_assert_false (dl_download_get_metered_paused (running));
  g_assert_false (dl_download_get_metered_paused (queued));
  dl_wait_state (running, DL_DOWNLOAD_STATE_DONE);
  dl_wait_state (queued, DL_DOWNLOAD_STATE_DONE);
  dl_assert_file (running, 1, 400 * KIB);
  dl_assert_file (queued, 2, 100 * KIB);
}

/* A download added while metered does not even send its request. */
static void
test_added_while_metered_waits (Fixture       *fixture,
                                gconstpointer  user_data)
{
  DlDownload *download;

  dl_fake_network_monitor_set_metered (fixture->monitor, TRUE);
  download = add (fixture, "new.bin?size=50k&seed=3&key=added-metered");
  g_assert_true (waits_for_unmetered (download));
  g_assert_cmpuint (dl_manager_get_n_running (fixture->dl.manager), ==, 0);
  g_assert_cmpuint (fault_server_get_request_count (fixture->dl.server, "added-metered"), ==, 0);

  dl_fake_network_monitor_set_metered (fixture->monitor, FALSE);
  dl_wait_state (download, DL_DOWNLOAD_STATE_DONE);
  dl_assert_file (download, 3, 50 * KIB);
}

/* "Download Anyway": that download runs on the metered network, and only
 * that one. */
static void
test_allow_metered (Fixture       *fixture,
                    gconstpointer  user_data)
{
  DlDownload *allowed, *other;

  dl_fake_network_monitor_set_metered (fixture->monitor, TRUE);
  allowed = add (fixture, "anyway.bin?size=60k&seed=4");
  other = add (fixture, "other.bin?size=60k&seed=5");
  g_assert_true (waits_for_unmetered (allowed));

  dl_download_set_allow_metered (allowed, TRUE);
  g_assert_false (dl_download_get_metered_paused (allowed));
  dl_wait_state (allowed, DL_DOWNLOAD_STATE_DONE);
  dl_assert_file (allowed, 4, 60 * KIB);
  g_assert_true (waits_for_unmetered (other));
}

/* Allowed while it was stopping for the metered network: it starts again
 * once stopped. */
static void
test_allow_while_stopping (Fixture       *fixture,
                           gconstpointer  user_data)
{
  DlDownload *download = add (fixture, "stopping.bin?size=300k&rate=150k&seed=6");

  dl_wait_state (download, DL_DOWNLOAD_STATE_DOWNLOADING);
  dl_fake_network_monitor_set_metered (fixture->monitor, TRUE);
  dl_download_set_allow_metered (download, TRUE);
  dl_wait_state (download, DL_DOWNLOAD_STATE_DONE);
  dl_assert_file (download, 6, 300 * KIB);
  g_assert_false (dl_download_get_metered_paused (download));
}

/* The setting turned off while metered lets everything go on. */
static void
test_setting_off_resumes (Fixture       *fixture,
                          gconstpointer  user_data)
{
  DlDownload *download;

  dl_fake_network_monitor_set_metered (fixture->monitor, TRUE);
  download = add (fixture, "off.bin?size=40k&seed=7");
  g_assert_true (waits_for_unmetered (download));

  dl_manager_set_pause_on_metered (fixture->dl.manager, FALSE);
  dl_wait_state (download, DL_DOWNLOAD_STATE_DONE);
  dl_assert_file (download, 7, 40 * KIB);
}

/* Off (the default of a manager, and so of the CLI), a metered network
 * changes nothing. */
static void
test_off_by_default (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(DlManager) manager = dl_manager_new (NULL);
  DlDownload *download;

  g_assert_false (dl_manager_get_pause_on_metered (manager));
  dl_manager_set_pause_on_metered (fixture->dl.manager, FALSE);
  dl_fake_network_monitor_set_metered (fixture->monitor, TRUE);
  download = add (fixture, "default.bin?size=40k&seed=8");
  dl_wait_state (download, DL_DOWNLOAD_STATE_DONE);
  dl_assert_file (download, 8, 40 * KIB);
}

/* The user's pause of a waiting download holds: it stays paused when the
 * network is unmetered again, until resumed. */
static void
test_user_pause_stays (Fixture       *fixture,
                       gconstpointer  user_data)
{
  DlDownload *download;

  dl_fake_network_monitor_set_metered (fixture->monitor, TRUE);
  download = add (fixture, "user.bin?size=40k&seed=9&key=user-pause");
  g_assert_true (dl_download_can_pause (download));
  dl_download_pause (download);
  g_assert_false (dl_download_get_metered_paused (download));
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_PAUSED);

  dl_fake_network_monitor_set_metered (fixture->monitor, FALSE);
  g_assert_false (dl_download_is_running (download));
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_PAUSED);

  dl_download_resume (download);
  dl_wait_state (download, DL_DOWNLOAD_STATE_DONE);
  dl_assert_file (download, 9, 40 * KIB);
}

/* Waiting for an unmetered network is stored as queued: the next start of
 * the program resumes it. */
static void
test_restart_resumes (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DlDownload) loaded = NULL;
  DlDownload *download;

  dl_fake_network_monitor_set_metered (fixture->monitor, TRUE);
  download = add (fixture, "restart.bin?size=40k&seed=10");
  g_assert_true (waits_for_unmetered (download));
  dl_fixture_wait_idle (&fixture->dl);
  g_assert_finalize_object (fixture->dl.manager);

  /* The next start is on an unmetered network. */
  fixture->dl.manager = dl_manager_new (fixture->dl.store);
  dl_manager_set_output_dir (fixture->dl.manager, fixture->dl.out_dir);
  g_assert_true (dl_manager_load (fixture->dl.manager, TRUE, &error));
  g_assert_no_error (error);
  loaded = g_list_model_get_item (G_LIST_MODEL (fixture->dl.manager), 0);
  g_assert_true (dl_download_is_running (loaded));
  dl_wait_state (loaded, DL_DOWNLOAD_STATE_DONE);
  dl_assert_file (loaded, 10, 40 * KIB);
}

#define METERED_TEST(path, func) \
  g_test_add (path, Fixture, NULL, setup, func, teardown)

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  METERED_TEST ("/downloader/metered/pauses-running-and-queued", test_pauses_running_and_queued);
  METERED_TEST ("/downloader/metered/added-while-metered-waits", test_added_while_metered_waits);
  METERED_TEST ("/downloader/metered/allow-metered", test_allow_metered);
  METERED_TEST ("/downloader/metered/allow-while-stopping", test_allow_while_stopping);
  METERED_TEST ("/downloader/metered/setting-off-resumes", test_setting_off_resumes);
  METERED_TEST ("/downloader/metered/off-by-default", test_off_by_default);
  METERED_TEST ("/downloader/metered/user-pause-stays", test_user_pause_stays);
  METERED_TEST ("/downloader/metered/restart-resumes", test_restart_resumes);

  return g_test_run ();
}
