/* dl-limit-entry.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-limit-entry"

#include "config.h"

#include <glib/gi18n.h>

#include "dl-limit-entry.h"

/* A limit a person types as "5 MB/s" or "2 GB", or none at all: a unit
 * menu whose first choice is no limit ("Unlimited"), and an amount beside
 * it while a unit is chosen. #DlLimitEntry:value is in bytes (per second),
 * 0 for no limit, so it binds straight to a GSettings key or an engine
 * property. Units are decimal, as the app shows sizes (g_format_size). */

#define MAX_AMOUNT 999999

struct _DlLimitEntry
{
  GtkWidget      parent_instance;

  GtkSpinButton *amount_spin;
  GtkDropDown   *unit_drop_down;
  DlLimitKind    kind;
  char          *none_label;
  guint64        value;
  gboolean       updating;  /* showing a value: the widgets' signals are ours */
};

enum {
  PROP_0,
  PROP_KIND,
  PROP_NONE_LABEL,
  PROP_VALUE,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

G_DEFINE_FINAL_TYPE (DlLimitEntry, dl_limit_entry, GTK_TYPE_WIDGET)

GType
dl_limit_kind_get_type (void)
{
  static gsize type_id;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { DL_LIMIT_KIND_SPEED, "DL_LIMIT_KIND_SPEED", "speed" },
        { DL_LIMIT_KIND_SIZE, "DL_LIMIT_KIND_SIZE", "size" },
        { 0, NULL, NULL },
      };
      GType type = g_enum_register_static (g_intern_static_string ("DlLimitKind"), values);

      g_once_init_leave (&type_id, type);
    }
  return type_id;
}

/* Bytes per unit; unit 0 is "no limit". */
static guint64
unit_bytes (DlLimitEntry *self,
            guint         unit)
{
  static const guint64 speed[] = { 0, 1000, 1000 * 1000 };
  static const guint64 size[] = { 0, 1000 * 1000, 1000 * 1000 * 1000 };

  g_assert (unit < G_N_ELEMENTS (speed));
  return self->kind == DL_LIMIT_KIND_SPEED ? speed[unit] : size[unit];
}

static void
set_value_internal (DlLimitEntry *self,
                    guint64       value)
{
  if (self->value == value)
    return;
  self->value = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALUE]);
}

/* The amount shows when there is a limit to give an amount for. */
static void
update_amount_visible (DlLimitEntry *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->amount_spin),
                          gtk_drop_down_get_selected (self->unit_drop_down) != 0);
}

static void
edited_cb (DlLimitEntry *self)
{
  guint unit = gtk_drop_down_get_selected (self->unit_drop_down);

  update_amount_visible (self);
  if (self->updating || unit == GTK_INVALID_LIST_POSITION)
    return;
  set_value_internal (self, (guint64) gtk_spin_button_get_value_as_int (self->amount_spin) *
                            unit_bytes (self, unit));
}

/* Shows @value in the largest unit that holds it whole (5 MB/s, not
 * 5000 kB/s), else in the smaller one, rounded. */
static void
show_value (DlLimitEntry *self)
{
  guint64 small = unit_bytes (self, 1);
  guint64 large = unit_bytes (self, 2);
  guint unit;
  guint64 amount;

  if (self->value == 0)
    {
      unit = 0;
      amount = (guint64) gtk_spin_button_get_value_as_int (self->amount_spin);
    }
  else if (self->value % large == 0)
    {
      unit = 2;
      amount = self->value / large;
    }
  else
    {
      unit = 1;
      amount = (self->value + small / 2) / small;
    }

  self->updating = TRUE;
  gtk_spin_button_set_value (self->amount_spin, CLAMP (amount, 1, MAX_AMOUNT));
  gtk_drop_down_set_selected (self->unit_drop_down, unit);
  self->updating = FALSE;
  update_amount_visible (self);
}

static void
dl_limit_entry_constructed (GObject *object)
{
  DlLimitEntry *self = (DlLimitEntry *) object;
  const char *speed_units[] = { self->none_label, _("kB/s"), _("MB/s"), NULL };
  const char *size_units[] = { self->none_label, _("MB"), _("GB"), NULL };
  g_autoptr(GtkStringList) units = NULL;

  G_OBJECT_CLASS (dl_limit_entry_parent_class)->constructed (object);

  if (self->none_label == NULL)
    speed_units[0] = size_units[0] = _("Unlimited");
  units = gtk_string_list_new (self->kind == DL_LIMIT_KIND_SPEED ? speed_units : size_units);
  self->updating = TRUE;
  gtk_drop_down_set_model (self->unit_drop_down, G_LIST_MODEL (units));
  self->updating = FALSE;
  show_value (self);
}

static void
dl_limit_entry_dispose (GObject *object)
{
  DlLimitEntry *self = (DlLimitEntry *) object;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  self->amount_spin = NULL;
  self->unit_drop_down = NULL;

  G_OBJECT_CLASS (dl_limit_entry_parent_class)->dispose (object);
}

static void
dl_limit_entry_finalize (GObject *object)
{
  DlLimitEntry *self = (DlLimitEntry *) object;

  g_free (self->none_label);

  G_OBJECT_CLASS (dl_limit_entry_parent_class)->finalize (object);
}

static void
dl_limit_entry_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  DlLimitEntry *self = DL_LIMIT_ENTRY (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_NONE_LABEL:
      g_value_set_string (value, self->none_label);
      break;
    case PROP_VALUE:
      g_value_set_uint64 (value, self->value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dl_limit_entry_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  DlLimitEntry *self = DL_LIMIT_ENTRY (object);

  switch (prop_id)
    {
    case PROP_KIND:
      self->kind = g_value_get_enum (value);
      break;
    case PROP_NONE_LABEL:
      g_free (self->none_label);
      self->none_label = g_value_dup_string (value);
      break;
    case PROP_VALUE:
      dl_limit_entry_set_value (self, g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dl_limit_entry_class_init (DlLimitEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = dl_limit_entry_constructed;
  object_class->dispose = dl_limit_entry_dispose;
  object_class->finalize = dl_limit_entry_finalize;
  object_class->get_property = dl_limit_entry_get_property;
  object_class->set_property = dl_limit_entry_set_property;

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, DL_TYPE_LIMIT_KIND, DL_LIMIT_KIND_SPEED,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * DlLimitEntry:none-label:
   *
   * The unit menu's first choice, no limit: "Unlimited" unless set.
   */
  properties[PROP_NONE_LABEL] =
    g_param_spec_string ("none-label", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * DlLimitEntry:value:
   *
   * The limit in bytes (per second for a speed), 0 for none.
   */
  properties[PROP_VALUE] =
    g_param_spec_uint64 ("value", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "limitentry");
}

static void
dl_limit_entry_init (DlLimitEntry *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 6);
  gtk_widget_set_valign (GTK_WIDGET (self), GTK_ALIGN_CENTER);

  self->amount_spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (1, MAX_AMOUNT, 1));
  gtk_spin_button_set_numeric (self->amount_spin, TRUE);
  gtk_spin_button_set_value (self->amount_spin, 1);
  gtk_widget_set_valign (GTK_WIDGET (self->amount_spin), GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->amount_spin),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Amount"),
                                  -1);
  gtk_widget_set_parent (GTK_WIDGET (self->amount_spin), GTK_WIDGET (self));

  self->unit_drop_down = GTK_DROP_DOWN (gtk_drop_down_new (NULL, NULL));
  gtk_widget_set_valign (GTK_WIDGET (self->unit_drop_down), GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->unit_drop_down),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Unit"),
                                  -1);
  gtk_widget_set_parent (GTK_WIDGET (self->unit_drop_down), GTK_WIDGET (self));

  g_signal_connect_object (self->amount_spin, "value-changed", G_CALLBACK (edited_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->unit_drop_down, "notify::selected", G_CALLBACK (edited_cb), self,
                           G_CONNECT_SWAPPED);
}

/**
 * dl_limit_entry_new:
 * @kind: a speed or a size
 * @none_label: (nullable): the choice for no limit, or %NULL for
 *   "Unlimited"
 *
 * Returns: (transfer floating): a new #DlLimitEntry showing no limit
 */
GtkWidget *
dl_limit_entry_new (DlLimitKind  kind,
                    const char  *none_label)
{
  return g_object_new (DL_TYPE_LIMIT_ENTRY,
                       "kind", kind,
                       "none-label", none_label,
                       NULL);
}

guint64
dl_limit_entry_get_value (DlLimitEntry *self)
{
  g_return_val_if_fail (DL_IS_LIMIT_ENTRY (self), 0);

  return self->value;
}

void
dl_limit_entry_set_value (DlLimitEntry *self,
                          guint64       value)
{
  g_return_if_fail (DL_IS_LIMIT_ENTRY (self));

  if (self->value == value)
    return;
  set_value_internal (self, value);
  show_value (self);
}

/**
 * dl_limit_entry_set_amount:
 * @self: a #DlLimitEntry
 * @amount: the number typed
 * @unit: the unit chosen: 0 for no limit, 1 for kB/s or MB, 2 for MB/s or GB
 *
 * What a person does with the two controls, for tests and the demo.
 */
void
dl_limit_entry_set_amount (DlLimitEntry *self,
                           double        amount,
                           guint         unit)
{
  g_return_if_fail (DL_IS_LIMIT_ENTRY (self));
  g_return_if_fail (unit <= 2);

  gtk_spin_button_set_value (self->amount_spin, amount);
  gtk_drop_down_set_selected (self->unit_drop_down, unit);
}
