/* bridge-network.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-async-result-private.h"
#include "bridge-network.h"

/* Awaitable connection set-up: the GSocketClient and GResolver calls a
 * client needs before it has a stream. */

/**
 * bridge_socket_client_connect_to_host:
 * @client: a `GSocketClient`
 * @host_and_port: the host to connect to, with an optional `:port`
 * @default_port: the port when @host_and_port has none
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Resolves @host_and_port and connects to it, waiting inside the current
 * task: `g_socket_client_connect_to_host_async()` and `_finish()` with the
 * task's cancellable. Cancelling the task aborts a connection attempt still
 * in progress, and the task wakes at once.
 *
 * Returns: (transfer full) (nullable): the connection, or %NULL with @error
 *   set
 *
 * Since: 0.1
 */
GSocketConnection *
bridge_socket_client_connect_to_host (GSocketClient  *client,
                                      const char     *host_and_port,
                                      guint16         default_port,
                                      GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_SOCKET_CLIENT (client), NULL);
  g_return_val_if_fail (host_and_port != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return NULL;
  g_socket_client_connect_to_host_async (client, host_and_port, default_port, cancellable,
                                         bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return NULL;
  return g_socket_client_connect_to_host_finish (client, result, error);
}

/**
 * bridge_resolver_lookup_by_name:
 * @resolver: (nullable): a `GResolver`, or %NULL for `g_resolver_get_default()`
 * @hostname: the host name to look up
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Resolves @hostname, waiting inside the current task:
 * `g_resolver_lookup_by_name_async()` and `_finish()` with the task's
 * cancellable.
 *
 * Returns: (transfer full) (element-type GInetAddress) (nullable): the
 *   addresses; free them with `g_resolver_free_addresses()`
 *
 * Since: 0.1
 */
GList *
bridge_resolver_lookup_by_name (GResolver   *resolver,
                                const char  *hostname,
                                GError     **error)
{
  g_autoptr(GResolver) default_resolver = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (resolver == NULL || G_IS_RESOLVER (resolver), NULL);
  g_return_val_if_fail (hostname != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (resolver == NULL)
    resolver = default_resolver = g_resolver_get_default ();

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return NULL;
  g_resolver_lookup_by_name_async (resolver, hostname, cancellable, bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return NULL;
  return g_resolver_lookup_by_name_finish (resolver, result, error);
}
