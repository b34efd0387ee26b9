/* bridge-executor.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <sched.h>

#include "bridge-error.h"
#include "bridge-executor.h"
#include "bridge-executor-private.h"
#include "bridge-future-private.h"
#include "bridge-thread-private.h"

/**
 * BridgeExecutor:
 *
 * A named, bounded pool of threads for blocking work: Python's
 * `concurrent.futures.ThreadPoolExecutor` as passed to
 * `loop.run_in_executor()`.
 *
 * [func@Bridge.run_in_thread] shares one pool among everything in the
 * process. An executor of one's own keeps one kind of work from queueing
 * behind another (disk writes behind DNS lookups, say), bounds how many
 * threads that kind may use, and names its threads, so that `top -H`, `gdb`
 * and `perf` show what each one is for.
 *
 * ```c
 * BridgeExecutor *disk = bridge_executor_new ("disk", 4);
 * BridgeFuture *written = bridge_run_in_executor (disk, write_block, block, block_free);
 *
 * bridge_await (written, &error);
 * …
 * bridge_executor_shutdown (disk, TRUE);
 * ```
 *
 * Threads start when work arrives and no thread is idle, up to the bound,
 * and stay until [method@Bridge.Executor.shutdown]. While jobs come one
 * right after another, an idle thread watches for the next one for some
 * 50 µs, yielding the processor as it does, before it sleeps: a task that
 * awaits brief jobs one at a time then does not wait for a thread to wake
 * up each time. Each carries the
 * executor's name followed by its number (`disk-0`, `disk-1`, …; the kernel
 * keeps 15 bytes of it).
 *
 * Since: 0.1
 */

/* What the threads share with the object: a thread may outlive the object
 * (shut down without waiting), so this is reference counted apart. */
typedef struct
{
  gint       ref_count;
  GMutex     lock;
  GCond      work_or_shutdown;
  GQueue     jobs;
  char      *name;
  guint      max_threads;
  guint      n_threads;
  guint      n_idle;
  guint      n_spinning;    /* idle threads watching n_queued before they sleep */
  guint      n_queued;      /* jobs.length, also read without the lock */
  guint      next_number;
  GPtrArray *threads;       /* GThread *, joined by a waiting shutdown */
  gboolean   shut_down;
} ExecutorCore;

struct _BridgeExecutor
{
  GObject       parent_instance;
  ExecutorCore *core;
};

G_DEFINE_FINAL_TYPE (BridgeExecutor, bridge_executor, G_TYPE_OBJECT)

/* The executor whose worker is running on this thread, to refuse a
 * shutdown that would wait for itself. */
static __thread ExecutorCore *current_core;

static ExecutorCore *
core_ref (ExecutorCore *core)
{
  g_atomic_int_inc (&core->ref_count);
  return core;
}

static void
core_unref (ExecutorCore *core)
{
  if (!g_atomic_int_dec_and_test (&core->ref_count))
    return;

  g_ptr_array_unref (core->threads);
  g_mutex_clear (&core->lock);
  g_cond_clear (&core->work_or_shutdown);
  g_free (core->name);
  g_free (core);
}

/* How long an idle worker watches for the next job before it sleeps. A task
 * that awaits one brief job after another hands over the next within a few
 * microseconds of the last result, and a worker asleep by then costs a wakeup
 * per job (a futex wake; on a virtual machine, an interrupt between CPUs),
 * most of the time of such a round trip. The watch yields the CPU at every
 * look, so that on a busy machine it does not keep the loop's thread or
 * another worker from running. */
#define WORKER_SPIN_USEC 50

/* Called with the lock held, which it drops while it watches. Returns
 * whether a job (or a shutdown) came within WORKER_SPIN_USEC. */
static gboolean
worker_spin (ExecutorCore *core)
{
  gint64 deadline = g_get_monotonic_time () + WORKER_SPIN_USEC;
  gboolean arrived = FALSE;

  core->n_spinning++;
  g_mutex_unlock (&core->lock);
  do
    {
      sched_yield ();
      arrived = g_atomic_int_get (&core->n_queued) > 0 || g_atomic_int_get (&core->shut_down);
    }
  while (!arrived && g_get_monotonic_time () < deadline);
  g_mutex_lock (&core->lock);
  core->n_spinning--;
  return arrived;
}

static gpointer
worker_main (gpointer data)
{
  ExecutorCore *core = data;
  /* Whether jobs come one soon after the other: only then is the next one
   * worth watching for. */
  gboolean jobs_follow = TRUE;

  current_core = core;

  g_mutex_lock (&core->lock);
  for (;;)
    {
      gpointer job = g_queue_pop_head (&core->jobs);
      gint64 idle_since;

      if (job != NULL)
        {
          g_atomic_int_set (&core->n_queued, core->jobs.length);
          g_mutex_unlock (&core->lock);
          _bridge_thread_job_run (job);
          g_mutex_lock (&core->lock);
          continue;
        }

      /* Queued work is finished before a shutdown takes effect, as in
       * concurrent.futures. */
      if (core->shut_down)
        break;

      /* One watcher at a time is enough. After a watch, the queue is looked
       * at once more under the lock (a job may have come as it ended). */
      if (jobs_follow && core->n_spinning == 0)
        {
          jobs_follow = worker_spin (core);
          continue;
        }

      idle_since = g_get_monotonic_time ();
      core->n_idle++;
      g_cond_wait (&core->work_or_shutdown, &core->lock);
      core->n_idle--;
      jobs_follow = g_get_monotonic_time () - idle_since < WORKER_SPIN_USEC;
    }
  core->n_threads--;
  g_mutex_unlock (&core->lock);

  current_core = NULL;
  core_unref (core);
  return NULL;
}

/* Called with the lock held. */
static void
core_start_thread (ExecutorCore *core)
{
  g_autofree char *number = g_strdup_printf ("-%u", core->next_number++);
  g_autofree char *thread_name = NULL;
  g_autoptr(GError) error = NULL;
  gsize prefix = MIN (strlen (core->name), 15 - strlen (number));
  GThread *thread;

  /* GLib gives the thread this name with pthread_setname_np(), which
   * refuses, silently, a name longer than the kernel's 15 bytes: cut it. */
  thread_name = g_strdup_printf ("%.*s%s", (int) prefix, core->name, number);
  thread = g_thread_try_new (thread_name, worker_main, core_ref (core), &error);
  if (thread == NULL)
    {
      /* The job waits for a thread that exists already, if any. */
      g_warning ("Executor “%s” could not start a thread: %s", core->name, error->message);
      core_unref (core);
      return;
    }

  core->n_threads++;
  g_ptr_array_add (core->threads, thread);
}

static void
core_submit (gpointer job,
             gpointer submit_data)
{
  ExecutorCore *core = submit_data;

  g_mutex_lock (&core->lock);
  g_queue_push_tail (&core->jobs, job);
  g_atomic_int_set (&core->n_queued, core->jobs.length);
  /* A thread for every job that no idle thread will take, up to the bound;
   * a watching thread takes one without being woken. */
  if (core->jobs.length > core->n_idle + core->n_spinning && core->n_threads < core->max_threads)
    core_start_thread (core);
  if (core->n_idle > 0 && core->jobs.length > core->n_spinning)
    g_cond_signal (&core->work_or_shutdown);
  g_mutex_unlock (&core->lock);
}

/* A BridgeThreadJobSubmit for @executor, which must not be shut down:
 * bridge_run_in_thread() hands its jobs to a process-wide executor this way. */
void
_bridge_executor_submit (gpointer job,
                         gpointer executor)
{
  core_submit (job, ((BridgeExecutor *) executor)->core);
}

static void
bridge_executor_finalize (GObject *object)
{
  BridgeExecutor *executor = (BridgeExecutor *) object;

  /* Work already queued still runs; the threads then end by themselves. */
  bridge_executor_shutdown (executor, FALSE);
  core_unref (executor->core);

  G_OBJECT_CLASS (bridge_executor_parent_class)->finalize (object);
}

static void
bridge_executor_class_init (BridgeExecutorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bridge_executor_finalize;
}

static void
bridge_executor_init (BridgeExecutor *executor)
{
}

/**
 * bridge_executor_new: (constructor)
 * @name: a short name for the executor and its threads, such as `"disk"`
 * @max_threads: the most threads it runs at once; 0 picks
 *   [func@Bridge.thread_get_max_threads]
 *
 * Creates an executor (`ThreadPoolExecutor (max_workers, thread_name_prefix)`).
 * No thread starts before the first job.
 *
 * Returns: (transfer full): a new [class@Bridge.Executor]
 *
 * Since: 0.1
 */
BridgeExecutor *
bridge_executor_new (const char *name,
                     guint       max_threads)
{
  BridgeExecutor *executor;
  ExecutorCore *core;

  g_return_val_if_fail (name != NULL && name[0] != '\0', NULL);

  core = g_new0 (ExecutorCore, 1);
  core->ref_count = 1;
  g_mutex_init (&core->lock);
  g_cond_init (&core->work_or_shutdown);
  g_queue_init (&core->jobs);
  core->name = g_strdup (name);
  core->max_threads = max_threads != 0 ? max_threads : bridge_thread_get_max_threads ();
  core->threads = g_ptr_array_new_with_free_func ((GDestroyNotify) g_thread_unref);

  executor = g_object_new (BRIDGE_TYPE_EXECUTOR, NULL);
  executor->core = core;
  return executor;
}

/**
 * bridge_executor_get_name:
 * @executor: a [class@Bridge.Executor]
 *
 * Reads the name of @executor, which its threads carry.
 *
 * Returns: the name given to [ctor@Bridge.Executor.new]
 *
 * Since: 0.1
 */
const char *
bridge_executor_get_name (BridgeExecutor *executor)
{
  g_return_val_if_fail (BRIDGE_IS_EXECUTOR (executor), NULL);

  return executor->core->name;
}

/**
 * bridge_executor_get_max_threads:
 * @executor: a [class@Bridge.Executor]
 *
 * Reads the bound on the threads of @executor.
 *
 * Returns: the most threads @executor runs at once
 *
 * Since: 0.1
 */
guint
bridge_executor_get_max_threads (BridgeExecutor *executor)
{
  g_return_val_if_fail (BRIDGE_IS_EXECUTOR (executor), 0);

  return executor->core->max_threads;
}

/**
 * bridge_executor_get_n_threads:
 * @executor: a [class@Bridge.Executor]
 *
 * Counts the threads @executor has started and not yet ended.
 *
 * Returns: how many threads @executor has right now, busy or idle
 *
 * Since: 0.1
 */
guint
bridge_executor_get_n_threads (BridgeExecutor *executor)
{
  guint n;

  g_return_val_if_fail (BRIDGE_IS_EXECUTOR (executor), 0);

  g_mutex_lock (&executor->core->lock);
  n = executor->core->n_threads;
  g_mutex_unlock (&executor->core->lock);
  return n;
}

/**
 * bridge_executor_is_shut_down:
 * @executor: a [class@Bridge.Executor]
 *
 * Tells whether @executor was shut down.
 *
 * Returns: whether [method@Bridge.Executor.shutdown] was called
 *
 * Since: 0.1
 */
gboolean
bridge_executor_is_shut_down (BridgeExecutor *executor)
{
  gboolean shut_down;

  g_return_val_if_fail (BRIDGE_IS_EXECUTOR (executor), FALSE);

  g_mutex_lock (&executor->core->lock);
  shut_down = executor->core->shut_down;
  g_mutex_unlock (&executor->core->lock);
  return shut_down;
}

/**
 * bridge_executor_shutdown:
 * @executor: a [class@Bridge.Executor]
 * @wait: whether to block until every thread has ended
 *
 * Stops @executor taking work (`Executor.shutdown (wait)`): later calls of
 * [func@Bridge.run_in_executor] fail with %BRIDGE_ERROR_INVALID_STATE. Jobs
 * already queued or running still run, and their futures complete as usual;
 * then the threads end. Calling it again does nothing more, except that
 * @wait still waits.
 *
 * With @wait, this blocks the calling thread until all of that is over, so
 * call it when the loop has nothing urgent to do (at exit), and never from
 * one of @executor's own jobs, which would wait for itself: that is refused
 * with a critical warning. The loop need not run meanwhile: the results are
 * delivered when it runs next.
 *
 * Dropping the last reference to an executor shuts it down without waiting.
 *
 * Since: 0.1
 */
void
bridge_executor_shutdown (BridgeExecutor *executor,
                          gboolean        wait)
{
  ExecutorCore *core;
  g_autoptr(GPtrArray) threads = NULL;

  g_return_if_fail (BRIDGE_IS_EXECUTOR (executor));

  core = executor->core;
  if (wait && current_core == core)
    {
      g_critical ("%s: called with wait=TRUE from a job of executor “%s”, which would "
                  "wait for itself", G_STRFUNC, core->name);
      wait = FALSE;
    }

  g_mutex_lock (&core->lock);
  g_atomic_int_set (&core->shut_down, TRUE);
  g_cond_broadcast (&core->work_or_shutdown);
  /* The threads to join, or to let go of. Threads started later cannot
   * exist: nothing is queued after a shutdown. */
  threads = g_steal_pointer (&core->threads);
  core->threads = g_ptr_array_new_with_free_func ((GDestroyNotify) g_thread_unref);
  g_mutex_unlock (&core->lock);

  if (wait)
    {
      g_ptr_array_set_free_func (threads, NULL);
      for (guint i = 0; i < threads->len; i++)
        g_thread_join (g_ptr_array_index (threads, i));
    }
}

/**
 * bridge_run_in_executor:
 * @executor: (nullable): the executor to run @func on; %NULL for the shared
 *   pool of [func@Bridge.run_in_thread]
 * @func: (scope notified): the function to run on one of @executor's threads
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data on the calling loop's thread once
 *   @func has returned (or at once if @executor is shut down)
 *
 * Runs @func on one of @executor's threads and returns a future that @func
 * completes (`loop.run_in_executor (executor, func)`). Everything else is as
 * for [func@Bridge.run_in_thread]: await the future from a task; cancelling
 * it wakes the waiter at once, cancels the `GCancellable` given to @func and
 * sets the flag of [func@Bridge.thread_is_cancelled], and a job cancelled
 * before it started never runs. Jobs start in the order they were given.
 *
 * On an executor that was shut down, the returned future has already
 * failed with %BRIDGE_ERROR_INVALID_STATE and @func never runs.
 *
 * Returns: (transfer full): the future of @func's result
 *
 * Since: 0.1
 */
BridgeFuture *
bridge_run_in_executor (BridgeExecutor   *executor,
                        BridgeThreadFunc  func,
                        gpointer          user_data,
                        GDestroyNotify    destroy)
{
  g_return_val_if_fail (executor == NULL || BRIDGE_IS_EXECUTOR (executor), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  if (executor == NULL)
    return bridge_run_in_thread (func, user_data, destroy);

  if (bridge_executor_is_shut_down (executor))
    {
      BridgeFuture *future = bridge_future_new ();

      bridge_future_set_error (future,
                               g_error_new (BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                                            "Cannot schedule new jobs on executor “%s” after "
                                            "its shutdown", executor->core->name),
                               NULL);
      if (destroy != NULL)
        destroy (user_data);
      return future;
    }

  /* A shutdown racing with this call from another thread still finds the
   * job queued and runs it before the threads end. */
  return _bridge_thread_job_submit (func, user_data, destroy, core_submit, executor->core);
}
