/* dl-warm-up-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before dl-warm-up-private.h"
#endif

#include <glib.h>

G_BEGIN_DECLS

/* What the first downloads of a process need, made ready in the background
 * (see dl-warm-up.c). */
void      _dl_warm_up_start                  (guint    n_downloads_at_once,
                                              gboolean with_proxy_resolver);
gboolean  _dl_warm_up_wait_for_proxy_resolver (GError **error);

G_END_DECLS
