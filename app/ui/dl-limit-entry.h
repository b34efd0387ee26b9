/* dl-limit-entry.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/**
 * DlLimitKind:
 * @DL_LIMIT_KIND_SPEED: bytes per second, in kB/s or MB/s
 * @DL_LIMIT_KIND_SIZE: bytes, in MB or GB
 *
 * What a #DlLimitEntry edits.
 */
typedef enum
{
  DL_LIMIT_KIND_SPEED,
  DL_LIMIT_KIND_SIZE,
} DlLimitKind;

#define DL_TYPE_LIMIT_KIND (dl_limit_kind_get_type ())
#define DL_TYPE_LIMIT_ENTRY (dl_limit_entry_get_type ())

GType dl_limit_kind_get_type (void) G_GNUC_CONST;

G_DECLARE_FINAL_TYPE (DlLimitEntry, dl_limit_entry, DL, LIMIT_ENTRY, GtkWidget)

GtkWidget  *dl_limit_entry_new        (DlLimitKind   kind,
                                       const char   *none_label);
guint64     dl_limit_entry_get_value  (DlLimitEntry *self);
void        dl_limit_entry_set_value  (DlLimitEntry *self,
                                       guint64       value);
void        dl_limit_entry_set_amount (DlLimitEntry *self,
                                       double        amount,
                                       guint         unit);

G_END_DECLS
