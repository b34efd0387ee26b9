/* dl-request-options.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "dl-add-request.h"

G_BEGIN_DECLS

typedef struct _DlRequestOptions DlRequestOptions;

DlRequestOptions *dl_request_options_new   (SoupSession       *session) G_GNUC_WARN_UNUSED_RESULT;
void              dl_request_options_free  (DlRequestOptions  *self);
void              dl_request_options_add   (DlRequestOptions  *self,
                                            DlAddRequest      *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlRequestOptions, dl_request_options_free)

G_END_DECLS
