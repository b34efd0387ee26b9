/* main.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "bridge-downloader"

#include "config.h"

#include <glib/gi18n.h>

#include "dl-application.h"
#include "dl-gui-main.h"
#include "dl-manager.h"
#include "dl-measure.h"
#include "dl-store.h"

/* Runs in the primary instance only, once: a second launch that forwards
 * its URLs never opens the history, which the first one holds. */
static void
startup_cb (DlApplication *app,
            gpointer       user_data)
{
  g_autoptr(DlStore) store = NULL;
  g_autoptr(DlManager) manager = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  if (dl_application_get_demo (app))
    path = g_build_filename (dl_application_get_demo_dir (app), "history.sqlite", NULL);
  else
    path = dl_store_get_default_path ();

  store = dl_store_open (path, &error);
  if (store == NULL)
    {
      g_autofree char *message = NULL;

      g_debug ("Cannot open the download history %s: %s", path, error->message);
      /* Translators: %s is an error message */
      message = g_strdup_printf (_("The download history cannot be opened, so downloads will not "
                                   "be remembered: %s"), error->message);
      dl_application_report_error (app, message);
      g_clear_error (&error);
    }

  manager = dl_manager_new (store);

  /* Downloads that were running when the app last stopped continue. */
  if (!dl_manager_load (manager, TRUE, &error))
    {
      g_autofree char *message = NULL;

      g_debug ("Cannot read the download history: %s", error->message);
      /* Translators: %s is an error message */
      message = g_strdup_printf (_("The download history cannot be read: %s"), error->message);
      dl_application_report_error (app, message);
    }

  dl_application_set_manager (app, manager);
}

/* The window's side of the program, in a module of its own that
 * dl-launcher.c loads (after setting up the locale) only when no headless
 * mode is asked for. */
int
dl_gui_main (int    argc,
             char **argv)
{
  g_autoptr(DlApplication) app = NULL;
  int status;

  /* The app-stall benchmark's run (bench/app_stall.py). */
  if (dl_measure_is_requested ())
    return dl_measure_run (argc, argv);

  app = dl_application_new ();
  g_signal_connect (app, "startup", G_CALLBACK (startup_cb), NULL);

  status = g_application_run (G_APPLICATION (app), argc, argv);
  if (status == 0)
    status = dl_application_get_exit_status (app);

  return status;
}
