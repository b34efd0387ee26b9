/* bridge-future.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "bridge-error.h"
#include "bridge-future-private.h"
#include "bridge-loop-private.h"
#include "bridge-thread-local-private.h"

#if HAVE_VALGRIND
# include <valgrind/valgrind.h>
#endif

/**
 * BridgeFuture:
 *
 * The result of an operation that has not finished yet: asyncio's `Future`.
 *
 * A future is pending until a value, an error or a cancellation is set, once.
 * Done callbacks registered with [method@Bridge.Future.add_done_callback] then
 * run from the loop's ready queue, never from inside the setter, so code that
 * completes a future never re-enters the code waiting for it.
 *
 * Futures belong to the [class@Bridge.Loop] they were made for. They may be
 * completed from any thread: the result is handed to the loop's thread, where
 * the callbacks run.
 *
 * Futures are reference counted with [method@Bridge.Future.ref] and
 * [method@Bridge.Future.unref], and are a boxed type so they fit in a
 * `GValue` or a property.
 *
 * Since: 0.1
 */

G_DEFINE_BOXED_TYPE (BridgeFuture, bridge_future, bridge_future_ref, bridge_future_unref)

const BridgeFutureClass _bridge_future_class = {
  .type_name = "Future",
  .instance_size = sizeof (BridgeFuture),
  .block_class = 1 + BRIDGE_BLOCK_FUTURE,
  .cancel = NULL,
  .finalize = NULL,
};

static BridgeLoop *
loop_for_new_future (void)
{
  BridgeLoop *loop = _bridge_loop_get_current ();

  return loop != NULL ? loop : bridge_loop_get_default ();
}

/* A small per-thread cache of freed futures and tasks, the two sizes that are
 * created and freed by the million. GSlice's own per-thread magazines cost a
 * pthread_getspecific() and a g_private_get() per call, too much for a
 * ping-pong.
 * Disabled under AddressSanitizer and valgrind, whose use-after-free checks
 * need every block to really be freed. */
#define FUTURE_CACHE_MAX 256

typedef struct _CachedBlock CachedBlock;
struct _CachedBlock
{
  CachedBlock *next;
};

typedef struct
{
  CachedBlock *blocks[2];
  guint        n_blocks[2];
  gsize        block_size[2];
  gboolean     registered;
} FutureCache;

static BRIDGE_THREAD_LOCAL FutureCache future_cache;

static void
future_cache_flush (gpointer data)
{
  FutureCache *cache = data;

  for (guint i = 0; i < G_N_ELEMENTS (cache->blocks); i++)
    {
      gsize size = cache->block_size[i];

      while (cache->blocks[i] != NULL)
        {
          CachedBlock *block = cache->blocks[i];
          cache->blocks[i] = block->next;
          g_slice_free1 (size, block);
        }
      cache->n_blocks[i] = 0;
    }
}

/* Flushes the cache of a thread that exits. */
static GPrivate future_cache_key = G_PRIVATE_INIT (future_cache_flush);

static inline int
future_cache_slot (const BridgeFutureClass *klass)
{
#if HAVE_ASAN
  return -1;
#else
  G_STATIC_ASSERT (BRIDGE_BLOCK_FUTURE == 0 && BRIDGE_BLOCK_TASK == 1);
  return (int) klass->block_class - 1;
#endif
}

static gboolean
future_cache_enabled (void)
{
  static int enabled = -1;

  if (G_UNLIKELY (enabled < 0))
    {
#if HAVE_VALGRIND
      enabled = !RUNNING_ON_VALGRIND;
#else
      enabled = 1;
#endif
    }
  return enabled;
}

static gpointer
future_alloc (const BridgeFutureClass *klass,
              BridgeLoop              *loop)
{
  int slot = future_cache_slot (klass);

  if (slot >= 0)
    {
      /* The loop's own blocks, faulted in ahead of time, when it is being
       * dispatched here: where tasks and futures are made by the thousand. */
      gpointer block = _bridge_loop_alloc_block (loop, slot);

      if (block != NULL)
        return block;
    }

  if (slot >= 0 && future_cache.blocks[slot] != NULL)
    {
      CachedBlock *block = future_cache.blocks[slot];

      future_cache.blocks[slot] = block->next;
      future_cache.n_blocks[slot]--;
      memset (block, 0, klass->instance_size);
      return block;
    }

  return g_slice_alloc0 (klass->instance_size);
}

static void
future_free (BridgeFuture *future)
{
  const BridgeFutureClass *klass = future->klass;
  int slot = future_cache_slot (klass);

  if (slot >= 0 && _bridge_loop_release_block (future->loop, future))
    return;

  if (slot >= 0 && future_cache.n_blocks[slot] < FUTURE_CACHE_MAX && future_cache_enabled ())
    {
      CachedBlock *block = (CachedBlock *) future;

      if (G_UNLIKELY (!future_cache.registered))
        {
          g_private_set (&future_cache_key, &future_cache);
          future_cache.registered = TRUE;
        }
      future_cache.block_size[slot] = klass->instance_size;
      block->next = future_cache.blocks[slot];
      future_cache.blocks[slot] = block;
      future_cache.n_blocks[slot]++;
      return;
    }

  g_slice_free1 (klass->instance_size, future);
}

gpointer
_bridge_future_new_of_class (const BridgeFutureClass *klass,
                             BridgeLoop              *loop)
{
  /* GSlice, not malloc: spawning a burst of tasks and freeing them made
   * glibc trim and regrow its heap every round, and the page faults were a
   * large part of the spawn time. (GLib 2.76+ maps GSlice to malloc; we
   * lose nothing.) */
  BridgeFuture *future;

  if (loop == NULL)
    loop = loop_for_new_future ();
  future = future_alloc (klass, loop);
  future->klass = klass;
  future->loop = loop;
  _bridge_loop_hold (future->loop);
  future->ref_count = 1;
  future->state = BRIDGE_FUTURE_PENDING;
  future->magic = BRIDGE_FUTURE_MAGIC;
  return future;
}

/**
 * bridge_future_new: (constructor)
 *
 * Creates a pending future on the running loop (inside a task or callback) or
 * else on [func@Bridge.Loop.get_default]. Mirrors `loop.create_future()`.
 *
 * Returns: (transfer full): a new pending [struct@Bridge.Future]
 *
 * Since: 0.1
 */
BridgeFuture *
bridge_future_new (void)
{
  return _bridge_future_new_of_class (&_bridge_future_class, NULL);
}

/**
 * bridge_future_new_for_loop: (constructor)
 * @loop: the loop whose thread runs the future's callbacks
 *
 * Creates a pending future that belongs to @loop.
 *
 * Returns: (transfer full): a new pending [struct@Bridge.Future]
 *
 * Since: 0.1
 */
BridgeFuture *
bridge_future_new_for_loop (BridgeLoop *loop)
{
  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), NULL);

  return _bridge_future_new_of_class (&_bridge_future_class, loop);
}

/* A freed future keeps, where allocators leave it alone, its ref_count set
 * to BRIDGE_FUTURE_FREED and, in debug builds (cast checks on), the start of
 * its label in its result: enough to name the future or task that was
 * unreffed once too often, as long as its memory was not reused. Release
 * builds skip the label: naming an unnamed task formats a string. */
#ifndef G_DISABLE_CAST_CHECKS
# define KEEP_LABEL_WHEN_FREED 1
#else
# define KEEP_LABEL_WHEN_FREED 0
#endif

G_STATIC_ASSERT (sizeof (((BridgeFuture *) NULL)->result) >= 16);

static void
report_freed (BridgeFuture *future,
              const char   *function)
{
  if (future->ref_count == 0)
    {
      g_critical ("%s: the future or task is being freed", function);
      return;
    }

  if (KEEP_LABEL_WHEN_FREED && future->ref_count == BRIDGE_FUTURE_FREED)
    {
      char label[sizeof future->result];

      memcpy (label, &future->result, sizeof label);
      label[sizeof label - 1] = '\0';
      g_critical ("%s: “%s” was already freed: one unref too many", function, label);
    }
  else
    g_critical ("%s: the future or task was already freed: one unref too many", function);
}

void
_bridge_future_report_freed (BridgeFuture *future,
                             const char   *function)
{
  report_freed (future, function);
}

/**
 * bridge_future_check_instance_cast: (skip)
 * @instance: (nullable): what `BRIDGE_FUTURE()` is casting
 *
 * The check behind `BRIDGE_FUTURE()` in builds without
 * `G_DISABLE_CAST_CHECKS`: a critical warning when @instance is not a
 * future (or a task), or was already freed.
 *
 * Returns: (transfer none) (nullable): @instance
 *
 * Since: 0.1
 */
BridgeFuture *
bridge_future_check_instance_cast (gpointer instance)
{
  BridgeFuture *future = instance;

  if (G_UNLIKELY (future == NULL))
    return NULL;

  if (G_UNLIKELY (g_atomic_int_get (&future->ref_count) < 0))
    report_freed (future, "BRIDGE_FUTURE");
  else if (G_UNLIKELY (future->magic != BRIDGE_FUTURE_MAGIC))
    g_critical ("BRIDGE_FUTURE: invalid cast of %p: not a BridgeFuture or BridgeTask", instance);
  return future;
}

/**
 * bridge_future_ref:
 * @future: a [struct@Bridge.Future]
 *
 * Takes a reference on @future. Tasks are futures too: this works on a
 * `BRIDGE_FUTURE (task)`.
 *
 * Returns: (transfer full): @future, with one more reference
 *
 * Since: 0.1
 */
BridgeFuture *
bridge_future_ref (BridgeFuture *future)
{
  g_return_val_if_fail (future != NULL, NULL);

  if (G_UNLIKELY (g_atomic_int_get (&future->ref_count) <= 0))
    {
      report_freed (future, G_STRFUNC);
      return future;
    }

  g_atomic_int_inc (&future->ref_count);
  return future;
}

/* Booleans, integers and doubles: a GValue holding one of them owns
 * nothing, so it needs no g_value_unset(), and the typed setters fill it in
 * without g_value_init() (see DEFINE_SCALAR_SETTER). Both went through
 * GObject's value tables, a visible cost in a ping-pong. */
static inline gboolean
value_is_scalar (const GValue *value)
{
  GType type = G_VALUE_TYPE (value);

  return type == G_TYPE_INT64 || type == G_TYPE_BOOLEAN || type == G_TYPE_DOUBLE;
}

static void
clear_result (BridgeFuture *future)
{
  switch ((BridgeResultKind) future->result_kind)
    {
    case BRIDGE_RESULT_VALUE:
      if (!value_is_scalar (&future->result.value))
        g_value_unset (&future->result.value);
      break;
    case BRIDGE_RESULT_POINTER:
      if (future->result.pointer.destroy != NULL && future->result.pointer.pointer != NULL)
        future->result.pointer.destroy (future->result.pointer.pointer);
      break;
    case BRIDGE_RESULT_NONE:
    case BRIDGE_RESULT_ERROR:
    default:
      break;
    }
  future->result_kind = BRIDGE_RESULT_NONE;
}

static void
clear_callbacks (BridgeFuture *future)
{
  if (future->first_callback.destroy != NULL)
    future->first_callback.destroy (future->first_callback.data);
  future->first_callback.func = NULL;
  future->first_callback.destroy = NULL;
  future->first_is_waker = FALSE;

  if (future->more_callbacks != NULL)
    {
      for (guint i = 0; i < future->more_callbacks->len; i++)
        {
          BridgeFutureCallbackEntry *entry =
            &g_array_index (future->more_callbacks, BridgeFutureCallbackEntry, i);
          if (entry->destroy != NULL)
            entry->destroy (entry->data);
        }
      g_clear_pointer (&future->more_callbacks, g_array_unref);
    }
}

/**
 * bridge_future_unref:
 * @future: (transfer full): a [struct@Bridge.Future]
 *
 * Drops a reference. A future that failed and whose error nobody retrieved
 * reports "Future exception was never retrieved" (or "Task exception …")
 * through the loop's exception handler when it is freed, as asyncio does.
 *
 * Since: 0.1
 */
void
bridge_future_unref (BridgeFuture *future)
{
  BridgeLoop *loop;

  g_return_if_fail (future != NULL);

  /* The only reference is ours: nobody else can take or drop one, so the
   * atomic decrement (a locked instruction) can be skipped. Most futures
   * end like this: created, awaited, unreferenced by their one owner. */
  if (G_LIKELY (g_atomic_int_get (&future->ref_count) == 1))
    future->ref_count = 0;
  else if (G_UNLIKELY (g_atomic_int_get (&future->ref_count) <= 0))
    {
      report_freed (future, G_STRFUNC);
      return;
    }
  else if (!g_atomic_int_dec_and_test (&future->ref_count))
    return;

  if (future->result_kind == BRIDGE_RESULT_ERROR && !future->error_retrieved &&
      future->state != BRIDGE_FUTURE_CANCELLED)
    {
      g_autofree char *message =
        g_strdup_printf ("%s exception was never retrieved", future->klass->type_name);

      /* Keep the future alive (but finished) while the handler looks at it. */
      future->ref_count = 1;
      future->error_retrieved = TRUE;
      bridge_loop_call_exception_handler (future->loop, message, future->error, future);
      if (!g_atomic_int_dec_and_test (&future->ref_count))
        return;
    }

  {
    char label[sizeof future->result];

    if (KEEP_LABEL_WHEN_FREED)
      g_strlcpy (label, bridge_future_get_label (future), sizeof label);

    if (future->klass->finalize != NULL)
      future->klass->finalize (future);

    clear_result (future);
    g_clear_error (&future->error);
    clear_callbacks (future);

    if (KEEP_LABEL_WHEN_FREED)
      memcpy (&future->result, label, sizeof label);
    future->ref_count = BRIDGE_FUTURE_FREED;
    future->magic = 0;
  }
  loop = future->loop;
  future_free (future);
  _bridge_loop_release (loop);
}

/**
 * bridge_future_get_loop:
 * @future: a [struct@Bridge.Future]
 *
 * Gives the loop that runs the done callbacks of @future.
 *
 * Returns: (transfer none): the loop @future belongs to (`get_loop()`)
 *
 * Since: 0.1
 */
BridgeLoop *
bridge_future_get_loop (BridgeFuture *future)
{
  g_return_val_if_fail (future != NULL, NULL);

  return future->loop;
}

/**
 * bridge_future_is_done:
 * @future: a [struct@Bridge.Future]
 *
 * Tells whether @future is no longer pending.
 *
 * Returns: whether @future has a value, an error, or was cancelled (`done()`)
 *
 * Since: 0.1
 */
gboolean
bridge_future_is_done (BridgeFuture *future)
{
  g_return_val_if_fail (future != NULL, FALSE);

  return future->state != BRIDGE_FUTURE_PENDING;
}

/**
 * bridge_future_is_cancelled:
 * @future: a [struct@Bridge.Future]
 *
 * Tells whether @future ended by cancellation.
 *
 * Returns: whether @future ended cancelled (`cancelled()`)
 *
 * Since: 0.1
 */
gboolean
bridge_future_is_cancelled (BridgeFuture *future)
{
  g_return_val_if_fail (future != NULL, FALSE);

  return future->state == BRIDGE_FUTURE_CANCELLED;
}

/**
 * bridge_future_get_label:
 * @future: a [struct@Bridge.Future]
 *
 * Says what @future stands for, for inspectors and debug output: the label
 * set with [method@Bridge.Future.set_label] (the GIO wrappers label their
 * futures with the operation, such as "bridge_soup_session_send"), a task's
 * name, or the kind of future ("Future", "GatheringFuture", …).
 *
 * Returns: (transfer none): the label
 *
 * Since: 0.1
 */
const char *
bridge_future_get_label (BridgeFuture *future)
{
  g_return_val_if_fail (future != NULL, NULL);

  if (future->label != NULL)
    return future->label;
  if (future->klass->label != NULL)
    return future->klass->label (future);
  return future->klass->type_name;
}

/**
 * bridge_future_set_label:
 * @future: a [struct@Bridge.Future]
 * @label: (nullable): what @future stands for; interned, so keep the set of
 *   distinct labels small (an operation name, not a URL)
 *
 * Labels @future for inspectors and debug output.
 *
 * Since: 0.1
 */
void
bridge_future_set_label (BridgeFuture *future,
                         const char   *label)
{
  g_return_if_fail (future != NULL);

  future->label = label != NULL ? g_intern_string (label) : NULL;
}

/* ---- completion ----------------------------------------------------------- */

static void
run_callbacks (gpointer a,
               gpointer b)
{
  BridgeFuture *future = a;
  BridgeFutureCallbackEntry first = future->first_callback;
  gboolean first_is_waker = future->first_is_waker;
  GArray *more = g_steal_pointer (&future->more_callbacks);

  if (G_UNLIKELY (_bridge_loop_is_closing (future->loop)))
    {
      /* The loop was closed with this still queued: release, do not run. */
      future->callbacks_scheduled = FALSE;
      if (more != NULL)
        future->more_callbacks = more;
      clear_callbacks (future);
      bridge_future_unref (future);
      return;
    }

  future->first_callback.func = NULL;
  future->first_callback.destroy = NULL;
  future->first_is_waker = FALSE;
  future->callbacks_scheduled = FALSE;

  if (first_is_waker)
    first.waker (first.data, future);
  else if (first.func != NULL)
    {
      first.func (future, first.data);
      if (first.destroy != NULL)
        first.destroy (first.data);
    }

  if (more != NULL)
    {
      for (guint i = 0; i < more->len; i++)
        {
          BridgeFutureCallbackEntry *entry = &g_array_index (more, BridgeFutureCallbackEntry, i);

          entry->func (future, entry->data);
          if (entry->destroy != NULL)
            entry->destroy (entry->data);
        }
      g_array_unref (more);
    }

  bridge_future_unref (future);
}

static void
schedule_callbacks (BridgeFuture *future)
{
  if (future->callbacks_scheduled || future->first_callback.func == NULL)
    return;

  /* A lone waker goes on the ready queue itself, in the place the
   * callbacks would have taken, and without a reference to the future. */
  if (future->first_is_waker &&
      (future->more_callbacks == NULL || future->more_callbacks->len == 0))
    {
      BridgeReadyFunc waker = future->first_callback.waker;
      gpointer data = future->first_callback.data;

      /* Queued: from now on the waker releases its data itself. */
      future->first_callback.func = NULL;
      future->first_callback.destroy = NULL;
      future->first_is_waker = FALSE;
      _bridge_loop_push_ready (future->loop, waker, data, future);
      return;
    }

  future->callbacks_scheduled = TRUE;
  _bridge_loop_push_ready (future->loop, run_callbacks, bridge_future_ref (future), NULL);
}

static gboolean
check_pending (BridgeFuture  *future,
               GError       **error)
{
  if (G_LIKELY (future->state == BRIDGE_FUTURE_PENDING))
    return TRUE;

  if (error != NULL)
    g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                 "invalid state: the %s is already done", future->klass->type_name);
  else
    g_critical ("invalid state: a result was set on a %s that is already done",
                future->klass->type_name);
  return FALSE;
}

/* Completion from a thread that does not run the future's loop: the result
 * travels to the loop's thread, which sets it there. */
typedef struct
{
  BridgeFuture     *future;
  BridgeResultKind  kind;
  GValue            value;
  gpointer          pointer;
  GDestroyNotify    destroy;
  GError           *error;
} RemoteCompletion;

static void
remote_completion_apply (gpointer a,
                         gpointer b)
{
  RemoteCompletion *rc = a;

  /* The loop's thread cancelled the future while this result was on its
   * way: the other thread could not have known, so this is not a double
   * completion but the race every cross-thread result has (asyncio's
   * _chain_future checks dest.cancelled() for the same reason). Drop the
   * result quietly instead of raising a critical. */
  if (rc->future->state == BRIDGE_FUTURE_CANCELLED)
    {
      if (rc->kind == BRIDGE_RESULT_VALUE)
        g_value_unset (&rc->value);
      else if (rc->kind == BRIDGE_RESULT_POINTER && rc->destroy != NULL && rc->pointer != NULL)
        rc->destroy (rc->pointer);
      bridge_future_unref (rc->future);
      g_clear_error (&rc->error);
      g_free (rc);
      return;
    }

  switch (rc->kind)
    {
    case BRIDGE_RESULT_VALUE:
      _bridge_future_complete_value (rc->future, &rc->value, NULL);
      g_value_unset (&rc->value);
      break;
    case BRIDGE_RESULT_NONE:
      _bridge_future_complete_value (rc->future, NULL, NULL);
      break;
    case BRIDGE_RESULT_POINTER:
      if (!_bridge_future_complete_pointer (rc->future, rc->pointer, rc->destroy, NULL) &&
          rc->destroy != NULL && rc->pointer != NULL)
        rc->destroy (rc->pointer);
      break;
    case BRIDGE_RESULT_ERROR:
      _bridge_future_complete_error (rc->future, g_steal_pointer (&rc->error), NULL);
      break;
    default:
      g_assert_not_reached ();
    }

  bridge_future_unref (rc->future);
  g_clear_error (&rc->error);
  g_free (rc);
}

static gboolean
complete_remotely (BridgeFuture     *future,
                   BridgeResultKind  kind,
                   const GValue     *value,
                   gpointer          pointer,
                   GDestroyNotify    destroy,
                   GError           *error)
{
  RemoteCompletion *rc = g_new0 (RemoteCompletion, 1);

  rc->future = bridge_future_ref (future);
  rc->kind = kind;
  if (kind == BRIDGE_RESULT_VALUE)
    {
      g_value_init (&rc->value, G_VALUE_TYPE (value));
      g_value_copy (value, &rc->value);
    }
  rc->pointer = pointer;
  rc->destroy = destroy;
  rc->error = error;
  _bridge_loop_push_ready_threadsafe (future->loop, remote_completion_apply, rc, NULL);
  return TRUE;
}

static void
finish (BridgeFuture *future)
{
  if (future->result_kind == BRIDGE_RESULT_ERROR &&
      g_error_matches (future->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    future->state = BRIDGE_FUTURE_CANCELLED;
  else
    future->state = BRIDGE_FUTURE_FINISHED;

  schedule_callbacks (future);
}

gboolean
_bridge_future_complete_value (BridgeFuture  *future,
                               const GValue  *value,
                               GError       **error)
{
  if (G_UNLIKELY (!_bridge_loop_is_owner_thread (future->loop)))
    return complete_remotely (future, value ? BRIDGE_RESULT_VALUE : BRIDGE_RESULT_NONE,
                              value, NULL, NULL, NULL);

  if (!check_pending (future, error))
    return FALSE;

  if (value != NULL)
    {
      g_value_init (&future->result.value, G_VALUE_TYPE (value));
      g_value_copy (value, &future->result.value);
      future->result_kind = BRIDGE_RESULT_VALUE;
    }
  finish (future);
  return TRUE;
}

/* Like _bridge_future_complete_value(), but moves @value into the future
 * instead of copying it; @value is left empty either way. The typed setters
 * build their GValue on the stack and hand it over: a copy per result was a
 * large part of a ping-pong's instructions. */
gboolean
_bridge_future_complete_value_take (BridgeFuture  *future,
                                    GValue        *value,
                                    GError       **error)
{
  if (G_UNLIKELY (!_bridge_loop_is_owner_thread (future->loop)))
    {
      gboolean ret = complete_remotely (future, BRIDGE_RESULT_VALUE, value, NULL, NULL, NULL);
      g_value_unset (value);
      return ret;
    }

  if (!check_pending (future, error))
    {
      g_value_unset (value);
      return FALSE;
    }

  future->result.value = *value;
  memset (value, 0, sizeof *value);
  future->result_kind = BRIDGE_RESULT_VALUE;
  finish (future);
  return TRUE;
}

gboolean
_bridge_future_complete_pointer (BridgeFuture    *future,
                                 gpointer         pointer,
                                 GDestroyNotify   destroy,
                                 GError         **error)
{
  if (G_UNLIKELY (!_bridge_loop_is_owner_thread (future->loop)))
    return complete_remotely (future, BRIDGE_RESULT_POINTER, NULL, pointer, destroy, NULL);

  if (!check_pending (future, error))
    return FALSE;

  future->result.pointer.pointer = pointer;
  future->result.pointer.destroy = destroy;
  future->result_kind = BRIDGE_RESULT_POINTER;
  finish (future);
  return TRUE;
}

gboolean
_bridge_future_complete_error (BridgeFuture  *future,
                               GError        *error_to_set,
                               GError       **error)
{
  g_return_val_if_fail (error_to_set != NULL, FALSE);

  if (G_UNLIKELY (!_bridge_loop_is_owner_thread (future->loop)))
    return complete_remotely (future, BRIDGE_RESULT_ERROR, NULL, NULL, NULL, error_to_set);

  if (!check_pending (future, error))
    {
      g_error_free (error_to_set);
      return FALSE;
    }

  future->error = error_to_set;
  future->result_kind = BRIDGE_RESULT_ERROR;
  finish (future);
  return TRUE;
}

/* Completes @future with what @source holds (both on the same thread). Used
 * by tasks that end with the result of a future they awaited, and by
 * combinators. The error of @source counts as retrieved. */
gboolean
_bridge_future_complete_copy (BridgeFuture  *future,
                              BridgeFuture  *source,
                              GError       **error)
{
  g_return_val_if_fail (!_bridge_future_is_pending (source), FALSE);

  switch ((BridgeResultKind) source->result_kind)
    {
    case BRIDGE_RESULT_VALUE:
      return _bridge_future_complete_value (future, &source->result.value, error);
    case BRIDGE_RESULT_ERROR:
      source->error_retrieved = TRUE;
      return _bridge_future_complete_error (future, g_error_copy (source->error), error);
    case BRIDGE_RESULT_POINTER:
      /* A pointer has one owner: the copy borrows it, so the caller keeps
       * @source alive for as long as the copy is read. */
      return _bridge_future_complete_pointer (future, source->result.pointer.pointer, NULL, error);
    case BRIDGE_RESULT_NONE:
    default:
      return _bridge_future_complete_value (future, NULL, error);
    }
}

GError *
_bridge_future_new_cancelled_error (const char *message)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                              message != NULL ? message : "Operation was cancelled");
}

gboolean
_bridge_future_cancel_default (BridgeFuture *future,
                               const char   *message)
{
  if (future->state != BRIDGE_FUTURE_PENDING)
    return FALSE;

  return _bridge_future_complete_error (future, _bridge_future_new_cancelled_error (message), NULL);
}

/**
 * bridge_future_set_value:
 * @future: a pending [struct@Bridge.Future]
 * @value: (nullable): the result, copied; %NULL for "no value" (`None`)
 * @error: return location for a %BRIDGE_ERROR_INVALID_STATE error
 *
 * Completes @future with @value (`set_result()`). Setting a result on a
 * future that is already done is an error; with @error %NULL it is reported
 * as a critical warning instead.
 *
 * Returns: %TRUE if the result was set
 *
 * Since: 0.1
 */
gboolean
bridge_future_set_value (BridgeFuture  *future,
                         const GValue  *value,
                         GError       **error)
{
  g_return_val_if_fail (future != NULL, FALSE);
  g_return_val_if_fail (value == NULL || G_IS_VALUE (value), FALSE);

  return _bridge_future_complete_value (future, value, error);
}

/**
 * bridge_future_set_object:
 * @future: a pending [struct@Bridge.Future]
 * @object: (type GObject) (nullable): the result; a reference is taken
 * @error: return location for a %BRIDGE_ERROR_INVALID_STATE error
 *
 * Completes @future with a `GObject`.
 *
 * Returns: %TRUE if the result was set
 *
 * Since: 0.1
 */
gboolean
bridge_future_set_object (BridgeFuture  *future,
                          gpointer       object,
                          GError       **error)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_return_val_if_fail (future != NULL, FALSE);
  g_return_val_if_fail (object == NULL || G_IS_OBJECT (object), FALSE);

  g_value_init (&value, object != NULL ? G_OBJECT_TYPE (object) : G_TYPE_OBJECT);
  g_value_set_object (&value, object);
  return _bridge_future_complete_value_take (future, &value, error);
}

/**
 * bridge_future_set_pointer:
 * @future: a pending [struct@Bridge.Future]
 * @pointer: (nullable): the result
 * @destroy: (nullable): frees @pointer when the future is freed, or when the
 *   future was already done and the pointer was refused
 * @error: return location for a %BRIDGE_ERROR_INVALID_STATE error
 *
 * Completes @future with a pointer that the future owns.
 *
 * Returns: %TRUE if the result was set
 *
 * Since: 0.1
 */
gboolean
bridge_future_set_pointer (BridgeFuture    *future,
                           gpointer         pointer,
                           GDestroyNotify   destroy,
                           GError         **error)
{
  g_return_val_if_fail (future != NULL, FALSE);

  if (!_bridge_future_complete_pointer (future, pointer, destroy, error))
    {
      if (destroy != NULL && pointer != NULL)
        destroy (pointer);
      return FALSE;
    }
  return TRUE;
}

#define DEFINE_SETTER(name, ctype, gtype, setter)                              \
gboolean                                                                       \
bridge_future_set_##name (BridgeFuture  *future,                               \
                          ctype          value,                                \
                          GError       **error)                                \
{                                                                              \
  g_auto(GValue) gvalue = G_VALUE_INIT;                                        \
                                                                               \
  g_return_val_if_fail (future != NULL, FALSE);                                \
                                                                               \
  g_value_init (&gvalue, gtype);                                               \
  setter (&gvalue, value);                                                     \
  return _bridge_future_complete_value_take (future, &gvalue, error);          \
}

/* See value_is_scalar(). A GValue of a fundamental scalar type is its type
 * and one data word, which is all g_value_init() and the setter would do. */
#define DEFINE_SCALAR_SETTER(name, ctype, gtype, field, convert)               \
gboolean                                                                       \
bridge_future_set_##name (BridgeFuture  *future,                               \
                          ctype          value,                                \
                          GError       **error)                                \
{                                                                              \
  GValue gvalue = G_VALUE_INIT;                                                \
                                                                               \
  g_return_val_if_fail (future != NULL, FALSE);                                \
                                                                               \
  gvalue.g_type = gtype;                                                       \
  gvalue.data[0].field = convert (value);                                      \
  return _bridge_future_complete_value_take (future, &gvalue, error);          \
}

#define AS_BOOLEAN(v) ((v) != FALSE)
#define AS_IS(v) (v)

/**
 * bridge_future_set_boolean:
 * @future: a pending [struct@Bridge.Future]
 * @value: the result
 * @error: return location for a %BRIDGE_ERROR_INVALID_STATE error
 *
 * Completes @future with a boolean (`set_result()`).
 *
 * Returns: %TRUE if the result was set
 *
 * Since: 0.1
 */
DEFINE_SCALAR_SETTER (boolean, gboolean, G_TYPE_BOOLEAN, v_int, AS_BOOLEAN)
/**
 * bridge_future_set_int64:
 * @future: a pending [struct@Bridge.Future]
 * @value: the result
 * @error: return location for a %BRIDGE_ERROR_INVALID_STATE error
 *
 * Completes @future with a 64-bit integer (`set_result()`).
 *
 * Returns: %TRUE if the result was set
 *
 * Since: 0.1
 */
DEFINE_SCALAR_SETTER (int64, gint64, G_TYPE_INT64, v_int64, AS_IS)
/**
 * bridge_future_set_double:
 * @future: a pending [struct@Bridge.Future]
 * @value: the result
 * @error: return location for a %BRIDGE_ERROR_INVALID_STATE error
 *
 * Completes @future with a floating-point number (`set_result()`).
 *
 * Returns: %TRUE if the result was set
 *
 * Since: 0.1
 */
DEFINE_SCALAR_SETTER (double, double, G_TYPE_DOUBLE, v_double, AS_IS)
/**
 * bridge_future_set_string:
 * @future: a pending [struct@Bridge.Future]
 * @value: (nullable): the result, copied
 * @error: return location for a %BRIDGE_ERROR_INVALID_STATE error
 *
 * Completes @future with a copy of a string (`set_result()`).
 *
 * Returns: %TRUE if the result was set
 *
 * Since: 0.1
 */
DEFINE_SETTER (string, const char *, G_TYPE_STRING, g_value_set_string)

/**
 * bridge_future_set_error:
 * @future: a pending [struct@Bridge.Future]
 * @error_to_set: (transfer full): the error (`set_exception()`); a
 *   %G_IO_ERROR_CANCELLED error makes the future cancelled
 * @error: return location for a %BRIDGE_ERROR_INVALID_STATE error
 *
 * Completes @future with an error (`set_exception()`).
 *
 * Returns: %TRUE if the error was set
 *
 * Since: 0.1
 */
gboolean
bridge_future_set_error (BridgeFuture  *future,
                         GError        *error_to_set,
                         GError       **error)
{
  g_return_val_if_fail (future != NULL, FALSE);
  g_return_val_if_fail (error_to_set != NULL, FALSE);

  return _bridge_future_complete_error (future, error_to_set, error);
}

/**
 * bridge_future_cancel:
 * @future: a [struct@Bridge.Future]
 * @message: (nullable): the message of the %G_IO_ERROR_CANCELLED error
 *
 * Requests cancellation (`cancel(msg)`). A plain future is cancelled at once;
 * a task receives the request at its await point and may act on it, refuse it
 * or clean up first. Returns %FALSE if @future was already done.
 *
 * Returns: %TRUE if the request was accepted
 *
 * Since: 0.1
 */
gboolean
bridge_future_cancel (BridgeFuture *future,
                      const char   *message)
{
  g_return_val_if_fail (future != NULL, FALSE);

  if (future->klass->cancel != NULL)
    return future->klass->cancel (future, message);

  return _bridge_future_cancel_default (future, message);
}

/* ---- reading the result ------------------------------------------------ */

/* Propagates the error (cancellation included) or returns TRUE. */
gboolean
_bridge_future_propagate (BridgeFuture  *future,
                          GError       **error)
{
  if (G_UNLIKELY (future->state == BRIDGE_FUTURE_PENDING))
    {
      g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                   "invalid state: the result of a pending %s was requested",
                   future->klass->type_name);
      return FALSE;
    }

  if (future->result_kind == BRIDGE_RESULT_ERROR)
    {
      future->error_retrieved = TRUE;
      if (error != NULL)
        *error = g_error_copy (future->error);
      return FALSE;
    }

  return TRUE;
}

gpointer
_bridge_future_steal_pointer (BridgeFuture *future)
{
  if (future->result_kind != BRIDGE_RESULT_POINTER)
    return NULL;
  future->result.pointer.destroy = NULL;
  return g_steal_pointer (&future->result.pointer.pointer);
}

/**
 * bridge_future_get_value:
 * @future: a [struct@Bridge.Future]
 * @value: (out caller-allocates) (optional): an uninitialised `GValue` that
 *   receives a copy of the result; left uninitialised when the result is "no
 *   value"
 * @error: return location for the future's error, %G_IO_ERROR_CANCELLED, or
 *   %BRIDGE_ERROR_INVALID_STATE when @future is still pending
 *
 * Reads the result (`result()`).
 *
 * Returns: %TRUE if @future completed with a value
 *
 * Since: 0.1
 */
gboolean
bridge_future_get_value (BridgeFuture  *future,
                         GValue        *value,
                         GError       **error)
{
  g_return_val_if_fail (future != NULL, FALSE);

  if (!_bridge_future_propagate (future, error))
    return FALSE;

  if (value != NULL && future->result_kind == BRIDGE_RESULT_VALUE)
    {
      g_value_init (value, G_VALUE_TYPE (&future->result.value));
      g_value_copy (&future->result.value, value);
    }
  else if (value != NULL && future->result_kind == BRIDGE_RESULT_POINTER)
    {
      g_value_init (value, G_TYPE_POINTER);
      g_value_set_pointer (value, future->result.pointer.pointer);
    }
  return TRUE;
}

static const GValue *
typed_value (BridgeFuture  *future,
             GType          type,
             GError       **error)
{
  if (!_bridge_future_propagate (future, error))
    return NULL;

  if (future->result_kind != BRIDGE_RESULT_VALUE)
    return NULL;

  if (G_LIKELY (G_VALUE_TYPE (&future->result.value) == type))
    return &future->result.value;

  if (!G_VALUE_HOLDS (&future->result.value, type))
    {
      g_critical ("The %s holds a value of type %s, not %s",
                  future->klass->type_name,
                  G_VALUE_TYPE_NAME (&future->result.value), g_type_name (type));
      return NULL;
    }

  return &future->result.value;
}

/**
 * bridge_future_get_object:
 * @future: a done [struct@Bridge.Future]
 * @error: return location for the future's error
 *
 * Reads the object result of a done future (`result()`), or its error.
 *
 * Returns: (transfer none) (type GObject) (nullable): the object result
 *
 * Since: 0.1
 */
gpointer
bridge_future_get_object (BridgeFuture  *future,
                          GError       **error)
{
  const GValue *value;

  g_return_val_if_fail (future != NULL, NULL);

  value = typed_value (future, G_TYPE_OBJECT, error);
  return value ? g_value_get_object (value) : NULL;
}

/**
 * bridge_future_get_pointer:
 * @future: a done [struct@Bridge.Future]
 * @error: return location for the future's error
 *
 * Reads the pointer result of a done future (`result()`), or its error.
 *
 * Returns: (transfer none) (nullable): the pointer result, still owned by
 *   @future
 *
 * Since: 0.1
 */
gpointer
bridge_future_get_pointer (BridgeFuture  *future,
                           GError       **error)
{
  g_return_val_if_fail (future != NULL, NULL);

  if (!_bridge_future_propagate (future, error))
    return NULL;
  if (future->result_kind == BRIDGE_RESULT_POINTER)
    return future->result.pointer.pointer;
  if (future->result_kind == BRIDGE_RESULT_VALUE && G_VALUE_HOLDS_POINTER (&future->result.value))
    return g_value_get_pointer (&future->result.value);
  return NULL;
}

/**
 * bridge_future_get_boolean:
 * @future: a done [struct@Bridge.Future]
 * @error: return location for the future's error
 *
 * Reads the boolean result of a done future (`result()`), or its error.
 *
 * Returns: the boolean result, %FALSE on error
 *
 * Since: 0.1
 */
gboolean
bridge_future_get_boolean (BridgeFuture  *future,
                           GError       **error)
{
  const GValue *value;

  g_return_val_if_fail (future != NULL, FALSE);

  value = typed_value (future, G_TYPE_BOOLEAN, error);
  return value ? value->data[0].v_int != FALSE : FALSE;
}

/**
 * bridge_future_get_int64:
 * @future: a done [struct@Bridge.Future]
 * @error: return location for the future's error
 *
 * Reads the integer result of a done future (`result()`), or its error.
 *
 * Returns: the integer result, 0 on error
 *
 * Since: 0.1
 */
gint64
bridge_future_get_int64 (BridgeFuture  *future,
                         GError       **error)
{
  const GValue *value;

  g_return_val_if_fail (future != NULL, 0);

  value = typed_value (future, G_TYPE_INT64, error);
  return value ? value->data[0].v_int64 : 0;
}

/**
 * bridge_future_get_double:
 * @future: a done [struct@Bridge.Future]
 * @error: return location for the future's error
 *
 * Reads the floating-point result of a done future (`result()`), or its error.
 *
 * Returns: the floating-point result, 0 on error
 *
 * Since: 0.1
 */
double
bridge_future_get_double (BridgeFuture  *future,
                          GError       **error)
{
  const GValue *value;

  g_return_val_if_fail (future != NULL, 0);

  value = typed_value (future, G_TYPE_DOUBLE, error);
  return value ? value->data[0].v_double : 0;
}

/**
 * bridge_future_get_string:
 * @future: a done [struct@Bridge.Future]
 * @error: return location for the future's error
 *
 * Reads the string result of a done future (`result()`), or its error.
 *
 * Returns: (transfer none) (nullable): the string result, owned by @future
 *
 * Since: 0.1
 */
const char *
bridge_future_get_string (BridgeFuture  *future,
                          GError       **error)
{
  const GValue *value;

  g_return_val_if_fail (future != NULL, NULL);

  value = typed_value (future, G_TYPE_STRING, error);
  return value ? g_value_get_string (value) : NULL;
}

/**
 * bridge_future_get_error:
 * @future: a done [struct@Bridge.Future]
 *
 * The error @future ended with (`exception()`): %NULL after a success, the
 * %G_IO_ERROR_CANCELLED error after a cancellation. Reading it counts as
 * retrieving it. Calling this on a pending future is a programming error.
 *
 * Returns: (transfer none) (nullable): the error, owned by @future
 *
 * Since: 0.1
 */
const GError *
bridge_future_get_error (BridgeFuture *future)
{
  g_return_val_if_fail (future != NULL, NULL);

  if (future->state == BRIDGE_FUTURE_PENDING)
    {
      g_critical ("invalid state: bridge_future_get_error() called on a pending %s",
                  future->klass->type_name);
      return NULL;
    }

  future->error_retrieved = TRUE;
  return future->error;
}

/* ---- done callbacks ------------------------------------------------------ */

/**
 * bridge_future_add_done_callback:
 * @future: a [struct@Bridge.Future]
 * @callback: (scope notified): called once @future is done
 * @user_data: data for @callback
 * @destroy: (nullable): frees @user_data after the call, or when the
 *   callback is removed
 *
 * Adds a done callback (`add_done_callback()`). It runs from the loop's ready
 * queue in the order callbacks were added; on a future that is already done it
 * is scheduled at once. Call this on the future's loop thread.
 *
 * Since: 0.1
 */
void
bridge_future_add_done_callback (BridgeFuture         *future,
                                 BridgeFutureCallback  callback,
                                 gpointer              user_data,
                                 GDestroyNotify        destroy)
{
  BridgeFutureCallbackEntry entry = { .func = callback, .data = user_data, .destroy = destroy };

  g_return_if_fail (future != NULL);
  g_return_if_fail (callback != NULL);

  if (future->first_callback.func == NULL &&
      (future->more_callbacks == NULL || future->more_callbacks->len == 0))
    future->first_callback = entry;
  else
    {
      if (future->more_callbacks == NULL)
        future->more_callbacks = g_array_sized_new (FALSE, FALSE, sizeof entry, 4);
      g_array_append_val (future->more_callbacks, entry);
    }

  if (future->state != BRIDGE_FUTURE_PENDING)
    schedule_callbacks (future);
}

/**
 * bridge_future_remove_done_callback: (skip)
 * @future: a [struct@Bridge.Future]
 * @callback: the callback
 * @user_data: its data
 *
 * Removes every registration of @callback with @user_data
 * (`remove_done_callback()`). Once @future is done its callbacks are already
 * scheduled, so nothing is removed then.
 *
 * Returns: how many registrations were removed
 *
 * Since: 0.1
 */
guint
bridge_future_remove_done_callback (BridgeFuture         *future,
                                    BridgeFutureCallback  callback,
                                    gpointer              user_data)
{
  g_return_val_if_fail (future != NULL, 0);

  if (future->state != BRIDGE_FUTURE_PENDING)
    return 0;

  return _bridge_future_remove_callback (future, callback, user_data);
}

/* Releases, without running them, the done callbacks of a future that will
 * never complete: a task abandoned by a closing loop. Combinators register
 * callbacks that hold the gathering future, which holds the task (gather,
 * shield, wait_for, as_completed, as asyncio's closures do); nothing else
 * breaks that cycle once the task can no longer finish, so every such
 * future and task used to leak at close. The entries are taken out before
 * any destroy notify runs, since those may drop the last references to
 * other futures and re-enter. */
void
_bridge_future_release_callbacks (BridgeFuture *future)
{
  BridgeFutureCallbackEntry first = future->first_callback;
  GArray *more = g_steal_pointer (&future->more_callbacks);

  if (future->state != BRIDGE_FUTURE_PENDING)
    {
      future->more_callbacks = more;
      return;
    }

  future->first_callback.func = NULL;
  future->first_callback.destroy = NULL;
  future->first_is_waker = FALSE;

  if (first.destroy != NULL)
    first.destroy (first.data);
  if (more != NULL)
    {
      for (guint i = 0; i < more->len; i++)
        {
          BridgeFutureCallbackEntry *entry = &g_array_index (more, BridgeFutureCallbackEntry, i);

          if (entry->destroy != NULL)
            entry->destroy (entry->data);
        }
      g_array_unref (more);
    }
}

/* Removes registrations even when the future is done but its callbacks have
 * not run yet: a task abandoned by a closing loop must not be called back. */
guint
_bridge_future_remove_callback (BridgeFuture         *future,
                                BridgeFutureCallback  callback,
                                gpointer              user_data)
{
  guint removed = 0;

  if (!future->first_is_waker &&
      future->first_callback.func == callback && future->first_callback.data == user_data)
    {
      if (future->first_callback.destroy != NULL)
        future->first_callback.destroy (user_data);
      future->first_callback.func = NULL;
      future->first_callback.destroy = NULL;
      removed++;
    }

  if (future->more_callbacks != NULL)
    {
      for (guint i = future->more_callbacks->len; i > 0; i--)
        {
          BridgeFutureCallbackEntry *entry =
            &g_array_index (future->more_callbacks, BridgeFutureCallbackEntry, i - 1);

          if (entry->func == callback && entry->data == user_data)
            {
              if (entry->destroy != NULL)
                entry->destroy (entry->data);
              g_array_remove_index (future->more_callbacks, i - 1);
              removed++;
            }
        }
    }

  /* Keep the inline slot filled first, so callbacks keep their order. */
  if (future->first_callback.func == NULL &&
      future->more_callbacks != NULL && future->more_callbacks->len > 0)
    {
      future->first_callback = g_array_index (future->more_callbacks, BridgeFutureCallbackEntry, 0);
      g_array_remove_index (future->more_callbacks, 0);
    }

  return removed;
}

/* A waker is a done callback for the loop's own use: a ready-queue function
 * called as @waker (@data, @future) when @future completes. A future whose
 * only callback is a waker puts it straight on the ready queue instead of
 * queueing its callbacks, so completing it takes no reference and no extra
 * step: this is how a task parked in bridge_await() is resumed, and how a
 * gather hears from its children. The future may be gone by the time @waker
 * runs, unless @data keeps it alive; @waker must not touch it then.
 *
 * @destroy, if set, releases @data when the waker is dropped without being
 * called (the future is freed, or abandoned by a closing loop) or removed.
 * A waker that is called releases @data itself: a ready-queue entry has no
 * room for a destroy notify. It is also called, once more, when the loop
 * closes with it queued (see drop_queued_work() in bridge-loop.c): it must
 * then only release.
 *
 * Returns FALSE when @future is done or already has callbacks: add a normal
 * callback then. */
gboolean
_bridge_future_add_waker (BridgeFuture    *future,
                          BridgeReadyFunc  waker,
                          gpointer         data,
                          GDestroyNotify   destroy)
{
  if (future->state != BRIDGE_FUTURE_PENDING || future->first_callback.func != NULL ||
      (future->more_callbacks != NULL && future->more_callbacks->len > 0))
    return FALSE;

  future->first_callback.waker = waker;
  future->first_callback.data = data;
  future->first_callback.destroy = destroy;
  future->first_is_waker = TRUE;
  return TRUE;
}

/* Removes a waker that has not been queued yet. */
gboolean
_bridge_future_remove_waker (BridgeFuture    *future,
                             BridgeReadyFunc  waker,
                             gpointer         data)
{
  GDestroyNotify destroy;

  if (!future->first_is_waker || future->first_callback.waker != waker ||
      future->first_callback.data != data)
    return FALSE;

  destroy = future->first_callback.destroy;
  future->first_callback.func = NULL;
  future->first_callback.destroy = NULL;
  future->first_is_waker = FALSE;
  if (destroy != NULL)
    destroy (data);

  /* Keep the inline slot filled first, so callbacks keep their order. */
  if (future->more_callbacks != NULL && future->more_callbacks->len > 0)
    {
      future->first_callback = g_array_index (future->more_callbacks, BridgeFutureCallbackEntry, 0);
      g_array_remove_index (future->more_callbacks, 0);
    }
  return TRUE;
}
