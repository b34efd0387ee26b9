/* test-cli-libraries.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib.h>

/* Which shared libraries the program loads, as the dynamic loader reports
 * them (LD_DEBUG=files): the headless mode must not pay for mapping GTK. */

static void
run_program (const char  *mode,
             char       **out,
             char       **err)
{
  const char *program = g_getenv ("BRIDGE_DOWNLOADER");
  g_auto(GStrv) env = g_get_environ ();
  g_autoptr(GError) error = NULL;
  const char *argv_headless[] = { program, "--headless", "--help", NULL };
  const char *argv_window[] = { program, "--help", NULL };
  int status = -1;

  g_assert_nonnull (program);
  env = g_environ_setenv (env, "LD_DEBUG", "files", TRUE);
  env = g_environ_unsetenv (env, "LD_DEBUG_OUTPUT");
  g_assert_true (g_spawn_sync (NULL,
                               (char **) (g_str_equal (mode, "headless") ? argv_headless : argv_window),
                               env, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static void
test_headless_loads_no_gtk (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  run_program ("headless", &out, &err);
  g_assert_nonnull (strstr (out, "--headless"));
  /* The loader's report is there at all (GLib is always loaded)... */
  g_assert_nonnull (strstr (err, "file=libglib-2.0.so"));
  /* ...and names neither GTK nor libadwaita nor the window module. */
  g_assert_null (strstr (err, "libgtk-4.so"));
  g_assert_null (strstr (err, "libadwaita-1.so"));
  g_assert_null (strstr (err, "bridge-downloader-gui"));
}

static void
test_window_mode_loads_module (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  run_program ("window", &out, &err);
  g_assert_nonnull (strstr (err, "bridge-downloader-gui.so"));
  g_assert_nonnull (strstr (err, "libgtk-4.so"));
  /* GApplication's own help, which only the window side has. */
  g_assert_nonnull (strstr (out, "--help-gapplication"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/downloader/cli/headless-loads-no-gtk", test_headless_loads_no_gtk);
  g_test_add_func ("/downloader/launcher/window-mode-loads-module", test_window_mode_loads_module);

  return g_test_run ();
}
