/* test-auth-dialog.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The app meets a server that asks for a password (the fault server's
 * auth=basic, which accepts alice / Pa55w0rd): the dialog a person
 * answers, the keyring it may fill (gnome-keyring-daemon on a private
 * bus), and a restart that goes on without asking. Every wait is a
 * condition with a generous deadline. */

#define G_LOG_DOMAIN "test-auth-dialog"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libbridge.h>
#include <locale.h>
#include <string.h>

#include "dl-application.h"
#include "dl-auth-dialog.h"
#include "dl-keyring.h"
#include "dl-screenshot.h"
#include "fault-server.h"
#include "ui-test-util.h"
#include "test-keyring-daemon.h"

#define PASSWORD "Pa55w0rd"
#define REALM "Fault Server"

static char *scratch_root;
static guint scratch_cases;

/* ---- a notification server ---------------------------------------------------------- */

/* The app notifies when a download ends with its window in the back: a
 * stand-in for the desktop's org.gtk.Notifications on the private bus
 * takes those, so that GIO does not warn about a missing server. */
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
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static GDBusConnection *notifications_bus;  /* kept: the name goes with it */

static void
serve_notifications (void)
{
  static const GDBusInterfaceVTable vtable = { notifications_method_cb, NULL, NULL };
  GDBusConnection *bus;
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  bus = notifications_bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_new_for_xml (ui_test_notifications_xml, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (bus, "/org/gtk/Notifications", info->interfaces[0],
                                     &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  /* Owned before the first app looks for it. */
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", "org.gtk.Notifications", 4),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  g_assert_no_error (error);
}

/* ---- the app ------------------------------------------------------------------------ */

typedef struct
{
  char          *dir;
  char          *downloads;
  char          *history;
  char          *host;        /* 127.0.0.1:PORT, as the keyring keys it */
  FaultServer   *server;
  DlStore       *store;
  DlManager     *manager;
  DlApplication *app;
  guint          dialogs_seen;
  gulong         toplevels_id;
} Fixture;

static void
toplevels_changed_cb (GListModel *toplevels,
                      guint       position,
                      guint       removed,
                      guint       added,
                      Fixture    *fixture)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (DL_IS_AUTH_DIALOG (window))
        fixture->dialogs_seen++;
    }
}

static void
open_app (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  GtkWindow *window;

  fixture->store = dl_store_open (fixture->history, &error);
  g_assert_no_error (error);
  fixture->manager = dl_manager_new (fixture->store);
  dl_manager_load (fixture->manager, TRUE, &error);
  g_assert_no_error (error);
  fixture->app = ui_test_new_app (fixture->manager, "AuthTest");
  window = dl_application_ensure_window (fixture->app);
  gtk_window_present (window);
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (window)));
}

static void
close_app (Fixture *fixture)
{
  if (fixture->app == NULL)
    return;
  ui_test_finish_app (g_steal_pointer (&fixture->app));
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

  fixture->server = fault_server_new_in_thread (FALSE, &error);
  g_assert_no_error (error);
  fixture->host = g_strdup_printf ("127.0.0.1:%u", fault_server_get_port (fixture->server));
  fixture->toplevels_id = g_signal_connect (gtk_window_get_toplevels (), "items-changed",
                                            G_CALLBACK (toplevels_changed_cb), fixture);
  open_app (fixture);
}

static void
teardown (Fixture       *fixture,
          gconstpointer  data)
{
  close_app (fixture);
  g_clear_signal_handler (&fixture->toplevels_id, gtk_window_get_toplevels ());
  g_clear_pointer (&fixture->server, fault_server_free);
  g_free (fixture->host);
  g_free (fixture->history);
  g_free (fixture->downloads);
  g_free (fixture->dir);
}

static DlAuthDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (DL_IS_AUTH_DIALOG (window) && gtk_widget_get_mapped (GTK_WIDGET (window)))
        return DL_AUTH_DIALOG (window);
    }
  return NULL;
}

static DlDownload *
add (Fixture    *fixture,
     const char *path_and_query)
{
  g_autofree char *url = g_strconcat (fault_server_get_uri (fixture->server), path_and_query,
                                      NULL);
  g_autoptr(GError) error = NULL;
  DlDownload *download = dl_manager_add_full (fixture->manager, url, fixture->downloads, NULL,
                                              &error);

  g_assert_no_error (error);
  return download;
}

/* Types into the dialog as a person would, then presses Enter in the
 * password entry. */
static void
answer (DlAuthDialog *dialog,
        const char   *user,
        const char   *password,
        gboolean      remember)
{
  gtk_editable_set_text (dl_auth_dialog_get_user_entry (dialog), user);
  gtk_editable_set_text (dl_auth_dialog_get_password_entry (dialog), password);
  gtk_check_button_set_active (dl_auth_dialog_get_remember_check (dialog), remember);
  g_signal_emit_by_name (dl_auth_dialog_get_password_entry (dialog), "activate");
}

static const char *
body_of (DlAuthDialog *dialog)
{
  return adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog));
}

/* ---- the keyring, from a task --------------------------------------------------------- */

typedef struct
{
  const char *host;
  char       *user;
  char       *password;
  gboolean    found;
} KeyringQuery;

static void
lookup_task (BridgeTask *task,
             gpointer    data)
{
  KeyringQuery *query = data;
  g_autoptr(GError) error = NULL;

  query->found = dl_keyring_lookup (query->host, REALM, &query->user, &query->password, &error);
  g_assert_no_error (error);
  bridge_task_return_boolean (task, TRUE);
}

/* Whether the keyring holds @user and @password for @host. */
static gboolean
keyring_holds (const char *host,
               const char *user,
               const char *password)
{
  KeyringQuery query = { host, NULL, NULL, FALSE };
  gboolean holds;

  g_assert_true (bridge_run (lookup_task, &query, NULL));
  holds = query.found && g_strcmp0 (query.user, user) == 0 &&
          g_strcmp0 (query.password, password) == 0;
  g_free (query.user);
  dl_password_free (query.password);
  return holds;
}

static gboolean
keyring_empty (const char *host)
{
  KeyringQuery query = { host, NULL, NULL, FALSE };

  g_assert_true (bridge_run (lookup_task, &query, NULL));
  g_free (query.user);
  dl_password_free (query.password);
  return !query.found;
}

static void
assert_file_lacks (const char *path,
                   const char *secret)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return;
  if (memmem (contents, len, secret, strlen (secret)) != NULL)
    g_error ("the password is in %s", path);
}

/* ---- tests ---------------------------------------------------------------------------- */

/* A 401 brings the dialog, naming the server; the person's answer fetches
 * the file; "Remember password" puts it in the keyring once the server
 * accepted it, and never in the history. */
static void
test_sign_in_and_remember (Fixture       *fixture,
                           gconstpointer  data)
{
  DlDownload *download = add (fixture, "s.bin?auth=basic&size=5000&seed=1");
  g_autofree char *history_wal = g_strconcat (fixture->history, "-wal", NULL);
  DlAuthDialog *dialog;

  WAIT_FOR ((dialog = find_dialog ()) != NULL);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Authentication Required");
  g_assert_nonnull (strstr (body_of (dialog), fixture->host));
  g_assert_nonnull (strstr (body_of (dialog), "“" REALM "”"));
  g_assert_null (strstr (body_of (dialog), "not accepted"));
  /* Nothing to send without a user name. */
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog),
                                                           DL_AUTH_DIALOG_RESPONSE_SIGN_IN));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) != NULL);

  gtk_editable_set_text (dl_auth_dialog_get_user_entry (dialog), "alice");
  gtk_editable_set_text (dl_auth_dialog_get_password_entry (dialog), PASSWORD);
  gtk_check_button_set_active (dl_auth_dialog_get_remember_check (dialog), TRUE);
  ui_test_snap (GTK_WIDGET (dialog), "auth-dialog");
  answer (dialog, "alice", PASSWORD, TRUE);

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  WAIT_FOR (keyring_holds (fixture->host, "alice", PASSWORD));
  g_assert_null (find_dialog ());
  g_assert_cmpuint (fixture->dialogs_seen, ==, 1);

  close_app (fixture);
  assert_file_lacks (fixture->history, PASSWORD);
  assert_file_lacks (history_wal, PASSWORD);
}

/* A download interrupted by quitting resumes in the next run with the
 * remembered password, without a question. */
static void
test_restart_uses_keyring (Fixture       *fixture,
                           gconstpointer  data)
{
  DlDownload *download = add (fixture, "r.bin?auth=basic&size=400k&rate=100k&seed=2");
  DlAuthDialog *dialog;
  gint64 id = dl_download_get_id (download);

  WAIT_FOR ((dialog = find_dialog ()) != NULL);
  answer (dialog, "alice", PASSWORD, TRUE);
  WAIT_FOR (dl_download_get_bytes_received (download) > 0);
  WAIT_FOR (keyring_holds (fixture->host, "alice", PASSWORD));

  /* Quit mid-download, and start again. */
  close_app (fixture);
  fixture->dialogs_seen = 0;
  open_app (fixture);
  download = dl_manager_lookup (fixture->manager, id);
  g_assert_nonnull (download);
  g_assert_cmpint (dl_download_get_bytes_received (download), >, 0);

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE);
  g_assert_cmpuint (fixture->dialogs_seen, ==, 0);
}

/* A refused password brings the dialog back, saying so; cancelling it
 * fails the download with the reason, and what was refused is not kept. */
static void
test_wrong_password_then_cancel (Fixture       *fixture,
                                 gconstpointer  data)
{
  DlDownload *download = add (fixture, "w.bin?auth=basic");
  const GError *error;
  DlAuthDialog *dialog;
  DlAuthDialog *again;

  WAIT_FOR ((dialog = find_dialog ()) != NULL);
  answer (dialog, "alice", "wrong", TRUE);

  WAIT_FOR (fixture->dialogs_seen == 2 && (again = find_dialog ()) != NULL);
  g_assert_nonnull (strstr (body_of (again), "not accepted"));
  /* The user name stays, the password is asked for again. */
  g_assert_cmpstr (gtk_editable_get_text (dl_auth_dialog_get_user_entry (again)), ==, "alice");
  g_assert_cmpstr (gtk_editable_get_text (dl_auth_dialog_get_password_entry (again)), ==, "");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (again), DL_AUTH_DIALOG_RESPONSE_CANCEL);

  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_FAILED);
  error = dl_download_get_error (download);
  g_assert_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_AUTH);
  g_assert_null (find_dialog ());
  g_assert_true (keyring_empty (fixture->host));
}

/* Pausing the download while the dialog is open takes the dialog away,
 * and the download is paused, not failed. */
static void
test_pause_closes_dialog (Fixture       *fixture,
                          gconstpointer  data)
{
  DlDownload *download = add (fixture, "p.bin?auth=basic");

  WAIT_FOR (find_dialog () != NULL);
  dl_download_pause (download);
  WAIT_FOR (find_dialog () == NULL);
  WAIT_FOR (dl_download_get_state (download) == DL_DOWNLOAD_STATE_PAUSED);
  g_assert_null (dl_download_get_error (download));
}

/* Several downloads from one server meet its 401 together: one question,
 * whose answer serves them all. */
static void
test_one_question_per_server (Fixture       *fixture,
                              gconstpointer  data)
{
  DlDownload *first = add (fixture, "one.bin?auth=basic&size=3000&seed=3");
  DlDownload *second = add (fixture, "two.bin?auth=basic&size=4000&seed=4");
  DlDownload *third = add (fixture, "three.bin?auth=basic&size=5000&seed=5");
  DlAuthDialog *dialog;

  WAIT_FOR ((dialog = find_dialog ()) != NULL);
  answer (dialog, "alice", PASSWORD, FALSE);

  WAIT_FOR (dl_download_get_state (first) == DL_DOWNLOAD_STATE_DONE &&
            dl_download_get_state (second) == DL_DOWNLOAD_STATE_DONE &&
            dl_download_get_state (third) == DL_DOWNLOAD_STATE_DONE);
  g_assert_cmpuint (fixture->dialogs_seen, ==, 1);
  /* Not asked to remember: the keyring stays empty. */
  g_assert_true (keyring_empty (fixture->host));
}

/* In German, in a child process (the locale is process-wide). */
static void
test_german (Fixture       *fixture,
             gconstpointer  data)
{
  DlAuthDialog *dialog;

  if (!ui_test_run_in_german (120))
    return;

  /* The app was opened before the switch: open a new one. */
  close_app (fixture);
  open_app (fixture);
  add (fixture, "g.bin?auth=basic");
  WAIT_FOR ((dialog = find_dialog ()) != NULL);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Anmeldung erforderlich");
  gtk_editable_set_text (dl_auth_dialog_get_user_entry (dialog), "alice");
  gtk_editable_set_text (dl_auth_dialog_get_password_entry (dialog), PASSWORD);
  ui_test_snap (GTK_WIDGET (dialog), "auth-dialog-de");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), DL_AUTH_DIALOG_RESPONSE_CANCEL);
  WAIT_FOR (find_dialog () == NULL);
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
  TestKeyringDaemon *keyring = NULL;
  int status;

  scratch_root = g_dir_make_tmp ("dl-test-auth-XXXXXX", NULL);
  g_assert (scratch_root != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (scratch_root, dirs[i][1], NULL);

      g_mkdir_with_parents (path, 0700);
      g_setenv (dirs[i][0], path, TRUE);
    }

  g_test_init (&argc, &argv, NULL);
  /* The child of the German case uses its parent's bus and keyring. */
  if (!g_test_subprocess ())
    {
      keyring = test_keyring_daemon_start ();
      serve_notifications ();
    }
  gtk_init ();
  adw_init ();

  ADD ("/downloader/auth-dialog/sign-in-and-remember", test_sign_in_and_remember);
  ADD ("/downloader/auth-dialog/restart-uses-keyring", test_restart_uses_keyring);
  ADD ("/downloader/auth-dialog/wrong-password-then-cancel", test_wrong_password_then_cancel);
  ADD ("/downloader/auth-dialog/pause-closes-dialog", test_pause_closes_dialog);
  ADD ("/downloader/auth-dialog/one-question-per-server", test_one_question_per_server);
  ADD ("/downloader/auth-dialog/german", test_german);

  status = g_test_run ();
  if (keyring != NULL)
    test_keyring_daemon_stop (keyring);
  g_clear_object (&notifications_bus);
  return status;
}
