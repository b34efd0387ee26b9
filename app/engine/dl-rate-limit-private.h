/* dl-rate-limit-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before dl-rate-limit-private.h"
#endif

#include <glib.h>

G_BEGIN_DECLS

/* A speed limit shared by whoever reads under it (see dl-rate-limit.c). */
typedef struct _DlRateLimit DlRateLimit;

DlRateLimit *_dl_rate_limit_new         (guint64      bytes_per_second);
DlRateLimit *_dl_rate_limit_ref         (DlRateLimit *self);
void         _dl_rate_limit_unref       (DlRateLimit *self);
void         _dl_rate_limit_set         (DlRateLimit *self,
                                         guint64      bytes_per_second,
                                         gint64       now);
guint64      _dl_rate_limit_get         (DlRateLimit *self);
gint64       _dl_rate_limit_wait        (DlRateLimit *self,
                                         gsize        n_bytes,
                                         gint64       now);
void         _dl_rate_limit_charge      (DlRateLimit *self,
                                         gsize        n_bytes,
                                         gint64       now);
gsize        _dl_rate_limit_get_chunk   (DlRateLimit *self,
                                         gsize        most);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlRateLimit, _dl_rate_limit_unref)

G_END_DECLS
