/* test-object.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gunixinputstream.h>
#include <unistd.h>

#include "test-gio-util.h"

/* bridge_task_bind_object(): a task dies with its object, the object is not
 * kept alive, the binding goes with the task, and the object's application
 * is held while the task runs. */

/* ---- an object with an "application" property, like a GtkWindow ---------------- */

#define TEST_TYPE_WINDOW (test_window_get_type ())
G_DECLARE_FINAL_TYPE (TestWindow, test_window, TEST, WINDOW, GObject)

struct _TestWindow
{
  GObject       parent_instance;
  GApplication *application;
};

G_DEFINE_FINAL_TYPE (TestWindow, test_window, G_TYPE_OBJECT)

static void
test_window_dispose (GObject *object)
{
  g_clear_object (&TEST_WINDOW (object)->application);
  G_OBJECT_CLASS (test_window_parent_class)->dispose (object);
}

static void
test_window_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  g_value_set_object (value, TEST_WINDOW (object)->application);
}

static void
test_window_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  g_set_object (&TEST_WINDOW (object)->application, g_value_get_object (value));
}

static void
test_window_class_init (TestWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = test_window_dispose;
  object_class->get_property = test_window_get_property;
  object_class->set_property = test_window_set_property;
  g_object_class_install_property (object_class, 1,
    g_param_spec_object ("application", NULL, NULL, G_TYPE_APPLICATION,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
test_window_init (TestWindow *self)
{
}

/* ---- a task that waits until cancelled -------------------------------------------- */

typedef struct
{
  gboolean  started;
  gboolean  returned;
  GError   *error;
} Sleeper;

static void
sleeper_body (BridgeTask *task,
              gpointer    user_data)
{
  Sleeper *sleeper = user_data;

  sleeper->started = TRUE;
  bridge_sleep (TEST_TIMEOUT_SECONDS, &sleeper->error);
  sleeper->returned = TRUE;
}

static BridgeTask *
spawn_sleeper (BridgeLoop *loop,
               Sleeper    *sleeper)
{
  return bridge_spawn_full (loop, "sleeper", BRIDGE_STACK_SIZE_DEFAULT, sleeper_body, sleeper, NULL);
}

static void
test_dispose_cancels_parked (LoopFixture   *fixture,
                             gconstpointer  user_data)
{
  Sleeper sleeper = { 0 };
  g_autoptr(BridgeTask) task = spawn_sleeper (fixture->loop, &sleeper);
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);
  const GError *error;

  bridge_task_bind_object (task, object);
  test_run_until (fixture->context, sleeper.started, TEST_TIMEOUT_SECONDS);
  g_assert_false (sleeper.returned);

  g_object_unref (object);
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (task)), TEST_TIMEOUT_SECONDS);

  /* The await saw the cancellation, and the task ended cancelled. */
  g_assert_error (sleeper.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
  error = bridge_future_get_error (BRIDGE_FUTURE (task));
  g_assert_nonnull (strstr (error->message, "was disposed"));
  g_clear_error (&sleeper.error);
}

static void
test_dispose_before_start (LoopFixture   *fixture,
                           gconstpointer  user_data)
{
  Sleeper sleeper = { 0 };
  g_autoptr(BridgeTask) task = spawn_sleeper (fixture->loop, &sleeper);
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);

  bridge_task_bind_object (task, object);
  g_object_unref (object);
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (task)), TEST_TIMEOUT_SECONDS);

  /* Cancelled before its first step: the body never ran. */
  g_assert_false (sleeper.started);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
}

static void
test_object_not_kept_alive (LoopFixture   *fixture,
                            gconstpointer  user_data)
{
  Sleeper sleeper = { 0 };
  g_autoptr(BridgeTask) task = spawn_sleeper (fixture->loop, &sleeper);
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);

  bridge_task_bind_object (task, object);
  test_run_until (fixture->context, sleeper.started, TEST_TIMEOUT_SECONDS);
  /* Our reference is the only one. */
  g_assert_finalize_object (object);
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (task)), TEST_TIMEOUT_SECONDS);
  g_clear_error (&sleeper.error);
}

static void
quick_body (BridgeTask *task,
            gpointer    user_data)
{
  bridge_task_return_int64 (task, 42);
}

static void
count_done_cb (BridgeFuture *future,
               gpointer      user_data)
{
  (*(guint *) user_data)++;
}

static void
test_binding_dropped_when_task_ends (LoopFixture   *fixture,
                                     gconstpointer  user_data)
{
  g_autoptr(BridgeTask) task = bridge_spawn_full (fixture->loop, NULL, 0, quick_body, NULL, NULL);
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);
  guint done_callbacks = 0;

  bridge_task_bind_object (task, object);
  bridge_future_add_done_callback (BRIDGE_FUTURE (task), count_done_cb, &done_callbacks, NULL);
  test_run_until (fixture->context, done_callbacks == 1, TEST_TIMEOUT_SECONDS);

  /* The binding's weak reference is gone with the task: disposing now
   * touches no freed binding (ASan) and changes nothing. */
  g_assert_finalize_object (object);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (task), NULL), ==, 42);
}

static void
test_bind_done_task (LoopFixture   *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(BridgeTask) task = bridge_spawn_full (fixture->loop, NULL, 0, quick_body, NULL, NULL);
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);

  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (task)), TEST_TIMEOUT_SECONDS);
  bridge_task_bind_object (task, object);
  g_assert_finalize_object (object);
  g_assert_false (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
}

static void
test_several_objects (LoopFixture   *fixture,
                      gconstpointer  user_data)
{
  Sleeper sleeper = { 0 };
  g_autoptr(BridgeTask) task = spawn_sleeper (fixture->loop, &sleeper);
  GObject *first = g_object_new (G_TYPE_OBJECT, NULL);
  GObject *second = g_object_new (G_TYPE_OBJECT, NULL);

  bridge_task_bind_object (task, first);
  bridge_task_bind_object (task, second);
  test_run_until (fixture->context, sleeper.started, TEST_TIMEOUT_SECONDS);

  g_object_unref (second);
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (task)), TEST_TIMEOUT_SECONDS);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
  /* The other binding went with the task. */
  g_assert_finalize_object (first);
  g_clear_error (&sleeper.error);
}

/* The cancellation reaches a GIO operation: a read from a pipe nobody
 * writes to is cancelled through the task's GCancellable. */
typedef struct
{
  GInputStream *stream;
  GCancellable *cancellable;
  GError       *error;
  gboolean      reading;
} PipeReader;

static void
pipe_reader_body (BridgeTask *task,
                  gpointer    user_data)
{
  PipeReader *reader = user_data;
  g_autoptr(GBytes) bytes = NULL;

  reader->cancellable = g_object_ref (bridge_task_get_cancellable (task));
  reader->reading = TRUE;
  bytes = bridge_input_stream_read_bytes (reader->stream, 16, G_PRIORITY_DEFAULT, &reader->error);
  g_assert_null (bytes);
}

static void
test_dispose_cancels_gio (LoopFixture   *fixture,
                          gconstpointer  user_data)
{
  PipeReader reader = { 0 };
  g_autoptr(BridgeTask) task = NULL;
  BridgeFuture *released;
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);
  int fds[2];

  g_assert_no_errno (pipe (fds));
  reader.stream = g_unix_input_stream_new (fds[0], TRUE);
  task = bridge_spawn_full (fixture->loop, NULL, 0, pipe_reader_body, &reader, NULL);
  bridge_task_bind_object (task, object);
  test_run_until (fixture->context, reader.reading, TEST_TIMEOUT_SECONDS);

  g_object_unref (object);
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (task)), TEST_TIMEOUT_SECONDS);
  g_assert_error (reader.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (g_cancellable_is_cancelled (reader.cancellable));

  /* GIO lets go of the stream once its cancelled read called back. */
  released = test_watch_finalize (reader.stream);
  g_object_unref (reader.stream);
  test_run_until (fixture->context, bridge_future_is_done (released), TEST_TIMEOUT_SECONDS);
  bridge_future_unref (released);
  close (fds[1]);
  g_clear_object (&reader.cancellable);
  g_clear_error (&reader.error);
}

static void
test_bind_not_a_task (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BridgeFuture) future = bridge_future_new ();
      g_autoptr(GObject) object = g_object_new (G_TYPE_OBJECT, NULL);

      bridge_task_bind_object ((BridgeTask *) future, object);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*bridge_task_bind_object*bridge_future_is_task*");
}

/* ---- the application is held --------------------------------------------------------- */

typedef struct
{
  BridgeTask *task;
  TestWindow *window;      /* NULL: bind to the application itself */
  gboolean    close_window_later;
  gint64      task_done_at;
  gint64      run_returned_at;
} AppCase;

static void
app_task_body (BridgeTask *task,
               gpointer    user_data)
{
  AppCase *app_case = user_data;
  g_autoptr(GError) error = NULL;

  /* Long enough that g_application_run() would have returned without a
   * hold; a closed window ends it early. */
  bridge_sleep (app_case->close_window_later ? TEST_TIMEOUT_SECONDS : 0.1, &error);
  app_case->task_done_at = g_get_monotonic_time ();
}

static void
close_window_cb (gpointer user_data)
{
  AppCase *app_case = user_data;

  g_clear_object (&app_case->window);
}

static void
app_activate_cb (GApplication *application,
                 gpointer      user_data)
{
  AppCase *app_case = user_data;

  app_case->task = bridge_spawn (app_task_body, app_case, NULL);
  if (app_case->window != NULL)
    {
      g_object_set (app_case->window, "application", application, NULL);
      bridge_task_bind_object (app_case->task, app_case->window);
    }
  else
    bridge_task_bind_object (app_case->task, application);

  if (app_case->close_window_later)
    bridge_loop_call_later (bridge_loop_get_default (), 0.05, close_window_cb, app_case, NULL);
}

static void
run_application (AppCase *app_case)
{
  g_autoptr(GApplication) application = g_application_new (NULL, G_APPLICATION_DEFAULT_FLAGS);

  g_signal_connect (application, "activate", G_CALLBACK (app_activate_cb), app_case);
  g_assert_cmpint (g_application_run (application, 0, NULL), ==, 0);
  app_case->run_returned_at = g_get_monotonic_time ();
}

static void
test_application_held (void)
{
  AppCase app_case = { 0 };

  run_application (&app_case);
  /* The application ran until the task ended, not past it. */
  g_assert_true (bridge_future_is_done (BRIDGE_FUTURE (app_case.task)));
  g_assert_cmpint (app_case.task_done_at, >, 0);
  g_assert_cmpint (app_case.run_returned_at, >=, app_case.task_done_at);
  g_assert_false (bridge_future_is_cancelled (BRIDGE_FUTURE (app_case.task)));
  g_clear_pointer (&app_case.task, bridge_task_unref);
}

static void
test_application_held_by_window_task (void)
{
  AppCase app_case = { 0 };

  app_case.window = g_object_new (TEST_TYPE_WINDOW, NULL);
  run_application (&app_case);
  g_assert_true (bridge_future_is_done (BRIDGE_FUTURE (app_case.task)));
  g_assert_cmpint (app_case.run_returned_at, >=, app_case.task_done_at);
  g_clear_object (&app_case.window);
  g_clear_pointer (&app_case.task, bridge_task_unref);
}

static void
test_application_released_when_window_closes (void)
{
  AppCase app_case = { 0 };

  app_case.window = g_object_new (TEST_TYPE_WINDOW, NULL);
  app_case.close_window_later = TRUE;
  run_application (&app_case);
  /* The window went, its task was cancelled, and the application could
   * return long before the task's sleep was over. */
  g_assert_null (app_case.window);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (app_case.task)));
  g_assert_cmpint (app_case.run_returned_at, >=, app_case.task_done_at);
  g_clear_pointer (&app_case.task, bridge_task_unref);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  LOOP_TEST ("/libbridge/object/dispose-cancels-parked-task", test_dispose_cancels_parked);
  LOOP_TEST ("/libbridge/object/dispose-before-start", test_dispose_before_start);
  LOOP_TEST ("/libbridge/object/not-kept-alive", test_object_not_kept_alive);
  LOOP_TEST ("/libbridge/object/binding-dropped-when-task-ends", test_binding_dropped_when_task_ends);
  LOOP_TEST ("/libbridge/object/bind-done-task", test_bind_done_task);
  LOOP_TEST ("/libbridge/object/several-objects", test_several_objects);
  LOOP_TEST ("/libbridge/object/dispose-cancels-gio", test_dispose_cancels_gio);
  g_test_add_func ("/libbridge/object/bind-not-a-task", test_bind_not_a_task);
  g_test_add_func ("/libbridge/object/application-held", test_application_held);
  g_test_add_func ("/libbridge/object/application-held-by-window-task", test_application_held_by_window_task);
  g_test_add_func ("/libbridge/object/application-released-when-window-closes",
                   test_application_released_when_window_closes);

  return g_test_run ();
}
