/* bridge-block-pool.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/mman.h>

#if HAVE_VALGRIND
# include <valgrind/valgrind.h>
#endif

#include "bridge-block-pool-private.h"

/* The pool reserves one range of address space and hands it out in chunks,
 * each chunk to one size class, which cuts it into blocks. A class keeps
 * the blocks given back on its own thread in a free list, and those given
 * back on other threads in a lock-free stack that the owner empties when
 * its free list runs dry.
 *
 * Whenever a class is half through a chunk, the populating thread is asked
 * to fault in the next one (madvise (MADV_POPULATE_WRITE)), so that the
 * loop's thread mostly finds committed pages. Memory comes back to the system when
 * the loop is idle and the topmost chunks hold no live block: after a burst,
 * not piecemeal.
 *
 * A loop that never has many futures, tasks or handles alive at once (a
 * command that fetches a file has a few dozen) gets nothing faulted in
 * ahead and no populating thread: a chunk faulted in ahead is megabytes
 * of pages to clear, which on a machine with few processors competes with
 * the program's own start. Population starts once one class has handed out
 * POPULATE_START_BYTES of fresh blocks; then the chunks already taken are
 * faulted in, and the next one ahead.
 *
 * A chunk is the size of a transparent huge page and aligned to one, and the
 * populating thread asks for huge pages (MADV_HUGEPAGE) on each chunk just
 * before it populates it: one huge page costs far less to commit than its
 * 512 small pages one by one, which is what a burst of new tasks otherwise
 * waits for when it outruns the populating thread. Only that thread marks
 * chunks, so the loop's thread, when it reaches a chunk first, takes small
 * pages and never waits for the kernel to compact memory into a huge one. */

#define CHUNK_SIZE     ((gsize) 2 << 20)
#define N_CHUNKS       512                /* 1 GiB of address space, reserved only */
#define KEEP_CHUNKS    2                  /* kept committed: a loop's usual needs */
#define TRIM_MIN_SPAN  2                  /* chunks: smaller spans are not worth a trim */
#define POPULATE_AHEAD 1                  /* chunks faulted in beyond the one in use */
#define POPULATE_START_BYTES ((gsize) 64 << 10) /* fresh blocks of one class before any */

#ifndef MADV_POPULATE_WRITE
# define MADV_POPULATE_WRITE 23           /* Linux 5.14 */
#endif

typedef struct _Block Block;
struct _Block
{
  Block *next;
};

typedef struct
{
  gsize   size;
  Block  *free_list;   /* given back on the owner thread */
  Block  *remote;      /* atomic: given back on other threads */
  guint8 *bump;        /* the unused rest of this class's current chunk */
  guint8 *bump_end;
  guint8 *bump_half;   /* past it, the next chunk is populated (then NULL); before
                        * population starts, past it population starts */
} BlockClass;

/* The reserved range outlives the pool while population requests for it are
 * queued: each holds a reference. */
typedef struct
{
  gint    ref_count;
  guint8 *base;
} Region;

struct _BridgeBlockPool
{
  Region     *region;
  guint       next_chunk;        /* chunks below are taken by a class */
  guint       populated_chunk;   /* population was requested for chunks below */
  gboolean    populating;        /* once a class used POPULATE_START_BYTES */
  BlockClass  classes[BRIDGE_BLOCK_POOL_N_CLASSES];
  guint8      chunk_class[N_CHUNKS];
  guint32     live[N_CHUNKS];    /* blocks handed out and not given back, per chunk */
};

typedef struct
{
  Region *region;
  guint   chunk;
} PopulateRequest;

typedef struct
{
  BridgePopulateFunc func;
  gpointer           data;
} PopulateJob;

static GAsyncQueue *populate_queue;

static void
region_unref (Region *region)
{
  if (g_atomic_int_dec_and_test (&region->ref_count))
    {
      munmap (region->base, N_CHUNKS * CHUNK_SIZE);
      g_free (region);
    }
}

/* The populating thread: one per process, started with the first job (a
 * program with few tasks never has one). Its jobs only fault pages in;
 * they never write to them, so memory that the loop's thread reached first
 * is not disturbed. (A child process made by fork() has no such thread:
 * its jobs just wait, and its loops fault their pages in themselves.) */
static gpointer
populate_thread (gpointer data)
{
  for (;;)
    {
      PopulateJob *job = g_async_queue_pop (populate_queue);

      job->func (job->data);
      g_free (job);
    }
  return NULL;
}

static void
populate_thread_start (void)
{
  static gsize started;

  if (g_once_init_enter (&started))
    {
      populate_queue = g_async_queue_new ();
      g_thread_unref (g_thread_new ("bridge-populate", populate_thread, NULL));
      g_once_init_leave (&started, 1);
    }
}

/* Whether the populating thread was started in this process. */
gboolean
_bridge_populating_thread_started (void)
{
  return g_atomic_pointer_get (&populate_queue) != NULL;
}

/**
 * _bridge_populate_in_background:
 * @func: faults memory in; must not write to it
 * @data: for @func, which owns it
 *
 * Runs @func on the process's populating thread, after the jobs queued
 * before it. Any thread.
 */
void
_bridge_populate_in_background (BridgePopulateFunc func,
                                gpointer           data)
{
  PopulateJob *job = g_new (PopulateJob, 1);

  populate_thread_start ();
  job->func = func;
  job->data = data;
  g_async_queue_push (populate_queue, job);
}

static void
populate_chunk (gpointer data)
{
  PopulateRequest *request = data;
  guint8 *chunk = request->region->base + request->chunk * CHUNK_SIZE;

  (void) madvise (chunk, CHUNK_SIZE, MADV_HUGEPAGE);
  (void) madvise (chunk, CHUNK_SIZE, MADV_POPULATE_WRITE);
  region_unref (request->region);
  g_free (request);
}

static void
request_population (BridgeBlockPool *pool,
                    guint            chunk)
{
  PopulateRequest *request;

  if (!pool->populating || chunk >= N_CHUNKS || chunk < pool->populated_chunk)
    return;

  request = g_new (PopulateRequest, 1);
  request->region = pool->region;
  request->chunk = chunk;
  g_atomic_int_inc (&pool->region->ref_count);
  pool->populated_chunk = chunk + 1;
  _bridge_populate_in_background (populate_chunk, request);
}

/* Whether the pool can work here. Under AddressSanitizer and valgrind every
 * block must be a real allocation of its own, for their use-after-free
 * checks; the kernel needs MADV_POPULATE_WRITE. */
static gboolean
pool_supported (void)
{
  static int supported = -1;

  if (G_UNLIKELY (supported < 0))
    {
#if HAVE_ASAN || GLIB_SIZEOF_VOID_P < 8
      supported = 0;
#else
      guint8 *probe;

      supported = 1;
# if HAVE_VALGRIND
      if (RUNNING_ON_VALGRIND)
        supported = 0;
# endif
      if (supported)
        {
          probe = mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
          supported = probe != MAP_FAILED && madvise (probe, 4096, MADV_POPULATE_WRITE) == 0;
          if (probe != MAP_FAILED)
            munmap (probe, 4096);
        }
#endif
    }
  return supported;
}

/**
 * _bridge_block_pool_new:
 * @sizes: the block size of each class
 *
 * Returns: (nullable): a new pool, or %NULL where pools cannot work (see
 *   pool_supported()) or the address space cannot be reserved
 */
/* Reserved, not committed: MAP_NORESERVE, and pages come into being as they
 * are touched or populated. The start is aligned to @alignment (a power of
 * two): a larger range is reserved and the ends trimmed. */
static guint8 *
reserve_aligned (gsize size,
                 gsize alignment)
{
  guint8 *raw = mmap (NULL, size + alignment, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  gsize head;

  if (raw == MAP_FAILED)
    return NULL;

  head = (alignment - ((guintptr) raw & (alignment - 1))) & (alignment - 1);
  if (head > 0)
    munmap (raw, head);
  munmap (raw + head + size, alignment - head);
  return raw + head;
}

BridgeBlockPool *
_bridge_block_pool_new (const gsize sizes[BRIDGE_BLOCK_POOL_N_CLASSES])
{
  BridgeBlockPool *pool;
  guint8 *base;

  if (!pool_supported ())
    return NULL;

  base = reserve_aligned (N_CHUNKS * CHUNK_SIZE, CHUNK_SIZE);
  if (base == NULL)
    return NULL;

  pool = g_new0 (BridgeBlockPool, 1);
  pool->region = g_new (Region, 1);
  pool->region->ref_count = 1;
  pool->region->base = base;
  for (guint i = 0; i < BRIDGE_BLOCK_POOL_N_CLASSES; i++)
    pool->classes[i].size = (sizes[i] + 15) & ~(gsize) 15;

  /* Nothing is faulted in ahead yet: see start_population(). */
  return pool;
}

/* Every block must have been given back (the loop's futures keep it alive,
 * so the loop is finalized after the last of them). */
void
_bridge_block_pool_free (BridgeBlockPool *pool)
{
  region_unref (pool->region);
  g_free (pool);
}

static inline guint
chunk_of (BridgeBlockPool *pool,
          gconstpointer    block)
{
  return (guint) (((const guint8 *) block - pool->region->base) / CHUNK_SIZE);
}

gboolean
_bridge_block_pool_owns (BridgeBlockPool *pool,
                         gconstpointer    block)
{
  return pool != NULL &&
         (gsize) ((const guint8 *) block - pool->region->base) < N_CHUNKS * CHUNK_SIZE;
}

static void
drain_remote (BridgeBlockPool *pool,
              BlockClass      *klass)
{
  Block *block = g_atomic_pointer_exchange (&klass->remote, NULL);

  while (block != NULL)
    {
      Block *next = block->next;

      pool->live[chunk_of (pool, block)]--;
      block->next = klass->free_list;
      klass->free_list = block;
      block = next;
    }
}

static gboolean
take_chunk (BridgeBlockPool *pool,
            guint            size_class)
{
  BlockClass *klass = &pool->classes[size_class];
  guint chunk = pool->next_chunk;

  if (chunk >= N_CHUNKS)
    return FALSE;

  pool->next_chunk++;
  pool->chunk_class[chunk] = size_class;
  klass->bump = pool->region->base + chunk * CHUNK_SIZE;
  klass->bump_end = klass->bump + CHUNK_SIZE;
  klass->bump_half = klass->bump + (pool->populating ? CHUNK_SIZE / 2 : POPULATE_START_BYTES);

  /* Normally asked for already (see populate_ahead()). */
  request_population (pool, chunk);
  return TRUE;
}

/* Ahead of need: the chunks to be taken next, asked for once a class is
 * half through its chunk rather than when it starts on it, so that at most
 * about a chunk and a half is committed and unused, and the populating thread
 * still has half a chunk's worth of allocations to do its work. */
static void
populate_ahead (BridgeBlockPool *pool,
                BlockClass      *klass)
{
  klass->bump_half = NULL;
  for (guint i = 0; i < POPULATE_AHEAD; i++)
    request_population (pool, pool->next_chunk + i);
}

/* The first time a class has handed out POPULATE_START_BYTES of fresh
 * blocks: the loop has many things alive at once, and may well be at the
 * start of a burst. The chunks the classes are carving are faulted in (the
 * pages the loop touched already cost the populating thread little), then
 * the next one; each class then asks for more half way through its chunk,
 * as usual. */
static void
start_population (BridgeBlockPool *pool,
                  BlockClass      *klass)
{
  pool->populating = TRUE;
  for (guint chunk = 0; chunk < pool->next_chunk; chunk++)
    request_population (pool, chunk);

  for (guint i = 0; i < BRIDGE_BLOCK_POOL_N_CLASSES; i++)
    {
      BlockClass *other = &pool->classes[i];
      guint8 *half;

      if (other == klass || other->bump_half == NULL)
        continue;
      half = other->bump_end - CHUNK_SIZE / 2;
      other->bump_half = other->bump < half ? half : NULL;
    }
  populate_ahead (pool, klass);
}

/**
 * _bridge_block_pool_alloc:
 * @pool: a pool
 * @size_class: which size
 *
 * On the owner thread only. Returns: (nullable): a zeroed block, or %NULL
 *   once the reserved range is used up
 */
gpointer
_bridge_block_pool_alloc (BridgeBlockPool *pool,
                          guint            size_class)
{
  BlockClass *klass = &pool->classes[size_class];
  Block *block = klass->free_list;

  if (block == NULL && g_atomic_pointer_get (&klass->remote) != NULL)
    {
      drain_remote (pool, klass);
      block = klass->free_list;
    }

  if (block != NULL)
    {
      klass->free_list = block->next;
      memset (block, 0, klass->size);
    }
  else
    {
      /* Fresh memory, never used or returned to the system since: zero. */
      if ((gsize) (klass->bump_end - klass->bump) < klass->size &&
          !take_chunk (pool, size_class))
        return NULL;
      block = (Block *) klass->bump;
      klass->bump += klass->size;
      if (G_UNLIKELY (klass->bump_half != NULL && klass->bump >= klass->bump_half))
        {
          if (G_LIKELY (pool->populating))
            populate_ahead (pool, klass);
          else
            start_population (pool, klass);
        }
    }

  pool->live[chunk_of (pool, block)]++;
  return block;
}

/**
 * _bridge_block_pool_release:
 * @pool: the pool that owns @block
 * @block: a block from _bridge_block_pool_alloc()
 * @on_owner_thread: whether the caller is the pool's owner thread
 *
 * Gives @block back, from any thread.
 */
void
_bridge_block_pool_release (BridgeBlockPool *pool,
                            gpointer         block,
                            gboolean         on_owner_thread)
{
  guint chunk = chunk_of (pool, block);
  BlockClass *klass = &pool->classes[pool->chunk_class[chunk]];
  Block *head;

  if (on_owner_thread)
    {
      ((Block *) block)->next = klass->free_list;
      klass->free_list = block;
      pool->live[chunk]--;
      return;
    }

  do
    {
      head = g_atomic_pointer_get (&klass->remote);
      ((Block *) block)->next = head;
    }
  while (!g_atomic_pointer_compare_and_exchange (&klass->remote, head, block));
}

static void
drop_blocks_above (BridgeBlockPool *pool,
                   BlockClass      *klass,
                   guint            top)
{
  Block **link = &klass->free_list;

  while (*link != NULL)
    {
      if (chunk_of (pool, *link) >= top)
        *link = (*link)->next;
      else
        link = &(*link)->next;
    }

  if (klass->bump != NULL && chunk_of (pool, klass->bump_end - 1) >= top)
    klass->bump = klass->bump_end = klass->bump_half = NULL;
}

/**
 * _bridge_block_pool_trim:
 * @pool: a pool
 *
 * On the owner thread, when the loop is about to sleep: returns the memory
 * of the topmost chunks that hold no live block, if there are enough of
 * them. Cheap when there is nothing to do.
 */
void
_bridge_block_pool_trim (BridgeBlockPool *pool)
{
  guint top = pool->next_chunk;
  guint released;

  if (top <= KEEP_CHUNKS || pool->live[top - 1] != 0)
    return;

  for (guint i = 0; i < BRIDGE_BLOCK_POOL_N_CLASSES; i++)
    if (g_atomic_pointer_get (&pool->classes[i].remote) != NULL)
      drain_remote (pool, &pool->classes[i]);

  while (top > KEEP_CHUNKS && pool->live[top - 1] == 0)
    top--;
  released = pool->next_chunk - top;
  if (released < TRIM_MIN_SPAN)
    return;

  for (guint i = 0; i < BRIDGE_BLOCK_POOL_N_CLASSES; i++)
    drop_blocks_above (pool, &pool->classes[i], top);

  /* The pages read as zeros afterwards, as fresh chunks must. */
  (void) madvise (pool->region->base + top * CHUNK_SIZE, released * CHUNK_SIZE, MADV_DONTNEED);
  pool->next_chunk = top;
  pool->populated_chunk = MIN (pool->populated_chunk, top);
}
