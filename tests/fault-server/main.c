/* main.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* bridge-fault-server: the fault server as a program, for the demo and for
 * poking at it with curl. Prints its base URL on one line once listening,
 * then serves until SIGTERM or SIGINT. */

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>
#include <glib-unix.h>

#include "fault-server.h"

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  int port = 0;
  gboolean tls = FALSE;
  char *cert_file = NULL;
  char *key_file = NULL;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port to listen on (default: any free one)", "N" },
    { "tls", 0, 0, G_OPTION_ARG_NONE, &tls, "Serve https with the bundled self-signed test certificate", NULL },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &cert_file, "Serve https with this PEM certificate", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &key_file, "PEM private key for --tls-cert (if not in it)", "FILE" },
    { NULL }
  };
  GOptionContext *context;
  GError *error = NULL;
  FaultServer *server;
  GMainLoop *loop;

  context = g_option_context_new ("- HTTP server that misbehaves on request");
  g_option_context_set_summary (context,
                                "Serves http://127.0.0.1:PORT/ (or https) and prints that URL on\n"
                                "one line once listening; stops on SIGTERM or SIGINT.");
  g_option_context_set_description (context, fault_server_get_help ());
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      g_error_free (error);
      g_option_context_free (context);
      return 2;
    }
  g_option_context_free (context);

  if (port < 0 || port > 65535)
    {
      g_printerr ("%s: bad port %d\n", g_get_prgname (), port);
      return 2;
    }
  if (key_file != NULL && cert_file == NULL)
    {
      g_printerr ("%s: --tls-key needs --tls-cert\n", g_get_prgname ());
      return 2;
    }
  if (tls && cert_file == NULL)
    {
      cert_file = g_strdup (fault_server_get_test_cert_file ());
      key_file = g_strdup (fault_server_get_test_key_file ());
    }

  server = fault_server_new_full ((guint) port, cert_file, key_file, FALSE, &error);
  if (server == NULL)
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      g_error_free (error);
      g_free (cert_file);
      g_free (key_file);
      return 1;
    }

  /* Scripts read this line to learn the port: it must be out (and alone)
   * before the first request can be made. */
  printf ("%s\n", fault_server_get_uri (server));
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_main_loop_run (loop);

  fault_server_free (server);
  g_main_loop_unref (loop);
  g_free (cert_file);
  g_free (key_file);
  return 0;
}
