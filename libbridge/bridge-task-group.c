/* bridge-task-group.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "bridge-error.h"
#include "bridge-future-private.h"
#include "bridge-loop.h"
#include "bridge-task-group.h"
#include "bridge-task.h"
#include "bridge-waiter-private.h"

/**
 * BridgeTaskGroup:
 *
 * Structured concurrency: asyncio's `TaskGroup`.
 *
 * A task (the *parent*) creates a group, spawns children into it with
 * [method@Bridge.TaskGroup.spawn], and ends the group with
 * [method@Bridge.TaskGroup.wait], which returns only once every child has
 * finished. `async with TaskGroup() as tg:` becomes:
 *
 * ```c
 * g_autoptr(BridgeTaskGroup) group = bridge_task_group_new ();
 *
 * bridge_task_group_spawn (group, fetch, url1, NULL, NULL);
 * bridge_task_group_spawn (group, fetch, url2, NULL, NULL);
 * if (!bridge_task_group_wait (group, &error))
 *   {
 *     bridge_task_return_error (task, g_steal_pointer (&error));
 *     return;
 *   }
 * ```
 *
 * The first child that fails cancels its siblings and the parent (wherever
 * it is parked: in the body between spawns, or in wait()), the group waits
 * for all of them, and wait() then reports every error at once: one
 * %BRIDGE_ERROR_TASK_GROUP error whose message names each failed child and
 * its error (asyncio's `ExceptionGroup`), and
 * [method@Bridge.TaskGroup.get_errors] for the errors themselves. Children
 * that end cancelled are not errors.
 *
 * The group tells its own cancellation of the parent apart from one that
 * comes from outside, with the parent's cancellation count
 * ([method@Bridge.Task.get_cancelling]) as asyncio does: its own is
 * withdrawn with [method@Bridge.Task.uncancel] once the children are done,
 * while an outside cancellation cancels the children, waits for them, and
 * makes wait() fail with %G_IO_ERROR_CANCELLED (or, if children failed
 * too, with the group error while the parent stays cancelled).
 *
 * Since: 0.1
 */

struct _BridgeTaskGroup
{
  gatomicrefcount  ref_count;
  BridgeLoop      *loop;
  BridgeTask      *parent;
  /* The children in spawn order, owned. Finished ones are dropped in
   * batches rather than one by one: no allocation per child. */
  GPtrArray       *children;
  guint            n_running;       /* children whose done callback is pending */
  BridgeFuture    *on_completed;    /* set while wait() is parked */
  GPtrArray       *errors;          /* GError: the children's, then the body's */
  GPtrArray       *error_sources;   /* char *: the task each error came from */
  guint            exiting : 1;
  guint            aborting : 1;
  guint            parent_cancel_requested : 1;
};

G_DEFINE_BOXED_TYPE (BridgeTaskGroup, bridge_task_group, bridge_task_group_ref, bridge_task_group_unref)

/**
 * bridge_task_group_new: (constructor)
 *
 * Creates a task group whose parent is the current task (entering
 * `async with asyncio.TaskGroup()`). Call it from inside a task; outside
 * one it returns %NULL with a critical warning.
 *
 * Returns: (transfer full) (nullable): a new [struct@Bridge.TaskGroup]
 *
 * Since: 0.1
 */
BridgeTaskGroup *
bridge_task_group_new (void)
{
  BridgeTask *parent = bridge_task_get_current ();
  BridgeTaskGroup *group;

  if (parent == NULL)
    {
      g_critical ("bridge_task_group_new() called outside a task: a task group "
                  "needs a parent task");
      return NULL;
    }

  group = g_new0 (BridgeTaskGroup, 1);
  g_atomic_ref_count_init (&group->ref_count);
  group->parent = bridge_task_ref (parent);
  group->loop = g_object_ref (bridge_future_get_loop (BRIDGE_FUTURE (parent)));
  group->children = g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_task_unref);
  group->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  group->error_sources = g_ptr_array_new_with_free_func (g_free);
  return group;
}

/**
 * bridge_task_group_ref:
 * @group: a [struct@Bridge.TaskGroup]
 *
 * Takes a reference on @group.
 *
 * Returns: (transfer full): @group, with one more reference
 *
 * Since: 0.1
 */
BridgeTaskGroup *
bridge_task_group_ref (BridgeTaskGroup *group)
{
  g_return_val_if_fail (group != NULL, NULL);

  g_atomic_ref_count_inc (&group->ref_count);
  return group;
}

/**
 * bridge_task_group_unref:
 * @group: (transfer full): a [struct@Bridge.TaskGroup]
 *
 * Drops a reference. Running children hold one, so dropping the group
 * without waiting for it does not stop them.
 *
 * Since: 0.1
 */
void
bridge_task_group_unref (BridgeTaskGroup *group)
{
  g_return_if_fail (group != NULL);

  if (!g_atomic_ref_count_dec (&group->ref_count))
    return;

  g_assert (group->n_running == 0);
  g_clear_pointer (&group->children, g_ptr_array_unref);
  g_clear_pointer (&group->on_completed, bridge_future_unref);
  g_clear_pointer (&group->errors, g_ptr_array_unref);
  g_clear_pointer (&group->error_sources, g_ptr_array_unref);
  g_clear_pointer (&group->parent, bridge_task_unref);
  g_clear_object (&group->loop);
  g_free (group);
}

/* Cancels every child still running; the group refuses new children from
 * now on. */
static void
group_abort (BridgeTaskGroup *group)
{
  group->aborting = TRUE;

  for (guint i = 0; i < group->children->len; i++)
    {
      BridgeTask *child = g_ptr_array_index (group->children, i);

      if (!bridge_future_is_done (BRIDGE_FUTURE (child)))
        bridge_task_cancel (child, NULL);
    }
}

/* Drops the finished children once they are the majority, keeping the
 * order of the rest: amortised O(1) per child, and memory bounded by twice
 * the running children. */
static void
drop_finished_children (BridgeTaskGroup *group)
{
  guint kept = 0;

  if (group->n_running == 0)
    {
      g_ptr_array_set_size (group->children, 0);
      return;
    }
  if (group->children->len < 64 || group->n_running > group->children->len / 2)
    return;

  for (guint i = 0; i < group->children->len; i++)
    {
      BridgeTask *child = g_ptr_array_index (group->children, i);

      if (bridge_future_is_done (BRIDGE_FUTURE (child)))
        bridge_task_unref (child);
      else
        group->children->pdata[kept++] = child;
    }
  /* The pointers past @kept were moved or released already. */
  g_ptr_array_set_free_func (group->children, NULL);
  g_ptr_array_set_size (group->children, kept);
  g_ptr_array_set_free_func (group->children, (GDestroyNotify) bridge_task_unref);
}

/* A child finished (asyncio's `_on_task_done`). */
static void
child_done_cb (BridgeFuture *future,
               gpointer      user_data)
{
  BridgeTaskGroup *group = user_data;
  BridgeTask *child = (BridgeTask *) future;
  const GError *child_error;

  group->n_running--;

  if (group->on_completed != NULL && group->n_running == 0 &&
      !bridge_future_is_done (group->on_completed))
    bridge_future_set_value (group->on_completed, NULL, NULL);

  if (bridge_future_is_cancelled (future))
    goto out;

  /* Reading it marks it retrieved: the group reports it. */
  child_error = bridge_future_get_error (future);
  if (child_error == NULL)
    goto out;

  g_ptr_array_add (group->errors, g_error_copy (child_error));
  g_ptr_array_add (group->error_sources, g_strdup (bridge_task_get_name (child)));

  if (bridge_future_is_done (BRIDGE_FUTURE (group->parent)))
    {
      g_autofree char *message =
        g_strdup_printf ("Task “%s” has errored out but its parent task “%s” is already completed",
                         bridge_task_get_name (child), bridge_task_get_name (group->parent));

      bridge_loop_call_exception_handler (group->loop, message, child_error, future);
      goto out;
    }

  if (!group->aborting && !group->parent_cancel_requested)
    {
      /* Stop the siblings and whatever the parent is waiting for; wait()
       * withdraws the parent's cancellation again with uncancel(). */
      group_abort (group);
      group->parent_cancel_requested = TRUE;
      bridge_task_cancel (group->parent, NULL);
    }

out:
  /* run_callbacks() holds @future: dropping our reference here is safe. */
  drop_finished_children (group);

  /* The last child out drops the reference the running children held. */
  if (group->n_running == 0)
    bridge_task_group_unref (group);
}

/**
 * bridge_task_group_spawn_full:
 * @group: a [struct@Bridge.TaskGroup]
 * @name: (nullable): the child's name; %NULL for "Task-N"
 * @stack_size: the child's stack size in bytes, or
 *   %BRIDGE_STACK_SIZE_DEFAULT
 * @func: (scope notified): the child's body
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when @func has returned, or at
 *   once if the group refuses the child
 * @error: return location for %BRIDGE_ERROR_INVALID_STATE
 *
 * Spawns a child task in the group (`tg.create_task(coro, name=name)`) on
 * the parent's loop. Like [func@Bridge.spawn_full], the child starts in a
 * later iteration of the loop. Children may be spawned from any code on the
 * loop's thread, including other children, until the group finishes.
 *
 * A group that has finished (wait() returned) or is shutting down (a child
 * failed, or the parent was cancelled) refuses new children with
 * %BRIDGE_ERROR_INVALID_STATE (asyncio's `RuntimeError`); with @error
 * %NULL that is a critical warning. @user_data is freed with @destroy then.
 *
 * Returns: (transfer none) (nullable): the child, owned by the group until
 *   it finishes (take a reference to keep it longer), or %NULL if refused
 *
 * Since: 0.1
 */
BridgeTask *
bridge_task_group_spawn_full (BridgeTaskGroup  *group,
                              const char       *name,
                              gsize             stack_size,
                              BridgeTaskFunc    func,
                              gpointer          user_data,
                              GDestroyNotify    destroy,
                              GError          **error)
{
  BridgeTask *child;

  g_return_val_if_fail (group != NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  if (G_UNLIKELY ((group->exiting && group->n_running == 0) || group->aborting))
    {
      if (destroy != NULL)
        destroy (user_data);
      _bridge_set_misuse (error, BRIDGE_ERROR_INVALID_STATE,
                          group->exiting && group->n_running == 0
                          ? "Task group is finished"
                          : "Task group is shutting down");
      return NULL;
    }

  child = bridge_spawn_full (group->loop, name, stack_size, func, user_data, destroy);
  g_ptr_array_add (group->children, child);
  /* Running children keep the group alive, with one reference for all of
   * them (100k children should not cost 200k atomic operations). If the
   * loop is closed under them, their callbacks never run and the group
   * leaks with them, as the abandoned tasks themselves do. */
  if (group->n_running++ == 0)
    bridge_task_group_ref (group);
  bridge_future_add_done_callback (BRIDGE_FUTURE (child), child_done_cb, group, NULL);
  return child;
}

/**
 * bridge_task_group_spawn:
 * @group: a [struct@Bridge.TaskGroup]
 * @func: (scope notified): the child's body
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when @func has returned, or at
 *   once if the group refuses the child
 * @error: return location for %BRIDGE_ERROR_INVALID_STATE
 *
 * Spawns a child with the default name and stack size
 * (`tg.create_task(coro)`). See [method@Bridge.TaskGroup.spawn_full].
 *
 * Returns: (transfer none) (nullable): the child, owned by the group until
 *   it finishes, or %NULL if refused
 *
 * Since: 0.1
 */
BridgeTask *
bridge_task_group_spawn (BridgeTaskGroup  *group,
                         BridgeTaskFunc    func,
                         gpointer          user_data,
                         GDestroyNotify    destroy,
                         GError          **error)
{
  return bridge_task_group_spawn_full (group, NULL, BRIDGE_STACK_SIZE_DEFAULT,
                                       func, user_data, destroy, error);
}

static GError *
group_error_new (BridgeTaskGroup *group)
{
  g_autoptr(GString) message = g_string_new (NULL);

  g_string_append_printf (message, "unhandled errors in a task group (%u sub-error%s)",
                          group->errors->len, group->errors->len == 1 ? "" : "s");
  for (guint i = 0; i < group->errors->len; i++)
    {
      const GError *child_error = g_ptr_array_index (group->errors, i);

      g_string_append_printf (message, "%s “%s”: %s", i == 0 ? ":" : ";",
                              (const char *) g_ptr_array_index (group->error_sources, i),
                              child_error->message);
    }

  return g_error_new_literal (BRIDGE_ERROR, BRIDGE_ERROR_TASK_GROUP, message->str);
}

/**
 * bridge_task_group_wait_full:
 * @group: a [struct@Bridge.TaskGroup]
 * @body_error: (nullable): the error the parent's own code is failing with,
 *   if any: what `async with` passes to `__aexit__`
 * @error: return location for %BRIDGE_ERROR_TASK_GROUP,
 *   %G_IO_ERROR_CANCELLED, or %BRIDGE_ERROR_INVALID_STATE
 *
 * Ends the group (leaving the `async with` block): waits until every child
 * has finished, then reports how the group went.
 *
 * - If children failed, this fails with one %BRIDGE_ERROR_TASK_GROUP error
 *   whose message lists each failed child's name and error, followed by
 *   @body_error unless that is a cancellation; the errors themselves are in
 *   [method@Bridge.TaskGroup.get_errors].
 * - Otherwise, if the parent was cancelled from outside the group (before
 *   or during this call), the children are cancelled and awaited and this
 *   fails with %G_IO_ERROR_CANCELLED.
 * - A cancellation of the parent that the group itself caused (because a
 *   child failed) is withdrawn with [method@Bridge.Task.uncancel].
 *
 * A @body_error other than a cancellation cancels the children as well and
 * is reported with theirs. A %G_IO_ERROR_CANCELLED @body_error, or an
 * outside cancellation request that is still counted by
 * [method@Bridge.Task.get_cancelling], marks the body as cancelled from
 * outside. (asyncio learns this from the exception passed to `__aexit__`;
 * C code that handled a cancellation and wants to carry on must call
 * [method@Bridge.Task.uncancel], as asyncio code should.)
 *
 * Call this from the parent task, once. While it waits, children may still
 * spawn siblings into the group.
 *
 * Returns: %TRUE if every child succeeded or ended cancelled and the parent
 *   was not cancelled from outside
 *
 * Since: 0.1
 */
gboolean
bridge_task_group_wait_full (BridgeTaskGroup  *group,
                             const GError     *body_error,
                             GError          **error)
{
  BridgeTask *task;
  GError *cancel_error = NULL;
  gboolean body_cancelled;
  gboolean propagate_cancel;
  guint own_requests;

  g_return_val_if_fail (group != NULL, FALSE);

  if (G_UNLIKELY ((task = _bridge_waiter_get_task (G_STRFUNC, error)) == NULL))
    return FALSE;
  if (G_UNLIKELY (task != group->parent))
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                           "A task group must be waited for by the task that created it");
      return FALSE;
    }
  if (G_UNLIKELY (group->exiting))
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                           "The task group was already waited for");
      return FALSE;
    }

  bridge_task_group_ref (group);
  group->exiting = TRUE;

  own_requests = group->parent_cancel_requested ? 1 : 0;
  body_cancelled = g_error_matches (body_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
                   bridge_task_get_cancelling (task) > own_requests;
  propagate_cancel = body_cancelled;
  if (body_cancelled)
    cancel_error = body_error != NULL && g_error_matches (body_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                   ? g_error_copy (body_error)
                   : g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");

  if ((body_error != NULL || body_cancelled) && !group->aborting)
    group_abort (group);

  /* A loop, because the parent may be cancelled again and again while the
   * children finish; each time, the wait simply resumes. */
  while (group->n_running > 0)
    {
      GError *local = NULL;

      group->on_completed = bridge_future_new_for_loop (group->loop);
      if (!bridge_await (group->on_completed, &local))
        {
          if (!group->aborting)
            {
              /* The parent was cancelled from outside while it waited. */
              propagate_cancel = TRUE;
              g_clear_error (&cancel_error);
              cancel_error = g_steal_pointer (&local);
              group_abort (group);
            }
          g_clear_error (&local);
        }
      g_clear_pointer (&group->on_completed, bridge_future_unref);
    }

  if (group->parent_cancel_requested)
    {
      /* Withdraw the cancellation the group itself requested; what is left
       * came from outside. */
      group->parent_cancel_requested = FALSE;
      if (bridge_task_uncancel (task) == 0)
        propagate_cancel = FALSE;
    }

  /* Errors take priority over a cancellation. */
  if (propagate_cancel && group->errors->len == 0)
    {
      g_propagate_error (error, cancel_error);
      bridge_task_group_unref (group);
      return FALSE;
    }
  g_clear_error (&cancel_error);

  if (body_error != NULL && !g_error_matches (body_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_ptr_array_add (group->errors, g_error_copy (body_error));
      g_ptr_array_add (group->error_sources, g_strdup (bridge_task_get_name (task)));
    }

  if (group->errors->len > 0)
    {
      /* Reporting the group error instead of the cancellation must not
       * swallow an outside cancellation: request it again, so the parent
       * sees it at its next await with the count unchanged. */
      if (bridge_task_get_cancelling (task) > 0)
        {
          bridge_task_uncancel (task);
          bridge_task_cancel (task, NULL);
        }
      g_propagate_error (error, group_error_new (group));
      bridge_task_group_unref (group);
      return FALSE;
    }

  bridge_task_group_unref (group);
  return TRUE;
}

/**
 * bridge_task_group_wait:
 * @group: a [struct@Bridge.TaskGroup]
 * @error: return location for %BRIDGE_ERROR_TASK_GROUP,
 *   %G_IO_ERROR_CANCELLED, or %BRIDGE_ERROR_INVALID_STATE
 *
 * Waits for every child and reports how the group went: the same as
 * [method@Bridge.TaskGroup.wait_full] with no body error.
 *
 * Returns: %TRUE if every child succeeded or ended cancelled and the parent
 *   was not cancelled from outside
 *
 * Since: 0.1
 */
gboolean
bridge_task_group_wait (BridgeTaskGroup  *group,
                        GError          **error)
{
  return bridge_task_group_wait_full (group, NULL, error);
}

/**
 * bridge_task_group_get_errors:
 * @group: a [struct@Bridge.TaskGroup]
 *
 * The errors of the children that failed, in the order they failed,
 * followed by the body error given to [method@Bridge.TaskGroup.wait_full]
 * if it was not a cancellation (asyncio's `ExceptionGroup.exceptions`).
 * Children that ended cancelled are not listed.
 *
 * Returns: (transfer none) (element-type GLib.Error): the errors, owned by
 *   @group
 *
 * Since: 0.1
 */
GPtrArray *
bridge_task_group_get_errors (BridgeTaskGroup *group)
{
  g_return_val_if_fail (group != NULL, NULL);

  return group->errors;
}

/**
 * bridge_task_group_get_n_tasks:
 * @group: a [struct@Bridge.TaskGroup]
 *
 * Counts the children of @group still running.
 *
 * Returns: how many children have not finished yet
 *
 * Since: 0.1
 */
guint
bridge_task_group_get_n_tasks (BridgeTaskGroup *group)
{
  g_return_val_if_fail (group != NULL, 0);

  return group->n_running;
}
