/* bridge-task-local.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-task-local-private.h"
#include "bridge-task-private.h"

/* Task-local variables, as contextvars.
 *
 * Each task holds a table of values (BridgeTaskLocals). Spawning shares the
 * parent's table with the child at the cost of a reference; the first set()
 * in either one copies it (copy on write), so a child never sees its
 * parent's later changes, nor the parent the child's: exactly what
 * create_task()'s copy_context() gives. Code outside any task has a table
 * per thread, which the tasks it spawns inherit. Values are shared between
 * copies by reference counting, and freed with the last table holding them. */

struct _BridgeTaskLocals
{
  gint        ref_count;
  GHashTable *values;   /* BridgeTaskLocal * → Value * */
};

typedef struct
{
  gint            ref_count;
  gpointer        data;
  GDestroyNotify  destroy;
} Value;

static Value *
value_ref (Value *value)
{
  g_atomic_int_inc (&value->ref_count);
  return value;
}

static void
value_unref (gpointer data)
{
  Value *value = data;

  if (!g_atomic_int_dec_and_test (&value->ref_count))
    return;
  if (value->destroy != NULL)
    value->destroy (value->data);
  g_free (value);
}

static BridgeTaskLocals *
locals_new (void)
{
  BridgeTaskLocals *locals = g_new (BridgeTaskLocals, 1);

  locals->ref_count = 1;
  locals->values = g_hash_table_new_full (NULL, NULL, NULL, value_unref);
  return locals;
}

void
_bridge_task_locals_unref (BridgeTaskLocals *locals)
{
  if (locals == NULL || !g_atomic_int_dec_and_test (&locals->ref_count))
    return;
  g_hash_table_unref (locals->values);
  g_free (locals);
}

/* The thread's slot: a box holding its table. */
static void
thread_locals_free (gpointer data)
{
  BridgeTaskLocals **slot = data;

  _bridge_task_locals_unref (*slot);
  g_free (slot);
}

static GPrivate thread_locals = G_PRIVATE_INIT (thread_locals_free);

/* Where the current code's values live: the running task's slot, or the
 * thread's. */
static BridgeTaskLocals **
current_slot (void)
{
  BridgeTask *task = bridge_task_get_current ();
  BridgeTaskLocals **slot;

  if (task != NULL)
    return (BridgeTaskLocals **) &task->locals;

  slot = g_private_get (&thread_locals);
  if (slot == NULL)
    {
      slot = g_new0 (BridgeTaskLocals *, 1);
      g_private_set (&thread_locals, slot);
    }
  return slot;
}

BridgeTaskLocals *
_bridge_task_locals_inherit (BridgeTask *parent)
{
  BridgeTaskLocals *locals;

  if (parent != NULL)
    locals = parent->locals;
  else
    {
      BridgeTaskLocals **slot = g_private_get (&thread_locals);

      locals = slot != NULL ? *slot : NULL;
    }

  if (locals == NULL)
    return NULL;
  g_atomic_int_inc (&locals->ref_count);
  return locals;
}

/**
 * bridge_task_local_get:
 * @local: a [struct@Bridge.TaskLocal]
 *
 * Returns the current task's value of @local (`ContextVar.get()`): the one
 * it set, or else the one its parent had when it spawned the task, and so
 * on up. Outside any task, the calling thread's value, which the tasks it
 * spawns inherit.
 *
 * Returns: (transfer none) (nullable): the value, %NULL if none was set
 *
 * Since: 0.1
 */
gpointer
bridge_task_local_get (BridgeTaskLocal *local)
{
  BridgeTaskLocals *locals;
  Value *value;

  g_return_val_if_fail (local != NULL, NULL);

  locals = *current_slot ();
  value = locals != NULL ? g_hash_table_lookup (locals->values, local) : NULL;
  return value != NULL ? value->data : NULL;
}

/**
 * bridge_task_local_is_set:
 * @local: a [struct@Bridge.TaskLocal]
 *
 * Tells whether @local has a value in the current task.
 *
 * Returns: whether the current task (or thread) has a value for @local,
 *   set by itself or inherited; `var in contextvars.copy_context()`
 *
 * Since: 0.1
 */
gboolean
bridge_task_local_is_set (BridgeTaskLocal *local)
{
  BridgeTaskLocals *locals;

  g_return_val_if_fail (local != NULL, FALSE);

  locals = *current_slot ();
  return locals != NULL && g_hash_table_contains (locals->values, local);
}

/**
 * bridge_task_local_set:
 * @local: a [struct@Bridge.TaskLocal]
 * @value: (nullable): the new value
 * @destroy: (nullable): frees @value once no task holds it any more
 *
 * Sets the current task's value of @local (`ContextVar.set()`). The tasks
 * it spawns from now on inherit it; tasks spawned before, and the task that
 * spawned this one, keep what they had. Outside any task it sets the
 * calling thread's value.
 *
 * A value is shared, not copied, by the tasks that inherit it: @destroy
 * runs when the last of them has set another value or has been freed. A
 * task that ended still holds its values while someone holds a reference
 * to it, as an asyncio task keeps its context until it is collected.
 *
 * Since: 0.1
 */
void
bridge_task_local_set (BridgeTaskLocal *local,
                       gpointer         value,
                       GDestroyNotify   destroy)
{
  BridgeTaskLocals **slot;
  BridgeTaskLocals *locals;
  Value *entry;

  g_return_if_fail (local != NULL);

  slot = current_slot ();
  locals = *slot;
  if (locals == NULL)
    locals = *slot = locals_new ();
  else if (g_atomic_int_get (&locals->ref_count) > 1)
    {
      /* Shared with a parent or children: copy before writing. */
      BridgeTaskLocals *copy = locals_new ();
      GHashTableIter iter;
      gpointer key, held;

      g_hash_table_iter_init (&iter, locals->values);
      while (g_hash_table_iter_next (&iter, &key, &held))
        g_hash_table_insert (copy->values, key, value_ref (held));
      _bridge_task_locals_unref (locals);
      locals = *slot = copy;
    }

  entry = g_new (Value, 1);
  entry->ref_count = 1;
  entry->data = value;
  entry->destroy = destroy;
  g_hash_table_insert (locals->values, local, entry);
}
