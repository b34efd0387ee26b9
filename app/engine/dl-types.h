/* dl-types.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct _DlDownload    DlDownload;
typedef struct _DlManager     DlManager;
typedef struct _DlStore       DlStore;
typedef struct _DlStoreRecord DlStoreRecord;

/**
 * DlDownloadState:
 * @DL_DOWNLOAD_STATE_QUEUED: waiting for a free slot (global or per host)
 * @DL_DOWNLOAD_STATE_CONNECTING: request sent, waiting for the response
 * @DL_DOWNLOAD_STATE_DOWNLOADING: receiving the body
 * @DL_DOWNLOAD_STATE_PAUSED: stopped by the user; the partial file is kept
 * @DL_DOWNLOAD_STATE_RETRYING: waiting before the next attempt (see
 *   #DlDownload:retry-at)
 * @DL_DOWNLOAD_STATE_VERIFYING: checking the length and checksum
 * @DL_DOWNLOAD_STATE_DONE: the file is complete under its final name
 * @DL_DOWNLOAD_STATE_FAILED: given up; #DlDownload:error-message says why
 * @DL_DOWNLOAD_STATE_CANCELLED: stopped by the user; the partial file is gone
 *
 * Where a download is in its life. The stored history uses the nicks
 * ("queued", "downloading"…), so the numeric values may change.
 */
typedef enum
{
  DL_DOWNLOAD_STATE_QUEUED,
  DL_DOWNLOAD_STATE_CONNECTING,
  DL_DOWNLOAD_STATE_DOWNLOADING,
  DL_DOWNLOAD_STATE_PAUSED,
  DL_DOWNLOAD_STATE_RETRYING,
  DL_DOWNLOAD_STATE_VERIFYING,
  DL_DOWNLOAD_STATE_DONE,
  DL_DOWNLOAD_STATE_FAILED,
  DL_DOWNLOAD_STATE_CANCELLED,
} DlDownloadState;

/**
 * DlRangeSupport:
 * @DL_RANGE_SUPPORT_UNKNOWN: no response seen yet in this run
 * @DL_RANGE_SUPPORT_YES: the server sends parts of the file (206 to a
 *   Range request, or `Accept-Ranges: bytes`)
 * @DL_RANGE_SUPPORT_NO: it does not (no `Accept-Ranges`, or a 200 to a Range
 *   request): pausing or a failure restarts from the beginning
 *
 * Whether a download can continue where it stopped, as its server said.
 */
typedef enum
{
  DL_RANGE_SUPPORT_UNKNOWN,
  DL_RANGE_SUPPORT_YES,
  DL_RANGE_SUPPORT_NO,
} DlRangeSupport;

/**
 * DlDownloadError:
 * @DL_DOWNLOAD_ERROR_FAILED: anything else
 * @DL_DOWNLOAD_ERROR_HTTP: the server answered with an error status
 * @DL_DOWNLOAD_ERROR_REDIRECT: too many redirects, a loop, or a bad `Location`
 * @DL_DOWNLOAD_ERROR_INSECURE_REDIRECT: a redirect from https to http, or to
 *   a scheme other than http and https
 * @DL_DOWNLOAD_ERROR_LENGTH: the body was shorter or longer than announced
 * @DL_DOWNLOAD_ERROR_CHECKSUM: the file's SHA-256 is not the expected one
 * @DL_DOWNLOAD_ERROR_TLS: the server's TLS certificate is not trusted
 * @DL_DOWNLOAD_ERROR_PROTOCOL: a response that makes no sense (a
 *   `Content-Range` that does not match the request)
 * @DL_DOWNLOAD_ERROR_AUTH: the server asks for a user name and password,
 *   and refused those given (or none were)
 *
 * Errors in the %DL_DOWNLOAD_ERROR domain, for what went wrong with the
 * server. Network and file errors keep their GIO domains.
 */
typedef enum
{
  DL_DOWNLOAD_ERROR_FAILED,
  DL_DOWNLOAD_ERROR_HTTP,
  DL_DOWNLOAD_ERROR_REDIRECT,
  DL_DOWNLOAD_ERROR_INSECURE_REDIRECT,
  DL_DOWNLOAD_ERROR_LENGTH,
  DL_DOWNLOAD_ERROR_CHECKSUM,
  DL_DOWNLOAD_ERROR_TLS,
  DL_DOWNLOAD_ERROR_PROTOCOL,
  DL_DOWNLOAD_ERROR_AUTH,
} DlDownloadError;

G_END_DECLS
