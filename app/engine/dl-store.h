/* dl-store.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "dl-types.h"

G_BEGIN_DECLS

#define DL_STORE_ERROR (dl_store_error_quark ())

/**
 * DlStoreError:
 * @DL_STORE_ERROR_FAILED: SQLite reported an error (the message has its text)
 * @DL_STORE_ERROR_CORRUPT: the file is not a database, or a damaged one
 * @DL_STORE_ERROR_VERSION: the store was written by a newer version of the
 *   program, with a schema this one does not know
 * @DL_STORE_ERROR_FOREIGN: the file is some other program's database
 * @DL_STORE_ERROR_NOT_FOUND: no download has that id
 * @DL_STORE_ERROR_BUSY: another process holds the store locked
 *
 * Errors of [class@Dl.Store].
 */
typedef enum
{
  DL_STORE_ERROR_FAILED,
  DL_STORE_ERROR_CORRUPT,
  DL_STORE_ERROR_VERSION,
  DL_STORE_ERROR_FOREIGN,
  DL_STORE_ERROR_NOT_FOUND,
  DL_STORE_ERROR_BUSY,
} DlStoreError;

/**
 * DL_STORE_SCHEMA_VERSION:
 *
 * The schema this build writes (SQLite's `user_version`).
 */
#define DL_STORE_SCHEMA_VERSION 3

/**
 * DlStoreRecord:
 * @id: the row id, 0 until inserted
 * @url: the URL as the user gave it
 * @output_dir: the folder the file goes to
 * @file_name: (nullable): the final name once chosen (the partial file is
 *   `file_name` + ".part")
 * @state: where the download was when last recorded
 * @bytes_received: bytes written to the partial file (for display)
 * @resume_offset: bytes known to be synced to disk: a restart resumes here
 * @total_bytes: the full size, or -1 if unknown
 * @etag: (nullable): the validator for `If-Range`
 * @last_modified: (nullable): the other validator for `If-Range`
 * @sha256: (nullable): the expected checksum, lowercase hex
 * @error_message: (nullable): why it failed
 * @attempts: how many requests were made
 * @created_at: when it was added, wall-clock microseconds since the epoch
 * @finished_at: when it reached done, failed or cancelled, or 0
 * @request_headers: (nullable): extra request headers, one "Name: value" a
 *   line, never one that carries credentials
 * @cookies: (nullable): the cookies to send, as the text of a cookies.txt
 * @cookies_file: (nullable): a cookies.txt file to read the cookies from
 * @rate_limit: its own speed limit in bytes per second, or 0
 * @ranges: (nullable) (element-type DlStoreRange): the byte ranges of a
 *   download fetched over several connections, each with how far it is
 *   durably on disk; %NULL leaves the stored ranges as they are, an empty
 *   array removes them
 *
 * One download as stored. Plain data, owned by whoever holds it.
 */
struct _DlStoreRecord
{
  gint64           id;
  char            *url;
  char            *output_dir;
  char            *file_name;
  DlDownloadState  state;
  gint64           bytes_received;
  gint64           resume_offset;
  gint64           total_bytes;
  char            *etag;
  char            *last_modified;
  char            *sha256;
  char            *error_message;
  guint            attempts;
  gint64           created_at;
  gint64           finished_at;
  char            *request_headers;
  char            *cookies;
  char            *cookies_file;
  guint64          rate_limit;
  GArray          *ranges;
};

/**
 * DlStoreRange:
 * @start: the range's first byte
 * @end: one past its last byte
 * @durable: bytes [@start, @durable) are synced to the partial file
 *
 * One range of a download fetched over several connections.
 */
typedef struct
{
  gint64 start;
  gint64 end;
  gint64 durable;
} DlStoreRange;

/**
 * DlStoreInsertCallback:
 * @id: the new record's id, or 0
 * @error: (nullable): why it is not stored
 * @user_data: the callback's data
 *
 * The end of dl_store_insert_async().
 */
typedef void (*DlStoreInsertCallback) (gint64        id,
                                       const GError *error,
                                       gpointer      user_data);

#define DL_TYPE_STORE (dl_store_get_type ())

G_DECLARE_FINAL_TYPE (DlStore, dl_store, DL, STORE, GObject)

GQuark          dl_store_error_quark       (void);

DlStoreRecord  *dl_store_record_new        (const char           *url,
                                            const char           *output_dir) G_GNUC_WARN_UNUSED_RESULT;
DlStoreRecord  *dl_store_record_copy       (const DlStoreRecord  *record) G_GNUC_WARN_UNUSED_RESULT;
void            dl_store_record_free       (DlStoreRecord        *record);

char           *dl_store_get_default_path  (void) G_GNUC_WARN_UNUSED_RESULT;
gboolean        dl_store_can_wait          (void);
DlStore        *dl_store_open              (const char           *path,
                                            GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void            dl_store_close             (DlStore              *self);
const char     *dl_store_get_path          (DlStore              *self);
gboolean        dl_store_insert            (DlStore              *self,
                                            DlStoreRecord        *record,
                                            GError              **error);
gboolean        dl_store_update            (DlStore              *self,
                                            const DlStoreRecord  *record,
                                            GError              **error);
gboolean        dl_store_update_progress   (DlStore              *self,
                                            gint64                id,
                                            gint64                bytes_received,
                                            gint64                resume_offset,
                                            GError              **error);
gboolean        dl_store_remove            (DlStore              *self,
                                            gint64                id,
                                            GError              **error);
gboolean        dl_store_queue_insert      (DlStore              *self,
                                            DlStoreRecord        *record);
void            dl_store_insert_async      (DlStore              *self,
                                            const DlStoreRecord  *record,
                                            DlStoreInsertCallback callback,
                                            gpointer              user_data,
                                            GDestroyNotify        destroy);
void            dl_store_queue_remove      (DlStore              *self,
                                            gint64                id);
void            dl_store_queue_update      (DlStore              *self,
                                            const DlStoreRecord  *record);
void            dl_store_queue_update_held (DlStore              *self,
                                            const DlStoreRecord  *record);
void            dl_store_release           (DlStore              *self,
                                            gint64                id);
void            dl_store_queue_progress    (DlStore              *self,
                                            gint64                id,
                                            gint64                bytes_received,
                                            gint64                resume_offset);
DlStoreRecord  *dl_store_lookup            (DlStore              *self,
                                            gint64                id,
                                            GError              **error) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray      *dl_store_list              (DlStore              *self,
                                            GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlStoreRecord, dl_store_record_free)

G_END_DECLS
