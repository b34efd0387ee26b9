/* dl-app-credentials.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "dl-credentials.h"

G_BEGIN_DECLS

#define DL_TYPE_APP_CREDENTIALS (dl_app_credentials_get_type ())

G_DECLARE_FINAL_TYPE (DlAppCredentials, dl_app_credentials, DL, APP_CREDENTIALS, GObject)

DlAppCredentials *dl_app_credentials_new (GtkApplication *app) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
