/* dl-window.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-window"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <libbridge.h>

#include "dl-add-downloads-action.h"
#include "dl-add-options.h"
#include "dl-application.h"
#include "dl-download-row.h"
#include "dl-format.h"
#include "dl-progress-bar.h"
#include "dl-window.h"

/* Totals in the header are recomputed this long after a change. Downloads
 * notify at each 100 ms tick of the engine, and the header needs no more
 * than every other one; a delay that is not a whole number of ticks keeps
 * the header's work (the totals, and the window's layout for the new
 * subtitle) out of the main loop iteration that runs the tick. */
#define TOTALS_INTERVAL_MS 150

/* Rows kept for reuse: enough for those that Remove Finished moves
 * through the list's range between two frames. */
#define MAX_SPARE_ROWS 32
/* Rows built ahead while idle: the list drops the rows of removed
 * downloads only after it made those that take their places. */
#define N_SPARE_ROWS_AHEAD 8

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
  GtkInscription       *subtitle_inscription;
  GtkOverlay           *content_overlay;
  DlProgressBar        *total_progress;
  GtkRevealer          *drop_revealer;
  GtkRevealer          *add_revealer;
  GtkLabel             *add_placeholder;
  GtkTextView          *add_view;
  GtkStack             *stack;
  AdwStatusPage        *empty_page;
  GtkScrolledWindow    *scroller;
  GtkListView          *list_view;

  /* What the list shows: the sorted downloads minus those waiting for
   * their Undo toast to expire, and held still while a row menu is open. */
  GtkFilterListModel   *visible;
  GtkFilter            *hidden_filter;
  GHashTable           *hidden;             /* DlDownload* set */
  GListStore           *shown;
  /* The rows that exist: the list makes them only for downloads in or near
   * the view, and reuses them as it scrolls. */
  GHashTable           *rows;               /* DlDownload* → DlDownloadRow* (borrowed) */
  /* Every row made, those without a list item kept for the next ones:
   * the list makes and drops items as rows move through its range, and a
   * row takes long to build. */
  GPtrArray            *all_rows;           /* DlDownloadRow* */
  /* Downloads that share their file name with another: their rows name
   * the folder too. */
  GHashTable           *name_clashes;       /* DlDownload* set */
  GPtrArray            *held_changes;       /* HeldChange*, applied in order */
  /* Removals gathered into one change, applied before the next frame:
   * Remove Finished takes rows out one by one, and the list would remake
   * the rows that move into its range after each of them. removal_id is
   * set while removals are being gathered. */
  guint                 removal_position;
  guint                 removal_count;
  guint                 removal_id;
  guint                 spare_id;
  GHashTable           *pending;            /* DlDownload* → PendingOp* */

  /* Template Widgets */
  GtkWidget            *add_confirm_button;
  DlAddOptions         *add_options;
  DlRequestOptions     *adding_options; /* the add card's Advanced options while its links are added */
  GtkLabel             *add_hint;

  /* Borrowed References (weak) */
  GtkWidget            *last_revealed;
  AdwToast             *last_toast;

  guint                 totals_id;
  /* The shown downloads or their names changed since the folder hints. */
  guint                 folder_hints_dirty : 1;
  /* After Delete, the row at this index takes the focus (-1: none). */
  int                   focus_index;
};

/* A change of the visible downloads, held back while a row menu is open
 * so that what the pointer is on stays there. */
typedef struct
{
  guint      position;
  guint      removed;
  GPtrArray *added;
} HeldChange;

static void
held_change_free (HeldChange *change)
{
  g_ptr_array_unref (change->added);
  g_free (change);
}

typedef enum
{
  PENDING_CANCEL,
  PENDING_REMOVE,
  PENDING_TRASH,
} PendingKind;

/* A cancel, remove or trash that the user can still undo. It owns what it
 * needs to finish without the window (which may close first). */
typedef struct
{
  DlWindow    *window;      /* weak */
  DlManager   *manager;
  DlDownload  *download;
  AdwToast    *toast;       /* weak */
  PendingKind  kind;
  gulong       settle_handler;
  guint        resume_after_undo : 1;
} PendingOp;

enum {
  PROP_0,
  PROP_MANAGER,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

G_DEFINE_FINAL_TYPE (DlWindow, dl_window, ADW_TYPE_APPLICATION_WINDOW)

static char *describe_add_error (const char   *link,
                                 const GError *error);
static void  add_toast          (DlWindow     *self,
                                 AdwToast     *toast);
static GtkWidget *toast_label_new (const char *message);

/* ---- totals in the header ------------------------------------------------------- */

static gboolean
is_hidden (DlWindow   *self,
           DlDownload *download)
{
  return self->hidden != NULL && g_hash_table_contains (self->hidden, download);
}

static gboolean
is_cancel_pending (DlWindow   *self,
                   DlDownload *download)
{
  PendingOp *op;

  if (self->pending == NULL)
    return FALSE;
  op = g_hash_table_lookup (self->pending, download);
  return op != NULL && op->kind == PENDING_CANCEL;
}

/* Rows whose file names collide name their folders too. */
static void
update_folder_hints (DlWindow *self)
{
  GListModel *shown = G_LIST_MODEL (self->shown);
  guint n_items = g_list_model_get_n_items (shown);
  g_autoptr(GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer download, row;

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DlDownload) item = g_list_model_get_item (shown, i);
      char *name = dl_format_display_name (item);
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, name));

      g_ptr_array_add (names, name);
      if (count == 0)
        g_hash_table_insert (counts, g_strdup (name), GUINT_TO_POINTER (1));
      else
        g_hash_table_insert (counts, g_strdup (name), GUINT_TO_POINTER (count + 1));
    }

  g_hash_table_remove_all (self->name_clashes);
  for (guint i = 0; i < n_items; i++)
    {
      char *name = g_ptr_array_index (names, i);

      if (GPOINTER_TO_UINT (g_hash_table_lookup (counts, name)) > 1)
        g_hash_table_add (self->name_clashes, g_list_model_get_item (shown, i));
      g_free (name);
    }

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, &download, &row))
    dl_download_row_set_show_folder (row, g_hash_table_contains (self->name_clashes, download));
}

static gboolean
update_totals_cb (gpointer user_data)
{
  DlWindow *self = user_data;
  GListModel *model = G_LIST_MODEL (self->manager);
  guint n_items;
  guint n_listed = 0;
  guint n_downloading = 0;
  guint n_queued = 0;
  guint n_retrying = 0;
  guint n_paused = 0;
  guint n_pausable = 0;
  guint n_resumable = 0;
  guint n_finished = 0;
  gint64 received = 0;
  gint64 total = 0;
  double speed = 0;
  g_autofree char *subtitle = NULL;

  self->totals_id = 0;
  if (model == NULL)
    return G_SOURCE_REMOVE;
  n_items = g_list_model_get_n_items (model);

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);
      DlDownloadState state = dl_download_get_state (download);

      if (is_hidden (self, download))
        continue;

      n_listed++;
      /* A cancel that can still be undone keeps the download paused
       * underneath, but the row says Cancelled: the header and Resume All
       * must agree with the row. */
      if (is_cancel_pending (self, download))
        {
          n_finished++;
          continue;
        }
      if (dl_download_can_pause (download))
        n_pausable++;
      if (dl_download_can_resume (download))
        n_resumable++;
      if (state == DL_DOWNLOAD_STATE_DONE || state == DL_DOWNLOAD_STATE_CANCELLED)
        n_finished++;

      switch (state)
        {
        case DL_DOWNLOAD_STATE_QUEUED:
          n_queued++;
          break;
        case DL_DOWNLOAD_STATE_RETRYING:
          /* Waiting, not transferring: it holds no connection slot. */
          n_retrying++;
          break;
        case DL_DOWNLOAD_STATE_PAUSED:
          n_paused++;
          break;
        case DL_DOWNLOAD_STATE_CONNECTING:
        case DL_DOWNLOAD_STATE_DOWNLOADING:
        case DL_DOWNLOAD_STATE_VERIFYING:
          n_downloading++;
          break;
        case DL_DOWNLOAD_STATE_DONE:
        case DL_DOWNLOAD_STATE_FAILED:
        case DL_DOWNLOAD_STATE_CANCELLED:
        default:
          break;
        }

      if (!dl_download_state_is_active (state))
        continue;

      speed += dl_download_get_speed (download);
      if (dl_download_get_total_bytes (download) > 0)
        {
          received += MIN (dl_download_get_bytes_received (download),
                           dl_download_get_total_bytes (download));
          total += dl_download_get_total_bytes (download);
        }
    }

  if (n_downloading > 0)
    {
      g_autofree char *count = NULL;
      g_autofree char *rate = NULL;
      g_autofree char *left = NULL;

      count = g_strdup_printf (ngettext ("%u downloading", "%u downloading", n_downloading),
                               n_downloading);
      if (speed > 0)
        {
          rate = dl_format_speed (speed);
          /* The same rounding as each row's own time left. */
          if (total > received)
            left = dl_format_time_left ((gint64) ((total - received) / speed));
        }

      if (left != NULL)
        /* Translators: header subtitle, "3 downloading — 4.2 MB/s — 1 minute left" */
        subtitle = g_strdup_printf (_("%s — %s — %s"), count, rate, left);
      else if (rate != NULL)
        /* Translators: header subtitle, "3 downloading — 4.2 MB/s" */
        subtitle = g_strdup_printf (_("%s — %s"), count, rate);
      else
        subtitle = g_steal_pointer (&count);
    }
  else if (n_retrying > 0)
    subtitle = g_strdup_printf (ngettext ("%u waiting to retry", "%u waiting to retry", n_retrying),
                                n_retrying);
  else if (n_queued > 0)
    subtitle = g_strdup_printf (ngettext ("%u queued", "%u queued", n_queued), n_queued);
  else if (n_paused > 0)
    subtitle = g_strdup_printf (ngettext ("%u paused", "%u paused", n_paused), n_paused);
  else if (n_listed > 0)
    subtitle = g_strdup (_("All finished"));
  else
    subtitle = g_strdup ("");

  if (g_strcmp0 (subtitle, self->subtitle) != 0)
    {
      g_free (self->subtitle);
      self->subtitle = g_steal_pointer (&subtitle);
      /* An inscription's size does not follow its text: a new text only
       * redraws it. A label's new text would lay out the whole window again
       * several times a second, and on X11 each such layout asks the X
       * server, over several round trips, where the window and its monitor
       * are, while the main loop waits. */
      gtk_inscription_set_text (self->subtitle_inscription, self->subtitle);
      gtk_widget_set_visible (GTK_WIDGET (self->subtitle_inscription), *self->subtitle != '\0');
    }

  gtk_widget_set_visible (GTK_WIDGET (self->total_progress), n_downloading + n_queued > 0 && total > 0);
  if (total > 0)
    dl_progress_bar_set_fraction (self->total_progress, (double) received / (double) total);

  /* Menu entries that would do nothing are greyed out. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.pause-all", n_pausable > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.resume-all", n_resumable > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.clear-finished", n_finished > 0);

  if (self->folder_hints_dirty)
    {
      self->folder_hints_dirty = FALSE;
      update_folder_hints (self);
    }

  return G_SOURCE_REMOVE;
}

static void
queue_update_totals (DlWindow *self)
{
  if (self->totals_id == 0 && self->manager != NULL)
    self->totals_id = g_timeout_add (TOTALS_INTERVAL_MS, update_totals_cb, self);
}

static void
download_changed_cb (DlWindow   *self,
                     GParamSpec *pspec,
                     DlDownload *download)
{
  if (pspec->name == g_intern_static_string ("file-name"))
    self->folder_hints_dirty = TRUE;
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
  gboolean empty;

  /* Disposed, with the manager still announcing changes. */
  if (self->visible == NULL)
    return;

  empty = g_list_model_get_n_items (G_LIST_MODEL (self->visible)) == 0;

  /* Until the window is on screen there is nothing to fade from: the
   * first frame shows the list straight away when there is history. */
  gtk_stack_set_visible_child_full (self->stack, empty ? "empty" : "list",
                                    gtk_widget_get_mapped (GTK_WIDGET (self))
                                      ? GTK_STACK_TRANSITION_TYPE_CROSSFADE
                                      : GTK_STACK_TRANSITION_TYPE_NONE);
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
  GHashTableIter iter;
  gpointer row;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, NULL, &row))
    dl_download_row_sync_view (row);
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

static gboolean
any_menu_open (DlWindow *self)
{
  GHashTableIter iter;
  gpointer row;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, NULL, &row))
    if (dl_download_row_get_menu_open (row))
      return TRUE;
  return FALSE;
}

/* The row showing the download at @position, scrolled into view first:
 * the list makes rows only for what is in or near the view. */
static DlDownloadRow *
row_at (DlWindow *self,
        guint     position)
{
  g_autoptr(DlDownload) download = g_list_model_get_item (G_LIST_MODEL (self->shown), position);
  DlDownloadRow *row;

  if (download == NULL)
    return NULL;

  row = g_hash_table_lookup (self->rows, download);
  if (row == NULL)
    {
      gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u",
                                  position);
      row = g_hash_table_lookup (self->rows, download);
    }
  return row;
}

static void
apply_focus_index (DlWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->shown));
  DlDownloadRow *row;

  if (self->focus_index < 0)
    return;

  if (n > 0)
    {
      row = row_at (self, MIN ((guint) self->focus_index, n - 1));
      if (row != NULL)
        gtk_widget_grab_focus (GTK_WIDGET (row));
    }
  self->focus_index = -1;
}

static void
apply_change (DlWindow   *self,
              guint       position,
              guint       removed,
              GPtrArray  *added)
{
  g_list_store_splice (self->shown, position, removed, added->pdata, added->len);
  self->folder_hints_dirty = TRUE;
  queue_update_totals (self);
}

static void
apply_held_changes (DlWindow *self)
{
  g_autoptr(GPtrArray) held = g_steal_pointer (&self->held_changes);

  self->held_changes = g_ptr_array_new_with_free_func ((GDestroyNotify) held_change_free);
  for (guint i = 0; i < held->len; i++)
    {
      HeldChange *change = g_ptr_array_index (held, i);

      apply_change (self, change->position, change->removed, change->added);
    }
  apply_focus_index (self);
  update_page (self);
}

static void
hold_change (DlWindow  *self,
             guint      position,
             guint      removed,
             GPtrArray *added)
{
  HeldChange *change = g_new0 (HeldChange, 1);

  change->position = position;
  change->removed = removed;
  change->added = added != NULL ? g_ptr_array_ref (added)
                                : g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->held_changes, change);
}

/* Applies the gathered removals, or holds them with the other changes
 * while a row menu is open. */
static void
flush_removals (DlWindow *self)
{
  g_autoptr(GPtrArray) none = NULL;
  guint position = self->removal_position;
  guint count = self->removal_count;

  if (count == 0)
    return;
  self->removal_count = 0;

  if (self->held_changes->len > 0 || any_menu_open (self))
    {
      hold_change (self, position, count, NULL);
      return;
    }

  none = g_ptr_array_new ();
  apply_change (self, position, count, none);
  apply_focus_index (self);
  update_page (self);
}

static gboolean
flush_removals_cb (gpointer user_data)
{
  DlWindow *self = user_data;

  self->removal_id = 0;
  flush_removals (self);
  return G_SOURCE_REMOVE;
}

/* Whether a removal of @removed rows at @position continues the gathered
 * one: at the same place (the rows below moved up) or just above it. */
static gboolean
extend_removal (DlWindow *self,
                guint     position,
                guint     removed)
{
  if (self->removal_count == 0)
    {
      self->removal_position = position;
      self->removal_count = removed;
      return TRUE;
    }
  if (position == self->removal_position)
    {
      self->removal_count += removed;
      return TRUE;
    }
  if (position + removed == self->removal_position)
    {
      self->removal_position = position;
      self->removal_count += removed;
      return TRUE;
    }
  return FALSE;
}

static void
visible_items_changed_cb (DlWindow   *self,
                          guint       position,
                          guint       removed,
                          guint       added,
                          GListModel *model)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = position; i < position + added; i++)
    g_ptr_array_add (items, g_list_model_get_item (model, i));

  /* A removal shows at once; those that follow it within the same turn of
   * the main loop are gathered, and shown before the frame's layout (which
   * runs at GDK_PRIORITY_REDRAW). */
  if (added == 0 && removed > 0 && self->removal_id != 0)
    {
      if (!extend_removal (self, position, removed))
        {
          flush_removals (self);
          extend_removal (self, position, removed);
        }
      return;
    }
  flush_removals (self);
  if (added == 0 && removed > 0)
    self->removal_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE + 10, flush_removals_cb, self, NULL);

  /* A row whose menu is open stays where the pointer is; so do all the
   * rows, until the menu closes. */
  if (self->held_changes->len > 0 || any_menu_open (self))
    {
      hold_change (self, position, removed, items);
      return;
    }

  apply_change (self, position, removed, items);
  apply_focus_index (self);
  update_page (self);
}

static void
row_menu_open_cb (DlWindow      *self,
                  GParamSpec    *pspec,
                  DlDownloadRow *row)
{
  if (!any_menu_open (self) && self->held_changes->len > 0)
    apply_held_changes (self);
}

/* Whether a finished file is still where it was saved: it may have been
 * moved or deleted outside the app. */
static void
check_file (DlDownloadRow *row)
{
  DlDownload *download = dl_download_row_get_download (row);
  g_autofree char *path = NULL;

  if (dl_download_get_state (download) != DL_DOWNLOAD_STATE_DONE)
    {
      dl_download_row_set_file_missing (row, FALSE);
      return;
    }

  path = dl_download_dup_path (download);
  dl_download_row_set_file_missing (row, path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS));
}

/* Rows made later check their files as they are bound to a download. */
static void
check_files (DlWindow *self)
{
  GHashTableIter iter;
  gpointer row;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, NULL, &row))
    check_file (row);
}

static void
is_active_cb (DlWindow   *self,
              GParamSpec *pspec,
              GtkWindow  *window)
{
  if (gtk_window_is_active (window))
    check_files (self);
}

/* A row that its list item gave up, to build no new one. */
static GtkWidget *
take_spare_row (DlWindow *self)
{
  GtkWidget *spare = NULL;
  guint n_spare = 0;

  for (guint i = 0; i < self->all_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->all_rows, i);

      if (gtk_widget_get_parent (row) != NULL)
        continue;
      if (spare == NULL)
        spare = row;
      else if (++n_spare > MAX_SPARE_ROWS)
        g_ptr_array_remove_index_fast (self->all_rows, i--);
    }
  return spare;
}

/* Builds spare rows ahead of need, one per idle turn, so that the first
 * burst of removals finds them ready. */
static gboolean
build_spare_row_cb (gpointer user_data)
{
  DlWindow *self = user_data;
  guint n_spare = 0;
  GtkWidget *row;

  for (guint i = 0; i < self->all_rows->len; i++)
    if (gtk_widget_get_parent (g_ptr_array_index (self->all_rows, i)) == NULL)
      n_spare++;
  if (n_spare >= N_SPARE_ROWS_AHEAD)
    {
      self->spare_id = 0;
      return G_SOURCE_REMOVE;
    }

  row = dl_download_row_new (NULL);
  g_ptr_array_add (self->all_rows, g_object_ref_sink (row));
  g_signal_connect_object (row, "notify::menu-open", G_CALLBACK (row_menu_open_cb), self,
                           G_CONNECT_SWAPPED);
  return G_SOURCE_CONTINUE;
}

static void
setup_row_cb (DlWindow                 *self,
              GtkListItem              *item,
              GtkSignalListItemFactory *factory)
{
  GtkWidget *row = take_spare_row (self);

  if (row == NULL)
    {
      row = dl_download_row_new (NULL);
      g_ptr_array_add (self->all_rows, g_object_ref_sink (row));
      g_signal_connect_object (row, "notify::menu-open", G_CALLBACK (row_menu_open_cb), self,
                               G_CONNECT_SWAPPED);
    }
  gtk_list_item_set_child (item, row);
  if (self->spare_id == 0)
    self->spare_id = g_idle_add_full (G_PRIORITY_LOW, build_spare_row_cb, self, NULL);
}

static void
bind_row_cb (DlWindow                 *self,
             GtkListItem              *item,
             GtkSignalListItemFactory *factory)
{
  DlDownloadRow *row = DL_DOWNLOAD_ROW (gtk_list_item_get_child (item));
  DlDownload *download = gtk_list_item_get_item (item);

  dl_download_row_set_download (row, download);
  g_hash_table_insert (self->rows, download, row);
  check_file (row);
  dl_download_row_set_cancel_pending (row, is_cancel_pending (self, download));
  dl_download_row_set_show_folder (row, g_hash_table_contains (self->name_clashes, download));
}

static void
unbind_row_cb (DlWindow                 *self,
               GtkListItem              *item,
               GtkSignalListItemFactory *factory)
{
  DlDownloadRow *row = DL_DOWNLOAD_ROW (gtk_list_item_get_child (item));
  DlDownload *download = dl_download_row_get_download (row);
  gboolean menu_open = dl_download_row_get_menu_open (row);

  if (download != NULL && g_hash_table_lookup (self->rows, download) == row)
    g_hash_table_remove (self->rows, download);
  dl_download_row_set_download (row, NULL);

  /* Its menu closed with it. */
  if (menu_open)
    row_menu_open_cb (self, NULL, row);
}

/* Enter or a double click on a finished row opens its file. A click only
 * selects: pausing, resuming and retrying stay on their buttons, Space and
 * the menu, where nobody triggers them by accident. */
static void
row_activated_cb (DlWindow    *self,
                  guint        position,
                  GtkListView *list_view)
{
  DlDownloadRow *row;

  g_assert (DL_IS_WINDOW (self));

  row = row_at (self, position);
  if (row != NULL)
    gtk_widget_activate_action (GTK_WIDGET (row), "row.open", NULL);
}

static guint
position_of (DlWindow   *self,
             DlDownload *download)
{
  guint position;

  if (g_list_store_find (self->shown, download, &position))
    return position;
  return G_MAXUINT;
}

/* ---- cancel, remove and trash, with Undo ---------------------------------------- */

static void
pending_op_free (PendingOp *op)
{
  if (op->settle_handler != 0)
    g_clear_signal_handler (&op->settle_handler, op->manager);
  if (op->toast != NULL)
    g_signal_handlers_disconnect_by_data (op->toast, op);
  g_clear_weak_pointer (&op->window);
  g_clear_weak_pointer (&op->toast);
  g_clear_object (&op->download);
  g_clear_object (&op->manager);
  g_free (op);
}

static void
set_hidden (DlWindow   *self,
            DlDownload *download,
            gboolean    hidden)
{
  if (hidden)
    {
      g_hash_table_add (self->hidden, g_object_ref (download));
      gtk_filter_changed (self->hidden_filter, GTK_FILTER_CHANGE_MORE_STRICT);
    }
  else if (g_hash_table_remove (self->hidden, download))
    gtk_filter_changed (self->hidden_filter, GTK_FILTER_CHANGE_LESS_STRICT);
  queue_update_totals (self);
}

static gboolean
hidden_filter_func (gpointer item,
                    gpointer user_data)
{
  DlWindow *self = user_data;

  return !g_hash_table_contains (self->hidden, item);
}

static void
set_cancel_pending (DlWindow   *self,
                    DlDownload *download,
                    gboolean    pending)
{
  DlDownloadRow *row = g_hash_table_lookup (self->rows, download);

  if (row != NULL)
    dl_download_row_set_cancel_pending (row, pending);
}

static void
trash_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  PendingOp *op = user_data;
  g_autoptr(GError) error = NULL;

  if (g_file_trash_finish (G_FILE (object), result, &error) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    dl_download_remove (op->download);
  else if (op->window != NULL)
    {
      g_autofree char *name = dl_format_display_name (op->download);
      g_autofree char *summary = NULL;

      set_hidden (op->window, op->download, FALSE);
      /* Translators: %s is a file name */
      summary = g_strdup_printf (_("Could not move “%s” to the trash"), name);
      dl_window_show_error (op->window, summary, error->message);
    }

  pending_op_free (op);
}

/* A cancel waits for the download's task to stop before the engine allows
 * it: the pause that kept the bytes may still be under way. */
static gboolean
task_stopped (DlDownload *download)
{
  return dl_download_can_resume (download) || dl_download_can_cancel (download) ||
         dl_download_is_finished (download);
}

static void
cancel_when_stopped_cb (PendingOp  *op,
                        GParamSpec *pspec,
                        DlManager  *manager)
{
  if (!task_stopped (op->download))
    return;

  if (op->resume_after_undo)
    dl_download_resume (op->download);
  else
    dl_download_cancel (op->download);
  pending_op_free (op);
}

static void
after_task_stops (PendingOp *op)
{
  if (task_stopped (op->download))
    {
      cancel_when_stopped_cb (op, NULL, op->manager);
      return;
    }

  op->settle_handler = g_signal_connect_swapped (op->manager, "notify::n-running",
                                                 G_CALLBACK (cancel_when_stopped_cb), op);
}

/* The toast went away without Undo: now the bytes go. */
static void
commit (PendingOp *op)
{
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;


  switch (op->kind)
    {
    case PENDING_CANCEL:
      op->resume_after_undo = FALSE;
      if (op->window != NULL)
        set_cancel_pending (op->window, op->download, FALSE);
      after_task_stops (op);
      return;

    case PENDING_REMOVE:
      dl_download_remove (op->download);
      break;

    case PENDING_TRASH:
      path = dl_download_dup_path (op->download);
      if (path != NULL)
        {
          file = g_file_new_for_path (path);
          g_file_trash_async (file, G_PRIORITY_DEFAULT, NULL, trash_done_cb, op);
          return;
        }
      dl_download_remove (op->download);
      break;

    default:
      g_assert_not_reached ();
    }

  pending_op_free (op);
}

static void
undo (PendingOp *op)
{
  switch (op->kind)
    {
    case PENDING_CANCEL:
      if (op->window != NULL)
        set_cancel_pending (op->window, op->download, FALSE);
      if (op->resume_after_undo)
        {
          after_task_stops (op);
          return;
        }
      break;

    case PENDING_REMOVE:
    case PENDING_TRASH:
      if (op->window != NULL)
        set_hidden (op->window, op->download, FALSE);
      break;

    default:
      g_assert_not_reached ();
    }

  pending_op_free (op);
}

static void
toast_undo_cb (AdwToast  *toast,
               PendingOp *op)
{
  DlWindow *self = op->window;

  if (self == NULL || !g_hash_table_steal (self->pending, op->download))
    return;
  undo (op);
}

static void
toast_dismissed_cb (AdwToast  *toast,
                    PendingOp *op)
{
  DlWindow *self = op->window;

  if (self == NULL || !g_hash_table_steal (self->pending, op->download))
    return;
  commit (op);
}

static void
dismiss_pending_toasts (DlWindow *self)
{
  g_autoptr(GPtrArray) toasts = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  PendingOp *op;

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &op))
    if (op->toast != NULL)
      g_ptr_array_add (toasts, g_object_ref (op->toast));

  /* Each dismissal commits its operation. */
  for (guint i = 0; i < toasts->len; i++)
    adw_toast_dismiss (g_ptr_array_index (toasts, i));
}

static void
start_pending (DlWindow    *self,
               DlDownload  *download,
               PendingKind  kind)
{
  g_autofree char *name = dl_format_display_name (download);
  g_autofree char *title = NULL;
  PendingOp *previous;
  PendingOp *op;
  AdwToast *toast;

  /* A second slip on the same download settles the first one. */
  if (g_hash_table_steal_extended (self->pending, download, NULL, (gpointer *) &previous))
    {
      AdwToast *shown = previous->toast;

      if (shown != NULL)
        g_signal_handlers_disconnect_by_data (shown, previous);
      commit (previous);
      if (shown != NULL)
        adw_toast_dismiss (shown);
    }

  /* One Undo at a time, as in Files: the next slip settles the earlier
   * ones, and its toast shows at once. */
  dismiss_pending_toasts (self);

  op = g_new0 (PendingOp, 1);
  g_set_weak_pointer (&op->window, self);
  op->manager = g_object_ref (self->manager);
  op->download = g_object_ref (download);
  op->kind = kind;

  switch (kind)
    {
    case PENDING_CANCEL:
      /* Translators: %s is a file name */
      title = g_strdup_printf (_("Cancelled “%s”"), name);
      /* Paused, the partial file stays until the toast goes. */
      op->resume_after_undo = dl_download_can_pause (download);
      if (op->resume_after_undo)
        dl_download_pause (download);
      set_cancel_pending (self, download, TRUE);
      break;

    case PENDING_REMOVE:
      /* Translators: %s is a file name */
      title = g_strdup_printf (_("Removed “%s” from the list"), name);
      set_hidden (self, download, TRUE);
      break;

    case PENDING_TRASH:
      /* Translators: %s is a file name */
      title = g_strdup_printf (_("“%s” will be moved to the trash"), name);
      set_hidden (self, download, TRUE);
      break;

    default:
      g_assert_not_reached ();
    }

  g_hash_table_insert (self->pending, download, op);

  toast = adw_toast_new (title);
  adw_toast_set_custom_title (toast, toast_label_new (title));
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_timeout (toast, 5);
  g_set_weak_pointer (&op->toast, toast);
  g_signal_connect (toast, "button-clicked", G_CALLBACK (toast_undo_cb), op);
  g_signal_connect (toast, "dismissed", G_CALLBACK (toast_dismissed_cb), op);
  add_toast (self, toast);
}

static void
commit_all_pending (DlWindow *self)
{
  GHashTableIter iter;
  PendingOp *op;

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &op))
    {
      g_hash_table_iter_steal (&iter);
      if (op->toast != NULL)
        g_signal_handlers_disconnect_by_data (op->toast, op);
      commit (op);
    }
}

/* After Delete, the neighbour takes the focus, not the first row. */
static void
remember_focus_index (DlWindow   *self,
                      DlDownload *download)
{
  guint position = position_of (self, download);
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));
  DlDownloadRow *row = g_hash_table_lookup (self->rows, download);

  if (position == G_MAXUINT || row == NULL)
    return;
  if (focus != NULL && focus != GTK_WIDGET (row) && !gtk_widget_is_ancestor (focus, GTK_WIDGET (row)))
    return;

  self->focus_index = (int) position;
}

static DlDownload *
download_from_param (DlWindow *self,
                     GVariant *param)
{
  return dl_manager_lookup (self->manager, g_variant_get_int64 (param));
}

static void
cancel_download_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  DlWindow *self = DL_WINDOW (widget);
  DlDownload *download = download_from_param (self, param);

  if (download != NULL && dl_download_can_cancel (download))
    start_pending (self, download, PENDING_CANCEL);
}

static void
remove_download_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  DlWindow *self = DL_WINDOW (widget);
  DlDownload *download = download_from_param (self, param);

  if (download == NULL || is_hidden (self, download))
    return;
  remember_focus_index (self, download);
  start_pending (self, download, PENDING_REMOVE);
}

static void
trash_download_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  DlWindow *self = DL_WINDOW (widget);
  DlDownload *download = download_from_param (self, param);

  if (download == NULL || is_hidden (self, download) ||
      dl_download_get_state (download) != DL_DOWNLOAD_STATE_DONE)
    return;
  remember_focus_index (self, download);
  start_pending (self, download, PENDING_TRASH);
}

/* A finished file that went missing: the entry goes, and a fresh download
 * of the same link takes its place (and, the old name being free, its
 * name). */
static void
download_again_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  DlWindow *self = DL_WINDOW (widget);
  DlDownload *download = download_from_param (self, param);
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;
  DlDownload *fresh;

  if (download == NULL)
    return;

  url = g_strdup (dl_download_get_url (download));
  dl_download_remove (download);
  fresh = dl_manager_add (self->manager, url, NULL, &error);
  if (fresh == NULL)
    {
      g_autofree char *message = describe_add_error (url, error);

      dl_window_show_toast (self, message);
      return;
    }
  dl_window_reveal_download (self, fresh);
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
static DlDownload *
find_by_url (DlWindow   *self,
             const char *url)
{
  GListModel *model = G_LIST_MODEL (self->manager);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);

      if (!is_hidden (self, download) && g_str_equal (dl_download_get_url (download), url))
        return download;
    }
  return NULL;
}

/* The links the "Download Again?" dialog asks about, with the add card's
 * Advanced options they were given (NULL: none). */
typedef struct
{
  GStrv             links;
  DlRequestOptions *options;
} AgainRequest;

static void
again_request_free (gpointer  data,
                    GClosure *closure)
{
  AgainRequest *request = data;

  g_strfreev (request->links);
  g_clear_pointer (&request->options, dl_request_options_unref);
  g_free (request);
}

static void
again_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   gpointer          user_data)
{
  DlWindow *self = DL_WINDOW (gtk_window_get_transient_for (GTK_WINDOW (dialog)));
  AgainRequest *request = user_data;
  DlDownload *last = NULL;

  if (g_strcmp0 (response, "again") != 0)
    return;

  for (guint i = 0; request->links[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      DlDownload *download = dl_manager_add_with_options (self->manager, request->links[i],
                                                          NULL, NULL, request->options, &error);

      if (download == NULL)
        {
          g_autofree char *message = describe_add_error (request->links[i], error);

          dl_window_show_toast (self, message);
          continue;
        }
      last = download;
    }

  if (last != NULL)
    dl_window_reveal_download (self, last);
}

/* Adding a link that was downloaded already would save "name (1).ext"
 * beside the first copy: ask first. */
static void
ask_download_again (DlWindow   *self,
                    GPtrArray  *links)
{
  AdwMessageDialog *dialog;
  DlDownload *first = find_by_url (self, g_ptr_array_index (links, 0));
  g_autofree char *name = first != NULL ? dl_format_display_name (first) : NULL;
  AgainRequest *request = g_new0 (AgainRequest, 1);

  g_ptr_array_add (links, NULL);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Download Again?"), NULL));
  if (links->len == 2 && name != NULL)
    /* Translators: %s is a file name */
    adw_message_dialog_format_body (dialog,
                                    _("“%s” is already in the list. Downloading it again saves "
                                      "a second copy beside the first."), name);
  else
    adw_message_dialog_format_body (dialog,
                                    ngettext ("%u link is already in the list. Downloading it "
                                              "again saves a second copy beside the first.",
                                              "%u links are already in the list. Downloading "
                                              "them again saves second copies beside the first.",
                                              links->len - 1),
                                    links->len - 1);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "again", _("_Download Again"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "again", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  request->links = (GStrv) g_ptr_array_steal (links, NULL);
  if (self->adding_options != NULL)
    request->options = dl_request_options_ref (self->adding_options);
  g_signal_connect_data (dialog, "response", G_CALLBACK (again_response_cb),
                         request, again_request_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The download folder is made on first use, private like xdg-user-dirs
 * makes it; when it cannot be, the user is told why and offered another. */
static gboolean
ensure_download_folder (DlWindow *self)
{
  const char *folder = dl_manager_get_output_dir (self->manager);
  g_autofree char *summary = NULL;
  g_autofree char *display = NULL;
  AdwToast *toast;
  int saved_errno;

  if (folder == NULL || g_mkdir_with_parents (folder, 0700) == 0)
    return TRUE;

  saved_errno = errno;
  display = g_filename_display_name (folder);
  /* Translators: the first %s is a folder, the second why it cannot be made,
   * e.g. "Permission denied" */
  summary = g_strdup_printf (_("The download folder %s cannot be created: %s"),
                             display, g_strerror (saved_errno));
  toast = adw_toast_new (summary);
  adw_toast_set_custom_title (toast, toast_label_new (summary));
  adw_toast_set_timeout (toast, 0);
  adw_toast_set_button_label (toast, _("_Choose Folder…"));
  adw_toast_set_action_name (toast, "app.preferences");
  add_toast (self, toast);
  return FALSE;
}

guint
dl_window_add_links (DlWindow           *self,
                     const char * const *links)
{
  g_autoptr(GPtrArray) again = g_ptr_array_new_with_free_func (g_free);
  DlDownload *last = NULL;
  guint n_added = 0;

  g_return_val_if_fail (DL_IS_WINDOW (self), 0);

  if (links != NULL && links[0] != NULL && !ensure_download_folder (self))
    return 0;

  for (guint i = 0; links != NULL && links[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      DlDownload *download;

      download = dl_manager_find_unfinished (self->manager, links[i], NULL);
      if (download != NULL && !is_hidden (self, download))
        {
          if (self->adding_options != NULL)
            dl_download_set_request_options (download, self->adding_options);
          if (dl_download_can_resume (download))
            dl_download_resume (download);
          else if (dl_download_can_retry (download))
            dl_download_retry (download);
        }
      else if (find_by_url (self, links[i]) != NULL)
        {
          g_ptr_array_add (again, g_strdup (links[i]));
          continue;
        }
      else
        download = dl_manager_add_with_options (self->manager, links[i], NULL, NULL,
                                                self->adding_options, &error);

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
  if (again->len > 0)
    ask_download_again (self, again);

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
  g_autofree char *text = NULL;
  g_auto(GStrv) links = NULL;
  GtkTextIter start, end;

  gtk_widget_set_visible (GTK_WIDGET (self->add_placeholder),
                          gtk_text_buffer_get_char_count (buffer) == 0);

  /* Download stays greyed out until there is a link to download. */
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  links = dl_parse_links (text, NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-confirm", links[0] != NULL);
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
      dl_add_options_clear (self->add_options);
      if (gtk_widget_has_focus (GTK_WIDGET (self->add_view)))
        gtk_widget_grab_focus (self->last_revealed != NULL ? self->last_revealed
                                                           : GTK_WIDGET (self->list_view));
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
  g_auto(GStrv) links = NULL;
  g_autoptr(DlAddRequest) request = NULL;
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);

  /* The Advanced options go with these links, from their first request. */
  links = dl_parse_links (text, NULL);
  if (links[0] != NULL &&
      !dl_add_options_build_request (self->add_options, (const char * const *) links, &request))
    return;
  if (request != NULL)
    self->adding_options = dl_add_downloads_request_options (request);

  if (dl_window_add_text (self, text) > 0)
    dl_window_set_add_open (self, FALSE);
  g_clear_pointer (&self->adding_options, dl_request_options_unref);
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
show_error_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  const char *summary, *details;

  g_variant_get (param, "(&s&s)", &summary, &details);
  dl_window_show_error (DL_WINDOW (widget), summary, details);
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

/* A close request starts this task, and the window stays while it runs (it
 * may ask about running downloads); further requests meanwhile are ignored,
 * so that one question is asked, not one per click. */
static void
close_task (BridgeTask   *task,
            gpointer      instance,
            const GValue *param_values,
            guint         n_param_values,
            gpointer      user_data)
{
  DlWindow *self = instance;
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  dl_window_save_state (self);

  if (DL_IS_APPLICATION (app) && !dl_application_confirm_close (DL_APPLICATION (app),
                                                                GTK_WINDOW (self)))
    return;

  gtk_window_destroy (GTK_WINDOW (self));
}

/* ---- GObject --------------------------------------------------------------------- */

static void
dl_window_constructed (GObject *object)
{
  DlWindow *self = (DlWindow *) object;
  g_autoptr(GtkSortListModel) sorted = NULL;
  g_autoptr(GtkListItemFactory) factory = NULL;
  g_autoptr(GtkNoSelection) selection = NULL;
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
  self->hidden_filter = GTK_FILTER (gtk_custom_filter_new (hidden_filter_func, self, NULL));
  self->visible = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->sorted)),
                                             GTK_FILTER (g_object_ref (self->hidden_filter)));
  self->shown = g_list_store_new (DL_TYPE_DOWNLOAD);
  visible_items_changed_cb (self, 0, 0, g_list_model_get_n_items (G_LIST_MODEL (self->visible)),
                            G_LIST_MODEL (self->visible));
  g_signal_connect_object (self->visible, "items-changed",
                           G_CALLBACK (visible_items_changed_cb), self, G_CONNECT_SWAPPED);
  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect_object (factory, "setup", G_CALLBACK (setup_row_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (factory, "bind", G_CALLBACK (bind_row_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (unbind_row_cb), self, G_CONNECT_SWAPPED);
  gtk_list_view_set_factory (self->list_view, factory);
  selection = gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->shown)));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
  g_signal_connect_object (self, "notify::is-active", G_CALLBACK (is_active_cb), self,
                           G_CONNECT_SWAPPED);

  g_signal_connect_object (self->manager, "items-changed",
                           G_CALLBACK (manager_items_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "notify::n-running",
                           G_CALLBACK (n_running_changed_cb), self, G_CONNECT_SWAPPED);
  watch_downloads (self, 0, g_list_model_get_n_items (G_LIST_MODEL (self->manager)));
  update_page (self);
  update_totals_cb (self);
  check_files (self);
}

static void
dl_window_dispose (GObject *object)
{
  DlWindow *self = (DlWindow *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_weak_pointer (&self->last_revealed);
  g_clear_weak_pointer (&self->last_toast);
  /* Closing the window ends the chance to undo. */
  if (self->pending != NULL)
    commit_all_pending (self);
  g_clear_handle_id (&self->totals_id, g_source_remove);
  g_clear_handle_id (&self->removal_id, g_source_remove);
  g_clear_handle_id (&self->spare_id, g_source_remove);

  /* The rows hold their downloads; unbinding first lets them go with the
   * template. */
  if (self->list_view != NULL)
    gtk_list_view_set_model (self->list_view, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), DL_TYPE_WINDOW);

  if (self->visible != NULL)
    g_signal_handlers_disconnect_by_data (self->visible, self);
  g_clear_object (&self->shown);
  g_clear_object (&self->visible);
  g_clear_object (&self->hidden_filter);
  g_clear_pointer (&self->hidden, g_hash_table_unref);
  g_clear_pointer (&self->rows, g_hash_table_unref);
  g_clear_pointer (&self->all_rows, g_ptr_array_unref);
  g_clear_pointer (&self->name_clashes, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->held_changes, g_ptr_array_unref);
  g_clear_object (&self->sorted);
  g_clear_object (&self->manager);
  /* Unbinding the list may have asked for new totals. */
  g_clear_handle_id (&self->totals_id, g_source_remove);
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

  object_class->constructed = dl_window_constructed;
  object_class->dispose = dl_window_dispose;
  object_class->finalize = dl_window_finalize;
  object_class->get_property = dl_window_get_property;
  object_class->set_property = dl_window_set_property;

  properties [PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL,
                         DL_TYPE_MANAGER,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (DL_TYPE_ADD_OPTIONS);
  g_type_ensure (DL_TYPE_PROGRESS_BAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/libbridge/Downloader/ui/dl-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DlWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, add_button);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, subtitle_inscription);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, content_overlay);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, total_progress);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, drop_revealer);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, add_revealer);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, add_placeholder);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, add_view);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, scroller);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, list_view);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, add_confirm_button);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, add_options);
  gtk_widget_class_bind_template_child (widget_class, DlWindow, add_hint);

  gtk_widget_class_install_action (widget_class, "win.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "win.add-confirm", NULL, add_confirm_action);
  gtk_widget_class_install_action (widget_class, "win.close-add", NULL, close_add_action);
  gtk_widget_class_install_action (widget_class, "win.paste", NULL, paste_action);
  /* What rows call is not under "win.": from inside the window that
   * prefix finds the application window's own action map first, which
   * swallows names it does not have. */
  gtk_widget_class_install_action (widget_class, "downloads.toast", "s", toast_action);
  gtk_widget_class_install_action (widget_class, "win.pause-all", NULL, pause_all_action);
  gtk_widget_class_install_action (widget_class, "win.resume-all", NULL, resume_all_action);
  gtk_widget_class_install_action (widget_class, "win.clear-finished", NULL, clear_finished_action);
  gtk_widget_class_install_action (widget_class, "win.show-download", "x", show_download_action);
  gtk_widget_class_install_action (widget_class, "downloads.show-error", "(ss)", show_error_action);
  gtk_widget_class_install_action (widget_class, "downloads.cancel-download", "x", cancel_download_action);
  gtk_widget_class_install_action (widget_class, "downloads.remove-download", "x", remove_download_action);
  gtk_widget_class_install_action (widget_class, "downloads.trash-download", "x", trash_download_action);
  gtk_widget_class_install_action (widget_class, "downloads.download-again", "x", download_again_action);

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
  self->hidden = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->rows = g_hash_table_new (NULL, NULL);
  self->all_rows = g_ptr_array_new_with_free_func (g_object_unref);
  self->name_clashes = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->pending = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) pending_op_free);
  self->held_changes = g_ptr_array_new_with_free_func ((GDestroyNotify) held_change_free);
  self->focus_index = -1;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-confirm", FALSE);

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

  g_signal_connect_object (self->list_view, "activate", G_CALLBACK (row_activated_cb), self,
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

  bridge_signal_connect_task (self, "close-request", close_task, NULL, NULL,
                              BRIDGE_CONNECT_EXCLUSIVE | BRIDGE_CONNECT_HANDLED);

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

static void
add_toast (DlWindow *self,
           AdwToast *toast)
{
  g_set_weak_pointer (&self->last_toast, toast);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* A toast's own title is one line, cut off at the toast's width: this one
 * wraps, so a long message is read whole. */
static GtkWidget *
toast_label_new (const char *message)
{
  GtkWidget *label = gtk_label_new (message);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  /* A toast gives its title its minimum width, which for a wrapping label
   * is one word: ask for the message's own width (up to 30 characters, so
   * the toast still fits a 360 px window) before it wraps. */
  gtk_label_set_width_chars (GTK_LABEL (label), MIN ((int) g_utf8_strlen (message, -1), 30));
  gtk_label_set_max_width_chars (GTK_LABEL (label), 50);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (label, "heading");
  return label;
}

void
dl_window_show_toast (DlWindow   *self,
                      const char *message)
{
  AdwToast *toast;

  g_return_if_fail (DL_IS_WINDOW (self));
  g_return_if_fail (message != NULL);

  toast = adw_toast_new (message);
  adw_toast_set_custom_title (toast, toast_label_new (message));
  adw_toast_set_timeout (toast, 4);
  add_toast (self, toast);
}

static void
details_clicked_cb (AdwToast *toast,
                    DlWindow *self)
{
  const char *summary = g_object_get_data (G_OBJECT (toast), "dl-summary");
  const char *details = g_object_get_data (G_OBJECT (toast), "dl-details");
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), summary, details));
  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

/**
 * dl_window_show_error:
 * @self: a #DlWindow
 * @summary: one short sentence: what went wrong
 * @details: the whole story, shown by the toast's Details button
 */
void
dl_window_show_error (DlWindow   *self,
                      const char *summary,
                      const char *details)
{
  AdwToast *toast;

  g_return_if_fail (DL_IS_WINDOW (self));
  g_return_if_fail (summary != NULL);

  toast = adw_toast_new (summary);
  adw_toast_set_custom_title (toast, toast_label_new (summary));
  adw_toast_set_timeout (toast, 8);
  if (details != NULL && details[0] != '\0')
    {
      g_object_set_data_full (G_OBJECT (toast), "dl-summary", g_strdup (summary), g_free);
      g_object_set_data_full (G_OBJECT (toast), "dl-details", g_strdup (details), g_free);
      adw_toast_set_button_label (toast, _("_Details"));
      g_signal_connect_object (toast, "button-clicked", G_CALLBACK (details_clicked_cb), self, 0);
    }
  add_toast (self, toast);
}

/**
 * dl_window_find_row:
 * @self: a #DlWindow
 * @download: a download of the window's manager
 *
 * The list makes rows only for the downloads in or near its view: a
 * download further away is scrolled into view for its row.
 *
 * Returns: (transfer none) (nullable): the row showing @download, or %NULL
 *   when the list does not show it
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

  return row_at (self, position);
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
dl_window_get_subtitle (DlWindow *self)
{
  g_return_val_if_fail (DL_IS_WINDOW (self), NULL);

  return self->subtitle;
}

const char *
dl_window_get_visible_page (DlWindow *self)
{
  g_return_val_if_fail (DL_IS_WINDOW (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

/**
 * dl_window_get_last_toast:
 * @self: a #DlWindow
 *
 * Returns: (transfer none) (nullable): the toast added last, while it is
 *   alive; for tests, which cannot read the overlay's queue
 */
AdwToast *
dl_window_get_last_toast (DlWindow *self)
{
  g_return_val_if_fail (DL_IS_WINDOW (self), NULL);

  return self->last_toast;
}
