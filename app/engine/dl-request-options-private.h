/* dl-request-options-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before dl-request-options-private.h"
#endif

#include <libsoup/soup.h>

#include "dl-request-options.h"

G_BEGIN_DECLS

void _dl_request_options_apply (DlRequestOptions *self,
                                SoupMessage      *msg,
                                const char       *origin);

G_END_DECLS
