/* libbridge-qt-network.h: await Qt's network replies in libbridge tasks.
 * Needs Qt6Network (pkg-config Qt6Network) besides libbridge-qt-1.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <QNetworkReply>

#include "libbridge-qt.h"

namespace Bridge {

/* Waits, inside a task, until @reply has finished. False with @error set
 * when the request failed (G_IO_ERROR_FAILED with Qt's message; reply->error()
 * has the details) or the task was cancelled: the reply is then aborted and
 * @error is G_IO_ERROR_CANCELLED. Read the body after it returns true. */
inline bool
awaitReply (QNetworkReply *reply,
            Error         *error = nullptr)
{
  if (reply == nullptr)
    {
      propagate (error, Error (BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                               QStringLiteral ("Bridge::awaitReply() on a null reply")));
      return false;
    }
  if (!reply->isFinished ())
    {
      Error failure;

      if (!awaitSignal (reply, &QNetworkReply::finished, &failure))
        {
          if (failure.isCancelled ())
            reply->abort ();
          propagate (error, std::move (failure));
          return false;
        }
    }
  if (reply->error () != QNetworkReply::NoError)
    {
      propagate (error, Error (G_IO_ERROR, reply->error () == QNetworkReply::OperationCanceledError
                                               ? G_IO_ERROR_CANCELLED : G_IO_ERROR_FAILED,
                               reply->errorString ()));
      return false;
    }
  return true;
}

} // namespace Bridge
