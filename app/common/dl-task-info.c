/* dl-task-info.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-task-info"

#include "config.h"

#include "dl-task-info.h"

/* One row of the task inspector: plain strings, so the column view can
 * bind labels to them, updated in place four times a second. Only what
 * changed is notified, so a quiet task costs no redraw. */
struct _DlTaskInfo
{
  GObject  parent_instance;

  char    *name;
  char    *state;
  char    *awaiting;
  char    *parked;
};

enum {
  PROP_0,
  PROP_NAME,
  PROP_STATE,
  PROP_AWAITING,
  PROP_PARKED,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

G_DEFINE_FINAL_TYPE (DlTaskInfo, dl_task_info, G_TYPE_OBJECT)

static void
dl_task_info_finalize (GObject *object)
{
  DlTaskInfo *self = (DlTaskInfo *) object;

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->state, g_free);
  g_clear_pointer (&self->awaiting, g_free);
  g_clear_pointer (&self->parked, g_free);

  G_OBJECT_CLASS (dl_task_info_parent_class)->finalize (object);
}

static void
dl_task_info_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  DlTaskInfo *self = DL_TASK_INFO (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_STATE:
      g_value_set_string (value, self->state);
      break;

    case PROP_AWAITING:
      g_value_set_string (value, self->awaiting);
      break;

    case PROP_PARKED:
      g_value_set_string (value, self->parked);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dl_task_info_class_init (DlTaskInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = dl_task_info_finalize;
  object_class->get_property = dl_task_info_get_property;

  properties [PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties [PROP_STATE] = g_param_spec_string ("state", NULL, NULL, NULL, flags);
  properties [PROP_AWAITING] = g_param_spec_string ("awaiting", NULL, NULL, NULL, flags);
  properties [PROP_PARKED] = g_param_spec_string ("parked", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dl_task_info_init (DlTaskInfo *self)
{
}

DlTaskInfo *
dl_task_info_new (void)
{
  return g_object_new (DL_TYPE_TASK_INFO, NULL);
}

const char *
dl_task_info_get_name (DlTaskInfo *self)
{
  g_return_val_if_fail (DL_IS_TASK_INFO (self), NULL);

  return self->name;
}

const char *
dl_task_info_get_state (DlTaskInfo *self)
{
  g_return_val_if_fail (DL_IS_TASK_INFO (self), NULL);

  return self->state;
}

const char *
dl_task_info_get_awaiting (DlTaskInfo *self)
{
  g_return_val_if_fail (DL_IS_TASK_INFO (self), NULL);

  return self->awaiting;
}

const char *
dl_task_info_get_parked (DlTaskInfo *self)
{
  g_return_val_if_fail (DL_IS_TASK_INFO (self), NULL);

  return self->parked;
}

static void
set_field (DlTaskInfo  *self,
           char       **field,
           const char  *value,
           guint        prop_id)
{
  if (g_strcmp0 (*field, value) == 0)
    return;

  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties [prop_id]);
}

void
dl_task_info_update (DlTaskInfo *self,
                     const char *name,
                     const char *state,
                     const char *awaiting,
                     const char *parked)
{
  g_return_if_fail (DL_IS_TASK_INFO (self));

  g_object_freeze_notify (G_OBJECT (self));
  set_field (self, &self->name, name, PROP_NAME);
  set_field (self, &self->state, state, PROP_STATE);
  set_field (self, &self->awaiting, awaiting, PROP_AWAITING);
  set_field (self, &self->parked, parked, PROP_PARKED);
  g_object_thaw_notify (G_OBJECT (self));
}
