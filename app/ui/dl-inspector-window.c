/* dl-inspector-window.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-inspector-window"

#include "config.h"

#include <glib/gi18n.h>
#include <libbridge.h>

#include "dl-format.h"
#include "dl-inspector-window.h"
#include "dl-task-info.h"

/* Four times a second is fast enough to watch tasks park and wake, and slow
 * enough that the inspector never becomes what it measures. */
#define REFRESH_INTERVAL_MS 250

/* The responsiveness budget the app is built to: a stall longer than this
 * is a dropped frame at 240 Hz; longer than a frame at 60 Hz is a stutter. */
#define STALL_GOOD_USEC     (4 * 1000)
#define STALL_BAD_USEC      (16 * 1000)

struct _DlInspectorWindow
{
  AdwWindow        parent_instance;

  /* Owned References */
  GListStore      *tasks;
  DlStallProbe    *probe;

  /* Template Widgets */
  AdwWindowTitle  *window_title;
  GtkLabel        *stall_label;
  GtkDrawingArea  *stall_graph;
  GtkColumnView   *column_view;

  guint            refresh_id;
};

G_DEFINE_FINAL_TYPE (DlInspectorWindow, dl_inspector_window, ADW_TYPE_WINDOW)

static const char *
state_label (BridgeTaskState state)
{
  switch (state)
    {
    case BRIDGE_TASK_STATE_SCHEDULED:
      /* Translators: a task waiting in the ready queue */
      return _("Scheduled");
    case BRIDGE_TASK_STATE_RUNNING:
      return _("Running");
    case BRIDGE_TASK_STATE_PARKED:
      /* Translators: a task suspended while it awaits something */
      return _("Parked");
    case BRIDGE_TASK_STATE_DONE:
      return _("Done");
    default:
      return "";
    }
}

static char *
describe_awaiting (BridgeTask *task)
{
  BridgeFuture *future = bridge_task_get_awaiting (task);

  if (future == NULL)
    return g_strdup ("");

  if (bridge_future_is_task (future))
    {
      const char *name = bridge_task_get_name ((BridgeTask *) future);

      /* Translators: what a task waits for: another task, by name */
      return g_strdup_printf (_("Task “%s”"), name != NULL ? name : _("unnamed"));
    }

  if (bridge_future_is_done (future))
    return g_strdup (_("A finished future"));

  /* The operation's name ("bridge_soup_session_send", "bridge_sleep"…) or
   * the kind of future: technical names, deliberately not translated. */
  return g_strdup (bridge_future_get_label (future));
}

static void
update_stall (DlInspectorWindow *self)
{
  GtkWidget *label = GTK_WIDGET (self->stall_label);
  g_autofree char *text = NULL;
  gint64 worst;

  if (self->probe == NULL)
    {
      gtk_label_set_text (self->stall_label, "—");
      return;
    }

  worst = dl_stall_probe_get_worst (self->probe);
  text = dl_format_duration (worst);
  gtk_label_set_text (self->stall_label, text);

  gtk_widget_remove_css_class (label, "success");
  gtk_widget_remove_css_class (label, "warning");
  gtk_widget_remove_css_class (label, "error");
  if (worst <= STALL_GOOD_USEC)
    gtk_widget_add_css_class (label, "success");
  else if (worst <= STALL_BAD_USEC)
    gtk_widget_add_css_class (label, "warning");
  else
    gtk_widget_add_css_class (label, "error");

  gtk_widget_queue_draw (GTK_WIDGET (self->stall_graph));
}

/**
 * dl_inspector_window_refresh:
 * @self: a #DlInspectorWindow
 *
 * Takes a new snapshot of the live tasks. The rows are updated in place, so
 * the list keeps its scroll position and a quiet task costs nothing.
 */
void
dl_inspector_window_refresh (DlInspectorWindow *self)
{
  g_autoptr(GPtrArray) tasks = NULL;
  g_autoptr(GPtrArray) added = NULL;
  g_autofree char *subtitle = NULL;
  gint64 now = g_get_monotonic_time ();
  guint n_items;

  g_return_if_fail (DL_IS_INSPECTOR_WINDOW (self));

  tasks = bridge_loop_list_tasks (bridge_loop_get_default ());
  n_items = g_list_model_get_n_items (G_LIST_MODEL (self->tasks));
  added = g_ptr_array_new_with_free_func (g_object_unref);

  /* Oldest first, so new tasks appear at the bottom and the rows above
   * them stay put. */
  for (guint i = 0; i < tasks->len; i++)
    {
      BridgeTask *task = g_ptr_array_index (tasks, tasks->len - 1 - i);
      const char *name = bridge_task_get_name (task);
      gint64 since = bridge_task_get_parked_since (task);
      g_autofree char *awaiting = describe_awaiting (task);
      g_autofree char *parked = since > 0 ? dl_format_duration (now - since) : g_strdup ("");
      g_autoptr(DlTaskInfo) info = NULL;

      if (i < n_items)
        info = g_list_model_get_item (G_LIST_MODEL (self->tasks), i);
      else
        {
          info = dl_task_info_new ();
          g_ptr_array_add (added, g_object_ref (info));
        }

      dl_task_info_update (info,
                           name != NULL ? name : _("Unnamed task"),
                           state_label (bridge_task_get_state (task)),
                           awaiting,
                           parked);
    }

  if (n_items > tasks->len)
    g_list_store_splice (self->tasks, tasks->len, n_items - tasks->len, NULL, 0);
  else if (added->len > 0)
    g_list_store_splice (self->tasks, n_items, 0, added->pdata, added->len);

  subtitle = g_strdup_printf (ngettext ("%u live task", "%u live tasks", tasks->len), tasks->len);
  adw_window_title_set_subtitle (self->window_title, subtitle);

  update_stall (self);
}

static gboolean
refresh_cb (gpointer user_data)
{
  dl_inspector_window_refresh (user_data);
  return G_SOURCE_CONTINUE;
}

static void
set_color (cairo_t *cr,
           gint64   usec,
           double   alpha)
{
  /* GNOME palette: blue 3, orange 3, red 3. */
  if (usec <= STALL_GOOD_USEC)
    cairo_set_source_rgba (cr, 0x35 / 255.0, 0x84 / 255.0, 0xe4 / 255.0, alpha);
  else if (usec <= STALL_BAD_USEC)
    cairo_set_source_rgba (cr, 0xff / 255.0, 0x78 / 255.0, 0x00 / 255.0, alpha);
  else
    cairo_set_source_rgba (cr, 0xe0 / 255.0, 0x1b / 255.0, 0x24 / 255.0, alpha);
}

/* One bar per quarter second, newest on the right, on a scale that always
 * shows the 4 ms budget line and grows to fit the worst stall. */
static void
draw_graph (GtkDrawingArea *area,
            cairo_t        *cr,
            int             width,
            int             height,
            gpointer        user_data)
{
  DlInspectorWindow *self = user_data;
  gint64 history[DL_STALL_PROBE_N_BUCKETS];
  gint64 ceiling = 2 * STALL_GOOD_USEC;
  double slot;
  double budget_y;
  int gutter;
  GdkRGBA fg;
  g_autofree char *label = NULL;
  g_autoptr(PangoLayout) layout = NULL;
  int label_width, label_height;

  if (self->probe == NULL)
    return;

  dl_stall_probe_get_history (self->probe, history);
  for (guint i = 0; i < DL_STALL_PROBE_N_BUCKETS; i++)
    ceiling = MAX (ceiling, history[i] + history[i] / 5);

  /* Deprecated from GTK 4.10 on, where gtk_widget_get_color() replaces
   * it; that does not exist in 4.8. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (area)), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  /* The budget line, labelled in a gutter on the left so no bar hides
   * the label: a reader sees what "good" means. */
  /* Translators: label of the 4 ms line in the stall graph */
  label = g_strdup_printf (_("%u ms"), (guint) (STALL_GOOD_USEC / 1000));
  layout = gtk_widget_create_pango_layout (GTK_WIDGET (area), label);
  pango_layout_get_pixel_size (layout, &label_width, &label_height);
  gutter = label_width + 6;
  slot = (double) (width - gutter) / DL_STALL_PROBE_N_BUCKETS;

  budget_y = height - (double) STALL_GOOD_USEC / ceiling * height;
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.55);
  cairo_move_to (cr, 0, CLAMP (budget_y - label_height / 2.0, 0, height - label_height));
  pango_cairo_show_layout (cr, layout);

  /* One bar per quarter second, newest on the right. */
  for (guint i = 0; i < DL_STALL_PROBE_N_BUCKETS; i++)
    {
      double h = MAX ((double) history[i] / ceiling * height, 1.0);

      if (history[i] <= 0)
        continue;

      set_color (cr, history[i], 0.85);
      cairo_rectangle (cr, gutter + i * slot + 1, height - h, MAX (slot - 2, 1), h);
      cairo_fill (cr);
    }

  cairo_save (cr);
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.45);
  cairo_set_line_width (cr, 1);
  cairo_set_dash (cr, (double[]) { 4, 3 }, 2, 0);
  cairo_move_to (cr, gutter, (int) budget_y + 0.5);
  cairo_line_to (cr, width, (int) budget_y + 0.5);
  cairo_stroke (cr);
  cairo_restore (cr);

  /* The time axis. */
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.15);
  cairo_rectangle (cr, gutter, height - 1, width - gutter, 1);
  cairo_fill (cr);
}

/* The probe starts once the window has drawn its first frame: building and
 * showing the inspector itself is a stall the user caused, not one the
 * downloads did. */
static void
first_paint_cb (GdkFrameClock     *clock,
                DlInspectorWindow *self)
{
  g_signal_handlers_disconnect_by_func (clock, first_paint_cb, self);

  if (self->probe == NULL)
    self->probe = dl_stall_probe_new (NULL);
}

static void
dl_inspector_window_map (GtkWidget *widget)
{
  DlInspectorWindow *self = (DlInspectorWindow *) widget;

  GTK_WIDGET_CLASS (dl_inspector_window_parent_class)->map (widget);

  if (self->probe == NULL)
    g_signal_connect_object (gtk_widget_get_frame_clock (widget), "after-paint",
                             G_CALLBACK (first_paint_cb), self, 0);
}

static void
dl_inspector_window_dispose (GObject *object)
{
  DlInspectorWindow *self = (DlInspectorWindow *) object;

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), DL_TYPE_INSPECTOR_WINDOW);
  g_clear_object (&self->tasks);
  g_clear_object (&self->probe);

  G_OBJECT_CLASS (dl_inspector_window_parent_class)->dispose (object);
}

static void
dl_inspector_window_class_init (DlInspectorWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dl_inspector_window_dispose;

  widget_class->map = dl_inspector_window_map;

  /* The column factories look the type up by name. */
  g_type_ensure (DL_TYPE_TASK_INFO);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/libbridge/Downloader/ui/dl-inspector-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DlInspectorWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, DlInspectorWindow, stall_label);
  gtk_widget_class_bind_template_child (widget_class, DlInspectorWindow, stall_graph);
  gtk_widget_class_bind_template_child (widget_class, DlInspectorWindow, column_view);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
dl_inspector_window_init (DlInspectorWindow *self)
{
  g_autoptr(GtkNoSelection) selection = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->tasks = g_list_store_new (DL_TYPE_TASK_INFO);
  selection = gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->tasks)));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (selection));

  gtk_drawing_area_set_draw_func (self->stall_graph, draw_graph, self, NULL);

  dl_inspector_window_refresh (self);
  self->refresh_id = g_timeout_add (REFRESH_INTERVAL_MS, refresh_cb, self);
}

DlInspectorWindow *
dl_inspector_window_new (void)
{
  return g_object_new (DL_TYPE_INSPECTOR_WINDOW, NULL);
}

/**
 * dl_inspector_window_get_tasks:
 * @self: a #DlInspectorWindow
 *
 * Returns: (transfer none): the #DlTaskInfo rows as last refreshed
 */
GListModel *
dl_inspector_window_get_tasks (DlInspectorWindow *self)
{
  g_return_val_if_fail (DL_IS_INSPECTOR_WINDOW (self), NULL);

  return G_LIST_MODEL (self->tasks);
}

/**
 * dl_inspector_window_get_probe:
 * @self: a #DlInspectorWindow
 *
 * Returns: (transfer none) (nullable): the stall probe, running once the
 *   window has drawn its first frame
 */
DlStallProbe *
dl_inspector_window_get_probe (DlInspectorWindow *self)
{
  g_return_val_if_fail (DL_IS_INSPECTOR_WINDOW (self), NULL);

  return self->probe;
}
