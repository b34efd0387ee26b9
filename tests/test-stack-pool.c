/* test-stack-pool.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib.h>

#if HAVE_VALGRIND
# include <valgrind/valgrind.h>
#endif

#include "bridge-block-pool-private.h"
#include "bridge-stack-pool-private.h"
#include "test-pagemap.h"

/* Once the loop has taken half of a slab's stacks, the populating thread
 * installs the guard page and faults in the top page (where a fiber's first
 * frames go) of the next slab's first stack, before the loop asks for it. */
static void
test_next_slab_prepared_ahead (void)
{
  BridgeStackPool *pool = _bridge_stack_pool_new ();
  gsize size = _bridge_stack_size_default ();
  gsize page = sysconf (_SC_PAGESIZE);
  guint capacity = _bridge_stack_pool_slab_capacity (size);
  g_autoptr(GPtrArray) taken = g_ptr_array_new ();
  BridgeStack *first, *next;
  const guint8 *next_guard, *next_top;
  gint64 deadline;

  first = _bridge_stack_pool_acquire (pool, size);
  g_ptr_array_add (taken, first);
  if (!_bridge_stack_pool_prepares_ahead () || !page_is_guard (first->guard))
    {
      g_test_skip ("stacks are not prepared ahead here, or the kernel does not report guards "
                   "(MADV_GUARD_INSTALL and PM_GUARD_REGION need Linux 6.14; not under valgrind)");
      _bridge_stack_pool_release (pool, first, NULL);
      _bridge_stack_pool_free (pool);
      return;
    }
  while (taken->len < capacity / 2)
    g_ptr_array_add (taken, _bridge_stack_pool_acquire (pool, size));

  /* Stacks follow each other, each above its guard page, from one slab
   * into the next. */
  next_guard = first->guard + (gsize) capacity * (size + page);
  next_top = next_guard + page + size - page;

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!(page_is_guard (next_guard) && page_is_present (next_top)) &&
         g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_assert_true (page_is_guard (next_guard));
  g_assert_true (page_is_present (next_top));

  while (taken->len < capacity)
    g_ptr_array_add (taken, _bridge_stack_pool_acquire (pool, size));
  next = _bridge_stack_pool_acquire (pool, size);
  g_ptr_array_add (taken, next);
  g_assert_true (next->guard == next_guard);
  g_assert_true (next->guarded);

  for (guint i = 0; i < taken->len; i++)
    _bridge_stack_pool_release (pool, taken->pdata[i], NULL);
  _bridge_stack_pool_free (pool);
}

static void
mark_done (gpointer data)
{
  g_atomic_int_set ((gint *) data, TRUE);
}

/* Returns once the populating thread has run every job queued so far: it
 * runs them in order. */
static void
wait_for_populating_thread (void)
{
  gint done = FALSE;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  _bridge_populate_in_background (mark_done, &done);
  while (!g_atomic_int_get (&done) && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_assert_true (g_atomic_int_get (&done));
}

/* A program with few tasks at a time commits nothing ahead: with only the
 * first stacks of a slab taken, the next slab's first top page stays
 * untouched. */
static void
test_nothing_ahead_for_few_tasks (void)
{
  BridgeStackPool *pool = _bridge_stack_pool_new ();
  gsize size = _bridge_stack_size_default ();
  gsize page = sysconf (_SC_PAGESIZE);
  guint capacity = _bridge_stack_pool_slab_capacity (size);
  BridgeStack *stacks[4];
  const guint8 *next_slab_top;

  for (guint i = 0; i < G_N_ELEMENTS (stacks); i++)
    stacks[i] = _bridge_stack_pool_acquire (pool, size);
  next_slab_top = stacks[0]->guard + (gsize) capacity * (size + page) + size;

  wait_for_populating_thread ();
  g_assert_false (page_is_present (next_slab_top));

  for (guint i = 0; i < G_N_ELEMENTS (stacks); i++)
    _bridge_stack_pool_release (pool, stacks[i], NULL);
  _bridge_stack_pool_free (pool);
}

/* Stacks taken as fast as the loop can, racing the pool's thread for each,
 * all end up with a guard page and distinct memory. */
static void
test_guarded_while_racing (void)
{
  BridgeStackPool *pool = _bridge_stack_pool_new ();
  gsize size = _bridge_stack_size_default ();
  BridgeStack *stacks[1000];

  for (guint i = 0; i < G_N_ELEMENTS (stacks); i++)
    {
      stacks[i] = _bridge_stack_pool_acquire (pool, size);
      /* What a fiber does first: write its initial frame at the top. */
      stacks[i]->base[stacks[i]->size - 64] = (guint8) i;
    }
  for (guint i = 0; i < G_N_ELEMENTS (stacks); i++)
    {
      g_assert_true (stacks[i]->guarded);
      g_assert_cmpuint (stacks[i]->base[stacks[i]->size - 64], ==, (guint8) i);
      if (i > 0)
        g_assert_true (stacks[i]->base != stacks[i - 1]->base);
    }
  for (guint i = 0; i < G_N_ELEMENTS (stacks); i++)
    _bridge_stack_pool_release (pool, stacks[i], NULL);
  _bridge_stack_pool_free (pool);
}

/* Bytes of address space this process has mapped (VmSize). */
static gsize
address_space_used (void)
{
  g_autofree char *statm = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL));
  return (gsize) g_ascii_strtoull (statm, NULL, 10) * sysconf (_SC_PAGESIZE);
}

/* Where the pool's usual reservation of several slabs does not fit in the
 * address space (or, with strict overcommit, in the commit limit), stacks
 * still come, one slab at a time. */
static void
test_tight_address_space (void)
{
  gsize size = _bridge_stack_size_default ();
  gsize page = sysconf (_SC_PAGESIZE);

#if HAVE_ASAN
  g_test_skip ("AddressSanitizer needs a large address space");
  return;
#endif
#if HAVE_VALGRIND
  if (RUNNING_ON_VALGRIND)
    {
      g_test_skip ("valgrind manages the address space itself");
      return;
    }
#endif

  if (g_test_subprocess ())
    {
      BridgeStackPool *pool;
      BridgeStack *stack;
      /* One slab and the populating thread's stack fit; two slabs do not. */
      struct rlimit limit;

      limit.rlim_cur = limit.rlim_max = address_space_used () +
                                        (gsize) _bridge_stack_pool_slab_capacity (size) * (size + page) +
                                        24 * 1024 * 1024;
      g_assert_cmpint (setrlimit (RLIMIT_AS, &limit), ==, 0);

      pool = _bridge_stack_pool_new ();
      stack = _bridge_stack_pool_acquire (pool, size);
      stack->base[stack->size - 64] = 1;
      _bridge_stack_pool_release (pool, stack, NULL);
      _bridge_stack_pool_free (pool);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/stack-pool/next-slab-prepared-ahead",
                   test_next_slab_prepared_ahead);
  g_test_add_func ("/libbridge/stack-pool/nothing-ahead-for-few-tasks",
                   test_nothing_ahead_for_few_tasks);
  g_test_add_func ("/libbridge/stack-pool/tight-address-space", test_tight_address_space);
  g_test_add_func ("/libbridge/stack-pool/guarded-while-racing", test_guarded_while_racing);

  return g_test_run ();
}
