/* test-app.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Runs the built program as a user would: `bridge-downloader --demo
 * --screenshot FILE` (the picture exists, has the size of the window, and
 * shows something), and a second launch with a URL that hands it to the
 * running instance. */

#define G_LOG_DOMAIN "test-app"

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <gtk/gtk.h>

#include "fault-server.h"

#define WAIT_SECONDS 60

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until @cond holds, with a deadline. */
#define WAIT_FOR(cond)                                                          \
  G_STMT_START {                                                                \
    gint64 _deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC; \
    guint _wake = g_timeout_add (50, wake_cb, NULL);                            \
    while (!(cond))                                                             \
      {                                                                         \
        if (g_get_monotonic_time () > _deadline)                                \
          g_error ("Timed out after %d s waiting for: %s", WAIT_SECONDS, #cond); \
        g_main_context_iteration (NULL, TRUE);                                  \
      }                                                                         \
    g_source_remove (_wake);                                                    \
  } G_STMT_END

/* The system's, from before G_TEST_OPTION_ISOLATE_DIRS: the program needs
 * the installed MIME database, icons and GSettings schemas. */
static char *system_data_dirs;

/* G_TEST_OPTION_ISOLATE_DIRS points GLib at private dirs for the test case
 * but leaves the environment saying /dev/null: hand the private ones to
 * the program, with the system's data dirs. */
static GSubprocessLauncher *
new_launcher (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", g_get_user_state_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_DIRS", system_data_dirs, TRUE);
  return launcher;
}

static void
test_demo_screenshot (void)
{
  const char *binary = g_getenv ("DL_TEST_BINARY");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GHashTable) colors = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *png = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  g_autofree guint32 *pixels = NULL;
  int width, height;
  gsize stride;
  guint n_opaque = 0;

  g_assert_nonnull (binary);

  dir = g_dir_make_tmp ("dl-screenshot-XXXXXX", &error);
  g_assert_no_error (error);
  png = g_build_filename (dir, "window.png", NULL);

  /* The display, the memory settings backend and the fault server's path
   * come from the environment. */
  launcher = new_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  process = g_subprocess_launcher_spawn (launcher, &error, binary, "--demo", "--screenshot", png, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_test_message ("stdout: %s", out);
  g_test_message ("stderr: %s", err);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);

  g_assert_true (g_file_test (png, G_FILE_TEST_IS_REGULAR));
  texture = gdk_texture_new_from_filename (png, &error);
  g_assert_no_error (error);
  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);

  /* The program prints "FILE WIDTHxHEIGHT" with the window's size… */
  expected = g_strdup_printf ("%s %dx%d\n", png, width, height);
  g_assert_cmpstr (out, ==, expected);

  /* …which is the size it was given (720×560 by default), less at most the
   * resize border around client-side decorations. */
  g_assert_cmpint (width, <=, 720);
  g_assert_cmpint (width, >=, 720 - 2 * 12);
  g_assert_cmpint (height, <=, 560);
  g_assert_cmpint (height, >=, 560 - 2 * 12);

  /* Not blank: opaque, and many colours (text, icons, progress bars). */
  stride = width * 4;
  pixels = g_malloc (stride * height);
  gdk_texture_download (texture, (guchar *) pixels, stride);
  colors = g_hash_table_new (NULL, NULL);
  for (int i = 0; i < width * height; i++)
    {
      if ((pixels[i] >> 24) == 0xff)
        n_opaque++;
      g_hash_table_add (colors, GUINT_TO_POINTER (pixels[i]));
    }
  g_test_message ("%u distinct colours, %u of %d pixels opaque",
                  g_hash_table_size (colors), n_opaque, width * height);
  g_assert_cmpuint (n_opaque, >, (guint) (width * height) * 9 / 10);
  g_assert_cmpuint (g_hash_table_size (colors), >, 64);

  g_unlink (png);
  g_rmdir (dir);
}

static gboolean
name_has_owner (GDBusConnection *bus,
                const char      *name)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static gboolean
file_is_complete (const char *path,
                  goffset     size)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInfo) info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                                 G_FILE_QUERY_INFO_NONE, NULL, NULL);

  return info != NULL && g_file_info_get_size (info) == size;
}

static void
exited_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *exited = TRUE;
}

static void
test_second_launch_forwards (void)
{
  const char *binary = g_getenv ("DL_TEST_BINARY");
  g_autoptr(FaultServer) server = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) primary = NULL;
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *downloads = NULL;
  g_autofree char *path = NULL;
  g_autofree char *object_path = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *expected = NULL;
  gboolean primary_exited = FALSE;
  gsize length;

  g_assert_nonnull (binary);

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  if (name_has_owner (bus, APP_ID))
    {
      g_test_skip ("Downloader already runs on this session bus");
      return;
    }

  server = fault_server_new_in_thread (FALSE, &error);
  g_assert_no_error (error);
  url = g_strconcat (fault_server_get_uri (server), "forwarded.bin?size=200k&seed=61", NULL);

  /* Files go to the (isolated) XDG download folder. */
  downloads = g_build_filename (g_get_home_dir (), "Downloads", NULL);
  g_assert_cmpint (g_mkdir_with_parents (downloads, 0700), ==, 0);
  path = g_build_filename (downloads, "forwarded.bin", NULL);

  launcher = new_launcher (G_SUBPROCESS_FLAGS_NONE);

  /* The first launch becomes the primary instance… */
  primary = g_subprocess_launcher_spawn (launcher, &error, binary, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (primary, NULL, exited_cb, &primary_exited);
  WAIT_FOR (name_has_owner (bus, APP_ID) || primary_exited);
  g_assert_false (primary_exited);

  /* …the second hands its URL over and exits at once… */
  second = g_subprocess_launcher_spawn (launcher, &error, binary, url, NULL);
  g_assert_no_error (error);
  g_subprocess_wait (second, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (second), ==, 0);

  /* …and the first one downloads it. */
  WAIT_FOR (file_is_complete (path, 200 * 1024));
  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
  expected = fault_server_body_sha256 (61, 200 * 1024);
  g_assert_cmpstr (sha256, ==, expected);

  /* app.quit over D-Bus: nothing runs, so it quits without asking. */
  object_path = g_strdup_printf ("/%s", APP_ID);
  g_strdelimit (object_path, ".", '/');
  g_dbus_connection_call_sync (bus, APP_ID, object_path, "org.gtk.Actions", "Activate",
                               g_variant_new ("(sava{sv})", "quit", NULL, NULL),
                               NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  WAIT_FOR (primary_exited);
  g_assert_true (g_subprocess_get_if_exited (primary));
  g_assert_cmpint (g_subprocess_get_exit_status (primary), ==, 0);
}


static char *
find_demo_dir (const char *tmp)
{
  g_autoptr(GDir) dir = g_dir_open (tmp, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "bridge-downloader-demo-"))
      return g_build_filename (tmp, name, NULL);
  return NULL;
}

/* SIGTERM (and SIGINT) quit the demo as its Quit does: the scratch folder,
 * its files and history are removed. */
static void
test_demo_sigterm (void)
{
  const char *binary = g_getenv ("DL_TEST_BINARY");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *demo = NULL;
  g_autofree char *history = NULL;
  gboolean exited = FALSE;

  g_assert_nonnull (binary);
  tmp = g_dir_make_tmp ("dl-demo-sigterm-XXXXXX", &error);
  g_assert_no_error (error);

  launcher = new_launcher (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_setenv (launcher, "TMPDIR", tmp, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, binary, "--demo", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (process, NULL, exited_cb, &exited);

  /* Running: its scratch folder holds the demo's history. */
  WAIT_FOR ((demo = find_demo_dir (tmp)) != NULL || exited);
  g_assert_false (exited);
  history = g_build_filename (demo, "history.sqlite", NULL);
  WAIT_FOR (g_file_test (history, G_FILE_TEST_EXISTS) || exited);
  g_assert_false (exited);

  g_subprocess_send_signal (process, SIGTERM);
  WAIT_FOR (exited);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_false (g_file_test (demo, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  system_data_dirs = g_strdup (g_getenv ("XDG_DATA_DIRS") != NULL ? g_getenv ("XDG_DATA_DIRS")
                                                                  : "/usr/local/share:/usr/share");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/downloader/program/screenshot", test_demo_screenshot);
  g_test_add_func ("/downloader/program/second-launch-forwards", test_second_launch_forwards);
  g_test_add_func ("/downloader/program/demo-sigterm", test_demo_sigterm);

  return g_test_run ();
}
