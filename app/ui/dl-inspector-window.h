/* dl-inspector-window.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "dl-stall-probe.h"

G_BEGIN_DECLS

#define DL_TYPE_INSPECTOR_WINDOW (dl_inspector_window_get_type ())

G_DECLARE_FINAL_TYPE (DlInspectorWindow, dl_inspector_window, DL, INSPECTOR_WINDOW, AdwWindow)

DlInspectorWindow *dl_inspector_window_new          (void) G_GNUC_WARN_UNUSED_RESULT;
GListModel        *dl_inspector_window_get_tasks    (DlInspectorWindow  *self);
DlStallProbe      *dl_inspector_window_get_probe    (DlInspectorWindow  *self);
void               dl_inspector_window_refresh      (DlInspectorWindow  *self);

G_END_DECLS
