/* url-fetch.h: one download, as one sequential libbridge coroutine.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <QString>

#include <functional>

#include "libbridge-qt.h"

/* Called after each chunk with the bytes received so far and the total the
 * server announced (-1 when it did not). */
using FetchProgress = std::function<void (qint64 received, qint64 total)>;

/* Inside a task: GETs @url through @session, reading (and dropping) the body
 * chunk by chunk, and returns the number of bytes received. Fails on a
 * non-2xx status and on a body shorter than announced; cancelling the task
 * cancels the request at once. */
Bridge::Result<qint64> fetch_url (SoupSession         *session,
                                  const QString       &url,
                                  const FetchProgress &progress);
