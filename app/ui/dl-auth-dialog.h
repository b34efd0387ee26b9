/* dl-auth-dialog.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "dl-credentials.h"

G_BEGIN_DECLS

#define DL_AUTH_DIALOG_RESPONSE_SIGN_IN "sign-in"
#define DL_AUTH_DIALOG_RESPONSE_CANCEL  "cancel"

#define DL_TYPE_AUTH_DIALOG (dl_auth_dialog_get_type ())

G_DECLARE_FINAL_TYPE (DlAuthDialog, dl_auth_dialog, DL, AUTH_DIALOG, AdwMessageDialog)

DlAuthDialog *dl_auth_dialog_new           (GtkWindow             *parent,
                                            const DlAuthChallenge *challenge,
                                            const char            *shown_url);
const char   *dl_auth_dialog_get_user      (DlAuthDialog          *self);
char         *dl_auth_dialog_dup_password  (DlAuthDialog          *self) G_GNUC_WARN_UNUSED_RESULT;
gboolean      dl_auth_dialog_get_remember  (DlAuthDialog          *self);
GtkEditable  *dl_auth_dialog_get_user_entry      (DlAuthDialog    *self);
GtkEditable  *dl_auth_dialog_get_password_entry  (DlAuthDialog    *self);
GtkCheckButton *dl_auth_dialog_get_remember_check (DlAuthDialog   *self);

G_END_DECLS
