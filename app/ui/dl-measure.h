/* dl-measure.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "dl-application.h"
#include "dl-manager.h"

G_BEGIN_DECLS

#define DL_TYPE_MEASURE (dl_measure_get_type ())

G_DECLARE_FINAL_TYPE (DlMeasure, dl_measure, DL, MEASURE, GObject)

gboolean   dl_measure_is_requested         (void);
int        dl_measure_run                  (int          argc,
                                            char       **argv);

DlMeasure *dl_measure_new_from_environment (void) G_GNUC_WARN_UNUSED_RESULT;
guint      dl_measure_get_n_downloads      (DlMeasure   *self);
GStrv      dl_measure_build_links          (DlMeasure   *self,
                                            const char  *base_uri) G_GNUC_WARN_UNUSED_RESULT;
void       dl_measure_start                (DlMeasure   *self,
                                            GtkWidget   *window,
                                            DlManager   *manager);
void       dl_measure_stop                 (DlMeasure   *self);

G_END_DECLS
