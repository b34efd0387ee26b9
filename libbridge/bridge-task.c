/* bridge-task.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-error.h"
#include "bridge-handle.h"
#include "bridge-loop-private.h"
#include "bridge-task-private.h"
#include "bridge-task-local-private.h"
#include "bridge-thread-local-private.h"

/**
 * BridgeTask:
 *
 * A function running on its own fiber: asyncio's `Task`.
 *
 * A task is a [struct@Bridge.Future] (cast with `BRIDGE_FUTURE()`) that
 * completes with what its function returns through `bridge_task_return_*()`.
 * The function may call [func@Bridge.await] at any depth of ordinary C calls;
 * while it waits, its fiber is parked and the main loop runs on.
 *
 * Cancelling a task ([method@Bridge.Task.cancel]) is a request, as in
 * asyncio: the task receives %G_IO_ERROR_CANCELLED from the await it is
 * parked in (or from its next one), runs its cleanup, and may even carry on.
 * The future it was awaiting is cancelled too, and so is its
 * [method@Bridge.Task.get_cancellable], which stops GIO operations at once.
 *
 * Since: 0.1
 */

static BRIDGE_THREAD_LOCAL BridgeTask *current_task;

static void task_waker   (gpointer      a,
                          gpointer      b);
static void task_wake_cb (BridgeFuture *future,
                          gpointer      user_data);

static gboolean    task_cancel   (BridgeFuture *future,
                                  const char   *message);
static void        task_finalize (BridgeFuture *future);
static const char *task_label    (BridgeFuture *future);

const BridgeFutureClass _bridge_task_class = {
  .type_name = "Task",
  .instance_size = sizeof (BridgeTask),
  .block_class = 1 + BRIDGE_BLOCK_TASK,
  .label = task_label,
  .cancel = task_cancel,
  .finalize = task_finalize,
};

/* A callback dispatched by a main loop nested inside the task's step (a
 * modal dialog's, on the loop's context) runs deeper than the loop's
 * dispatch, and is not in the task. */
static inline gboolean
in_nested_loop (void)
{
  return G_UNLIKELY (_bridge_loop_nested_iteration) && g_main_depth () != _bridge_loop_dispatch_depth;
}

GType
bridge_task_get_type (void)
{
  static gsize type_id;

  if (g_once_init_enter (&type_id))
    {
      GType type = g_boxed_type_register_static (g_intern_static_string ("BridgeTask"),
                                                 (GBoxedCopyFunc) bridge_future_ref,
                                                 (GBoxedFreeFunc) bridge_future_unref);
      g_once_init_leave (&type_id, type);
    }

  return type_id;
}

static inline BridgeLoop *
task_loop (BridgeTask *task)
{
  return task->parent.loop;
}

/* ---- life cycle ------------------------------------------------------------ */

static void
task_finished (BridgeTask *task)
{
  BridgeLoop *loop = task_loop (task);

  if (task->fiber.stack != NULL)
    {
      _bridge_stack_pool_release (_bridge_loop_get_stack_pool (loop), task->fiber.stack,
                                  _bridge_fiber_get_saved_sp (&task->fiber));
      task->fiber.stack = NULL;
    }
  task->state = BRIDGE_TASK_STATE_DONE;
  /* Drops the loop's reference: @task may be gone after this. */
  _bridge_loop_remove_task (loop, task);
}

/* @eager: the step may start inside another task's fiber (an eager spawn
 * from a task), so the fiber layer must keep that fiber's place. Always a
 * constant, so the ordinary path compiles to exactly what it was. */
static inline void
task_resume_step (BridgeTask *task,
                  gboolean    eager)
{
  BridgeTask *previous = current_task;
  BridgeLoop *loop = task_loop (task);

  current_task = task;
  task->state = BRIDGE_TASK_STATE_RUNNING;

  if (G_UNLIKELY (_bridge_loop_get_debug_fast (loop)))
    {
      gint64 start = g_get_monotonic_time ();
      gint64 duration;

      if (eager)
        _bridge_fiber_resume_nested (&task->fiber);
      else
        _bridge_fiber_resume (&task->fiber);
      duration = g_get_monotonic_time () - start;
      if (duration >= bridge_loop_get_slow_callback_duration (loop) * G_USEC_PER_SEC)
        {
          g_autofree char *what = g_strdup_printf ("<Task name='%s'>", bridge_task_get_name (task));
          _bridge_loop_note_slow_step (loop, what, duration);
        }
    }
  else if (eager)
    _bridge_fiber_resume_nested (&task->fiber);
  else
    _bridge_fiber_resume (&task->fiber);

  current_task = previous;

  if (task->fiber.finished)
    task_finished (task);
}

static void
task_resume (BridgeTask *task)
{
  task_resume_step (task, FALSE);
}

static void
task_complete_cancelled (BridgeTask *task)
{
  _bridge_future_complete_error (BRIDGE_FUTURE (task),
                                 _bridge_future_new_cancelled_error (task->cancel_message), NULL);
}

static void
task_fiber_main (BridgeFiber *fiber,
                 gpointer     data)
{
  BridgeTask *task = data;

  task->func (task, task->data);

  if (!task->returned && _bridge_future_is_pending (BRIDGE_FUTURE (task)))
    {
      /* Returning without a result after a cancellation arrived is what
       * letting CancelledError propagate is in asyncio: the task ends
       * cancelled. bridge_task_uncancel() or an explicit return keeps it. */
      if (task->must_cancel || (task->cancel_delivered && task->cancels_requested > 0))
        task_complete_cancelled (task);
      else
        _bridge_future_complete_value (BRIDGE_FUTURE (task), NULL, NULL);
    }
  task->returned = TRUE;

  if (task->destroy != NULL)
    {
      GDestroyNotify destroy = g_steal_pointer (&task->destroy);
      destroy (g_steal_pointer (&task->data));
    }
}

static inline void
task_start_step (BridgeTask *task,
                 gboolean    eager)
{
  BridgeLoop *loop = task_loop (task);
  BridgeStack *stack;

  if (G_UNLIKELY (_bridge_loop_is_closing (loop) || task->abandoned))
    return;

  if (G_UNLIKELY (task->must_cancel))
    {
      /* Cancelled before it ever ran: the body never starts. */
      task_complete_cancelled (task);
      task_finished (task);
      return;
    }

  if (task->stack_size == 0)
    task->stack_size = _bridge_stack_size_default ();
  stack = _bridge_stack_pool_acquire (_bridge_loop_get_stack_pool (loop), task->stack_size);
  _bridge_fiber_init (&task->fiber, stack, task_fiber_main, task);
  task->fiber.name = task->name;
  task_resume_step (task, eager);
}

static void
task_start (gpointer a,
            gpointer b)
{
  task_start_step (a, FALSE);
}

/* A task spawned on a loop from a thread that does not run it joins the loop
 * on the loop's thread: its list of tasks and its ready queue belong to
 * that thread. The inbox entry holds a reference, which becomes the loop's. */
static void
task_adopt (gpointer a,
            gpointer b)
{
  BridgeTask *task = a;
  BridgeLoop *loop = task_loop (task);

  if (G_UNLIKELY (_bridge_loop_is_closing (loop)))
    {
      _bridge_future_complete_error (BRIDGE_FUTURE (task),
                                     g_error_new_literal (BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                                                          "Event loop is closed"),
                                     NULL);
      task->state = BRIDGE_TASK_STATE_DONE;
      bridge_task_unref (task);
      return;
    }

  _bridge_loop_add_task (loop, task);   /* the inbox's reference becomes the loop's */
  task_start (task, NULL);
}

/**
 * bridge_spawn_full:
 * @loop: (nullable): the loop to run on; %NULL for the current task's loop,
 *   or else [func@Bridge.Loop.get_default]
 * @name: (nullable): the task's name; %NULL for "Task-N"
 * @stack_size: the stack size in bytes, or %BRIDGE_STACK_SIZE_DEFAULT
 * @func: (scope notified): the task's body
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when @func has returned (or when
 *   the task is freed without having run)
 *
 * Creates a task and schedules its first step (`loop.create_task(coro,
 * name=)`). The task starts in a later iteration of the loop, never inside
 * this call. The loop keeps a reference until the task finishes, so the
 * returned reference may be dropped at once.
 *
 * The stack is only reserved: the kernel commits memory as the task's frames
 * reach it, and stacks are pooled, so spawning costs no system call in the
 * common case. A stack overflow is reported with the task's name and stack
 * size, instead of a bare segmentation fault.
 *
 * Spawning on a closed loop returns a task that already failed with
 * %BRIDGE_ERROR_INVALID_STATE.
 *
 * @loop may be run by another thread: the task then joins it through the
 * loop's thread-safe inbox, as with `bridge_loop_spawn_threadsafe()`, and
 * starts on that thread. The returned task belongs to @loop: only use it
 * from another thread through thread-safe calls (reference counting,
 * [method@Bridge.Task.cancel] is not one of them).
 *
 * Returns: (transfer full): the new task
 *
 * Since: 0.1
 */
/* @eager is always a constant: bridge_spawn_full() compiles to what it was
 * before eager spawns existed. */
static inline BridgeTask *
task_spawn (BridgeLoop     *loop,
            const char     *name,
            gsize           stack_size,
            BridgeTaskFunc  func,
            gpointer        user_data,
            GDestroyNotify  destroy,
            gboolean        eager)
{
  BridgeTask *task;

  g_return_val_if_fail (loop == NULL || BRIDGE_IS_LOOP (loop), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  if (loop == NULL)
    loop = current_task != NULL ? task_loop (current_task) : bridge_loop_get_default ();

  task = _bridge_future_new_of_class (&_bridge_task_class, loop);
  task->func = func;
  task->data = user_data;
  task->destroy = destroy;
  task->fiber.number = _bridge_loop_next_task_number (loop);
  task->name = g_strdup (name);
  task->stack_size = stack_size != 0 ? _bridge_stack_size_round (stack_size) : 0;
  task->state = BRIDGE_TASK_STATE_SCHEDULED;
  task->locals = _bridge_task_locals_inherit (current_task);

  if (G_UNLIKELY (_bridge_loop_is_closing (loop)))
    {
      _bridge_future_complete_error (BRIDGE_FUTURE (task),
                                     g_error_new_literal (BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                                                          "Event loop is closed"),
                                     NULL);
      task->state = BRIDGE_TASK_STATE_DONE;
      return task;
    }

  if (G_UNLIKELY (!_bridge_loop_is_owner_thread (loop)))
    {
      bridge_task_ref (task);
      _bridge_loop_push_ready_threadsafe (loop, task_adopt, task, NULL);
      return task;
    }

  /* The loop's reference. @task was just made and no other thread can see
   * it yet, so a plain increment does: the locked one was a noticeable part
   * of a spawn. */
  ((BridgeFuture *) task)->ref_count++;
  _bridge_loop_add_task (loop, task);
  if (eager)
    task_start_step (task, TRUE);
  else
    _bridge_loop_push_ready (loop, task_start, task, NULL);
  return task;
}

BridgeTask *
bridge_spawn_full (BridgeLoop     *loop,
                   const char     *name,
                   gsize           stack_size,
                   BridgeTaskFunc  func,
                   gpointer        user_data,
                   GDestroyNotify  destroy)
{
  return task_spawn (loop, name, stack_size, func, user_data, destroy, FALSE);
}

/**
 * bridge_spawn_eager_full:
 * @loop: (nullable): the loop to run on; %NULL for the current task's loop,
 *   or else [func@Bridge.Loop.get_default]
 * @name: (nullable): the task's name; %NULL for "Task-N"
 * @stack_size: the stack size in bytes, or %BRIDGE_STACK_SIZE_DEFAULT
 * @func: (scope notified): the task's body
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when @func has returned (or when
 *   the task is freed without having run)
 *
 * Creates a task and runs it at once, inside this call, until its first
 * await that suspends (asyncio 3.12's `eager_task_factory`). A task that
 * returns without suspending is done when this returns and is never
 * scheduled; its done callbacks still run from the loop, as for any future.
 * A task that suspends continues like any other task, resumed by the loop.
 *
 * While the task runs, [func@Bridge.Task.get_current] is the new task; when
 * this returns it is the caller's task again (or %NULL outside tasks). The
 * caller may be a task, a callback on the loop's thread, or code outside any
 * callback; eager tasks may spawn eager tasks in turn.
 *
 * Unlike asyncio, which only starts tasks eagerly on a running loop, the
 * task starts eagerly whenever this runs on @loop's thread: a GLib
 * application dispatches @loop without [method@Bridge.Loop.run_forever].
 * From another thread the task cannot run here: it joins @loop as with
 * [func@Bridge.spawn_full] and starts on the loop's thread. On a closed loop
 * the returned task already failed with %BRIDGE_ERROR_INVALID_STATE.
 *
 * Returns: (transfer full): the new task
 *
 * Since: 0.1
 */
BridgeTask *
bridge_spawn_eager_full (BridgeLoop     *loop,
                         const char     *name,
                         gsize           stack_size,
                         BridgeTaskFunc  func,
                         gpointer        user_data,
                         GDestroyNotify  destroy)
{
  return task_spawn (loop, name, stack_size, func, user_data, destroy, TRUE);
}

/**
 * bridge_spawn_eager:
 * @func: (scope notified): the task's body
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when @func has returned
 *
 * Creates a task on the current loop with the default name and stack size
 * and runs it at once until its first await that suspends. See
 * [func@Bridge.spawn_eager_full].
 *
 * Returns: (transfer full): the new task
 *
 * Since: 0.1
 */
BridgeTask *
bridge_spawn_eager (BridgeTaskFunc  func,
                    gpointer        user_data,
                    GDestroyNotify  destroy)
{
  return task_spawn (NULL, NULL, BRIDGE_STACK_SIZE_DEFAULT, func, user_data, destroy, TRUE);
}

/**
 * bridge_spawn:
 * @func: (scope notified): the task's body
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when @func has returned
 *
 * Creates a task on the current loop with the default name and stack size
 * (`asyncio.create_task()`). See [func@Bridge.spawn_full].
 *
 * Returns: (transfer full): the new task
 *
 * Since: 0.1
 */
BridgeTask *
bridge_spawn (BridgeTaskFunc  func,
              gpointer        user_data,
              GDestroyNotify  destroy)
{
  return bridge_spawn_full (NULL, NULL, BRIDGE_STACK_SIZE_DEFAULT, func, user_data, destroy);
}

void
_bridge_task_abandon (BridgeTask *task)
{
  task->abandoned = TRUE;
  if (task->awaiting != NULL)
    {
      if (!_bridge_future_remove_waker (task->awaiting, task_waker, task))
        _bridge_future_remove_callback (task->awaiting, task_wake_cb, task);
      task->awaiting = NULL;
    }
  /* A pending task will never complete now: drop what waits for it, which
   * breaks reference cycles through combinators (see the function). */
  _bridge_future_release_callbacks (BRIDGE_FUTURE (task));
  if (task->fiber.stack != NULL)
    {
      _bridge_stack_pool_release (_bridge_loop_get_stack_pool (task_loop (task)), task->fiber.stack,
                                  _bridge_fiber_get_saved_sp (&task->fiber));
      task->fiber.stack = NULL;
    }
}

static const char *
task_label (BridgeFuture *future)
{
  return bridge_task_get_name ((BridgeTask *) future);
}

/**
 * bridge_future_is_task:
 * @future: a [struct@Bridge.Future]
 *
 * Tells whether @future is a task, seen as a future (the reverse of
 * [method@Bridge.Task.as_future]).
 *
 * Returns: whether @future is a [struct@Bridge.Task]
 *
 * Since: 0.1
 */
gboolean
bridge_future_is_task (BridgeFuture *future)
{
  g_return_val_if_fail (future != NULL, FALSE);

  return future->klass == &_bridge_task_class;
}

static void
task_finalize (BridgeFuture *future)
{
  BridgeTask *task = (BridgeTask *) future;

  if (task->destroy != NULL)
    task->destroy (task->data);
  g_clear_object (&task->cancellable);
  g_free (task->cancel_message);
  g_free (task->name);
  _bridge_task_locals_unref (task->locals);
}

/**
 * bridge_task_ref:
 * @task: a [struct@Bridge.Task]
 *
 * Takes a reference on @task.
 *
 * Returns: (transfer full): @task
 *
 * Since: 0.1
 */
BridgeTask *
bridge_task_ref (BridgeTask *task)
{
  g_return_val_if_fail (task != NULL, NULL);

  if (!_bridge_future_check_alive ((BridgeFuture *) task, G_STRFUNC))
    return task;
  return (BridgeTask *) bridge_future_ref ((BridgeFuture *) task);
}

/**
 * bridge_task_unref:
 * @task: (transfer full): a [struct@Bridge.Task]
 *
 * Drops a reference on @task. A running task is kept alive by its loop until
 * it ends: dropping the last outside reference neither cancels nor frees it.
 *
 * Since: 0.1
 */
void
bridge_task_unref (BridgeTask *task)
{
  g_return_if_fail (task != NULL);

  if (G_UNLIKELY (!_bridge_future_check_alive ((BridgeFuture *) task, G_STRFUNC)))
    return;
  bridge_future_unref ((BridgeFuture *) task);
}

/**
 * bridge_task_as_future:
 * @task: a [struct@Bridge.Task]
 *
 * Gives @task as the [struct@Bridge.Future] it is, for language bindings.
 *
 * In C a task is a future: `BRIDGE_FUTURE (task)` is the same pointer. The
 * two are separate boxed types in GType, though, so a bound language does
 * not know that a `Bridge.Task` may be passed where a `Bridge.Future` is
 * expected; this accessor is that cast. The future and the task are one
 * object: completing, cancelling or awaiting the one is doing it to the
 * other.
 *
 * Returns: (transfer none): @task, as a future
 *
 * Since: 0.1
 */
BridgeFuture *
bridge_task_as_future (BridgeTask *task)
{
  g_return_val_if_fail (task != NULL, NULL);

  return BRIDGE_FUTURE (task);
}

/**
 * bridge_task_get_current:
 *
 * Gives the task whose fiber is running on this thread.
 *
 * Callbacks that a main loop nested inside a task dispatches on the task's
 * context (a modal dialog's, say) are not in the task: they run while the
 * task is stopped in the middle of a step, and cannot wait.
 *
 * Returns: (transfer none) (nullable): the task running on this thread
 *   (`asyncio.current_task()`), or %NULL outside tasks
 *
 * Since: 0.1
 */
BridgeTask *
bridge_task_get_current (void)
{
  if (current_task != NULL && G_UNLIKELY (in_nested_loop ()))
    return NULL;
  return current_task;
}

/**
 * bridge_task_get_name:
 * @task: a [struct@Bridge.Task]
 *
 * Reads the name of @task.
 *
 * Returns: the task's name (`get_name()`): the one it was given, or
 *   "Task-N" with N counting the tasks of the process
 *
 * Since: 0.1
 */
const char *
bridge_task_get_name (BridgeTask *task)
{
  g_return_val_if_fail (task != NULL, NULL);

  if (task->name == NULL)
    {
      task->name = g_strdup_printf ("Task-%" G_GUINT64_FORMAT, task->fiber.number);
      task->fiber.name = task->name;
    }
  return task->name;
}

/**
 * bridge_task_set_name:
 * @task: a [struct@Bridge.Task]
 * @name: the new name
 *
 * Renames the task (`set_name()`). Debug messages, stack-overflow reports
 * and inspectors show it.
 *
 * Since: 0.1
 */
void
bridge_task_set_name (BridgeTask *task,
                      const char *name)
{
  char *old;

  g_return_if_fail (task != NULL);
  g_return_if_fail (name != NULL);

  old = task->name;
  task->name = g_strdup (name);
  task->fiber.name = task->name;
  g_free (old);
}

/**
 * bridge_task_get_state:
 * @task: a [struct@Bridge.Task]
 *
 * Reads where @task is in its life: scheduled, running, parked or done.
 *
 * Returns: where the task is in its life
 *
 * Since: 0.1
 */
BridgeTaskState
bridge_task_get_state (BridgeTask *task)
{
  g_return_val_if_fail (task != NULL, BRIDGE_TASK_STATE_DONE);

  return task->state;
}

/**
 * bridge_task_get_awaiting:
 * @task: a [struct@Bridge.Task]
 *
 * Gives the future that @task is parked on, for inspectors and debugging.
 *
 * Returns: (transfer none) (nullable): the future the task is parked on, if
 *   any
 *
 * Since: 0.1
 */
BridgeFuture *
bridge_task_get_awaiting (BridgeTask *task)
{
  g_return_val_if_fail (task != NULL, NULL);

  return task->awaiting;
}

/**
 * bridge_task_get_parked_since:
 * @task: a [struct@Bridge.Task]
 *
 * Reads when @task parked, for inspectors that show how long a task has
 * waited.
 *
 * Returns: the monotonic time (µs) at which the task parked, or 0 if it is not
 *   parked
 *
 * Since: 0.1
 */
gint64
bridge_task_get_parked_since (BridgeTask *task)
{
  g_return_val_if_fail (task != NULL, 0);

  return task->state == BRIDGE_TASK_STATE_PARKED ? task->parked_since : 0;
}

/**
 * bridge_task_get_stack_size:
 * @task: a [struct@Bridge.Task]
 *
 * Reads the size of the stack reserved for @task.
 *
 * Returns: the size of the task's stack in bytes
 *
 * Since: 0.1
 */
gsize
bridge_task_get_stack_size (BridgeTask *task)
{
  g_return_val_if_fail (task != NULL, 0);

  return task->stack_size != 0 ? task->stack_size : _bridge_stack_size_default ();
}

/**
 * bridge_task_get_cancellable:
 * @task: a [struct@Bridge.Task]
 *
 * The task's `GCancellable`, created on first use. Cancelling the task
 * cancels it, so GIO operations started with it stop as soon as the task is
 * cancelled.
 *
 * When [method@Bridge.Task.uncancel] withdraws the last cancellation
 * request, a cancelled cancellable is replaced by a fresh one, so that the
 * task's later GIO calls work again: pass the result of this function
 * straight to each GIO call rather than keeping it.
 *
 * Returns: (transfer none): the cancellable
 *
 * Since: 0.1
 */
GCancellable *
bridge_task_get_cancellable (BridgeTask *task)
{
  g_return_val_if_fail (task != NULL, NULL);

  if (task->cancellable == NULL)
    {
      task->cancellable = g_cancellable_new ();
      if (task->cancels_requested > 0)
        g_cancellable_cancel (task->cancellable);
    }
  return task->cancellable;
}

/* ---- cancellation ------------------------------------------------------------ */

static gboolean
task_cancel (BridgeFuture *future,
             const char   *message)
{
  BridgeTask *task = (BridgeTask *) future;

  if (!_bridge_future_is_pending (future) || task->abandoned)
    return FALSE;

  task->cancels_requested++;
  if (task->cancellable != NULL)
    g_cancellable_cancel (task->cancellable);

  /* Remember the message in both cases below: when the task lets the
   * cancellation end it, its own error carries the message, as asyncio's
   * task re-raises the CancelledError (with its message) that it received.
   * Storing it only for must_cancel lost it for the usual case, a task
   * parked on a future. */
  g_free (task->cancel_message);
  task->cancel_message = g_strdup (message);

  /* Parked on a future: cancelling that future wakes the task with the
   * cancellation, exactly as asyncio's Task.cancel() does with _fut_waiter. */
  if (task->state == BRIDGE_TASK_STATE_PARKED && task->awaiting != NULL &&
      bridge_future_cancel (task->awaiting, message))
    return TRUE;

  task->must_cancel = TRUE;
  return TRUE;
}

/**
 * bridge_task_cancel:
 * @task: a [struct@Bridge.Task]
 * @message: (nullable): the message of the %G_IO_ERROR_CANCELLED error
 *
 * Requests the cancellation of @task (`Task.cancel(msg)`); the same as
 * [method@Bridge.Future.cancel] on the task.
 *
 * Returns: %FALSE if the task was already done
 *
 * Since: 0.1
 */
gboolean
bridge_task_cancel (BridgeTask *task,
                    const char *message)
{
  g_return_val_if_fail (task != NULL, FALSE);

  return task_cancel (BRIDGE_FUTURE (task), message);
}

/**
 * bridge_task_get_cancelling:
 * @task: a [struct@Bridge.Task]
 *
 * Counts the cancellation requests of @task not withdrawn with
 * [method@Bridge.Task.uncancel].
 *
 * Returns: the number of pending cancellation requests (`cancelling()`)
 *
 * Since: 0.1
 */
guint
bridge_task_get_cancelling (BridgeTask *task)
{
  g_return_val_if_fail (task != NULL, 0);

  return task->cancels_requested;
}

/**
 * bridge_task_uncancel:
 * @task: a [struct@Bridge.Task]
 *
 * Withdraws one cancellation request (`uncancel()`). When none is left, a
 * cancellation not yet delivered is dropped, and returning without a result
 * no longer ends the task cancelled. Timeout scopes use this to turn their
 * own cancellation into a timeout while leaving others alone.
 *
 * Returns: the number of requests left
 *
 * Since: 0.1
 */
guint
bridge_task_uncancel (BridgeTask *task)
{
  g_return_val_if_fail (task != NULL, 0);

  if (task->cancels_requested > 0)
    task->cancels_requested--;
  if (task->cancels_requested == 0)
    {
      task->must_cancel = FALSE;
      task->cancel_delivered = FALSE;
      /* A GCancellable cannot be safely un-cancelled while operations may
       * still hold it, and a cancelled one would fail every later GIO call
       * of a task that chose to carry on (a timeout scope that expired, a
       * retry loop). Drop it: the next bridge_task_get_cancellable() makes
       * a fresh one, and operations still running keep their own reference. */
      if (task->cancellable != NULL && g_cancellable_is_cancelled (task->cancellable))
        g_clear_object (&task->cancellable);
    }
  return task->cancels_requested;
}

/* ---- results --------------------------------------------------------------- */

static gboolean
task_take_return (BridgeTask *task,
                  const char *function)
{
  if (G_UNLIKELY (task->returned))
    {
      g_critical ("%s() called on task “%s”, which already returned a result",
                  function, bridge_task_get_name (task));
      return FALSE;
    }
  task->returned = TRUE;

  /* A cancellation requested but never delivered (the task cancelled
   * itself, or was cancelled while it ran, and did not await since) is not
   * lost: the task ends cancelled instead, as asyncio's does when its
   * coroutine returns with _must_cancel set. */
  if (G_UNLIKELY (task->must_cancel) && _bridge_future_is_pending (BRIDGE_FUTURE (task)))
    {
      task->must_cancel = FALSE;
      task_complete_cancelled (task);
      return FALSE;
    }
  return TRUE;
}

/**
 * bridge_task_return_value:
 * @task: a [struct@Bridge.Task]
 * @value: (nullable): the result, copied; %NULL for no value
 *
 * Completes the task with @value. Call one `bridge_task_return_*()` function
 * once, usually at the end of the task's function. If a cancellation was
 * requested and not yet delivered (no await since), the task ends cancelled
 * instead and the result is dropped, as in asyncio; an error
 * ([method@Bridge.Task.return_error]) is kept.
 *
 * Since: 0.1
 */
void
bridge_task_return_value (BridgeTask   *task,
                          const GValue *value)
{
  g_return_if_fail (task != NULL);

  if (task_take_return (task, G_STRFUNC))
    _bridge_future_complete_value (BRIDGE_FUTURE (task), value, NULL);
}

/**
 * bridge_task_return_object:
 * @task: a [struct@Bridge.Task]
 * @object: (type GObject) (nullable): the result; a reference is taken
 *
 * Completes the task with an object.
 *
 * Since: 0.1
 */
void
bridge_task_return_object (BridgeTask *task,
                           gpointer    object)
{
  g_return_if_fail (task != NULL);

  if (task_take_return (task, G_STRFUNC))
    bridge_future_set_object (BRIDGE_FUTURE (task), object, NULL);
}

/**
 * bridge_task_return_pointer:
 * @task: a [struct@Bridge.Task]
 * @pointer: (nullable): the result
 * @destroy: (nullable): frees @pointer with the task, unless an awaiter took
 *   it with [func@Bridge.await_pointer]
 *
 * Completes the task with a pointer.
 *
 * Since: 0.1
 */
void
bridge_task_return_pointer (BridgeTask     *task,
                            gpointer        pointer,
                            GDestroyNotify  destroy)
{
  g_return_if_fail (task != NULL);

  if (task_take_return (task, G_STRFUNC))
    bridge_future_set_pointer (BRIDGE_FUTURE (task), pointer, destroy, NULL);
  else if (destroy != NULL && pointer != NULL)
    destroy (pointer);
}

/**
 * bridge_task_return_boolean:
 * @task: a [struct@Bridge.Task]
 * @value: the result
 *
 * Completes @task with a boolean. Call it from the task's own function.
 *
 * Since: 0.1
 */
void
bridge_task_return_boolean (BridgeTask *task,
                            gboolean    value)
{
  g_return_if_fail (task != NULL);

  if (task_take_return (task, G_STRFUNC))
    bridge_future_set_boolean (BRIDGE_FUTURE (task), value, NULL);
}

/**
 * bridge_task_return_int64:
 * @task: a [struct@Bridge.Task]
 * @value: the result
 *
 * Completes @task with a 64-bit integer. Call it from the task's own function.
 *
 * Since: 0.1
 */
void
bridge_task_return_int64 (BridgeTask *task,
                          gint64      value)
{
  g_return_if_fail (task != NULL);

  if (task_take_return (task, G_STRFUNC))
    bridge_future_set_int64 (BRIDGE_FUTURE (task), value, NULL);
}

/**
 * bridge_task_return_double:
 * @task: a [struct@Bridge.Task]
 * @value: the result
 *
 * Completes @task with a floating-point number. Call it from the task's own
 * function.
 *
 * Since: 0.1
 */
void
bridge_task_return_double (BridgeTask *task,
                           double      value)
{
  g_return_if_fail (task != NULL);

  if (task_take_return (task, G_STRFUNC))
    bridge_future_set_double (BRIDGE_FUTURE (task), value, NULL);
}

/**
 * bridge_task_return_string:
 * @task: a [struct@Bridge.Task]
 * @value: (nullable): the result, copied
 *
 * Completes @task with a copy of a string. Call it from the task's own
 * function.
 *
 * Since: 0.1
 */
void
bridge_task_return_string (BridgeTask *task,
                           const char *value)
{
  g_return_if_fail (task != NULL);

  if (task_take_return (task, G_STRFUNC))
    bridge_future_set_string (BRIDGE_FUTURE (task), value, NULL);
}

/**
 * bridge_task_return_error:
 * @task: a [struct@Bridge.Task]
 * @error: (transfer full): the error; %G_IO_ERROR_CANCELLED ends the task
 *   cancelled
 *
 * Completes the task with an error.
 *
 * Since: 0.1
 */
void
bridge_task_return_error (BridgeTask *task,
                          GError     *error)
{
  g_return_if_fail (task != NULL);
  g_return_if_fail (error != NULL);

  /* An error raised after a cancellation request wins over it, as in
   * asyncio: no check of must_cancel here. */
  if (G_UNLIKELY (task->returned))
    {
      g_critical ("%s() called on task “%s”, which already returned a result",
                  G_STRFUNC, bridge_task_get_name (task));
      g_error_free (error);
      return;
    }
  task->returned = TRUE;
  _bridge_future_complete_error (BRIDGE_FUTURE (task), error, NULL);
}

/**
 * bridge_task_return_new_error:
 * @task: a [struct@Bridge.Task]
 * @domain: the error domain
 * @code: the error code
 * @format: printf()-style message
 * @...: arguments for @format
 *
 * Completes the task with a new error.
 *
 * Since: 0.1
 */
void
bridge_task_return_new_error (BridgeTask *task,
                              GQuark      domain,
                              int         code,
                              const char *format,
                              ...)
{
  va_list args;
  GError *error;

  g_return_if_fail (task != NULL);

  va_start (args, format);
  error = g_error_new_valist (domain, code, format, args);
  va_end (args);
  bridge_task_return_error (task, error);
}

/* ---- awaiting ------------------------------------------------------------------ */

static void
task_wake_item (gpointer a,
                gpointer b)
{
  BridgeTask *task = a;

  if (G_LIKELY (!_bridge_loop_is_closing (task_loop (task)) && !task->abandoned &&
                task->state == BRIDGE_TASK_STATE_PARKED))
    task_resume (task);
  if (b != NULL)
    bridge_task_unref (task);
}

/* The waker of a task parked on a future of its own loop (see
 * _bridge_future_add_waker()): @b is that future, possibly freed by now, so
 * only compared. */
static void
task_waker (gpointer a,
            gpointer b)
{
  BridgeTask *task = a;

  if (G_LIKELY (!_bridge_loop_is_closing (task_loop (task)) && !task->abandoned &&
                task->state == BRIDGE_TASK_STATE_PARKED && task->awaiting == b))
    task_resume (task);
}

static void
task_wake_cb (BridgeFuture *future,
              gpointer      user_data)
{
  BridgeTask *task = user_data;

  if (task->abandoned || task->state != BRIDGE_TASK_STATE_PARKED || task->awaiting != future)
    return;

  /* The future belongs to another loop: resume on the task's own. */
  if (G_UNLIKELY (future->loop != task_loop (task)))
    {
      _bridge_loop_push_ready (task_loop (task), task_wake_item, bridge_task_ref (task), task);
      return;
    }

  task_resume (task);
}

static gboolean
check_in_task (BridgeTask  *task,
               const char  *function,
               GError     **error)
{
  if (G_UNLIKELY (task == NULL))
    {
      g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                   "%s() called outside a task: only code running in a task "
                   "started with bridge_spawn() can wait", function);
      return FALSE;
    }
  if (G_UNLIKELY (in_nested_loop ()))
    {
      g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                   "%s() called from a callback of a main loop nested inside task “%s” "
                   "(a modal dialog's, say): such callbacks are not in the task and "
                   "cannot wait; spawn a task from the callback instead",
                   function, bridge_task_get_name (task));
      return FALSE;
    }
  return TRUE;
}

/* Parks the current task until @future is done (or, with %NULL, for one
 * iteration of the loop). Returns FALSE with the cancellation error when a
 * cancellation arrives instead. */
static gboolean
task_park (BridgeTask    *task,
           BridgeFuture  *future,
           GError       **error)
{
  BridgeLoop *loop = task_loop (task);

  if (future != NULL)
    {
      if (task->must_cancel && bridge_future_cancel (future, task->cancel_message))
        task->must_cancel = FALSE;
      /* No references taken: @future is borrowed for the whole call (the
       * caller's frame keeps it alive while we are parked), and the loop's
       * list keeps the task alive; an abandoned task removes its callback.
       * Four atomic operations per await were a large part of a ping-pong. */
      task->awaiting = future;
      if (future->loop != loop || !_bridge_future_add_waker (future, task_waker, task, NULL))
        bridge_future_add_done_callback (future, task_wake_cb, task, NULL);
    }
  else
    _bridge_loop_push_ready (loop, task_wake_item, task, NULL);

  task->state = BRIDGE_TASK_STATE_PARKED;
  task->parked_since = _bridge_loop_get_dispatch_clock (loop);

  _bridge_fiber_suspend ();

  task->awaiting = NULL;

  if (G_UNLIKELY (task->must_cancel))
    {
      task->must_cancel = FALSE;
      task->cancel_delivered = TRUE;
      g_propagate_error (error, _bridge_future_new_cancelled_error (task->cancel_message));
      return FALSE;
    }

  return TRUE;
}

/**
 * bridge_await:
 * @future: the future (or task, with `BRIDGE_FUTURE()`) to wait for
 * @error: return location for the future's error, %G_IO_ERROR_CANCELLED, or
 *   %BRIDGE_ERROR_INVALID_STATE when called outside a task
 *
 * Waits for @future from inside a task (`await future`). The task's fiber is
 * parked and the loop runs on; the task resumes in the iteration after
 * @future completes. A future that is already done returns at once without
 * suspending, as in asyncio.
 *
 * @future must belong to the task's loop: awaiting a future of another loop
 * is %BRIDGE_ERROR_INVALID_STATE, as asyncio refuses it ("attached to a
 * different loop").
 *
 * If the task is cancelled while it waits, @future is cancelled as well and
 * this returns %G_IO_ERROR_CANCELLED. Read the value with the typed variants
 * or the `bridge_future_get_*()` functions. @future is borrowed, not
 * consumed.
 *
 * Returns: %TRUE if @future completed with a value
 *
 * Since: 0.1
 */
gboolean
bridge_await (BridgeFuture  *future,
              GError       **error)
{
  BridgeTask *task = current_task;

  g_return_val_if_fail (future != NULL, FALSE);

  if (!check_in_task (task, G_STRFUNC, error))
    return FALSE;

  if (G_UNLIKELY (future == (BridgeFuture *) task))
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                           "A task cannot await itself");
      return FALSE;
    }

  /* Its callbacks run on its own loop's thread, which may never run: the
   * wait could never end, not even through a timeout on this loop. */
  if (G_UNLIKELY (future->loop != task_loop (task)))
    {
      g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                   "Task “%s” awaits a future attached to a different loop; "
                   "use bridge_loop_spawn_threadsafe() to run work on another loop",
                   bridge_task_get_name (task));
      return FALSE;
    }

  if (_bridge_future_is_pending (future) && !task_park (task, future, error))
    return FALSE;

  if (G_UNLIKELY (future->result_kind == BRIDGE_RESULT_ERROR) &&
      future->state == BRIDGE_FUTURE_CANCELLED && task->cancels_requested > 0)
    task->cancel_delivered = TRUE;

  return _bridge_future_propagate (future, error);
}

/**
 * bridge_await_object:
 * @future: the future to wait for
 * @error: return location for an error
 *
 * Like [func@Bridge.await], for a future holding an object.
 *
 * Returns: (transfer full) (type GObject) (nullable): the object
 *
 * Since: 0.1
 */
gpointer
bridge_await_object (BridgeFuture  *future,
                     GError       **error)
{
  gpointer object;

  if (!bridge_await (future, error))
    return NULL;
  object = bridge_future_get_object (future, NULL);
  return object != NULL ? g_object_ref (object) : NULL;
}

/**
 * bridge_await_pointer:
 * @future: the future to wait for
 * @error: return location for an error
 *
 * Like [func@Bridge.await], for a future holding a pointer. Like
 * `g_task_propagate_pointer()` this takes the pointer out of the future: the
 * caller owns it, and later readers get %NULL.
 *
 * Returns: (transfer full) (nullable): the pointer
 *
 * Since: 0.1
 */
gpointer
bridge_await_pointer (BridgeFuture  *future,
                      GError       **error)
{
  if (!bridge_await (future, error))
    return NULL;
  return _bridge_future_steal_pointer (future);
}

/**
 * bridge_await_boolean:
 * @future: the future to wait for
 * @error: return location for an error
 *
 * Waits for @future, as [func@Bridge.await], and gives its boolean result.
 *
 * Returns: the boolean result; %FALSE with @error set on failure
 *
 * Since: 0.1
 */
gboolean
bridge_await_boolean (BridgeFuture  *future,
                      GError       **error)
{
  if (!bridge_await (future, error))
    return FALSE;
  return bridge_future_get_boolean (future, NULL);
}

/**
 * bridge_await_int64:
 * @future: the future to wait for
 * @error: return location for an error
 *
 * Waits for @future, as [func@Bridge.await], and gives its integer result.
 *
 * Returns: the integer result; 0 with @error set on failure
 *
 * Since: 0.1
 */
gint64
bridge_await_int64 (BridgeFuture  *future,
                    GError       **error)
{
  if (!bridge_await (future, error))
    return 0;
  return bridge_future_get_int64 (future, NULL);
}

/**
 * bridge_await_double:
 * @future: the future to wait for
 * @error: return location for an error
 *
 * Waits for @future, as [func@Bridge.await], and gives its floating-point
 * result.
 *
 * Returns: the floating-point result; 0 with @error set on failure
 *
 * Since: 0.1
 */
double
bridge_await_double (BridgeFuture  *future,
                     GError       **error)
{
  if (!bridge_await (future, error))
    return 0;
  return bridge_future_get_double (future, NULL);
}

/**
 * bridge_await_string:
 * @future: the future to wait for
 * @error: return location for an error
 *
 * Waits for @future, as [func@Bridge.await], and gives a copy of its string
 * result.
 *
 * Returns: (transfer full) (nullable): a copy of the string result
 *
 * Since: 0.1
 */
char *
bridge_await_string (BridgeFuture  *future,
                     GError       **error)
{
  if (!bridge_await (future, error))
    return NULL;
  return g_strdup (bridge_future_get_string (future, NULL));
}

/**
 * bridge_await_value:
 * @future: the future to wait for
 * @value: (out caller-allocates) (optional): an uninitialised `GValue`
 * @error: return location for an error
 *
 * Waits for @future, as [func@Bridge.await], and copies its result into
 * @value.
 *
 * Returns: %TRUE if @future completed with a value
 *
 * Since: 0.1
 */
gboolean
bridge_await_value (BridgeFuture  *future,
                    GValue        *value,
                    GError       **error)
{
  if (!bridge_await (future, error))
    return FALSE;
  return bridge_future_get_value (future, value, error);
}

static void
sleep_timer_cb (gpointer user_data)
{
  BridgeFuture *future = user_data;

  if (_bridge_future_is_pending (future))
    _bridge_future_complete_value (future, NULL, NULL);
}

/**
 * bridge_sleep:
 * @seconds: how long to sleep; 0 or less is [func@Bridge.yield]
 * @error: return location for %G_IO_ERROR_CANCELLED, or
 *   %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Suspends the current task for @seconds (`asyncio.sleep()`), on the loop's
 * timer heap.
 *
 * Returns: %FALSE if the task was cancelled meanwhile
 *
 * Since: 0.1
 */
gboolean
bridge_sleep (double   seconds,
              GError **error)
{
  BridgeTask *task = current_task;
  BridgeFuture *future;
  BridgeHandle *timer;
  gboolean ret;

  if (!check_in_task (task, G_STRFUNC, error))
    return FALSE;

  if (seconds <= 0)
    return bridge_yield (error);

  future = _bridge_future_new_of_class (&_bridge_future_class, task_loop (task));
  future->label = "bridge_sleep";
  timer = bridge_handle_ref (bridge_loop_call_later (task_loop (task), seconds,
                                                     sleep_timer_cb, future, NULL));
  ret = bridge_await (future, error);
  bridge_handle_cancel (timer);
  bridge_handle_unref (timer);
  bridge_future_unref (future);
  return ret;
}

/**
 * bridge_yield:
 * @error: return location for %G_IO_ERROR_CANCELLED, or
 *   %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Lets every other ready callback and task run once, then continues
 * (`await asyncio.sleep(0)`): the task skips exactly one iteration of the
 * loop.
 *
 * Returns: %FALSE if a cancellation was delivered
 *
 * Since: 0.1
 */
gboolean
bridge_yield (GError **error)
{
  BridgeTask *task = current_task;

  if (!check_in_task (task, G_STRFUNC, error))
    return FALSE;

  return task_park (task, NULL, error);
}
