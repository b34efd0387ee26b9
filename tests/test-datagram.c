/* test-datagram.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "test-gio-util.h"

/* Datagram endpoints over UDP on loopback: a datagram and its sender,
 * waiting until one arrives, datagram boundaries kept, a cancellation that
 * consumes nothing, and misuse. */

static GSocket *
udp_socket (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, address, FALSE, &error));
  g_assert_no_error (error);
  return socket;
}

static GSocketAddress *
local_address (GSocket *socket)
{
  g_autoptr(GError) error = NULL;
  GSocketAddress *address = g_socket_get_local_address (socket, &error);

  g_assert_no_error (error);
  return address;
}

#define assert_bytes(bytes, text) \
  g_assert_cmpmem (g_bytes_get_data ((bytes), NULL), g_bytes_get_size (bytes), (text), strlen (text))

typedef struct
{
  GSocket        *from;
  GSocketAddress *to;
  const char     *text;
} Later;

static void
send_later_body (BridgeTask *task,
                 gpointer    user_data)
{
  Later *later = user_data;
  g_autoptr(GBytes) bytes = g_bytes_new_static (later->text, strlen (later->text));

  g_assert_true (bridge_sleep (0.02, NULL));
  g_assert_true (bridge_socket_send_to (later->from, later->to, bytes, NULL));
}

static void
round_trip_body (BridgeTask *task,
                 gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) a = udp_socket ();
  g_autoptr(GSocket) b = udp_socket ();
  g_autoptr(GSocketAddress) a_address = local_address (a);
  g_autoptr(GSocketAddress) b_address = local_address (b);
  g_autoptr(GSocketAddress) sender = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GBytes) third = NULL;
  g_autoptr(BridgeTask) sending = NULL;
  Later later = { a, b_address, "later" };
  g_autoptr(GBytes) one = g_bytes_new_static ("one", 3);
  g_autoptr(GBytes) two = g_bytes_new_static ("two!", 4);

  /* Two datagrams stay two: boundaries are kept. */
  g_assert_true (bridge_socket_send_to (a, b_address, one, &error));
  g_assert_true (bridge_socket_send_to (a, b_address, two, &error));
  g_assert_no_error (error);
  first = bridge_socket_receive_from (b, 1500, &sender, &error);
  g_assert_no_error (error);
  assert_bytes (first, "one");
  g_assert_cmpuint (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sender)), ==,
                    g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (a_address)));
  second = bridge_socket_receive_from (b, 1500, NULL, &error);
  assert_bytes (second, "two!");

  /* Nothing there yet: it waits for the datagram. */
  sending = bridge_spawn (send_later_body, &later, NULL);
  third = bridge_socket_receive_from (b, 1500, NULL, &error);
  g_assert_no_error (error);
  assert_bytes (third, "later");
  g_assert_true (bridge_await (BRIDGE_FUTURE (sending), NULL));
}

static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (round_trip_body, NULL, &error));
  g_assert_no_error (error);
}

static void
cancel_body (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) a = udp_socket ();
  g_autoptr(GSocket) b = udp_socket ();
  g_autoptr(GSocketAddress) b_address = local_address (b);
  g_autoptr(GBytes) none = NULL;
  g_autoptr(GBytes) kept = NULL;
  g_autoptr(GBytes) data = g_bytes_new_static ("kept", 4);
  TestCanceller canceller;

  test_cancel_later (&canceller, 0.02);
  none = bridge_socket_receive_from (b, 1500, NULL, &error);
  test_assert_woke_promptly (&canceller);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  bridge_task_uncancel (task);

  /* The next datagram goes to the next receive. */
  g_assert_true (bridge_socket_send_to (a, b_address, data, &error));
  kept = bridge_socket_receive_from (b, 1500, NULL, &error);
  g_assert_no_error (error);
  assert_bytes (kept, "kept");
}

static void
test_cancel (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (cancel_body, NULL, &error));
  g_assert_no_error (error);
}

static void
test_outside_task (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) a = udp_socket ();
  g_autoptr(GSocketAddress) address = local_address (a);
  g_autoptr(GBytes) data = g_bytes_new_static ("x", 1);
  g_autoptr(GBytes) none = NULL;

  g_assert_false (bridge_socket_send_to (a, address, data, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);
  none = bridge_socket_receive_from (a, 16, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/datagram/round-trip", test_round_trip);
  g_test_add_func ("/libbridge/datagram/receive-cancelled", test_cancel);
  g_test_add_func ("/libbridge/datagram/outside-task", test_outside_task);

  return g_test_run ();
}
