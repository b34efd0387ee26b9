/* test-preferences.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Speed limits, the maximum file size, pausing on metered networks and the
 * add card's Advanced options, driven through the real widgets of the
 * Downloader window under Xvfb, against loopback servers. Every wait is a
 * condition with a generous deadline, never a fixed time. */

#define G_LOG_DOMAIN "test-preferences"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <locale.h>
#include <string.h>

#include "dl-add-options.h"
#include "dl-application.h"
#include "dl-download-row.h"
#include "dl-limit-entry.h"
#include "dl-preferences-window.h"
#include "dl-screenshot.h"
#include "dl-window.h"
#include "fault-server.h"
#include "ui-test-util.h"
#include "../app/dl-fake-network-monitor.h"

static char *scratch_root;
static guint scratch_cases;

typedef struct
{
  char            *dir;
  char            *downloads;
  FaultServer     *server;
  DlManager       *manager;
  GNetworkMonitor *monitor;
  DlApplication   *app;
  DlWindow        *window;
  GSettings       *settings;
} Fixture;

/* The manager follows a fake network monitor, unmetered to begin with. */
static void
setup (Fixture       *fixture,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_strdup_printf ("%s/case-%u", scratch_root, ++scratch_cases);
  fixture->downloads = g_build_filename (fixture->dir, "downloads", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fixture->downloads, 0700), ==, 0);

  fixture->settings = g_settings_new (DL_SETTINGS_SCHEMA_ID);
  ui_test_reset_settings (fixture->settings);
  g_settings_set_string (fixture->settings, "download-folder", fixture->downloads);
  /* No desktop notification server here (test-ui.c has the tests that
   * need one). */
  g_settings_set_boolean (fixture->settings, "notify-on-completion", FALSE);

  fixture->server = fault_server_new_in_thread (FALSE, &error);
  g_assert_no_error (error);

  fixture->monitor = dl_fake_network_monitor_new (FALSE);
  fixture->manager = dl_manager_new (NULL);
  dl_manager_set_network_monitor (fixture->manager, fixture->monitor);
  fixture->app = ui_test_new_app (fixture->manager, "TestPrefs");
  fixture->window = DL_WINDOW (dl_application_ensure_window (fixture->app));
  gtk_window_present (GTK_WINDOW (fixture->window));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (fixture->window)));
}

static void
teardown (Fixture       *fixture,
          gconstpointer  data)
{
  fixture->window = NULL;
  ui_test_finish_app (g_steal_pointer (&fixture->app));
  WAIT_FOR (dl_manager_get_n_running (fixture->manager) == 0);
  /* A window destroyed may still be finishing a clipboard read. */
  WAIT_FOR (G_OBJECT (fixture->manager)->ref_count == 1);
  g_assert_finalize_object (g_steal_pointer (&fixture->manager));
  g_assert_finalize_object (g_steal_pointer (&fixture->monitor));
  g_clear_pointer (&fixture->server, fault_server_free);
  g_clear_object (&fixture->settings);
  ui_test_remove_tree (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
  g_clear_pointer (&fixture->downloads, g_free);
}

static DlDownload *
add_link (Fixture    *fixture,
          const char *path_and_query)
{
  g_autofree char *url = g_strconcat (fault_server_get_uri (fixture->server), path_and_query, NULL);
  const char *links[] = { url, NULL };
  GListModel *model = G_LIST_MODEL (fixture->manager);

  g_assert_cmpuint (dl_window_add_links (fixture->window, links), ==, 1);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);

      if (g_str_equal (dl_download_get_url (download), url))
        return download;
    }
  g_assert_not_reached ();
}

static DlPreferencesWindow *
show_preferences (Fixture *fixture)
{
  DlPreferencesWindow *prefs;

  prefs = DL_PREFERENCES_WINDOW (dl_application_show_preferences (fixture->app));
  /* Tall enough to show every group at once in the screenshots. */
  gtk_window_set_default_size (GTK_WINDOW (prefs), 600, 1000);
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (prefs)));
  return prefs;
}

/* ---- Preferences ------------------------------------------------------------ */

/* The global speed limit: "Unlimited" at first; a value typed with its unit
 * reaches the manager at once, also while a download runs (which goes on,
 * not restarted); "Unlimited" again lifts it. */
static void
test_rate_limit (Fixture       *fixture,
                 gconstpointer  data)
{
  DlPreferencesWindow *prefs;
  DlLimitEntry *entry;
  DlDownload *download;
  guint attempts;

  download = add_link (fixture, "global-limit.bin?size=4m&rate=256k&seed=1");
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING);
  attempts = dl_download_get_attempts (download);

  prefs = show_preferences (fixture);
  entry = DL_LIMIT_ENTRY (dl_preferences_window_get_control (prefs, "rate-limit"));
  g_assert_nonnull (entry);
  g_assert_cmpuint (dl_limit_entry_get_value (entry), ==, 0);
  g_assert_cmpuint (dl_manager_get_rate_limit (fixture->manager), ==, 0);

  dl_limit_entry_set_amount (entry, 64, 1);
  g_assert_cmpuint (dl_manager_get_rate_limit (fixture->manager), ==, 64000);
  g_assert_cmpuint (g_settings_get_uint64 (fixture->settings, "rate-limit"), ==, 64000);
  ui_test_snap (GTK_WIDGET (prefs), "prefs-preferences");

  dl_limit_entry_set_amount (entry, 2, 2);
  g_assert_cmpuint (dl_manager_get_rate_limit (fixture->manager), ==, 2000000);
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_DOWNLOADING);
  g_assert_cmpuint (dl_download_get_attempts (download), ==, attempts);

  /* A change made elsewhere (gsettings) shows in the entry too. */
  g_settings_set_uint64 (fixture->settings, "rate-limit", 5000000);
  g_assert_cmpuint (dl_limit_entry_get_value (entry), ==, 5000000);
  g_assert_cmpuint (dl_manager_get_rate_limit (fixture->manager), ==, 5000000);

  dl_limit_entry_set_amount (entry, 2, 0);
  g_assert_cmpuint (dl_manager_get_rate_limit (fixture->manager), ==, 0);

  gtk_window_destroy (GTK_WINDOW (prefs));
}

/* Maximum file size: "No limit" at first; a size set reaches the manager,
 * and a larger download fails. */
static void
test_max_file_size (Fixture       *fixture,
                    gconstpointer  data)
{
  DlPreferencesWindow *prefs = show_preferences (fixture);
  DlLimitEntry *entry = DL_LIMIT_ENTRY (dl_preferences_window_get_control (prefs, "max-file-size"));
  DlDownload *download;

  g_assert_cmpuint (dl_limit_entry_get_value (entry), ==, 0);
  g_assert_cmpint (dl_manager_get_max_file_size (fixture->manager), ==, 0);

  dl_limit_entry_set_amount (entry, 3, 2);
  g_assert_cmpint (dl_manager_get_max_file_size (fixture->manager), ==, 3000000000);

  dl_limit_entry_set_amount (entry, 1, 1);
  g_assert_cmpint (dl_manager_get_max_file_size (fixture->manager), ==, 1000000);
  gtk_window_destroy (GTK_WINDOW (prefs));

  download = add_link (fixture, "too-big.bin?size=2m&seed=2");
  WAIT_FOR (dl_download_is_finished (download));
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_FAILED);
}

/* Pause on metered networks: on by default, as in GNOME Software; the
 * switch turns it off in the manager. */
static void
test_metered_setting (Fixture       *fixture,
                      gconstpointer  data)
{
  DlPreferencesWindow *prefs = show_preferences (fixture);
  GtkSwitch *metered = GTK_SWITCH (dl_preferences_window_get_control (prefs, "pause-on-metered"));

  g_assert_true (gtk_switch_get_active (metered));
  g_assert_true (dl_manager_get_pause_on_metered (fixture->manager));

  gtk_switch_set_active (metered, FALSE);
  g_assert_false (dl_manager_get_pause_on_metered (fixture->manager));
  g_assert_false (g_settings_get_boolean (fixture->settings, "pause-on-metered"));

  gtk_window_destroy (GTK_WINDOW (prefs));
}

/* ---- the row ------------------------------------------------------------------ */

/* What a click on a response button does: the response, then the dialog
 * closes (adw_message_dialog_response() alone leaves it open). */
static void
respond (AdwMessageDialog *dialog,
         const char       *response)
{
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static AdwMessageDialog *
open_limit_dialog (Fixture       *fixture,
                   DlDownloadRow *row)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "row.limit-speed", NULL));
  WAIT_FOR (ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL);
  return ADW_MESSAGE_DIALOG (ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
}

/* Row menu → Limit Speed…: the dialog sets the download's own limit while
 * it runs, the row shows it beside the speed, and "No Limit" lifts it. */
static void
test_limit_speed_dialog (Fixture       *fixture,
                         gconstpointer  data)
{
  DlDownload *download = add_link (fixture, "own-limit.bin?size=4m&rate=256k&seed=3");
  DlDownloadRow *row = dl_window_find_row (fixture->window, download);
  AdwMessageDialog *dialog;
  DlLimitEntry *entry;

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING);

  dialog = open_limit_dialog (fixture, row);
  entry = DL_LIMIT_ENTRY (ui_test_find_widget (GTK_WIDGET (dialog), DL_TYPE_LIMIT_ENTRY));
  g_assert_nonnull (entry);
  g_assert_cmpuint (dl_limit_entry_get_value (entry), ==, 0);
  dl_limit_entry_set_amount (entry, 100, 1);
  ui_test_snap (GTK_WIDGET (dialog), "prefs-limit-dialog");
  respond (dialog, "set");
  WAIT_FOR (ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) == NULL);

  g_assert_cmpuint (dl_download_get_rate_limit (download), ==, 100000);
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_DOWNLOADING);
  /* g_format_size() keeps number and unit together with a no-break space. */
  WAIT_FOR (strstr (dl_download_row_get_status_text (row), "(max 100.0\u00a0kB/s)") != NULL);
  ui_test_snap (GTK_WIDGET (fixture->window), "prefs-row-limited");

  /* Cancel leaves it as it is; the dialog shows the limit set. */
  dialog = open_limit_dialog (fixture, row);
  entry = DL_LIMIT_ENTRY (ui_test_find_widget (GTK_WIDGET (dialog), DL_TYPE_LIMIT_ENTRY));
  g_assert_cmpuint (dl_limit_entry_get_value (entry), ==, 100000);
  dl_limit_entry_set_amount (entry, 1, 2);
  respond (dialog, "cancel");
  WAIT_FOR (ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) == NULL);
  g_assert_cmpuint (dl_download_get_rate_limit (download), ==, 100000);

  dialog = open_limit_dialog (fixture, row);
  entry = DL_LIMIT_ENTRY (ui_test_find_widget (GTK_WIDGET (dialog), DL_TYPE_LIMIT_ENTRY));
  dl_limit_entry_set_amount (entry, 1, 0);
  respond (dialog, "set");
  WAIT_FOR (ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) == NULL);
  g_assert_cmpuint (dl_download_get_rate_limit (download), ==, 0);
  WAIT_FOR (strstr (dl_download_row_get_status_text (row), "max") == NULL);
}

/* On a metered network the download waits and its row says why; the row's
 * button downloads anyway, and it finishes while still metered. */
static void
test_metered_download_anyway (Fixture       *fixture,
                              gconstpointer  data)
{
  DlDownload *download;
  DlDownloadRow *row;
  GtkWidget *button;

  dl_fake_network_monitor_set_metered (fixture->monitor, TRUE);
  download = add_link (fixture, "metered.bin?size=300k&seed=4");
  row = dl_window_find_row (fixture->window, download);

  WAIT_FOR (dl_download_get_metered_paused (download));
  WAIT_FOR (g_str_has_prefix (dl_download_row_get_status_text (row), "Paused: metered connection"));
  button = dl_download_row_get_button (row, "resume");
  WAIT_FOR (gtk_widget_get_visible (button) && gtk_widget_is_sensitive (button));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==, "row.download-anyway");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Download Anyway");
  ui_test_snap (GTK_WIDGET (fixture->window), "prefs-row-metered");

  gtk_widget_activate (button);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  g_assert_true (dl_download_get_allow_metered (download));
}

/* ---- the add card ------------------------------------------------------------- */

/* A loopback server that keeps the headers of the last request it got. */
typedef struct
{
  SoupServer         *server;
  SoupMessageHeaders *last_headers;
  guint               n_requests;
  char               *uri;
} HeaderServer;

static void
header_server_cb (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  HeaderServer *self = user_data;
  static const char body[] = "a body for the test of the Advanced options\n";

  g_clear_pointer (&self->last_headers, soup_message_headers_unref);
  self->last_headers = soup_message_headers_ref (soup_server_message_get_request_headers (msg));
  self->n_requests++;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC,
                                    body, sizeof body - 1);
}

static HeaderServer *
header_server_new (void)
{
  HeaderServer *self = g_new0 (HeaderServer, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;

  self->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (self->server, NULL, header_server_cb, self, NULL);
  soup_server_listen (self->server, address, 0, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (self->server);
  self->uri = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return self;
}

static void
header_server_free (HeaderServer *self)
{
  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_clear_pointer (&self->last_headers, soup_message_headers_unref);
  g_free (self->uri);
  g_free (self);
}

static void
set_text_view (GtkTextView *view,
               const char  *text)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (view), text, -1);
}

/* The add card's link box: the text view outside the Advanced options. */
static GtkTextView *
find_links_view (GtkWidget *widget)
{
  if (DL_IS_ADD_OPTIONS (widget))
    return NULL;
  if (GTK_IS_TEXT_VIEW (widget))
    return GTK_TEXT_VIEW (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkTextView *found = find_links_view (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static DlAddOptions *
open_add_card (Fixture *fixture)
{
  DlAddOptions *options;

  dl_window_set_add_open (fixture->window, TRUE);
  options = DL_ADD_OPTIONS (ui_test_find_widget (GTK_WIDGET (fixture->window), DL_TYPE_ADD_OPTIONS));
  g_assert_nonnull (options);
  gtk_expander_set_expanded (GTK_EXPANDER (ui_test_find_widget (GTK_WIDGET (options), GTK_TYPE_EXPANDER)), TRUE);
  return options;
}

/* Headers and a referer typed in the Advanced expander go with the
 * download's request. */
static void
test_advanced_headers (Fixture       *fixture,
                       gconstpointer  data)
{
  HeaderServer *server = header_server_new ();
  g_autofree char *url = g_strconcat (server->uri, "with-headers.bin", NULL);
  g_autofree char *referer = g_strconcat (server->uri, "page.html", NULL);
  DlAddOptions *options = open_add_card (fixture);
  GtkTextView *headers = GTK_TEXT_VIEW (ui_test_find_widget (GTK_WIDGET (options), GTK_TYPE_TEXT_VIEW));
  GtkEditable *referer_entry = GTK_EDITABLE (ui_test_find_widget (GTK_WIDGET (options), GTK_TYPE_ENTRY));
  GtkTextView *links = find_links_view (GTK_WIDGET (fixture->window));

  set_text_view (links, url);
  set_text_view (headers, "X-Token: secret-42\n\nAccept-Language:  de, en;q=0.5\n");
  gtk_editable_set_text (referer_entry, referer);
  ui_test_snap (GTK_WIDGET (fixture->window), "prefs-add-advanced");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.add-confirm", NULL));
  g_assert_null (dl_add_options_get_error (options));
  WAIT_FOR (server->n_requests > 0);
  g_assert_cmpstr (soup_message_headers_get_one (server->last_headers, "X-Token"), ==, "secret-42");
  g_assert_cmpstr (soup_message_headers_get_one (server->last_headers, "Accept-Language"), ==,
                   "de, en;q=0.5");
  g_assert_cmpstr (soup_message_headers_get_one (server->last_headers, "Referer"), ==, referer);
  g_assert_false (dl_window_get_add_open (fixture->window));

  WAIT_FOR (g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)) == 1 &&
            dl_manager_get_n_running (fixture->manager) == 0);
  header_server_free (server);
}

/* A header line that is not "Name: value" is shown under the headers,
 * naming the line, and nothing is added until it is fixed. */
static void
test_advanced_invalid_header (Fixture       *fixture,
                              gconstpointer  data)
{
  HeaderServer *server = header_server_new ();
  g_autofree char *url = g_strconcat (server->uri, "bad-header.bin", NULL);
  DlAddOptions *options = open_add_card (fixture);
  GtkTextView *headers = GTK_TEXT_VIEW (ui_test_find_widget (GTK_WIDGET (options), GTK_TYPE_TEXT_VIEW));
  GtkTextView *links = find_links_view (GTK_WIDGET (fixture->window));

  set_text_view (links, url);
  set_text_view (headers, "X-Fine: yes\nno colon here\n");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.add-confirm", NULL));
  g_assert_cmpstr (dl_add_options_get_error (options), ==, "Line 2: write a header as “Name: value”");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)), ==, 0);
  g_assert_true (dl_window_get_add_open (fixture->window));
  ui_test_snap (GTK_WIDGET (fixture->window), "prefs-add-error");

  /* Headers the engine sets itself are refused the same way. */
  set_text_view (headers, "Range: bytes=0-10\n");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.add-confirm", NULL));
  g_assert_cmpstr (dl_add_options_get_error (options), ==, "Line 1: Downloader sets “Range” itself");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)), ==, 0);

  set_text_view (headers, "X-Fine: yes\n");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.add-confirm", NULL));
  g_assert_null (dl_add_options_get_error (options));
  WAIT_FOR (server->n_requests > 0);
  g_assert_cmpstr (soup_message_headers_get_one (server->last_headers, "X-Fine"), ==, "yes");
  WAIT_FOR (dl_manager_get_n_running (fixture->manager) == 0);
  header_server_free (server);
}

/* A cookies.txt chosen in the expander: its matching cookie goes with the
 * request. */
static void
test_advanced_cookies (Fixture       *fixture,
                       gconstpointer  data)
{
  HeaderServer *server = header_server_new ();
  g_autofree char *url = g_strconcat (server->uri, "with-cookies.bin", NULL);
  g_autofree char *path = g_build_filename (fixture->dir, "cookies.txt", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  DlAddOptions *options = open_add_card (fixture);
  GtkTextView *links = find_links_view (GTK_WIDGET (fixture->window));
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path,
                       "# Netscape HTTP Cookie File\n"
                       "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc123\n",
                       -1, &error);
  g_assert_no_error (error);
  set_text_view (links, url);
  dl_add_options_set_cookies_file (options, file);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.add-confirm", NULL));
  g_assert_null (dl_add_options_get_error (options));
  WAIT_FOR (server->n_requests > 0);
  g_assert_cmpstr (soup_message_headers_get_one (server->last_headers, "Cookie"), ==, "session=abc123");
  WAIT_FOR (dl_manager_get_n_running (fixture->manager) == 0);
  header_server_free (server);
}

/* A link already in the list, added again with Advanced options: once
 * "Download Again?" is answered, the second download carries them too. */
static void
test_advanced_download_again (Fixture       *fixture,
                              gconstpointer  data)
{
  HeaderServer *server = header_server_new ();
  g_autofree char *url = g_strconcat (server->uri, "twice.bin", NULL);
  DlAddOptions *options = open_add_card (fixture);
  GtkTextView *headers = GTK_TEXT_VIEW (ui_test_find_widget (GTK_WIDGET (options), GTK_TYPE_TEXT_VIEW));
  GtkTextView *links = find_links_view (GTK_WIDGET (fixture->window));
  AdwMessageDialog *dialog;

  set_text_view (links, url);
  set_text_view (headers, "X-Token: first\n");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.add-confirm", NULL));
  WAIT_FOR (server->n_requests == 1 && dl_manager_get_n_running (fixture->manager) == 0);

  options = open_add_card (fixture);
  headers = GTK_TEXT_VIEW (ui_test_find_widget (GTK_WIDGET (options), GTK_TYPE_TEXT_VIEW));
  links = find_links_view (GTK_WIDGET (fixture->window));
  set_text_view (links, url);
  set_text_view (headers, "X-Token: second\n");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.add-confirm", NULL));
  WAIT_FOR (ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL);
  dialog = ADW_MESSAGE_DIALOG (ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Download Again?");
  respond (dialog, "again");

  WAIT_FOR (server->n_requests == 2 &&
            g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)) == 2 &&
            dl_manager_get_n_running (fixture->manager) == 0);
  g_assert_cmpstr (soup_message_headers_get_one (server->last_headers, "X-Token"), ==, "second");
  header_server_free (server);
}

/* ---- German ---------------------------------------------------------------------- */

/* Runs in a child process: the locale is process-wide. The new controls
 * are translated, and the add card with its Advanced options open still
 * fits 360 px. */
static void
test_german (void)
{
  g_autoptr(DlManager) manager = NULL;
  g_autoptr(DlApplication) app = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GNetworkMonitor) monitor = NULL;
  const char *links[] = { "http://127.0.0.1:9/metered.iso", NULL };
  DlPreferencesWindow *prefs;
  DlDownload *download;
  DlDownloadRow *row;
  GtkWidget *dialog;
  DlWindow *window;
  DlAddOptions *options;
  GtkWidget *expander;
  int minimum = 0;

  if (!ui_test_run_in_german (120))
    return;

  settings = g_settings_new (DL_SETTINGS_SCHEMA_ID);
  ui_test_reset_settings (settings);
  g_settings_set_int (settings, "window-width", 360);
  g_settings_set_int (settings, "window-height", 640);

  /* A metered network: the download waits, and never reaches its port. */
  monitor = dl_fake_network_monitor_new (TRUE);
  manager = dl_manager_new (NULL);
  dl_manager_set_network_monitor (manager, monitor);
  app = ui_test_new_app (manager, "TestPrefs");
  window = DL_WINDOW (dl_application_ensure_window (app));
  gtk_window_present (GTK_WINDOW (window));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (window)));

  g_assert_cmpuint (dl_window_add_links (window, links), ==, 1);
  download = g_list_model_get_item (G_LIST_MODEL (manager), 0);
  g_object_unref (download);
  row = dl_window_find_row (window, download);
  WAIT_FOR (g_str_has_prefix (dl_download_row_get_status_text (row), "Angehalten: getaktete Verbindung"));
  ui_test_snap (GTK_WIDGET (window), "prefs-row-metered-360-de");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "row.limit-speed", NULL));
  WAIT_FOR ((dialog = ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Geschwindigkeit begrenzen");
  WAIT_FOR (gtk_widget_get_width (adw_message_dialog_get_extra_child (ADW_MESSAGE_DIALOG (dialog))) > 0);
  ui_test_snap (dialog, "prefs-limit-dialog-de");
  gtk_window_destroy (GTK_WINDOW (dialog));

  dl_window_set_add_open (window, TRUE);
  options = DL_ADD_OPTIONS (ui_test_find_widget (GTK_WIDGET (window), DL_TYPE_ADD_OPTIONS));
  expander = ui_test_find_widget (GTK_WIDGET (options), GTK_TYPE_EXPANDER);
  g_assert_cmpstr (gtk_expander_get_label (GTK_EXPANDER (expander)), ==, "_Erweitert");
  gtk_expander_set_expanded (GTK_EXPANDER (expander), TRUE);
  gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1,
                      &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);
  ui_test_snap (GTK_WIDGET (window), "prefs-add-advanced-360-de");

  prefs = DL_PREFERENCES_WINDOW (dl_application_show_preferences (app));
  gtk_window_set_default_size (GTK_WINDOW (prefs), 600, 1000);
  ui_test_snap (GTK_WIDGET (prefs), "prefs-preferences-de");
  gtk_window_destroy (GTK_WINDOW (prefs));

  ui_test_finish_app (g_steal_pointer (&app));
}

/* The English add card at 360 px, for reviewers (German: above). */
static void
test_narrow (Fixture       *fixture,
             gconstpointer  data)
{
  int minimum = 0;

  open_add_card (fixture);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 360, 640);
  gtk_widget_measure (GTK_WIDGET (fixture->window), GTK_ORIENTATION_HORIZONTAL, -1,
                      &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);
  WAIT_FOR (gtk_widget_get_width (GTK_WIDGET (fixture->window)) <= 360);
  ui_test_snap (GTK_WIDGET (fixture->window), "prefs-add-advanced-360");
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

  scratch_root = g_dir_make_tmp ("dl-test-prefs-XXXXXX", NULL);
  g_assert (scratch_root != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (scratch_root, dirs[i][1], NULL);

      g_mkdir_with_parents (path, 0700);
      g_setenv (dirs[i][0], path, TRUE);
    }
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();

  ADD ("/downloader/preferences/rate-limit", test_rate_limit);
  ADD ("/downloader/preferences/max-file-size", test_max_file_size);
  ADD ("/downloader/preferences/pause-on-metered", test_metered_setting);
  ADD ("/downloader/row/limit-speed-dialog", test_limit_speed_dialog);
  ADD ("/downloader/row/metered-download-anyway", test_metered_download_anyway);
  ADD ("/downloader/add-card/advanced-headers", test_advanced_headers);
  ADD ("/downloader/add-card/advanced-invalid-header", test_advanced_invalid_header);
  ADD ("/downloader/add-card/advanced-cookies", test_advanced_cookies);
  ADD ("/downloader/add-card/advanced-download-again", test_advanced_download_again);
  ADD ("/downloader/add-card/narrow", test_narrow);
  g_test_add_func ("/downloader/i18n/german-preferences", test_german);

  status = g_test_run ();
  ui_test_remove_tree (scratch_root);
  g_free (scratch_root);
  return status;
}
