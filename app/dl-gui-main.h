/* dl-gui-main.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gmodule.h>

G_BEGIN_DECLS

/* The GTK user interface is a module of its own (main.c and ui/), which the
 * program (dl-launcher.c) loads only when a window is wanted; it looks this
 * entry point up by name. */
#define DL_GUI_MAIN_SYMBOL "dl_gui_main"

typedef int (*DlGuiMainFunc) (int    argc,
                              char **argv);

G_MODULE_EXPORT int dl_gui_main (int    argc,
                                 char **argv);

G_END_DECLS
