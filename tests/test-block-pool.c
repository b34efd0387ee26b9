/* test-block-pool.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include <libbridge.h>

#include "bridge-block-pool-private.h"
#include "test-pagemap.h"

/* A pool's first class takes the first chunk, whose first block is the
 * chunk's start; the next chunk follows it. */
#define CHUNK_SIZE ((gsize) 2 << 20)
#define BLOCK_SIZE 256

static const gsize sizes[BRIDGE_BLOCK_POOL_N_CLASSES] = { BLOCK_SIZE, 96, 64 };

/* Pools work here: not under AddressSanitizer or valgrind, and the kernel
 * populates memory on request. */
static gboolean
pools_work_here (void)
{
  BridgeBlockPool *pool = _bridge_block_pool_new (sizes);

  if (pool == NULL)
    return FALSE;
  _bridge_block_pool_free (pool);
  return TRUE;
}

static void
release_all (BridgeBlockPool *pool,
             GPtrArray       *blocks)
{
  for (guint i = 0; i < blocks->len; i++)
    _bridge_block_pool_release (pool, blocks->pdata[i], TRUE);
}

/* A pool that hands out a few blocks starts no populating thread: nothing
 * is faulted in ahead of it. */
static void
test_nothing_ahead_for_few_blocks (void)
{
  if (!pools_work_here ())
    {
      g_test_skip ("block pools do not work here (AddressSanitizer, valgrind or an old kernel)");
      return;
    }

  if (g_test_subprocess ())
    {
      BridgeBlockPool *pool = _bridge_block_pool_new (sizes);
      g_autoptr(GPtrArray) blocks = g_ptr_array_new ();

      for (guint i = 0; i < 16; i++)
        g_ptr_array_add (blocks, _bridge_block_pool_alloc (pool, 0));
      g_assert_false (_bridge_populating_thread_started ());

      release_all (pool, blocks);
      _bridge_block_pool_free (pool);
      return;
    }

  /* A process of its own: the populating thread, once started, stays. */
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* Once a class has handed out many blocks, the next chunk is faulted in
 * before the class reaches it. */
static void
test_next_chunk_populated_for_many_blocks (void)
{
  if (!pools_work_here ())
    {
      g_test_skip ("block pools do not work here (AddressSanitizer, valgrind or an old kernel)");
      return;
    }

  if (g_test_subprocess ())
    {
      BridgeBlockPool *pool = _bridge_block_pool_new (sizes);
      g_autoptr(GPtrArray) blocks = g_ptr_array_new ();
      const guint8 *next_chunk;
      gint64 deadline;

      /* Half of the first chunk. */
      while (blocks->len < CHUNK_SIZE / 2 / BLOCK_SIZE)
        g_ptr_array_add (blocks, _bridge_block_pool_alloc (pool, 0));
      next_chunk = (const guint8 *) blocks->pdata[0] + CHUNK_SIZE;

      deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
      while (!page_is_present (next_chunk) && g_get_monotonic_time () < deadline)
        g_usleep (1000);
      g_assert_true (page_is_present (next_chunk));

      release_all (pool, blocks);
      _bridge_block_pool_free (pool);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
yield_once (BridgeTask *task,
            gpointer    user_data)
{
  bridge_yield (NULL);
}

static void
spawn_and_await (BridgeTask *task,
                 gpointer    user_data)
{
  guint n_tasks = GPOINTER_TO_UINT (user_data);
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_task_unref);

  for (guint i = 0; i < n_tasks; i++)
    g_ptr_array_add (tasks, bridge_spawn (yield_once, NULL, NULL));
  for (guint i = 0; i < n_tasks; i++)
    g_assert_true (bridge_await (bridge_task_as_future (tasks->pdata[i]), NULL));
}

/* Has @n tasks alive at once (spawn_and_await()), in a process of its own
 * (the populating thread, once started, stays), and checks whether the
 * populating thread started. */
static void
check_populating_thread_for_tasks (guint    n,
                                   gboolean expected)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (bridge_run (spawn_and_await, GUINT_TO_POINTER (n), &error));
      g_assert_no_error (error);
      g_assert_cmpint (_bridge_populating_thread_started (), ==, expected);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* A program whose loop never has more than a few tasks at once (a command
 * that fetches one file) has no populating thread competing with it. */
static void
test_no_populating_thread_for_few_tasks (void)
{
  check_populating_thread_for_tasks (8, FALSE);
}

/* With thousands of tasks at once, memory is faulted in ahead of them. */
static void
test_populating_thread_for_many_tasks (void)
{
  if (!pools_work_here ())
    {
      g_test_skip ("block pools do not work here (AddressSanitizer, valgrind or an old kernel)");
      return;
    }
  check_populating_thread_for_tasks (5000, TRUE);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/block-pool/nothing-ahead-for-few-blocks",
                   test_nothing_ahead_for_few_blocks);
  g_test_add_func ("/libbridge/block-pool/next-chunk-populated-for-many-blocks",
                   test_next_chunk_populated_for_many_blocks);
  g_test_add_func ("/libbridge/block-pool/no-populating-thread-for-few-tasks",
                   test_no_populating_thread_for_few_tasks);
  g_test_add_func ("/libbridge/block-pool/populating-thread-for-many-tasks",
                   test_populating_thread_for_many_tasks);

  return g_test_run ();
}
