/* bridge-datagram.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-datagram.h"
#include "bridge-error.h"
#include "bridge-fd.h"
#include "bridge-task.h"

/* Datagram endpoints: each call tries the socket without blocking and,
 * when nothing can be done yet, awaits the socket's readiness on the loop
 * with bridge_await_fd(), so cancelling the task wakes it at once and
 * loses no datagram. GIO's receive calls block on a blocking socket
 * whatever the flags, hence the socket is made non-blocking. */

static gboolean
would_block (GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

static gboolean
check_in_task (const char  *function,
               GError     **error)
{
  if (bridge_task_get_current () != NULL)
    return TRUE;

  g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
               "%s() called outside a task: only code running in a task "
               "started with bridge_spawn() can wait", function);
  return FALSE;
}

/**
 * bridge_socket_receive_from:
 * @socket: a datagram `GSocket`, such as a UDP socket
 * @max_size: the largest datagram to accept; a longer one is cut
 * @address: (out) (optional) (transfer full) (nullable): the sender
 * @error: return location for a socket error, %G_IO_ERROR_CANCELLED if
 *   the task was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits, inside the current task, for one datagram and returns it with its
 * sender (`DatagramProtocol.datagram_received`, or `loop.sock_recvfrom()`).
 * A cancelled task wakes at once and no datagram is consumed. @socket is
 * made non-blocking (`g_socket_set_blocking()`), as asyncio requires of the
 * sockets it is given.
 *
 * Returns: (transfer full) (nullable): the datagram (possibly empty), or
 *   %NULL with @error set
 *
 * Since: 0.1
 */
GBytes *
bridge_socket_receive_from (GSocket          *socket,
                            gsize             max_size,
                            GSocketAddress  **address,
                            GError          **error)
{
  g_autofree guint8 *buffer = NULL;

  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);
  g_return_val_if_fail (max_size > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (address != NULL)
    *address = NULL;
  if (!check_in_task (G_STRFUNC, error))
    return NULL;

  g_socket_set_blocking (socket, FALSE);
  buffer = g_malloc (max_size);
  for (;;)
    {
      GError *local_error = NULL;
      GInputVector vector = { buffer, max_size };
      int flags = 0;
      gssize n;

      n = g_socket_receive_message (socket, address, &vector, 1, NULL, NULL, &flags, NULL,
                                    &local_error);
      if (n >= 0)
        return g_bytes_new (buffer, (gsize) n);

      if (!would_block (local_error))
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      g_error_free (local_error);

      if (bridge_await_fd (g_socket_get_fd (socket), G_IO_IN, error) == 0)
        return NULL;
    }
}

/**
 * bridge_socket_send_to:
 * @socket: a datagram `GSocket`
 * @address: (nullable): where to send; %NULL for a connected socket
 * @data: the datagram
 * @error: return location for a socket error, %G_IO_ERROR_CANCELLED if
 *   the task was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Sends @data as one datagram (`transport.sendto()`, `loop.sock_sendto()`),
 * waiting inside the current task while the socket's send buffer is full.
 *
 * Returns: %TRUE once the datagram was handed to the system
 *
 * Since: 0.1
 */
gboolean
bridge_socket_send_to (GSocket         *socket,
                       GSocketAddress  *address,
                       GBytes          *data,
                       GError         **error)
{
  g_return_val_if_fail (G_IS_SOCKET (socket), FALSE);
  g_return_val_if_fail (address == NULL || G_IS_SOCKET_ADDRESS (address), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_in_task (G_STRFUNC, error))
    return FALSE;

  for (;;)
    {
      GError *local_error = NULL;
      GOutputVector vector = { g_bytes_get_data (data, NULL), g_bytes_get_size (data) };
      gsize sent = 0;
      GPollableReturn ret;

      ret = g_socket_send_message_with_timeout (socket, address, &vector, 1, NULL, 0, 0, 0,
                                                &sent, NULL, &local_error);
      if (ret == G_POLLABLE_RETURN_OK)
        return TRUE;
      if (ret == G_POLLABLE_RETURN_FAILED && !would_block (local_error))
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      g_clear_error (&local_error);

      if (bridge_await_fd (g_socket_get_fd (socket), G_IO_OUT, error) == 0)
        return FALSE;
    }
}
