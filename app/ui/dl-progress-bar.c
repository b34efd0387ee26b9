/* dl-progress-bar.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A horizontal progress bar that looks as GtkProgressBar does (the same CSS
 * nodes: progressbar.horizontal > trough > progress, and the same classes),
 * but whose new fraction only redraws it.
 *
 * GtkProgressBar gives its fill a new width for every new fraction, and a
 * layout anywhere in a window is a layout pass of the window: under X11,
 * GDK then asks the X server where the window and its monitor are, several
 * round trips during which the main loop waits for the server. With many
 * downloads running, some bar moves on most frames. Here the fill always
 * has the whole trough, and is cut to the fraction when it is drawn. */

#define G_LOG_DOMAIN "dl-progress-bar"

#include "config.h"

#include <glib/gi18n.h>

#include "dl-progress-bar.h"

struct _DlProgressBar
{
  GtkWidget  parent_instance;

  GtkWidget *trough;
  GtkWidget *fill;
  double     fraction;
  int        percent;   /* whole percents told to assistive technologies, or -1 */
};

enum {
  PROP_0,
  PROP_FRACTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (DlProgressBar, dl_progress_bar, GTK_TYPE_WIDGET)

/* ---- the fill and the trough that cuts it ------------------------------------ */

#define DL_TYPE_PROGRESS_FILL (dl_progress_fill_get_type ())
G_DECLARE_FINAL_TYPE (DlProgressFill, dl_progress_fill, DL, PROGRESS_FILL, GtkWidget)

struct _DlProgressFill
{
  GtkWidget parent_instance;
};

G_DEFINE_FINAL_TYPE (DlProgressFill, dl_progress_fill, GTK_TYPE_WIDGET)

static void
dl_progress_fill_class_init (DlProgressFillClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_css_name (widget_class, "progress");
}

static void
dl_progress_fill_init (DlProgressFill *self)
{
}

#define DL_TYPE_PROGRESS_TROUGH (dl_progress_trough_get_type ())
G_DECLARE_FINAL_TYPE (DlProgressTrough, dl_progress_trough, DL, PROGRESS_TROUGH, GtkWidget)

struct _DlProgressTrough
{
  GtkWidget parent_instance;
};

G_DEFINE_FINAL_TYPE (DlProgressTrough, dl_progress_trough, GTK_TYPE_WIDGET)

static void
dl_progress_trough_snapshot (GtkWidget   *widget,
                             GtkSnapshot *snapshot)
{
  DlProgressBar *bar = DL_PROGRESS_BAR (gtk_widget_get_parent (widget));
  graphene_rect_t bounds;
  float width;

  if (bar->fraction <= 0.0 || !gtk_widget_compute_bounds (bar->fill, widget, &bounds))
    return;

  width = bounds.size.width * (float) bar->fraction;
  if (gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL)
    bounds.origin.x += bounds.size.width - width;
  bounds.size.width = width;

  /* The fill's end is as round as its start, unless the bar is square
   * (the osd style). */
  if (gtk_widget_has_css_class (GTK_WIDGET (bar), "osd"))
    {
      gtk_snapshot_push_clip (snapshot, &bounds);
    }
  else
    {
      GskRoundedRect clip;
      float radius = bounds.size.height / 2.0f;

      gsk_rounded_rect_init (&clip, &bounds,
                             &GRAPHENE_SIZE_INIT (radius, radius),
                             &GRAPHENE_SIZE_INIT (radius, radius),
                             &GRAPHENE_SIZE_INIT (radius, radius),
                             &GRAPHENE_SIZE_INIT (radius, radius));
      gsk_rounded_rect_normalize (&clip);
      gtk_snapshot_push_rounded_clip (snapshot, &clip);
    }
  gtk_widget_snapshot_child (widget, bar->fill, snapshot);
  gtk_snapshot_pop (snapshot);
}

static void
dl_progress_trough_class_init (DlProgressTroughClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->snapshot = dl_progress_trough_snapshot;
  gtk_widget_class_set_css_name (widget_class, "trough");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
dl_progress_trough_init (DlProgressTrough *self)
{
}

/* ---- the bar ---------------------------------------------------------------- */

/* The classes GtkProgressBar gives its nodes, which the theme styles: the
 * ends the fill touches, and an empty or full trough. They change only at
 * the ends of the range. */
static void
update_classes (DlProgressBar *self)
{
  gboolean rtl = gtk_widget_get_direction (GTK_WIDGET (self)) == GTK_TEXT_DIR_RTL;
  gboolean full = self->fraction >= 1.0;
  gboolean empty = self->fraction <= 0.0;

  if (!rtl || full)
    gtk_widget_add_css_class (self->fill, "left");
  else
    gtk_widget_remove_css_class (self->fill, "left");
  if (rtl || full)
    gtk_widget_add_css_class (self->fill, "right");
  else
    gtk_widget_remove_css_class (self->fill, "right");

  if (empty)
    gtk_widget_add_css_class (self->trough, "empty");
  else
    gtk_widget_remove_css_class (self->trough, "empty");
  if (full)
    gtk_widget_add_css_class (self->trough, "full");
  else
    gtk_widget_remove_css_class (self->trough, "full");
}

static void
dl_progress_bar_direction_changed (GtkWidget        *widget,
                                   GtkTextDirection  previous)
{
  update_classes (DL_PROGRESS_BAR (widget));
  GTK_WIDGET_CLASS (dl_progress_bar_parent_class)->direction_changed (widget, previous);
}

static void
dl_progress_bar_dispose (GObject *object)
{
  DlProgressBar *self = (DlProgressBar *) object;

  g_clear_pointer (&self->fill, gtk_widget_unparent);
  g_clear_pointer (&self->trough, gtk_widget_unparent);

  G_OBJECT_CLASS (dl_progress_bar_parent_class)->dispose (object);
}

static void
dl_progress_bar_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  DlProgressBar *self = DL_PROGRESS_BAR (object);

  switch (prop_id)
    {
    case PROP_FRACTION:
      g_value_set_double (value, self->fraction);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dl_progress_bar_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DlProgressBar *self = DL_PROGRESS_BAR (object);

  switch (prop_id)
    {
    case PROP_FRACTION:
      dl_progress_bar_set_fraction (self, g_value_get_double (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dl_progress_bar_class_init (DlProgressBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dl_progress_bar_dispose;
  object_class->get_property = dl_progress_bar_get_property;
  object_class->set_property = dl_progress_bar_set_property;

  widget_class->direction_changed = dl_progress_bar_direction_changed;

  /**
   * DlProgressBar:fraction:
   *
   * How much of the bar is filled, from 0 to 1.
   */
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL,
                         0.0, 1.0, 0.0,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "progressbar");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_PROGRESS_BAR);
}

static void
dl_progress_bar_init (DlProgressBar *self)
{
  self->percent = -1;
  gtk_widget_add_css_class (GTK_WIDGET (self), "horizontal");

  self->trough = g_object_new (DL_TYPE_PROGRESS_TROUGH, NULL);
  gtk_widget_set_parent (self->trough, GTK_WIDGET (self));
  self->fill = g_object_new (DL_TYPE_PROGRESS_FILL, NULL);
  gtk_widget_set_parent (self->fill, self->trough);

  update_classes (self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MIN, 0.0,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MAX, 100.0,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, 0.0,
                                  -1);
}

GtkWidget *
dl_progress_bar_new (void)
{
  return g_object_new (DL_TYPE_PROGRESS_BAR, NULL);
}

double
dl_progress_bar_get_fraction (DlProgressBar *self)
{
  g_return_val_if_fail (DL_IS_PROGRESS_BAR (self), 0.0);

  return self->fraction;
}

/**
 * dl_progress_bar_set_fraction:
 * @self: a #DlProgressBar
 * @fraction: from 0 to 1 (clamped)
 *
 * Fills @fraction of the bar. Only redraws it: its size and its layout stay
 * as they are. Assistive technologies are told the value in whole percents
 * (0 to 100).
 */
void
dl_progress_bar_set_fraction (DlProgressBar *self,
                              double         fraction)
{
  gboolean was_end;
  int percent;

  g_return_if_fail (DL_IS_PROGRESS_BAR (self));

  fraction = CLAMP (fraction, 0.0, 1.0);
  if (fraction == self->fraction)
    return;

  was_end = self->fraction <= 0.0 || self->fraction >= 1.0;
  self->fraction = fraction;
  if (was_end || fraction <= 0.0 || fraction >= 1.0)
    update_classes (self);
  gtk_widget_queue_draw (self->trough);

  /* Screen readers hear whole percents, not every byte. */
  percent = (int) (fraction * 100.0);
  if (percent != self->percent)
    {
      g_autofree char *text = NULL;

      self->percent = percent;
      /* Translators: the accessible value of a progress bar */
      text = g_strdup_printf (_("%u percent"), (guint) percent);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, (double) percent,
                                      GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text,
                                      -1);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
}
