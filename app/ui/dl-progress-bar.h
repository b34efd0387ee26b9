/* dl-progress-bar.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DL_TYPE_PROGRESS_BAR (dl_progress_bar_get_type ())

G_DECLARE_FINAL_TYPE (DlProgressBar, dl_progress_bar, DL, PROGRESS_BAR, GtkWidget)

GtkWidget *dl_progress_bar_new          (void);
double     dl_progress_bar_get_fraction (DlProgressBar *self);
void       dl_progress_bar_set_fraction (DlProgressBar *self,
                                         double         fraction);

G_END_DECLS
