/* dl-part-file-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before dl-part-file-private.h"
#endif

#include <libbridge.h>

#include "dl-disk-private.h"
#include "dl-download.h"
#include "dl-store.h"

G_BEGIN_DECLS

/* A download's partial file, open, and the data on its way there (see
 * dl-part-file.c). Loop thread only. */
typedef struct _DlPart DlPart;

/* The end's rename is done: @out_name is the name the file got, @size its
 * size, and @recorded says whether the writer records the download as done
 * in the store itself. */
typedef void (*DlPartRenamedFunc) (const char *out_name,
                                   gint64      size,
                                   gboolean    recorded,
                                   gpointer    user_data);

DlPart     *_dl_part_new               (BridgeLoop         *loop,
                                        DlDownload         *download,
                                        gint64              offset) G_GNUC_WARN_UNUSED_RESULT;
DlPart     *_dl_part_new_creating      (BridgeLoop         *loop,
                                        DlDownload         *download,
                                        DlSharedFd         *dir,
                                        char               *name) G_GNUC_WARN_UNUSED_RESULT;
void        _dl_part_unref             (DlPart             *self);
void        _dl_part_start             (DlPart             *self,
                                        int                 fd,
                                        const char         *name);
gboolean    _dl_part_is_open           (DlPart             *self);
DlSharedFd *_dl_part_get_fd            (DlPart             *self);
const char *_dl_part_get_display_name  (DlPart             *self);

gboolean    _dl_part_get_buffer        (DlPart             *self,
                                        GError            **error);
DlBuffer   *_dl_part_get_current       (DlPart             *self);
void        _dl_part_submit            (DlPart             *self);
void        _dl_part_submit_if_due     (DlPart             *self);
gint64      _dl_part_received          (DlPart             *self);
gint64      _dl_part_get_written       (DlPart             *self);
gboolean    _dl_part_flush             (DlPart             *self,
                                        gboolean            sync,
                                        GError            **error);
gboolean    _dl_part_reset_to          (DlPart             *self,
                                        gint64              offset,
                                        const char         *name,
                                        GError            **error);
void        _dl_part_close             (DlPart             *self);
void        _dl_part_adopt_written     (DlPart             *self,
                                        gint64              size);

gboolean    _dl_part_wait_created      (DlPart             *self,
                                        gboolean           *hashed_all,
                                        GError            **error);
void        _dl_part_finish_start      (DlPart             *self,
                                        DlFolder           *folder,
                                        const char         *name,
                                        const char         *sha256,
                                        DlStore            *store,
                                        DlStoreRecord      *done,
                                        DlPartRenamedFunc   renamed_cb,
                                        gpointer            renamed_data);
gboolean    _dl_part_finish_wait       (DlPart             *self,
                                        char              **out_name,
                                        gboolean           *synced,
                                        GError            **error);

G_END_DECLS
