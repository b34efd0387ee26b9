/* bridge-thread.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdlib.h>

#include "bridge-error.h"
#include "bridge-executor-private.h"
#include "bridge-future-private.h"
#include "bridge-loop-private.h"
#include "bridge-task.h"
#include "bridge-thread.h"
#include "bridge-thread-private.h"

/* Threads: blocking work on a shared pool (asyncio's to_thread), and tasks
 * started on a loop that another thread runs (run_coroutine_threadsafe).
 *
 * Every result crosses threads through the receiving loop's inbox, which
 * keeps each sender's order; that order is what lets a job's "finished"
 * message see the result its function set just before. */

#define MAX_THREADS_CAP 32

/* Moves @source's outcome into @dest (both on this thread): values are
 * copied, a pointer changes owner together with its destroy function. */
static void
future_move_result (BridgeFuture *dest,
                    BridgeFuture *source)
{
  if (source->result_kind == BRIDGE_RESULT_ERROR)
    source->error_retrieved = TRUE;

  if (!_bridge_future_is_pending (dest))
    return;

  switch ((BridgeResultKind) source->result_kind)
    {
    case BRIDGE_RESULT_VALUE:
      _bridge_future_complete_value (dest, &source->result.value, NULL);
      break;
    case BRIDGE_RESULT_ERROR:
      _bridge_future_complete_error (dest, g_error_copy (source->error), NULL);
      break;
    case BRIDGE_RESULT_POINTER:
      {
        GDestroyNotify destroy = source->result.pointer.destroy;
        gpointer pointer = _bridge_future_steal_pointer (source);

        _bridge_future_complete_pointer (dest, pointer, destroy, NULL);
      }
      break;
    case BRIDGE_RESULT_NONE:
    default:
      _bridge_future_complete_value (dest, NULL, NULL);
      break;
    }
}

/* ---- run_in_thread ----------------------------------------------------------------- */

/* The worker completes @inner, a future of its own; @future, the caller's,
 * completes only when the job's last message reaches the loop. So once an
 * await of @future returns, nothing of the job is still on its way, and
 * the loop may be closed right away. */
typedef struct
{
  gint              ref_count;
  BridgeThreadFunc  func;
  gpointer          data;
  GDestroyNotify    destroy;
  BridgeFuture     *future;
  BridgeFuture     *inner;
  GCancellable     *cancellable;
  gint              cancelled;
  gint64            run_usec;   /* how long func ran: the loop watches for brief jobs */
} ThreadJob;

static __thread ThreadJob *current_job;

/* Only the loop's thread drops references (the done callback's and the
 * worker's, handed back with the "finished" message), so the future is
 * always released where it belongs. */
static void
thread_job_unref (gpointer data)
{
  ThreadJob *job = data;

  if (!g_atomic_int_dec_and_test (&job->ref_count))
    return;

  bridge_future_unref (job->future);
  bridge_future_unref (job->inner);
  g_object_unref (job->cancellable);
  g_free (job);
}

/* Loop thread: the future completed (from the worker, or cancelled). */
static void
thread_job_future_done (BridgeFuture *future,
                        gpointer      user_data)
{
  ThreadJob *job = user_data;

  if (bridge_future_is_cancelled (future))
    {
      g_atomic_int_set (&job->cancelled, TRUE);
      g_cancellable_cancel (job->cancellable);
    }
}

/* Loop thread: the worker is done with the job. */
static void
thread_job_finished (gpointer a,
                     gpointer b)
{
  ThreadJob *job = a;

  /* Whatever the function set on @inner has been applied by now (same
   * sender, earlier message). Nothing set means "no value", as for a task.
   * A cancelled @future drops the result with @inner. */
  if (_bridge_future_is_pending (job->inner))
    _bridge_future_complete_value (job->inner, NULL, NULL);
  future_move_result (job->future, job->inner);

  /* The data may hold objects of the loop's thread: free it here. The
   * waiters of @future run later, from the ready queue. */
  if (job->destroy != NULL)
    job->destroy (g_steal_pointer (&job->data));

  _bridge_loop_thread_job_end (job->future->loop, job->run_usec);
  thread_job_unref (job);
}

/* Worker thread. */
static void
thread_job_run (gpointer data)
{
  ThreadJob *job = data;

  /* Cancelled while queued: like a concurrent.futures job cancelled before
   * it started, the function never runs. */
  if (!g_atomic_int_get (&job->cancelled))
    {
      gint64 start = g_get_monotonic_time ();
      current_job = job;
      job->func (job->inner, job->data, job->cancellable);
      current_job = NULL;
      job->run_usec = g_get_monotonic_time () - start;
    }

  _bridge_loop_push_ready_threadsafe (job->future->loop, thread_job_finished, job, NULL);
}

static guint
compute_max_threads (void)
{
  const char *env = g_getenv ("BRIDGE_MAX_THREADS");
  guint n;

  if (env != NULL && env[0] != '\0')
    {
      guint64 value = g_ascii_strtoull (env, NULL, 10);

      if (value > 0 && value <= 1024)
        return (guint) value;
    }

  /* concurrent.futures.ThreadPoolExecutor's default: enough threads for
   * blocking I/O, bounded so a burst of jobs does not spawn hundreds. */
  n = g_get_num_processors () + 4;
  return MIN (n, MAX_THREADS_CAP);
}

/* The shared pool is an executor that is never shut down: its hand-off (one
 * mutex, a condition variable that only a sleeping worker waits on, a worker
 * that watches briefly for the next job) costs less per job than a
 * GThreadPool's asynchronous queue. */
static BridgeExecutor *
get_shared_executor (void)
{
  static gsize executor;

  if (g_once_init_enter (&executor))
    {
      BridgeExecutor *new_executor = bridge_executor_new ("bridge-thread", compute_max_threads ());
      g_once_init_leave (&executor, (gsize) new_executor);
    }

  return (BridgeExecutor *) executor;
}

/**
 * bridge_thread_get_max_threads:
 *
 * The size of the shared pool that [func@Bridge.run_in_thread] uses: the
 * number of processors plus 4, at most 32 (the default of Python's
 * `ThreadPoolExecutor`), or the value of the `BRIDGE_MAX_THREADS`
 * environment variable when it is set at the first use of the pool. Jobs
 * beyond that many wait in a queue.
 *
 * Returns: the most jobs that run at the same time
 *
 * Since: 0.1
 */
guint
bridge_thread_get_max_threads (void)
{
  return bridge_executor_get_max_threads (get_shared_executor ());
}

/* Creates the job and its future, and hands the job to @submit, which must
 * see that some thread calls _bridge_thread_job_run() on it exactly once.
 * bridge_run_in_thread() and every BridgeExecutor share this. */
BridgeFuture *
_bridge_thread_job_submit (BridgeThreadFunc       func,
                           gpointer               user_data,
                           GDestroyNotify         destroy,
                           BridgeThreadJobSubmit  submit,
                           gpointer               submit_data)
{
  BridgeFuture *future;
  ThreadJob *job;

  future = bridge_future_new ();

  job = g_new0 (ThreadJob, 1);
  job->ref_count = 2;   /* the done callback's and the worker's */
  job->func = func;
  job->data = user_data;
  job->destroy = destroy;
  job->future = bridge_future_ref (future);
  job->inner = bridge_future_new_for_loop (bridge_future_get_loop (future));
  job->cancellable = g_cancellable_new ();

  bridge_future_add_done_callback (future, thread_job_future_done, job, thread_job_unref);
  _bridge_loop_thread_job_begin (future->loop);
  submit (job, submit_data);

  return future;
}

/* On the worker thread. */
void
_bridge_thread_job_run (gpointer job)
{
  thread_job_run (job);
}

/**
 * bridge_run_in_thread:
 * @func: (scope notified): the function to run on a worker thread
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data on the calling loop's thread once
 *   @func has returned
 *
 * Runs @func on a worker thread of a shared, bounded pool of threads and
 * returns a future that @func completes (`asyncio.to_thread()`,
 * `loop.run_in_executor()`). Await it from a task; the result is handed to
 * the loop the future belongs to (the calling task's, or else
 * [func@Bridge.Loop.get_default]), where its waiters run.
 *
 * The pool works like a [class@Bridge.Executor] whose threads are named
 * `bridge-thread-N`. While a job whose function ran briefly last time is in
 * flight, the loop, when it has nothing else to do, watches for the result
 * for some 50 µs (yielding the processor) before it sleeps in `poll()`, so
 * that brief jobs awaited one at a time do not each wait for the loop's
 * thread to wake up; [func@Bridge.run_in_executor] jobs are watched for the
 * same way.
 *
 * @func receives a future of its own to complete with
 * `bridge_future_set_*()` (see [callback@Bridge.ThreadFunc]); its outcome
 * becomes the returned future's once @func has returned and @destroy has
 * run, so when an await of the returned future is over, nothing of the job
 * is left in flight and the loop may be closed.
 *
 * Cancelling the future (directly, or by cancelling the task that awaits
 * it) cannot stop a thread: it wakes the waiter at once with
 * %G_IO_ERROR_CANCELLED, sets the flag that [func@Bridge.thread_is_cancelled]
 * reports to @func, and cancels the `GCancellable` given to @func. A job
 * that has not started yet does not run at all. Whatever @func sets after
 * the cancellation is dropped quietly, and so is a result that nobody
 * waits for.
 *
 * Returns: (transfer full): the future of @func's result
 *
 * Since: 0.1
 */
BridgeFuture *
bridge_run_in_thread (BridgeThreadFunc func,
                      gpointer         user_data,
                      GDestroyNotify   destroy)
{
  g_return_val_if_fail (func != NULL, NULL);

  return _bridge_thread_job_submit (func, user_data, destroy, _bridge_executor_submit,
                                    get_shared_executor ());
}

/**
 * bridge_thread_is_cancelled:
 *
 * Tells a [callback@Bridge.ThreadFunc] whether its future was cancelled,
 * so that a long computation can stop early. The flag is set from the
 * loop's thread as soon as the cancellation is processed there.
 *
 * Returns: %TRUE when called from a function run by
 *   [func@Bridge.run_in_thread] whose future was cancelled; %FALSE otherwise
 *
 * Since: 0.1
 */
gboolean
bridge_thread_is_cancelled (void)
{
  ThreadJob *job = current_job;

  return job != NULL && g_atomic_int_get (&job->cancelled);
}

/* ---- spawn_threadsafe ------------------------------------------------------------ */

/* Shared by the caller's thread (which owns @outer) and the target loop's
 * thread (which owns @task, @cancel_requested and the task's data). */
typedef struct
{
  gint            ref_count;
  BridgeLoop     *target;
  BridgeFuture   *outer;
  BridgeTask     *task;
  BridgeTaskFunc  func;
  gpointer        data;
  GDestroyNotify  destroy;
  gboolean        cancel_requested;
} SpawnRequest;

static void
spawn_request_unref (gpointer data)
{
  SpawnRequest *req = data;

  if (!g_atomic_int_dec_and_test (&req->ref_count))
    return;

  /* Not started (the target loop was closed first): the data was never
   * handed to a task. */
  if (req->destroy != NULL)
    req->destroy (req->data);
  g_clear_pointer (&req->task, bridge_task_unref);
  bridge_future_unref (req->outer);
  g_object_unref (req->target);
  g_free (req);
}

/* Caller's thread: the task finished; copy its outcome into @outer. */
static void
spawn_request_deliver (gpointer a,
                       gpointer b)
{
  SpawnRequest *req = a;

  /* The task is done and no longer changes: the inbox hand-off orders its
   * last writes before these reads. */
  future_move_result (req->outer, BRIDGE_FUTURE (req->task));
  spawn_request_unref (req);
}

/* Target thread. */
static void
spawn_request_task_done (BridgeFuture *future,
                         gpointer      user_data)
{
  SpawnRequest *req = user_data;

  g_atomic_int_inc (&req->ref_count);
  _bridge_loop_push_ready_threadsafe (req->outer->loop, spawn_request_deliver, req, NULL);
}

/* Target thread. */
static void
spawn_request_start (gpointer a,
                     gpointer b)
{
  SpawnRequest *req = a;
  GDestroyNotify destroy = g_steal_pointer (&req->destroy);

  req->task = bridge_spawn_full (req->target, NULL, BRIDGE_STACK_SIZE_DEFAULT,
                                 req->func, g_steal_pointer (&req->data), destroy);
  if (req->cancel_requested)
    bridge_task_cancel (req->task, NULL);

  g_atomic_int_inc (&req->ref_count);
  bridge_future_add_done_callback (BRIDGE_FUTURE (req->task), spawn_request_task_done, req,
                                   spawn_request_unref);
  spawn_request_unref (req);
}

/* Target thread. */
static void
spawn_request_cancel (gpointer a,
                      gpointer b)
{
  SpawnRequest *req = a;

  if (req->task != NULL)
    bridge_task_cancel (req->task, NULL);
  else
    req->cancel_requested = TRUE;

  spawn_request_unref (req);
}

/* Caller's thread: @outer completed. */
static void
spawn_request_outer_done (BridgeFuture *future,
                          gpointer      user_data)
{
  SpawnRequest *req = user_data;

  if (bridge_future_is_cancelled (future))
    {
      g_atomic_int_inc (&req->ref_count);
      _bridge_loop_push_ready_threadsafe (req->target, spawn_request_cancel, req, NULL);
    }
}

/**
 * bridge_loop_spawn_threadsafe:
 * @loop: the loop to run the task on, usually owned by another thread
 * @func: (scope notified): the task's body
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data on @loop's thread once @func has
 *   returned
 *
 * Starts a task on @loop from any thread and returns a future, on the
 * caller's loop, that completes with the task's outcome
 * (`asyncio.run_coroutine_threadsafe()`). The caller's loop is the one of
 * the running task or callback, or else [func@Bridge.Loop.get_default] of
 * the calling thread.
 *
 * The task is created on @loop's thread, in its next iteration. Cancelling
 * the returned future cancels the task there. A pointer result is moved to
 * the returned future together with its destroy function; other values and
 * errors are copied.
 *
 * Returns: (transfer full): a future for the task's result
 *
 * Since: 0.1
 */
BridgeFuture *
bridge_loop_spawn_threadsafe (BridgeLoop     *loop,
                              BridgeTaskFunc  func,
                              gpointer        user_data,
                              GDestroyNotify  destroy)
{
  BridgeFuture *outer;
  SpawnRequest *req;

  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  outer = bridge_future_new ();

  req = g_new0 (SpawnRequest, 1);
  req->ref_count = 2;   /* the start message's and @outer's done callback's */
  req->target = g_object_ref (loop);
  req->outer = bridge_future_ref (outer);
  req->func = func;
  req->data = user_data;
  req->destroy = destroy;

  bridge_future_add_done_callback (outer, spawn_request_outer_done, req, spawn_request_unref);
  _bridge_loop_push_ready_threadsafe (loop, spawn_request_start, req, NULL);

  return outer;
}

/* ---- blocking on a future from a thread without a loop --------------------- */

/* Shared by the waiting thread and the future's loop thread. */
typedef struct
{
  gint          ref_count;
  GMutex        mutex;
  GCond         cond;
  BridgeFuture *future;
  gboolean      done;
} SyncWait;

static void
sync_wait_unref (gpointer data)
{
  SyncWait *wait = data;

  if (!g_atomic_int_dec_and_test (&wait->ref_count))
    return;
  g_mutex_clear (&wait->mutex);
  g_cond_clear (&wait->cond);
  g_free (wait);
}

static SyncWait *
sync_wait_new (BridgeFuture *future)
{
  SyncWait *wait = g_new0 (SyncWait, 1);

  g_mutex_init (&wait->mutex);
  g_cond_init (&wait->cond);
  wait->future = future;
  wait->ref_count = 2;   /* the waiter's and the done callback's */
  return wait;
}

/* Loop thread. */
static void
sync_wait_done_cb (BridgeFuture *future,
                   gpointer      user_data)
{
  SyncWait *wait = user_data;

  g_mutex_lock (&wait->mutex);
  wait->done = TRUE;
  g_cond_signal (&wait->cond);
  g_mutex_unlock (&wait->mutex);
}

/* Loop thread: done callbacks are added on the future's own thread. */
static void
sync_wait_register (gpointer a,
                    gpointer b)
{
  SyncWait *wait = a;

  if (_bridge_loop_is_closing (wait->future->loop))
    {
      sync_wait_unref (wait);
      return;
    }
  bridge_future_add_done_callback (wait->future, sync_wait_done_cb, wait, sync_wait_unref);
}

static gboolean
sync_wait_deadline_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/**
 * bridge_future_wait_sync:
 * @future: a future, typically from `bridge_loop_spawn_threadsafe()`
 * @timeout: seconds to wait at most; negative for no limit
 * @error: return location for %G_IO_ERROR_TIMED_OUT, for
 *   %BRIDGE_ERROR_INVALID_STATE when called from a task or from the thread
 *   running @future's loop, or for @future's own error
 *
 * Blocks the calling thread until @future is done or @timeout passes, like
 * `concurrent.futures.Future.result(timeout)`: for plain threads that have
 * no loop of their own. A timeout does not cancel @future.
 *
 * When another thread runs @future's loop, this waits for it. When the loop
 * is this thread's and nobody runs it (the default loop of a thread that
 * never runs it, where `bridge_loop_spawn_threadsafe()` puts the future
 * it returns), this thread iterates the loop's context itself while it
 * waits.
 *
 * Returns: %TRUE if @future completed with a value in time
 *
 * Since: 0.1
 */
gboolean
bridge_future_wait_sync (BridgeFuture  *future,
                         double         timeout,
                         GError       **error)
{
  BridgeLoop *loop;
  GMainContext *context;
  gint64 deadline;

  g_return_val_if_fail (future != NULL, FALSE);

  loop = future->loop;
  context = bridge_loop_get_context (loop);
  deadline = timeout < 0 ? G_MAXINT64 : g_get_monotonic_time () + (gint64) (timeout * G_USEC_PER_SEC);

  if (bridge_task_get_current () != NULL || _bridge_loop_get_current () != NULL)
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                           "bridge_future_wait_sync() called from a running loop: it would "
                           "block the loop; await the future instead");
      return FALSE;
    }

  if (!_bridge_future_is_pending (future))
    ;
  else if (_bridge_loop_is_owner_thread (loop) && g_main_context_acquire (context))
    {
      /* The loop is this thread's (the default loop of a thread that never
       * runs it, say) and nobody runs it: run it here until the future's
       * done callbacks have run, so that those registered before ours
       * (the hand-over of bridge_loop_spawn_threadsafe(), say) are not
       * left behind. A loop of another thread is left to that thread, even
       * between two of its iterations. */
      SyncWait *wait = sync_wait_new (future);
      gboolean expired = FALSE;
      GSource *timer = NULL;

      bridge_future_add_done_callback (future, sync_wait_done_cb, wait, sync_wait_unref);
      if (timeout >= 0)
        {
          timer = g_timeout_source_new ((guint) MIN (timeout * 1000, G_MAXUINT));
          g_source_set_callback (timer, sync_wait_deadline_cb, &expired, NULL);
          g_source_attach (timer, context);
        }
      g_main_context_push_thread_default (context);
      while (!wait->done && !expired)
        g_main_context_iteration (context, TRUE);
      g_main_context_pop_thread_default (context);
      if (timer != NULL)
        {
          g_source_destroy (timer);
          g_source_unref (timer);
        }
      g_main_context_release (context);
      sync_wait_unref (wait);
    }
  else
    {
      SyncWait *wait = sync_wait_new (future);

      _bridge_loop_push_ready_threadsafe (loop, sync_wait_register, wait, NULL);

      g_mutex_lock (&wait->mutex);
      while (!wait->done)
        {
          if (timeout < 0)
            g_cond_wait (&wait->cond, &wait->mutex);
          else if (!g_cond_wait_until (&wait->cond, &wait->mutex, deadline))
            break;
        }
      g_mutex_unlock (&wait->mutex);
      sync_wait_unref (wait);
    }

  /* The loop thread's writes to the future happened before it signalled. */
  if (_bridge_future_is_pending (future))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Timeout was reached");
      return FALSE;
    }
  return bridge_future_get_value (future, NULL, error);
}
