/* dl-background.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "dl-manager.h"

G_BEGIN_DECLS

typedef struct _DlBackground DlBackground;

DlBackground *dl_background_new            (GApplication         *app,
                                            DlManager            *manager);
void          dl_background_free           (DlBackground         *self);
void          dl_background_request_async  (DlBackground         *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean      dl_background_request_finish (DlBackground         *self,
                                            GAsyncResult         *result,
                                            GError              **error);
void          dl_background_enter          (DlBackground         *self);
void          dl_background_leave          (DlBackground         *self);
gboolean      dl_background_is_active      (DlBackground         *self);
char         *dl_background_describe       (DlBackground         *self) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlBackground, dl_background_free)

G_END_DECLS
