/* test-ui.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The Downloader UI driven as a user would, against the fault server on
 * loopback. Every wait is a condition with a generous deadline: the main
 * loop runs until the condition holds, never for a fixed time. */

#define G_LOG_DOMAIN "test-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libbridge.h>
#include <locale.h>
#include <string.h>

#include "dl-application.h"
#include "dl-download-row.h"
#include "dl-format.h"
#include "dl-inspector-window.h"
#include "dl-preferences-window.h"
#include "dl-screenshot.h"
#include "dl-stall-probe.h"
#include "dl-task-info.h"
#include "dl-window.h"
#include "fault-server.h"
#include "ui-test-util.h"

/* A private HOME and XDG dirs for the whole run, set before GLib caches
 * them; XDG_DATA_DIRS stays the system's (MIME database, icons, schemas),
 * which G_TEST_OPTION_ISOLATE_DIRS would hide. Each case gets its own
 * folder below it for downloads and history. */
static char *scratch_root;
static guint scratch_cases;

/* A stand-in for the desktop's notification server, speaking the
 * org.gtk.Notifications interface GNotification uses when its name is on
 * the bus: the tests see what the app sends, and nothing warns about a
 * missing server. Owned once per process, before any test. */
static GPtrArray *notifications;    /* GVariant (ssa{sv}) */
static gboolean serving_notifications;

static void
notifications_method_cb (GDBusConnection       *connection,
                         const char            *sender,
                         const char            *object_path,
                         const char            *interface_name,
                         const char            *method_name,
                         GVariant              *parameters,
                         GDBusMethodInvocation *invocation,
                         gpointer               user_data)
{
  if (g_str_equal (method_name, "AddNotification"))
    g_ptr_array_add (notifications, g_variant_ref (parameters));
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
name_cb (GDBusConnection *connection,
         const char      *name,
         gpointer         user_data)
{
  int *state = user_data;

  *state = connection != NULL && g_dbus_connection_is_closed (connection) == FALSE ? 1 : 2;
}

static void
name_lost_cb (GDBusConnection *connection,
              const char      *name,
              gpointer         user_data)
{
  int *state = user_data;

  *state = 2;
}

static void
serve_notifications (void)
{
  static const GDBusInterfaceVTable vtable = { notifications_method_cb, NULL, NULL };
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  int state = 0;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  notifications = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (bus == NULL)
    return;
  info = g_dbus_node_info_new_for_xml (ui_test_notifications_xml, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (bus, "/org/gtk/Notifications", info->interfaces[0],
                                     &vtable, NULL, NULL, &error);
  g_assert_no_error (error);

  g_bus_own_name_on_connection (bus, "org.gtk.Notifications", G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                name_cb, name_lost_cb, &state, NULL);
  while (state == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  serving_notifications = state == 1;
}

static GVariant *
find_notification (const char *app_id,
                   const char *id)
{
  for (guint i = 0; i < notifications->len; i++)
    {
      GVariant *params = g_ptr_array_index (notifications, i);
      const char *a, *n;

      g_variant_get (params, "(&s&s@a{sv})", &a, &n, NULL);
      if (g_str_equal (a, app_id) && g_str_equal (n, id))
        return params;
    }
  return NULL;
}

typedef struct
{
  char          *dir;
  char          *downloads;
  char          *history;
  FaultServer   *server;
  DlStore       *store;
  DlManager     *manager;
  DlApplication *app;
  DlWindow      *window;
  GSettings     *settings;
} Fixture;

static void
open_app (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  fixture->store = dl_store_open (fixture->history, &error);
  g_assert_no_error (error);
  fixture->manager = dl_manager_new (fixture->store);
  dl_manager_load (fixture->manager, TRUE, &error);
  g_assert_no_error (error);

  fixture->app = ui_test_new_app (fixture->manager, "Test");

  fixture->window = DL_WINDOW (dl_application_ensure_window (fixture->app));
  gtk_window_present (GTK_WINDOW (fixture->window));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (fixture->window)));
}

static void
close_app (Fixture *fixture)
{
  if (fixture->app == NULL)
    return;

  fixture->window = NULL;
  ui_test_finish_app (g_steal_pointer (&fixture->app));

  /* Quitting stopped every task, resumably. */
  g_assert_cmpuint (dl_manager_get_n_running (fixture->manager), ==, 0);
  g_clear_object (&fixture->manager);
  dl_store_close (fixture->store);
  g_clear_object (&fixture->store);
}

static void
setup (Fixture       *fixture,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_strdup_printf ("%s/case-%u", scratch_root, ++scratch_cases);
  fixture->downloads = g_build_filename (fixture->dir, "downloads", NULL);
  fixture->history = g_build_filename (fixture->dir, "history.sqlite", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fixture->downloads, 0700), ==, 0);

  fixture->settings = g_settings_new (DL_SETTINGS_SCHEMA_ID);
  ui_test_reset_settings (fixture->settings);
  g_settings_set_string (fixture->settings, "download-folder", fixture->downloads);

  fixture->server = fault_server_new_in_thread (FALSE, &error);
  g_assert_no_error (error);

  open_app (fixture);
}

static void
teardown (Fixture       *fixture,
          gconstpointer  data)
{
  close_app (fixture);
  g_clear_pointer (&fixture->server, fault_server_free);
  g_clear_object (&fixture->settings);
  ui_test_remove_tree (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
  g_clear_pointer (&fixture->downloads, g_free);
  g_clear_pointer (&fixture->history, g_free);
}

static char *
link_for (Fixture    *fixture,
          const char *path_and_query)
{
  return g_strconcat (fault_server_get_uri (fixture->server), path_and_query, NULL);
}

static DlDownload *
find_download (Fixture    *fixture,
               const char *url)
{
  GListModel *model = G_LIST_MODEL (fixture->manager);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);

      if (g_str_equal (dl_download_get_url (download), url))
        return download;
    }
  return NULL;
}

static DlDownload *
add_link (Fixture    *fixture,
          const char *url)
{
  const char *links[] = { url, NULL };
  DlDownload *download;

  g_assert_cmpuint (dl_window_add_links (fixture->window, links), ==, 1);
  download = find_download (fixture, url);
  g_assert_nonnull (download);
  return download;
}

static DlDownloadRow *
row_for (Fixture    *fixture,
         DlDownload *download)
{
  DlDownloadRow *row = dl_window_find_row (fixture->window, download);

  g_assert_nonnull (row);
  return row;
}

static void
assert_file (DlDownload *download,
             guint64     seed,
             guint64     size)
{
  g_autofree char *path = dl_download_dup_path (download);
  g_autofree char *contents = NULL;
  g_autofree char *expected = fault_server_body_sha256 (seed, size);
  g_autofree char *actual = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  g_assert_nonnull (path);
  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, ==, size);
  actual = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
  g_assert_cmpstr (actual, ==, expected);
}

/* ---- tests ------------------------------------------------------------------- */


static void
test_window_new_destroy (void)
{
  g_autoptr(DlManager) manager = dl_manager_new (NULL);
  g_autoptr(DlApplication) app = ui_test_new_app (manager, "Test");
  DlWindow *window;

  window = g_object_ref (DL_WINDOW (dl_application_ensure_window (app)));
  gtk_window_present (GTK_WINDOW (window));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (window)));

  /* A newcomer sees what to do. */
  g_assert_cmpstr (dl_window_get_visible_page (window), ==, "empty");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Downloader");
  ui_test_snap (GTK_WIDGET (window), "empty");

  if (g_getenv ("DL_TEST_SCREENSHOTS") != NULL)
    {
      GtkWidget *other;

      g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
      other = ui_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW);
      ui_test_snap (other, "about");
      gtk_window_destroy (GTK_WINDOW (other));

      g_action_group_activate_action (G_ACTION_GROUP (app), "shortcuts", NULL);
      other = ui_test_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
      ui_test_snap (other, "shortcuts");
      gtk_window_destroy (GTK_WINDOW (other));
    }

  gtk_window_destroy (GTK_WINDOW (window));
  WAIT_FOR (G_OBJECT (window)->ref_count == 1);
  g_assert_finalize_object (window);
  ui_test_finish_app (g_steal_pointer (&app));
}

static void
test_window_rows_finalize (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "small.bin?size=10k&seed=4");
  DlDownload *download = add_link (fixture, url);
  DlWindow *window = fixture->window;
  GtkWidget *row;

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  g_assert_cmpstr (dl_window_get_visible_page (window), ==, "list");

  row = GTK_WIDGET (row_for (fixture, download));
  g_object_add_weak_pointer (G_OBJECT (row), (gpointer *) &row);
  g_object_ref (window);

  gtk_window_destroy (GTK_WINDOW (window));
  fixture->window = NULL;
  WAIT_FOR (G_OBJECT (window)->ref_count == 1);
  g_assert_finalize_object (window);
  g_assert_null (row);
}

static void
test_add_three (Fixture       *fixture,
                gconstpointer  data)
{
  static const struct { const char *name; guint64 seed; guint64 size; } files[] = {
    { "one.bin", 1, 300 * 1024 },
    { "two.bin", 2, 1024 * 1024 },
    { "three.bin", 3, 64 * 1024 },
  };
  g_autofree char *text = NULL;
  g_auto(GStrv) links = g_new0 (char *, 4);

  for (guint i = 0; i < 3; i++)
    links[i] = g_strdup_printf ("%s%s?size=%" G_GUINT64_FORMAT "&seed=%" G_GUINT64_FORMAT,
                                fault_server_get_uri (fixture->server),
                                files[i].name, files[i].size, files[i].seed);

  /* Pasted as one text: lines and spaces both separate links. */
  text = g_strdup_printf ("%s\n%s  %s\n", links[0], links[1], links[2]);
  g_assert_cmpuint (dl_window_add_text (fixture->window, text), ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)), ==, 3);
  g_assert_cmpstr (dl_window_get_visible_page (fixture->window), ==, "list");

  for (guint i = 0; i < 3; i++)
    {
      DlDownload *download = find_download (fixture, links[i]);
      DlDownloadRow *row;

      g_assert_nonnull (download);
      row = row_for (fixture, download);

      WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
      WAIT_FOR (g_str_has_prefix (dl_download_row_get_status_text (row), "Done"));

      g_assert_cmpstr (dl_download_row_get_title (row), ==, files[i].name);
      g_assert_cmpstr (dl_download_get_file_name (download), ==, files[i].name);
      assert_file (download, files[i].seed, files[i].size);

      /* A finished row offers opening, not pausing. */
      WAIT_FOR (gtk_widget_get_visible (dl_download_row_get_button (row, "open")));
      g_assert_false (gtk_widget_get_visible (dl_download_row_get_button (row, "pause")));
    }

  ui_test_snap (GTK_WIDGET (fixture->window), "list");
}

static void
test_pause_resume (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "slow.bin?size=768k&seed=9&rate=256k");
  DlDownload *download = add_link (fixture, url);
  DlDownloadRow *row = row_for (fixture, download);
  GtkWidget *pause = dl_download_row_get_button (row, "pause");
  GtkWidget *resume = dl_download_row_get_button (row, "resume");
  gint64 paused_at;

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING &&
            dl_download_get_bytes_received (download) > 0 &&
            gtk_widget_get_visible (pause) && gtk_widget_is_sensitive (pause));

  /* The buttons a user clicks. */
  gtk_widget_activate (pause);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_PAUSED);
  /* Shown at once, clickable once the engine has stopped the transfer. */
  WAIT_FOR (gtk_widget_get_visible (resume) && !gtk_widget_get_visible (pause));
  WAIT_FOR (gtk_widget_is_sensitive (resume));
  g_assert_true (g_str_has_prefix (dl_download_row_get_status_text (row), "Paused"));

  paused_at = dl_download_get_bytes_received (download);
  g_assert_cmpint (paused_at, >, 0);
  g_assert_cmpint (paused_at, <, 768 * 1024);

  gtk_widget_activate (resume);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  WAIT_FOR (g_str_has_prefix (dl_download_row_get_status_text (row), "Done"));
  assert_file (download, 9, 768 * 1024);
}

static void
test_failure_reason (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "missing.csv?status=404");
  DlDownload *download = add_link (fixture, url);
  DlDownloadRow *row = row_for (fixture, download);
  const char *status;

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_FAILED);
  WAIT_FOR (g_str_has_prefix (dl_download_row_get_status_text (row), "Failed: "));

  status = dl_download_row_get_status_text (row);
  g_test_message ("status: %s", status);
  g_assert_nonnull (strstr (status, "404"));
  g_assert_nonnull (strstr (status, "not on the server"));

  WAIT_FOR (gtk_widget_get_visible (dl_download_row_get_button (row, "retry")));
  g_assert_false (gtk_widget_get_visible (dl_download_row_get_button (row, "pause")));
}

static guint
count_in_state (Fixture         *fixture,
                DlDownloadState  state)
{
  GListModel *model = G_LIST_MODEL (fixture->manager);
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);

      if (dl_download_get_state (download) == state)
        n++;
    }
  return n;
}

static void
test_preferences_live (Fixture       *fixture,
                       gconstpointer  data)
{
  DlPreferencesWindow *prefs;
  GtkSpinButton *concurrent, *per_host, *retries, *idle;

  prefs = DL_PREFERENCES_WINDOW (dl_application_show_preferences (fixture->app));
  concurrent = dl_preferences_window_get_spin (prefs, "max-concurrent");
  per_host = dl_preferences_window_get_spin (prefs, "per-host-limit");
  retries = dl_preferences_window_get_spin (prefs, "max-retries");
  idle = dl_preferences_window_get_spin (prefs, "idle-timeout");

  ui_test_snap (GTK_WIDGET (prefs), "preferences");

  /* The controls show the settings… */
  g_assert_cmpint (gtk_spin_button_get_value_as_int (concurrent), ==, 4);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (per_host), ==, 2);

  /* …and each change reaches the engine at once. */
  gtk_spin_button_set_value (retries, 9);
  g_assert_cmpuint (dl_manager_get_max_retries (fixture->manager), ==, 9);
  gtk_spin_button_set_value (idle, 45);
  g_assert_cmpfloat (dl_manager_get_idle_timeout (fixture->manager), ==, 45.0);
  gtk_spin_button_set_value (concurrent, 1);
  gtk_spin_button_set_value (per_host, 1);
  g_assert_cmpuint (dl_manager_get_max_concurrent (fixture->manager), ==, 1);
  g_assert_cmpuint (dl_manager_get_max_per_host (fixture->manager), ==, 1);
  g_assert_cmpuint (g_settings_get_uint (fixture->settings, "max-concurrent"), ==, 1);

  /* Live on running downloads: one at a time… */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *path = g_strdup_printf ("live-%u.bin?size=4m&rate=64k&seed=%u", i, i);
      g_autofree char *url = link_for (fixture, path);

      add_link (fixture, url);
    }
  WAIT_FOR (count_in_state (fixture, DL_DOWNLOAD_STATE_DOWNLOADING) == 1 &&
            count_in_state (fixture, DL_DOWNLOAD_STATE_QUEUED) == 2);

  /* …then three, without touching the downloads. */
  gtk_spin_button_set_value (per_host, 3);
  gtk_spin_button_set_value (concurrent, 3);
  WAIT_FOR (count_in_state (fixture, DL_DOWNLOAD_STATE_DOWNLOADING) == 3);

  gtk_window_destroy (GTK_WINDOW (prefs));
}

/* Connections per download: the setting reaches the engine at once. */
static void
test_preferences_connections (Fixture       *fixture,
                              gconstpointer  data)
{
  DlPreferencesWindow *prefs;
  GtkSpinButton *connections;

  prefs = DL_PREFERENCES_WINDOW (dl_application_show_preferences (fixture->app));
  connections = dl_preferences_window_get_spin (prefs, "connections");

  g_assert_cmpint (gtk_spin_button_get_value_as_int (connections), ==, 4);
  g_assert_cmpuint (dl_manager_get_connections (fixture->manager), ==, 4);
  gtk_spin_button_set_value (connections, 8);
  g_assert_cmpuint (dl_manager_get_connections (fixture->manager), ==, 8);
  g_assert_cmpuint (g_settings_get_uint (fixture->settings, "connections"), ==, 8);
  gtk_spin_button_set_value (connections, 1);
  g_assert_cmpuint (dl_manager_get_connections (fixture->manager), ==, 1);

  gtk_window_destroy (GTK_WINDOW (prefs));
}

static void
test_history_restore (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *done_url = link_for (fixture, "kept.bin?size=200k&seed=21");
  g_autofree char *paused_url = link_for (fixture, "later.bin?size=512k&seed=22&rate=128k");
  g_autofree char *failed_url = link_for (fixture, "gone.bin?status=410");
  DlDownload *done, *paused, *failed;
  DlDownloadRow *row;

  done = add_link (fixture, done_url);
  paused = add_link (fixture, paused_url);
  failed = add_link (fixture, failed_url);

  WAIT_FOR (dl_download_get_state (done) == DL_DOWNLOAD_STATE_DONE);
  WAIT_FOR (dl_download_get_state (failed) == DL_DOWNLOAD_STATE_FAILED);
  WAIT_FOR (dl_download_get_bytes_received (paused) > 0);
  dl_download_pause (paused);
  WAIT_FOR (dl_download_get_state (paused) == DL_DOWNLOAD_STATE_PAUSED);

  /* Everything goes: window, application, engine, store. */
  close_app (fixture);
  open_app (fixture);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)), ==, 3);
  done = find_download (fixture, done_url);
  paused = find_download (fixture, paused_url);
  failed = find_download (fixture, failed_url);
  g_assert_nonnull (done);
  g_assert_nonnull (paused);
  g_assert_nonnull (failed);

  row = row_for (fixture, done);
  g_assert_cmpstr (dl_download_row_get_title (row), ==, "kept.bin");
  g_assert_true (g_str_has_prefix (dl_download_row_get_status_text (row), "Done"));
  assert_file (done, 21, 200 * 1024);

  row = row_for (fixture, failed);
  g_assert_true (g_str_has_prefix (dl_download_row_get_status_text (row), "Failed: "));
  g_assert_nonnull (strstr (dl_download_row_get_status_text (row), "410"));

  row = row_for (fixture, paused);
  g_assert_cmpint (dl_download_get_state (paused), ==, DL_DOWNLOAD_STATE_PAUSED);
  g_assert_true (g_str_has_prefix (dl_download_row_get_status_text (row), "Paused"));
  WAIT_FOR (gtk_widget_get_visible (dl_download_row_get_button (row, "resume")) &&
            gtk_widget_is_sensitive (dl_download_row_get_button (row, "resume")));

  /* And the interrupted one picks up where it stopped. */
  gtk_widget_activate (dl_download_row_get_button (row, "resume"));
  WAIT_FOR (dl_download_get_state (paused) == DL_DOWNLOAD_STATE_DONE);
  assert_file (paused, 22, 512 * 1024);
}

static void
test_quit_resumes (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "resume-me.bin?size=1m&seed=41&rate=256k&key=quit");
  DlDownload *download = add_link (fixture, url);
  GtkWidget *dialog;

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING &&
            dl_download_get_bytes_received (download) > 0);

  /* Ctrl+Q with a download running asks first… */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "quit", NULL);
  WAIT_FOR ((dialog = ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL);
  ui_test_snap (GTK_WIDGET (fixture->window), "quit");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                            "1 download is still running"));

  /* …then stops it, resumably, and closes every window. */
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "quit");
  WAIT_FOR (gtk_application_get_windows (GTK_APPLICATION (fixture->app)) == NULL);
  g_assert_cmpuint (dl_manager_get_n_running (fixture->manager), ==, 0);
  g_assert_cmpint (dl_download_get_bytes_received (download), <, 1024 * 1024);

  close_app (fixture);
  open_app (fixture);

  /* The next start continues it (with a Range request, not from zero). */
  download = find_download (fixture, url);
  g_assert_nonnull (download);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  assert_file (download, 41, 1024 * 1024);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "quit"), >=, 2);
}

static void
test_remove_and_window_size (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *first = link_for (fixture, "first.bin?size=4k&seed=51");
  g_autofree char *second = link_for (fixture, "second.bin?size=4k&seed=52");
  DlDownload *download;
  DlDownloadRow *row;

  download = add_link (fixture, first);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  download = add_link (fixture, second);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);

  /* Delete on a row removes it from the list; the file stays. */
  row = row_for (fixture, download);
  gtk_widget_grab_focus (GTK_WIDGET (row));
  gtk_widget_activate_action (GTK_WIDGET (row), "row.remove", NULL);
  WAIT_FOR (find_download (fixture, second) == NULL);
  g_assert_true (g_file_test (fixture->downloads, G_FILE_TEST_IS_DIR));
  {
    g_autofree char *path = g_build_filename (fixture->downloads, "second.bin", NULL);

    g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  }

  /* "Remove Finished" empties the list, and the empty page comes back. */
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.clear-finished", NULL);
  WAIT_FOR (g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)) == 0);
  g_assert_cmpstr (dl_window_get_visible_page (fixture->window), ==, "empty");

  /* The window size is kept for the next start. */
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 640, 480);
  dl_window_save_state (fixture->window);
  g_assert_cmpint (g_settings_get_int (fixture->settings, "window-width"), ==, 640);
  g_assert_cmpint (g_settings_get_int (fixture->settings, "window-height"), ==, 480);
  g_assert_false (g_settings_get_boolean (fixture->settings, "window-maximized"));
}

static GVariant *
wait_notification (Fixture    *fixture,
                   DlDownload *download)
{
  const char *app_id = g_application_get_application_id (G_APPLICATION (fixture->app));
  g_autofree char *id = g_strdup_printf ("download-%" G_GINT64_FORMAT, dl_download_get_id (download));
  GVariant *params;

  WAIT_FOR ((params = find_notification (app_id, id)) != NULL);
  return params;
}

/* Without a window manager, the window shown last gets the focus. */
static gboolean
focus_elsewhere (Fixture   *fixture,
                 GtkWidget *other)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  gtk_window_present (GTK_WINDOW (other));
  WAIT_FOR (gtk_widget_get_mapped (other));
  while (gtk_window_is_active (GTK_WINDOW (fixture->window)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  return !gtk_window_is_active (GTK_WINDOW (fixture->window));
}

static void
test_notification (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *done_url = link_for (fixture, "report.pdf?size=4k&seed=71");
  g_autofree char *failed_url = link_for (fixture, "lost.pdf?status=404");
  g_autofree char *quiet_url = link_for (fixture, "quiet.pdf?size=4k&seed=72");
  g_autofree char *last_url = link_for (fixture, "last.pdf?size=4k&seed=73");
  g_autoptr(GVariant) dict = NULL;
  g_autoptr(GVariant) target = NULL;
  g_autoptr(GVariant) buttons = NULL;
  g_autofree char *quiet_id = NULL;
  DlDownload *done, *failed, *quiet, *last;
  const char *title, *body, *action;
  DlDownloadRow *row;
  GtkWidget *other;

  if (!serving_notifications)
    {
      g_test_skip ("Another process serves notifications on this bus");
      return;
    }
  /* Another program's window takes the focus. */
  other = gtk_window_new ();
  if (!focus_elsewhere (fixture, other))
    {
      gtk_window_destroy (GTK_WINDOW (other));
      g_test_skip ("The window keeps the focus");
      return;
    }

  done = add_link (fixture, done_url);
  WAIT_FOR (dl_download_get_state (done) == DL_DOWNLOAD_STATE_DONE);
  g_variant_get (wait_notification (fixture, done), "(&s&s@a{sv})", NULL, NULL, &dict);
  g_assert_true (g_variant_lookup (dict, "title", "&s", &title));
  g_assert_true (g_variant_lookup (dict, "body", "&s", &body));
  g_assert_true (g_variant_lookup (dict, "default-action", "&s", &action));
  g_assert_cmpstr (title, ==, "Download Finished");
  g_assert_cmpstr (body, ==, "report.pdf");
  g_assert_cmpstr (action, ==, "app.show-download");
  target = g_variant_lookup_value (dict, "default-action-target", G_VARIANT_TYPE_INT64);
  g_assert_nonnull (target);
  g_assert_cmpint (g_variant_get_int64 (target), ==, dl_download_get_id (done));
  buttons = g_variant_lookup_value (dict, "buttons", G_VARIANT_TYPE ("aa{sv}"));
  g_assert_nonnull (buttons);
  g_assert_cmpuint (g_variant_n_children (buttons), ==, 1);
  g_clear_pointer (&dict, g_variant_unref);

  /* "Show" brings the window up with the download's row focused. */
  row = row_for (fixture, done);
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "show-download",
                                  g_variant_new_int64 (dl_download_get_id (done)));
  WAIT_FOR (gtk_window_get_focus (GTK_WINDOW (fixture->window)) == GTK_WIDGET (row));
  g_assert_true (focus_elsewhere (fixture, other));

  failed = add_link (fixture, failed_url);
  WAIT_FOR (dl_download_get_state (failed) == DL_DOWNLOAD_STATE_FAILED);
  g_variant_get (wait_notification (fixture, failed), "(&s&s@a{sv})", NULL, NULL, &dict);
  g_assert_true (g_variant_lookup (dict, "title", "&s", &title));
  g_assert_true (g_variant_lookup (dict, "body", "&s", &body));
  g_assert_cmpstr (title, ==, "Download Failed");
  g_assert_nonnull (strstr (body, "lost.pdf"));
  g_assert_nonnull (strstr (body, "404"));

  /* Turned off in the preferences: silence. The next one, turned on again,
   * arrives after where the silenced one would have. */
  g_settings_set_boolean (fixture->settings, "notify-on-completion", FALSE);
  quiet = add_link (fixture, quiet_url);
  WAIT_FOR (dl_download_get_state (quiet) == DL_DOWNLOAD_STATE_DONE);
  g_settings_set_boolean (fixture->settings, "notify-on-completion", TRUE);
  last = add_link (fixture, last_url);
  WAIT_FOR (dl_download_get_state (last) == DL_DOWNLOAD_STATE_DONE);
  wait_notification (fixture, last);
  quiet_id = g_strdup_printf ("download-%" G_GINT64_FORMAT, dl_download_get_id (quiet));
  g_assert_null (find_notification (g_application_get_application_id (G_APPLICATION (fixture->app)),
                                    quiet_id));

  gtk_window_destroy (GTK_WINDOW (other));
}

static gboolean
inspector_lists (DlInspectorWindow *inspector,
                 const char        *prefix,
                 guint              at_least)
{
  GListModel *tasks = dl_inspector_window_get_tasks (inspector);
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (tasks); i++)
    {
      g_autoptr(DlTaskInfo) info = g_list_model_get_item (tasks, i);

      if (g_str_has_prefix (dl_task_info_get_name (info), prefix) &&
          g_strcmp0 (dl_task_info_get_state (info), "Parked") == 0)
        n++;
    }
  return n >= at_least;
}

static void
test_inspector (Fixture       *fixture,
                gconstpointer  data)
{
  DlInspectorWindow *inspector;
  DlStallProbe *probe;

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = g_strdup_printf ("watched-%u.bin?size=4m&rate=64k&seed=%u", i, i);
      g_autofree char *url = link_for (fixture, path);
      DlDownload *download = add_link (fixture, url);

      WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING);
    }

  inspector = DL_INSPECTOR_WINDOW (dl_application_show_inspector (fixture->app));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (inspector)));

  /* The download tasks (named "download ID HOST" by the engine), parked in
   * their awaits while bytes trickle in. */
  WAIT_FOR (inspector_lists (inspector, "download ", 2));

  /* The stall probe runs and measures something plausible. */
  WAIT_FOR ((probe = dl_inspector_window_get_probe (inspector)) != NULL);
  WAIT_FOR (dl_stall_probe_get_n_samples (probe) > 100);
  g_test_message ("worst stall: %" G_GINT64_FORMAT " µs", dl_stall_probe_get_worst (probe));
  g_assert_cmpint (dl_stall_probe_get_worst (probe), <, 5 * G_USEC_PER_SEC);
  dl_inspector_window_refresh (inspector);
  ui_test_snap (GTK_WIDGET (inspector), "inspector");

  gtk_window_destroy (GTK_WINDOW (inspector));
}

/* 200 downloads at once, the inspector open: how long does the main loop
 * stall? Run with -m slow; the numbers go to the test log. */
static void
test_many (Fixture       *fixture,
           gconstpointer  data)
{
  DlInspectorWindow *inspector;
  DlStallProbe *probe;
  gint64 until;

  if (!g_test_slow ())
    {
      g_test_skip ("Only with -m slow");
      return;
    }

  g_settings_set_uint (fixture->settings, "max-concurrent", 64);
  g_settings_set_uint (fixture->settings, "per-host-limit", 32);
  dl_manager_set_max_concurrent (fixture->manager, 200);
  dl_manager_set_max_per_host (fixture->manager, 200);

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *path = g_strdup_printf ("many-%u.bin?size=2m&rate=128k&seed=%u", i, i);
      g_autofree char *url = link_for (fixture, path);

      add_link (fixture, url);
    }

  inspector = DL_INSPECTOR_WINDOW (dl_application_show_inspector (fixture->app));
  WAIT_FOR ((probe = dl_inspector_window_get_probe (inspector)) != NULL);
  WAIT_FOR (count_in_state (fixture, DL_DOWNLOAD_STATE_DOWNLOADING) == 200);

  /* Ten seconds of everything running: the probe's window. */
  until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  WAIT_FOR (g_get_monotonic_time () > until);
  g_test_message ("200 downloads: worst main-loop stall over 10 s: %" G_GINT64_FORMAT " µs, "
                  "%" G_GUINT64_FORMAT " probe samples",
                  dl_stall_probe_get_worst (probe), dl_stall_probe_get_n_samples (probe));
  dl_inspector_window_refresh (inspector);
  ui_test_snap (GTK_WIDGET (inspector), "inspector-200");
  ui_test_snap (GTK_WIDGET (fixture->window), "window-200");

  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.pause-all", NULL);
  WAIT_FOR (dl_manager_get_n_running (fixture->manager) == 0);
}

static char *
buffer_text (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static gboolean
text_is (GtkTextView *view,
         const char  *expected)
{
  g_autofree char *text = buffer_text (view);

  return g_strcmp0 (text, expected) == 0;
}

static void
test_clipboard (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *first = link_for (fixture, "from-clipboard.bin?size=8k&seed=31");
  g_autofree char *second = link_for (fixture, "pasted.bin?size=8k&seed=32");
  g_autofree char *prose = NULL;
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (fixture->window));
  GtkTextView *view = GTK_TEXT_VIEW (ui_test_find_widget (GTK_WIDGET (fixture->window), GTK_TYPE_TEXT_VIEW));

  g_assert_nonnull (view);

  /* Opening the add field suggests the links found in the clipboard. */
  prose = g_strdup_printf ("Have a look at %s, it is good.", first);
  gdk_clipboard_set_text (clipboard, prose);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.add", NULL);
  g_assert_true (dl_window_get_add_open (fixture->window));
  WAIT_FOR (text_is (view, first));
  ui_test_snap (GTK_WIDGET (fixture->window), "add");

  /* Enter adds them and closes the field. */
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.add-confirm", NULL);
  g_assert_false (dl_window_get_add_open (fixture->window));
  g_assert_nonnull (find_download (fixture, first));

  /* Ctrl+V outside a text field adds straight from the clipboard. */
  gdk_clipboard_set_text (clipboard, second);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.paste", NULL);
  WAIT_FOR (find_download (fixture, second) != NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)), ==, 2);
}

static void
test_parse_links (void)
{
  g_auto(GStrv) links = NULL;
  g_auto(GStrv) rejected = NULL;

  links = dl_parse_links ("see <https://example.com/a.iso>, and http://example.org/b.zip.\n"
                          "# a comment\nftp://old.example/c.tar example.net/d.bin words "
                          "https://example.com/a.iso",
                          &rejected);
  g_assert_cmpuint (g_strv_length (links), ==, 3);
  g_assert_cmpstr (links[0], ==, "https://example.com/a.iso");
  g_assert_cmpstr (links[1], ==, "http://example.org/b.zip");
  g_assert_cmpstr (links[2], ==, "https://example.net/d.bin");
  g_assert_cmpuint (g_strv_length (rejected), ==, 1);
  g_assert_cmpstr (rejected[0], ==, "ftp://old.example/c.tar");
}

static void
test_format (void)
{
  g_autofree char *eta1 = dl_format_time_left (1);
  g_autofree char *eta2 = dl_format_time_left (59);
  g_autofree char *eta3 = dl_format_time_left (61);
  g_autofree char *eta4 = dl_format_time_left (7200);
  g_autofree char *speed = dl_format_speed (2.5e6);
  g_autofree char *host = dl_format_host ("http://127.0.0.1:8080/x?y=1");

  g_assert_cmpstr (eta1, ==, "1 second left");
  g_assert_cmpstr (eta2, ==, "59 seconds left");
  g_assert_cmpstr (eta3, ==, "2 minutes left");
  g_assert_cmpstr (eta4, ==, "2 hours left");
  g_assert_cmpstr (speed, ==, "2.5\u00a0MB/s");
  g_assert_cmpstr (host, ==, "127.0.0.1:8080");
  g_assert_null (dl_format_time_left (-1));
}


/* ---- a new user's first day ------------------------------------------------ */

/* What a click on a response button does: the response, then the dialog
 * closes (adw_message_dialog_response() alone leaves it open). */
static void
respond (GtkWidget  *dialog,
         const char *response)
{
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static char *
part_path (DlDownload *download)
{
  g_autofree char *name = g_strconcat (dl_download_get_file_name (download), ".part", NULL);

  return g_build_filename (dl_download_get_output_dir (download), name, NULL);
}

/* Where the row stands in the list: its download's place in the list
 * view's model. */
static int
row_position (DlDownloadRow *row)
{
  GtkWidget *list = gtk_widget_get_ancestor (GTK_WIDGET (row), GTK_TYPE_LIST_VIEW);
  GListModel *model;

  g_assert_nonnull (list);
  model = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (list)));
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);

      if (download == dl_download_row_get_download (row))
        return (int) i;
    }
  return -1;
}

static GtkWidget *
find_row_popover (DlDownloadRow *row)
{
  GtkWidget *popover = ui_test_find_widget (GTK_WIDGET (row), GTK_TYPE_POPOVER_MENU);

  g_assert_nonnull (popover);
  return popover;
}

/* Rows keep their height in every state, and keep still under an open
 * menu. */
static void
test_rows_keep_still (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *running_url = link_for (fixture, "running.bin?size=4m&seed=61&rate=64k");
  g_autofree char *failed_url = link_for (fixture, "failed.bin?status=404");
  g_autofree char *done_url = link_for (fixture, "done.bin?size=4k&seed=62");
  g_autofree char *later_url = link_for (fixture, "later.bin?size=4k&seed=63");
  DlDownload *running, *failed, *done;
  DlDownloadRow *running_row, *failed_row, *done_row;
  GtkWidget *popover;
  int index;

  g_settings_set_uint (fixture->settings, "max-retries", 0);
  running = add_link (fixture, running_url);
  failed = add_link (fixture, failed_url);
  done = add_link (fixture, done_url);
  running_row = row_for (fixture, running);
  failed_row = row_for (fixture, failed);
  done_row = row_for (fixture, done);

  WAIT_FOR (dl_download_get_state (running) == DL_DOWNLOAD_STATE_DOWNLOADING &&
            dl_download_get_state (failed) == DL_DOWNLOAD_STATE_FAILED &&
            dl_download_get_state (done) == DL_DOWNLOAD_STATE_DONE);
  ui_test_snap (GTK_WIDGET (fixture->window), "ui-rows-states");
  WAIT_FOR (gtk_widget_get_height (GTK_WIDGET (failed_row)) > 0 &&
            gtk_widget_get_height (GTK_WIDGET (done_row)) > 0 &&
            gtk_widget_get_height (GTK_WIDGET (running_row)) > 0);
  /* Laid out after the last state change. */
  WAIT_FOR (gtk_widget_get_height (GTK_WIDGET (failed_row)) ==
              gtk_widget_get_height (GTK_WIDGET (running_row)) ||
            !gtk_widget_get_visible (GTK_WIDGET (failed_row)));
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (failed_row)), ==,
                   gtk_widget_get_height (GTK_WIDGET (running_row)));
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (done_row)), ==,
                   gtk_widget_get_height (GTK_WIDGET (running_row)));

  /* The running row's menu is open: a new download waits to appear. */
  index = row_position (running_row);
  gtk_widget_activate_action (GTK_WIDGET (running_row), "row.menu", NULL);
  popover = find_row_popover (running_row);
  WAIT_FOR (gtk_widget_get_visible (popover));
  g_assert_true (dl_download_row_get_menu_open (running_row));

  add_link (fixture, later_url);
  g_assert_null (dl_window_find_row (fixture->window, find_download (fixture, later_url)));
  g_assert_cmpint (row_position (running_row), ==, index);

  gtk_popover_popdown (GTK_POPOVER (popover));
  WAIT_FOR (!dl_download_row_get_menu_open (running_row));
  g_assert_nonnull (dl_window_find_row (fixture->window, find_download (fixture, later_url)));
  g_assert_cmpint (row_position (running_row), ==, index + 1);
}

static void
dismiss_last_toast (Fixture *fixture)
{
  AdwToast *toast = dl_window_get_last_toast (fixture->window);

  g_assert_nonnull (toast);
  adw_toast_dismiss (toast);
}

static GtkWidget *
find_button (GtkWidget  *widget,
             const char *label)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0 &&
      gtk_widget_get_mapped (widget))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Clicks the Undo button of the toast on screen. */
static void
undo_last_toast (Fixture *fixture)
{
  AdwToast *toast = dl_window_get_last_toast (fixture->window);
  GtkWidget *title;
  GtkWidget *button = NULL;

  g_assert_nonnull (toast);
  g_assert_cmpstr (adw_toast_get_button_label (toast), ==, "_Undo");

  /* The button beside this toast's title, not that of one fading out. */
  title = adw_toast_get_custom_title (toast);
  WAIT_FOR (gtk_widget_get_mapped (title));
  for (GtkWidget *w = title; w != NULL && button == NULL; w = gtk_widget_get_parent (w))
    button = find_button (w, "_Undo");
  g_assert_nonnull (button);
  gtk_widget_activate (button);
}

/* Cancel keeps the partial file until its Undo toast goes. */
static void
test_cancel_undo (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "undo.bin?size=512k&seed=64&rate=128k");
  DlDownload *download = add_link (fixture, url);
  DlDownloadRow *row = row_for (fixture, download);
  g_autofree char *part = NULL;
  gint64 kept;

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING &&
            dl_download_get_bytes_received (download) > 0);
  part = part_path (download);

  /* A button's activation takes effect after its pressed look. */
  gtk_widget_activate (dl_download_row_get_button (row, "cancel"));
  WAIT_FOR (g_strcmp0 (dl_download_row_get_status_text (row), "Cancelled") == 0);
  WAIT_FOR (dl_download_can_resume (download));
  g_assert_true (g_file_test (part, G_FILE_TEST_IS_REGULAR));
  /* The header agrees with the row: cancelled, not paused. */
  WAIT_FOR (g_strcmp0 (dl_window_get_subtitle (fixture->window), "All finished") == 0);
  kept = dl_download_get_bytes_received (download);
  g_assert_cmpint (kept, >, 0);
  ui_test_snap (GTK_WIDGET (fixture->window), "ui-cancel-undo");

  /* Undo: it carries on from where it was, and finishes whole. */
  undo_last_toast (fixture);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  assert_file (download, 64, 512 * 1024);

  /* Cancelled again and left alone: the bytes go with the toast. */
  {
    g_autofree char *url2 = link_for (fixture, "gone.bin?size=512k&seed=65&rate=128k");
    DlDownload *second = add_link (fixture, url2);
    DlDownloadRow *second_row = row_for (fixture, second);
    g_autofree char *second_part = NULL;

    WAIT_FOR (dl_download_get_state (second) == DL_DOWNLOAD_STATE_DOWNLOADING &&
              dl_download_get_bytes_received (second) > 0);
    second_part = part_path (second);
    gtk_widget_activate_action (GTK_WIDGET (second_row), "row.cancel", NULL);
    WAIT_FOR (dl_download_can_resume (second));
    g_assert_true (g_file_test (second_part, G_FILE_TEST_IS_REGULAR));
    dismiss_last_toast (fixture);
    WAIT_FOR (dl_download_get_state (second) == DL_DOWNLOAD_STATE_CANCELLED);
    /* The engine deletes it on a disk thread. */
    WAIT_FOR (!g_file_test (second_part, G_FILE_TEST_EXISTS));
  }
}

/* Remove from List and Move to Trash: Undo brings the row back. */
static void
test_remove_trash_undo (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "keep.bin?size=4k&seed=66");
  DlDownload *download = add_link (fixture, url);
  DlDownloadRow *row = row_for (fixture, download);
  g_autofree char *path = NULL;

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  path = dl_download_dup_path (download);

  gtk_widget_activate_action (GTK_WIDGET (row), "row.remove", NULL);
  g_assert_null (dl_window_find_row (fixture->window, download));
  g_assert_cmpstr (dl_window_get_visible_page (fixture->window), ==, "empty");
  undo_last_toast (fixture);
  WAIT_FOR ((row = dl_window_find_row (fixture->window, download)) != NULL);
  g_assert_cmpstr (dl_window_get_visible_page (fixture->window), ==, "list");

  gtk_widget_activate_action (GTK_WIDGET (row), "row.trash", NULL);
  g_assert_null (dl_window_find_row (fixture->window, download));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  undo_last_toast (fixture);
  WAIT_FOR ((row = dl_window_find_row (fixture->window, download)) != NULL);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  gtk_widget_activate_action (GTK_WIDGET (row), "row.trash", NULL);
  dismiss_last_toast (fixture);
  WAIT_FOR (find_download (fixture, url) == NULL);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* A click (or Enter) on a running row's body does not pause it. */
static void
test_click_selects (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "click.bin?size=2m&seed=67&rate=128k");
  DlDownload *download = add_link (fixture, url);
  DlDownloadRow *row = row_for (fixture, download);
  GtkListView *list = GTK_LIST_VIEW (gtk_widget_get_ancestor (GTK_WIDGET (row),
                                                             GTK_TYPE_LIST_VIEW));

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING);
  g_assert_false (gtk_list_view_get_single_click_activate (list));

  g_signal_emit_by_name (list, "activate", (guint) row_position (row));
  g_assert_true (dl_download_can_pause (download));
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_DOWNLOADING);

  /* Space still pauses. */
  gtk_widget_activate_action (GTK_WIDGET (row), "row.toggle", NULL);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_PAUSED);
}

/* A finished file deleted behind the app's back shows as missing at the
 * next start, and can be fetched again. */
static void
test_file_missing (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "vanish.bin?size=8k&seed=68");
  DlDownload *download = add_link (fixture, url);
  DlDownloadRow *row;
  g_autofree char *path = NULL;
  gint64 old_id;

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  path = dl_download_dup_path (download);
  close_app (fixture);
  g_assert_cmpint (g_unlink (path), ==, 0);

  open_app (fixture);
  download = find_download (fixture, url);
  row = row_for (fixture, download);
  g_assert_true (dl_download_row_get_file_missing (row));
  g_assert_cmpstr (dl_download_row_get_status_text (row), ==, "File missing");
  g_assert_true (gtk_widget_get_visible (dl_download_row_get_button (row, "redownload")));
  g_assert_false (gtk_widget_get_visible (dl_download_row_get_button (row, "open")));
  ui_test_snap (GTK_WIDGET (fixture->window), "ui-file-missing");

  old_id = dl_download_get_id (download);
  gtk_widget_activate (dl_download_row_get_button (row, "redownload"));
  WAIT_FOR ((download = find_download (fixture, url)) != NULL &&
            dl_download_get_id (download) != old_id &&
            dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  assert_file (download, 68, 8 * 1024);
  row = row_for (fixture, download);
  g_assert_false (dl_download_row_get_file_missing (row));

  /* Deleted while the app runs: seen when the window gains the focus. */
  g_free (path);
  path = dl_download_dup_path (download);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_false (dl_download_row_get_file_missing (row));
  /* What GTK emits when the window gains the focus; Xvfb has no window
   * manager to move the focus away and back. */
  g_assert_true (gtk_window_is_active (GTK_WINDOW (fixture->window)));
  g_object_notify (G_OBJECT (fixture->window), "is-active");
  g_assert_true (dl_download_row_get_file_missing (row));
}

/* The header says what the downloads are doing, and counts only those
 * that transfer. */
static void
test_subtitle_states (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *retry_url = link_for (fixture, "retry.bin?status=503&retry_after=30");
  DlDownload *downloads[3];
  DlDownload *retrying;

  g_settings_set_uint (fixture->settings, "max-concurrent", 1);
  g_assert_cmpstr (dl_window_get_subtitle (fixture->window), ==, "");

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *path = g_strdup_printf ("slow%u.bin?size=1m&seed=%u&rate=64k", i, 70 + i);
      g_autofree char *url = link_for (fixture, path);

      downloads[i] = add_link (fixture, url);
    }

  WAIT_FOR (dl_download_get_state (downloads[0]) == DL_DOWNLOAD_STATE_DOWNLOADING ||
            dl_download_get_state (downloads[1]) == DL_DOWNLOAD_STATE_DOWNLOADING ||
            dl_download_get_state (downloads[2]) == DL_DOWNLOAD_STATE_DOWNLOADING);
  WAIT_FOR (g_str_has_prefix (dl_window_get_subtitle (fixture->window), "1 downloading"));

  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.pause-all", NULL);
  WAIT_FOR (g_strcmp0 (dl_window_get_subtitle (fixture->window), "3 paused") == 0);
  ui_test_snap (GTK_WIDGET (fixture->window), "ui-subtitle-paused");

  for (guint i = 0; i < 3; i++)
    dl_download_cancel (downloads[i]);
  WAIT_FOR (g_strcmp0 (dl_window_get_subtitle (fixture->window), "All finished") == 0);

  g_settings_set_uint (fixture->settings, "max-retries", 3);
  retrying = add_link (fixture, retry_url);
  WAIT_FOR (dl_download_get_state (retrying) == DL_DOWNLOAD_STATE_RETRYING);
  WAIT_FOR (g_strcmp0 (dl_window_get_subtitle (fixture->window), "1 waiting to retry") == 0);
}

/* A button bound to @action_name, or a menu item labelled @action_name
 * (menu items keep their actions to themselves). */
static GtkWidget *
find_actionable (GtkWidget  *widget,
                 const char *action_name)
{
  if (GTK_IS_ACTIONABLE (widget) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0)
    return widget;
  if (g_str_equal (G_OBJECT_TYPE_NAME (widget), "GtkModelButton"))
    {
      for (GtkWidget *child = gtk_widget_get_first_child (widget);
           child != NULL;
           child = gtk_widget_get_next_sibling (child))
        if (GTK_IS_LABEL (child) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (child)), action_name) == 0)
          return widget;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_actionable (child, action_name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Whether the widget a user would click for @action_name can be clicked;
 * the main menu's items exist while it is open. */
static gboolean
action_sensitive (Fixture    *fixture,
                  const char *action_name)
{
  GtkWidget *widget = find_actionable (GTK_WIDGET (fixture->window), action_name);
  GtkMenuButton *menu = NULL;
  gboolean sensitive;

  if (widget == NULL)
    {
      menu = GTK_MENU_BUTTON (ui_test_find_widget (GTK_WIDGET (fixture->window), GTK_TYPE_MENU_BUTTON));
      gtk_menu_button_popup (menu);
      WAIT_FOR ((widget = find_actionable (GTK_WIDGET (fixture->window), action_name)) != NULL &&
                gtk_widget_get_mapped (widget));
    }

  sensitive = gtk_widget_get_sensitive (widget);
  if (menu != NULL)
    gtk_menu_button_popdown (menu);
  return sensitive;
}

/* Entries that would do nothing are greyed out. */
static void
test_disabled_actions (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "grey.bin?size=2m&seed=75&rate=128k");
  GtkTextBuffer *buffer;
  DlDownload *download;

  g_assert_false (action_sensitive (fixture, "Pause All"));
  g_assert_false (action_sensitive (fixture, "Resume All"));
  g_assert_false (action_sensitive (fixture, "Remove Finished"));

  dl_window_set_add_open (fixture->window, TRUE);
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (ui_test_find_widget (GTK_WIDGET (fixture->window),
                                                                  GTK_TYPE_TEXT_VIEW)));
  WAIT_FOR (!action_sensitive (fixture, "win.add-confirm"));
  gtk_text_buffer_set_text (buffer, "just words", -1);
  g_assert_false (action_sensitive (fixture, "win.add-confirm"));
  gtk_text_buffer_set_text (buffer, url, -1);
  g_assert_true (action_sensitive (fixture, "win.add-confirm"));
  ui_test_snap (GTK_WIDGET (fixture->window), "ui-add-card");
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.add-confirm", NULL);
  download = find_download (fixture, url);
  g_assert_nonnull (download);

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING);
  WAIT_FOR (action_sensitive (fixture, "Pause All"));
  g_assert_false (action_sensitive (fixture, "Resume All"));
  dl_download_pause (download);
  WAIT_FOR (action_sensitive (fixture, "Resume All") &&
            !action_sensitive (fixture, "Pause All"));
  g_assert_false (action_sensitive (fixture, "Remove Finished"));
  dl_download_cancel (download);
  WAIT_FOR (action_sensitive (fixture, "Remove Finished"));
}

/* Open File does not look like a folder; same names show their folders; a
 * link downloaded already asks before saving a second copy. */
static void
test_visible_states (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "twin.bin?size=4k&seed=76");
  g_autofree char *other = g_build_filename (fixture->dir, "other", NULL);
  const char *links[] = { url, NULL };
  DlDownload *first, *second = NULL;
  DlDownloadRow *row;
  GtkWidget *dialog;
  const char *icon;

  first = add_link (fixture, url);
  WAIT_FOR (dl_download_get_state (first) == DL_DOWNLOAD_STATE_DONE);
  row = row_for (fixture, first);
  icon = gtk_button_get_icon_name (GTK_BUTTON (dl_download_row_get_button (row, "open")));
  g_assert_false (g_str_has_prefix (icon, "folder"));
  g_assert_cmpstr (icon, !=, "document-open-symbolic");

  /* The same link again: asked, not saved as "twin (1).bin". */
  g_assert_cmpuint (dl_window_add_links (fixture->window, links), ==, 0);
  WAIT_FOR ((dialog = ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Download Again?");
  ui_test_snap (dialog, "ui-download-again");
  respond (dialog, "cancel");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)), ==, 1);

  /* The same name in another folder: both rows say where. */
  g_assert_cmpint (g_mkdir_with_parents (other, 0700), ==, 0);
  g_settings_set_string (fixture->settings, "download-folder", other);
  g_assert_cmpuint (dl_window_add_links (fixture->window, links), ==, 0);
  WAIT_FOR ((dialog = ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL);
  respond (dialog, "again");
  WAIT_FOR (g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)) == 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(DlDownload) item = g_list_model_get_item (G_LIST_MODEL (fixture->manager), i);

      if (item != first)
        second = item;
    }
  WAIT_FOR (dl_download_get_state (second) == DL_DOWNLOAD_STATE_DONE);
  WAIT_FOR (strstr (dl_download_row_get_host_text (row_for (fixture, second)), "other") != NULL);
  g_assert_nonnull (strstr (dl_download_row_get_host_text (row), "downloads"));
  ui_test_snap (GTK_WIDGET (fixture->window), "ui-same-name");
}

static gboolean
has_label (GtkWidget  *widget,
           const char *text)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (has_label (child, text))
      return TRUE;
  return FALSE;
}

static gboolean
has_shortcut (GtkWidget  *widget,
              const char *trigger,
              const char *action_name)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          g_autofree char *text = gtk_shortcut_trigger_to_string (gtk_shortcut_get_trigger (shortcut));
          GtkShortcutAction *action = gtk_shortcut_get_action (shortcut);

          if (g_str_equal (text, trigger) && GTK_IS_NAMED_ACTION (action) &&
              g_str_equal (gtk_named_action_get_action_name (GTK_NAMED_ACTION (action)), action_name))
            return TRUE;
        }
    }
  return FALSE;
}

/* The row menu by right-click, Shift+F10 and Menu; Delete is labelled
 * "Delete" and hands the focus to the neighbour. */
static void
test_row_menu_keys (Fixture       *fixture,
                    gconstpointer  data)
{
  DlDownload *downloads[3];
  DlDownloadRow *rows[3];
  g_autoptr(GListModel) controllers = NULL;
  GtkWidget *popover;
  GtkGesture *secondary = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *path = g_strdup_printf ("key%u.bin?size=4k&seed=%u", i, 80 + i);
      g_autofree char *url = link_for (fixture, path);

      downloads[i] = add_link (fixture, url);
      WAIT_FOR (dl_download_get_state (downloads[i]) == DL_DOWNLOAD_STATE_DONE);
    }
  for (guint i = 0; i < 3; i++)
    rows[i] = row_for (fixture, downloads[i]);

  g_assert_true (has_shortcut (GTK_WIDGET (rows[0]), "<Shift>F10", "row.menu"));
  g_assert_true (has_shortcut (GTK_WIDGET (rows[0]), "Menu", "row.menu"));

  /* Right-click. */
  controllers = gtk_widget_observe_controllers (GTK_WIDGET (rows[1]));
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_CLICK (controller) &&
          gtk_gesture_single_get_button (GTK_GESTURE_SINGLE (controller)) == GDK_BUTTON_SECONDARY)
        secondary = GTK_GESTURE (controller);
    }
  g_assert_nonnull (secondary);
  g_signal_emit_by_name (secondary, "pressed", 1, 10.0, 10.0);
  popover = find_row_popover (rows[1]);
  WAIT_FOR (gtk_widget_get_visible (popover));
  g_assert_true (has_label (popover, "Delete"));
  g_assert_false (has_label (popover, "KP Delete"));
  ui_test_snap (GTK_WIDGET (fixture->window), "ui-row-menu");
  gtk_popover_popdown (GTK_POPOVER (popover));
  WAIT_FOR (!dl_download_row_get_menu_open (rows[1]));

  /* Delete on the middle row: the focus goes to the row now in its place. */
  gtk_widget_grab_focus (GTK_WIDGET (rows[1]));
  gtk_widget_activate_action (GTK_WIDGET (rows[1]), "row.remove", NULL);
  WAIT_FOR (dl_window_find_row (fixture->window, downloads[1]) == NULL);
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (row_for (fixture, downloads[0]))));
}

/* Open File on a file deleted behind the app's back: the row says "File
 * missing" and offers Download Again at once, without waiting for the
 * window to be focused again. */
static void
test_open_missing (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "gone.bin?size=4k&seed=88");
  DlDownload *download = add_link (fixture, url);
  DlDownloadRow *row = row_for (fixture, download);
  g_autofree char *path = NULL;

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  g_assert_false (dl_download_row_get_file_missing (row));
  path = dl_download_dup_path (download);
  g_assert_cmpint (g_unlink (path), ==, 0);

  /* Nothing in between: no focus change, no turn of the main loop. */
  gtk_widget_activate_action (GTK_WIDGET (row), "row.open", NULL);
  g_assert_true (dl_download_row_get_file_missing (row));
  g_assert_cmpstr (dl_download_row_get_status_text (row), ==, "File missing");
  g_assert_true (gtk_widget_get_visible (dl_download_row_get_button (row, "redownload")));
  g_assert_false (gtk_widget_get_visible (dl_download_row_get_button (row, "open")));
  ui_test_snap (GTK_WIDGET (fixture->window), "ui-open-missing");

  /* Download Again brings it back. */
  gtk_widget_activate (dl_download_row_get_button (row, "redownload"));
  WAIT_FOR (g_file_test (path, G_FILE_TEST_IS_REGULAR));
}

/* A file that cannot be opened says why, in a toast read whole. */
static void
test_open_errors (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "opened.bin?size=4k&seed=84");
  DlDownload *download = add_link (fixture, url);
  DlDownloadRow *row = row_for (fixture, download);
  g_autofree char *path = NULL;
  AdwToast *toast;
  GtkWidget *title;

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  path = dl_download_dup_path (download);
  g_assert_cmpint (g_unlink (path), ==, 0);

  gtk_widget_activate_action (GTK_WIDGET (row), "row.open", NULL);
  WAIT_FOR ((toast = dl_window_get_last_toast (fixture->window)) != NULL);
  g_assert_cmpstr (adw_toast_get_button_label (toast), ==, "_Details");
  title = adw_toast_get_custom_title (toast);
  g_assert_true (GTK_IS_LABEL (title));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (title)), ==, "“opened.bin” is no longer there");
  g_assert_true (gtk_label_get_wrap (GTK_LABEL (title)));
  g_assert_cmpint (gtk_label_get_ellipsize (GTK_LABEL (title)), ==, PANGO_ELLIPSIZE_NONE);
  ui_test_snap (GTK_WIDGET (fixture->window), "ui-open-error");
}

/* With history, the list is there from the first frame. */
static void
count_map_cb (GtkWidget *widget,
              guint     *count)
{
  (*count)++;
}

/* With history, the first frames show the list: the empty page is never
 * mapped, not even for a frame or a crossfade. */
static void
test_no_empty_flash (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "history.bin?size=4k&seed=85");
  DlDownload *download = add_link (fixture, url);
  g_autoptr(GError) error = NULL;
  GdkFrameClock *clock;
  GtkStack *stack;
  gint64 first_frame;
  guint n_empty_maps = 0;
  guint n_list_maps = 0;

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  close_app (fixture);

  fixture->store = dl_store_open (fixture->history, &error);
  g_assert_no_error (error);
  fixture->manager = dl_manager_new (fixture->store);
  dl_manager_load (fixture->manager, TRUE, &error);
  g_assert_no_error (error);
  fixture->app = ui_test_new_app (fixture->manager, "Test");
  fixture->window = DL_WINDOW (dl_application_ensure_window (fixture->app));

  stack = GTK_STACK (gtk_widget_get_ancestor (ui_test_find_widget (GTK_WIDGET (fixture->window),
                                                          ADW_TYPE_STATUS_PAGE),
                                              GTK_TYPE_STACK));
  g_signal_connect (gtk_stack_get_child_by_name (stack, "empty"), "map",
                    G_CALLBACK (count_map_cb), &n_empty_maps);
  g_signal_connect (gtk_stack_get_child_by_name (stack, "list"), "map",
                    G_CALLBACK (count_map_cb), &n_list_maps);

  gtk_window_present (GTK_WINDOW (fixture->window));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (fixture->window)));
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (fixture->window));
  first_frame = gdk_frame_clock_get_frame_counter (clock);
  /* A few frames drawn: a late switch of pages would have shown by now. */
  WAIT_FOR (gdk_frame_clock_get_frame_counter (clock) >= first_frame + 3);

  g_assert_cmpuint (n_empty_maps, ==, 0);
  g_assert_cmpuint (n_list_maps, ==, 1);
  g_assert_cmpstr (dl_window_get_visible_page (fixture->window), ==, "list");
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (row_for (fixture,
                                                             find_download (fixture, url)))));

  g_signal_handlers_disconnect_by_data (gtk_stack_get_child_by_name (stack, "empty"),
                                        &n_empty_maps);
  g_signal_handlers_disconnect_by_data (gtk_stack_get_child_by_name (stack, "list"),
                                        &n_list_maps);
}

/* At 360 px with a download running, nothing pushes the window wider; the
 * add card's German hint wraps instead of being cut. */
static void
test_narrow (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "a-rather-long-file-name-for-a-narrow-window.tar.gz"
                                            "?size=4m&seed=86&rate=64k");
  DlDownload *download;
  DlDownloadRow *row;
  GtkWidget *status_line;
  g_autoptr(GtkTooltip) tooltip = NULL;
  gboolean has_tooltip = FALSE;
  int minimum = 0;
  int width;

  close_app (fixture);
  g_settings_set_int (fixture->settings, "window-width", 360);
  g_settings_set_int (fixture->settings, "window-height", 600);
  open_app (fixture);
  WAIT_FOR (gtk_widget_get_width (GTK_WIDGET (fixture->window)) > 0);
  width = gtk_widget_get_width (GTK_WIDGET (fixture->window));
  g_assert_cmpint (width, <=, 360);

  download = add_link (fixture, url);
  row = row_for (fixture, download);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING &&
            dl_download_get_speed (download) > 0 &&
            strstr (dl_download_row_get_status_text (row), "/s") != NULL);

  gtk_widget_measure (GTK_WIDGET (fixture->window), GTK_ORIENTATION_HORIZONTAL, -1,
                      &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);
  /* The whole status line is in the tooltip. */
  status_line = ui_test_find_widget (GTK_WIDGET (row), GTK_TYPE_INSCRIPTION);
  g_assert_true (gtk_widget_get_has_tooltip (status_line));
  tooltip = g_object_new (GTK_TYPE_TOOLTIP, NULL);
  g_signal_emit_by_name (status_line, "query-tooltip", 4, 4, FALSE, tooltip, &has_tooltip);
  g_assert_true (has_tooltip);
  ui_test_snap (GTK_WIDGET (fixture->window), "ui-narrow");
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (fixture->window)), ==, width);
}


/* The file name a row shows, read from its label rather than asked of the
 * row. */
static const char *
shown_name (DlDownloadRow *row)
{
  GtkWidget *label = ui_test_find_widget (GTK_WIDGET (row), GTK_TYPE_LABEL);

  g_assert_nonnull (label);
  g_assert_true (gtk_widget_has_css_class (label, "heading"));
  return gtk_label_get_text (GTK_LABEL (label));
}

typedef struct
{
  float       y;
  const char *name;
} ShownRow;

static int
compare_shown_rows (gconstpointer a,
                    gconstpointer b)
{
  const ShownRow *ra = a;
  const ShownRow *rb = b;

  return ra->y < rb->y ? -1 : ra->y > rb->y;
}

/* The names on the rows that are on screen, and where. */
static void
collect_rows_in_view (GtkWidget *widget,
                      GtkWidget *scroller,
                      GArray    *shown)
{
  if (DL_IS_DOWNLOAD_ROW (widget))
    {
      graphene_rect_t bounds;
      ShownRow row;

      if (!gtk_widget_get_mapped (widget) ||
          !gtk_widget_compute_bounds (widget, scroller, &bounds) ||
          bounds.size.height <= 0 ||
          bounds.origin.y + bounds.size.height <= 0 ||
          bounds.origin.y >= gtk_widget_get_height (scroller))
        return;

      row.y = bounds.origin.y;
      row.name = shown_name (DL_DOWNLOAD_ROW (widget));
      g_array_append_val (shown, row);
      return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_rows_in_view (child, scroller, shown);
}

/* Whether the screen shows, top to bottom, a run of the list's downloads
 * in the list's order, each once, and at least three of them; the place
 * of the first in the list goes to @first_out. */
static gboolean
rows_in_view_right (GtkWidget *scroller,
                    guint     *first_out,
                    guint     *last_out)
{
  GtkWidget *list = ui_test_find_widget (scroller, GTK_TYPE_LIST_VIEW);
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (list)));
  g_autoptr(GArray) shown = g_array_new (FALSE, FALSE, sizeof (ShownRow));
  guint n_items = g_list_model_get_n_items (model);
  guint first = G_MAXUINT;

  collect_rows_in_view (scroller, scroller, shown);
  if (shown->len < 3)
    return FALSE;
  g_array_sort (shown, compare_shown_rows);

  for (guint i = 0; i < n_items && first == G_MAXUINT; i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);
      g_autofree char *name = dl_format_display_name (download);

      if (g_strcmp0 (name, g_array_index (shown, ShownRow, 0).name) == 0)
        first = i;
    }
  if (first == G_MAXUINT || first + shown->len > n_items)
    return FALSE;

  for (guint i = 0; i < shown->len; i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, first + i);
      g_autofree char *name = dl_format_display_name (download);

      if (g_strcmp0 (name, g_array_index (shown, ShownRow, i).name) != 0)
        return FALSE;
    }
  *first_out = first;
  *last_out = first + shown->len - 1;
  return TRUE;
}

/* A list longer than the window: the list view reuses its rows for other
 * downloads as one is added above them and as it scrolls, and the rows
 * on screen show their own downloads. */
static void
test_long_list (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GPtrArray) links = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *later = link_for (fixture, "later.bin?size=1k&seed=199");
  GtkWidget *scroller;
  GtkAdjustment *adjustment;
  DlDownload *download;
  guint n_links = 80;
  guint first, last;
  GtkWidget *list;

  for (guint i = 0; i < n_links; i++)
    g_ptr_array_add (links, g_strdup_printf ("%slong-%02u.bin?size=1k&seed=%u",
                                             fault_server_get_uri (fixture->server), i, 100 + i));
  g_ptr_array_add (links, NULL);
  g_assert_cmpuint (dl_window_add_links (fixture->window, (const char **) links->pdata), ==,
                    n_links);
  WAIT_FOR (count_in_state (fixture, DL_DOWNLOAD_STATE_DONE) == n_links);

  scroller = gtk_widget_get_ancestor (ui_test_find_widget (GTK_WIDGET (fixture->window),
                                                   GTK_TYPE_LIST_VIEW),
                                      GTK_TYPE_SCROLLED_WINDOW);
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
  WAIT_FOR (gtk_adjustment_get_upper (adjustment) > 4 * gtk_adjustment_get_page_size (adjustment));
  WAIT_FOR (rows_in_view_right (scroller, &first, &last));

  /* Added above all the others: every row moves down by one. */
  download = add_link (fixture, later);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  WAIT_FOR (rows_in_view_right (scroller, &first, &last));
  gtk_adjustment_set_value (adjustment, 0);
  WAIT_FOR (rows_in_view_right (scroller, &first, &last) && first == 0);
  g_assert_cmpstr (shown_name (row_for (fixture, download)), ==, "later.bin");

  /* To the middle, the end and back, as the keyboard would go. */
  list = ui_test_find_widget (scroller, GTK_TYPE_LIST_VIEW);
  gtk_widget_activate_action (list, "list.scroll-to-item", "u", n_links / 2);
  WAIT_FOR (rows_in_view_right (scroller, &first, &last) &&
            first <= n_links / 2 && n_links / 2 <= last);
  gtk_widget_activate_action (list, "list.scroll-to-item", "u", n_links);
  WAIT_FOR (rows_in_view_right (scroller, &first, &last) && last == n_links);
  ui_test_snap (GTK_WIDGET (fixture->window), "ui-long-list-end");

  gtk_widget_activate_action (list, "list.scroll-to-item", "u", 0);
  WAIT_FOR (rows_in_view_right (scroller, &first, &last) && first == 0);
}

/* A row that the list holds for a download but keeps hidden, below the
 * rows on screen. */
static DlDownloadRow *
find_hidden_row (GtkWidget *widget)
{
  if (DL_IS_DOWNLOAD_ROW (widget))
    return dl_download_row_get_download (DL_DOWNLOAD_ROW (widget)) != NULL &&
           !gtk_widget_get_mapped (widget) ? DL_DOWNLOAD_ROW (widget) : NULL;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      DlDownloadRow *row = find_hidden_row (child);

      if (row != NULL)
        return row;
    }
  return NULL;
}

/* The list holds rows for many more downloads than it shows. Those it
 * keeps hidden do no work while their downloads change (a few hundred of
 * them laid out in one frame was the window's longest stall), and show the
 * download as it is once they come into view. */
static void
test_hidden_rows_wait (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) links = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *shown_before = NULL;
  DlDownloadRow *row;
  DlDownload *download;
  GtkWidget *list;
  GListModel *model;
  guint n_links = 40;
  guint position;

  dl_manager_set_max_concurrent (fixture->manager, n_links);
  dl_manager_set_max_per_host (fixture->manager, n_links);
  for (guint i = 0; i < n_links; i++)
    g_ptr_array_add (links, g_strdup_printf ("%shidden-%02u.bin?size=64m&rate=64k&seed=%u",
                                             fault_server_get_uri (fixture->server), i, 300 + i));
  g_ptr_array_add (links, NULL);
  g_assert_cmpuint (dl_window_add_links (fixture->window, (const char **) links->pdata), ==,
                    n_links);
  WAIT_FOR (count_in_state (fixture, DL_DOWNLOAD_STATE_DOWNLOADING) == n_links);

  list = ui_test_find_widget (GTK_WIDGET (fixture->window), GTK_TYPE_LIST_VIEW);
  WAIT_FOR ((row = find_hidden_row (list)) != NULL);
  download = g_object_ref (dl_download_row_get_download (row));
  shown_before = g_strdup (dl_download_row_get_status_text (row));

  /* Paused while out of sight: the row waits. */
  dl_download_pause (download);
  WAIT_FOR (dl_download_can_resume (download));
  g_assert_true (dl_download_row_get_download (row) == download);
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (row)));
  g_assert_cmpstr (dl_download_row_get_status_text (row), ==, shown_before);

  /* Nothing about the download changes any more: what the row shows once
   * in view, it learnt as it came into view. */
  model = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (list)));
  for (position = 0; position < g_list_model_get_n_items (model); position++)
    {
      g_autoptr(DlDownload) item = g_list_model_get_item (model, position);

      if (item == download)
        break;
    }
  gtk_widget_activate_action (list, "list.scroll-to-item", "u", position);
  WAIT_FOR ((row = dl_window_find_row (fixture->window, download)) != NULL &&
            gtk_widget_get_mapped (GTK_WIDGET (row)));
  g_assert_true (g_str_has_prefix (dl_download_row_get_status_text (row), "Paused"));
  g_assert_true (gtk_widget_get_visible (dl_download_row_get_button (row, "resume")));
  g_assert_false (gtk_widget_get_visible (dl_download_row_get_button (row, "pause")));
  ui_test_snap (GTK_WIDGET (fixture->window), "ui-hidden-row-in-view");

  g_object_unref (download);
}

/* Opens the app as `--demo` does: a scratch folder for its files, deleted
 * at exit with the demo's history. */
static void
open_demo_app (Fixture *fixture)
{
  g_autoptr(GVariantDict) options = g_variant_dict_new (NULL);
  g_autoptr(GError) error = NULL;
  int status = 0;

  fixture->store = dl_store_open (fixture->history, &error);
  g_assert_no_error (error);
  fixture->manager = dl_manager_new (fixture->store);
  dl_manager_load (fixture->manager, TRUE, &error);
  g_assert_no_error (error);

  fixture->app = dl_application_new ();
  g_application_set_application_id (G_APPLICATION (fixture->app), APP_ID ".TestDemo");
  g_application_set_flags (G_APPLICATION (fixture->app), G_APPLICATION_HANDLES_COMMAND_LINE);
  g_variant_dict_insert (options, "demo", "b", TRUE);
  g_signal_emit_by_name (fixture->app, "handle-local-options", options, &status);
  g_assert_cmpint (status, ==, -1);
  g_application_register (G_APPLICATION (fixture->app), NULL, &error);
  g_assert_no_error (error);
  dl_application_set_manager (fixture->app, fixture->manager);

  fixture->window = DL_WINDOW (dl_application_ensure_window (fixture->app));
  gtk_window_present (GTK_WINDOW (fixture->window));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (fixture->window)));
}

static GtkWidget *
find_action_row (GtkWidget  *widget,
                 const char *title)
{
  if (ADW_IS_ACTION_ROW (widget) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0)
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_action_row (child, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* In --demo, Preferences shows the folder the demo's files really go to,
 * and quitting with downloads running does not promise to resume them:
 * the demo's history and files are deleted at exit. */
static void
test_demo_truth (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "demo.bin?size=2m&seed=89&rate=128k");
  g_autofree char *demo_dir = NULL;
  DlDownload *download;
  GtkWindow *preferences;
  GtkWidget *folder_row;
  GtkWidget *dialog;
  const char *body;

  close_app (fixture);
  open_demo_app (fixture);
  demo_dir = g_strdup (dl_application_get_demo_dir (fixture->app));
  g_assert_nonnull (demo_dir);
  g_assert_true (g_file_test (demo_dir, G_FILE_TEST_IS_DIR));

  download = add_link (fixture, url);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING);
  g_assert_cmpstr (dl_download_get_output_dir (download), ==, demo_dir);

  /* The folder that Preferences names is the demo's, not the setting's. */
  preferences = dl_application_show_preferences (fixture->app);
  folder_row = find_action_row (GTK_WIDGET (preferences), "Download Folder");
  g_assert_nonnull (folder_row);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (folder_row)), ==, demo_dir);
  gtk_window_destroy (preferences);

  /* Quitting says what happens: the demo's downloads do not continue. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "quit", NULL);
  WAIT_FOR ((dialog = ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL);
  body = adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog));
  g_assert_nonnull (strstr (body, "1 demo download is still running"));
  g_assert_nonnull (strstr (body, "deleted when it quits"));
  g_assert_null (strstr (body, "continue"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "quit");
  WAIT_FOR (gtk_application_get_windows (GTK_APPLICATION (fixture->app)) == NULL);

  /* And it keeps its word. */
  close_app (fixture);
  g_assert_false (g_file_test (demo_dir, G_FILE_TEST_EXISTS));
}

/* The download folder is made on first use, 0700; one that cannot be made
 * says why and offers another, and adding works once it is fixed. */
static void
test_downloads_folder (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *fresh = g_build_filename (fixture->dir, "fresh", "Downloads", NULL);
  g_autofree char *blocker = g_build_filename (fixture->dir, "blocker", NULL);
  g_autofree char *blocked = g_build_filename (blocker, "Downloads", NULL);
  g_autofree char *url = link_for (fixture, "first.bin?size=4k&seed=90");
  g_autofree char *url2 = link_for (fixture, "second.bin?size=4k&seed=91");
  const char *links[] = { url2, NULL };
  GStatBuf st;
  DlDownload *download;
  AdwToast *toast;
  GtkWidget *title;

  g_settings_set_string (fixture->settings, "download-folder", fresh);
  download = add_link (fixture, url);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  g_assert_cmpint (g_stat (fresh, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  assert_file (download, 90, 4 * 1024);

  g_assert_true (g_file_set_contents (blocker, "mine", -1, NULL));
  g_settings_set_string (fixture->settings, "download-folder", blocked);
  g_assert_cmpuint (dl_window_add_links (fixture->window, links), ==, 0);
  toast = dl_window_get_last_toast (fixture->window);
  g_assert_nonnull (toast);
  title = adw_toast_get_custom_title (toast);
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (title)), "Not a directory"));
  g_assert_cmpstr (adw_toast_get_action_name (toast), ==, "app.preferences");
  ui_test_snap (GTK_WIDGET (fixture->window), "ui-folder-error");

  /* Fixed: it works. */
  g_assert_cmpint (g_unlink (blocker), ==, 0);
  g_assert_cmpuint (dl_window_add_links (fixture->window, links), ==, 1);
  download = find_download (fixture, url2);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  assert_file (download, 91, 4 * 1024);
}

/* Closing the window with downloads running offers to keep going without
 * it; the app then holds itself, shows its progress in a notification, and
 * opens its window again from there. */
static void
test_keep_in_background (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "background.bin?size=2m&seed=92&rate=512k");
  DlDownload *download = add_link (fixture, url);
  g_autofree char *app_id = NULL;
  GtkWidget *dialog;
  GVariant *notification;

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING);
  gtk_window_close (GTK_WINDOW (fixture->window));
  WAIT_FOR ((dialog = ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Keep Downloading?");
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (dialog), "quit"));
  respond (dialog, "background");

  WAIT_FOR (dl_application_get_in_background (fixture->app));
  WAIT_FOR (ui_test_find_toplevel (DL_TYPE_WINDOW) == NULL);
  fixture->window = NULL;
  g_assert_true (dl_download_state_is_active (dl_download_get_state (download)));

  if (serving_notifications)
    {
      g_autoptr(GVariant) buttons = NULL;
      g_autoptr(GVariant) info = NULL;
      const char *title = NULL;

      app_id = g_strdup (g_application_get_application_id (G_APPLICATION (fixture->app)));
      WAIT_FOR ((notification = find_notification (app_id, "background")) != NULL);
      g_variant_get (notification, "(&s&s@a{sv})", NULL, NULL, &info);
      g_variant_lookup (info, "title", "&s", &title);
      g_assert_cmpstr (title, ==, "Downloading in the Background");
      buttons = g_variant_lookup_value (info, "buttons", G_VARIANT_TYPE ("aa{sv}"));
      g_assert_nonnull (buttons);
      g_assert_cmpuint (g_variant_n_children (buttons), ==, 2);
    }

  /* Pause All from the notification. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "pause-all", NULL);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_PAUSED);

  /* Show: the window is back, and the app no longer holds itself. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "show-window", NULL);
  WAIT_FOR ((fixture->window = DL_WINDOW (ui_test_find_toplevel (DL_TYPE_WINDOW))) != NULL);
  g_assert_false (dl_application_get_in_background (fixture->app));
  g_assert_nonnull (dl_window_find_row (fixture->window, download));
}


static guint
count_toplevels (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();  /* transfer none */
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        n++;
    }
  return n;
}

/* Whether a task of the window's close request still runs. */
static gboolean
closing (void)
{
  g_autoptr(GPtrArray) tasks = bridge_loop_list_tasks (bridge_loop_get_default ());

  for (guint i = 0; i < tasks->len; i++)
    if (g_strcmp0 (bridge_task_get_name (g_ptr_array_index (tasks, i)), "close-request") == 0)
      return TRUE;
  return FALSE;
}

/* Closing the window while downloads run asks once, however often the
 * close is requested meanwhile; Cancel keeps the window and the downloads,
 * and the next close asks again. */
static void
test_close_asks_once (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "close.bin?size=2m&seed=95&rate=256k");
  DlDownload *download = add_link (fixture, url);
  GtkWidget *dialog;

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING);
  gtk_window_close (GTK_WINDOW (fixture->window));
  gtk_window_close (GTK_WINDOW (fixture->window));
  WAIT_FOR ((dialog = ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL);
  gtk_window_close (GTK_WINDOW (fixture->window));
  g_assert_cmpuint (count_toplevels (ADW_TYPE_MESSAGE_DIALOG), ==, 1);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Keep Downloading?");
  respond (dialog, "cancel");
  WAIT_FOR (ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) == NULL && !closing ());

  /* Asked again: the first close is over, and the window stayed. */
  gtk_window_close (GTK_WINDOW (fixture->window));
  WAIT_FOR ((dialog = ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL);
  g_assert_true (ui_test_find_toplevel (DL_TYPE_WINDOW) == GTK_WIDGET (fixture->window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (fixture->window)));
  g_assert_true (dl_download_state_is_active (dl_download_get_state (download)));
  respond (dialog, "cancel");
  WAIT_FOR (ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) == NULL && !closing ());
  g_assert_true (dl_download_state_is_active (dl_download_get_state (download)));
}

/* A server without ranges: the row says a pause restarts, and Pause asks
 * before throwing the bytes away. A server with ranges is never said to
 * lack them. */
static void
test_cannot_resume (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *url = link_for (fixture, "norange.bin?size=2m&seed=93&rate=256k&no_range=1");
  g_autofree char *ranged_url = link_for (fixture, "ranged.bin?size=2m&seed=94&rate=256k");
  DlDownload *download = add_link (fixture, url);
  DlDownload *ranged = add_link (fixture, ranged_url);
  DlDownloadRow *row = row_for (fixture, download);
  GtkWidget *dialog;

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING &&
            dl_download_get_bytes_received (download) > 0);
  WAIT_FOR (dl_download_get_state (ranged) == DL_DOWNLOAD_STATE_DOWNLOADING);
  g_assert_cmpint (dl_download_get_range_support (download), ==, DL_RANGE_SUPPORT_NO);
  g_assert_cmpint (dl_download_get_range_support (ranged), ==, DL_RANGE_SUPPORT_YES);
  g_assert_cmpstr (dl_download_row_get_host_text (row), ==,
                   "Cannot resume: pausing restarts from the beginning");
  g_assert_null (strstr (dl_download_row_get_host_text (row_for (fixture, ranged)), "Cannot"));
  ui_test_snap (GTK_WIDGET (fixture->window), "ui-cannot-resume");

  /* Pause asks; keeping it downloading loses nothing. */
  gtk_widget_activate_action (GTK_WIDGET (row), "row.pause", NULL);
  WAIT_FOR ((dialog = ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Pause and Start Over?");
  respond (dialog, "cancel");
  g_assert_true (dl_download_can_pause (download));

  /* Space asks too; Pause Anyway pauses. */
  gtk_widget_activate_action (GTK_WIDGET (row), "row.toggle", NULL);
  WAIT_FOR ((dialog = ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL);
  respond (dialog, "pause");
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_PAUSED);

  /* Quitting promises a resume only where the server grants one. */
  WAIT_FOR (dl_download_can_resume (download));
  dl_download_resume (download);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING);
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "quit", NULL);
  WAIT_FOR ((dialog = ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                            "1 of them cannot be resumed by its server"));
  respond (dialog, "cancel");

  /* The resumable one pauses at once. */
  gtk_widget_activate_action (GTK_WIDGET (row_for (fixture, ranged)), "row.pause", NULL);
  WAIT_FOR (dl_download_get_state (ranged) == DL_DOWNLOAD_STATE_PAUSED);
}

/* Runs in a child process: the locale is process-wide. */
static void
test_german (void)
{
  g_autoptr(DlManager) manager = NULL;
  g_autoptr(DlApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *left = NULL;
  DlWindow *window;
  GtkWidget *status;
  int minimum = 0;

  if (!ui_test_run_in_german (60))
    return;

  left = dl_format_time_left (120);
  g_assert_cmpstr (left, ==, "noch 2 Minuten");

  manager = dl_manager_new (NULL);
  app = ui_test_new_app (manager, "Test");

  window = DL_WINDOW (dl_application_ensure_window (app));
  gtk_window_present (GTK_WINDOW (window));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (window)));

  /* The empty page, from the .ui template. */
  status = ui_test_find_widget (GTK_WIDGET (window), ADW_TYPE_STATUS_PAGE);
  g_assert_nonnull (status);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, "Keine Downloads");
  ui_test_snap (GTK_WIDGET (window), "empty-de");

  /* Nothing in German makes the window wider than 360 px: the add card's
   * hint beside its buttons did (rows are checked by /downloader/window/narrow). */
  gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1,
                      &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);

  ui_test_finish_app (g_steal_pointer (&app));
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, setup, func, teardown)

int
main (int   argc,
      char *argv[])
{
  static const char *dirs[][2] = {
    { "HOME", "home" },
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_CACHE_HOME", "cache" },
    { "XDG_STATE_HOME", "state" },
  };
  int status;

  scratch_root = g_dir_make_tmp ("dl-test-ui-XXXXXX", NULL);
  g_assert (scratch_root != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (scratch_root, dirs[i][1], NULL);

      g_mkdir_with_parents (path, 0700);
      g_setenv (dirs[i][0], path, TRUE);
    }

  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  serve_notifications ();

  g_test_add_func ("/downloader/format/parse-links", test_parse_links);
  g_test_add_func ("/downloader/format/texts", test_format);
  g_test_add_func ("/downloader/window/new-destroy", test_window_new_destroy);
  ADD ("/downloader/window/rows-finalize", test_window_rows_finalize);
  ADD ("/downloader/window/add-three", test_add_three);
  ADD ("/downloader/window/clipboard", test_clipboard);
  ADD ("/downloader/row/pause-resume", test_pause_resume);
  ADD ("/downloader/row/failure-reason", test_failure_reason);
  ADD ("/downloader/preferences/live-limits", test_preferences_live);
  ADD ("/downloader/preferences/connections", test_preferences_connections);
  ADD ("/downloader/history/restore", test_history_restore);
  ADD ("/downloader/app/quit-resumes", test_quit_resumes);
  ADD ("/downloader/app/notification", test_notification);
  ADD ("/downloader/window/remove", test_remove_and_window_size);
  ADD ("/downloader/inspector/tasks", test_inspector);
  ADD ("/downloader/inspector/many", test_many);
  ADD ("/downloader/row/keep-still", test_rows_keep_still);
  ADD ("/downloader/row/cancel-undo", test_cancel_undo);
  ADD ("/downloader/row/remove-trash-undo", test_remove_trash_undo);
  ADD ("/downloader/row/click-selects", test_click_selects);
  ADD ("/downloader/row/file-missing", test_file_missing);
  ADD ("/downloader/window/subtitle-states", test_subtitle_states);
  ADD ("/downloader/window/disabled-actions", test_disabled_actions);
  ADD ("/downloader/row/visible-states", test_visible_states);
  ADD ("/downloader/row/menu-keys", test_row_menu_keys);
  ADD ("/downloader/row/open-errors", test_open_errors);
  ADD ("/downloader/window/no-empty-flash", test_no_empty_flash);
  ADD ("/downloader/window/narrow", test_narrow);
  ADD ("/downloader/window/downloads-folder", test_downloads_folder);
  ADD ("/downloader/app/keep-in-background", test_keep_in_background);
  ADD ("/downloader/app/close-asks-once", test_close_asks_once);
  ADD ("/downloader/row/cannot-resume", test_cannot_resume);
  ADD ("/downloader/row/open-missing", test_open_missing);
  ADD ("/downloader/app/demo-truth", test_demo_truth);
  ADD ("/downloader/window/long-list", test_long_list);
  ADD ("/downloader/window/hidden-rows-wait", test_hidden_rows_wait);
  g_test_add_func ("/downloader/i18n/german", test_german);

  status = g_test_run ();
  ui_test_remove_tree (scratch_root);
  g_free (scratch_root);
  return status;
}
