/* dl-application.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-application"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <libbridge.h>
#include <libsoup/soup.h>

#include "dl-add-downloads-action.h"
#include "dl-app-credentials.h"
#include "dl-application.h"
#include "dl-background.h"
#include "dl-demo.h"
#include "dl-format.h"
#include "dl-inspector-window.h"
#include "dl-preferences-window.h"
#include "dl-screenshot.h"
#include "dl-window.h"

/* Quitting waits this long at most for the downloads to record where they
 * stopped; they flush as they go, so even a cut-off wait loses nothing. */
#define SHUTDOWN_TIMEOUT_USEC  (5 * G_USEC_PER_SEC)

/* --screenshot waits until every download is somewhere stable for this
 * long, or gives up waiting at the deadline and takes the picture anyway. */
#define SETTLE_USEC            (1500 * 1000)
#define SETTLE_DEADLINE_USEC   (30 * G_USEC_PER_SEC)

/* The demo serves everything from 127.0.0.1: one host. */
#define DEMO_MIN_PER_HOST      8
#define DEMO_MIN_CONCURRENT    8

struct _DlApplication
{
  AdwApplication  parent_instance;

  /* Owned References */
  DlManager      *manager;
  GSettings      *settings;
  DlDemo         *demo;
  char           *demo_dir;
  char           *screenshot_path;
  GPtrArray      *pending_errors;
  DlBackground   *background;

  /* Borrowed References (weak pointers) */
  GtkWindow      *inspector;
  GtkWindow      *preferences;

  gulong          n_running_handler;
  guint           sigint_id;
  guint           sigterm_id;
  guint           quit_timeout_id;
  guint           settle_id;
  gint64          settle_deadline;
  gint64          settled_since;
  int             exit_status;

  guint           demo_mode : 1;
  guint           quitting : 1;
  guint           screenshot_taken : 1;
};

G_DEFINE_FINAL_TYPE (DlApplication, dl_application, ADW_TYPE_APPLICATION)

static const GOptionEntry main_entries[] = {
  { "demo", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Start a local demo server and queue sample downloads"), NULL },
  { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Save a PNG of the window once the downloads settle, then quit"), N_("FILE") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Show the version and quit"), NULL },
  { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL, NULL, N_("[URL…]") },
  { NULL }
};

static DlWindow *
find_main_window (DlApplication *self)
{
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (DL_IS_WINDOW (active))
    return DL_WINDOW (active);

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (DL_IS_WINDOW (l->data))
      return DL_WINDOW (l->data);

  return NULL;
}

/* ---- settings → engine ---------------------------------------------------------- */

static void
apply_settings (DlApplication *self)
{
  g_autofree char *folder = NULL;
  guint per_host, concurrent;

  if (self->manager == NULL || self->settings == NULL)
    return;

  folder = g_settings_get_string (self->settings, "download-folder");
  per_host = g_settings_get_uint (self->settings, "per-host-limit");
  concurrent = g_settings_get_uint (self->settings, "max-concurrent");

  if (self->demo_mode)
    {
      /* Demo files go to a scratch folder, and all come from one host. */
      g_free (folder);
      folder = g_strdup (self->demo_dir);
      per_host = MAX (per_host, DEMO_MIN_PER_HOST);
      concurrent = MAX (concurrent, DEMO_MIN_CONCURRENT);
    }

  if (folder == NULL || folder[0] == '\0')
    {
      const char *xdg = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);

      g_free (folder);
      folder = xdg != NULL ? g_strdup (xdg) : g_build_filename (g_get_home_dir (), "Downloads", NULL);
    }
  dl_manager_set_output_dir (self->manager, folder);

  dl_manager_set_max_concurrent (self->manager, concurrent);
  dl_manager_set_max_per_host (self->manager, per_host);
  dl_manager_set_connections (self->manager, g_settings_get_uint (self->settings, "connections"));
  dl_manager_set_max_retries (self->manager, g_settings_get_uint (self->settings, "max-retries"));
  dl_manager_set_idle_timeout (self->manager, g_settings_get_uint (self->settings, "idle-timeout"));
  dl_manager_set_rate_limit (self->manager, g_settings_get_uint64 (self->settings, "rate-limit"));
  dl_manager_set_max_file_size (self->manager,
                                (gint64) MIN (g_settings_get_uint64 (self->settings, "max-file-size"),
                                              (guint64) G_MAXINT64));
  dl_manager_set_pause_on_metered (self->manager,
                                   g_settings_get_boolean (self->settings, "pause-on-metered"));
}

/* ---- notifications ------------------------------------------------------------- */

static void
download_state_cb (DlApplication *self,
                   GParamSpec    *pspec,
                   DlDownload    *download)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *name = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *id = NULL;
  DlDownloadState state = dl_download_get_state (download);
  GtkWindow *window;

  if (state != DL_DOWNLOAD_STATE_DONE && state != DL_DOWNLOAD_STATE_FAILED)
    return;
  if (self->settings == NULL || !g_settings_get_boolean (self->settings, "notify-on-completion"))
    return;

  /* Someone looking at the window sees the row change; no need to shout. */
  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window != NULL && gtk_window_is_active (window))
    {
      g_debug ("Not notifying: a window of the app has the focus");
      return;
    }

  name = dl_format_display_name (download);
  if (state == DL_DOWNLOAD_STATE_DONE)
    {
      notification = g_notification_new (_("Download Finished"));
      g_notification_set_body (notification, name);
    }
  else
    {
      g_autofree char *body = NULL;

      reason = dl_format_reason (download);
      notification = g_notification_new (_("Download Failed"));
      /* Translators: notification body, "file.zip: The server cannot be reached" */
      body = reason != NULL ? g_strdup_printf (_("%s: %s"), name, reason) : g_strdup (name);
      g_notification_set_body (notification, body);
    }

  g_notification_set_default_action_and_target (notification, "app.show-download", "x",
                                                dl_download_get_id (download));
  g_notification_add_button_with_target (notification, _("Show"), "app.show-download", "x",
                                         dl_download_get_id (download));

  id = g_strdup_printf ("download-%" G_GINT64_FORMAT, dl_download_get_id (download));
  g_debug ("Notifying %s: %s", id, name);
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

static void
watch_downloads (DlApplication *self,
                 guint          position,
                 guint          n_added)
{
  for (guint i = position; i < position + n_added; i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (G_LIST_MODEL (self->manager), i);

      g_signal_connect_object (download, "notify::state", G_CALLBACK (download_state_cb), self,
                               G_CONNECT_SWAPPED);
    }
}

static void
manager_items_changed_cb (DlApplication *self,
                          guint          position,
                          guint          removed,
                          guint          added,
                          GListModel    *model)
{
  watch_downloads (self, position, added);
}

/* ---- quitting ----------------------------------------------------------------- */

static void
finish_quit (DlApplication *self)
{
  g_autoptr(GList) windows = NULL;

  if (self->n_running_handler != 0 && self->manager != NULL)
    g_clear_signal_handler (&self->n_running_handler, self->manager);
  g_clear_handle_id (&self->quit_timeout_id, g_source_remove);

  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_destroy (l->data);

  g_application_release (G_APPLICATION (self));
  g_application_quit (G_APPLICATION (self));
}

static void
n_running_cb (DlApplication *self,
              GParamSpec    *pspec,
              DlManager     *manager)
{
  if (dl_manager_get_n_running (manager) == 0)
    finish_quit (self);
}

static gboolean
quit_timeout_cb (gpointer user_data)
{
  DlApplication *self = user_data;

  self->quit_timeout_id = 0;
  g_warning ("Downloads did not stop in time; quitting anyway");
  finish_quit (self);
  return G_SOURCE_REMOVE;
}

/* Stops every download resumably (each records how far it got, and comes
 * back at the next start), then quits. */
static void
really_quit (DlApplication *self)
{
  if (self->quitting)
    return;
  self->quitting = TRUE;

  g_application_hold (G_APPLICATION (self));

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (DL_IS_WINDOW (l->data))
      dl_window_save_state (l->data);

  if (self->demo != NULL)
    dl_demo_stop (self->demo);

  if (self->manager == NULL || dl_manager_get_n_running (self->manager) == 0)
    {
      finish_quit (self);
      return;
    }

  self->n_running_handler = g_signal_connect_swapped (self->manager, "notify::n-running",
                                                      G_CALLBACK (n_running_cb), self);
  self->quit_timeout_id = g_timeout_add (SHUTDOWN_TIMEOUT_USEC / 1000, quit_timeout_cb, self);
  dl_manager_shutdown (self->manager);
}

static void
quit_response_cb (AdwMessageDialog *dialog,
                  const char       *response,
                  DlApplication    *self)
{
  if (g_strcmp0 (response, "quit") == 0)
    really_quit (self);
}

/* A promise to continue where it stopped holds only for downloads whose
 * server grants ranges: the others are named. */
static void
append_restart_note (DlApplication    *self,
                     AdwMessageDialog *dialog)
{
  GListModel *model = G_LIST_MODEL (self->manager);
  g_autofree char *note = NULL;
  g_autofree char *body = NULL;
  guint n_restart = 0;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);

      if (dl_download_state_is_active (dl_download_get_state (download)) &&
          dl_download_get_range_support (download) == DL_RANGE_SUPPORT_NO)
        n_restart++;
    }
  if (n_restart == 0)
    return;

  note = g_strdup_printf (ngettext ("%u of them cannot be resumed by its server and will "
                                    "start from the beginning.",
                                    "%u of them cannot be resumed by their servers and will "
                                    "start from the beginning.",
                                    n_restart),
                          n_restart);
  /* Translators: two sentences of a dialog's text, one after the other */
  body = g_strdup_printf (_("%s %s"), adw_message_dialog_get_body (dialog), note);
  adw_message_dialog_set_body (dialog, body);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  DlApplication *self = user_data;
  DlWindow *window = find_main_window (self);
  AdwMessageDialog *dialog;
  guint n_active;

  if (self->quitting)
    return;

  n_active = self->manager != NULL ? dl_manager_get_n_active (self->manager) : 0;
  if (n_active == 0 || window == NULL || self->screenshot_path != NULL)
    {
      really_quit (self);
      return;
    }

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (window),
                                                       _("Stop Downloads?"), NULL));
  if (self->demo_mode)
    /* The demo's history and files go with its scratch folder at exit:
     * nothing would continue. */
    adw_message_dialog_format_body (dialog,
                                    ngettext ("%u demo download is still running. The demo’s "
                                              "files and history are deleted when it quits.",
                                              "%u demo downloads are still running. The demo’s "
                                              "files and history are deleted when it quits.",
                                              n_active),
                                    n_active);
  else
    adw_message_dialog_format_body (dialog,
                                    ngettext ("%u download is still running. It will continue "
                                              "where it stopped the next time you open Downloader.",
                                              "%u downloads are still running. They will continue "
                                              "where they stopped the next time you open "
                                              "Downloader.",
                                              n_active),
                                    n_active);
  if (!self->demo_mode)
    append_restart_note (self, dialog);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Keep Downloading"),
                                    "quit", _("_Stop and Quit"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "quit", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "quit");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (quit_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
background_allowed_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(DlApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) windows = NULL;
  DlWindow *window;

  if (self->background == NULL)
    return;

  if (!dl_background_request_finish (self->background, result, &error))
    {
      g_warning ("Cannot keep running in the background: %s", error->message);
      window = find_main_window (self);
      if (window != NULL)
        dl_window_show_error (window, _("Downloads cannot continue without a window"),
                              error->message);
      return;
    }

  /* Held first: with the last window gone, nothing else keeps the app. */
  dl_background_enter (self->background);
  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (GList *l = windows; l != NULL; l = l->next)
    {
      if (DL_IS_WINDOW (l->data))
        dl_window_save_state (l->data);
      gtk_window_destroy (l->data);
    }
}

/* Keeps the closing dialog's answer for the task that awaits it. */
static void
record_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  char **answer = user_data;

  g_free (*answer);
  *answer = g_strdup (response);
}

/* Presenting realizes the dialog (its renderer, perhaps GL), which nests
 * deeply: from the loop's own stack rather than the task's. */
static void
present_dialog (gpointer dialog)
{
  gtk_window_present (dialog);
}

/**
 * dl_application_confirm_close:
 * @self: a #DlApplication
 * @window: the main window being closed
 *
 * In the task of the window's close request: closing the main window quits,
 * asking first when downloads are running, and awaiting the answer while the
 * window stays. Quitting and going on in the background then take the
 * windows away themselves; cancelling the task (the window gone meanwhile)
 * takes the question away.
 *
 * Returns: %TRUE if @window may close now
 */
gboolean
dl_application_confirm_close (DlApplication *self,
                              GtkWindow     *window)
{
  g_autoptr(AdwMessageDialog) dialog = NULL;
  g_autoptr(BridgeHandle) present = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;
  BridgeTask *task = bridge_task_get_current ();
  gulong recorder;
  guint n_active;

  g_return_val_if_fail (DL_IS_APPLICATION (self), TRUE);
  g_return_val_if_fail (task != NULL, TRUE);

  if (self->quitting || (self->background != NULL && dl_background_is_active (self->background)))
    return TRUE;

  n_active = self->manager != NULL ? dl_manager_get_n_active (self->manager) : 0;
  if (n_active == 0 || self->screenshot_path != NULL || self->demo_mode)
    {
      g_action_group_activate_action (G_ACTION_GROUP (self), "quit", NULL);
      return FALSE;
    }

  dialog = g_object_ref (ADW_MESSAGE_DIALOG (adw_message_dialog_new (window,
                                                                     _("Keep Downloading?"),
                                                                     NULL)));
  adw_message_dialog_format_body (dialog,
                                  ngettext ("%u download is still running. Downloader can finish "
                                            "it without a window, or stop now and continue the "
                                            "next time you open it.",
                                            "%u downloads are still running. Downloader can "
                                            "finish them without a window, or stop now and "
                                            "continue the next time you open it.",
                                            n_active),
                                  n_active);
  append_restart_note (self, dialog);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "quit", _("_Stop and Quit"),
                                    "background", _("_Keep Downloading in the Background"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "background", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "background");
  adw_message_dialog_set_close_response (dialog, "cancel");
  recorder = g_signal_connect (dialog, "response", G_CALLBACK (record_response_cb), &answer);
  present = bridge_loop_call_soon (bridge_future_get_loop (BRIDGE_FUTURE (task)),
                                   present_dialog, dialog, NULL);
  /* Kept to take it back if the task is cancelled first. */
  if (present != NULL)
    bridge_handle_ref (present);

  if (!bridge_await_signal (dialog, "response", BRIDGE_TIMEOUT_NEVER, &error))
    {
      /* Cancelled: the window is going, and so does its question. */
      if (present != NULL)
        bridge_handle_cancel (present);
      gtk_window_destroy (GTK_WINDOW (dialog));
    }
  /* Gone with the dialog's destruction, unless the dialog still lives. */
  if (g_signal_handler_is_connected (dialog, recorder))
    g_signal_handler_disconnect (dialog, recorder);

  if (g_strcmp0 (answer, "quit") == 0)
    really_quit (self);
  else if (g_strcmp0 (answer, "background") == 0 && self->background != NULL)
    dl_background_request_async (self->background, NULL, background_allowed_cb,
                                 g_object_ref (self));
  return FALSE;
}

/* ---- other actions ---------------------------------------------------------- */

static void
preferences_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  dl_application_show_preferences (DL_APPLICATION (user_data));
}

static void
inspector_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  dl_application_show_inspector (DL_APPLICATION (user_data));
}

static void
shortcuts_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  DlApplication *self = user_data;
  g_autoptr(GtkBuilder) builder = NULL;
  GtkWindow *shortcuts;

  builder = gtk_builder_new_from_resource ("/io/github/libbridge/Downloader/ui/dl-shortcuts-window.ui");
  shortcuts = GTK_WINDOW (gtk_builder_get_object (builder, "shortcuts_window"));
  gtk_window_set_transient_for (shortcuts, gtk_application_get_active_window (GTK_APPLICATION (self)));
  gtk_window_set_application (shortcuts, GTK_APPLICATION (self));
  gtk_window_present (shortcuts);
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  DlApplication *self = user_data;
  static const char *developers[] = { "The libbridge authors", NULL };
  g_autofree char *debug_info = NULL;
  GtkWidget *about;

  /* Translators: the Details page of About: what to paste into a problem
   * report; the lines below it are version numbers and stay as they are */
  debug_info = g_strdup_printf ("%s\n\n"
                                "Downloader %s\n"
                                "libbridge %s\n"
                                "GLib %u.%u.%u\n"
                                "GTK %u.%u.%u\n"
                                "libadwaita %u.%u.%u\n"
                                "libsoup %u.%u.%u\n",
                                _("If something goes wrong, please copy this text into your "
                                  "problem report: it tells which versions of Downloader and "
                                  "of the parts it is built on you have."),
                                PACKAGE_VERSION,
                                BRIDGE_VERSION_S,
                                glib_major_version, glib_minor_version, glib_micro_version,
                                gtk_get_major_version (), gtk_get_minor_version (),
                                gtk_get_micro_version (),
                                adw_get_major_version (), adw_get_minor_version (),
                                adw_get_micro_version (),
                                soup_get_major_version (), soup_get_minor_version (),
                                soup_get_micro_version ());

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (GTK_APPLICATION (self)),
                        "application-name", _("Downloader"),
                        "application-icon", APP_ID,
                        "developer-name", _("The libbridge authors"),
                        "version", PACKAGE_VERSION,
                        "comments", _("Download many files at once, resume them, and never lose a "
                                      "byte. Every download is a plain sequential coroutine on "
                                      "libbridge, and the window never freezes."),
                        "website", "https://github.com/libbridge/libbridge",
                        "issue-url", "https://github.com/libbridge/libbridge/issues",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "copyright", "© 2026 The libbridge authors",
                        "developers", developers,
                        /* Translators: put your names here, one per line */
                        "translator-credits", _("translator-credits"),
                        "debug-info", debug_info,
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
show_download_action (GSimpleAction *action,
                      GVariant      *param,
                      gpointer       user_data)
{
  DlApplication *self = user_data;
  GtkWindow *window = dl_application_ensure_window (self);

  gtk_window_present (window);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-download", "x",
                              g_variant_get_int64 (param));
}

static void
show_window_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  gtk_window_present (dl_application_ensure_window (DL_APPLICATION (user_data)));
}

static void
pause_all_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  DlApplication *self = user_data;
  g_autoptr(GPtrArray) downloads = g_ptr_array_new_with_free_func (g_object_unref);
  GListModel *model;

  if (self->manager == NULL)
    return;

  model = G_LIST_MODEL (self->manager);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    g_ptr_array_add (downloads, g_list_model_get_item (model, i));
  for (guint i = 0; i < downloads->len; i++)
    dl_download_pause (g_ptr_array_index (downloads, i));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "show-window", show_window_action },
  { "pause-all", pause_all_action },
  { "preferences", preferences_action },
  { "inspector", inspector_action },
  { "shortcuts", shortcuts_action },
  { "about", about_action },
  { "show-download", show_download_action, "x" },
};

/* ---- --screenshot -------------------------------------------------------------- */

static gboolean
is_settled (DlApplication *self)
{
  GListModel *model = G_LIST_MODEL (self->manager);
  guint n = g_list_model_get_n_items (model);

  /* The demo queues its downloads once its server answers. */
  if (self->demo_mode && n == 0)
    return FALSE;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);

      switch (dl_download_get_state (download))
        {
        case DL_DOWNLOAD_STATE_QUEUED:
        case DL_DOWNLOAD_STATE_CONNECTING:
        case DL_DOWNLOAD_STATE_RETRYING:
        case DL_DOWNLOAD_STATE_VERIFYING:
          return FALSE;
        case DL_DOWNLOAD_STATE_DOWNLOADING:
          if (dl_download_get_speed (download) <= 0)
            return FALSE;
          break;
        case DL_DOWNLOAD_STATE_PAUSED:
        case DL_DOWNLOAD_STATE_DONE:
        case DL_DOWNLOAD_STATE_FAILED:
        case DL_DOWNLOAD_STATE_CANCELLED:
        default:
          break;
        }
    }
  return TRUE;
}

static gboolean
take_screenshot_cb (gpointer user_data)
{
  g_autoptr(DlApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  DlWindow *window = find_main_window (self);

  if (window == NULL || !dl_screenshot_save (GTK_WIDGET (window), self->screenshot_path, &error))
    {
      g_printerr ("%s: %s\n", self->screenshot_path,
                  error != NULL ? error->message : _("There is no window"));
      self->exit_status = 1;
    }
  else
    /* The size tells a caller (the screenshot test) what to expect. */
    g_print ("%s %dx%d\n", self->screenshot_path,
             gtk_widget_get_width (GTK_WIDGET (window)), gtk_widget_get_height (GTK_WIDGET (window)));

  really_quit (self);
  return G_SOURCE_REMOVE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                DlApplication *self)
{
  g_signal_handlers_disconnect_by_func (clock, after_paint_cb, self);
  g_idle_add (take_screenshot_cb, g_object_ref (self));
}

static gboolean
settle_cb (gpointer user_data)
{
  DlApplication *self = user_data;
  gint64 now = g_get_monotonic_time ();
  DlWindow *window = find_main_window (self);
  GdkFrameClock *clock;

  if (is_settled (self))
    {
      if (self->settled_since == 0)
        self->settled_since = now;
    }
  else
    self->settled_since = 0;

  if ((self->settled_since == 0 || now - self->settled_since < SETTLE_USEC) &&
      now < self->settle_deadline)
    return G_SOURCE_CONTINUE;

  self->settle_id = 0;
  self->screenshot_taken = TRUE;

  /* Take it right after a frame was painted, so what is saved is what the
   * window shows. */
  clock = window != NULL ? gtk_widget_get_frame_clock (GTK_WIDGET (window)) : NULL;
  if (clock != NULL)
    {
      g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), self);
      gtk_widget_queue_draw (GTK_WIDGET (window));
    }
  else
    g_idle_add (take_screenshot_cb, g_object_ref (self));

  return G_SOURCE_REMOVE;
}

/* ---- demo --------------------------------------------------------------------- */

static void
demo_ready_cb (DlApplication *self,
               DlDemo        *demo)
{
  g_auto(GStrv) links = NULL;
  DlWindow *window = find_main_window (self);

  if (window == NULL)
    return;

  links = dl_demo_build_links (dl_demo_get_base_uri (demo));
  dl_window_add_links (window, (const char * const *) links);
}

static void
demo_failed_cb (DlApplication *self,
                const char    *message,
                DlDemo        *demo)
{
  dl_application_report_error (self, message);

  /* A screenshot of a demo that never started shows nothing useful. */
  if (self->screenshot_path != NULL && !self->screenshot_taken)
    {
      g_printerr ("%s\n", message);
      self->exit_status = 1;
      g_clear_handle_id (&self->settle_id, g_source_remove);
      really_quit (self);
    }
}

/* ---- GApplication ---------------------------------------------------------------- */

static int
dl_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  DlApplication *self = (DlApplication *) app;
  g_autoptr(GError) error = NULL;
  const char *screenshot = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("%s %s\n", BIN_NAME, PACKAGE_VERSION);
      return 0;
    }

  /* The demo and the screenshot run on their own, beside a running
   * Downloader if there is one, with their own scratch history. */
  if (g_variant_dict_contains (options, "demo"))
    {
      self->demo_mode = TRUE;
      self->demo_dir = g_dir_make_tmp ("bridge-downloader-demo-XXXXXX", &error);
      if (self->demo_dir == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
    }

  if (g_variant_dict_lookup (options, "screenshot", "^&ay", &screenshot))
    self->screenshot_path = g_canonicalize_filename (screenshot, NULL);

  if (self->demo_mode || self->screenshot_path != NULL)
    g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);

  return -1;
}

static int
dl_application_command_line (GApplication            *app,
                             GApplicationCommandLine *command_line)
{
  DlApplication *self = (DlApplication *) app;
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  g_autofree const char **urls = NULL;
  GtkWindow *window;

  window = dl_application_ensure_window (self);
  gtk_window_present (window);

  /* URLs from this launch or forwarded by a second one. */
  if (g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&s", &urls) && urls != NULL)
    {
      g_autofree char *text = g_strjoinv ("\n", (char **) urls);

      dl_window_add_text (DL_WINDOW (window), text);
    }

  if (self->demo_mode && self->demo == NULL)
    {
      self->demo = dl_demo_new ();
      g_signal_connect_object (self->demo, "ready", G_CALLBACK (demo_ready_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->demo, "failed", G_CALLBACK (demo_failed_cb), self,
                               G_CONNECT_SWAPPED);
      dl_demo_start (self->demo);
    }

  if (self->screenshot_path != NULL && self->settle_id == 0 && !self->screenshot_taken)
    {
      self->settle_deadline = g_get_monotonic_time () + SETTLE_DEADLINE_USEC;
      self->settle_id = g_timeout_add (250, settle_cb, self);
    }

  return 0;
}

static void
dl_application_activate (GApplication *app)
{
  gtk_window_present (dl_application_ensure_window (DL_APPLICATION (app)));
}

static gboolean
quit_signal_cb (gpointer user_data)
{
  really_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static void
dl_application_startup (GApplication *app)
{
  DlApplication *self = (DlApplication *) app;
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "app.inspector", { "<Control>i", NULL } },
    { "app.shortcuts", { "<Control>question", NULL } },
  };

  G_APPLICATION_CLASS (dl_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  dl_add_downloads_action_install (self);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action, accels[i].accels);

  self->settings = g_settings_new (DL_SETTINGS_SCHEMA_ID);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (apply_settings), self,
                           G_CONNECT_SWAPPED);

  /* SIGINT and SIGTERM quit as app.quit does: downloads stop resumably,
   * and the demo's scratch folder goes. */
  self->sigint_id = g_unix_signal_add (SIGINT, quit_signal_cb, self);
  self->sigterm_id = g_unix_signal_add (SIGTERM, quit_signal_cb, self);
}

/* Also reached without app.quit (a session ending, SIGTERM through
 * g_application_quit): stop the downloads resumably here too. The main loop
 * has stopped, so iterate it by hand for as long as they need. */
static void
dl_application_shutdown (GApplication *app)
{
  DlApplication *self = (DlApplication *) app;
  gint64 deadline = g_get_monotonic_time () + SHUTDOWN_TIMEOUT_USEC;

  g_clear_handle_id (&self->settle_id, g_source_remove);
  g_clear_handle_id (&self->sigint_id, g_source_remove);
  g_clear_handle_id (&self->sigterm_id, g_source_remove);
  if (self->background != NULL)
    dl_background_leave (self->background);

  if (self->demo != NULL)
    dl_demo_stop (self->demo);

  if (self->manager != NULL)
    {
      dl_manager_shutdown (self->manager);
      while (dl_manager_get_n_running (self->manager) > 0 && g_get_monotonic_time () < deadline)
        {
          if (!g_main_context_iteration (NULL, FALSE))
            g_usleep (1000);
        }
    }

  if (self->demo_dir != NULL)
    dl_demo_remove_folder (self->demo_dir);

  G_APPLICATION_CLASS (dl_application_parent_class)->shutdown (app);
}

static void
dl_application_dispose (GObject *object)
{
  DlApplication *self = (DlApplication *) object;

  g_clear_handle_id (&self->settle_id, g_source_remove);
  g_clear_handle_id (&self->quit_timeout_id, g_source_remove);
  g_clear_handle_id (&self->sigint_id, g_source_remove);
  g_clear_handle_id (&self->sigterm_id, g_source_remove);
  g_clear_pointer (&self->background, dl_background_free);
  if (self->n_running_handler != 0 && self->manager != NULL)
    g_clear_signal_handler (&self->n_running_handler, self->manager);
  if (self->demo != NULL)
    dl_demo_stop (self->demo);
  g_clear_object (&self->demo);
  g_clear_object (&self->manager);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (dl_application_parent_class)->dispose (object);
}

static void
dl_application_finalize (GObject *object)
{
  DlApplication *self = (DlApplication *) object;

  g_clear_pointer (&self->demo_dir, g_free);
  g_clear_pointer (&self->screenshot_path, g_free);
  g_clear_pointer (&self->pending_errors, g_ptr_array_unref);

  G_OBJECT_CLASS (dl_application_parent_class)->finalize (object);
}

static void
dl_application_class_init (DlApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = dl_application_dispose;
  object_class->finalize = dl_application_finalize;

  app_class->handle_local_options = dl_application_handle_local_options;
  app_class->command_line = dl_application_command_line;
  app_class->activate = dl_application_activate;
  app_class->startup = dl_application_startup;
  app_class->shutdown = dl_application_shutdown;
}

static void
dl_application_init (DlApplication *self)
{
  self->pending_errors = g_ptr_array_new_with_free_func (g_free);

  g_application_add_main_option_entries (G_APPLICATION (self), main_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Download files over HTTP and HTTPS. URLs given "
                                              "here are added to the running Downloader."));
}

DlApplication *
dl_application_new (void)
{
  /* The resource path is fixed, so .Devel builds find style.css and the
   * icons at the same place. */
  return g_object_new (DL_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/io/github/libbridge/Downloader",
                       NULL);
}

/**
 * dl_application_get_manager:
 * @self: a #DlApplication
 *
 * Returns: (transfer none): the engine the windows show
 */
DlManager *
dl_application_get_manager (DlApplication *self)
{
  g_return_val_if_fail (DL_IS_APPLICATION (self), NULL);

  return self->manager;
}

/**
 * dl_application_set_manager:
 * @self: a #DlApplication
 * @manager: the engine the windows show
 *
 * Set once, at startup, by whoever opened the history (main.c, or a test).
 */
void
dl_application_set_manager (DlApplication *self,
                            DlManager     *manager)
{
  g_return_if_fail (DL_IS_APPLICATION (self));
  g_return_if_fail (DL_IS_MANAGER (manager));
  g_return_if_fail (self->manager == NULL);

  self->manager = g_object_ref (manager);
  g_signal_connect_object (manager, "items-changed", G_CALLBACK (manager_items_changed_cb), self,
                           G_CONNECT_SWAPPED);
  watch_downloads (self, 0, g_list_model_get_n_items (G_LIST_MODEL (manager)));
  self->background = dl_background_new (G_APPLICATION (self), manager);
  apply_settings (self);

  /* A server that asks for a password: the keyring, else the person. */
  {
    g_autoptr(DlAppCredentials) credentials = dl_app_credentials_new (GTK_APPLICATION (self));

    dl_manager_set_credential_provider (manager, DL_CREDENTIAL_PROVIDER (credentials));
  }
}

/**
 * dl_application_get_settings:
 * @self: a #DlApplication
 *
 * Returns: (transfer none) (nullable): the settings, once started up
 */
GSettings *
dl_application_get_settings (DlApplication *self)
{
  g_return_val_if_fail (DL_IS_APPLICATION (self), NULL);

  return self->settings;
}

gboolean
dl_application_get_demo (DlApplication *self)
{
  g_return_val_if_fail (DL_IS_APPLICATION (self), FALSE);

  return self->demo_mode;
}

/**
 * dl_application_get_demo_dir:
 * @self: a #DlApplication
 *
 * Returns: (nullable): the scratch folder of --demo, for its files and its
 *   history; removed at exit
 */
const char *
dl_application_get_demo_dir (DlApplication *self)
{
  g_return_val_if_fail (DL_IS_APPLICATION (self), NULL);

  return self->demo_dir;
}

int
dl_application_get_exit_status (DlApplication *self)
{
  g_return_val_if_fail (DL_IS_APPLICATION (self), 1);

  return self->exit_status;
}

/**
 * dl_application_report_error:
 * @self: a #DlApplication
 * @message: a sentence for the user
 *
 * Shows @message as a toast in the main window, or once it opens.
 */
void
dl_application_report_error (DlApplication *self,
                             const char    *message)
{
  DlWindow *window;

  g_return_if_fail (DL_IS_APPLICATION (self));
  g_return_if_fail (message != NULL);

  window = find_main_window (self);
  if (window != NULL)
    dl_window_show_toast (window, message);
  else
    g_ptr_array_add (self->pending_errors, g_strdup (message));
}

/**
 * dl_application_ensure_window:
 * @self: a #DlApplication
 *
 * Returns: (transfer none): the main window, created if needed
 */
GtkWindow *
dl_application_ensure_window (DlApplication *self)
{
  DlWindow *window;

  g_return_val_if_fail (DL_IS_APPLICATION (self), NULL);

  window = find_main_window (self);
  if (window != NULL)
    return GTK_WINDOW (window);

  /* Started without a history (a test, or a store that failed to open):
   * downloads still work, they are just not remembered. */
  if (self->manager == NULL)
    {
      g_autoptr(DlManager) manager = dl_manager_new (NULL);

      dl_application_set_manager (self, manager);
    }

  window = dl_window_new (GTK_APPLICATION (self), self->manager);
  /* The window is back: no more holding and no progress notification. */
  if (self->background != NULL)
    dl_background_leave (self->background);

  for (guint i = 0; i < self->pending_errors->len; i++)
    dl_window_show_toast (window, g_ptr_array_index (self->pending_errors, i));
  g_ptr_array_set_size (self->pending_errors, 0);

  return GTK_WINDOW (window);
}

/**
 * dl_application_show_inspector:
 * @self: a #DlApplication
 *
 * Returns: (transfer none): the task inspector, opened if needed
 */
GtkWindow *
dl_application_show_inspector (DlApplication *self)
{
  g_return_val_if_fail (DL_IS_APPLICATION (self), NULL);

  if (self->inspector == NULL)
    {
      self->inspector = GTK_WINDOW (dl_inspector_window_new ());
      g_object_add_weak_pointer (G_OBJECT (self->inspector), (gpointer *) &self->inspector);
      gtk_window_set_application (self->inspector, GTK_APPLICATION (self));
    }

  gtk_window_present (self->inspector);
  return self->inspector;
}

/**
 * dl_application_show_preferences:
 * @self: a #DlApplication
 *
 * Returns: (transfer none): the preferences window, opened if needed
 */
GtkWindow *
dl_application_show_preferences (DlApplication *self)
{
  g_return_val_if_fail (DL_IS_APPLICATION (self), NULL);
  g_return_val_if_fail (self->settings != NULL, NULL);

  if (self->preferences == NULL)
    {
      self->preferences = GTK_WINDOW (dl_preferences_window_new (self->settings));
      if (self->demo_mode)
        dl_preferences_window_set_fixed_folder (DL_PREFERENCES_WINDOW (self->preferences),
                                                self->demo_dir);
      g_object_add_weak_pointer (G_OBJECT (self->preferences), (gpointer *) &self->preferences);
      gtk_window_set_transient_for (self->preferences, GTK_WINDOW (find_main_window (self)));
      gtk_window_set_application (self->preferences, GTK_APPLICATION (self));
    }

  gtk_window_present (self->preferences);
  return self->preferences;
}

/**
 * dl_application_get_in_background:
 * @self: a #DlApplication
 *
 * Returns: whether the app runs on without a window, holding itself
 */
gboolean
dl_application_get_in_background (DlApplication *self)
{
  g_return_val_if_fail (DL_IS_APPLICATION (self), FALSE);

  return self->background != NULL && dl_background_is_active (self->background);
}
