/* dl-manager.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "dl-credentials.h"
#include "dl-download.h"
#include "dl-store.h"
#include "dl-types.h"

G_BEGIN_DECLS

#define DL_MANAGER_DEFAULT_MAX_CONCURRENT   4
#define DL_MANAGER_DEFAULT_MAX_PER_HOST     2
#define DL_MANAGER_DEFAULT_MAX_RETRIES      5
#define DL_MANAGER_DEFAULT_IDLE_TIMEOUT     30.0
#define DL_MANAGER_DEFAULT_CONNECT_TIMEOUT  30.0
#define DL_MANAGER_DEFAULT_RETRY_DELAY      1.0
#define DL_MANAGER_DEFAULT_MAX_RETRY_DELAY  60.0
#define DL_MANAGER_DEFAULT_MAX_RETRY_AFTER  600.0
#define DL_MANAGER_DEFAULT_MAX_TIME         0.0
#define DL_MANAGER_DEFAULT_CONNECTIONS      1
#define DL_MANAGER_MAX_CONNECTIONS          16
#define DL_MANAGER_DEFAULT_MIN_SPLIT_SIZE   (4 * 1024 * 1024)

#define DL_TYPE_MANAGER (dl_manager_get_type ())

G_DECLARE_FINAL_TYPE (DlManager, dl_manager, DL, MANAGER, GObject)

void         dl_manager_warm_up              (guint         n_downloads_at_once,
                                              gboolean      default_proxy_resolver);

DlManager   *dl_manager_new                  (DlStore      *store) G_GNUC_WARN_UNUSED_RESULT;
gboolean     dl_manager_load                 (DlManager    *self,
                                              gboolean      resume_interrupted,
                                              GError      **error);
DlDownload  *dl_manager_add                  (DlManager    *self,
                                              const char   *url,
                                              const char   *sha256,
                                              GError      **error);
DlDownload  *dl_manager_add_full             (DlManager    *self,
                                              const char   *url,
                                              const char   *output_dir,
                                              const char   *sha256,
                                              GError      **error);
DlDownload  *dl_manager_add_with_options     (DlManager         *self,
                                              const char        *url,
                                              const char        *output_dir,
                                              const char        *sha256,
                                              DlRequestOptions  *options,
                                              GError           **error);
DlDownload  *dl_manager_lookup               (DlManager    *self,
                                              gint64        id);
DlDownload  *dl_manager_find_unfinished      (DlManager    *self,
                                              const char   *url,
                                              const char   *output_dir);
void         dl_manager_shutdown             (DlManager    *self);

DlStore     *dl_manager_get_store            (DlManager    *self);
SoupSession *dl_manager_get_session          (DlManager    *self);
gboolean     dl_manager_check_proxy          (const char   *url,
                                              GError      **error);
gboolean     dl_manager_set_proxy            (DlManager    *self,
                                              const char   *url,
                                              GError      **error);
void         dl_manager_set_proxy_resolver   (DlManager      *self,
                                              GProxyResolver *resolver);
void         dl_manager_disable_proxies      (DlManager    *self);
void         dl_manager_keep_folder_open     (DlManager    *self,
                                              const char   *path,
                                              int           fd);
char        *dl_manager_normalize_proxy      (const char   *url,
                                              GError      **error) G_GNUC_WARN_UNUSED_RESULT;
void         dl_manager_set_tls_database     (DlManager    *self,
                                              GTlsDatabase *database);
void         dl_manager_set_credential_provider (DlManager            *self,
                                                 DlCredentialProvider *provider);
guint        dl_manager_get_n_running        (DlManager    *self);
guint        dl_manager_get_n_active         (DlManager    *self);
const char  *dl_manager_get_output_dir       (DlManager    *self);
void         dl_manager_set_output_dir       (DlManager    *self,
                                              const char   *output_dir);
guint        dl_manager_get_max_concurrent   (DlManager    *self);
void         dl_manager_set_max_concurrent   (DlManager    *self,
                                              guint         max_concurrent);
guint        dl_manager_get_max_per_host     (DlManager    *self);
void         dl_manager_set_max_per_host     (DlManager    *self,
                                              guint         max_per_host);
guint        dl_manager_get_max_retries      (DlManager    *self);
void         dl_manager_set_max_retries      (DlManager    *self,
                                              guint         max_retries);
double       dl_manager_get_idle_timeout     (DlManager    *self);
void         dl_manager_set_idle_timeout     (DlManager    *self,
                                              double        seconds);
double       dl_manager_get_connect_timeout  (DlManager    *self);
void         dl_manager_set_connect_timeout  (DlManager    *self,
                                              double        seconds);
double       dl_manager_get_retry_delay      (DlManager    *self);
void         dl_manager_set_retry_delay      (DlManager    *self,
                                              double        seconds);
guint        dl_manager_get_connections      (DlManager    *self);
void         dl_manager_set_connections      (DlManager    *self,
                                              guint         connections);
gint64       dl_manager_get_min_split_size   (DlManager    *self);
void         dl_manager_set_min_split_size   (DlManager    *self,
                                              gint64        min_split_size);
gboolean     dl_manager_get_hash_files       (DlManager    *self);
void         dl_manager_set_hash_files       (DlManager    *self,
                                              gboolean      hash_files);
gint64       dl_manager_get_max_file_size    (DlManager    *self);
void         dl_manager_set_max_file_size    (DlManager    *self,
                                              gint64        bytes);
double       dl_manager_get_max_retry_after  (DlManager    *self);
void         dl_manager_set_max_retry_after  (DlManager    *self,
                                              double        seconds);
double       dl_manager_get_max_retry_delay  (DlManager    *self);
void         dl_manager_set_max_retry_delay  (DlManager    *self,
                                              double        seconds);
guint64      dl_manager_get_rate_limit       (DlManager    *self);
void         dl_manager_set_rate_limit       (DlManager    *self,
                                              guint64       bytes_per_second);
GNetworkMonitor *dl_manager_get_network_monitor (DlManager    *self);
void         dl_manager_set_network_monitor  (DlManager    *self,
                                              GNetworkMonitor *monitor);
gboolean     dl_manager_get_pause_on_metered (DlManager    *self);
void         dl_manager_set_pause_on_metered (DlManager    *self,
                                              gboolean      pause_on_metered);
double       dl_manager_get_max_time         (DlManager    *self);
void         dl_manager_set_max_time         (DlManager    *self,
                                              double        seconds);

G_END_DECLS
