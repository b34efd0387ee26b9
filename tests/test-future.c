/* test-future.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libbridge.h>

#include "bridge-future-private.h"
#include "test-util.h"

/* ---- basics ------------------------------------------------------------------ */

static void
new_in_callback_cb (gpointer user_data)
{
  BridgeFuture **out = user_data;

  *out = bridge_future_new ();
}

static void
test_new (LoopFixture   *fixture,
          gconstpointer  user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(BridgeFuture) outside = bridge_future_new ();
  g_autoptr(BridgeFuture) inside = NULL;

  g_assert_nonnull (future);
  g_assert_false (bridge_future_is_done (future));
  g_assert_false (bridge_future_is_cancelled (future));
  g_assert_false (bridge_future_is_task (future));
  g_assert_true (bridge_future_get_loop (future) == fixture->loop);

  /* Outside any loop, a new future belongs to the default loop; inside a
   * callback, to the loop running it. */
  g_assert_true (bridge_future_get_loop (outside) == bridge_loop_get_default ());
  bridge_loop_call_soon (fixture->loop, new_in_callback_cb, &inside, NULL);
  test_run_until (fixture->context, inside != NULL, TEST_TIMEOUT_SECONDS);
  g_assert_true (bridge_future_get_loop (inside) == fixture->loop);
}

static void
test_boxed (LoopFixture   *fixture,
            gconstpointer  user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  g_auto(GValue) value = G_VALUE_INIT;

  g_assert_true (G_TYPE_IS_BOXED (BRIDGE_TYPE_FUTURE));
  g_value_init (&value, BRIDGE_TYPE_FUTURE);
  g_value_set_boxed (&value, future);
  g_assert_cmpint (g_atomic_int_get (&future->ref_count), ==, 2);
  g_assert_true (g_value_get_boxed (&value) == future);
  g_value_reset (&value);
  g_assert_cmpint (g_atomic_int_get (&future->ref_count), ==, 1);

  g_assert_true (bridge_future_ref (future) == future);
  g_assert_cmpint (g_atomic_int_get (&future->ref_count), ==, 2);
  bridge_future_unref (future);
}

/* ---- done callbacks ---------------------------------------------------------- */

typedef struct
{
  GString      *log;
  const char   *tag;
  BridgeFuture *expected;
  guint        *destroyed;
} CallbackData;

static void
log_done_cb (BridgeFuture *future,
             gpointer      user_data)
{
  CallbackData *data = user_data;

  g_assert_true (future == data->expected);
  g_assert_true (bridge_future_is_done (future));
  if (data->log->len > 0)
    g_string_append_c (data->log, ' ');
  g_string_append (data->log, data->tag);
}

static void
callback_data_destroy (gpointer user_data)
{
  CallbackData *data = user_data;

  (*data->destroyed)++;
}

static void
test_done_callback_not_synchronous (LoopFixture   *fixture,
                                    gconstpointer  user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(GString) log = g_string_new (NULL);
  guint destroyed = 0;
  CallbackData data = { log, "done", future, &destroyed };

  bridge_future_add_done_callback (future, log_done_cb, &data, callback_data_destroy);
  g_assert_true (bridge_future_set_int64 (future, 1, NULL));

  /* Done, but its callback waits for the loop. */
  g_assert_true (bridge_future_is_done (future));
  g_assert_cmpstr (log->str, ==, "");
  g_assert_cmpuint (destroyed, ==, 0);

  test_run_until (fixture->context, destroyed == 1, TEST_TIMEOUT_SECONDS);
  g_assert_cmpstr (log->str, ==, "done");

  /* A callback added to a future that is already done is not run inside
   * add_done_callback() either. */
  data.tag = "late";
  bridge_future_add_done_callback (future, log_done_cb, &data, callback_data_destroy);
  g_assert_cmpstr (log->str, ==, "done");
  test_run_until (fixture->context, destroyed == 2, TEST_TIMEOUT_SECONDS);
  g_assert_cmpstr (log->str, ==, "done late");
}

typedef struct
{
  BridgeFuture *future;
  GString      *log;
  gboolean      checked;
} SetInCallback;

static void
set_in_callback_cb (gpointer user_data)
{
  SetInCallback *data = user_data;

  /* Also from inside the loop's own dispatch: never synchronous. */
  g_assert_true (bridge_future_set_boolean (data->future, TRUE, NULL));
  g_assert_cmpstr (data->log->str, ==, "");
  data->checked = TRUE;
}

static void
test_done_callback_not_synchronous_in_loop (LoopFixture   *fixture,
                                            gconstpointer  user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(GString) log = g_string_new (NULL);
  guint destroyed = 0;
  CallbackData data = { log, "done", future, &destroyed };
  SetInCallback set = { future, log, FALSE };

  bridge_future_add_done_callback (future, log_done_cb, &data, callback_data_destroy);
  bridge_loop_call_soon (fixture->loop, set_in_callback_cb, &set, NULL);
  test_run_until (fixture->context, destroyed == 1, TEST_TIMEOUT_SECONDS);
  g_assert_true (set.checked);
  g_assert_cmpstr (log->str, ==, "done");
}

static void
test_done_callback_order_and_remove (LoopFixture   *fixture,
                                     gconstpointer  user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(GString) log = g_string_new (NULL);
  guint destroyed = 0;
  CallbackData a = { log, "a", future, &destroyed };
  CallbackData b = { log, "b", future, &destroyed };
  CallbackData c = { log, "c", future, &destroyed };
  CallbackData d = { log, "d", future, &destroyed };

  bridge_future_add_done_callback (future, log_done_cb, &a, callback_data_destroy);
  bridge_future_add_done_callback (future, log_done_cb, &b, callback_data_destroy);
  bridge_future_add_done_callback (future, log_done_cb, &c, callback_data_destroy);
  bridge_future_add_done_callback (future, log_done_cb, &b, callback_data_destroy);
  bridge_future_add_done_callback (future, log_done_cb, &d, callback_data_destroy);

  /* Every registration of (callback, data) goes, and its data is released. */
  g_assert_cmpuint (bridge_future_remove_done_callback (future, log_done_cb, &b), ==, 2);
  g_assert_cmpuint (destroyed, ==, 2);
  g_assert_cmpuint (bridge_future_remove_done_callback (future, log_done_cb, &b), ==, 0);

  /* Removing the first keeps the others in order. */
  g_assert_cmpuint (bridge_future_remove_done_callback (future, log_done_cb, &a), ==, 1);
  g_assert_cmpuint (destroyed, ==, 3);
  bridge_future_add_done_callback (future, log_done_cb, &a, callback_data_destroy);

  g_assert_true (bridge_future_set_string (future, "x", NULL));
  /* Once done, the callbacks are scheduled: nothing is removed any more. */
  g_assert_cmpuint (bridge_future_remove_done_callback (future, log_done_cb, &c), ==, 0);

  test_run_until (fixture->context, destroyed == 6, TEST_TIMEOUT_SECONDS);
  g_assert_cmpstr (log->str, ==, "c d a");
}

static void
test_done_callback_released_with_future (LoopFixture   *fixture,
                                         gconstpointer  user_data)
{
  BridgeFuture *future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(GString) log = g_string_new (NULL);
  guint destroyed = 0;
  CallbackData a = { log, "a", future, &destroyed };
  CallbackData b = { log, "b", future, &destroyed };

  /* A future that never completes releases its callbacks' data when freed. */
  bridge_future_add_done_callback (future, log_done_cb, &a, callback_data_destroy);
  bridge_future_add_done_callback (future, log_done_cb, &b, callback_data_destroy);
  bridge_future_unref (future);
  g_assert_cmpuint (destroyed, ==, 2);
  g_assert_cmpstr (log->str, ==, "");
}

/* ---- typed results ------------------------------------------------------------ */

static void
test_typed_object (LoopFixture   *fixture,
                   gconstpointer  user_data)
{
  BridgeFuture *future = bridge_future_new_for_loop (fixture->loop);
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);
  GObject *weak = object;
  g_auto(GValue) value = G_VALUE_INIT;

  g_object_add_weak_pointer (object, (gpointer *) &weak);
  g_assert_true (bridge_future_set_object (future, object, NULL));
  g_object_unref (object);

  /* The future holds its own reference. */
  g_assert_nonnull (weak);
  g_assert_true (bridge_future_get_object (future, NULL) == weak);
  g_assert_true (bridge_future_get_value (future, &value, NULL));
  g_assert_true (G_VALUE_HOLDS_OBJECT (&value));
  g_assert_true (g_value_get_object (&value) == weak);
  g_value_unset (&value);

  bridge_future_unref (future);
  g_assert_null (weak);
}

static guint pointer_freed;

static void
pointer_free (gpointer pointer)
{
  pointer_freed++;
  g_free (pointer);
}

static void
test_typed_pointer (LoopFixture   *fixture,
                    gconstpointer  user_data)
{
  BridgeFuture *future = bridge_future_new_for_loop (fixture->loop);
  char *payload = g_strdup ("payload");
  g_autoptr(GError) error = NULL;
  g_auto(GValue) value = G_VALUE_INIT;

  pointer_freed = 0;
  g_assert_true (bridge_future_set_pointer (future, payload, pointer_free, &error));
  g_assert_no_error (error);
  g_assert_true (bridge_future_get_pointer (future, NULL) == payload);
  g_assert_true (bridge_future_get_value (future, &value, NULL));
  g_assert_true (G_VALUE_HOLDS_POINTER (&value));
  g_assert_true (g_value_get_pointer (&value) == payload);

  /* A second pointer is refused, and freed since nobody else owns it. */
  g_assert_false (bridge_future_set_pointer (future, g_strdup ("refused"), pointer_free, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_cmpuint (pointer_freed, ==, 1);

  /* The future owns the pointer: freeing the future frees it. */
  bridge_future_unref (future);
  g_assert_cmpuint (pointer_freed, ==, 2);
}

static void
test_typed_scalars (LoopFixture   *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(BridgeFuture) b = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(BridgeFuture) i = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(BridgeFuture) d = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(BridgeFuture) s = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(BridgeFuture) n = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(BridgeFuture) v = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(GError) error = NULL;
  g_auto(GValue) value = G_VALUE_INIT;
  g_auto(GValue) out = G_VALUE_INIT;
  char text[] = "hello";

  g_assert_true (bridge_future_set_boolean (b, TRUE, &error));
  g_assert_true (bridge_future_set_int64 (i, G_MININT64 + 1, &error));
  g_assert_true (bridge_future_set_double (d, -2.5e300, &error));
  g_assert_true (bridge_future_set_string (s, text, &error));
  g_assert_true (bridge_future_set_value (n, NULL, &error));
  g_value_init (&value, G_TYPE_UINT);
  g_value_set_uint (&value, 4000000000u);
  g_assert_true (bridge_future_set_value (v, &value, &error));
  g_assert_no_error (error);

  /* The string was copied. */
  text[0] = 'j';

  g_assert_true (bridge_future_get_boolean (b, &error));
  g_assert_cmpint (bridge_future_get_int64 (i, &error), ==, G_MININT64 + 1);
  g_assert_cmpfloat (bridge_future_get_double (d, &error), ==, -2.5e300);
  g_assert_cmpstr (bridge_future_get_string (s, &error), ==, "hello");
  g_assert_no_error (error);

  /* The scalars read back as GValues of their own types too. */
  {
    g_auto(GValue) bv = G_VALUE_INIT;
    g_auto(GValue) iv = G_VALUE_INIT;
    g_auto(GValue) dv = G_VALUE_INIT;

    g_assert_true (bridge_future_get_value (b, &bv, &error));
    g_assert_true (bridge_future_get_value (i, &iv, &error));
    g_assert_true (bridge_future_get_value (d, &dv, &error));
    g_assert_true (G_VALUE_HOLDS_BOOLEAN (&bv) && g_value_get_boolean (&bv));
    g_assert_true (G_VALUE_HOLDS_INT64 (&iv));
    g_assert_cmpint (g_value_get_int64 (&iv), ==, G_MININT64 + 1);
    g_assert_true (G_VALUE_HOLDS_DOUBLE (&dv));
    g_assert_cmpfloat (g_value_get_double (&dv), ==, -2.5e300);
  }

  /* "No value" (None) is a success with nothing in it. */
  g_assert_true (bridge_future_get_value (n, &out, &error));
  g_assert_no_error (error);
  g_assert_false (G_IS_VALUE (&out));
  g_assert_null (bridge_future_get_string (n, &error));
  g_assert_no_error (error);

  g_assert_true (bridge_future_get_value (v, &out, &error));
  g_assert_no_error (error);
  g_assert_true (G_VALUE_HOLDS_UINT (&out));
  g_assert_cmpuint (g_value_get_uint (&out), ==, 4000000000u);

  /* Reading a result as the wrong type is a programming error. */
  if (g_test_undefined ())
    {
      g_test_expect_message ("Bridge", G_LOG_LEVEL_CRITICAL, "*holds a value of type gboolean, not gint64*");
      g_assert_cmpint (bridge_future_get_int64 (b, NULL), ==, 0);
      g_test_assert_expected_messages ();
    }
}

/* ---- errors and cancellation -------------------------------------------------- */

static void
test_error (LoopFixture   *fixture,
            gconstpointer  user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(GError) error = NULL;
  const GError *stored;

  g_assert_true (bridge_future_set_error (future, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such thing"), &error));
  g_assert_no_error (error);
  g_assert_true (bridge_future_is_done (future));
  g_assert_false (bridge_future_is_cancelled (future));

  g_assert_false (bridge_future_get_value (future, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no such thing");
  g_clear_error (&error);

  g_assert_cmpint (bridge_future_get_int64 (future, &error), ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  stored = bridge_future_get_error (future);
  g_assert_error (stored, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  /* A success has no error. */
  g_clear_pointer (&future, bridge_future_unref);
  future = bridge_future_new_for_loop (fixture->loop);
  bridge_future_set_boolean (future, FALSE, NULL);
  g_assert_null (bridge_future_get_error (future));
}

static void
test_set_twice (LoopFixture   *fixture,
                gconstpointer  user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_future_set_int64 (future, 1, &error));
  g_assert_no_error (error);

  g_assert_false (bridge_future_set_int64 (future, 2, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_false (bridge_future_set_value (future, NULL, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_false (bridge_future_set_error (future, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "late"), &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  /* A cancellation of a done future is refused quietly (asyncio returns
   * False). */
  g_assert_false (bridge_future_cancel (future, NULL));
  g_assert_false (bridge_future_is_cancelled (future));

  /* The first result stands. */
  g_assert_cmpint (bridge_future_get_int64 (future, &error), ==, 1);
  g_assert_no_error (error);

  /* Without an error location the misuse is a critical warning. */
  if (g_test_undefined ())
    {
      g_test_expect_message ("Bridge", G_LOG_LEVEL_CRITICAL, "*invalid state*already done*");
      g_assert_false (bridge_future_set_boolean (future, TRUE, NULL));
      g_test_assert_expected_messages ();

      g_test_expect_message ("Bridge", G_LOG_LEVEL_CRITICAL, "*invalid state*already done*");
      g_assert_false (bridge_future_set_error (future, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "late"), NULL));
      g_test_assert_expected_messages ();
    }
  g_assert_cmpint (bridge_future_get_int64 (future, &error), ==, 1);
}

static void
test_pending_result (LoopFixture   *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(GError) error = NULL;
  g_auto(GValue) value = G_VALUE_INIT;

  g_assert_false (bridge_future_get_value (future, &value, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_false (G_IS_VALUE (&value));
  g_clear_error (&error);

  g_assert_cmpint (bridge_future_get_int64 (future, &error), ==, 0);
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_null (bridge_future_get_string (future, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_null (bridge_future_get_pointer (future, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  if (g_test_undefined ())
    {
      g_test_expect_message ("Bridge", G_LOG_LEVEL_CRITICAL, "*invalid state*pending*");
      g_assert_null (bridge_future_get_error (future));
      g_test_assert_expected_messages ();
    }

  /* Still pending and usable. */
  g_assert_false (bridge_future_is_done (future));
  g_assert_true (bridge_future_set_int64 (future, 5, NULL));
  g_assert_cmpint (bridge_future_get_int64 (future, &error), ==, 5);
  g_assert_no_error (error);
}

static void
test_cancel (LoopFixture   *fixture,
             gconstpointer  user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(BridgeFuture) plain = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  guint destroyed = 0;
  CallbackData data = { log, "cancelled", future, &destroyed };

  bridge_future_add_done_callback (future, log_done_cb, &data, callback_data_destroy);
  g_assert_true (bridge_future_cancel (future, "user pressed stop"));
  g_assert_true (bridge_future_is_done (future));
  g_assert_true (bridge_future_is_cancelled (future));
  g_assert_cmpstr (log->str, ==, "");

  /* Reading the result raises the cancellation, with the message. */
  g_assert_false (bridge_future_get_value (future, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "user pressed stop");
  g_clear_error (&error);
  g_assert_error (bridge_future_get_error (future), G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* Cancelling again, or setting a result now, is refused. */
  g_assert_false (bridge_future_cancel (future, NULL));
  g_assert_false (bridge_future_set_int64 (future, 1, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  test_run_until (fixture->context, destroyed == 1, TEST_TIMEOUT_SECONDS);
  g_assert_cmpstr (log->str, ==, "cancelled");

  /* Without a message, a default one; a G_IO_ERROR_CANCELLED error set as
   * the result also makes the future cancelled. */
  g_assert_true (bridge_future_cancel (plain, NULL));
  g_assert_error (bridge_future_get_error (plain), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_nonnull (bridge_future_get_error (plain)->message);

  g_clear_pointer (&plain, bridge_future_unref);
  plain = bridge_future_new_for_loop (fixture->loop);
  g_assert_true (bridge_future_set_error (plain, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "via error"), NULL));
  g_assert_true (bridge_future_is_cancelled (plain));
}

static void
test_never_retrieved (LoopFixture   *fixture,
                      gconstpointer  user_data)
{
  BridgeFuture *future;

  /* An error nobody read is reported when the future goes away. */
  future = bridge_future_new_for_loop (fixture->loop);
  bridge_future_set_error (future, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "lost file"), NULL);
  g_test_expect_message ("Bridge", G_LOG_LEVEL_WARNING, "Future exception was never retrieved*lost file*");
  bridge_future_unref (future);
  g_test_assert_expected_messages ();

  /* Not when it was read (an unexpected warning would fail the test)… */
  future = bridge_future_new_for_loop (fixture->loop);
  bridge_future_set_error (future, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "read"), NULL);
  g_assert_nonnull (bridge_future_get_error (future));
  bridge_future_unref (future);

  future = bridge_future_new_for_loop (fixture->loop);
  bridge_future_set_error (future, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "read"), NULL);
  g_assert_false (bridge_future_get_value (future, NULL, NULL));
  bridge_future_unref (future);

  /* …nor for a cancellation, which is not an exception in that sense. */
  future = bridge_future_new_for_loop (fixture->loop);
  bridge_future_cancel (future, "whatever");
  bridge_future_unref (future);
}

/* Futures keep their loop alive. The loop's thread takes those holds in
 * batches while it dispatches; futures made there and freed on another
 * thread, or made outside a dispatch and freed inside one, must still leave
 * the count exact: the fixture's teardown checks the loop is finalized. */
typedef struct
{
  GPtrArray *to_free_elsewhere;
  GPtrArray *made_outside;
} HoldsState;

static gpointer
free_futures_thread (gpointer data)
{
  g_ptr_array_unref (data);
  return NULL;
}

static void
holds_task (BridgeTask *task,
            gpointer    user_data)
{
  HoldsState *state = user_data;
  GThread *thread;

  /* More than a batch of holds, kept, freed here, and freed elsewhere. */
  for (guint i = 0; i < 1000; i++)
    {
      BridgeFuture *future = bridge_future_new ();

      g_assert_true (bridge_future_set_int64 (future, i, NULL));
      if (i % 2 == 0)
        g_ptr_array_add (state->to_free_elsewhere, future);
      else
        bridge_future_unref (future);
    }

  thread = g_thread_new ("free-futures", free_futures_thread,
                         g_steal_pointer (&state->to_free_elsewhere));
  g_thread_join (thread);

  g_clear_pointer (&state->made_outside, g_ptr_array_unref);
}

static void
test_loop_holds_balanced (LoopFixture   *fixture,
                          gconstpointer  user_data)
{
  HoldsState state = {
    g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_future_unref),
    g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_future_unref),
  };
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 300; i++)
    g_ptr_array_add (state.made_outside, bridge_future_new_for_loop (fixture->loop));

  task = bridge_spawn_full (fixture->loop, NULL, 0, holds_task, &state, NULL);
  g_assert_true (bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), &error));
  g_assert_no_error (error);
  g_assert_null (state.to_free_elsewhere);
  g_assert_null (state.made_outside);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  LOOP_TEST ("/libbridge/future/new", test_new);
  LOOP_TEST ("/libbridge/future/boxed", test_boxed);
  LOOP_TEST ("/libbridge/future/done-callback/not-synchronous", test_done_callback_not_synchronous);
  LOOP_TEST ("/libbridge/future/done-callback/not-synchronous-in-loop", test_done_callback_not_synchronous_in_loop);
  LOOP_TEST ("/libbridge/future/done-callback/order-and-remove", test_done_callback_order_and_remove);
  LOOP_TEST ("/libbridge/future/done-callback/released-with-future", test_done_callback_released_with_future);
  LOOP_TEST ("/libbridge/future/typed/object", test_typed_object);
  LOOP_TEST ("/libbridge/future/typed/pointer", test_typed_pointer);
  LOOP_TEST ("/libbridge/future/typed/scalars", test_typed_scalars);
  LOOP_TEST ("/libbridge/future/error", test_error);
  LOOP_TEST ("/libbridge/future/set-twice", test_set_twice);
  LOOP_TEST ("/libbridge/future/pending-result", test_pending_result);
  LOOP_TEST ("/libbridge/future/cancel", test_cancel);
  LOOP_TEST ("/libbridge/future/never-retrieved", test_never_retrieved);
  LOOP_TEST ("/libbridge/future/loop-holds-balanced", test_loop_holds_balanced);

  return g_test_run ();
}
