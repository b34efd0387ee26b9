/* dl-speed-limit-dialog.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "dl-download.h"

G_BEGIN_DECLS

GtkWindow *dl_speed_limit_dialog_present (GtkWindow  *parent,
                                          DlDownload *download);

G_END_DECLS
