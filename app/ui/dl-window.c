/* dl-window.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-window"

#include "config.h"

#include <glib/gi18n.h>

#include "dl-application.h"
#include "dl-download-row.h"
#include "dl-format.h"
#include "dl-window.h"

/* Totals in the header are recomputed at most this often; downloads notify
 * up to ten times a second each, and the header needs no more. */
#define TOTALS_INTERVAL_MS 200

struct _DlWindow
{
  AdwApplicationWindow  parent_instance;

  /* Owned References */
  DlManager            *manager;
  GListModel           *sorted;
  GSettings            *settings;
  GCancellable         *cancellable;
  char                 *subtitle;

  /* Template Widgets */
  AdwToastOverlay      *toast_overlay;
  GtkToggleButton      *add_button;
  AdwWindowTitle       *window_title;
  GtkOverlay           *content_overlay;
  GtkProgressBar       *total_progress;
  GtkRevealer          *drop_revealer;
  GtkRevealer          *add_revealer;
  GtkLabel             *add_placeholder;
  GtkTextView          *add_view;
  GtkStack             *stack;
  AdwStatusPage        *empty_page;
  GtkScrolledWindow    *scroller;
  GtkListBox           *list_box;

  /* Borrowed References (weak) */
  GtkWidget            *last_revealed;

  guint                 totals_id;
};

enum {
  PROP_0,
  PROP_MANAGER,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

G_DEFINE_FINAL_TYPE (DlWindow, dl_window, ADW_TYPE_APPLICATION_WINDOW)

/* ---- totals in the header ------------------------------------------------------- */

static gboolean
update_totals_cb (gpointer user_data)
{
  DlWindow *self = user_data;
  GListModel *model = G_LIST_MODEL (self->manager);
  guint n_items = g_list_model_get_n_items (model);
  guint n_active = 0;
  guint n_downloading = 0;
  gint64 received = 0;
  gint64 total = 0;
  double speed = 0;
  g_autofree char *subtitle = NULL;

  self->totals_id = 0;

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);
      DlDownloadState state = dl_download_get_state (download);

      if (!dl_download_state_is_active (state))
        continue;

      n_active++;
      if (state == DL_DOWNLOAD_STATE_DOWNLOADING)
        n_downloading++;
      speed += dl_download_get_speed (download);
      if (dl_download_get_total_bytes (download) > 0)
        {
          received += MIN (dl_download_get_bytes_received (download),
                           dl_download_get_total_bytes (download));
          total += dl_download_get_total_bytes (download);
        }
    }

  if (n_active > 0)
    {
      g_autofree char *count = NULL;
      g_autofree char *rate = NULL;
      g_autofree char *left = NULL;

      count = g_strdup_printf (ngettext ("%u active download", "%u active downloads", n_active),
                               n_active);
      if (n_downloading > 0 && speed > 0)
        {
          rate = dl_format_speed (speed);
          if (total > received)
            left = dl_format_time_left ((gint64) ((total - received) / speed));
        }

      if (left != NULL)
        /* Translators: header subtitle, "3 active downloads — 4.2 MB/s — 1 minute left" */
        subtitle = g_strdup_printf (_("%s — %s — %s"), count, rate, left);
      else if (rate != NULL)
        /* Translators: header subtitle, "3 active downloads — 4.2 MB/s" */
        subtitle = g_strdup_printf (_("%s — %s"), count, rate);
      else
        subtitle = g_steal_pointer (&count);
    }
  else
    subtitle = g_strdup ("");

  if (g_strcmp0 (subtitle, self->subtitle) != 0)
    {
      g_free (self->subtitle);
      self->subtitle = g_steal_pointer (&subtitle);
      adw_window_title_set_subtitle (self->window_title, self->subtitle);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->total_progress), n_active > 0 && total > 0);
  if (total > 0)
    gtk_progress_bar_set_fraction (self->total_progress, (double) received / (double) total);

  return G_SOURCE_REMOVE;
}

static void
queue_update_totals (DlWindow *self)
{
  if (self->totals_id == 0)
    self->totals_id = g_timeout_add (TOTALS_INTERVAL_MS, update_totals_cb, self);
}

static void
download_changed_cb (DlWindow   *self,
                     GParamSpec *pspec,
                     DlDownload *download)
{
  queue_update_totals (self);
}

static void
watch_downloads (DlWindow *self,
                 guint     position,
                 guint     n_added)
{
  GListModel *model = G_LIST_MODEL (self->manager);

  for (guint i = position; i < position + n_added; i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);

      g_signal_connect_object (download, "notify", G_CALLBACK (download_changed_cb), self,
                               G_CONNECT_SWAPPED);
    }
}

static void
update_page (DlWindow *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->manager)) == 0;

  gtk_stack_set_visible_child_name (self->stack, empty ? "empty" : "list");
}

static void
manager_items_changed_cb (DlWindow   *self,
                          guint       position,
                          guint       removed,
                          guint       added,
                          GListModel *model)
{
  watch_downloads (self, position, added);
  update_page (self);
  queue_update_totals (self);
}

/* ---- the list ---------------------------------------------------------------- */

/* Rows scrolled out of view neither draw nor show their progress (see
 * dl-download-row.c); those that come into view catch up. */
static void
view_moved_cb (DlWindow      *self,
               GtkAdjustment *adjustment)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (DL_IS_DOWNLOAD_ROW (child))
      dl_download_row_sync_view (DL_DOWNLOAD_ROW (child));
}

/* A task ended. Its row follows by itself (DlDownload:running). */
static void
n_running_changed_cb (DlWindow   *self,
                      GParamSpec *pspec,
                      DlManager  *manager)
{
  queue_update_totals (self);
}

/* Newest first: what was just added is what the user looks for. */
static int
compare_downloads (gconstpointer a,
                   gconstpointer b,
                   gpointer      user_data)
{
  gint64 ca = dl_download_get_created_at ((DlDownload *) a);
  gint64 cb = dl_download_get_created_at ((DlDownload *) b);
  gint64 ia = dl_download_get_id ((DlDownload *) a);
  gint64 ib = dl_download_get_id ((DlDownload *) b);

  if (ca != cb)
    return ca < cb ? 1 : -1;
  if (ia != ib)
    return ia < ib ? 1 : -1;
  return 0;
}

static GtkWidget *
create_row_cb (gpointer item,
               gpointer user_data)
{
  return dl_download_row_new (DL_DOWNLOAD (item));
}

static void
row_activated_cb (DlWindow      *self,
                  GtkListBoxRow *row,
                  GtkListBox    *list_box)
{
  DlDownload *download;

  g_assert (DL_IS_WINDOW (self));

  if (!DL_IS_DOWNLOAD_ROW (row))
    return;

  download = dl_download_row_get_download (DL_DOWNLOAD_ROW (row));
  if (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DONE)
    gtk_widget_activate_action (GTK_WIDGET (row), "row.open", NULL);
  else
    gtk_widget_activate_action (GTK_WIDGET (row), "row.toggle", NULL);
}

static guint
position_of (DlWindow   *self,
             DlDownload *download)
{
  guint n = g_list_model_get_n_items (self->sorted);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DlDownload) item = g_list_model_get_item (self->sorted, i);

      if (item == download)
        return i;
    }
  return G_MAXUINT;
}

/* ---- adding ---------------------------------------------------------------- */

static char *
describe_add_error (const char   *link,
                    const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    /* Translators: %s is a link */
    return g_strdup_printf (_("Only web links can be downloaded, not “%s”"), link);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    /* Translators: %s is a link */
    return g_strdup_printf (_("“%s” is not a valid link"), link);
  /* Translators: %s is an error message */
  return g_strdup_printf (_("Could not add the download: %s"), error->message);
}

/**
 * dl_window_add_links:
 * @self: a #DlWindow
 * @links: (array zero-terminated=1): http or https links
 *
 * Queues each link. A link that is already in the list and not finished is
 * resumed instead of downloaded twice. Problems are shown as toasts.
 *
 * Returns: how many links were queued or resumed
 */
guint
dl_window_add_links (DlWindow           *self,
                     const char * const *links)
{
  DlDownload *last = NULL;
  guint n_added = 0;

  g_return_val_if_fail (DL_IS_WINDOW (self), 0);

  for (guint i = 0; links != NULL && links[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      DlDownload *download;

      download = dl_manager_find_unfinished (self->manager, links[i], NULL);
      if (download != NULL)
        {
          if (dl_download_can_resume (download))
            dl_download_resume (download);
          else if (dl_download_can_retry (download))
            dl_download_retry (download);
        }
      else
        download = dl_manager_add (self->manager, links[i], NULL, &error);

      if (download == NULL)
        {
          g_autofree char *message = describe_add_error (links[i], error);

          dl_window_show_toast (self, message);
          continue;
        }

      last = download;
      n_added++;
    }

  if (last != NULL)
    dl_window_reveal_download (self, last);

  return n_added;
}

/**
 * dl_window_add_text:
 * @self: a #DlWindow
 * @text: pasted or dropped text with one or more links in it
 *
 * Returns: how many links were queued
 */
guint
dl_window_add_text (DlWindow   *self,
                    const char *text)
{
  g_auto(GStrv) links = NULL;
  g_auto(GStrv) rejected = NULL;
  guint n_added;

  g_return_val_if_fail (DL_IS_WINDOW (self), 0);

  links = dl_parse_links (text, &rejected);

  if (rejected != NULL && rejected[0] != NULL)
    {
      g_autofree char *message = NULL;

      /* Translators: %s is a link such as ftp://example.com/file */
      message = g_strdup_printf (_("Only web links can be downloaded, not “%s”"), rejected[0]);
      dl_window_show_toast (self, message);
    }

  if (links[0] == NULL)
    {
      if (rejected == NULL || rejected[0] == NULL)
        dl_window_show_toast (self, _("No links found"));
      return 0;
    }

  n_added = dl_window_add_links (self, (const char * const *) links);

  if (n_added > 1)
    {
      g_autofree char *message = NULL;

      message = g_strdup_printf (ngettext ("Added %u download", "Added %u downloads", n_added),
                                 n_added);
      dl_window_show_toast (self, message);
    }

  return n_added;
}

static void
update_placeholder (DlWindow *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->add_view);

  gtk_widget_set_visible (GTK_WIDGET (self->add_placeholder),
                          gtk_text_buffer_get_char_count (buffer) == 0);
}

static void
clipboard_read_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(DlWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *joined = NULL;
  g_auto(GStrv) links = NULL;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  if (text == NULL)
    return;

  /* The user may have typed already, or closed the bar again. */
  buffer = gtk_text_view_get_buffer (self->add_view);
  if (!gtk_revealer_get_reveal_child (self->add_revealer) ||
      gtk_text_buffer_get_char_count (buffer) > 0)
    return;

  links = dl_parse_links (text, NULL);
  if (links[0] == NULL)
    return;

  joined = g_strjoinv ("\n", links);
  gtk_text_buffer_set_text (buffer, joined, -1);

  /* Selected, so typing replaces the suggestion and Enter accepts it. */
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  gtk_text_buffer_select_range (buffer, &end, &start);
}

static void
add_revealed_cb (DlWindow    *self,
                 GParamSpec  *pspec,
                 GtkRevealer *revealer)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->add_view);

  if (gtk_revealer_get_reveal_child (revealer))
    {
      /* The clipboard is read once, now that the user asked to add
       * something: never watched in the background. */
      gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (self)),
                                     self->cancellable,
                                     clipboard_read_cb,
                                     g_object_ref (self));
      gtk_widget_grab_focus (GTK_WIDGET (self->add_view));
    }
  else
    {
      gtk_text_buffer_set_text (buffer, "", 0);
      if (gtk_widget_has_focus (GTK_WIDGET (self->add_view)))
        gtk_widget_grab_focus (self->last_revealed != NULL ? self->last_revealed
                                                           : GTK_WIDGET (self->list_box));
      g_clear_weak_pointer (&self->last_revealed);
    }
}

void
dl_window_set_add_open (DlWindow *self,
                        gboolean  open)
{
  g_return_if_fail (DL_IS_WINDOW (self));

  gtk_revealer_set_reveal_child (self->add_revealer, open);
}

gboolean
dl_window_get_add_open (DlWindow *self)
{
  g_return_val_if_fail (DL_IS_WINDOW (self), FALSE);

  return gtk_revealer_get_reveal_child (self->add_revealer);
}

static void
add_confirm_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  DlWindow *self = DL_WINDOW (widget);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->add_view);
  g_autofree char *text = NULL;
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);

  if (dl_window_add_text (self, text) > 0)
    dl_window_set_add_open (self, FALSE);
}

static gboolean
add_view_key_pressed_cb (DlWindow              *self,
                         guint                  keyval,
                         guint                  keycode,
                         GdkModifierType        state,
                         GtkEventControllerKey *controller)
{
  g_assert (DL_IS_WINDOW (self));

  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter) &&
      (state & GDK_SHIFT_MASK) == 0)
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "win.add-confirm", NULL);
      return GDK_EVENT_STOP;
    }

  if (keyval == GDK_KEY_Escape)
    {
      dl_window_set_add_open (self, FALSE);
      return GDK_EVENT_STOP;
    }

  return GDK_EVENT_PROPAGATE;
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *param)
{
  DlWindow *self = DL_WINDOW (widget);

  if (dl_window_get_add_open (self))
    gtk_widget_grab_focus (GTK_WIDGET (self->add_view));
  else
    dl_window_set_add_open (self, TRUE);
}

static void
close_add_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  dl_window_set_add_open (DL_WINDOW (widget), FALSE);
}

static void
paste_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(DlWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  if (text == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        dl_window_show_toast (self, _("The clipboard has no links"));
      return;
    }

  dl_window_add_text (self, text);
}

/* Ctrl+V anywhere but in a text field (which handles it first) adds what
 * the clipboard holds. */
static void
paste_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  DlWindow *self = DL_WINDOW (widget);

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget),
                                 self->cancellable,
                                 paste_read_cb,
                                 g_object_ref (self));
}

/* ---- drag and drop ------------------------------------------------------------ */

static gboolean
drop_cb (DlWindow      *self,
         const GValue  *value,
         double         x,
         double         y,
         GtkDropTarget *target)
{
  g_autoptr(GString) text = g_string_new (NULL);

  gtk_revealer_set_reveal_child (self->drop_revealer, FALSE);

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      for (GSList *l = g_value_get_boxed (value); l != NULL; l = l->next)
        {
          g_autofree char *uri = g_file_get_uri (l->data);

          g_string_append_printf (text, "%s\n", uri);
        }
    }
  else if (G_VALUE_HOLDS_STRING (value))
    g_string_append (text, g_value_get_string (value));
  else
    return FALSE;

  return dl_window_add_text (self, text->str) > 0;
}

static GdkDragAction
drop_enter_cb (DlWindow      *self,
               double         x,
               double         y,
               GtkDropTarget *target)
{
  gtk_revealer_set_reveal_child (self->drop_revealer, TRUE);
  return GDK_ACTION_COPY;
}

static void
drop_leave_cb (DlWindow      *self,
               GtkDropTarget *target)
{
  gtk_revealer_set_reveal_child (self->drop_revealer, FALSE);
}

/* ---- other actions -------------------------------------------------------------- */

static void
toast_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  dl_window_show_toast (DL_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
for_each_download (DlWindow *self,
                   void    (*func) (DlDownload *download))
{
  GListModel *model = G_LIST_MODEL (self->manager);
  g_autoptr(GPtrArray) downloads = g_ptr_array_new_with_free_func (g_object_unref);

  /* Snapshot first: removing changes the model under the loop. */
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    g_ptr_array_add (downloads, g_list_model_get_item (model, i));
  for (guint i = 0; i < downloads->len; i++)
    func (g_ptr_array_index (downloads, i));
}

static void
pause_all_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  for_each_download (DL_WINDOW (widget), dl_download_pause);
}

static void
resume_all_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  for_each_download (DL_WINDOW (widget), dl_download_resume);
}

static void
remove_if_finished (DlDownload *download)
{
  DlDownloadState state = dl_download_get_state (download);

  if (state == DL_DOWNLOAD_STATE_DONE || state == DL_DOWNLOAD_STATE_CANCELLED)
    dl_download_remove (download);
}

static void
clear_finished_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  for_each_download (DL_WINDOW (widget), remove_if_finished);
}

static void
show_download_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  DlWindow *self = DL_WINDOW (widget);
  DlDownload *download = dl_manager_lookup (self->manager, g_variant_get_int64 (param));

  gtk_window_present (GTK_WINDOW (self));
  if (download != NULL)
    dl_window_reveal_download (self, download);
}

/* ---- window state ---------------------------------------------------------------- */

void
dl_window_save_state (DlWindow *self)
{
  int width, height;

  g_return_if_fail (DL_IS_WINDOW (self));

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_apply (self->settings);
}

static gboolean
dl_window_close_request (GtkWindow *window)
{
  DlWindow *self = (DlWindow *) window;
  GtkApplication *app = gtk_window_get_application (window);

  g_assert (DL_IS_WINDOW (self));

  dl_window_save_state (self);

  if (DL_IS_APPLICATION (app) && !dl_application_confirm_close (DL_APPLICATION (app), window))
    return TRUE;

  return GTK_WINDOW_CLASS (dl_window_parent_class)->close_request (window);
}

/* ---- GObject --------------------------------------------------------------------- */

static void
dl_window_constructed (GObject *object)
{
  DlWindow *self = (DlWindow *) object;
  g_autoptr(GtkSortListModel) sorted = NULL;
  GtkCustomSorter *sorter;

  G_OBJECT_CLASS (dl_window_parent_class)->constructed (object);

  g_assert (DL_IS_MANAGER (self->manager));

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  sorter = gtk_custom_sorter_new (compare_downloads, NULL, NULL);
  sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->manager)),
                                    GTK_SORTER (sorter));
  self->sorted = G_LIST_MODEL (g_steal_pointer (&sorted));
  gtk_list_box_bind_model (self->list_box, self->sorted, create_row_cb, self, NULL);

  g_signal_connect_object (self->manager, "items-changed",
                           G_CALLBACK (manager_items_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "notify::n-running",
                           G_CALLBACK (n_running_changed_cb), self, G_CONNECT_SWAPPED);
  watch_downloads (self, 0, g_list_model_get_n_items (G_LIST_MODEL (self->manager)));
  update_page (self);
  update_totals_cb (self);
}

static void
dl_window_dispose (GObject *object)
{
  DlWindow *self = (DlWindow *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_weak_pointer (&self->last_revealed);
  g_clear_handle_id (&self->totals_id, g_source_remove);

  /* The rows hold their downloads; unbinding first lets them go with the
   * template. */
  if (self->list_box != NULL)
    gtk_list_box_bind_model (self->list_box, NULL, NULL, NULL, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), DL_TYPE_WINDOW);

  g_clear_object (&self->sorted);
  g_clear_object (&self->manager);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (dl_window_parent_class)->dispose (object);
}

static void
dl_window_finalize (GObject *object)
{
  DlWindow *self = (DlWindow *) object;

  g_clear_pointer (&self->subtitle, g_free);

  G_OBJECT_CLASS (dl_window_parent_class)->finalize (object);
}

static void
dl_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  DlWindow *self = DL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      g_value_set_object (value, self->manager);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dl_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  DlWindow *self = DL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      self->manager = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dl_window_class_init (DlWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = dl_window_constructed;
  object_class->dispose = dl_window_dispose;
  object_class->finalize = dl_window_finalize;
  object_class->get_property = dl_window_get_property;
  object_class->set_property = dl_window_set_property;

  window_class->close_request = dl_window_close_request;

  properties [PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL,
                         DL_TYPE_MANAGER,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/libbridge/Downloader/ui/dl-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DlWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, add_button);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, content_overlay);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, total_progress);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, drop_revealer);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, add_revealer);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, add_placeholder);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, add_view);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, scroller);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, list_box);

  gtk_widget_class_install_action (widget_class, "win.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "win.add-confirm", NULL, add_confirm_action);
  gtk_widget_class_install_action (widget_class, "win.close-add", NULL, close_add_action);
  gtk_widget_class_install_action (widget_class, "win.paste", NULL, paste_action);
  gtk_widget_class_install_action (widget_class, "win.toast", "s", toast_action);
  gtk_widget_class_install_action (widget_class, "win.pause-all", NULL, pause_all_action);
  gtk_widget_class_install_action (widget_class, "win.resume-all", NULL, resume_all_action);
  gtk_widget_class_install_action (widget_class, "win.clear-finished", NULL, clear_finished_action);
  gtk_widget_class_install_action (widget_class, "win.show-download", "x", show_download_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.add", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "win.add", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_v, GDK_CONTROL_MASK, "win.paste", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Insert, GDK_SHIFT_MASK, "win.paste", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
dl_window_init (DlWindow *self)
{
  GtkEventController *key;
  GtkDropTarget *drop;
  GtkAdjustment *vadjustment;
  GType drop_types[] = { GDK_TYPE_FILE_LIST, G_TYPE_STRING };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (DL_SETTINGS_SCHEMA_ID);
  self->cancellable = g_cancellable_new ();

  adw_status_page_set_icon_name (self->empty_page, APP_ID "-symbolic");

  g_object_bind_property (self->add_button, "active", self->add_revealer, "reveal-child",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->add_revealer, "notify::reveal-child",
                           G_CALLBACK (add_revealed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_text_view_get_buffer (self->add_view), "changed",
                           G_CALLBACK (update_placeholder), self, G_CONNECT_SWAPPED);

  key = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (key, GTK_PHASE_CAPTURE);
  g_signal_connect_object (key, "key-pressed", G_CALLBACK (add_view_key_pressed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->add_view), key);

  g_signal_connect_object (self->list_box, "row-activated", G_CALLBACK (row_activated_cb), self,
                           G_CONNECT_SWAPPED);
  /* "changed" covers a new page size and rows added or removed above. */
  vadjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  g_signal_connect_object (vadjustment, "value-changed", G_CALLBACK (view_moved_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (vadjustment, "changed", G_CALLBACK (view_moved_cb), self,
                           G_CONNECT_SWAPPED);

  drop = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (drop, drop_types, G_N_ELEMENTS (drop_types));
  g_signal_connect_object (drop, "drop", G_CALLBACK (drop_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (drop, "enter", G_CALLBACK (drop_enter_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (drop, "leave", G_CALLBACK (drop_leave_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->content_overlay), GTK_EVENT_CONTROLLER (drop));

  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}

DlWindow *
dl_window_new (GtkApplication *application,
               DlManager      *manager)
{
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (DL_IS_MANAGER (manager), NULL);

  return g_object_new (DL_TYPE_WINDOW,
                       "application", application,
                       "manager", manager,
                       NULL);
}

void
dl_window_show_toast (DlWindow   *self,
                      const char *message)
{
  AdwToast *toast;

  g_return_if_fail (DL_IS_WINDOW (self));
  g_return_if_fail (message != NULL);

  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 4);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/**
 * dl_window_find_row:
 * @self: a #DlWindow
 * @download: a download of the window's manager
 *
 * Returns: (transfer none) (nullable): the row showing @download
 */
DlDownloadRow *
dl_window_find_row (DlWindow   *self,
                    DlDownload *download)
{
  guint position;

  g_return_val_if_fail (DL_IS_WINDOW (self), NULL);

  position = position_of (self, download);
  if (position == G_MAXUINT)
    return NULL;

  return DL_DOWNLOAD_ROW (gtk_list_box_get_row_at_index (self->list_box, position));
}

/* Moves the keyboard focus to the row, which also scrolls it into view;
 * with the add card open, that happens when it closes. */
void
dl_window_reveal_download (DlWindow   *self,
                           DlDownload *download)
{
  DlDownloadRow *row;

  g_return_if_fail (DL_IS_WINDOW (self));

  row = dl_window_find_row (self, download);
  if (row == NULL)
    return;

  if (!dl_window_get_add_open (self))
    gtk_widget_grab_focus (GTK_WIDGET (row));
  else
    g_set_weak_pointer (&self->last_revealed, GTK_WIDGET (row));
}

const char *
dl_window_get_visible_page (DlWindow *self)
{
  g_return_val_if_fail (DL_IS_WINDOW (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}
