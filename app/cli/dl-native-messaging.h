/* dl-native-messaging.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * DL_NATIVE_MESSAGING_MAX_MESSAGE:
 *
 * The largest message, in bytes, read from the browser. Browsers send at
 * most 4 GiB and accept at most 1 MiB back; a request to add downloads is
 * a few kilobytes, so anything over 1 MiB is refused unread.
 */
#define DL_NATIVE_MESSAGING_MAX_MESSAGE (1024 * 1024)

#define DL_NATIVE_MESSAGING_ERROR (dl_native_messaging_error_quark ())

/**
 * DlNativeMessagingError:
 * @DL_NATIVE_MESSAGING_ERROR_TRUNCATED: the input ended inside a message
 * @DL_NATIVE_MESSAGING_ERROR_TOO_LARGE: a message is longer than
 *   %DL_NATIVE_MESSAGING_MAX_MESSAGE
 */
typedef enum
{
  DL_NATIVE_MESSAGING_ERROR_TRUNCATED,
  DL_NATIVE_MESSAGING_ERROR_TOO_LARGE,
} DlNativeMessagingError;

GQuark    dl_native_messaging_error_quark   (void);
gboolean  dl_native_messaging_is_requested  (int            argc,
                                             char         **argv);
int       dl_native_messaging_run           (int            argc,
                                             char         **argv);
char     *dl_native_messaging_read          (GInputStream  *input,
                                             gsize         *out_length,
                                             GError       **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean  dl_native_messaging_write         (GOutputStream *output,
                                             const char    *json,
                                             GError       **error);

G_END_DECLS
