/* dl-preferences-window.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define DL_TYPE_PREFERENCES_WINDOW (dl_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (DlPreferencesWindow, dl_preferences_window, DL, PREFERENCES_WINDOW, AdwPreferencesWindow)

DlPreferencesWindow *dl_preferences_window_new          (GSettings            *settings) G_GNUC_WARN_UNUSED_RESULT;
void                 dl_preferences_window_set_fixed_folder (DlPreferencesWindow *self,
                                                         const char          *folder);
const char          *dl_preferences_window_get_folder_text (DlPreferencesWindow *self);
GtkSpinButton       *dl_preferences_window_get_spin     (DlPreferencesWindow  *self,
                                                         const char           *key);

GtkWidget           *dl_preferences_window_get_control  (DlPreferencesWindow  *self,
                                                         const char           *key);

G_END_DECLS
