/* dl-add-downloads-action.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "dl-add-request.h"
#include "dl-application.h"
#include "dl-request-options.h"

G_BEGIN_DECLS

void  dl_add_downloads_action_install  (DlApplication *app);
DlRequestOptions *dl_add_downloads_request_options (DlAddRequest *request);

G_END_DECLS
