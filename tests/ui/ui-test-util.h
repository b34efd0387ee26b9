/* ui-test-util.h: what the in-process UI tests share
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "dl-application.h"
#include "dl-manager.h"

G_BEGIN_DECLS

#define WAIT_SECONDS 60

gboolean       ui_test_wake_cb    (gpointer       user_data);

/* Iterates the main context until @cond holds; the 50 ms wake-up only
 * makes sure the deadline is checked when nothing else happens. */
#define WAIT_FOR(cond)                                                          \
  G_STMT_START {                                                                \
    gint64 _deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC; \
    guint _wake = g_timeout_add (50, ui_test_wake_cb, NULL);                    \
    while (!(cond))                                                             \
      {                                                                         \
        if (g_get_monotonic_time () > _deadline)                                \
          g_error ("Timed out after %d s waiting for: %s", WAIT_SECONDS, #cond); \
        g_main_context_iteration (NULL, TRUE);                                  \
      }                                                                         \
    g_source_remove (_wake);                                                    \
  } G_STMT_END

/* org.gtk.Notifications, which GNotification speaks when its name is on
 * the bus: the tests serve it to see what the app sends. */
extern const char ui_test_notifications_xml[];

DlApplication *ui_test_new_app    (DlManager     *manager,
                                   const char    *kind);
void           ui_test_finish_app (DlApplication *app);

void           ui_test_remove_tree    (const char *path);
void           ui_test_reset_settings (GSettings  *settings);

gboolean       ui_test_run_in_german  (guint       timeout_seconds);

GtkWidget     *ui_test_find_widget    (GtkWidget  *root,
                                       GType       type);
GtkWidget     *ui_test_find_toplevel  (GType       type);
void           ui_test_snap           (GtkWidget  *widget,
                                       const char *name);

G_END_DECLS
