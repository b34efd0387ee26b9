/* test-stack-pool.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include "bridge-stack-pool-private.h"

static gboolean
page_is_resident (const guint8 *page)
{
  unsigned char vector = 0;

  g_assert_cmpint (mincore ((void *) page, sysconf (_SC_PAGESIZE), &vector), ==, 0);
  return (vector & 1) != 0;
}

/* The stack after the one just carved gets its top page faulted in and its
 * guard installed by the pool's thread, before the loop asks for it. */
static void
test_prepared_ahead (void)
{
  BridgeStackPool *pool;
  gsize size = _bridge_stack_size_default ();
  gsize page = sysconf (_SC_PAGESIZE);
  BridgeStack *first, *next;
  const guint8 *next_top_page;
  gint64 deadline;

  if (!_bridge_stack_pool_prepares_ahead ())
    {
      g_test_skip ("stacks are not prepared ahead here (no MADV_POPULATE_WRITE, or valgrind)");
      return;
    }

  pool = _bridge_stack_pool_new ();
  first = _bridge_stack_pool_acquire (pool, size);
  /* Stacks of a slab follow each other, each above its guard page. */
  next_top_page = first->base + first->size + page + size - page;

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!page_is_resident (next_top_page) && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_assert_true (page_is_resident (next_top_page));

  next = _bridge_stack_pool_acquire (pool, size);
  g_assert_true (next->base + next->size - page == next_top_page);
  g_assert_true (next->guarded);

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
