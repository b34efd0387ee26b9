/* dl-launcher.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "bridge-downloader"

#include "config.h"

#include <glib/gi18n.h>
#include <gmodule.h>
#include <locale.h>

#include "dl-cli.h"
#include "dl-native-messaging.h"
#include "dl-gui-main.h"

/* The program `bridge-downloader`. The headless mode runs from here; the
 * window is a module loaded only when one is wanted, because merely mapping
 * GTK, libadwaita and what they link is most of what the headless mode would
 * otherwise spend before its first request. */

/* An uninstalled build keeps the module beside the program; an installed one
 * in its own folder under libdir. */
static char *
gui_module_path (void)
{
  g_autofree char *program = g_file_read_link ("/proc/self/exe", NULL);

  if (program != NULL)
    {
      g_autofree char *folder = g_path_get_dirname (program);
      g_autofree char *beside = g_build_filename (folder, DL_GUI_MODULE_NAME, NULL);

      if (g_file_test (beside, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&beside);
    }
  return g_build_filename (DL_GUI_MODULE_DIR, DL_GUI_MODULE_NAME, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *path = NULL;
  DlGuiMainFunc gui_main = NULL;
  const char *localedir;
  GModule *module;

  setlocale (LC_ALL, "");
  /* ./run.sh points here at the catalogs in the build folder: the
   * installed ones may be missing or older. */
  localedir = g_getenv ("BRIDGE_DOWNLOADER_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL && localedir[0] != '\0' ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_application_name (_("Downloader"));

  /* Modes that need no display are dispatched here, before GTK is loaded. */
  if (dl_cli_is_requested (argc, argv))
    return dl_cli_run (argc, argv);

  /* The browser extension's host: stdin and stdout are the browser's. */
  if (dl_native_messaging_is_requested (argc, argv))
    return dl_native_messaging_run (argc, argv);

  /* Never unloaded: GTK cannot be. */
  path = gui_module_path ();
  module = g_module_open (path, G_MODULE_BIND_LOCAL);
  if (module == NULL ||
      !g_module_symbol (module, DL_GUI_MAIN_SYMBOL, (gpointer *) &gui_main))
    {
      /* Translators: the first %s is a file name, the second an error message */
      g_printerr (_("Cannot load the user interface %s: %s\n"), path, g_module_error ());
      return 1;
    }

  return gui_main (argc, argv);
}
