/* bridge-stack-pool.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#if HAVE_VALGRIND
# include <valgrind/valgrind.h>
#endif

#if HAVE_ASAN
# include <sanitizer/asan_interface.h>
#endif

#include "bridge-block-pool-private.h"
#include "bridge-stack-pool-private.h"

/* Why 256 KiB: a task may call into GTK, and a widget snapshot with Pango,
 * HarfBuzz and fontconfig underneath goes some tens of KiB deep; glibc's
 * printf family alone reserves a few KiB. 256 KiB leaves a wide margin, and it
 * costs nothing up front: the range is only reserved, the kernel commits a
 * page when a frame first touches it, so a parked task whose frames fit in one
 * page costs one page. */
#define DEFAULT_STACK_SIZE (256 * 1024)
#define MIN_STACK_SIZE     (16 * 1024)

/* Carve stacks out of slabs of this many bytes: a million 256 KiB stacks then
 * need about eight thousand mappings instead of a million, which is what
 * keeps vm.max_map_count (65530 by default) from capping the number of tasks. */
#define SLAB_BYTES (32 * 1024 * 1024)

/* Address space for this many slabs is reserved at a time: mmap() takes the
 * process's memory map lock for writing, and so waits whenever the
 * populating thread holds it for reading (see PREPARE_BATCH below). */
#define SLABS_PER_RESERVATION 8

/* Free stacks kept with their pages committed, per size, once the loop goes
 * idle. Releasing never makes a system call: a burst of ten thousand parked
 * tasks that finish together would otherwise pay ten thousand madvise()
 * calls, and the next burst the page faults. The loop trims the surplus with
 * _bridge_stack_pool_trim() when it is about to sleep. */
#define MAX_HOT_FREE 64

#ifndef MADV_GUARD_INSTALL
# define MADV_GUARD_INSTALL 102
#endif

#ifndef MADV_POPULATE_WRITE
# define MADV_POPULATE_WRITE 23   /* Linux 5.14; Debian 12's headers lack it */
#endif

/* Fresh stacks are prepared ahead of need on the block pool's populating
 * thread: the guard page installed (madvise (MADV_GUARD_INSTALL)) and the
 * top page, where the fiber's first frames go, faulted in
 * (MADV_POPULATE_WRITE, which leaves the contents alone). A burst of tasks
 * that park needs one fresh stack each, and the first touch of its top page
 * costs the loop's thread a page fault, which on the other thread overlaps
 * with the loop's own work.
 *
 * The thread prepares the class's next slab, asked for once the loop is
 * PREPARE_START stacks into the current one: first all its guards, which
 * are cheap and which the loop would otherwise install one system call a
 * stack, then its top pages, which it stops faulting in as soon as the loop
 * starts carving the slab: working where the loop works, the two threads
 * would fault the same pages and contend for the same page table locks. So
 * a program that never has more than PREPARE_START stacks at once commits
 * nothing ahead, and a burst at most one slab's top pages.
 *
 * Each batch is one process_madvise() call, which holds the process's
 * memory map lock for reading: small batches keep the loop's mmap() and
 * brk() from waiting long for it. */
#define PREPARE_START 16
#define PREPARE_BATCH 32

/* Where a slab's stacks are, two bits each in Slab.prepare_states (not in
 * BridgeStack, whose size a million parked tasks multiply): the loop's
 * thread and the populating thread agree through them on who prepares a
 * stack. The loop takes a stack whatever its state, and installs the guard
 * itself unless it finds READY_GUARDED; the populating thread only starts on
 * a FRESH stack, and leaves it FRESH when it could not install the guard
 * (mprotect mode), for the loop to do. */
typedef enum
{
  PREPARE_FRESH,
  PREPARE_BUSY,           /* the populating thread is at it */
  PREPARE_READY_GUARDED,  /* guard installed */
  PREPARE_CARVED,         /* handed out by the pool */
} PrepareState;

#define PREPARE_STATE_BITS 2
#define STATES_PER_WORD    (32 / PREPARE_STATE_BITS)

/* A slab outlives the pool while preparation requests for it are queued:
 * each holds a reference. */
typedef struct
{
  gint         ref_count;
  guint8      *memory;
  gsize        length;
  guint        count;
  BridgeStack *stacks;
  gint         carving;         /* atomic: the loop has started on it */
  gint        *prepare_states;  /* atomic: PrepareState, STATES_PER_WORD a word */
} Slab;

typedef struct
{
  gsize        size;
  BridgeStack *free_list;       /* hot: pages may still be committed */
  BridgeStack *cold_list;       /* given back to the kernel */
  guint        n_hot_free;
  Slab        *slab;            /* the slab being carved */
  guint        slab_next;
  Slab        *next_slab;       /* reserved early, to be prepared ahead */
  guint8      *reserved;        /* address space for the next slabs */
  gsize        reserved_left;
} SizeClass;

struct _BridgeStackPool
{
  guint      n_surplus;  /* releases that went past MAX_HOT_FREE */
  GArray    *classes;  /* SizeClass, default size first */
  GPtrArray *slabs;    /* Slab */
};

typedef struct
{
  Slab *slab;
  guint first;
  guint count;
} PrepareRequest;

static gsize page_size;

/* How guards are made. The Linux 6.13+ madvise(MADV_GUARD_INSTALL) puts a
 * faulting page below every stack without splitting the mapping. Older kernels
 * need mprotect(), which costs two mappings per stack, so it is only used for
 * the first stacks, within a budget taken from vm.max_map_count; stacks past
 * the budget have an untouched gap page below them instead. */
static gint guard_mode = -1;      /* -1 unknown, 0 madvise, 1 mprotect */
static gint mprotect_budget = 0;

static void
init_globals (void)
{
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      gint64 max_map_count = 65530;
      g_autofree char *contents = NULL;

      page_size = sysconf (_SC_PAGESIZE);
      if (g_file_get_contents ("/proc/sys/vm/max_map_count", &contents, NULL, NULL))
        max_map_count = g_ascii_strtoll (contents, NULL, 10);
      /* Leave three quarters of the mappings to the rest of the process. */
      mprotect_budget = (gint) CLAMP (max_map_count / 8, 0, G_MAXINT);
      g_once_init_leave (&initialized, 1);
    }
}

gsize
_bridge_stack_size_round (gsize size)
{
  init_globals ();
  if (size < MIN_STACK_SIZE)
    size = MIN_STACK_SIZE;
  return (size + page_size - 1) & ~(page_size - 1);
}

static gsize
parse_size (const char *text)
{
  char *end = NULL;
  guint64 value = g_ascii_strtoull (text, &end, 10);

  if (end == text)
    return 0;
  if (*end == 'k' || *end == 'K')
    value *= 1024;
  else if (*end == 'm' || *end == 'M')
    value *= 1024 * 1024;
  return value;
}

gsize
_bridge_stack_size_default (void)
{
  static gsize default_size;

  if (g_once_init_enter (&default_size))
    {
      const char *env = g_getenv ("BRIDGE_STACK_SIZE");
      gsize size = DEFAULT_STACK_SIZE;

      if (env != NULL && parse_size (env) > 0)
        size = parse_size (env);
      g_once_init_leave (&default_size, _bridge_stack_size_round (size));
    }

  return default_size;
}

static gboolean
install_guard_madvise (BridgeStack *stack)
{
  return madvise (stack->guard, page_size, MADV_GUARD_INSTALL) == 0;
}

static void
install_guard (BridgeStack *stack)
{
  if (g_atomic_int_get (&guard_mode) != 1 && install_guard_madvise (stack))
    {
      g_atomic_int_set (&guard_mode, 0);
      stack->guarded = TRUE;
      return;
    }

  g_atomic_int_set (&guard_mode, 1);
  if (g_atomic_int_add (&mprotect_budget, -1) <= 0)
    {
      g_atomic_int_inc (&mprotect_budget);
      return;
    }
  if (mprotect (stack->guard, page_size, PROT_NONE) == 0)
    stack->guarded = TRUE;
}

static void
slab_unref (Slab *slab)
{
  if (g_atomic_int_dec_and_test (&slab->ref_count))
    {
      munmap (slab->memory, slab->length);
      g_free (slab->stacks);
      g_free (slab->prepare_states);
      g_free (slab);
    }
}

/* Sets the state of stack @index of @slab to @to if it is @from, or to @to
 * whatever it is when @from is -1; returns the state it had. */
static PrepareState
prepare_state_change (Slab         *slab,
                      guint         index,
                      gint          from,
                      PrepareState  to)
{
  gint *word = &slab->prepare_states[index / STATES_PER_WORD];
  guint shift = (index % STATES_PER_WORD) * PREPARE_STATE_BITS;
  guint mask = ((1u << PREPARE_STATE_BITS) - 1) << shift;

  for (;;)
    {
      guint old_word = (guint) g_atomic_int_get (word);
      PrepareState old = (old_word & mask) >> shift;
      guint new_word = (old_word & ~mask) | ((guint) to << shift);

      if (from >= 0 && old != (PrepareState) from)
        return old;
      if (g_atomic_int_compare_and_exchange (word, (gint) old_word, (gint) new_word))
        return old;
    }
}

/* Gives @advice for @n page ranges, with one process_madvise() call where
 * the kernel takes any advice there (Linux 6.13+), else one madvise() per
 * range. Returns how many ranges, from the first, were advised. */
static guint
advise_ranges (const struct iovec *ranges,
               guint               n,
               int                 advice)
{
  guint done = 0;

#if defined (SYS_pidfd_open) && defined (SYS_process_madvise)
  int pidfd = (int) syscall (SYS_pidfd_open, (pid_t) getpid (), 0);

  if (pidfd >= 0)
    {
      glong advised = syscall (SYS_process_madvise, pidfd, ranges, (gsize) n, advice, 0);

      close (pidfd);
      if (advised >= 0)
        return MIN (n, (gsize) advised / page_size);
    }
#endif
  while (done < n && madvise (ranges[done].iov_base, ranges[done].iov_len, advice) == 0)
    done++;
  return done;
}

/* On the populating thread: the guard pages of stacks [first, first +
 * count) of a slab, including one the loop is carving (it would otherwise
 * install each guard itself, one system call a stack). A stack the loop took
 * in the meantime is not disturbed: only the pages below stacks change. */
static void
guard_stacks (gpointer data)
{
  PrepareRequest *request = data;
  Slab *slab = request->slab;
  struct iovec guards[PREPARE_BATCH];
  guint claimed[PREPARE_BATCH];

  for (guint first = request->first; first < request->first + request->count; first += PREPARE_BATCH)
    {
      guint end = MIN (first + PREPARE_BATCH, request->first + request->count);
      guint n = 0;
      guint n_guarded;

      for (guint i = first; i < end; i++)
        {
          if (prepare_state_change (slab, i, PREPARE_FRESH, PREPARE_BUSY) != PREPARE_FRESH)
            continue;
          claimed[n] = i;
          guards[n].iov_base = slab->stacks[i].guard;
          guards[n].iov_len = page_size;
          n++;
        }
      n_guarded = n > 0 ? advise_ranges (guards, n, MADV_GUARD_INSTALL) : 0;
      /* Changes nothing for a stack the loop took meanwhile: it guards it. */
      for (guint j = 0; j < n; j++)
        prepare_state_change (slab, claimed[j], PREPARE_BUSY,
                              j < n_guarded ? PREPARE_READY_GUARDED : PREPARE_FRESH);
    }
  slab_unref (slab);
  g_free (request);
}

/* On the populating thread: faults in the top pages of stacks [first,
 * first + count) of a slab the loop has not started on, without writing to
 * them. Where the loop is carving already, faulting the same pages (and
 * taking the same page table locks) would slow it down: that slab is left
 * to it. */
static void
populate_tops (gpointer data)
{
  PrepareRequest *request = data;
  Slab *slab = request->slab;
  struct iovec tops[PREPARE_BATCH];

  g_assert (request->count <= PREPARE_BATCH);

  if (!g_atomic_int_get (&slab->carving))
    {
      for (guint j = 0; j < request->count; j++)
        {
          BridgeStack *stack = &slab->stacks[request->first + j];

          tops[j].iov_base = stack->base + stack->size - page_size;
          tops[j].iov_len = page_size;
        }
      (void) advise_ranges (tops, request->count, MADV_POPULATE_WRITE);
    }
  slab_unref (slab);
  g_free (request);
}

/* Whether guards are installed ahead here: only where they are made with
 * madvise() (mprotect() guards are rationed, see install_guard()), so not
 * before a first stack was guarded; and not under valgrind, where a second
 * thread only adds serialized work. */
gboolean
_bridge_stack_pool_prepares_ahead (void)
{
#if HAVE_VALGRIND
  if (RUNNING_ON_VALGRIND)
    return FALSE;
#endif
  return g_atomic_int_get (&guard_mode) == 0;
}

/* How many stacks of @size (rounded) a slab holds, one after another. */
guint
_bridge_stack_pool_slab_capacity (gsize size)
{
  init_globals ();
  return MAX (1, SLAB_BYTES / (size + page_size));
}

static Slab *
slab_new (BridgeStackPool *pool,
          SizeClass       *klass)
{
  gsize stride = klass->size + page_size;
  guint count = _bridge_stack_pool_slab_capacity (klass->size);
  gsize length = stride * count;
  Slab *slab;
  guint8 *memory;

  if (klass->reserved_left == 0)
    {
      gsize reservation = length * SLABS_PER_RESERVATION;
      const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK;

      klass->reserved = mmap (NULL, reservation, PROT_READ | PROT_WRITE, flags, -1, 0);
      /* With strict overcommit (vm.overcommit_memory = 2) the whole range
       * counts against the commit limit: then one slab at a time. */
      if (klass->reserved == MAP_FAILED)
        {
          reservation = length;
          klass->reserved = mmap (NULL, reservation, PROT_READ | PROT_WRITE, flags, -1, 0);
        }
      if (klass->reserved == MAP_FAILED)
        g_error ("libbridge: cannot reserve %" G_GSIZE_FORMAT " bytes for task stacks: %s",
                 reservation, g_strerror (errno));
      klass->reserved_left = reservation;
    }
  memory = klass->reserved;
  klass->reserved += length;
  klass->reserved_left -= length;

  slab = g_new0 (Slab, 1);
  slab->ref_count = 1;
  slab->memory = memory;
  slab->length = length;
  slab->count = count;
  slab->stacks = g_new0 (BridgeStack, count);
  slab->prepare_states = g_new0 (gint, (count + STATES_PER_WORD - 1) / STATES_PER_WORD);
  g_ptr_array_add (pool->slabs, slab);

  for (guint i = 0; i < count; i++)
    {
      BridgeStack *stack = &slab->stacks[i];

      stack->guard = memory + i * stride;
      stack->base = stack->guard + page_size;
      stack->size = klass->size;
    }
  return slab;
}

static void
request_preparation (BridgePopulateFunc  func,
                     Slab               *slab,
                     guint               first,
                     guint               count)
{
  PrepareRequest *request = g_new (PrepareRequest, 1);

  g_atomic_int_inc (&slab->ref_count);
  request->slab = slab;
  request->first = first;
  request->count = count;
  _bridge_populate_in_background (func, request);
}

/* Once the loop is PREPARE_START stacks into a slab, the class's next slab
 * is reserved and all of it asked for: its guards, then its top pages. */
static void
class_prepare_ahead (BridgeStackPool *pool,
                     SizeClass       *klass)
{
  Slab *slab;

  if (klass->next_slab != NULL || klass->slab_next < MIN (PREPARE_START, klass->slab->count))
    return;

  /* All the guards first: they are cheap, and the loop must have each one
   * before it hands the stack out. */
  slab = klass->next_slab = slab_new (pool, klass);
  request_preparation (guard_stacks, slab, 0, slab->count);
  for (guint first = 0; first < slab->count; first += PREPARE_BATCH)
    request_preparation (populate_tops, slab, first, MIN (PREPARE_BATCH, slab->count - first));
}

static BridgeStack *
class_carve (BridgeStackPool *pool,
             SizeClass       *klass)
{
  BridgeStack *stack;

  if (klass->slab == NULL || klass->slab_next == klass->slab->count)
    {
      if (klass->next_slab != NULL)
        klass->slab = g_steal_pointer (&klass->next_slab);
      else
        klass->slab = slab_new (pool, klass);
      g_atomic_int_set (&klass->slab->carving, TRUE);
      klass->slab_next = 0;
    }

  stack = &klass->slab->stacks[klass->slab_next];
  if (prepare_state_change (klass->slab, klass->slab_next++, -1, PREPARE_CARVED) ==
      PREPARE_READY_GUARDED)
    stack->guarded = TRUE;
  else
    install_guard (stack);
  /* After install_guard(): the first stack tells how guards are made. */
  if (_bridge_stack_pool_prepares_ahead ())
    class_prepare_ahead (pool, klass);
#if HAVE_VALGRIND
  stack->valgrind_id = VALGRIND_STACK_REGISTER (stack->base, stack->base + stack->size);
#endif
  return stack;
}

static SizeClass *
pool_get_class (BridgeStackPool *pool,
                gsize            size)
{
  SizeClass new_class = { 0 };

  for (guint i = 0; i < pool->classes->len; i++)
    {
      SizeClass *klass = &g_array_index (pool->classes, SizeClass, i);

      if (klass->size == size)
        return klass;
    }

  new_class.size = size;
  g_array_append_val (pool->classes, new_class);
  return &g_array_index (pool->classes, SizeClass, pool->classes->len - 1);
}

BridgeStackPool *
_bridge_stack_pool_new (void)
{
  BridgeStackPool *pool = g_new0 (BridgeStackPool, 1);

  init_globals ();
  pool->classes = g_array_new (FALSE, TRUE, sizeof (SizeClass));
  pool->slabs = g_ptr_array_new ();
  pool_get_class (pool, _bridge_stack_size_default ());
  return pool;
}

/* The mapping itself goes with the last reference (slab_unref()). */
static void
slab_release (Slab *slab)
{
#if HAVE_VALGRIND
  for (guint i = 0; i < slab->count; i++)
    if (slab->stacks[i].valgrind_id != 0)
      VALGRIND_STACK_DEREGISTER (slab->stacks[i].valgrind_id);
#endif
#if HAVE_ASAN
  /* Frames of fibers that never returned leave poisoned shadow behind. */
  __asan_unpoison_memory_region (slab->memory, slab->length);
#endif
  slab_unref (slab);
}

void
_bridge_stack_pool_free (BridgeStackPool *pool)
{
  if (pool == NULL)
    return;

  if (g_atomic_int_get (&guard_mode) == 1)
    for (guint i = 0; i < pool->slabs->len; i++)
      {
        Slab *slab = g_ptr_array_index (pool->slabs, i);

        for (guint j = 0; j < slab->count; j++)
          if (slab->stacks[j].guarded)
            g_atomic_int_inc (&mprotect_budget);
      }

  g_ptr_array_foreach (pool->slabs, (GFunc) slab_release, NULL);
  g_ptr_array_unref (pool->slabs);
  for (guint i = 0; i < pool->classes->len; i++)
    {
      SizeClass *klass = &g_array_index (pool->classes, SizeClass, i);

      if (klass->reserved_left > 0)
        munmap (klass->reserved, klass->reserved_left);
    }
  g_array_unref (pool->classes);
  g_free (pool);
}

BridgeStack *
_bridge_stack_pool_acquire (BridgeStackPool *pool,
                            gsize            size)
{
  SizeClass *klass;
  BridgeStack *stack;

  klass = &g_array_index (pool->classes, SizeClass, 0);
  if (G_UNLIKELY (size != klass->size))
    klass = pool_get_class (pool, _bridge_stack_size_round (size));

  /* Hot stacks first: their pages are already there, no faults. */
  stack = klass->free_list;
  if (G_LIKELY (stack != NULL))
    {
      klass->free_list = stack->next_free;
      stack->next_free = NULL;
      klass->n_hot_free--;
      return stack;
    }

  stack = klass->cold_list;
  if (stack != NULL)
    {
      klass->cold_list = stack->next_free;
      stack->next_free = NULL;
      stack->hot = TRUE;
      return stack;
    }

  return class_carve (pool, klass);
}

void
_bridge_stack_pool_release (BridgeStackPool *pool,
                            BridgeStack     *stack,
                            const void      *lowest_used)
{
  SizeClass *klass;

  klass = &g_array_index (pool->classes, SizeClass, 0);
  if (G_UNLIKELY (stack->size != klass->size))
    klass = pool_get_class (pool, stack->size);

#if HAVE_ASAN
  /* What the finished fiber used, with a margin for the red zone below the
   * stack pointer and for frames that were popped before the last switch.
   * Test for NULL (no saved stack pointer, as with ucontext) before doing
   * arithmetic on it: offsetting a null pointer is undefined (UBSan). */
  {
    guint8 *low;

    if (lowest_used == NULL || (const guint8 *) lowest_used < stack->base + 4096)
      low = stack->base;
    else
      low = (guint8 *) lowest_used - 4096;
    __asan_unpoison_memory_region (low, stack->base + stack->size - low);
  }
#else
  (void) lowest_used;
#endif

  stack->hot = TRUE;
  klass->n_hot_free++;
  stack->next_free = klass->free_list;
  klass->free_list = stack;
  pool->n_surplus += klass->n_hot_free > MAX_HOT_FREE;
}

/* Gives the pages of free stacks beyond MAX_HOT_FREE per size back to the
 * kernel. Cheap when there is nothing to do; the loop calls it whenever it
 * is about to wait in poll(). */
void
_bridge_stack_pool_trim (BridgeStackPool *pool)
{
  if (G_LIKELY (pool->n_surplus == 0))
    return;

  for (guint i = 0; i < pool->classes->len; i++)
    {
      SizeClass *klass = &g_array_index (pool->classes, SizeClass, i);

      while (klass->n_hot_free > MAX_HOT_FREE)
        {
          BridgeStack *stack = klass->free_list;

          klass->free_list = stack->next_free;
          klass->n_hot_free--;
          madvise (stack->base, stack->size, MADV_DONTNEED);
          stack->hot = FALSE;
          stack->next_free = klass->cold_list;
          klass->cold_list = stack;
        }
    }
  pool->n_surplus = 0;
}
