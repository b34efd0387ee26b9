/* dl-metered-pause-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before dl-metered-pause-private.h"
#endif

#include <gio/gio.h>

#include "dl-download.h"
#include "dl-manager.h"

G_BEGIN_DECLS

/* Pausing a manager's downloads while the network is metered (see
 * dl-metered-pause.c). */
typedef struct _DlMeteredPause DlMeteredPause;

DlMeteredPause  *_dl_metered_pause_new           (DlManager       *manager);
void             _dl_metered_pause_free          (DlMeteredPause  *self);
GNetworkMonitor *_dl_metered_pause_get_monitor   (DlMeteredPause  *self);
void             _dl_metered_pause_set_monitor   (DlMeteredPause  *self,
                                                  GNetworkMonitor *monitor);
gboolean         _dl_metered_pause_get_enabled   (DlMeteredPause  *self);
void             _dl_metered_pause_set_enabled   (DlMeteredPause  *self,
                                                  gboolean         enabled);
gboolean         _dl_metered_pause_holds         (DlMeteredPause  *self,
                                                  DlDownload      *download);
void             _dl_metered_pause_hold          (DlMeteredPause  *self,
                                                  DlDownload      *download);
void             _dl_metered_pause_stopped       (DlMeteredPause  *self,
                                                  DlDownload      *download);
void             _dl_metered_pause_update        (DlMeteredPause  *self);

G_END_DECLS
