/* ui-test-util.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <gtk/gtk.h>

#include "dl-screenshot.h"
#include "ui-test-util.h"

const char ui_test_notifications_xml[] =
  "<node>"
  "  <interface name='org.gtk.Notifications'>"
  "    <method name='AddNotification'>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "      <arg type='a{sv}' direction='in'/>"
  "    </method>"
  "    <method name='RemoveNotification'>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

gboolean
ui_test_wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* An application for one test case, driven by the test's own main-loop
 * iterations: non-unique, with an id of its own (@kind and a count), so
 * that no case hands its command line to another's app, and with @manager
 * as its engine. */
DlApplication *
ui_test_new_app (DlManager  *manager,
                 const char *kind)
{
  static guint n_apps;
  g_autofree char *id = g_strdup_printf ("%s.%s%u", APP_ID, kind, ++n_apps);
  g_autoptr(GError) error = NULL;
  DlApplication *app = dl_application_new ();

  g_application_set_application_id (G_APPLICATION (app), id);
  g_application_set_flags (G_APPLICATION (app),
                           G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  dl_application_set_manager (app, manager);
  return app;
}

/* Closes @app's windows, shuts it down and checks that nothing else holds
 * it. */
void
ui_test_finish_app (DlApplication *app)
{
  g_autoptr(GList) windows = NULL;
  GLogLevelFlags fatal;

  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_destroy (l->data);

  g_signal_emit_by_name (app, "shutdown");
  WAIT_FOR (G_OBJECT (app)->ref_count == 1);

  /* GIO warns once that the application was never taken off D-Bus: only
   * g_application_run() does that, and these tests drive the main loop
   * themselves. That warning, and only here, is not a failure. */
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_assert_finalize_object (app);
  g_log_set_always_fatal (fatal);
}

/* Deletes @path and what is below it, never following a symbolic link out
 * of it. */
void
ui_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        ui_test_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* Every key of @settings back to its default, so that no case sees what
 * another set. */
void
ui_test_reset_settings (GSettings *settings)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (settings, keys[i]);
}

/* The first widget of @type in the tree under @root (itself included),
 * depth first; NULL when there is none. */
GtkWidget *
ui_test_find_widget (GtkWidget *root,
                     GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = ui_test_find_widget (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The first open toplevel window of @type, or NULL. */
GtkWidget *
ui_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();  /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        return window;
    }
  return NULL;
}

/* A stack crossfading or a revealer sliding: a picture now would show
 * two states at once. */
static gboolean
transition_running (GtkWidget *widget)
{
  if (GTK_IS_STACK (widget) && gtk_stack_get_transition_running (GTK_STACK (widget)))
    return TRUE;
  if (GTK_IS_REVEALER (widget) &&
      gtk_revealer_get_child_revealed (GTK_REVEALER (widget)) !=
      gtk_revealer_get_reveal_child (GTK_REVEALER (widget)))
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (transition_running (child))
      return TRUE;
  return FALSE;
}

/* Keeps frames coming while a screenshot waits for them: a window with
 * nothing moving in it draws no new frame by itself. */
static gboolean
keep_drawing_cb (GtkWidget     *widget,
                 GdkFrameClock *clock,
                 gpointer       user_data)
{
  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

/* With DL_TEST_SCREENSHOTS=DIR the tests save pictures of what they show,
 * for reviewers, as DIR/@name.png; without it they write nothing. Two
 * frames are drawn first: the first may have begun before the widget's
 * last change. */
void
ui_test_snap (GtkWidget  *widget,
              const char *name)
{
  const char *dir = g_getenv ("DL_TEST_SCREENSHOTS");
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  GdkFrameClock *clock;
  gint64 frame;
  guint tick;

  if (dir == NULL)
    return;

  WAIT_FOR (gtk_widget_get_mapped (widget));
  WAIT_FOR (!transition_running (widget));
  clock = gtk_widget_get_frame_clock (widget);
  frame = gdk_frame_clock_get_frame_counter (clock);
  tick = gtk_widget_add_tick_callback (widget, keep_drawing_cb, NULL, NULL);
  WAIT_FOR (gdk_frame_clock_get_frame_counter (clock) > frame + 1);
  gtk_widget_remove_tick_callback (widget, tick);

  file = g_strconcat (name, ".png", NULL);
  path = g_build_filename (dir, file, NULL);
  dl_screenshot_save (widget, path, &error);
  g_assert_no_error (error);
  g_test_message ("saved %s", path);
}

/* For a test that checks the German translation: the locale is
 * process-wide, so the test runs again in a child process. Returns TRUE in
 * that child, now speaking German (from the catalogues DL_TEST_LOCALEDIR
 * names); FALSE in the parent, once the child passed within
 * @timeout_seconds, or when DL_TEST_LOCALEDIR is not set (the test is then
 * skipped). */
gboolean
ui_test_run_in_german (guint timeout_seconds)
{
  const char *localedir = g_getenv ("DL_TEST_LOCALEDIR");

  if (localedir == NULL)
    {
      g_test_skip ("DL_TEST_LOCALEDIR is not set");
      return FALSE;
    }
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, timeout_seconds * G_USEC_PER_SEC,
                              G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return FALSE;
    }

  /* LANGUAGE is ignored in the C locale; C.UTF-8 is always there. */
  g_setenv ("LANGUAGE", "de", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  return TRUE;
}
