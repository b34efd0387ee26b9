/* dl-file-hash.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-file-hash"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <libbridge.h>

#include "dl-file-hash.h"

/* Read in pieces of this size: large enough that the system calls cost
 * nothing next to the hashing. */
#define HASH_CHUNK (256 * 1024)

/**
 * dl_file_hash_sha256:
 * @fd: a file open for reading
 * @name: its name, for messages
 * @error: return location for a #GError
 *
 * The SHA-256 of the whole file, read from its first byte (with pread(),
 * so the file offset is left alone). It blocks for as long as reading the
 * file takes: call it on a worker thread. In a bridge_run_in_thread()
 * function it stops early, with %G_IO_ERROR_CANCELLED, once the future is
 * cancelled.
 *
 * Returns: (transfer full): the checksum in lowercase hexadecimal, or %NULL
 *   with @error set
 */
char *
dl_file_hash_sha256 (int          fd,
                     const char  *name,
                     GError     **error)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buffer = g_malloc (HASH_CHUNK);
  off_t offset = 0;

  g_return_val_if_fail (fd >= 0, NULL);

  (void) posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  for (;;)
    {
      ssize_t n = pread (fd, buffer, HASH_CHUNK, offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Cannot read “%s”: %s", name, g_strerror (saved_errno));
          return NULL;
        }
      if (n == 0)
        break;
      if (bridge_thread_is_cancelled ())
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
          return NULL;
        }
      g_checksum_update (checksum, buffer, n);
      offset += n;
    }

  return g_strdup (g_checksum_get_string (checksum));
}
