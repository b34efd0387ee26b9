/* test-signal-task.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "test-gio-util.h"

/* bridge_signal_connect_task(): one task per emission, started after the
 * emission with copies of its arguments, bound to the instance; RESTART,
 * EXCLUSIVE, HANDLED; disconnecting cancels unless told otherwise; the
 * user data outlives every task. */

/* ---- an object with signals ------------------------------------------------------ */

#define TEST_TYPE_BUTTON (test_button_get_type ())
G_DECLARE_FINAL_TYPE (TestButton, test_button, TEST, BUTTON, GObject)

struct _TestButton
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (TestButton, test_button, G_TYPE_OBJECT)

enum { CLICKED, CLOSE_REQUEST, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
test_button_class_init (TestButtonClass *klass)
{
  /* clicked (const char *label, GObject *payload) */
  signals[CLICKED] = g_signal_new ("clicked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                   G_TYPE_STRING, G_TYPE_OBJECT);
  signals[CLOSE_REQUEST] = g_signal_new ("close-request", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, g_signal_accumulator_true_handled, NULL, NULL,
                                         G_TYPE_BOOLEAN, 0);
}

static void
test_button_init (TestButton *self)
{
}

static void
click (gpointer    button,
       const char *label)
{
  g_autoptr(GObject) payload = g_object_new (G_TYPE_OBJECT, NULL);
  g_autofree char *copy = g_strdup (label);

  g_signal_emit (button, signals[CLICKED], 0, copy, payload);
  /* Whatever the emitter passed is gone after the emission. */
}

/* ---- what the handler tasks record --------------------------------------------------- */

typedef struct
{
  guint       started;
  guint       finished;     /* returned after a full sleep */
  guint       cancelled;    /* saw G_IO_ERROR_CANCELLED */
  gboolean    emitting;
  gboolean    started_during_emission;
  GPtrArray  *labels;
  GPtrArray  *tasks;
  double      sleep;
  guint       destroyed;
} Record;

static void
record_init (Record *record,
             double  sleep)
{
  memset (record, 0, sizeof *record);
  record->labels = g_ptr_array_new_with_free_func (g_free);
  record->tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_task_unref);
  record->sleep = sleep;
}

static void
record_clear (Record *record)
{
  g_ptr_array_unref (record->labels);
  g_ptr_array_unref (record->tasks);
}

static void
record_destroy (gpointer user_data)
{
  Record *record = user_data;

  record->destroyed++;
}

static void
clicked_task (BridgeTask   *task,
              gpointer      instance,
              const GValue *params,
              guint         n_params,
              gpointer      user_data)
{
  Record *record = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (TEST_IS_BUTTON (instance));
  g_assert_cmpuint (n_params, ==, 2);
  g_assert_true (G_VALUE_HOLDS_STRING (&params[0]));
  g_assert_true (G_IS_OBJECT (g_value_get_object (&params[1])));
  /* The payload object was referenced for the task. */
  g_assert_cmpuint (G_OBJECT (g_value_get_object (&params[1]))->ref_count, >=, 1);

  record->started++;
  if (record->emitting)
    record->started_during_emission = TRUE;
  g_ptr_array_add (record->labels, g_value_dup_string (&params[0]));
  g_ptr_array_add (record->tasks, bridge_task_ref (task));
  g_assert_cmpstr (bridge_task_get_name (task), ==, "clicked");

  if (bridge_sleep (record->sleep, &error))
    record->finished++;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    record->cancelled++;
}

static gboolean
all_done (Record *record)
{
  for (guint i = 0; i < record->tasks->len; i++)
    if (!bridge_future_is_done (g_ptr_array_index (record->tasks, i)))
      return FALSE;
  return TRUE;
}

/* The handler spawns on the loop current at connection time: make the
 * fixture's loop the current one for the whole test. */
static void
current_loop_setup (LoopFixture   *fixture,
                    gconstpointer  user_data)
{
  loop_fixture_setup (fixture, user_data);
  g_main_context_push_thread_default (fixture->context);
}

static void
current_loop_teardown (LoopFixture   *fixture,
                       gconstpointer  user_data)
{
  g_main_context_pop_thread_default (fixture->context);
  loop_fixture_teardown (fixture, user_data);
}

#define CURRENT_LOOP_TEST(path, func) \
  g_test_add (path, LoopFixture, NULL, current_loop_setup, func, current_loop_teardown)

#define RUN_UNTIL(cond) test_run_until (fixture->context, (cond), TEST_TIMEOUT_SECONDS)

/* ---- one task per emission ------------------------------------------------------------ */

static void
test_default_task_per_emission (LoopFixture   *fixture,
                                gconstpointer  user_data)
{
  TestButton *button = g_object_new (TEST_TYPE_BUTTON, NULL);
  Record record;
  gulong id;

  record_init (&record, 0.05);
  id = bridge_signal_connect_task (button, "clicked", clicked_task, &record, record_destroy,
                                   BRIDGE_CONNECT_DEFAULT);
  g_assert_cmpuint (id, >, 0);

  record.emitting = TRUE;
  click (button, "one");
  click (button, "two");
  record.emitting = FALSE;
  /* Nothing ran inside the emissions. */
  g_assert_cmpuint (record.started, ==, 0);

  RUN_UNTIL (record.finished == 2);
  g_assert_false (record.started_during_emission);
  /* Both ran side by side: each saw its own copy of the arguments. */
  g_assert_cmpstr (g_ptr_array_index (record.labels, 0), ==, "one");
  g_assert_cmpstr (g_ptr_array_index (record.labels, 1), ==, "two");
  g_assert_cmpuint (record.cancelled, ==, 0);

  g_assert_cmpuint (record.destroyed, ==, 0);
  g_signal_handler_disconnect (button, id);
  g_assert_cmpuint (record.destroyed, ==, 1);
  g_assert_finalize_object (button);
  record_clear (&record);
}

typedef struct
{
  TestButton *button;
  Record     *record;
  guint       started_after_click;
} EmitterTask;

static void
emitter_body (BridgeTask *task,
              gpointer    user_data)
{
  EmitterTask *emitter = user_data;

  click (emitter->button, "from a task");
  emitter->started_after_click = emitter->record->started;
}

static void
test_emitted_from_task (LoopFixture   *fixture,
                        gconstpointer  user_data)
{
  TestButton *button = g_object_new (TEST_TYPE_BUTTON, NULL);
  g_autoptr(BridgeTask) task = NULL;
  EmitterTask emitter = { button, NULL, G_MAXUINT };
  Record record;

  record_init (&record, 0);
  emitter.record = &record;
  bridge_signal_connect_task (button, "clicked", clicked_task, &record, NULL, BRIDGE_CONNECT_DEFAULT);

  /* Emitted by a task: the new task does not run inside it either. */
  task = bridge_spawn_full (fixture->loop, NULL, 0, emitter_body, &emitter, NULL);
  RUN_UNTIL (record.finished == 1);
  g_assert_cmpuint (emitter.started_after_click, ==, 0);
  RUN_UNTIL (all_done (&record));
  g_assert_finalize_object (button);
  record_clear (&record);
}

static void
test_instance_disposed_cancels (LoopFixture   *fixture,
                                gconstpointer  user_data)
{
  TestButton *button = g_object_new (TEST_TYPE_BUTTON, NULL);
  Record record;

  record_init (&record, TEST_TIMEOUT_SECONDS);
  bridge_signal_connect_task (button, "clicked", clicked_task, &record, record_destroy,
                              BRIDGE_CONNECT_DEFAULT);
  click (button, "a");
  RUN_UNTIL (record.started == 1);

  /* The instance is not kept alive by its tasks, and takes them along. */
  g_assert_finalize_object (button);
  RUN_UNTIL (all_done (&record));
  g_assert_cmpuint (record.cancelled, ==, 1);
  g_assert_true (bridge_future_is_cancelled (g_ptr_array_index (record.tasks, 0)));
  /* The user data went once the last task was over. */
  RUN_UNTIL (record.destroyed == 1);
  record_clear (&record);
}

static void
test_restart_cancels_previous (LoopFixture   *fixture,
                               gconstpointer  user_data)
{
  TestButton *button = g_object_new (TEST_TYPE_BUTTON, NULL);
  Record record;

  record_init (&record, 0.2);
  bridge_signal_connect_task (button, "clicked", clicked_task, &record, NULL, BRIDGE_CONNECT_RESTART);
  click (button, "s");
  RUN_UNTIL (record.started == 1);
  click (button, "se");
  RUN_UNTIL (record.started == 2);
  click (button, "sea");
  RUN_UNTIL (record.finished == 1);
  RUN_UNTIL (all_done (&record));

  /* Only the latest query ran to its end; the others were cancelled in
   * their await. */
  g_assert_cmpuint (record.started, ==, 3);
  g_assert_cmpuint (record.cancelled, ==, 2);
  g_assert_true (bridge_future_is_cancelled (g_ptr_array_index (record.tasks, 0)));
  g_assert_true (bridge_future_is_cancelled (g_ptr_array_index (record.tasks, 1)));
  g_assert_false (bridge_future_is_cancelled (g_ptr_array_index (record.tasks, 2)));
  g_assert_cmpstr (g_ptr_array_index (record.labels, 2), ==, "sea");
  g_assert_finalize_object (button);
  record_clear (&record);
}

static void
test_exclusive_ignores_while_running (LoopFixture   *fixture,
                                      gconstpointer  user_data)
{
  TestButton *button = g_object_new (TEST_TYPE_BUTTON, NULL);
  Record record;

  record_init (&record, 0.1);
  bridge_signal_connect_task (button, "clicked", clicked_task, &record, NULL, BRIDGE_CONNECT_EXCLUSIVE);
  click (button, "first");
  click (button, "double-click");
  RUN_UNTIL (record.started == 1);
  click (button, "while running");
  RUN_UNTIL (record.finished == 1);
  RUN_UNTIL (all_done (&record));
  g_assert_cmpuint (record.started, ==, 1);

  /* Once it is over, an emission starts a task again. */
  click (button, "again");
  RUN_UNTIL (record.finished == 2);
  g_assert_cmpuint (record.started, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (record.labels, 1), ==, "again");
  g_assert_cmpuint (record.cancelled, ==, 0);
  g_assert_finalize_object (button);
  record_clear (&record);
}

static void
test_disconnect_cancels_running (LoopFixture   *fixture,
                                 gconstpointer  user_data)
{
  TestButton *button = g_object_new (TEST_TYPE_BUTTON, NULL);
  Record record;
  gulong id;

  record_init (&record, TEST_TIMEOUT_SECONDS);
  id = bridge_signal_connect_task (button, "clicked", clicked_task, &record, record_destroy,
                                   BRIDGE_CONNECT_DEFAULT);
  click (button, "a");
  click (button, "b");
  RUN_UNTIL (record.started == 2);

  g_signal_handler_disconnect (button, id);
  /* The tasks still use the data: it is not freed yet. */
  g_assert_cmpuint (record.destroyed, ==, 0);
  RUN_UNTIL (all_done (&record));
  g_assert_cmpuint (record.cancelled, ==, 2);
  RUN_UNTIL (record.destroyed == 1);

  /* No more tasks after the disconnection. */
  click (button, "c");
  g_assert_finalize_object (button);
  g_assert_cmpuint (record.started, ==, 2);
  record_clear (&record);
}

static void
test_disconnect_keeps_tasks (LoopFixture   *fixture,
                             gconstpointer  user_data)
{
  TestButton *button = g_object_new (TEST_TYPE_BUTTON, NULL);
  Record record;
  gulong id;

  record_init (&record, 0.05);
  id = bridge_signal_connect_task (button, "clicked", clicked_task, &record, record_destroy,
                                   BRIDGE_CONNECT_KEEP_ON_DISCONNECT);
  click (button, "a");
  RUN_UNTIL (record.started == 1);
  g_signal_handler_disconnect (button, id);
  RUN_UNTIL (all_done (&record));
  g_assert_cmpuint (record.finished, ==, 1);
  g_assert_cmpuint (record.cancelled, ==, 0);
  RUN_UNTIL (record.destroyed == 1);
  g_assert_finalize_object (button);
  record_clear (&record);
}

static void
test_blocked_handler (LoopFixture   *fixture,
                      gconstpointer  user_data)
{
  TestButton *button = g_object_new (TEST_TYPE_BUTTON, NULL);
  Record record;
  gulong id;

  record_init (&record, 0);
  id = bridge_signal_connect_task (button, "clicked", clicked_task, &record, NULL, BRIDGE_CONNECT_DEFAULT);
  g_signal_handler_block (button, id);
  click (button, "blocked");
  g_signal_handler_unblock (button, id);
  click (button, "unblocked");
  RUN_UNTIL (record.finished == 1);
  RUN_UNTIL (all_done (&record));
  g_assert_cmpuint (record.started, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (record.labels, 0), ==, "unblocked");
  g_assert_finalize_object (button);
  record_clear (&record);
}

/* ---- an asynchronous close ----------------------------------------------------------- */

typedef struct
{
  guint     asked;
  guint     finished;
  gboolean  confirm;
  gboolean  closed;
} CloseState;

static void
close_task (BridgeTask   *task,
            gpointer      instance,
            const GValue *params,
            guint         n_params,
            gpointer      user_data)
{
  CloseState *state = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (n_params, ==, 0);
  state->asked++;
  /* "Save changes?" */
  if (bridge_sleep (0.05, &error) && state->confirm)
    state->closed = TRUE;   /* a window would call gtk_window_destroy() here */
  state->finished++;
}

static gboolean
request_close (gpointer button)
{
  gboolean handled = FALSE;

  g_signal_emit (button, signals[CLOSE_REQUEST], 0, &handled);
  return handled;
}

static void
test_handled_keeps_open (LoopFixture   *fixture,
                         gconstpointer  user_data)
{
  TestButton *button = g_object_new (TEST_TYPE_BUTTON, NULL);
  CloseState state = { 0 };

  bridge_signal_connect_task (button, "close-request", close_task, &state, NULL,
                              BRIDGE_CONNECT_EXCLUSIVE | BRIDGE_CONNECT_HANDLED);
  /* The emission says "handled", so the window stays open, and a second
   * close click while the question is up is ignored, and handled too. */
  g_assert_true (request_close (button));
  g_assert_true (request_close (button));
  RUN_UNTIL (state.asked == 1);
  g_assert_true (request_close (button));
  RUN_UNTIL (state.finished == 1);
  g_assert_cmpuint (state.asked, ==, 1);
  g_assert_false (state.closed);

  /* The user confirms the next time. */
  state.confirm = TRUE;
  g_assert_true (request_close (button));
  RUN_UNTIL (state.finished == 2);
  g_assert_true (state.closed);
  g_assert_finalize_object (button);
}

static void
test_not_handled_without_flag (LoopFixture   *fixture,
                               gconstpointer  user_data)
{
  TestButton *button = g_object_new (TEST_TYPE_BUTTON, NULL);
  CloseState state = { 0 };

  bridge_signal_connect_task (button, "close-request", close_task, &state, NULL, BRIDGE_CONNECT_DEFAULT);
  g_assert_false (request_close (button));
  RUN_UNTIL (state.finished == 1);
  g_assert_finalize_object (button);
}

/* ---- misuse ------------------------------------------------------------------------------ */

static void
test_restart_and_exclusive (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(TestButton) button = g_object_new (TEST_TYPE_BUTTON, NULL);

      bridge_signal_connect_task (button, "clicked", clicked_task, NULL, NULL,
                                  BRIDGE_CONNECT_RESTART | BRIDGE_CONNECT_EXCLUSIVE);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*BRIDGE_CONNECT_RESTART and BRIDGE_CONNECT_EXCLUSIVE contradict*");
}

static void
test_unknown_signal (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(TestButton) button = g_object_new (TEST_TYPE_BUTTON, NULL);

      bridge_signal_connect_task (button, "no-such-signal", clicked_task, NULL, NULL, 0);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*TestButton has no signal*no-such-signal*");
}

static gpointer
click_from_thread (gpointer button)
{
  click (button, "thread");
  return NULL;
}

static void
test_emission_from_other_thread (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(TestButton) button = g_object_new (TEST_TYPE_BUTTON, NULL);
      Record record;

      record_init (&record, 0);
      bridge_signal_connect_task (button, "clicked", clicked_task, &record, NULL, 0);
      g_thread_join (g_thread_new ("emitter", click_from_thread, button));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*emitted on a thread other than*no task was started*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  CURRENT_LOOP_TEST ("/libbridge/signal-task/default/task-per-emission", test_default_task_per_emission);
  CURRENT_LOOP_TEST ("/libbridge/signal-task/default/emitted-from-task", test_emitted_from_task);
  CURRENT_LOOP_TEST ("/libbridge/signal-task/instance-disposed-cancels", test_instance_disposed_cancels);
  CURRENT_LOOP_TEST ("/libbridge/signal-task/restart/cancels-previous", test_restart_cancels_previous);
  CURRENT_LOOP_TEST ("/libbridge/signal-task/exclusive/ignores-while-running", test_exclusive_ignores_while_running);
  CURRENT_LOOP_TEST ("/libbridge/signal-task/disconnect/cancels-running", test_disconnect_cancels_running);
  CURRENT_LOOP_TEST ("/libbridge/signal-task/disconnect/keep-on-disconnect", test_disconnect_keeps_tasks);
  CURRENT_LOOP_TEST ("/libbridge/signal-task/handler-id/block", test_blocked_handler);
  CURRENT_LOOP_TEST ("/libbridge/signal-task/handled/keeps-window-open", test_handled_keeps_open);
  CURRENT_LOOP_TEST ("/libbridge/signal-task/handled/default-not-handled", test_not_handled_without_flag);
  g_test_add_func ("/libbridge/signal-task/misuse/restart-and-exclusive", test_restart_and_exclusive);
  g_test_add_func ("/libbridge/signal-task/misuse/unknown-signal", test_unknown_signal);
  g_test_add_func ("/libbridge/signal-task/misuse/emission-from-other-thread", test_emission_from_other_thread);

  return g_test_run ();
}
