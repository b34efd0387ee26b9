/* dl-download.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-download"

#include "config.h"

#include <math.h>

#include "dl-disk-private.h"
#include "dl-download-private.h"
#include "dl-manager-private.h"
#include "dl-credentials.h"
#include "dl-url-password.h"

/**
 * DlDownload:
 *
 * One download as a UI sees it: properties to bind and actions to call. The
 * work itself is done by the download's task (dl-download-task.c), which is
 * the only writer of these properties while it runs.
 *
 * Progress properties (#DlDownload:bytes-received, #DlDownload:speed,
 * #DlDownload:eta) are notified at most ten times a second, from the
 * manager's tick, however fast the bytes arrive; every other property is
 * notified when, and only when, its value changes.
 */

/* Time constant of the speed's exponential moving average: long enough to
 * hide the burstiness of TCP, short enough to follow a real change. */
#define SPEED_TAU_SECONDS 2.0

enum {
  PROP_0,
  PROP_ID,
  PROP_URL,
  PROP_OUTPUT_DIR,
  PROP_FILE_NAME,
  PROP_SHA256,
  PROP_STATE,
  PROP_BYTES_RECEIVED,
  PROP_TOTAL_BYTES,
  PROP_SPEED,
  PROP_ETA,
  PROP_ERROR_MESSAGE,
  PROP_ATTEMPTS,
  PROP_RETRY_AT,
  PROP_CREATED_AT,
  PROP_FINISHED_AT,
  PROP_RUNNING,
  PROP_RATE_LIMIT,
  PROP_RANGE_SUPPORT,
  PROP_METERED_PAUSED,
  PROP_ALLOW_METERED,
  PROP_N_CONNECTIONS,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

G_DEFINE_FINAL_TYPE (DlDownload, dl_download, G_TYPE_OBJECT)

G_DEFINE_QUARK (dl-download-error-quark, dl_download_error)

static void
dl_download_dispose (GObject *object)
{
  DlDownload *self = (DlDownload *) object;

  /* A running task holds a reference to us, so by now it is gone. */
  g_assert (self->task == NULL);
  self->manager = NULL;

  G_OBJECT_CLASS (dl_download_parent_class)->dispose (object);
}

static void
dl_download_finalize (GObject *object)
{
  DlDownload *self = (DlDownload *) object;

  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->request_url, g_free);
  g_clear_pointer (&self->auth_user, g_free);
  g_clear_pointer (&self->auth_password, dl_password_free);
  g_clear_pointer (&self->file_sha256, g_free);
  g_clear_pointer (&self->output_dir, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->file_name, g_free);
  g_clear_pointer (&self->sha256, g_free);
  g_clear_pointer (&self->etag, g_free);
  g_clear_pointer (&self->last_modified, g_free);
  g_clear_pointer (&self->error_message, g_free);
  g_clear_error (&self->error);
  g_clear_pointer (&self->discarding, bridge_future_unref);
  g_clear_pointer (&self->rate_limit, _dl_rate_limit_unref);
  g_clear_pointer (&self->request_options, dl_request_options_unref);
  g_clear_pointer (&self->ranges, g_array_unref);

  G_OBJECT_CLASS (dl_download_parent_class)->finalize (object);
}

static void
dl_download_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DlDownload *self = DL_DOWNLOAD (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_OUTPUT_DIR:
      g_value_set_string (value, self->output_dir);
      break;
    case PROP_FILE_NAME:
      g_value_set_string (value, self->file_name);
      break;
    case PROP_SHA256:
      g_value_set_string (value, self->sha256);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_BYTES_RECEIVED:
      /* What was last notified, so a bound UI and a reader agree. */
      g_value_set_int64 (value, self->notified_bytes);
      break;
    case PROP_TOTAL_BYTES:
      g_value_set_int64 (value, self->total_bytes);
      break;
    case PROP_SPEED:
      g_value_set_double (value, self->speed);
      break;
    case PROP_ETA:
      g_value_set_int64 (value, self->eta);
      break;
    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error_message);
      break;
    case PROP_ATTEMPTS:
      g_value_set_uint (value, self->attempts);
      break;
    case PROP_RANGE_SUPPORT:
      g_value_set_enum (value, self->range_support);
      break;
    case PROP_N_CONNECTIONS:
      g_value_set_uint (value, self->n_connections);
      break;
    case PROP_RETRY_AT:
      g_value_set_int64 (value, self->retry_at);
      break;
    case PROP_CREATED_AT:
      g_value_set_int64 (value, self->created_at);
      break;
    case PROP_FINISHED_AT:
      g_value_set_int64 (value, self->finished_at);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, dl_download_is_running (self));
      break;
    case PROP_RATE_LIMIT:
      g_value_set_uint64 (value, dl_download_get_rate_limit (self));
      break;
    case PROP_METERED_PAUSED:
      g_value_set_boolean (value, self->metered_paused);
      break;
    case PROP_ALLOW_METERED:
      g_value_set_boolean (value, self->allow_metered);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dl_download_class_init (DlDownloadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = dl_download_dispose;
  object_class->finalize = dl_download_finalize;
  object_class->get_property = dl_download_get_property;

  /**
   * DlDownload:id:
   *
   * The download's id in the store (0 when the manager has no store).
   */
  properties[PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);

  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL, flags);

  properties[PROP_OUTPUT_DIR] =
    g_param_spec_string ("output-dir", NULL, NULL, NULL, flags);

  /**
   * DlDownload:file-name:
   *
   * The final name in #DlDownload:output-dir, %NULL until the response
   * arrived. A name is reserved (by its `.part` file) as soon as it is set,
   * and may still change to "name (N).ext" at the end if a file of that name
   * appeared meanwhile.
   */
  properties[PROP_FILE_NAME] =
    g_param_spec_string ("file-name", NULL, NULL, NULL, flags);

  /**
   * DlDownload:sha256:
   *
   * The expected SHA-256 (lowercase hex), or %NULL.
   */
  properties[PROP_SHA256] =
    g_param_spec_string ("sha256", NULL, NULL, NULL, flags);

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       DL_TYPE_DOWNLOAD_STATE, DL_DOWNLOAD_STATE_QUEUED, flags);

  /**
   * DlDownload:bytes-received:
   *
   * Bytes of the file on disk so far. Notified at most ten times a second.
   */
  properties[PROP_BYTES_RECEIVED] =
    g_param_spec_int64 ("bytes-received", NULL, NULL, 0, G_MAXINT64, 0, flags);

  /**
   * DlDownload:total-bytes:
   *
   * The file's size, or -1 while unknown.
   */
  properties[PROP_TOTAL_BYTES] =
    g_param_spec_int64 ("total-bytes", NULL, NULL, -1, G_MAXINT64, -1, flags);

  /**
   * DlDownload:speed:
   *
   * Bytes per second, smoothed. 0 when not receiving.
   */
  properties[PROP_SPEED] =
    g_param_spec_double ("speed", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);

  /**
   * DlDownload:eta:
   *
   * Seconds left at the current speed, or -1 when unknown.
   */
  properties[PROP_ETA] =
    g_param_spec_int64 ("eta", NULL, NULL, -1, G_MAXINT64, -1, flags);

  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL, flags);

  /**
   * DlDownload:attempts:
   *
   * How many requests were made for this download so far.
   */
  properties[PROP_ATTEMPTS] =
    g_param_spec_uint ("attempts", NULL, NULL, 0, G_MAXUINT, 0, flags);

  /**
   * DlDownload:range-support:
   *
   * Whether the server lets the download continue where it stopped, as
   * its last response said; unknown until then.
   */
  properties[PROP_RANGE_SUPPORT] =
    g_param_spec_enum ("range-support", NULL, NULL, DL_TYPE_RANGE_SUPPORT,
                       DL_RANGE_SUPPORT_UNKNOWN, flags);

  /**
   * DlDownload:retry-at:
   *
   * While #DlDownload:state is retrying: when the next attempt starts, in
   * g_get_monotonic_time() microseconds ("retrying in N s" is
   * `(retry_at - g_get_monotonic_time ()) / G_USEC_PER_SEC`). 0 otherwise.
   */
  properties[PROP_RETRY_AT] =
    g_param_spec_int64 ("retry-at", NULL, NULL, 0, G_MAXINT64, 0, flags);

  /**
   * DlDownload:created-at:
   *
   * When the download was added, g_get_real_time() microseconds.
   */
  properties[PROP_CREATED_AT] =
    g_param_spec_int64 ("created-at", NULL, NULL, 0, G_MAXINT64, 0, flags);

  /**
   * DlDownload:finished-at:
   *
   * When it reached done, failed or cancelled, g_get_real_time()
   * microseconds; 0 before.
   */
  properties[PROP_FINISHED_AT] =
    g_param_spec_int64 ("finished-at", NULL, NULL, 0, G_MAXINT64, 0, flags);

  /**
   * DlDownload:running:
   *
   * Whether the download's task runs: it is queued, downloading, retrying
   * or stopping. What it can do (dl_download_can_pause() and the others)
   * changes with it as well as with #DlDownload:state.
   */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE, flags);

  /**
   * DlDownload:rate-limit:
   *
   * The most bytes per second this download receives; 0 for no limit of
   * its own (#DlManager:rate-limit still holds). Set with
   * dl_download_set_rate_limit(), also while it runs.
   */
  properties[PROP_RATE_LIMIT] =
    g_param_spec_uint64 ("rate-limit", NULL, NULL, 0, G_MAXUINT64, 0, flags);

  /**
   * DlDownload:metered-paused:
   *
   * Whether the download is paused because the network is metered and
   * #DlManager:pause-on-metered is on. It goes on by itself when the
   * network is no longer metered, or at once after
   * dl_download_set_allow_metered().
   */
  properties[PROP_METERED_PAUSED] =
    g_param_spec_boolean ("metered-paused", NULL, NULL, FALSE, flags);

  /**
   * DlDownload:allow-metered:
   *
   * Whether the download runs on a metered network even when
   * #DlManager:pause-on-metered is on ("Download Anyway"). Kept for as long
   * as the download is in the list in this run of the program.
   */
  properties[PROP_ALLOW_METERED] =
    g_param_spec_boolean ("allow-metered", NULL, NULL, FALSE, flags);

  /**
   * DlDownload:n-connections:
   *
   * How many connections the download receives over right now: 0 while
   * it does not run, more than one when the server grants ranges and the
   * file is large enough to fetch in parts (see #DlManager:connections).
   */
  properties[PROP_N_CONNECTIONS] =
    g_param_spec_uint ("n-connections", NULL, NULL, 0, G_MAXUINT, 0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dl_download_init (DlDownload *self)
{
  self->state = DL_DOWNLOAD_STATE_QUEUED;
  self->total_bytes = -1;
  self->eta = -1;
  self->rate_limit = _dl_rate_limit_new (0);
}

/* ---- state helpers ----------------------------------------------------------- */

/**
 * dl_download_state_is_active:
 * @state: a #DlDownloadState
 *
 * Returns: whether a download in @state has a running task
 */
gboolean
dl_download_state_is_active (DlDownloadState state)
{
  switch (state)
    {
    case DL_DOWNLOAD_STATE_QUEUED:
    case DL_DOWNLOAD_STATE_CONNECTING:
    case DL_DOWNLOAD_STATE_DOWNLOADING:
    case DL_DOWNLOAD_STATE_RETRYING:
    case DL_DOWNLOAD_STATE_VERIFYING:
      return TRUE;
    case DL_DOWNLOAD_STATE_PAUSED:
    case DL_DOWNLOAD_STATE_DONE:
    case DL_DOWNLOAD_STATE_FAILED:
    case DL_DOWNLOAD_STATE_CANCELLED:
    default:
      return FALSE;
    }
}

/**
 * dl_download_state_is_finished:
 * @state: a #DlDownloadState
 *
 * Returns: whether @state is final unless the user acts (done, failed,
 *   cancelled)
 */
gboolean
dl_download_state_is_finished (DlDownloadState state)
{
  return state == DL_DOWNLOAD_STATE_DONE ||
         state == DL_DOWNLOAD_STATE_FAILED ||
         state == DL_DOWNLOAD_STATE_CANCELLED;
}

/* ---- private API ----------------------------------------------------------- */

static char *
host_of (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_PARSE_RELAXED, NULL);
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

  return g_ascii_strdown (host != NULL ? host : "", -1);
}

/* The mark its partial file carries (see dl-disk.c): when it was added,
 * to the microsecond, and its URL, which no other download shares. */
char *
_dl_download_dup_part_owner (DlDownload *self)
{
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, self->url, -1);

  return g_strdup_printf ("%" G_GINT64_FORMAT "-%.16s", self->created_at, digest);
}

DlDownload *
_dl_download_new (DlManager           *manager,
                  const DlStoreRecord *record)
{
  DlDownload *self;

  g_return_val_if_fail (record != NULL, NULL);

  self = g_object_new (DL_TYPE_DOWNLOAD, NULL);
  self->manager = manager;
  self->id = record->id;
  /* A password in the URL is for the requests only: the download shows
   * and stores the URL without it (a row written before that rule still
   * has one; it is kept for this run and stored without it from now on). */
  self->url = dl_url_without_password (record->url);
  if (dl_url_has_password (record->url))
    self->request_url = g_strdup (record->url);
  self->host = host_of (record->url);
  self->output_dir = g_strdup (record->output_dir);
  self->file_name = g_strdup (record->file_name);
  self->sha256 = g_strdup (record->sha256);
  self->etag = g_strdup (record->etag);
  self->last_modified = g_strdup (record->last_modified);
  self->error_message = g_strdup (record->error_message);
  self->state = record->state;
  self->bytes_received = record->bytes_received;
  self->notified_bytes = record->bytes_received;
  self->resume_offset = record->resume_offset;
  self->total_bytes = record->total_bytes;
  self->attempts = record->attempts;
  self->created_at = record->created_at;
  self->finished_at = record->finished_at;
  if (record->request_headers != NULL || record->cookies != NULL || record->cookies_file != NULL)
    self->request_options = dl_request_options_new_from_stored (record->request_headers,
                                                                record->cookies,
                                                                record->cookies_file);
  _dl_rate_limit_set (self->rate_limit, record->rate_limit, g_get_monotonic_time ());
  if (record->ranges != NULL && record->ranges->len > 0)
    self->ranges = g_array_ref (record->ranges);
  return self;
}

DlStoreRecord *
_dl_download_to_record (DlDownload *self)
{
  DlStoreRecord *record = g_new0 (DlStoreRecord, 1);

  record->id = self->id;
  record->url = g_strdup (self->url);
  record->output_dir = g_strdup (self->output_dir);
  record->file_name = g_strdup (self->file_name);
  record->state = self->state;
  record->bytes_received = self->bytes_received;
  record->resume_offset = self->resume_offset;
  record->total_bytes = self->total_bytes;
  record->etag = g_strdup (self->etag);
  record->last_modified = g_strdup (self->last_modified);
  record->sha256 = g_strdup (self->sha256);
  record->error_message = g_strdup (self->error_message);
  record->attempts = self->attempts;
  record->created_at = self->created_at;
  record->finished_at = self->finished_at;
  if (self->request_options != NULL)
    {
      record->request_headers = dl_request_options_dup_stored_headers (self->request_options);
      record->cookies = g_strdup (dl_request_options_get_cookies_text (self->request_options));
      record->cookies_file = g_strdup (dl_request_options_get_cookies_file (self->request_options));
    }
  record->rate_limit = _dl_rate_limit_get (self->rate_limit);
  if (self->ranges != NULL)
    {
      record->ranges = g_array_sized_new (FALSE, FALSE, sizeof (DlStoreRange), self->ranges->len);
      g_array_append_vals (record->ranges, self->ranges->data, self->ranges->len);
    }
  return record;
}

static void
notify (DlDownload *self,
        guint       prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_speed (DlDownload *self,
           double      speed)
{
  gint64 eta = -1;

  /* Below 1 B/s the number means nothing and the ETA would be absurd. */
  if (speed < 1.0)
    speed = 0.0;

  if (speed != self->speed)
    {
      self->speed = speed;
      notify (self, PROP_SPEED);
    }

  if (speed > 0 && self->total_bytes >= 0 && self->state == DL_DOWNLOAD_STATE_DOWNLOADING)
    eta = (gint64) ceil (MAX (0, self->total_bytes - self->bytes_received) / speed);

  if (eta != self->eta)
    {
      self->eta = eta;
      notify (self, PROP_ETA);
    }
}

/* Tells the UI the current byte count now, whatever the throttle says. */
static void
flush_bytes (DlDownload *self)
{
  if (self->notified_bytes != self->bytes_received)
    {
      self->notified_bytes = self->bytes_received;
      notify (self, PROP_BYTES_RECEIVED);
    }
}

/**
 * _dl_download_tick:
 * @self: a download with a running task
 * @now: g_get_monotonic_time()
 *
 * Called by the manager's single 10 Hz timer for each running download:
 * samples the speed and notifies the progress properties that changed. This
 * is the only place progress is notified while bytes flow, which bounds the
 * notifications at ten per second per download.
 */
void
_dl_download_tick (DlDownload *self,
                   gint64      now)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  g_object_freeze_notify (G_OBJECT (self));

  if (self->state == DL_DOWNLOAD_STATE_DOWNLOADING)
    {
      if (self->sample_time == 0 || self->bytes_received < self->sample_bytes)
        {
          self->sample_time = now;
          self->sample_bytes = self->bytes_received;
        }
      else if (now > self->sample_time)
        {
          double dt = (now - self->sample_time) / (double) G_USEC_PER_SEC;
          double instant = (self->bytes_received - self->sample_bytes) / dt;
          double alpha = 1.0 - exp (-dt / SPEED_TAU_SECONDS);
          double speed = self->speed > 0 ? self->speed + alpha * (instant - self->speed) : instant;

          self->sample_time = now;
          self->sample_bytes = self->bytes_received;
          set_speed (self, speed);
        }
    }
  else
    {
      self->sample_time = 0;
      set_speed (self, 0);
    }

  flush_bytes (self);

  g_object_thaw_notify (G_OBJECT (self));
}

void
_dl_download_set_state (DlDownload      *self,
                        DlDownloadState  state)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (self->state == state)
    return;

  g_object_freeze_notify (G_OBJECT (self));

  self->state = state;

  /* Leaving "downloading" ends the speed sample; a state change is also the
   * moment to make the byte count exact (a finished download shows its real
   * size, not the one from up to 100 ms earlier). */
  if (state != DL_DOWNLOAD_STATE_DOWNLOADING)
    {
      self->sample_time = 0;
      set_speed (self, 0);
    }
  flush_bytes (self);

  if (state != DL_DOWNLOAD_STATE_RETRYING && self->retry_at != 0)
    {
      self->retry_at = 0;
      notify (self, PROP_RETRY_AT);
    }

  /* Only a paused download waits for an unmetered network. */
  if (state != DL_DOWNLOAD_STATE_PAUSED)
    _dl_download_set_metered_paused (self, FALSE);

  if (dl_download_state_is_finished (state))
    {
      self->finished_at = g_get_real_time ();
      notify (self, PROP_FINISHED_AT);
    }
  else if (self->finished_at != 0)
    {
      self->finished_at = 0;
      notify (self, PROP_FINISHED_AT);
    }

  notify (self, PROP_STATE);

  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * _dl_download_set_metered_paused:
 * @self: a #DlDownload
 * @metered_paused: whether it waits for an unmetered network
 *
 * Set by the manager (see dl-metered-pause.c).
 */
void
_dl_download_set_metered_paused (DlDownload *self,
                                 gboolean    metered_paused)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  metered_paused = !!metered_paused;
  if (self->metered_paused == (guint) metered_paused)
    return;
  self->metered_paused = metered_paused;
  notify (self, PROP_METERED_PAUSED);
}

void
_dl_download_set_file_name (DlDownload *self,
                            const char *file_name)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (g_strcmp0 (self->file_name, file_name) == 0)
    return;

  g_free (self->file_name);
  self->file_name = g_strdup (file_name);
  notify (self, PROP_FILE_NAME);
}

void
_dl_download_set_bytes_received (DlDownload *self,
                                 gint64      bytes_received)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  self->bytes_received = bytes_received;

  /* While bytes flow, the tick notifies; a jump outside of that (a resume
   * that truncates, a restart from zero) is shown at once. */
  if (self->state != DL_DOWNLOAD_STATE_DOWNLOADING)
    flush_bytes (self);
}

void
_dl_download_set_total_bytes (DlDownload *self,
                              gint64      total_bytes)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (total_bytes < -1)
    total_bytes = -1;
  if (self->total_bytes == total_bytes)
    return;

  self->total_bytes = total_bytes;
  notify (self, PROP_TOTAL_BYTES);
}

/**
 * _dl_download_set_error:
 * @self: a #DlDownload
 * @error: (nullable): the error, or %NULL to clear it
 *
 * Sets #DlDownload:error-message from @error and keeps the error itself for
 * callers that need its domain and code (the CLI's JSON events).
 */
void
_dl_download_set_error (DlDownload   *self,
                        const GError *error)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);

  if (g_strcmp0 (self->error_message, error != NULL ? error->message : NULL) == 0)
    return;

  g_free (self->error_message);
  self->error_message = error != NULL ? g_strdup (error->message) : NULL;
  notify (self, PROP_ERROR_MESSAGE);
}

void
_dl_download_set_range_support (DlDownload     *self,
                                DlRangeSupport  support)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (self->range_support == support)
    return;

  self->range_support = support;
  notify (self, PROP_RANGE_SUPPORT);
}

DlRangeSupport
dl_download_get_range_support (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), DL_RANGE_SUPPORT_UNKNOWN);

  return self->range_support;
}

void
_dl_download_set_attempts (DlDownload *self,
                           guint       attempts)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (self->attempts == attempts)
    return;

  self->attempts = attempts;
  notify (self, PROP_ATTEMPTS);
}

void
_dl_download_set_retry_at (DlDownload *self,
                           gint64      retry_at)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (self->retry_at == retry_at)
    return;

  self->retry_at = retry_at;
  notify (self, PROP_RETRY_AT);
}

void
_dl_download_set_validators (DlDownload *self,
                             const char *etag,
                             const char *last_modified)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (etag != self->etag)
    {
      g_free (self->etag);
      self->etag = g_strdup (etag);
    }
  if (last_modified != self->last_modified)
    {
      g_free (self->last_modified);
      self->last_modified = g_strdup (last_modified);
    }
}

/* The store the download is recorded in, or NULL. */
static DlStore *
get_store (DlDownload *self)
{
  return self->manager != NULL ? dl_manager_get_store (self->manager) : NULL;
}

/* The download goes on: losing its history entry is bad, stopping the
 * transfer for it would be worse. */
static void
report_unrecorded (DlDownload   *self,
                   const GError *error)
{
  g_debug ("Cannot record download of %s: %s", self->url, error->message);
}

static void
inserted_cb (gint64        id,
             const GError *error,
             gpointer      user_data)
{
  DlDownload *self = user_data;

  self->inserting = FALSE;
  if (id == 0)
    {
      report_unrecorded (self, error);
      return;
    }

  self->id = id;
  if (self->removed)
    {
      DlStore *store = get_store (self);

      if (store != NULL)
        dl_store_queue_remove (store, id);
      return;
    }
  if (self->save_pending)
    {
      self->save_pending = FALSE;
      _dl_download_save (self);
    }
}

/**
 * _dl_download_save:
 * @self: a download
 *
 * Records the download in its manager's store. State changes go to the
 * store's write-behind queue: its writer thread commits them, a few
 * milliseconds later, together with those of the other downloads. Only a
 * download's first record may wait for the store, when no reserved id is
 * left, because the insert gives it its id.
 */
void
_dl_download_save (DlDownload *self)
{
  DlStore *store = get_store (self);
  g_autoptr(DlStoreRecord) record = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (store == NULL || self->removed)
    return;

  record = _dl_download_to_record (self);
  if (record->id != 0)
    {
      dl_store_queue_update (store, record);
      return;
    }

  if (self->inserting)
    {
      /* Saved again once it has its id. */
      self->save_pending = TRUE;
      return;
    }

  if (dl_store_queue_insert (store, record))
    {
      self->id = record->id;
      return;
    }

  /* No id reserved ahead is left: a task waits for the insert, the loop
   * thread has it done in the background. */
  if (!dl_store_can_wait ())
    {
      self->inserting = TRUE;
      dl_store_insert_async (store, record, inserted_cb, g_object_ref (self), g_object_unref);
      return;
    }

  if (dl_store_insert (store, record, &error))
    self->id = record->id;
  else
    report_unrecorded (self, error);
}

/* Queues the progress for the store. */
static void
save_progress (DlDownload *self)
{
  DlStore *store = get_store (self);

  if (store == NULL || self->id == 0 || self->removed)
    return;

  dl_store_queue_progress (store, self->id, self->bytes_received, self->resume_offset);
}

/**
 * _dl_download_advance_resume_offset:
 * @self: a download
 * @offset: bytes of the partial file known to be on disk
 *
 * Records @offset as where a restart resumes, if it is further than
 * before. Synced first, recorded after: the stored offset is never more
 * than what the disk has.
 */
void
_dl_download_advance_resume_offset (DlDownload *self,
                                    gint64      offset)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (self->resume_offset >= offset)
    return;
  self->resume_offset = offset;
  save_progress (self);
}

/**
 * _dl_download_rewind:
 * @self: a download
 * @offset: where its partial file now ends
 *
 * The partial file was cut at @offset (or is gone, for 0): the download
 * continues from there, and no longer claims more.
 */
void
_dl_download_rewind (DlDownload *self,
                     gint64      offset)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  /* Cut at the start: the ranges fetched in parts are gone too (an empty
   * array removes them from the store with the next save). */
  if (offset == 0 && self->ranges != NULL && self->ranges->len > 0)
    {
      g_array_set_size (self->ranges, 0);
      self->resume_offset = 0;
      _dl_download_save (self);
    }
  if (self->resume_offset > offset)
    {
      self->resume_offset = offset;
      save_progress (self);
    }
  _dl_download_set_bytes_received (self, offset);
}

/**
 * _dl_download_set_ranges:
 * @self: a download
 * @ranges: (nullable): its ranges as they are durably on disk, or %NULL
 *   when it is complete
 * @contiguous: bytes from the start durably on disk without a hole
 *
 * Records where each range of a download fetched in parts stands. Synced
 * first, recorded after: no range claims more than the disk has.
 */
void
_dl_download_set_ranges (DlDownload   *self,
                         const GArray *ranges,
                         gint64        contiguous)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (self->ranges == NULL)
    self->ranges = g_array_new (FALSE, FALSE, sizeof (DlStoreRange));
  g_array_set_size (self->ranges, 0);
  if (ranges != NULL)
    g_array_append_vals (self->ranges, ranges->data, ranges->len);
  self->resume_offset = MAX (self->resume_offset, contiguous);
  _dl_download_save (self);
}

/* How many connections the download receives over now. */
void
_dl_download_set_n_connections (DlDownload *self,
                                guint       n_connections)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (self->n_connections == n_connections)
    return;
  self->n_connections = n_connections;
  notify (self, PROP_N_CONNECTIONS);
}

/**
 * dl_download_get_n_connections:
 * @self: a #DlDownload
 *
 * Returns: how many connections the download receives over now
 */
guint
dl_download_get_n_connections (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), 0);

  return self->n_connections;
}

/* Removes the partial file of a download without a task, on a disk thread;
 * its next task waits for that (see ensure_dir() in dl-download-task.c). */
static void
discard_part (DlDownload *self)
{
  if (self->file_name == NULL)
    return;

  g_clear_pointer (&self->discarding, bridge_future_unref);
  self->discarding = _dl_disk_remove_part (self->output_dir, self->file_name);
  _dl_download_rewind (self, 0);
}

/* The download's task starts (@task) or has ended (%NULL). */
void
_dl_download_set_task (DlDownload *self,
                       BridgeTask *task)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (self->task == task)
    return;
  g_clear_pointer (&self->task, bridge_task_unref);
  self->task = task;
  notify (self, PROP_RUNNING);
}

/* The manager is going away: actions become no-ops. */
void
_dl_download_detach (DlDownload *self)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  self->manager = NULL;
}

/* ---- public getters ----------------------------------------------------------- */

gint64
dl_download_get_id (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), 0);

  return self->id;
}

/**
 * dl_download_get_url:
 * @self: a #DlDownload
 *
 * Returns: the URL, without the password its user info may have had (see
 *   dl_download_set_request_url())
 */
const char *
dl_download_get_url (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), NULL);

  return self->url;
}

/**
 * dl_download_set_request_url:
 * @self: a #DlDownload
 * @url: the download's URL with a password in its user info
 *
 * Gives the download the password of its URL again, for its requests: it
 * is kept in memory only, never shown or stored, so a download loaded from
 * the history has none until its URL is given again (the CLI does so when
 * the same command runs again). @url without its password must be the
 * download's URL.
 */
void
dl_download_set_request_url (DlDownload *self,
                             const char *url)
{
  g_autofree char *shown = NULL;

  g_return_if_fail (DL_IS_DOWNLOAD (self));
  g_return_if_fail (url != NULL);

  shown = dl_url_without_password (url);
  g_return_if_fail (g_str_equal (shown, self->url));

  g_free (self->request_url);
  self->request_url = dl_url_has_password (url) ? g_strdup (url) : NULL;
}

/**
 * dl_download_set_credentials:
 * @self: a #DlDownload
 * @user: (nullable): a user name, or %NULL for none
 * @password: (nullable): its password
 *
 * Gives the download credentials for its server, as a password in its URL
 * would (which wins when both are given): sent only to the host and port
 * of its URL, kept in memory only, never shown or stored.
 */
void
dl_download_set_credentials (DlDownload *self,
                             const char *user,
                             const char *password)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  g_clear_pointer (&self->auth_user, g_free);
  g_clear_pointer (&self->auth_password, dl_password_free);
  if (user == NULL)
    return;
  self->auth_user = g_strdup (user);
  self->auth_password = g_strdup (password != NULL ? password : "");
}

const char *
dl_download_get_output_dir (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), NULL);

  return self->output_dir;
}

const char *
dl_download_get_file_name (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), NULL);

  return self->file_name;
}

/**
 * dl_download_dup_path:
 * @self: a #DlDownload
 *
 * Returns: (transfer full) (nullable): the final file's path, %NULL while
 *   no name is chosen
 */
char *
dl_download_dup_path (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), NULL);

  if (self->file_name == NULL)
    return NULL;
  return g_build_filename (self->output_dir, self->file_name, NULL);
}

const char *
dl_download_get_sha256 (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), NULL);

  return self->sha256;
}

/**
 * dl_download_get_file_sha256:
 * @self: a #DlDownload
 *
 * The SHA-256 of the bytes this run saved, read from the descriptor it
 * wrote them through just before the rename (never by opening the path
 * again, which a folder swapped for a symbolic link would make another
 * file's): the expected one once verified, or the one computed when
 * #DlManager:hash-files is on.
 *
 * Returns: (nullable): lowercase hex, or %NULL when this run did not hash
 *   the file
 */
const char *
dl_download_get_file_sha256 (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), NULL);

  if (self->state == DL_DOWNLOAD_STATE_DONE && self->file_sha256 != NULL)
    return self->file_sha256;
  return NULL;
}

DlDownloadState
dl_download_get_state (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), DL_DOWNLOAD_STATE_FAILED);

  return self->state;
}

/**
 * dl_download_get_bytes_received:
 * @self: a #DlDownload
 *
 * Returns: the exact byte count (the property may lag by up to 100 ms)
 */
gint64
dl_download_get_bytes_received (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), 0);

  return self->bytes_received;
}

gint64
dl_download_get_total_bytes (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), -1);

  return self->total_bytes;
}

double
dl_download_get_speed (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), 0);

  return self->speed;
}

gint64
dl_download_get_eta (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), -1);

  return self->eta;
}

const char *
dl_download_get_error_message (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), NULL);

  return self->error_message;
}

/**
 * dl_download_get_error:
 * @self: a #DlDownload
 *
 * Returns: (nullable) (transfer none): why the download failed, with its
 *   domain and code; %NULL for a failure loaded from the store (only its
 *   message is kept there)
 */
const GError *
dl_download_get_error (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), NULL);

  return self->error;
}

guint
dl_download_get_attempts (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), 0);

  return self->attempts;
}

gint64
dl_download_get_retry_at (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), 0);

  return self->retry_at;
}

gint64
dl_download_get_created_at (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), 0);

  return self->created_at;
}

gint64
dl_download_get_finished_at (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), 0);

  return self->finished_at;
}

guint64
dl_download_get_rate_limit (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), 0);

  return _dl_rate_limit_get (self->rate_limit);
}

/**
 * dl_download_set_rate_limit:
 * @self: a #DlDownload
 * @bytes_per_second: the most bytes per second it receives, or 0 for no
 *   limit of its own
 *
 * Limits the download's speed, from now on if it runs.
 */
void
dl_download_set_rate_limit (DlDownload *self,
                            guint64     bytes_per_second)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (_dl_rate_limit_get (self->rate_limit) == bytes_per_second)
    return;
  _dl_rate_limit_set (self->rate_limit, bytes_per_second, g_get_monotonic_time ());
  notify (self, PROP_RATE_LIMIT);
  /* Kept, so that a resume after a restart keeps it too. */
  _dl_download_save (self);
}

/**
 * dl_download_get_request_options:
 * @self: a #DlDownload
 *
 * Returns: (transfer none) (nullable): what its requests send besides the
 *   engine's own headers
 */
DlRequestOptions *
dl_download_get_request_options (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), NULL);

  return self->request_options;
}

/**
 * dl_download_set_request_options:
 * @self: a #DlDownload
 * @options: (nullable): headers and cookies for its requests, or %NULL
 *   for none
 *
 * Sets what the download's next requests send besides the engine's own
 * headers, and stores it with the download (except credential headers,
 * which stay in memory: see dl_request_options_is_secret_header()).
 */
void
dl_download_set_request_options (DlDownload       *self,
                                 DlRequestOptions *options)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (options != NULL && dl_request_options_is_empty (options))
    options = NULL;
  if (options == self->request_options)
    return;

  g_clear_pointer (&self->request_options, dl_request_options_unref);
  if (options != NULL)
    self->request_options = dl_request_options_ref (options);
  _dl_download_save (self);
}

/**
 * dl_download_is_running:
 * @self: a #DlDownload
 *
 * Returns: whether the download's task runs (see #DlDownload:running)
 */
gboolean
dl_download_is_running (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), FALSE);

  return self->task != NULL;
}

gboolean
dl_download_is_finished (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), FALSE);

  return dl_download_state_is_finished (self->state);
}

/**
 * dl_download_get_metered_paused:
 * @self: a #DlDownload
 *
 * Returns: whether it waits for an unmetered network (see
 *   #DlDownload:metered-paused)
 */
gboolean
dl_download_get_metered_paused (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), FALSE);

  return self->metered_paused;
}

gboolean
dl_download_get_allow_metered (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), FALSE);

  return self->allow_metered;
}

/**
 * dl_download_set_allow_metered:
 * @self: a #DlDownload
 * @allow_metered: whether it may run on a metered network
 *
 * "Download Anyway": lets the download run although the network is metered.
 * One paused for that reason goes on at once; one stopping for it starts
 * again when it has stopped. Turning it off again pauses it if the network
 * is metered and the manager pauses on metered networks.
 */
void
dl_download_set_allow_metered (DlDownload *self,
                               gboolean    allow_metered)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  allow_metered = !!allow_metered;
  if (self->allow_metered == (guint) allow_metered)
    return;
  self->allow_metered = allow_metered;
  notify (self, PROP_ALLOW_METERED);

  if (self->manager != NULL)
    _dl_manager_metered_changed (self->manager);
}

/* ---- actions ------------------------------------------------------------------- */

gboolean
dl_download_can_pause (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), FALSE);

  if (self->manager == NULL)
    return FALSE;
  /* Waiting for an unmetered network: a pause makes it wait for the user. */
  if (self->task == NULL)
    return self->metered_paused;
  return self->stop_reason == DL_STOP_NONE;
}

gboolean
dl_download_can_resume (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), FALSE);

  /* One paused for a metered network goes on by itself, or with
   * dl_download_set_allow_metered(). */
  return self->manager != NULL && self->task == NULL && self->state == DL_DOWNLOAD_STATE_PAUSED &&
         !self->metered_paused;
}

gboolean
dl_download_can_retry (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), FALSE);

  return self->manager != NULL && self->task == NULL &&
         (self->state == DL_DOWNLOAD_STATE_FAILED || self->state == DL_DOWNLOAD_STATE_CANCELLED);
}

gboolean
dl_download_can_cancel (DlDownload *self)
{
  g_return_val_if_fail (DL_IS_DOWNLOAD (self), FALSE);

  if (self->manager == NULL)
    return FALSE;
  if (self->task != NULL)
    return self->stop_reason == DL_STOP_NONE;
  return self->state == DL_DOWNLOAD_STATE_PAUSED || self->state == DL_DOWNLOAD_STATE_FAILED;
}

/**
 * dl_download_pause:
 * @self: a #DlDownload
 *
 * Stops a queued, running or retrying download, keeping what was received:
 * its task is cancelled, syncs the partial file, records how far it got and
 * ends in the paused state. Does nothing in other states.
 */
void
dl_download_pause (DlDownload *self)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (!dl_download_can_pause (self))
    return;

  if (self->task == NULL)
    {
      /* Stored as paused from now on, not as waiting to go on. */
      _dl_download_set_metered_paused (self, FALSE);
      _dl_download_save (self);
      return;
    }

  self->stop_reason = DL_STOP_PAUSE;
  bridge_task_cancel (self->task, "Paused");
}

/**
 * dl_download_resume:
 * @self: a #DlDownload
 *
 * Queues a paused download again; it continues from the bytes on disk.
 */
void
dl_download_resume (DlDownload *self)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (!dl_download_can_resume (self))
    return;

  _dl_manager_start (self->manager, self);
}

/**
 * dl_download_retry:
 * @self: a #DlDownload
 *
 * Queues a failed or cancelled download again, with a fresh retry budget. A
 * failed one continues from the bytes on disk; a cancelled one (whose partial
 * file is gone) starts over.
 */
void
dl_download_retry (DlDownload *self)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (!dl_download_can_retry (self))
    return;

  _dl_download_set_error (self, NULL);
  _dl_manager_start (self->manager, self);
}

/**
 * dl_download_cancel:
 * @self: a #DlDownload
 *
 * Stops the download for good and deletes its partial file. It stays in the
 * list (and the history) as cancelled.
 */
void
dl_download_cancel (DlDownload *self)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (!dl_download_can_cancel (self))
    return;

  if (self->task != NULL)
    {
      self->stop_reason = DL_STOP_CANCEL;
      if (self->manager != NULL)
        _dl_manager_stop_task (self->manager, self);
      else
        bridge_task_cancel (self->task, "Cancelled");
      return;
    }

  discard_part (self);
  _dl_download_set_state (self, DL_DOWNLOAD_STATE_CANCELLED);
  _dl_download_save (self);
}

/**
 * dl_download_remove:
 * @self: a #DlDownload
 *
 * Takes the download out of the manager's list and the history. An unfinished
 * one is stopped first and its partial file deleted; a finished file stays
 * on disk.
 */
void
dl_download_remove (DlDownload *self)
{
  g_return_if_fail (DL_IS_DOWNLOAD (self));

  if (self->manager == NULL || self->removed)
    return;

  /* A finished download's task may still be closing its files for a
   * moment: it needs no stopping, and the download goes at once. */
  if (self->task != NULL && !dl_download_is_finished (self))
    {
      self->stop_reason = DL_STOP_REMOVE;
      _dl_manager_stop_task (self->manager, self);
      return;
    }

  if (self->state != DL_DOWNLOAD_STATE_DONE)
    discard_part (self);
  _dl_manager_forget (self->manager, self);
}
