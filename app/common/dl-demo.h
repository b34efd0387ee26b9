/* dl-demo.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define DL_TYPE_DEMO (dl_demo_get_type ())

G_DECLARE_FINAL_TYPE (DlDemo, dl_demo, DL, DEMO, GObject)

DlDemo      *dl_demo_new           (void) G_GNUC_WARN_UNUSED_RESULT;
void         dl_demo_start         (DlDemo      *self);
void         dl_demo_stop          (DlDemo      *self);
const char  *dl_demo_get_base_uri  (DlDemo      *self);
GStrv        dl_demo_build_links   (const char  *base_uri) G_GNUC_WARN_UNUSED_RESULT;
char        *dl_demo_find_server   (void) G_GNUC_WARN_UNUSED_RESULT;
void         dl_demo_remove_folder (const char  *path);

G_END_DECLS
