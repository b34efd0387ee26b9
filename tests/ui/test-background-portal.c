/* test-background-portal.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Keeping downloads going without a window, inside Flatpak: the app asks
 * the Background portal (org.freedesktop.portal.Background) through GDBus
 * before it holds itself. A stand-in portal answers on a D-Bus session bus
 * of this process's own (GTestDBus), never the desktop's, and the app is
 * told it is sandboxed with the test-only BRIDGE_DOWNLOADER_TEST_FLATPAK_INFO
 * (see dl-background.c). Every wait is a condition with a generous
 * deadline. */

#define G_LOG_DOMAIN "test-background-portal"

#include "config.h"

#include <glib/gstdio.h>
#include <libbridge.h>
#include <string.h>

#include "dl-application.h"
#include "dl-window.h"
#include "fault-server.h"
#include "ui-test-util.h"

static char *scratch_root;
static guint scratch_cases;
static char *flatpak_info;

/* ---- the stand-in portal ------------------------------------------------------ */

/* What xdg-desktop-portal answers, on a connection of its own to the
 * private bus: RequestBackground returns the Request object's path, built
 * from the caller's name and handle_token as the portal documentation
 * says, and then that object emits Response. */
typedef struct
{
  GDBusConnection *connection;
  guint            portal_id;
  guint            portal_name_id;
  guint            notifications_name_id;
  guint            notifications_id;

  /* How the next request is answered. */
  guint32          response;        /* 0 granted, 1 cancelled by the user, 2 other */
  gboolean         grant;           /* the results' "background" */

  /* What the last request asked. */
  guint            n_requests;
  char            *parent_window;
  GVariant        *options;
  char            *handle;

  guint            n_notifications;
  char            *last_notification_id;
} FakePortal;

static FakePortal portal;

static const char portal_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.portal.Background'>"
  "    <method name='RequestBackground'>"
  "      <arg type='s' name='parent_window' direction='in'/>"
  "      <arg type='a{sv}' name='options' direction='in'/>"
  "      <arg type='o' name='handle' direction='out'/>"
  "    </method>"
  "  </interface>"
  "</node>";

static void
portal_method_cb (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *caller = NULL;
  GVariantBuilder results;
  const char *token = "t";

  portal.n_requests++;
  g_clear_pointer (&portal.parent_window, g_free);
  g_clear_pointer (&portal.options, g_variant_unref);
  g_clear_pointer (&portal.handle, g_free);
  g_variant_get (parameters, "(s@a{sv})", &portal.parent_window, &portal.options);
  g_variant_lookup (portal.options, "handle_token", "&s", &token);

  caller = g_strdup (sender + 1);
  g_strdelimit (caller, ".", '_');
  portal.handle = g_strdup_printf ("/org/freedesktop/portal/desktop/request/%s/%s", caller, token);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", portal.handle));

  g_variant_builder_init (&results, G_VARIANT_TYPE_VARDICT);
  if (portal.response == 0)
    g_variant_builder_add (&results, "{sv}", "background", g_variant_new_boolean (portal.grant));
  g_dbus_connection_emit_signal (connection, sender, portal.handle, "org.freedesktop.portal.Request",
                                 "Response", g_variant_new ("(ua{sv})", portal.response, &results),
                                 &error);
  g_assert_no_error (error);
}

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
    {
      portal.n_notifications++;
      g_free (portal.last_notification_id);
      g_variant_get (parameters, "(&ss@a{sv})", NULL, &portal.last_notification_id, NULL);
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  int *state = user_data;

  (*state)++;
}

static void
name_lost_cb (GDBusConnection *connection,
              const char      *name,
              gpointer         user_data)
{
  g_error ("The stand-in portal lost the name %s", name);
}

static guint
own_name (const char *name)
{
  static int owned;
  int before = owned;
  guint id;

  id = g_bus_own_name_on_connection (portal.connection, name, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                     name_acquired_cb, name_lost_cb, &owned, NULL);
  WAIT_FOR (owned == before + 1);
  return id;
}

/* The notification server goes up once; the portal only while a case
 * wants one. */
static void
fake_portal_connect (const char *address)
{
  static const GDBusInterfaceVTable vtable = { notifications_method_cb, NULL, NULL };
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  portal.connection = g_dbus_connection_new_for_address_sync (address,
                                                              G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                              G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                              NULL, NULL, &error);
  g_assert_no_error (error);

  info = g_dbus_node_info_new_for_xml (ui_test_notifications_xml, &error);
  g_assert_no_error (error);
  portal.notifications_id = g_dbus_connection_register_object (portal.connection, "/org/gtk/Notifications",
                                                               info->interfaces[0], &vtable, NULL, NULL,
                                                               &error);
  g_assert_no_error (error);
  portal.notifications_name_id = own_name ("org.gtk.Notifications");
}

static void
fake_portal_start (guint32  response,
                   gboolean grant)
{
  static const GDBusInterfaceVTable vtable = { portal_method_cb, NULL, NULL };
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  portal.response = response;
  portal.grant = grant;
  portal.n_requests = 0;

  info = g_dbus_node_info_new_for_xml (portal_xml, &error);
  g_assert_no_error (error);
  portal.portal_id = g_dbus_connection_register_object (portal.connection, "/org/freedesktop/portal/desktop",
                                                        info->interfaces[0], &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  portal.portal_name_id = own_name ("org.freedesktop.portal.Desktop");
}

static void
fake_portal_stop (void)
{
  /* Gone from the bus: the next case may have no portal at all. */
  g_clear_handle_id (&portal.portal_name_id, g_bus_unown_name);
  if (portal.portal_id != 0)
    g_dbus_connection_unregister_object (portal.connection, portal.portal_id);
  portal.portal_id = 0;
  g_clear_pointer (&portal.parent_window, g_free);
  g_clear_pointer (&portal.options, g_variant_unref);
  g_clear_pointer (&portal.handle, g_free);
  g_clear_pointer (&portal.last_notification_id, g_free);
  portal.n_notifications = 0;
}

/* ---- the app ------------------------------------------------------------------- */

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
  DlDownload    *download;
} Fixture;

/* A running download in a window on screen. */
static void
setup (Fixture       *fixture,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  const char *links[2] = { NULL, NULL };
  GListModel *model;

  fixture->dir = g_strdup_printf ("%s/case-%u", scratch_root, ++scratch_cases);
  fixture->downloads = g_build_filename (fixture->dir, "downloads", NULL);
  fixture->history = g_build_filename (fixture->dir, "history.sqlite", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fixture->downloads, 0700), ==, 0);

  fixture->settings = g_settings_new (DL_SETTINGS_SCHEMA_ID);
  g_settings_set_string (fixture->settings, "download-folder", fixture->downloads);

  fixture->server = fault_server_new_in_thread (FALSE, &error);
  g_assert_no_error (error);

  fixture->store = dl_store_open (fixture->history, &error);
  g_assert_no_error (error);
  fixture->manager = dl_manager_new (fixture->store);
  dl_manager_load (fixture->manager, TRUE, &error);
  g_assert_no_error (error);
  fixture->app = ui_test_new_app (fixture->manager, "PortalTest");
  fixture->window = DL_WINDOW (dl_application_ensure_window (fixture->app));
  gtk_window_present (GTK_WINDOW (fixture->window));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (fixture->window)));

  /* Slow enough to outlast the case. */
  url = g_strconcat (fault_server_get_uri (fixture->server), "portal.bin?size=64m&seed=93&rate=256k", NULL);
  links[0] = url;
  g_assert_cmpuint (dl_window_add_links (fixture->window, links), ==, 1);
  model = G_LIST_MODEL (fixture->manager);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  fixture->download = g_list_model_get_item (model, 0);
  WAIT_FOR (dl_download_get_state (fixture->download) == DL_DOWNLOAD_STATE_DOWNLOADING);
}

/* What the end of g_application_run() does: "shutdown" (the app stops the
 * downloads resumably there), after which nothing may hold the app. */
static void
teardown (Fixture       *fixture,
          gconstpointer  data)
{
  g_autoptr(GList) windows = NULL;
  GLogLevelFlags fatal;

  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (fixture->app)));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_destroy (l->data);
  g_signal_emit_by_name (fixture->app, "shutdown");
  WAIT_FOR (G_OBJECT (fixture->app)->ref_count == 1);
  /* GIO warns once that the application was never taken off D-Bus: only
   * g_application_run() does that. That warning, and only here, is not a
   * failure. */
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_assert_finalize_object (g_steal_pointer (&fixture->app));
  g_log_set_always_fatal (fatal);

  g_clear_object (&fixture->download);
  g_clear_object (&fixture->manager);
  dl_store_close (fixture->store);
  g_clear_object (&fixture->store);
  g_clear_pointer (&fixture->server, fault_server_free);
  g_clear_object (&fixture->settings);
  ui_test_remove_tree (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
  g_clear_pointer (&fixture->downloads, g_free);
  g_clear_pointer (&fixture->history, g_free);
  fake_portal_stop ();
  g_unsetenv ("BRIDGE_DOWNLOADER_TEST_FLATPAK_INFO");
}

/* Closes the window and answers the app's question with Keep Downloading
 * in the Background, as a click would. */
static void
close_to_background (Fixture *fixture)
{
  GtkWidget *dialog;

  gtk_window_close (GTK_WINDOW (fixture->window));
  WAIT_FOR ((dialog = ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==, "Keep Downloading?");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "background");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* The request the app made: no parent window, a token for the Request
 * object's path, a reason the portal can show, and no autostart. */
static void
assert_request_options (void)
{
  const char *token = NULL;
  const char *reason = NULL;
  gboolean autostart = TRUE;

  g_assert_cmpuint (portal.n_requests, ==, 1);
  g_assert_cmpstr (portal.parent_window, ==, "");
  g_assert_true (g_variant_lookup (portal.options, "handle_token", "&s", &token));
  g_assert_cmpuint (strlen (token), >, 0);
  /* A token is one element of an object path. */
  g_assert_true (strspn (token, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen (token));
  g_assert_true (g_variant_lookup (portal.options, "reason", "&s", &reason));
  g_assert_cmpstr (reason, ==, "Finish the downloads after the window is closed");
  g_assert_true (g_variant_lookup (portal.options, "autostart", "b", &autostart));
  g_assert_false (autostart);
}

/* A refusal is said in the window, which stays; the app does not hold
 * itself, and the download goes on. */
static void
assert_refused (Fixture    *fixture,
                const char *details)
{
  AdwToast *toast;
  GtkWidget *title;
  GtkWidget *dialog;

  WAIT_FOR ((toast = dl_window_get_last_toast (fixture->window)) != NULL);
  g_test_assert_expected_messages ();
  title = adw_toast_get_custom_title (toast);
  g_assert_true (GTK_IS_LABEL (title));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (title)), ==, "Downloads cannot continue without a window");

  /* Details tells why. */
  g_assert_cmpstr (adw_toast_get_button_label (toast), ==, "_Details");
  g_signal_emit_by_name (toast, "button-clicked");
  WAIT_FOR ((dialog = ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL);
  g_assert_true (g_str_has_prefix (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), details));
  gtk_window_destroy (GTK_WINDOW (dialog));

  g_assert_false (dl_application_get_in_background (fixture->app));
  g_assert_true (ui_test_find_toplevel (DL_TYPE_WINDOW) == GTK_WIDGET (fixture->window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (fixture->window)));
  g_assert_true (dl_download_state_is_active (dl_download_get_state (fixture->download)));
  g_assert_cmpuint (portal.n_notifications, ==, 0);
}

static void
expect_refusal_warning (void)
{
  g_test_expect_message ("dl-application", G_LOG_LEVEL_WARNING, "Cannot keep running in the background: *");
}

/* The user said no in the portal's dialog. */
static void
test_denied (Fixture       *fixture,
             gconstpointer  data)
{
  g_setenv ("BRIDGE_DOWNLOADER_TEST_FLATPAK_INFO", flatpak_info, TRUE);
  fake_portal_start (1, FALSE);
  expect_refusal_warning ();

  close_to_background (fixture);
  WAIT_FOR (portal.n_requests == 1);
  assert_request_options ();
  assert_refused (fixture, "The system did not allow Downloader to keep running without a window");
}

/* The portal answered, but without the permission: a refusal too. */
static void
test_answered_without_permission (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_setenv ("BRIDGE_DOWNLOADER_TEST_FLATPAK_INFO", flatpak_info, TRUE);
  fake_portal_start (0, FALSE);
  expect_refusal_warning ();

  close_to_background (fixture);
  WAIT_FOR (portal.n_requests == 1);
  assert_refused (fixture, "The system did not allow Downloader to keep running without a window");
}

/* Inside a sandbox with nobody serving the portal: said, not held. */
static void
test_no_portal (Fixture       *fixture,
                gconstpointer  data)
{
  g_setenv ("BRIDGE_DOWNLOADER_TEST_FLATPAK_INFO", flatpak_info, TRUE);
  expect_refusal_warning ();

  close_to_background (fixture);
  assert_refused (fixture, "No background portal answered: ");
}

/* Granted: the app holds itself, its window goes, and the progress
 * notification comes. */
static void
test_granted (Fixture       *fixture,
              gconstpointer  data)
{
  g_setenv ("BRIDGE_DOWNLOADER_TEST_FLATPAK_INFO", flatpak_info, TRUE);
  fake_portal_start (0, TRUE);

  close_to_background (fixture);
  WAIT_FOR (dl_application_get_in_background (fixture->app));
  assert_request_options ();
  WAIT_FOR (ui_test_find_toplevel (DL_TYPE_WINDOW) == NULL);
  fixture->window = NULL;
  WAIT_FOR (portal.n_notifications > 0);
  g_assert_cmpstr (portal.last_notification_id, ==, "background");
  g_assert_true (dl_download_state_is_active (dl_download_get_state (fixture->download)));
}

/* Outside a sandbox nobody is asked: the app holds itself at once. */
static void
test_outside_sandbox (Fixture       *fixture,
                      gconstpointer  data)
{
  fake_portal_start (1, FALSE);

  close_to_background (fixture);
  WAIT_FOR (dl_application_get_in_background (fixture->app));
  g_assert_cmpuint (portal.n_requests, ==, 0);
  WAIT_FOR (ui_test_find_toplevel (DL_TYPE_WINDOW) == NULL);
  fixture->window = NULL;
}

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)

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
    { "XDG_RUNTIME_DIR", "runtime" },
  };
  g_autoptr(GDBusConnection) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *display = NULL;
  GTestDBus *bus;
  int status;

  scratch_root = g_dir_make_tmp ("dl-test-portal-XXXXXX", NULL);
  g_assert (scratch_root != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (scratch_root, dirs[i][1], NULL);

      g_mkdir_with_parents (path, 0700);
      g_setenv (dirs[i][0], path, TRUE);
    }
  /* What Flatpak writes into a sandbox, in short. */
  flatpak_info = g_build_filename (scratch_root, "flatpak-info", NULL);
  g_file_set_contents (flatpak_info, "[Application]\nname=" APP_ID "\n", -1, &error);
  g_assert_no_error (error);

  g_test_init (&argc, &argv, NULL);

  /* The session bus of this process, before anything connects to one.
   * GTestDBus unsets DISPLAY (against X11 autolaunch of a bus), which GTK
   * needs back. */
  display = g_strdup (g_getenv ("DISPLAY"));
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  if (display != NULL)
    g_setenv ("DISPLAY", display, TRUE);
  fake_portal_connect (g_test_dbus_get_bus_address (bus));

  gtk_init ();
  adw_init ();

  ADD ("/downloader/background-portal/denied", test_denied);
  ADD ("/downloader/background-portal/answered-without-permission", test_answered_without_permission);
  ADD ("/downloader/background-portal/no-portal", test_no_portal);
  ADD ("/downloader/background-portal/granted", test_granted);
  ADD ("/downloader/background-portal/outside-sandbox", test_outside_sandbox);

  status = g_test_run ();

  g_clear_handle_id (&portal.notifications_name_id, g_bus_unown_name);
  g_dbus_connection_unregister_object (portal.connection, portal.notifications_id);
  g_clear_object (&portal.connection);
  /* Stopped, not taken down (nor finalized, which takes it down): the
   * session bus connection is a process-wide singleton that libadwaita
   * keeps for good, and taking the bus down waits for its end. */
  session = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  if (session != NULL)
    g_dbus_connection_set_exit_on_close (session, FALSE);
  g_test_dbus_stop (bus);
  ui_test_remove_tree (scratch_root);
  g_free (flatpak_info);
  g_free (scratch_root);
  return status;
}
