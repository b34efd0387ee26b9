/* guide-gtk.c: the program of the guide "Embedding in a GTK application".
 *
 * A button starts a task; the task updates a label as it goes; closing the
 * window cancels the task, which then touches no widget. The application
 * is held while a task runs, so it does not exit under it.
 *
 * An entry starts a search task per keystroke with
 * bridge_signal_connect_task (…, BRIDGE_CONNECT_RESTART), so only the
 * latest query completes.
 *
 * Run as a test it drives itself: one click that runs to the end, three
 * keystrokes of which only the last search completes, then one click
 * followed by closing the window.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gtk/gtk.h>
#include <libbridge.h>

typedef struct
{
  GtkApplication *app;
  GtkWidget      *window;
  GtkWidget      *label;
  GtkWidget      *button;
  GtkWidget      *entry;
  BridgeTask     *task;          /* the running task, if any */
  guint           n_finished;
  guint           n_cancelled;
  guint           n_searches;    /* searches that ran to the end */
} Counter;

static void
search_task (BridgeTask   *task,
             gpointer      entry,
             const GValue *params,
             guint         n_params,
             gpointer      user_data)
{
  Counter *counter = user_data;
  g_autofree char *query = g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry)));

  /* A slow lookup: the next keystroke cancels it here. */
  if (!bridge_sleep (0.05, NULL))
    return;                                   /* the entry may be gone: touch nothing */
  counter->n_searches++;
  gtk_label_set_text (GTK_LABEL (counter->label), query);
}

static void
count_steps (BridgeTask *task,
             gpointer    user_data)
{
  Counter *counter = user_data;

  for (int step = 1; step <= 3; step++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;

      /* Parks the task; GTK keeps drawing and handling input meanwhile. */
      if (!bridge_sleep (0.05, &error))
        {
          /* Cancelled because the window is gone: touch no widget. */
          counter->n_cancelled++;
          return;
        }
      text = g_strdup_printf ("Step %d of 3", step);
      gtk_label_set_text (GTK_LABEL (counter->label), text);
    }
  counter->n_finished++;
}

static void
task_done (BridgeFuture *future,
           gpointer      user_data)
{
  Counter *counter = user_data;

  g_clear_pointer (&counter->task, bridge_task_unref);
  g_application_release (G_APPLICATION (counter->app));
}

static void
on_clicked (GtkButton *button,
            Counter   *counter)
{
  if (counter->task != NULL)
    return;                                   /* one at a time */

  /* A signal handler only spawns: the task runs from the next iteration. */
  counter->task = bridge_spawn (count_steps, counter, NULL);
  g_application_hold (G_APPLICATION (counter->app));
  bridge_future_add_done_callback (BRIDGE_FUTURE (counter->task), task_done, counter, NULL);
}

static void
on_destroy (GtkWidget *window,
            Counter   *counter)
{
  /* The task must not outlive its widgets. */
  if (counter->task != NULL)
    bridge_task_cancel (counter->task, "window closed");
  counter->window = counter->label = counter->button = counter->entry = NULL;
}

static void
self_test_close (gpointer user_data)
{
  Counter *counter = user_data;

  gtk_window_destroy (GTK_WINDOW (counter->window));
}

static void
self_test_second_click (gpointer user_data)
{
  Counter *counter = user_data;

  g_signal_emit_by_name (counter->button, "clicked");
  bridge_loop_call_later (bridge_loop_get_default (), 0.07, self_test_close, counter, NULL);
}

static void
self_test_search_done (gpointer user_data)
{
  Counter *counter = user_data;

  if (counter->n_searches == 0)
    {
      bridge_loop_call_later (bridge_loop_get_default (), 0.01, self_test_search_done, counter, NULL);
      return;
    }
  /* Each keystroke cancelled the search before it: only the last one ran. */
  g_assert_cmpuint (counter->n_searches, ==, 1);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (counter->label)), ==, "abc");
  self_test_second_click (counter);
}

static void
self_test_type (gpointer user_data)
{
  Counter *counter = user_data;

  g_assert (counter->n_finished == 1);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (counter->label)), ==, "Step 3 of 3");
  gtk_editable_set_text (GTK_EDITABLE (counter->entry), "a");
  gtk_editable_set_text (GTK_EDITABLE (counter->entry), "ab");
  gtk_editable_set_text (GTK_EDITABLE (counter->entry), "abc");
  self_test_search_done (counter);
}

static void
self_test_first_click_done (BridgeFuture *future,
                            gpointer      user_data)
{
  bridge_loop_call_soon (bridge_loop_get_default (), self_test_type, user_data, NULL);
}

static void
on_activate (GtkApplication *app,
             Counter        *counter)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  counter->window = gtk_application_window_new (app);
  counter->label = gtk_label_new ("Not started");
  counter->button = gtk_button_new_with_label ("Count");
  counter->entry = gtk_entry_new ();
  gtk_box_append (GTK_BOX (box), counter->label);
  gtk_box_append (GTK_BOX (box), counter->button);
  gtk_box_append (GTK_BOX (box), counter->entry);
  gtk_window_set_child (GTK_WINDOW (counter->window), box);
  g_signal_connect (counter->button, "clicked", G_CALLBACK (on_clicked), counter);
  /* Search as you type: a keystroke cancels the search still running. */
  bridge_signal_connect_task (counter->entry, "changed", search_task, counter, NULL,
                              BRIDGE_CONNECT_RESTART);
  g_signal_connect (counter->window, "destroy", G_CALLBACK (on_destroy), counter);
  gtk_window_present (GTK_WINDOW (counter->window));

  g_signal_emit_by_name (counter->button, "clicked");
  bridge_future_add_done_callback (BRIDGE_FUTURE (counter->task),
                                   self_test_first_click_done, counter, NULL);
}

int
main (int   argc,
      char *argv[])
{
  Counter counter = { 0 };
  int status;

  /* Bulk transfers complete below GTK's redraw priority, task steps at the default. */
  g_assert (bridge_loop_get_io_priority (bridge_loop_get_default ()) == BRIDGE_PRIORITY_BULK_IO);
  g_assert (bridge_loop_get_priority (bridge_loop_get_default ()) == G_PRIORITY_DEFAULT);

  counter.app = gtk_application_new ("io.github.libbridge.GuideGtk", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (counter.app, "activate", G_CALLBACK (on_activate), &counter);
  /* No loop to run: the application's main loop runs libbridge's GSource. */
  status = g_application_run (G_APPLICATION (counter.app), argc, argv);
  g_object_unref (counter.app);

  if (status != 0 || counter.n_finished != 1 || counter.n_cancelled != 1 || counter.task != NULL)
    {
      g_printerr ("finished %u, cancelled %u\n", counter.n_finished, counter.n_cancelled);
      return 1;
    }
  return 0;
}
