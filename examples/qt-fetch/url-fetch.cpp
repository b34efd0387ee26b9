/* url-fetch.cpp
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "url-fetch.h"

#define CHUNK_SIZE (64 * 1024)

Bridge::Result<qint64>
fetch_url (SoupSession         *session,
           const QString       &url,
           const FetchProgress &progress)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url.toUtf8 ().constData ());
  Bridge::Error error;

  if (msg == nullptr)
    return Bridge::Error (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, QStringLiteral ("not a valid URL"));

  g_autoptr(GInputStream) body = bridge_soup_session_send (session, msg, G_PRIORITY_DEFAULT, error.out ());
  if (body == nullptr)
    return error;

  guint status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    return Bridge::Error (G_IO_ERROR, G_IO_ERROR_FAILED,
                          QStringLiteral ("HTTP %1 %2").arg (status)
                            .arg (QString::fromUtf8 (soup_message_get_reason_phrase (msg))));

  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  qint64 total = soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
                   ? (qint64) soup_message_headers_get_content_length (headers) : -1;
  qint64 received = 0;

  progress (received, total);
  for (;;)
    {
      g_autoptr(GBytes) chunk = bridge_input_stream_read_bytes (body, CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                                                error.out ());
      if (chunk == nullptr)
        return error;
      if (g_bytes_get_size (chunk) == 0)
        break;
      received += (qint64) g_bytes_get_size (chunk);
      progress (received, total);
    }

  if (total >= 0 && received != total)
    return Bridge::Error (G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                          QStringLiteral ("the connection closed after %1 of %2 bytes").arg (received).arg (total));
  bridge_input_stream_close (body, G_PRIORITY_DEFAULT, nullptr);
  return received;
}
