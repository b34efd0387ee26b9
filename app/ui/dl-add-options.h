/* dl-add-options.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "dl-add-request.h"

G_BEGIN_DECLS

#define DL_TYPE_ADD_OPTIONS (dl_add_options_get_type ())

G_DECLARE_FINAL_TYPE (DlAddOptions, dl_add_options, DL, ADD_OPTIONS, GtkWidget)

gboolean     dl_add_options_build_request    (DlAddOptions        *self,
                                              const char * const  *urls,
                                              DlAddRequest       **request);
void         dl_add_options_clear            (DlAddOptions        *self);
void         dl_add_options_set_cookies_file (DlAddOptions        *self,
                                              GFile               *file);
const char  *dl_add_options_get_error        (DlAddOptions        *self);

G_END_DECLS
