/* test-signal.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "test-gio-util.h"

/* bridge_await_signal(): a GObject signal awaited once, with a timeout, a
 * cancellation, a detail, a return value, and an emission from another
 * thread; the handler is gone afterwards in every case. */

/* ---- an object with signals ------------------------------------------------------ */

#define TEST_TYPE_EMITTER (test_emitter_get_type ())
G_DECLARE_FINAL_TYPE (TestEmitter, test_emitter, TEST, EMITTER, GObject)

struct _TestEmitter
{
  GObject  parent_instance;
  char    *name;
  int      value;
};

G_DEFINE_FINAL_TYPE (TestEmitter, test_emitter, G_TYPE_OBJECT)

enum { PROP_0, PROP_NAME, PROP_VALUE, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { PING, QUERY, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
test_emitter_finalize (GObject *object)
{
  TestEmitter *self = (TestEmitter *) object;

  g_free (self->name);
  G_OBJECT_CLASS (test_emitter_parent_class)->finalize (object);
}

static void
test_emitter_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  TestEmitter *self = (TestEmitter *) object;

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_VALUE:
      g_value_set_int (value, self->value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_emitter_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  TestEmitter *self = (TestEmitter *) object;

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (self->name);
      self->name = g_value_dup_string (value);
      break;
    case PROP_VALUE:
      self->value = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_emitter_class_init (TestEmitterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = test_emitter_finalize;
  object_class->get_property = test_emitter_get_property;
  object_class->set_property = test_emitter_set_property;

  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL,
                                               G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_VALUE] = g_param_spec_int ("value", NULL, NULL, 0, G_MAXINT, 0,
                                             G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PING] = g_signal_new ("ping", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[QUERY] = g_signal_new ("query", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_BOOLEAN, 0);
}

static void
test_emitter_init (TestEmitter *self)
{
}

static gboolean
has_handlers (TestEmitter *emitter)
{
  return g_signal_has_handler_pending (emitter, signals[PING], 0, FALSE) ||
         g_signal_has_handler_pending (emitter, signals[QUERY], 0, FALSE) ||
         g_signal_has_handler_pending (emitter, g_signal_lookup ("notify", G_TYPE_OBJECT), 0, FALSE);
}

static void
run_body (BridgeTaskFunc func)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (func, NULL, &error));
  g_assert_no_error (error);
}

static void
ping_cb (gpointer user_data)
{
  g_signal_emit (user_data, signals[PING], 0, 1);
}

/* ---- tests -------------------------------------------------------------------------- */

static void
emitted_body (BridgeTask *task,
              gpointer    user_data)
{
  g_autoptr(TestEmitter) emitter = g_object_new (TEST_TYPE_EMITTER, NULL);
  g_autoptr(GError) error = NULL;

  /* An emission before the wait is not seen. */
  g_signal_emit (emitter, signals[PING], 0, 1);

  bridge_loop_call_later (bridge_loop_get_default (), 0.01, ping_cb, emitter, NULL);
  g_assert_true (bridge_await_signal (emitter, "ping", 5.0, &error));
  g_assert_no_error (error);
  g_assert_false (has_handlers (emitter));

  /* Without a time limit. */
  bridge_loop_call_later (bridge_loop_get_default (), 0.01, ping_cb, emitter, NULL);
  g_assert_true (bridge_await_signal (emitter, "ping", BRIDGE_TIMEOUT_NEVER, &error));
  g_assert_no_error (error);
  g_assert_false (has_handlers (emitter));
}

static void
test_emitted (void)
{
  run_body (emitted_body);
}

static void
timeout_body (BridgeTask *task,
              gpointer    user_data)
{
  g_autoptr(TestEmitter) emitter = g_object_new (TEST_TYPE_EMITTER, NULL);
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;

  g_assert_false (bridge_await_signal (emitter, "ping", 0.05, &error));
  elapsed = g_get_monotonic_time () - start;
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (elapsed, >=, 50 * 1000);
  g_assert_cmpint (elapsed, <, 50 * 1000 + TEST_PROMPT_USEC);
  g_assert_false (has_handlers (emitter));
  g_clear_error (&error);

  /* A zero timeout gives an emission no chance. */
  g_assert_false (bridge_await_signal (emitter, "ping", 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_false (has_handlers (emitter));

  /* The timeout was not a cancellation: the task is not cancelled. */
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 0);
}

static void
test_timeout (void)
{
  run_body (timeout_body);
}

static void
cancel_body (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(TestEmitter) emitter = g_object_new (TEST_TYPE_EMITTER, NULL);
  g_autoptr(GError) error = NULL;
  TestCanceller canceller;

  test_cancel_later (&canceller, 0.02);
  g_assert_false (bridge_await_signal (emitter, "ping", 10.0, &error));
  test_assert_woke_promptly (&canceller);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (has_handlers (emitter));

  /* A later emission reaches nothing. */
  g_signal_emit (emitter, signals[PING], 0, 2);
  bridge_task_uncancel (task);
}

static void
test_cancel (void)
{
  run_body (cancel_body);
}

static void
set_value_cb (gpointer user_data)
{
  g_object_set (user_data, "value", 3, NULL);
}

static void
set_name_cb (gpointer user_data)
{
  g_object_set (user_data, "name", "awaited", NULL);
}

static void
detail_body (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(TestEmitter) emitter = g_object_new (TEST_TYPE_EMITTER, NULL);
  g_autoptr(GError) error = NULL;
  BridgeLoop *loop = bridge_loop_get_default ();

  /* notify::value comes first and must not end a wait for notify::name. */
  bridge_loop_call_later (loop, 0.01, set_value_cb, emitter, NULL);
  bridge_loop_call_later (loop, 0.03, set_name_cb, emitter, NULL);
  g_assert_true (bridge_await_signal (emitter, "notify::name", 5.0, &error));
  g_assert_no_error (error);
  g_assert_cmpint (emitter->value, ==, 3);
  g_assert_cmpstr (emitter->name, ==, "awaited");
  g_assert_false (has_handlers (emitter));
}

static void
test_detail (void)
{
  run_body (detail_body);
}

static gboolean query_result = TRUE;

static void
query_cb (gpointer user_data)
{
  g_signal_emit (user_data, signals[QUERY], 0, &query_result);
}

static void
return_value_body (BridgeTask *task,
                   gpointer    user_data)
{
  g_autoptr(TestEmitter) emitter = g_object_new (TEST_TYPE_EMITTER, NULL);
  g_autoptr(GError) error = NULL;

  /* The awaiting handler only observes: it returns the type's default. */
  bridge_loop_call_later (bridge_loop_get_default (), 0.01, query_cb, emitter, NULL);
  g_assert_true (bridge_await_signal (emitter, "query", 5.0, &error));
  g_assert_no_error (error);
  g_assert_false (query_result);
}

static void
test_return_value (void)
{
  run_body (return_value_body);
}

typedef struct
{
  TestEmitter *emitter;
  GMutex       lock;
  GCond        cond;
  gboolean     go;
} ThreadEmit;

static gpointer
emit_thread_main (gpointer data)
{
  ThreadEmit *te = data;

  g_mutex_lock (&te->lock);
  while (!te->go)
    g_cond_wait (&te->cond, &te->lock);
  g_mutex_unlock (&te->lock);

  g_signal_emit (te->emitter, signals[PING], 0, 3);
  return NULL;
}

/* Runs once the task is parked, so the handler is connected by then. */
static void
release_thread_cb (gpointer user_data)
{
  ThreadEmit *te = user_data;

  g_mutex_lock (&te->lock);
  te->go = TRUE;
  g_cond_signal (&te->cond);
  g_mutex_unlock (&te->lock);
}

static void
thread_body (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(TestEmitter) emitter = g_object_new (TEST_TYPE_EMITTER, NULL);
  g_autoptr(GError) error = NULL;
  ThreadEmit te = { .emitter = emitter };
  GThread *self = g_thread_self ();
  GThread *thread;

  g_mutex_init (&te.lock);
  g_cond_init (&te.cond);
  thread = g_thread_new ("emitter", emit_thread_main, &te);
  bridge_loop_call_soon (bridge_loop_get_default (), release_thread_cb, &te, NULL);

  g_assert_true (bridge_await_signal (emitter, "ping", 10.0, &error));
  g_assert_no_error (error);
  g_assert_true (g_thread_self () == self);
  g_thread_join (thread);
  g_assert_false (has_handlers (emitter));
  g_mutex_clear (&te.lock);
  g_cond_clear (&te.cond);
}

static void
test_thread (void)
{
  run_body (thread_body);
}

static void
misuse_body (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(TestEmitter) emitter = g_object_new (TEST_TYPE_EMITTER, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_await_signal (emitter, "no-such-signal", 1.0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* ping takes no detail */
  g_assert_false (bridge_await_signal (emitter, "ping::detail", 1.0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_false (has_handlers (emitter));
}

static void
test_misuse (void)
{
  g_autoptr(TestEmitter) emitter = g_object_new (TEST_TYPE_EMITTER, NULL);
  g_autoptr(GError) error = NULL;

  run_body (misuse_body);

  g_assert_false (bridge_await_signal (emitter, "ping", 1.0, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_false (has_handlers (emitter));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/signal/emitted", test_emitted);
  g_test_add_func ("/libbridge/signal/timeout", test_timeout);
  g_test_add_func ("/libbridge/signal/cancel", test_cancel);
  g_test_add_func ("/libbridge/signal/detail", test_detail);
  g_test_add_func ("/libbridge/signal/return-value", test_return_value);
  g_test_add_func ("/libbridge/signal/from-thread", test_thread);
  g_test_add_func ("/libbridge/signal/misuse", test_misuse);

  return g_test_run ();
}
