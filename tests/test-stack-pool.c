/* test-stack-pool.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include <glib.h>

#include "bridge-stack-pool-private.h"

/* Whether the kernel reports a guard marker on @page: bit 58 of its entry
 * in /proc/self/pagemap (PM_GUARD_REGION, Linux 6.14). */
static gboolean
page_is_guard (const guint8 *page)
{
  gsize page_size = sysconf (_SC_PAGESIZE);
  guint64 entry = 0;
  int fd = open ("/proc/self/pagemap", O_RDONLY);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pread (fd, &entry, sizeof entry,
                          (off_t) ((gsize) page / page_size * sizeof entry)), ==, sizeof entry);
  close (fd);
  return (entry >> 58) & 1;
}

/* The stack after the one just carved gets its guard page installed by the
 * populating thread, before the loop asks for it. */
static void
test_prepared_ahead (void)
{
  BridgeStackPool *pool = _bridge_stack_pool_new ();
  gsize size = _bridge_stack_size_default ();
  gsize page = sysconf (_SC_PAGESIZE);
  BridgeStack *first, *next;
  const guint8 *next_guard;
  gint64 deadline;

  first = _bridge_stack_pool_acquire (pool, size);
  if (!_bridge_stack_pool_prepares_ahead () || !page_is_guard (first->guard))
    {
      g_test_skip ("guards are not installed ahead here, or the kernel does not report them "
                   "(MADV_GUARD_INSTALL and PM_GUARD_REGION need Linux 6.14; not under valgrind)");
      _bridge_stack_pool_release (pool, first, NULL);
      _bridge_stack_pool_free (pool);
      return;
    }
  /* Stacks of a slab follow each other, each above its guard page. */
  next_guard = first->base + first->size;

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!page_is_guard (next_guard) && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_assert_true (page_is_guard (next_guard));

  next = _bridge_stack_pool_acquire (pool, size);
  g_assert_true (next->guard == next_guard);
  g_assert_true (next->guarded);
  g_assert_cmpuint (page, <=, (gsize) (next->base - next->guard));

  _bridge_stack_pool_release (pool, first, NULL);
  _bridge_stack_pool_release (pool, next, NULL);
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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/stack-pool/prepared-ahead", test_prepared_ahead);
  g_test_add_func ("/libbridge/stack-pool/guarded-while-racing", test_guarded_while_racing);

  return g_test_run ();
}
