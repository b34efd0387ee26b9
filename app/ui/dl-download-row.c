/* dl-download-row.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-download-row"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "dl-download-row.h"
#include "dl-progress-bar.h"
#include "dl-speed-limit-dialog.h"
#include "dl-format.h"

struct _DlDownloadRow
{
  GtkWidget        parent_instance;

  /* Owned References */
  DlDownload      *download;
  char            *title;
  char            *status_text;

  /* Template Widgets */
  GtkImage        *icon;
  GtkLabel        *name_label;
  GtkLabel        *host_label;
  DlProgressBar   *progress_bar;
  GtkInscription  *status_label;
  GtkWidget       *pause_button;
  GtkWidget       *resume_button;
  GtkWidget       *retry_button;
  GtkWidget       *redownload_button;
  GtkWidget       *open_button;
  GtkWidget       *cancel_button;
  GtkMenuButton   *menu_button;
  GMenuModel      *row_menu;

  /* Borrowed References (weak) */
  GtkWidget       *watched_popover;

  gulong           notify_id;
  /* Refreshes "Retrying in N s" while the download waits to retry. */
  guint            countdown_id;
  /* Shows the progress at the next frame (see queue_progress()). */
  guint            progress_tick_id;

  /* Progress notified and not shown yet. */
  guint            progress_dirty : 1;
  /* Some other change not shown yet: the list keeps the row hidden. */
  guint            update_dirty : 1;
  /* The row menu is open: the window keeps the list still meanwhile. */
  guint            menu_open : 1;
  /* Cancelled, and the partial file kept while the user may still undo. */
  guint            cancel_pending : 1;
  /* Another row has the same file name: the host line names the folder. */
  guint            show_folder : 1;
  /* Done, but the file is gone from its folder. */
  guint            file_missing : 1;
  /* Last drawn without its contents, being scrolled out of view. */
  guint            culled : 1;
};

enum {
  PROP_0,
  PROP_DOWNLOAD,
  PROP_MENU_OPEN,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

G_DEFINE_FINAL_TYPE (DlDownloadRow, dl_download_row, GTK_TYPE_WIDGET)

/* A callback that outlives the row (a dialog, a D-Bus call, a file
 * operation) keeps the download and the window, not the row: the row goes
 * away as soon as the download leaves the list. */
typedef struct
{
  DlDownload *download;
  GtkWidget  *window;
  char       *uri;
} RowOp;

static RowOp *
row_op_new (DlDownloadRow *self)
{
  RowOp *op = g_new0 (RowOp, 1);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  op->download = g_object_ref (self->download);
  op->window = root != NULL ? g_object_ref (GTK_WIDGET (root)) : NULL;
  return op;
}

static void
row_op_free (RowOp *op)
{
  g_clear_object (&op->download);
  g_clear_object (&op->window);
  g_clear_pointer (&op->uri, g_free);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RowOp, row_op_free)

/* The window owns the toast overlay and exposes it as "downloads.toast"; the
 * action resolves from the row (inside the window) and from the window
 * itself (kept by callbacks that outlive the row). */
static void
show_toast (GtkWidget  *widget,
            const char *message)
{
  if (widget == NULL || !gtk_widget_activate_action (widget, "downloads.toast", "s", message))
    g_message ("%s", message);
}

static gboolean
countdown_cb (gpointer user_data);

static gboolean
cannot_resume (DlDownload *download)
{
  return dl_download_get_range_support (download) == DL_RANGE_SUPPORT_NO &&
         dl_download_state_is_active (dl_download_get_state (download));
}

/* Whether the row waits to be mapped to show anything: its window is on
 * screen, but the list keeps the row hidden, beyond the rows it shows. */
static gboolean
is_held_hidden (DlDownloadRow *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return root != NULL && gtk_widget_get_mapped (GTK_WIDGET (root)) &&
         !gtk_widget_get_mapped (GTK_WIDGET (self));
}

/* "example.com", or "example.com — ~/Downloads/Work" when another row has
 * the same file name and only the folder tells them apart. */
static void
update_host (DlDownloadRow *self)
{
  g_autofree char *host = dl_format_host (dl_download_get_url (self->download));
  g_autofree char *text = NULL;

  /* Said where the host goes (the tooltip keeps the link): the bytes
   * received so far would be lost by a pause. */
  if (cannot_resume (self->download))
    {
      gtk_label_set_text (self->host_label, _("Cannot resume: pausing restarts from the beginning"));
      gtk_widget_add_css_class (GTK_WIDGET (self->host_label), "warning");
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->host_label), "warning");

  if (self->show_folder)
    {
      const char *dir = dl_download_get_output_dir (self->download);
      const char *home = g_get_home_dir ();
      g_autofree char *shown = NULL;

      if (g_str_has_prefix (dir, home) && (dir[strlen (home)] == '/' || dir[strlen (home)] == '\0'))
        shown = g_strconcat ("~", dir + strlen (home), NULL);
      else
        shown = g_filename_display_name (dir);
      /* Translators: a row's second line, "example.com — ~/Downloads" */
      text = g_strdup_printf (_("%s — %s"), host, shown);
    }
  else
    text = g_steal_pointer (&host);

  gtk_label_set_text (self->host_label, text);
}

static void
update_icon (DlDownloadRow *self)
{
  g_autofree char *name = dl_format_display_name (self->download);
  g_autofree char *content_type = NULL;
  g_autoptr(GIcon) icon = NULL;
  gboolean uncertain = FALSE;

  content_type = g_content_type_guess (name, NULL, 0, &uncertain);
  if (content_type != NULL && !uncertain)
    icon = g_content_type_get_icon (content_type);
  if (icon == NULL)
    icon = g_themed_icon_new ("application-x-generic");

  gtk_image_set_from_gicon (self->icon, icon);
}

/* The cheap part, run up to ten times a second per download while bytes
 * flow: the progress bar and the status line. */
static void
update_progress (DlDownloadRow *self)
{
  DlDownload *download = self->download;
  DlDownloadState state = dl_download_get_state (download);
  gint64 bytes = dl_download_get_bytes_received (download);
  gint64 total = dl_download_get_total_bytes (download);
  g_autofree char *status = NULL;
  double fraction = 0.0;
  double shown;
  int width;

  self->progress_dirty = FALSE;

  if (self->cancel_pending)
    status = g_strdup (_("Cancelled"));
  else if (self->file_missing && state == DL_DOWNLOAD_STATE_DONE)
    status = g_strdup (_("File missing"));
  else
    status = dl_format_status (download, g_get_monotonic_time ());

  if (g_strcmp0 (status, self->status_text) != 0)
    {
      g_free (self->status_text);
      self->status_text = g_steal_pointer (&status);
      /* At 360 px the line may be cut short: the whole of it is one hover
       * (status_query_tooltip_cb()) and one screen reader question away. */
      gtk_inscription_set_text (self->status_label, self->status_text);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, self->title,
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->status_text,
                                      -1);
    }

  if (dl_download_state_is_finished (state) || self->cancel_pending)
    return;

  if (total > 0)
    fraction = CLAMP ((double) bytes / (double) total, 0.0, 1.0);
  else if (state == DL_DOWNLOAD_STATE_VERIFYING)
    fraction = 1.0;

  /* A new fraction redraws the bar (dl-progress-bar.c): only when the fill
   * grows by a pixel or more, reaches an end, or passes a whole percent,
   * which is what screen readers hear. */
  width = gtk_widget_get_width (GTK_WIDGET (self->progress_bar));
  shown = dl_progress_bar_get_fraction (self->progress_bar);
  if (fraction != shown &&
      (width <= 0 || fraction == 0.0 || fraction == 1.0 || fabs (fraction - shown) * width >= 1.0 ||
       (guint) (fraction * 100.0) != (guint) (shown * 100.0)))
    dl_progress_bar_set_fraction (self->progress_bar, fraction);
}

/* The tooltip is asked for when the pointer rests on the line, rather
 * than set with each new text: on X11 every gtk_widget_set_tooltip_text()
 * asks the server where the pointer is and waits for the answer, and the
 * status line of a running download changes every frame. */
static gboolean
status_query_tooltip_cb (DlDownloadRow *self,
                         int            x,
                         int            y,
                         gboolean       keyboard_mode,
                         GtkTooltip    *tooltip,
                         GtkWidget     *label)
{
  if (self->status_text == NULL || self->status_text[0] == '\0')
    return FALSE;

  gtk_tooltip_set_text (tooltip, self->status_text);
  return TRUE;
}

/* The host line's tooltip holds the whole link, asked for on hover for the
 * same reason: rows are bound to other downloads as the list scrolls. */
static gboolean
host_query_tooltip_cb (DlDownloadRow *self,
                       int            x,
                       int            y,
                       gboolean       keyboard_mode,
                       GtkTooltip    *tooltip,
                       GtkWidget     *label)
{
  if (self->download == NULL)
    return FALSE;

  gtk_tooltip_set_text (tooltip, dl_download_get_url (self->download));
  return TRUE;
}

/* Everything else, when the state (or the name) changes. */
static void
update (DlDownloadRow *self)
{
  DlDownload *download = self->download;
  DlDownloadState state = dl_download_get_state (download);
  g_autofree char *title = dl_format_display_name (download);
  gboolean bar_shown;
  gboolean pending;
  gboolean done;
  gboolean missing;
  const char *resume_label;

  self->update_dirty = FALSE;

  if (g_strcmp0 (title, self->title) != 0)
    {
      g_free (self->title);
      self->title = g_steal_pointer (&title);
      gtk_label_set_text (self->name_label, self->title);
      update_icon (self);
    }

  if (state == DL_DOWNLOAD_STATE_FAILED || (state == DL_DOWNLOAD_STATE_DONE && self->file_missing))
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");

  if (state == DL_DOWNLOAD_STATE_PAUSED)
    gtk_widget_add_css_class (GTK_WIDGET (self), "paused");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "paused");

  update_host (self);

  /* Every state keeps the bar's line, shown or not: a row that changed
   * height would move the rows below it under the pointer. */
  bar_shown = !dl_download_state_is_finished (state) && !self->cancel_pending;
  gtk_widget_set_opacity (GTK_WIDGET (self->progress_bar), bar_shown ? 1.0 : 0.0);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->progress_bar),
                               GTK_ACCESSIBLE_STATE_HIDDEN, !bar_shown,
                               -1);
  update_progress (self);

  pending = self->cancel_pending;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.pause",
                                 !pending && dl_download_can_pause (download));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.resume",
                                 !pending && dl_download_can_resume (download));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.retry",
                                 !pending && dl_download_can_retry (download));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.cancel",
                                 !pending && dl_download_can_cancel (download));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.download-anyway",
                                 !pending && dl_download_get_metered_paused (download));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.limit-speed",
                                 !pending && !dl_download_state_is_finished (state));
  /* Waiting for an unmetered network, the resume button downloads anyway. */
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->resume_button),
                                  dl_download_get_metered_paused (download) ? "row.download-anyway"
                                                                            : "row.resume");
  resume_label = dl_download_get_metered_paused (download) ? _("Download Anyway") : _("Resume");
  gtk_widget_set_tooltip_text (self->resume_button, resume_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->resume_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, resume_label,
                                  -1);
  done = state == DL_DOWNLOAD_STATE_DONE && !self->file_missing;
  missing = state == DL_DOWNLOAD_STATE_DONE && self->file_missing;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.open", done);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.show-in-folder", done);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.trash", done);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.redownload", missing);

  /* The buttons show the one or two things that make sense in this state;
   * the menu has everything. Which are enabled follows the engine, which
   * allows an action only once the previous one has finished. */
  gtk_widget_set_visible (self->pause_button, !pending && dl_download_state_is_active (state));
  gtk_widget_set_visible (self->resume_button, !pending && state == DL_DOWNLOAD_STATE_PAUSED);
  gtk_widget_set_visible (self->retry_button,
                          !pending &&
                          (state == DL_DOWNLOAD_STATE_FAILED || state == DL_DOWNLOAD_STATE_CANCELLED));
  gtk_widget_set_visible (self->open_button, done);
  gtk_widget_set_visible (self->redownload_button, missing);
  gtk_widget_set_visible (self->cancel_button,
                          !pending &&
                          (dl_download_state_is_active (state) || state == DL_DOWNLOAD_STATE_PAUSED));

  if (state == DL_DOWNLOAD_STATE_RETRYING && self->countdown_id == 0)
    self->countdown_id = g_timeout_add (250, countdown_cb, self);
  else if (state != DL_DOWNLOAD_STATE_RETRYING)
    g_clear_handle_id (&self->countdown_id, g_source_remove);
}

/* A row the list keeps hidden waits until it is mapped: cancelling or
 * finishing a few hundred downloads at once would otherwise lay out every
 * row the list holds, seen or not, in one frame. */
static void
queue_update (DlDownloadRow *self)
{
  if (is_held_hidden (self))
    self->update_dirty = TRUE;
  else
    update (self);
}

static gboolean
countdown_cb (gpointer user_data)
{
  DlDownloadRow *self = user_data;

  if (dl_download_get_state (self->download) != DL_DOWNLOAD_STATE_RETRYING)
    {
      self->countdown_id = 0;
      queue_update (self);
      return G_SOURCE_REMOVE;
    }

  queue_update (self);
  return G_SOURCE_CONTINUE;
}

/* Whether the row lies outside what its scrolled window shows: the list
 * keeps a few rows beyond the visible ones ready for scrolling, and those
 * need not draw or show their progress until they come into view. The
 * window calls dl_download_row_sync_view() as the view moves. */
static gboolean
is_scrolled_out_of_view (DlDownloadRow *self)
{
  GtkWidget *scroller = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_SCROLLED_WINDOW);
  graphene_rect_t bounds;
  int height;

  if (scroller == NULL)
    return FALSE;

  height = gtk_widget_get_height (scroller);
  if (height <= 0 || !gtk_widget_compute_bounds (GTK_WIDGET (self), scroller, &bounds))
    return FALSE;

  return bounds.origin.y + bounds.size.height < 0 || bounds.origin.y > height;
}

static gboolean
progress_tick_cb (GtkWidget     *widget,
                  GdkFrameClock *clock,
                  gpointer       user_data)
{
  DlDownloadRow *self = DL_DOWNLOAD_ROW (widget);

  self->progress_tick_id = 0;
  if (!is_scrolled_out_of_view (self))
    update_progress (self);

  return G_SOURCE_REMOVE;
}

/* With hundreds of downloads running, showing each progress notification
 * at once was most of the main loop's work: every download notifies up to
 * three properties per tick, all in the same dispatch, and each new text
 * and fraction has to be laid out and drawn. So the row shows its progress
 * once per frame, in the frame's update phase, and not at all while it is
 * out of view: the list keeps about 200 rows bound, most of them hidden,
 * and those catch up when they are mapped (dl_download_row_map()); those
 * scrolled out of view but still mapped catch up when the window calls
 * dl_download_row_sync_view() as the view moves. */
static void
queue_progress (DlDownloadRow *self)
{
  if (is_held_hidden (self))
    {
      self->progress_dirty = TRUE;
      return;
    }

  /* Not shown (or in no window, as in the tests): no frames to wait for. */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      update_progress (self);
      return;
    }

  self->progress_dirty = TRUE;
  if (self->progress_tick_id == 0 && !is_scrolled_out_of_view (self))
    self->progress_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), progress_tick_cb,
                                                           NULL, NULL);
}

static void
download_notify_cb (DlDownloadRow *self,
                    GParamSpec    *pspec,
                    DlDownload    *download)
{
  const char *name = g_param_spec_get_name (pspec);

  g_assert (DL_IS_DOWNLOAD_ROW (self));

  /* Property names are interned: compare pointers. */
  if (name == g_intern_static_string ("bytes-received") ||
      name == g_intern_static_string ("speed") ||
      name == g_intern_static_string ("eta"))
    {
      /* Queued already, or held back until the row comes into view: a
       * download notifies up to three of these at once. */
      if (!self->progress_dirty)
        queue_progress (self);
    }
  else
    queue_update (self);
}

/* ---- actions ----------------------------------------------------------------- */

static void
pause_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   gpointer          user_data)
{
  RowOp *op = user_data;

  if (g_strcmp0 (response, "pause") == 0)
    dl_download_pause (op->download);
}

/* A server that cannot resume makes a pause throw the bytes away: ask. */
static void
pause_download (DlDownloadRow *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *received = NULL;
  AdwMessageDialog *dialog;

  if (!cannot_resume (self->download) || dl_download_get_bytes_received (self->download) <= 0 ||
      !GTK_IS_WINDOW (root))
    {
      dl_download_pause (self->download);
      return;
    }

  received = dl_format_size (dl_download_get_bytes_received (self->download));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (root),
                                                       _("Pause and Start Over?"), NULL));
  /* Translators: the first %s is a file name, the second a size */
  adw_message_dialog_format_body (dialog,
                                  _("The server of “%s” cannot resume downloads. Pausing now "
                                    "throws away the %s received; resuming starts from the "
                                    "beginning."),
                                  self->title, received);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Keep Downloading"),
                                    "pause", _("_Pause Anyway"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "pause", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (pause_response_cb),
                         row_op_new (self), (GClosureNotify) (void (*) (void)) row_op_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
pause_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  pause_download (DL_DOWNLOAD_ROW (widget));
}

static void
resume_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  dl_download_resume (DL_DOWNLOAD_ROW (widget)->download);
}

static void
download_anyway_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  dl_download_set_allow_metered (DL_DOWNLOAD_ROW (widget)->download, TRUE);
}

static void
limit_speed_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  GtkRoot *root = gtk_widget_get_root (widget);

  if (GTK_IS_WINDOW (root))
    dl_speed_limit_dialog_present (GTK_WINDOW (root), DL_DOWNLOAD_ROW (widget)->download);
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  dl_download_retry (DL_DOWNLOAD_ROW (widget)->download);
}

/* Space on a focused row: the obvious next step. */
static void
toggle_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  DlDownload *download = DL_DOWNLOAD_ROW (widget)->download;

  if (dl_download_can_pause (download))
    pause_download (DL_DOWNLOAD_ROW (widget));
  else if (dl_download_can_resume (download))
    dl_download_resume (download);
  else if (dl_download_can_retry (download))
    dl_download_retry (download);
}

/* Cancelling, removing and trashing go through the window, which offers
 * Undo for a few seconds before anything is deleted; a row in no window
 * (as in some tests) acts at once. */
static void
undoable_action (DlDownloadRow *self,
                 const char    *window_action,
                 void         (*fallback) (DlDownload *download))
{
  if (!gtk_widget_activate_action (GTK_WIDGET (self), window_action, "x",
                                   dl_download_get_id (self->download)))
    fallback (self->download);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  undoable_action (DL_DOWNLOAD_ROW (widget), "downloads.cancel-download", dl_download_cancel);
}

/* Shows @summary, with @details a click away: a toast holds one short line. */
static void
show_error (GtkWidget  *widget,
            const char *summary,
            const char *details)
{
  if (widget == NULL ||
      !gtk_widget_activate_action (widget, "downloads.show-error", "(ss)", summary, details))
    g_message ("%s: %s", summary, details);
}

/* The file was moved or deleted outside the app: says so, and how to
 * get it back. */
static void
show_missing (GtkWidget  *window,
              DlDownload *download,
              const char *path)
{
  g_autofree char *name = dl_format_display_name (download);
  g_autofree char *summary = NULL;
  g_autofree char *details = NULL;

  /* Translators: %s is a file name */
  summary = g_strdup_printf (_("“%s” is no longer there"), name);
  /* Translators: %s is a path */
  details = g_strdup_printf (_("Nothing is at %s any more: the file was moved or deleted "
                               "outside Downloader. Download Again fetches it anew."), path);
  show_error (window, summary, details);
}

static void
launch_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(RowOp) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *details = NULL;

  if (g_app_info_launch_default_for_uri_finish (result, &error))
    return;

  name = dl_format_display_name (op->download);
  path = op->uri != NULL ? g_filename_from_uri (op->uri, NULL, NULL) : NULL;

  if (path != NULL && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      show_missing (op->window, op->download, path);
      return;
    }
  else if (path != NULL && g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *type = g_content_type_guess (path, NULL, 0, NULL);
      g_autofree char *description = type != NULL ? g_content_type_get_description (type) : NULL;
      g_autoptr(GAppInfo) handler = type != NULL ? g_app_info_get_default_for_type (type, FALSE)
                                                 : NULL;

      if (handler == NULL)
        {
          /* Translators: %s is a file type such as "PDF document" */
          summary = g_strdup_printf (_("No app is installed that opens %s files"),
                                     description != NULL ? description : type);
          /* Translators: the first %s is a file name, the second an error message */
          details = g_strdup_printf (_("“%s” could not be opened because no installed app "
                                       "handles its type. Install one, or use Show in Folder. "
                                       "(%s)"), name, error->message);
        }
    }

  if (summary == NULL)
    {
      /* Translators: %s is a file name */
      summary = g_strdup_printf (_("Could not open “%s”"), name);
      details = g_strdup (error->message);
    }

  show_error (op->window, summary, details);
}

static void
launch_uri (DlDownloadRow *self,
            const char    *uri)
{
  g_autoptr(GdkAppLaunchContext) context = NULL;

  RowOp *op = row_op_new (self);

  op->uri = g_strdup (uri);
  context = gdk_display_get_app_launch_context (gtk_widget_get_display (GTK_WIDGET (self)));
  g_app_info_launch_default_for_uri_async (uri, G_APP_LAUNCH_CONTEXT (context), NULL,
                                           launch_cb, op);
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  DlDownloadRow *self = DL_DOWNLOAD_ROW (widget);
  g_autofree char *path = dl_download_dup_path (self->download);
  g_autofree char *uri = NULL;

  if (path == NULL)
    return;

  /* Gone since the last look: the row says so at once and offers Download
   * Again, rather than waiting for the window's next check. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      dl_download_row_set_file_missing (self, TRUE);
      show_missing (gtk_widget_get_ancestor (widget, GTK_TYPE_WINDOW), self->download, path);
      return;
    }

  uri = g_filename_to_uri (path, NULL, NULL);
  if (uri != NULL)
    launch_uri (self, uri);
}

static void
show_items_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(RowOp) op = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkAppLaunchContext) context = NULL;
  g_autofree char *dir_uri = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply != NULL)
    return;

  /* No file manager implements the interface (or a sandbox hides it): open
   * the folder itself. */
  g_debug ("ShowItems failed, opening the folder: %s", error->message);
  dir_uri = g_filename_to_uri (dl_download_get_output_dir (op->download), NULL, NULL);
  if (dir_uri == NULL)
    return;

  if (op->window != NULL)
    context = gdk_display_get_app_launch_context (gtk_widget_get_display (op->window));
  g_app_info_launch_default_for_uri_async (dir_uri, G_APP_LAUNCH_CONTEXT (context), NULL,
                                           launch_cb, g_steal_pointer (&op));
}

static void
show_in_folder_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  DlDownloadRow *self = DL_DOWNLOAD_ROW (widget);
  g_autofree char *path = dl_download_dup_path (self->download);
  g_autofree char *uri = NULL;
  GApplication *app = g_application_get_default ();
  GDBusConnection *bus = app != NULL ? g_application_get_dbus_connection (app) : NULL;
  const char *uris[2] = { NULL, NULL };
  RowOp *op;

  if (path == NULL || (uri = g_filename_to_uri (path, NULL, NULL)) == NULL)
    return;

  if (bus == NULL)
    {
      g_autofree char *dir_uri = g_filename_to_uri (dl_download_get_output_dir (self->download),
                                                    NULL, NULL);
      if (dir_uri != NULL)
        launch_uri (self, dir_uri);
      return;
    }

  uris[0] = uri;
  op = row_op_new (self);
  g_dbus_connection_call (bus,
                          "org.freedesktop.FileManager1",
                          "/org/freedesktop/FileManager1",
                          "org.freedesktop.FileManager1",
                          "ShowItems",
                          g_variant_new ("(^ass)", uris, ""),
                          NULL,
                          G_DBUS_CALL_FLAGS_NONE,
                          5000,
                          NULL,
                          show_items_cb,
                          op);
}

static void
copy_url_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  DlDownloadRow *self = DL_DOWNLOAD_ROW (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), dl_download_get_url (self->download));
  show_toast (widget, _("Link copied"));
}

static void
remove_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  undoable_action (DL_DOWNLOAD_ROW (widget), "downloads.remove-download", dl_download_remove);
}

static void
trash_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  DlDownloadRow *self = DL_DOWNLOAD_ROW (widget);

  /* Without a window there is no Undo to offer, so nothing happens. */
  gtk_widget_activate_action (widget, "downloads.trash-download", "x",
                              dl_download_get_id (self->download));
}

static void
redownload_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  DlDownloadRow *self = DL_DOWNLOAD_ROW (widget);

  gtk_widget_activate_action (widget, "downloads.download-again", "x",
                              dl_download_get_id (self->download));
}

/* Right-click, Shift+F10 and the Menu key open the same menu as the ⋮
 * button. */
static void
menu_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  gtk_menu_button_popup (DL_DOWNLOAD_ROW (widget)->menu_button);
}

static void
secondary_click_cb (GtkGestureClick *gesture,
                    int              n_press,
                    double           x,
                    double           y,
                    DlDownloadRow   *self)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  gtk_widget_grab_focus (GTK_WIDGET (self));
  gtk_menu_button_popup (self->menu_button);
}

static void
popover_visible_cb (DlDownloadRow *self,
                    GParamSpec    *pspec,
                    GtkWidget     *popover)
{
  gboolean open = gtk_widget_get_visible (popover);

  if (self->menu_open == open)
    return;

  self->menu_open = open;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MENU_OPEN]);
}

/* The menu button makes its popover when given a menu, which may be only
 * when first opened: watch whichever popover it has. */
static void
popover_changed_cb (DlDownloadRow *self,
                    GParamSpec    *pspec,
                    GtkMenuButton *button)
{
  GtkPopover *popover = gtk_menu_button_get_popover (button);

  if (popover == NULL || (GtkWidget *) popover == self->watched_popover)
    return;

  g_set_weak_pointer (&self->watched_popover, GTK_WIDGET (popover));
  g_signal_connect_object (popover, "notify::visible", G_CALLBACK (popover_visible_cb), self,
                           G_CONNECT_SWAPPED);
}

/* ---- GtkWidget --------------------------------------------------------------- */

/* GTK 4.8's Cairo renderer walks every node of the frame, in view or not.
 * A row out of view draws nothing; dl_download_row_sync_view() redraws it
 * once it comes into view. */
static void
dl_download_row_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  DlDownloadRow *self = (DlDownloadRow *) widget;

  self->culled = is_scrolled_out_of_view (self);
  if (self->culled)
    return;

  GTK_WIDGET_CLASS (dl_download_row_parent_class)->snapshot (widget, snapshot);
}

/* A row the list kept hidden shows what happened meanwhile before it is
 * drawn. */
static void
dl_download_row_map (GtkWidget *widget)
{
  DlDownloadRow *self = (DlDownloadRow *) widget;

  GTK_WIDGET_CLASS (dl_download_row_parent_class)->map (widget);

  if (self->download == NULL)
    return;
  if (self->update_dirty)
    update (self);
  else if (self->progress_dirty)
    update_progress (self);
}

/* ---- GObject ----------------------------------------------------------------- */

static void
dl_download_row_constructed (GObject *object)
{
  DlDownloadRow *self = (DlDownloadRow *) object;
  GtkGesture *secondary_click = gtk_gesture_click_new ();

  G_OBJECT_CLASS (dl_download_row_parent_class)->constructed (object);

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (secondary_click), GDK_BUTTON_SECONDARY);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (secondary_click));
  g_signal_connect_object (secondary_click, "pressed", G_CALLBACK (secondary_click_cb), self, 0);
  g_signal_connect_object (self->menu_button, "notify::popover", G_CALLBACK (popover_changed_cb),
                           self, G_CONNECT_SWAPPED);
  popover_changed_cb (self, NULL, self->menu_button);

  gtk_widget_set_has_tooltip (GTK_WIDGET (self->status_label), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self->host_label), TRUE);
  g_signal_connect_object (self->host_label, "query-tooltip",
                           G_CALLBACK (host_query_tooltip_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->status_label, "query-tooltip",
                           G_CALLBACK (status_query_tooltip_cb), self, G_CONNECT_SWAPPED);
}

/* Lets go of the download shown so far: its callbacks, timers and what
 * the window told about it. */
static void
unbind (DlDownloadRow *self)
{
  static const char * const actions[] = {
    "row.pause", "row.resume", "row.retry", "row.cancel", "row.open", "row.show-in-folder",
    "row.copy-url", "row.remove", "row.trash", "row.toggle", "row.redownload", "row.menu",
  };

  if (self->download == NULL)
    return;

  /* Nothing to act on until the next download is set. */
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), actions[i], FALSE);

  if (self->watched_popover != NULL && gtk_widget_get_visible (self->watched_popover))
    gtk_popover_popdown (GTK_POPOVER (self->watched_popover));
  g_clear_signal_handler (&self->notify_id, self->download);
  g_clear_handle_id (&self->countdown_id, g_source_remove);
  if (self->progress_tick_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->progress_tick_id);
  self->progress_tick_id = 0;
  self->progress_dirty = FALSE;
  self->update_dirty = FALSE;
  self->cancel_pending = FALSE;
  self->file_missing = FALSE;
  self->show_folder = FALSE;
  g_clear_object (&self->download);
}

static void
dl_download_row_dispose (GObject *object)
{
  DlDownloadRow *self = (DlDownloadRow *) object;
  GtkWidget *child;

  unbind (self);
  g_clear_weak_pointer (&self->watched_popover);
  gtk_widget_dispose_template (GTK_WIDGET (self), DL_TYPE_DOWNLOAD_ROW);
  /* The template's box holds everything; a plain widget unparents it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (dl_download_row_parent_class)->dispose (object);
}

static void
dl_download_row_finalize (GObject *object)
{
  DlDownloadRow *self = (DlDownloadRow *) object;

  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->status_text, g_free);

  G_OBJECT_CLASS (dl_download_row_parent_class)->finalize (object);
}

static void
dl_download_row_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  DlDownloadRow *self = DL_DOWNLOAD_ROW (object);

  switch (prop_id)
    {
    case PROP_DOWNLOAD:
      g_value_set_object (value, self->download);
      break;

    case PROP_MENU_OPEN:
      g_value_set_boolean (value, self->menu_open);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dl_download_row_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DlDownloadRow *self = DL_DOWNLOAD_ROW (object);

  switch (prop_id)
    {
    case PROP_DOWNLOAD:
      dl_download_row_set_download (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dl_download_row_class_init (DlDownloadRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->snapshot = dl_download_row_snapshot;
  widget_class->map = dl_download_row_map;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "downloadrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);

  object_class->constructed = dl_download_row_constructed;
  object_class->dispose = dl_download_row_dispose;
  object_class->finalize = dl_download_row_finalize;
  object_class->get_property = dl_download_row_get_property;
  object_class->set_property = dl_download_row_set_property;

  properties [PROP_DOWNLOAD] =
    g_param_spec_object ("download", NULL, NULL,
                         DL_TYPE_DOWNLOAD,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_MENU_OPEN] =
    g_param_spec_boolean ("menu-open", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (DL_TYPE_PROGRESS_BAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/libbridge/Downloader/ui/dl-download-row.ui");
  gtk_widget_class_bind_template_child (widget_class, DlDownloadRow, icon);
  gtk_widget_class_bind_template_child (widget_class, DlDownloadRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, DlDownloadRow, host_label);
  gtk_widget_class_bind_template_child (widget_class, DlDownloadRow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, DlDownloadRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, DlDownloadRow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, DlDownloadRow, resume_button);
  gtk_widget_class_bind_template_child (widget_class, DlDownloadRow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, DlDownloadRow, redownload_button);
  gtk_widget_class_bind_template_child (widget_class, DlDownloadRow, open_button);
  gtk_widget_class_bind_template_child (widget_class, DlDownloadRow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, DlDownloadRow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, DlDownloadRow, row_menu);

  gtk_widget_class_install_action (widget_class, "row.pause", NULL, pause_action);
  gtk_widget_class_install_action (widget_class, "row.resume", NULL, resume_action);
  gtk_widget_class_install_action (widget_class, "row.retry", NULL, retry_action);
  gtk_widget_class_install_action (widget_class, "row.download-anyway", NULL, download_anyway_action);
  gtk_widget_class_install_action (widget_class, "row.limit-speed", NULL, limit_speed_action);
  gtk_widget_class_install_action (widget_class, "row.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "row.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "row.show-in-folder", NULL, show_in_folder_action);
  gtk_widget_class_install_action (widget_class, "row.copy-url", NULL, copy_url_action);
  gtk_widget_class_install_action (widget_class, "row.remove", NULL, remove_action);
  gtk_widget_class_install_action (widget_class, "row.trash", NULL, trash_action);
  gtk_widget_class_install_action (widget_class, "row.toggle", NULL, toggle_action);
  gtk_widget_class_install_action (widget_class, "row.redownload", NULL, redownload_action);
  gtk_widget_class_install_action (widget_class, "row.menu", NULL, menu_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "row.remove", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Delete, 0, "row.remove", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, "row.menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0, "row.menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK, "row.copy-url", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_space, 0, "row.toggle", NULL);
}

/* The menu is made when first opened: a popover menu is a tree of widgets
 * that track their actions, and a list of a thousand rows would make, and
 * on Remove Finished tear down, a thousand of them. */
static void
create_menu_cb (GtkMenuButton *button,
                gpointer       user_data)
{
  DlDownloadRow *self = user_data;

  gtk_menu_button_set_menu_model (button, self->row_menu);
}

static void
dl_download_row_init (DlDownloadRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_focus_on_click (GTK_WIDGET (self), TRUE);
  gtk_menu_button_set_create_popup_func (self->menu_button, create_menu_cb, self, NULL);
}

/**
 * dl_download_row_new:
 * @download: (nullable): the download to show, or %NULL to set one later
 *
 * Returns: a new row
 */
GtkWidget *
dl_download_row_new (DlDownload *download)
{
  g_return_val_if_fail (download == NULL || DL_IS_DOWNLOAD (download), NULL);

  return g_object_new (DL_TYPE_DOWNLOAD_ROW, "download", download, NULL);
}

/**
 * dl_download_row_set_download:
 * @self: a #DlDownloadRow
 * @download: (nullable): the download to show
 *
 * The list reuses its rows for the downloads that scroll into view: the
 * row forgets what the window told it about the previous one (a pending
 * cancel, a missing file, a shown folder), and shows @download.
 */
void
dl_download_row_set_download (DlDownloadRow *self,
                              DlDownload    *download)
{
  g_return_if_fail (DL_IS_DOWNLOAD_ROW (self));
  g_return_if_fail (download == NULL || DL_IS_DOWNLOAD (download));

  if (self->download == download)
    return;

  unbind (self);
  if (download != NULL)
    {
      self->download = g_object_ref (download);
      self->notify_id = g_signal_connect_object (download, "notify",
                                                 G_CALLBACK (download_notify_cb), self,
                                                 G_CONNECT_SWAPPED);
      /* Those that every state allows; update() sets the others. */
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.copy-url", TRUE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.remove", TRUE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.toggle", TRUE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.menu", TRUE);
      queue_update (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_DOWNLOAD]);
}

DlDownload *
dl_download_row_get_download (DlDownloadRow *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD_ROW (self), NULL);

  return self->download;
}

/**
 * dl_download_row_get_status_text:
 * @self: a #DlDownloadRow
 *
 * Returns: the state line as shown, e.g. "Queued" or "Failed: …"
 */
const char *
dl_download_row_get_status_text (DlDownloadRow *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD_ROW (self), NULL);

  return self->status_text;
}

/**
 * dl_download_row_refresh:
 * @self: a #DlDownloadRow
 *
 * Updates the buttons. What a download allows (pause, resume…) also
 * changes when its task ends, a moment after its last state change, which
 * no download property reports; the window calls this then.
 */
void
dl_download_row_refresh (DlDownloadRow *self)
{
  g_return_if_fail (DL_IS_DOWNLOAD_ROW (self));

  queue_update (self);
}

/**
 * dl_download_row_sync_view:
 * @self: a #DlDownloadRow
 *
 * A row out of view neither draws its contents nor shows its progress;
 * this catches up once it comes into view (and lets it stop drawing once
 * it leaves). The window calls it when its list scrolls or changes size.
 */
void
dl_download_row_sync_view (DlDownloadRow *self)
{
  g_return_if_fail (DL_IS_DOWNLOAD_ROW (self));

  if (self->culled != is_scrolled_out_of_view (self))
    gtk_widget_queue_draw (GTK_WIDGET (self));
  if (self->progress_dirty)
    queue_progress (self);
}

/**
 * dl_download_row_get_button:
 * @self: a #DlDownloadRow
 * @name: "pause", "resume", "retry", "open", "redownload" or "cancel"
 *
 * Returns: (transfer none) (nullable): that button, for tests and
 *   keyboard focus handling
 */
GtkWidget *
dl_download_row_get_button (DlDownloadRow *self,
                            const char    *name)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD_ROW (self), NULL);

  if (g_strcmp0 (name, "pause") == 0)
    return self->pause_button;
  if (g_strcmp0 (name, "resume") == 0)
    return self->resume_button;
  if (g_strcmp0 (name, "retry") == 0)
    return self->retry_button;
  if (g_strcmp0 (name, "open") == 0)
    return self->open_button;
  if (g_strcmp0 (name, "redownload") == 0)
    return self->redownload_button;
  if (g_strcmp0 (name, "cancel") == 0)
    return self->cancel_button;
  return NULL;
}

const char *
dl_download_row_get_title (DlDownloadRow *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD_ROW (self), NULL);

  return self->title;
}

/**
 * dl_download_row_get_menu_open:
 * @self: a #DlDownloadRow
 *
 * Returns: whether the row's menu is open; the window keeps rows from
 *   moving meanwhile
 */
gboolean
dl_download_row_get_menu_open (DlDownloadRow *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD_ROW (self), FALSE);

  return self->menu_open;
}

/**
 * dl_download_row_set_cancel_pending:
 * @self: a #DlDownloadRow
 * @pending: whether a cancel waits for its Undo toast to expire
 *
 * The row shows "Cancelled" at once while the download only pauses, so
 * that Undo can resume it with nothing lost.
 */
void
dl_download_row_set_cancel_pending (DlDownloadRow *self,
                                    gboolean       pending)
{
  g_return_if_fail (DL_IS_DOWNLOAD_ROW (self));

  if (self->cancel_pending == !!pending)
    return;
  self->cancel_pending = !!pending;
  queue_update (self);
}

/**
 * dl_download_row_set_file_missing:
 * @self: a #DlDownloadRow
 * @missing: whether the finished file is gone from its folder
 */
void
dl_download_row_set_file_missing (DlDownloadRow *self,
                                  gboolean       missing)
{
  g_return_if_fail (DL_IS_DOWNLOAD_ROW (self));

  if (self->file_missing == !!missing)
    return;
  self->file_missing = !!missing;
  queue_update (self);
}

gboolean
dl_download_row_get_file_missing (DlDownloadRow *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD_ROW (self), FALSE);

  return self->file_missing;
}

/**
 * dl_download_row_set_show_folder:
 * @self: a #DlDownloadRow
 * @show: whether to name the destination folder beside the host
 */
void
dl_download_row_set_show_folder (DlDownloadRow *self,
                                 gboolean       show)
{
  g_return_if_fail (DL_IS_DOWNLOAD_ROW (self));

  if (self->show_folder == !!show)
    return;
  self->show_folder = !!show;
  if (is_held_hidden (self))
    self->update_dirty = TRUE;
  else
    update_host (self);
}

const char *
dl_download_row_get_host_text (DlDownloadRow *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD_ROW (self), NULL);

  return gtk_label_get_text (self->host_label);
}
