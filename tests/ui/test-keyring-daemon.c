/* test-keyring-daemon.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "test-keyring-daemon.h"
#include "ui-test-util.h"

#define SECRETS_NAME "org.freedesktop.secrets"
#define START_TIMEOUT_SECONDS 60

struct _TestKeyringDaemon
{
  GSubprocess *bus;
  GSubprocess *daemon;
  char        *dir;
};

/* A bus of its own, without service files, so that nothing else is
 * started on it. (Not GTestDBus: its g_test_dbus_up() unsets DISPLAY, and
 * its g_test_dbus_down() waits for the session connection to be freed,
 * which libsecret's proxies keep until the process ends.) */
static const char bus_config[] =
  "<busconfig>\n"
  "  <type>session</type>\n"
  "  <listen>unix:tmpdir=/tmp</listen>\n"
  "  <policy context=\"default\">\n"
  "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
  "    <allow eavesdrop=\"true\"/>\n"
  "    <allow own=\"*\"/>\n"
  "  </policy>\n"
  "</busconfig>\n";

static char *
start_bus (TestKeyringDaemon *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *config = g_build_filename (self->dir, "bus.conf", NULL);
  g_autofree char *config_arg = g_strconcat ("--config-file=", config, NULL);
  g_autoptr(GDataInputStream) out = NULL;
  char *address;

  g_file_set_contents (config, bus_config, -1, &error);
  g_assert_no_error (error);
  self->bus = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                &error, "dbus-daemon", config_arg, "--nofork",
                                "--print-address=1", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->bus));
  address = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (address);
  return address;
}

/* The daemon owns its name before it has made the login keyring from
 * the password on its stdin: ready once the "default" alias leads to a
 * collection. */
static gboolean
default_collection_ready (GDBusConnection *connection)
{
  g_autoptr(GVariant) reply = NULL;
  const char *path = NULL;

  reply = g_dbus_connection_call_sync (connection, SECRETS_NAME, "/org/freedesktop/secrets",
                                       "org.freedesktop.Secret.Service", "ReadAlias",
                                       g_variant_new ("(s)", "default"), G_VARIANT_TYPE ("(o)"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, NULL);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(&o)", &path);
  return g_strcmp0 (path, "/") != 0;
}

TestKeyringDaemon *
test_keyring_daemon_start (void)
{
  TestKeyringDaemon *self = g_new0 (TestKeyringDaemon, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *runtime = NULL;
  g_autofree char *address = NULL;
  GOutputStream *stdin_pipe;
  gint64 deadline;

  self->dir = g_dir_make_tmp ("keyring-XXXXXX", &error);
  g_assert_no_error (error);
  data = g_build_filename (self->dir, "data", NULL);
  runtime = g_build_filename (self->dir, "run", NULL);
  g_assert_cmpint (g_mkdir_with_parents (data, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (runtime, 0700), ==, 0);

  address = start_bus (self);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", address, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  /* --unlock reads the login keyring's password on stdin, creates the
   * keyring with it and keeps it unlocked: no prompt. (An empty password
   * creates nothing.) */
  self->daemon = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon",
                                              "--foreground", "--unlock",
                                              "--components=secrets", NULL);
  g_assert_no_error (error);
  stdin_pipe = g_subprocess_get_stdin_pipe (self->daemon);
  g_output_stream_write_all (stdin_pipe, "test-login", strlen ("test-login"), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (stdin_pipe, NULL, &error);
  g_assert_no_error (error);

  connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  /* Stopped at the end of the run, the bus must not take the test with
   * it (see test_keyring_daemon_stop()). */
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  deadline = g_get_monotonic_time () + START_TIMEOUT_SECONDS * G_USEC_PER_SEC;
  /* Each round is a D-Bus round trip: no sleep needed between them. */
  while (!default_collection_ready (connection))
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
  return self;
}

void
test_keyring_daemon_stop (TestKeyringDaemon *self)
{
  secret_service_disconnect ();
  g_subprocess_force_exit (self->daemon);
  g_subprocess_wait (self->daemon, NULL, NULL);
  g_clear_object (&self->daemon);
  g_subprocess_force_exit (self->bus);
  g_subprocess_wait (self->bus, NULL, NULL);
  g_clear_object (&self->bus);
  ui_test_remove_tree (self->dir);
  g_free (self->dir);
  g_free (self);
}
