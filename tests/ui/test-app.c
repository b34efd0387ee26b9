/* test-screenshot.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Runs the built program as a user would (`bridge-downloader --demo
 * --screenshot FILE`) and checks the picture: it exists, has the size of
 * the window, and shows something. */

#define G_LOG_DOMAIN "test-screenshot"

#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>

/* The system's, from before G_TEST_OPTION_ISOLATE_DIRS: the program needs
 * the installed MIME database, icons and GSettings schemas. */
static char *system_data_dirs;

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

  /* The environment (display, isolated HOME, memory settings, the fault
   * server's path) is inherited. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_DIRS", system_data_dirs, TRUE);
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

int
main (int   argc,
      char *argv[])
{
  system_data_dirs = g_strdup (g_getenv ("XDG_DATA_DIRS") != NULL ? g_getenv ("XDG_DATA_DIRS")
                                                                  : "/usr/local/share:/usr/share");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/downloader/screenshot/demo", test_demo_screenshot);

  return g_test_run ();
}
