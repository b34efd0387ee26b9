/* dl-cli-credentials.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "dl-download.h"

G_BEGIN_DECLS

typedef struct _DlCliCredentials DlCliCredentials;

DlCliCredentials *dl_cli_credentials_parse   (const char        *option,
                                              GError           **error);
void              dl_cli_credentials_apply   (DlCliCredentials  *self,
                                              DlDownload        *download);
void              dl_cli_credentials_scrub_argv (int             argc,
                                                 char          **argv);
void              dl_cli_credentials_free    (DlCliCredentials  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlCliCredentials, dl_cli_credentials_free)

G_END_DECLS
