/* gtk-search.c: search as you type, and a window that asks before closing.
 *
 * The entry's "search-changed" signal starts a task with
 * bridge_signal_connect_task (…, BRIDGE_CONNECT_RESTART): a new keystroke
 * cancels the search still running, so only the latest query shows its
 * results. The window's "close-request" starts a task with
 * BRIDGE_CONNECT_EXCLUSIVE | BRIDGE_CONNECT_HANDLED: the window stays open
 * while the task asks "Discard the search?", repeated close clicks are
 * ignored meanwhile, and the task destroys the window if the answer is yes
 * (qasync's asyncClose). Tasks are bound to their widgets, so closing the
 * window cancels a search in flight, and the application stays up until
 * they have ended.
 *
 * With --self-test it types a query letter by letter, checks that only the
 * last one completed, closes the window, says no, closes again, says yes.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gtk/gtk.h>
#include <libbridge.h>

#define TASK_STACK (1024 * 1024)   /* GTK calls nest deeply */

typedef struct
{
  GtkApplication *app;
  GtkWidget      *window;
  GtkWidget      *entry;
  GtkWidget      *results;
  GtkWidget      *question;
  BridgeEvent    *answered;
  gboolean        answer;
  guint           searches_started;
  guint           searches_finished;
  gboolean        self_test;
  gboolean        failed;
} Demo;

/* ---- search as you type -------------------------------------------------------------- */

static void
search_task (BridgeTask   *task,
             gpointer      entry,
             const GValue *params,
             guint         n_params,
             gpointer      user_data)
{
  Demo *demo = user_data;
  g_autofree char *query = g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry)));
  g_autofree char *text = NULL;

  demo->searches_started++;
  /* A slow lookup. A newer keystroke cancels it here. */
  if (!bridge_sleep (0.2, NULL))
    return;   /* cancelled: the entry may be gone, touch nothing */

  demo->searches_finished++;
  text = g_strdup_printf ("Results for “%s”", query);
  gtk_label_set_text (GTK_LABEL (demo->results), text);
}

/* ---- closing after a question ---------------------------------------------------------- */

static void
answer_cb (GtkButton *button,
           gpointer   user_data)
{
  Demo *demo = user_data;

  demo->answer = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "answer"));
  bridge_event_set (demo->answered);
}

static void
close_task (BridgeTask   *task,
            gpointer      window,
            const GValue *params,
            guint         n_params,
            gpointer      user_data)
{
  Demo *demo = user_data;
  g_autoptr(GError) error = NULL;

  gtk_widget_set_visible (demo->question, TRUE);
  bridge_event_clear (demo->answered);
  if (!bridge_event_wait (demo->answered, &error))
    return;
  gtk_widget_set_visible (demo->question, FALSE);

  if (demo->answer)
    gtk_window_destroy (window);
}

/* ---- self-test --------------------------------------------------------------------------- */

static void
click_answer (Demo       *demo,
              const char *name)
{
  GtkWidget *button = g_object_get_data (G_OBJECT (demo->question), name);

  g_signal_emit_by_name (button, "clicked");
}

static void
self_test_task (BridgeTask *task,
                gpointer    user_data)
{
  Demo *demo = user_data;
  const char *word = "bridge";

  for (gsize i = 1; i <= strlen (word); i++)
    {
      g_autofree char *prefix = g_strndup (word, i);

      gtk_editable_set_text (GTK_EDITABLE (demo->entry), prefix);
      bridge_sleep (0.03, NULL);
    }
  while (demo->searches_finished == 0)
    bridge_sleep (0.05, NULL);
  bridge_sleep (0.3, NULL);
  if (demo->searches_finished != 1 ||
      !g_str_equal (gtk_label_get_text (GTK_LABEL (demo->results)), "Results for “bridge”"))
    {
      g_printerr ("gtk-search: %u searches finished, label “%s”\n", demo->searches_finished,
                  gtk_label_get_text (GTK_LABEL (demo->results)));
      demo->failed = TRUE;
    }

  /* Close, twice: one question only; say no, the window stays. */
  gtk_window_close (GTK_WINDOW (demo->window));
  gtk_window_close (GTK_WINDOW (demo->window));
  bridge_sleep (0.05, NULL);
  click_answer (demo, "no");
  bridge_sleep (0.05, NULL);
  if (!gtk_widget_get_visible (demo->window))
    demo->failed = TRUE;

  /* Close again and say yes: the window goes, the application ends. */
  gtk_window_close (GTK_WINDOW (demo->window));
  bridge_sleep (0.05, NULL);
  click_answer (demo, "yes");
}

static void
activate_cb (GtkApplication *app,
             gpointer        user_data)
{
  Demo *demo = user_data;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *yes = gtk_button_new_with_label ("Discard");
  GtkWidget *no = gtk_button_new_with_label ("Keep");

  demo->window = gtk_application_window_new (app);
  gtk_window_set_title (GTK_WINDOW (demo->window), "Search");
  gtk_window_set_default_size (GTK_WINDOW (demo->window), 360, 160);
  demo->entry = gtk_search_entry_new ();
  demo->results = gtk_label_new ("Type to search");
  demo->question = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_box_append (GTK_BOX (demo->question), gtk_label_new ("Discard the search?"));
  gtk_box_append (GTK_BOX (buttons), no);
  gtk_box_append (GTK_BOX (buttons), yes);
  gtk_box_append (GTK_BOX (demo->question), buttons);
  gtk_widget_set_visible (demo->question, FALSE);
  g_object_set_data (G_OBJECT (yes), "answer", GINT_TO_POINTER (TRUE));
  g_object_set_data (G_OBJECT (no), "answer", GINT_TO_POINTER (FALSE));
  g_object_set_data (G_OBJECT (demo->question), "yes", yes);
  g_object_set_data (G_OBJECT (demo->question), "no", no);
  g_signal_connect (yes, "clicked", G_CALLBACK (answer_cb), demo);
  g_signal_connect (no, "clicked", G_CALLBACK (answer_cb), demo);

  gtk_box_append (GTK_BOX (box), demo->entry);
  gtk_box_append (GTK_BOX (box), demo->results);
  gtk_box_append (GTK_BOX (box), demo->question);
  gtk_window_set_child (GTK_WINDOW (demo->window), box);

  bridge_signal_connect_task (demo->entry, "search-changed", search_task, demo, NULL,
                              BRIDGE_CONNECT_RESTART);
  bridge_signal_connect_task (demo->window, "close-request", close_task, demo, NULL,
                              BRIDGE_CONNECT_EXCLUSIVE | BRIDGE_CONNECT_HANDLED);
  gtk_window_present (GTK_WINDOW (demo->window));

  if (demo->self_test)
    {
      BridgeTask *test = bridge_spawn_full (NULL, "self-test", TASK_STACK, self_test_task, demo, NULL);

      bridge_task_bind_object (test, demo->window);
      bridge_task_unref (test);
    }
}

int
main (int   argc,
      char *argv[])
{
  Demo demo = { 0 };
  int status;

  demo.self_test = argc > 1 && g_str_equal (argv[1], "--self-test");
  demo.answered = bridge_event_new ();
  /* The signal tasks run GTK code: give every task a larger stack. */
  g_setenv ("BRIDGE_STACK_SIZE", "1m", FALSE);
  demo.app = gtk_application_new (NULL, G_APPLICATION_DEFAULT_FLAGS);
  g_signal_connect (demo.app, "activate", G_CALLBACK (activate_cb), &demo);
  status = g_application_run (G_APPLICATION (demo.app), 1, argv);
  g_object_unref (demo.app);
  bridge_event_unref (demo.answered);

  if (demo.self_test && (demo.failed || demo.searches_finished != 1))
    return 1;
  return status;
}
