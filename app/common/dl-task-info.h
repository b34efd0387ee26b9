/* dl-task-info.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define DL_TYPE_TASK_INFO (dl_task_info_get_type ())

G_DECLARE_FINAL_TYPE (DlTaskInfo, dl_task_info, DL, TASK_INFO, GObject)

DlTaskInfo *dl_task_info_new          (void) G_GNUC_WARN_UNUSED_RESULT;
const char *dl_task_info_get_name     (DlTaskInfo  *self);
const char *dl_task_info_get_state    (DlTaskInfo  *self);
const char *dl_task_info_get_awaiting (DlTaskInfo  *self);
const char *dl_task_info_get_parked   (DlTaskInfo  *self);
void        dl_task_info_update       (DlTaskInfo  *self,
                                       const char  *name,
                                       const char  *state,
                                       const char  *awaiting,
                                       const char  *parked);

G_END_DECLS
