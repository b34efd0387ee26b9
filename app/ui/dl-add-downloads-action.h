/* dl-add-downloads-action.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "dl-application.h"

G_BEGIN_DECLS

void  dl_add_downloads_action_install  (DlApplication *app);

G_END_DECLS
