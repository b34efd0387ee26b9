/* bridge-loop.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <gio/gio.h>

#if HAVE_VALGRIND
# include <valgrind/valgrind.h>
#endif

#include "bridge-block-pool-private.h"
#include "bridge-error.h"
#include "bridge-future-private.h"
#include "bridge-handle-private.h"
#include "bridge-loop-private.h"
#include "bridge-task-private.h"
#include "bridge-thread-local-private.h"

/**
 * BridgeLoop:
 *
 * asyncio's event loop, living inside a `GMainContext`.
 *
 * There is one loop per `GMainContext`, and it adds exactly one `GSource` to
 * it. That source holds the FIFO ready queue, a heap of timers and a
 * thread-safe inbox, and it runs whenever the context is iterated: by
 * [method@Bridge.Loop.run_until_complete], by a plain `GMainLoop`, by
 * `g_application_run()` in a GTK application, or by Qt's GLib-based event
 * dispatcher. Nothing else is needed to use tasks in those programs.
 *
 * One dispatch drains newly ready work until the queue is empty or a time
 * budget of 2 ms is spent, so a task readied by another task resumes with a
 * context switch, not a trip through `poll()`. When the budget runs out with
 * work left, the source drops below %G_PRIORITY_DEFAULT_IDLE until it is
 * next dispatched: GLib only dispatches the highest priority that is ready,
 * so every source down to GTK's layout and paint (`GDK_PRIORITY_REDRAW`) and
 * default idles runs first, even while another default-priority source (a
 * 1 ms timer, pointer motion) is ready every millisecond. When nothing else
 * is ready, the source runs again at once; when other sources stay ready,
 * it takes back its priority after as long as its own budget.
 *
 * Since: 0.1
 */

#define DISPATCH_BUDGET_USEC  2000
#define DEFAULT_SLOW_CALLBACK 0.1
/* Below GDK_PRIORITY_REDRAW (G_PRIORITY_HIGH_IDLE + 20) and the idles that
 * GIO and GTK queue small jobs on. */
#define PRIORITY_STANDING_ASIDE (G_PRIORITY_DEFAULT_IDLE + 1)

/* The clock is read every clock_stride items, which adapts between 1 and
 * CLOCK_STRIDE_MAX so that reads stay about CLOCK_INTERVAL_USEC apart: a
 * clock read per item is a large part of a ping-pong between two tasks,
 * while items that take a millisecond each must not run 64 at a time before
 * the budget and the timers are looked at. */
#define CLOCK_STRIDE_MAX      64
#define CLOCK_INTERVAL_USEC   100

/* A dispatch that finds its budget spent in its first iteration (its
 * thread was preempted, or the items are slow) still runs this many items
 * of it, so that the loop makes progress whatever the budget says. Few:
 * items that take tens of microseconds each (tasks cleaning up after a
 * cancellation) must not hold the thread for milliseconds. */
#define MIN_ITEMS_PER_DISPATCH 16

/* An entry of the inbox is an InboxNode, or a handle of
 * call_soon_threadsafe() (its address with INBOX_HANDLE_TAG set) linked
 * through the handle itself: a burst of calls from other threads then
 * allocates nothing more than the handles, and frees nothing across
 * threads. */
#define INBOX_HANDLE_TAG ((guintptr) 1)

typedef struct
{
  gpointer         next;   /* an inbox entry */
  BridgeReadyItem  item;
} InboxNode;

/* The heap keeps each timer's key next to its handle: comparing through the
 * handle pointer cost a cache miss per heap level, the largest cost of many
 * timers. */
typedef struct
{
  gint64        when;
  guint64       sequence;
  BridgeHandle *handle;
} TimerEntry;

/* A due timer while timers_collect_many() sorts them: its key relative to
 * the smallest of those being sorted. */
typedef struct
{
  guint64       when;
  guint64       sequence;
  BridgeHandle *handle;
} SortedTimer;

/* The same, when both relative keys fit in 64 bits side by side (due time
 * above, sequence below): one key to sort by, in two thirds of the memory. */
typedef struct
{
  guint64       key;
  BridgeHandle *handle;
} KeyedTimer;

typedef struct
{
  GSource     source;
  BridgeLoop *loop;   /* borrowed: the loop destroys the source first */
} LoopSource;

struct _BridgeLoop
{
  GObject                 parent_instance;

  GMainContext           *context;
  LoopSource             *source;
  LoopSource             *resume_source;   /* ends a stand-aside that lasts */

  /* Ready queue: a ring buffer whose capacity is a power of two. */
  BridgeReadyItem        *ring;
  guint                   ring_mask;
  guint                   ring_head;
  guint                   ring_count;

  /* Timers: a binary min-heap ordered by (when, sequence). Cancelled timers
   * stay in the heap until they reach the top, or until they are half of it. */
  TimerEntry             *timers;
  guint                   n_timers;
  guint                   timers_allocated;
  guint                   n_cancelled_timers;
  guint64                 timer_sequence;
  gpointer                timers_scratch;   /* see timers_collect_many() */
  guint                   timers_scratch_allocated;   /* in SortedTimer pairs */

  /* What other threads write on every call_soon_threadsafe(), on a cache
   * line of its own: the inbox (a lock-free stack that the loop takes
   * whole) and the holds of their handles. Sharing the line with fields
   * the loop's thread writes as it dispatches made each call a miss. */
  char                    inbox_line_before[64];
  gpointer                inbox;
  gint                    n_holds;      /* futures alive on this loop */
  char                    inbox_line_after[64];

  BridgeTask             *tasks;
  guint                   n_tasks;
  guint64                 next_task_number;

  BridgeStackPool        *stack_pool;
  BridgeBlockPool        *block_pool;   /* made on first use; see _bridge_loop_alloc_block() */
  gconstpointer           owner;        /* the thread that last dispatched */

  BridgeExceptionHandler  exception_handler;
  gpointer                exception_handler_data;
  GDestroyNotify          exception_handler_destroy;

  gint                    n_thread_jobs;       /* on worker threads, results due here */
  gboolean                thread_jobs_quick;   /* the last one ran briefly */

  double                  slow_callback_duration;
  gint64                  dispatch_clock;
  guint                   clock_stride;
  guint                   iterations_aside;
  guint                   iteration_left;   /* items of an iteration cut short */
  int                     io_priority;      /* for BRIDGE_IO_PRIORITY_LOOP */
  int                     priority;         /* the source's, when not standing aside */
  BridgeFuture           *run_future;       /* what run_until_complete() waits for */

  guint                   running : 1;
  guint                   stopping : 1;
  guint                   closed : 1;
  guint                   debug : 1;
  guint                   standing_aside : 1;   /* priority dropped, see above */
  guint                   slow_reported : 1;
  guint                   block_pool_tried : 1;
  guint                   ring_mapped : 1;     /* see ring_grow() */
};

G_DEFINE_FINAL_TYPE (BridgeLoop, bridge_loop, G_TYPE_OBJECT)

/* Identifies the current thread: the address of a thread-local variable. */
static BRIDGE_THREAD_LOCAL char thread_token;
static BRIDGE_THREAD_LOCAL BridgeLoop *dispatching_loop;
BRIDGE_THREAD_LOCAL int _bridge_loop_dispatch_depth;
BRIDGE_THREAD_LOCAL gboolean _bridge_loop_nested_iteration;
/* Holds on dispatching_loop that this thread took in advance and has not
 * handed to a future yet (see _bridge_loop_hold()). */
static BRIDGE_THREAD_LOCAL gint hold_credits;

static void loop_drop_holds (BridgeLoop *loop,
                             gint        n);
static BRIDGE_THREAD_LOCAL GMainContext *default_cache_context;
static BRIDGE_THREAD_LOCAL BridgeLoop *default_cache_loop;

static GMutex registry_lock;
static GHashTable *registry;   /* GMainContext → BridgeLoop (strong) */

/* ---- ready queue -------------------------------------------------------- */

/* Rings from this size on live in their own mapping and grow with
 * mremap(): the pages already filled move instead of being copied into
 * fresh ones, each faulted in again (a burst of spawned tasks grows the
 * ring to megabytes: a copy of everything at every doubling, and twice the
 * page faults). */
#define RING_MAPPED_MIN_BYTES (64 * 1024)

static void
ring_grow (BridgeLoop *loop)
{
  guint old_capacity = loop->ring_mask + 1;
  guint new_capacity = old_capacity * 2;
  gsize old_bytes = old_capacity * sizeof (BridgeReadyItem);
  gsize new_bytes = new_capacity * sizeof (BridgeReadyItem);
  BridgeReadyItem *ring;

  if (new_bytes < RING_MAPPED_MIN_BYTES)
    {
      ring = g_new (BridgeReadyItem, new_capacity);
      for (guint i = 0; i < loop->ring_count; i++)
        ring[i] = loop->ring[(loop->ring_head + i) & loop->ring_mask];
      g_free (loop->ring);
      loop->ring_head = 0;
    }
  else
    {
      if (loop->ring_mapped)
        ring = mremap (loop->ring, old_bytes, new_bytes, MREMAP_MAYMOVE);
      else
        {
          ring = mmap (NULL, new_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
          if (ring != MAP_FAILED)
            {
              memcpy (ring, loop->ring, old_bytes);
              g_free (loop->ring);
            }
        }
      if (ring == MAP_FAILED)
        g_error ("Cannot grow the ready queue of the loop to %" G_GSIZE_FORMAT " bytes: %s",
                 new_bytes, g_strerror (errno));
      loop->ring_mapped = TRUE;

      /* The ring was full: its items run from ring_head to the end, then
       * wrap to the start. The wrapped part moves behind the old end, so
       * that they run on from ring_head without a wrap. */
      memcpy (ring + old_capacity, ring, loop->ring_head * sizeof (BridgeReadyItem));
    }

  loop->ring = ring;
  loop->ring_mask = new_capacity - 1;
}

static inline void
ring_push (BridgeLoop      *loop,
           BridgeReadyFunc  func,
           gpointer         a,
           gpointer         b)
{
  BridgeReadyItem *item;

  if (G_UNLIKELY (loop->ring_count > loop->ring_mask))
    ring_grow (loop);

  item = &loop->ring[(loop->ring_head + loop->ring_count) & loop->ring_mask];
  item->func = func;
  item->a = a;
  item->b = b;
  loop->ring_count++;
}

/* How far ahead the dispatch fetches the objects of ready items. */
#define READY_PREFETCH_AHEAD 12

static inline BridgeReadyItem
ring_pop (BridgeLoop *loop)
{
  BridgeReadyItem item = loop->ring[loop->ring_head];

  loop->ring_head = (loop->ring_head + 1) & loop->ring_mask;
  loop->ring_count--;
  return item;
}

void
_bridge_loop_push_ready (BridgeLoop      *loop,
                         BridgeReadyFunc  func,
                         gpointer         a,
                         gpointer         b)
{
  if (G_UNLIKELY (loop->owner != &thread_token))
    {
      _bridge_loop_push_ready_threadsafe (loop, func, a, b);
      return;
    }

  ring_push (loop, func, a, b);

  /* Outside our dispatch, make sure the context wakes up for it, unless
   * this thread is the one iterating it (a GIO callback on the loop's
   * thread, say): then the next prepare() sees the work anyway, and a
   * wakeup would only cost a write to the context's eventfd. */
  if (G_UNLIKELY (dispatching_loop != loop) && loop->ring_count == 1 && loop->context != NULL &&
      !g_main_context_is_owner (loop->context))
    g_main_context_wakeup (loop->context);
}

/* ---- thread inbox ----------------------------------------------------- */

static inline BridgeHandle *
inbox_entry_handle (gpointer entry)
{
  return ((guintptr) entry & INBOX_HANDLE_TAG) ?
         (BridgeHandle *) ((guintptr) entry & ~INBOX_HANDLE_TAG) : NULL;
}

static inline gpointer *
inbox_entry_link (gpointer entry)
{
  BridgeHandle *handle = inbox_entry_handle (entry);

  return handle != NULL ? &handle->inbox_next : &((InboxNode *) entry)->next;
}

static void
inbox_push (BridgeLoop *loop,
            gpointer    entry)
{
  gpointer *link = inbox_entry_link (entry);
  gpointer head;

  do
    {
      head = g_atomic_pointer_get (&loop->inbox);
      *link = head;
    }
  while (!g_atomic_pointer_compare_and_exchange (&loop->inbox, head, entry));

  /* Only the push that makes the inbox non-empty wakes the context: the
   * loop takes the whole inbox at once, so later pushes ride along. */
  if (head == NULL)
    g_main_context_wakeup (loop->context);
}

void
_bridge_loop_push_ready_threadsafe (BridgeLoop      *loop,
                                    BridgeReadyFunc  func,
                                    gpointer         a,
                                    gpointer         b)
{
  InboxNode *node = g_new (InboxNode, 1);

  node->item.func = func;
  node->item.a = a;
  node->item.b = b;
  inbox_push (loop, node);
}

static void
inbox_drain (BridgeLoop *loop)
{
  gpointer entry = g_atomic_pointer_exchange (&loop->inbox, NULL);
  gpointer reversed = NULL;

  /* The stack holds the newest first; reverse it to keep each thread's order. */
  while (entry != NULL)
    {
      gpointer *link = inbox_entry_link (entry);
      gpointer next = *link;

      *link = reversed;
      reversed = entry;
      entry = next;
    }

  while (reversed != NULL)
    {
      BridgeHandle *handle = inbox_entry_handle (reversed);
      gpointer next = *inbox_entry_link (reversed);

      if (handle != NULL)
        {
          ring_push (loop, _bridge_handle_run, handle, NULL);
        }
      else
        {
          InboxNode *node = reversed;

          ring_push (loop, node->item.func, node->item.a, node->item.b);
          g_free (node);
        }
      reversed = next;
    }
}

static inline gboolean
inbox_is_empty (BridgeLoop *loop)
{
  return g_atomic_pointer_get (&loop->inbox) == NULL;
}

/* ---- timers --------------------------------------------------------------- */

/* A binary heap: a 4-ary one was no faster on many timers. */
static inline gboolean
timer_before (const TimerEntry *a,
              const TimerEntry *b)
{
  /* Bitwise, not && and ||: the comparison goes into a register instead of
   * branches, which mispredict half the time while sifting. */
  return (a->when < b->when) | ((a->when == b->when) & (a->sequence < b->sequence));
}

/* Moves the entry at @index up, but not above @top. */
static void
heap_sift_up_to (BridgeLoop *loop,
                 guint       index,
                 guint       top)
{
  TimerEntry entry = loop->timers[index];

  while (index > top)
    {
      guint parent = (index - 1) / 2;

      if (!timer_before (&entry, &loop->timers[parent]))
        break;
      loop->timers[index] = loop->timers[parent];
      index = parent;
    }
  loop->timers[index] = entry;
}

/* Floyd's way: the hole at @index goes down to a leaf along the earlier
 * child, without comparing against the entry that fills it, which is then
 * sifted up from there. That entry came from the end of the heap, so it
 * rarely rises far: about one comparison per level instead of two, and the
 * choice of child is branch-free (see timer_before()): with many timers,
 * mispredicted branches were a large part of popping them. */
static void
heap_sift_down (BridgeLoop *loop,
                guint       index)
{
  TimerEntry *timers = loop->timers;
  TimerEntry entry = timers[index];
  guint n = loop->n_timers;
  guint top = index;
  guint child;

  while ((child = 2 * index + 1) + 1 < n)
    {
      /* Fetch the grandchildren while these children are compared: with
       * many timers the lower levels miss the cache, and this overlaps one
       * level's miss with the next. */
      __builtin_prefetch (&timers[4 * index + 3]);
      __builtin_prefetch (&timers[4 * index + 6]);
      child += timer_before (&timers[child + 1], &timers[child]);
      timers[index] = timers[child];
      index = child;
    }
  if (child < n)
    {
      timers[index] = timers[child];
      index = child;
    }

  timers[index] = entry;
  heap_sift_up_to (loop, index, top);
}

static void
heap_push (BridgeLoop   *loop,
           BridgeHandle *handle,
           gint64        when)
{
  TimerEntry *entry;

  if (loop->n_timers == loop->timers_allocated)
    {
      loop->timers_allocated = MAX (64, loop->timers_allocated * 2);
      loop->timers = g_renew (TimerEntry, loop->timers, loop->timers_allocated);
    }
  handle->in_heap = TRUE;
  entry = &loop->timers[loop->n_timers++];
  entry->when = when;
  entry->sequence = loop->timer_sequence++;
  entry->handle = handle;
  heap_sift_up_to (loop, loop->n_timers - 1, 0);
}

/* Takes the earliest timer out of the heap without touching its handle (see
 * timer_run()); the handle's in_heap stays set until then. */
static BridgeHandle *
heap_pop (BridgeLoop *loop)
{
  BridgeHandle *top = loop->timers[0].handle;

  loop->n_timers--;
  if (loop->n_timers > 0)
    {
      loop->timers[0] = loop->timers[loop->n_timers];
      heap_sift_down (loop, 0);
    }
  return top;
}

static inline gboolean
handle_is_cancelled (BridgeHandle *handle)
{
  return g_atomic_int_get (&handle->state) == BRIDGE_HANDLE_CANCELLED;
}

/* A handle leaves the heap for good: a cancelled one was counted while it
 * was in there (see timers_prune()). */
static void
timer_left_heap (BridgeLoop   *loop,
                 BridgeHandle *handle)
{
  handle->in_heap = FALSE;
  if (handle_is_cancelled (handle) && loop->n_cancelled_timers > 0)
    loop->n_cancelled_timers--;
}

/* The ready-queue step of a timer that fell due. Its handle is first read
 * here, not when it is taken from the heap: with many timers each handle,
 * last touched when it was scheduled, is a cache miss, and taking them all
 * from the heap first lets those misses overlap instead of stalling every
 * pop. */
static void
timer_run (gpointer a,
           gpointer b)
{
  BridgeHandle *handle = a;

  timer_left_heap (b, handle);
  _bridge_handle_run (handle, NULL);
}

/* Drops cancelled timers from the top, and rebuilds the heap when they make
 * up more than half of it, so cancelled timeouts cannot pile up. */
static void
timers_prune (BridgeLoop *loop)
{
  if (loop->n_cancelled_timers > 64 && loop->n_cancelled_timers > loop->n_timers / 2)
    {
      guint kept = 0;

      for (guint i = 0; i < loop->n_timers; i++)
        {
          BridgeHandle *handle = loop->timers[i].handle;

          if (handle_is_cancelled (handle))
            {
              handle->in_heap = FALSE;
              bridge_handle_unref (handle);
            }
          else
            loop->timers[kept++] = loop->timers[i];
        }
      loop->n_timers = kept;
      loop->n_cancelled_timers = 0;
      for (guint i = kept / 2 + 1; i > 0; i--)
        if (i - 1 < kept)
          heap_sift_down (loop, i - 1);
    }

  /* Only when some are cancelled: reading the top's handle is a cache miss. */
  while (loop->n_cancelled_timers > 0 && loop->n_timers > 0 &&
         handle_is_cancelled (loop->timers[0].handle))
    {
      BridgeHandle *handle = heap_pop (loop);

      timer_left_heap (loop, handle);
      bridge_handle_unref (handle);
    }
}

/* Below this many timers, popping them one by one is cheap enough. */
#define TIMERS_MANY 4096
#define RADIX_BITS 11

static guint
bits_for (guint64 value)
{
  return value == 0 ? 0 : 64 - __builtin_clzll (value);
}

/* Whether a large share of the heap is due: then timers_collect_many() does
 * better than a pop each. Entries sampled evenly over the whole array stand
 * for the heap as a whole, whatever its shape; a sample of the leaves alone
 * does not, since leaves hold the later timers: with two thirds of a heap
 * built from timers in random order due, fewer than a quarter of its leaves
 * were, and the loop popped tens of thousands one by one. A pop costs a walk
 * down the heap, about as much as a pass over a tenth of it, so an eighth
 * of the sample being due is enough. */
#define TIMERS_SAMPLE     32
#define TIMERS_SAMPLE_DUE 4

static gboolean
timers_many_due (BridgeLoop *loop,
                 gint64      now)
{
  guint n = loop->n_timers;
  guint stride = n / TIMERS_SAMPLE;
  guint due = 0;

  if (n < TIMERS_MANY || loop->timers[0].when > now)
    return FALSE;
  for (guint i = 0; i < TIMERS_SAMPLE; i++)
    due += loop->timers[i * stride + stride / 2].when <= now;
  return due >= TIMERS_SAMPLE_DUE;
}

/* One pass of a least-significant-digit radix sort from @from into @to, by
 * the digit of the sequence (or, with @by_when, of the due time) at @shift.
 * Equal digits keep their order. */
static void
radix_pass (const SortedTimer *from,
            SortedTimer       *to,
            guint              n,
            gboolean           by_when,
            guint              shift)
{
  guint counts[1 << RADIX_BITS] = { 0 };
  guint position = 0;

#define DIGIT(t) ((guint) (((by_when ? (t).when : (t).sequence) >> shift) & ((1 << RADIX_BITS) - 1)))
  for (guint i = 0; i < n; i++)
    counts[DIGIT (from[i])]++;
  for (guint d = 0; d < (1 << RADIX_BITS); d++)
    {
      guint count = counts[d];

      counts[d] = position;
      position += count;
    }
  for (guint i = 0; i < n; i++)
    to[counts[DIGIT (from[i])]++] = from[i];
#undef DIGIT
}

static void
radix_pass_keyed (const KeyedTimer *from,
                  KeyedTimer       *to,
                  guint             n,
                  guint             shift)
{
  guint counts[1 << RADIX_BITS] = { 0 };
  guint position = 0;

#define DIGIT(t) ((guint) (((t).key >> shift) & ((1 << RADIX_BITS) - 1)))
  for (guint i = 0; i < n; i++)
    counts[DIGIT (from[i])]++;
  for (guint d = 0; d < (1 << RADIX_BITS); d++)
    {
      guint count = counts[d];

      counts[d] = position;
      position += count;
    }
  for (guint i = 0; i < n; i++)
    to[counts[DIGIT (from[i])]++] = from[i];
#undef DIGIT
}

/* Sorts the @n due timers at @timers by one key made of both (see
 * KeyedTimer) and queues them; @scratch holds 2 × @n of them. A heap of
 * timers set within a few seconds of each other needs about 30 bits: three
 * passes, where sorting by the two keys one after the other took four. */
static void
timers_queue_keyed (BridgeLoop       *loop,
                    const TimerEntry *timers,
                    guint             n,
                    gint64            min_when,
                    guint64           min_sequence,
                    guint             key_bits,
                    guint             sequence_bits,
                    KeyedTimer       *scratch)
{
  KeyedTimer *from = scratch;
  KeyedTimer *to = scratch + n;

  for (guint i = 0; i < n; i++)
    {
      guint64 when = (guint64) (timers[i].when - min_when);
      guint64 sequence = timers[i].sequence - min_sequence;

      from[i].key = sequence_bits < 64 ? (when << sequence_bits) | sequence : sequence;
      from[i].handle = timers[i].handle;
    }

  for (guint shift = 0; shift < key_bits; shift += RADIX_BITS)
    {
      KeyedTimer *swap = from;

      radix_pass_keyed (from, to, n, shift);
      from = to;
      to = swap;
    }

  for (guint i = 0; i < n; i++)
    ring_push (loop, timer_run, from[i].handle, loop);
}

/* Moves every due timer to the ready queue in (when, sequence) order at once:
 * the due ones are split from the rest in one pass over the heap, sorted by
 * a radix sort (by one key made of both, see timers_queue_keyed(), or where
 * they do not fit in one, by sequence, then stably by due time), and the
 * rest made a heap again. Popping them one by one costs a walk from the top of the heap
 * to a leaf each, every level of it a cache miss once the heap is large;
 * this reads the heap in order. */
static void
timers_collect_many (BridgeLoop *loop,
                     gint64      now)
{
  TimerEntry *timers = loop->timers;
  guint n = loop->n_timers;
  guint kept = 0;
  guint n_due;
  gint64 min_when = G_MAXINT64, max_when = G_MININT64;
  guint64 min_sequence = G_MAXUINT64, max_sequence = 0;
  guint when_bits, sequence_bits;
  SortedTimer *from, *to;

  /* The due ones to the end, the others to the front. */
  for (guint i = 0; i < n; i++)
    if (timers[i].when > now)
      {
        TimerEntry entry = timers[kept];

        timers[kept++] = timers[i];
        timers[i] = entry;
      }
  n_due = n - kept;
  for (guint i = kept; i < n; i++)
    {
      min_when = MIN (min_when, timers[i].when);
      max_when = MAX (max_when, timers[i].when);
      min_sequence = MIN (min_sequence, timers[i].sequence);
      max_sequence = MAX (max_sequence, timers[i].sequence);
    }
  when_bits = bits_for ((guint64) (max_when - min_when));
  sequence_bits = bits_for (max_sequence - min_sequence);

  if (loop->timers_scratch_allocated < 2 * n_due)
    {
      g_free (loop->timers_scratch);
      loop->timers_scratch_allocated = 2 * n_due;
      loop->timers_scratch = g_new (SortedTimer, loop->timers_scratch_allocated);
    }

  if (when_bits + sequence_bits <= 64)
    {
      timers_queue_keyed (loop, &timers[kept], n_due, min_when, min_sequence,
                          when_bits + sequence_bits, sequence_bits, loop->timers_scratch);
      goto rebuild;
    }

  from = loop->timers_scratch;
  to = (SortedTimer *) loop->timers_scratch + n_due;
  for (guint i = 0; i < n_due; i++)
    {
      const TimerEntry *entry = &timers[kept + i];

      from[i].when = (guint64) (entry->when - min_when);
      from[i].sequence = entry->sequence - min_sequence;
      from[i].handle = entry->handle;
    }

  for (guint shift = 0; shift < sequence_bits; shift += RADIX_BITS)
    {
      SortedTimer *swap = from;

      radix_pass (from, to, n_due, FALSE, shift);
      from = to;
      to = swap;
    }
  for (guint shift = 0; shift < when_bits; shift += RADIX_BITS)
    {
      SortedTimer *swap = from;

      radix_pass (from, to, n_due, TRUE, shift);
      from = to;
      to = swap;
    }

  for (guint i = 0; i < n_due; i++)
    ring_push (loop, timer_run, from[i].handle, loop);

rebuild:
  loop->n_timers = kept;
  for (guint i = kept / 2 + 1; i > 0; i--)
    if (i - 1 < kept)
      heap_sift_down (loop, i - 1);
}

static void
timers_collect (BridgeLoop *loop,
                gint64      now)
{
  /* Once per iteration of the dispatch: with no timer at all (a ping-pong
   * between tasks), not even a call. An empty heap has nothing cancelled
   * in it to prune. */
  if (loop->n_timers == 0)
    return;

  timers_prune (loop);

  if (timers_many_due (loop, now))
    {
      timers_collect_many (loop, now);
      return;
    }

  while (loop->n_timers > 0 && loop->timers[0].when <= now)
    ring_push (loop, timer_run, heap_pop (loop), loop);
}

/* ---- the GSource ---------------------------------------------------------- */

static gboolean
has_ready_work (BridgeLoop *loop)
{
  return loop->ring_count > 0 || !inbox_is_empty (loop);
}

/* How long the loop, with nothing else to do, watches its inbox for the
 * result of a brief job on a worker thread before it sleeps in poll(): a
 * task that awaits such jobs one after another otherwise pays a wakeup of
 * the loop's thread for each (an eventfd write; on a virtual machine, an
 * interrupt between CPUs), most of the time of such a round trip. The watch
 * yields the CPU at every look, so that on a busy machine the worker gets it. */
#define LOOP_SPIN_USEC 50

static gboolean
loop_spin_for_thread_job (BridgeLoop *loop)
{
  gint64 deadline;

  if (g_atomic_int_get (&loop->n_thread_jobs) == 0 || !loop->thread_jobs_quick)
    return FALSE;

  deadline = g_get_monotonic_time () + LOOP_SPIN_USEC;
  do
    {
      sched_yield ();
      if (!inbox_is_empty (loop))
        return TRUE;
    }
  while (g_get_monotonic_time () < deadline);
  return FALSE;
}

/* A job on a worker thread whose results this loop receives: see
 * loop_spin_for_thread_job(). Any thread. */
void
_bridge_loop_thread_job_begin (BridgeLoop *loop)
{
  g_atomic_int_inc (&loop->n_thread_jobs);
}

/* The job's last message reached the loop (on the loop's thread); its
 * function ran for @run_usec. */
void
_bridge_loop_thread_job_end (BridgeLoop *loop,
                             gint64      run_usec)
{
  loop->thread_jobs_quick = run_usec < LOOP_SPIN_USEC / 2;
  g_atomic_int_add (&loop->n_thread_jobs, -1);
}

static gboolean
loop_source_prepare (GSource *source,
                     gint    *timeout)
{
  BridgeLoop *loop = ((LoopSource *) source)->loop;

  if (has_ready_work (loop))
    {
      *timeout = 0;
      return TRUE;
    }

  if (loop_spin_for_thread_job (loop))
    {
      *timeout = 0;
      return TRUE;
    }

  /* About to sleep: a good moment to return surplus stack pages, and the
   * memory of a burst of futures and tasks that is over. */
  _bridge_stack_pool_trim (loop->stack_pool);
  if (loop->block_pool != NULL)
    _bridge_block_pool_trim (loop->block_pool);
  if (loop->timers_scratch != NULL && loop->n_timers < TIMERS_MANY)
    {
      g_clear_pointer (&loop->timers_scratch, g_free);
      loop->timers_scratch_allocated = 0;
    }
  timers_prune (loop);
  if (loop->n_timers > 0)
    {
      gint64 delta = loop->timers[0].when - g_get_monotonic_time ();

      if (delta <= 0)
        {
          *timeout = 0;
          return TRUE;
        }
      /* Round up: waking a little late is fine, waking early spins. */
      *timeout = (gint) MIN ((delta + 999) / 1000, G_MAXINT);
      return FALSE;
    }

  *timeout = -1;
  return FALSE;
}

static gboolean
loop_source_check (GSource *source)
{
  BridgeLoop *loop = ((LoopSource *) source)->loop;

  if (has_ready_work (loop))
    return TRUE;

  return loop->n_timers > 0 && loop->timers[0].when <= g_get_monotonic_time ();
}

static char *
describe_item (BridgeReadyItem *item)
{
  Dl_info info;
  gpointer func = item->func == _bridge_handle_run || item->func == timer_run ?
                  (gpointer) ((BridgeHandle *) item->a)->callback : (gpointer) item->func;

  if (dladdr (func, &info) != 0 && info.dli_sname != NULL)
    return g_strdup_printf ("<Handle %s()>", info.dli_sname);
  return g_strdup_printf ("<Handle %p>", func);
}

static void
run_item_debug (BridgeLoop      *loop,
                BridgeReadyItem *item)
{
  g_autofree char *description = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 duration;

  if (item->func == _bridge_handle_run || item->func == timer_run)
    description = describe_item (item);

  loop->slow_reported = FALSE;
  item->func (item->a, item->b);

  duration = g_get_monotonic_time () - start;
  if (!loop->slow_reported && duration >= loop->slow_callback_duration * G_USEC_PER_SEC)
    {
      if (description == NULL)
        description = describe_item (item);
      _bridge_loop_note_slow_step (loop, description, duration);
    }
}

void
_bridge_loop_note_slow_step (BridgeLoop *loop,
                             const char *what,
                             gint64      duration_usec)
{
  loop->slow_reported = TRUE;
  /* asyncio's wording, so people find what they already know. */
  g_warning ("Executing %s took %.3f seconds", what, duration_usec / (double) G_USEC_PER_SEC);
}

static void
loop_resume_priority (BridgeLoop *loop)
{
  loop->standing_aside = FALSE;
  g_source_set_priority ((GSource *) loop->source, loop->priority);
}

/* Sources that stay ready above our lowered priority (an idle that always
 * has more to do) would hold the tasks back for good. The resume source has
 * the highest priority, so it is prepared in every iteration of the context
 * (which also tells nested iterations apart, see
 * _bridge_loop_nested_iteration):
 * after ITERATIONS_ASIDE iterations in which others ran, it becomes ready
 * and gives the loop its priority back. Counting iterations, not time,
 * gives each of those sources its turns however short they are. */
#define ITERATIONS_ASIDE 4

static gboolean
resume_source_prepare (GSource *source,
                       gint    *timeout)
{
  BridgeLoop *loop = ((LoopSource *) source)->loop;

  /* The context is iterated while our own dispatch runs: a main loop nested
   * inside a task step (or a callback). */
  if (G_UNLIKELY (dispatching_loop == loop))
    _bridge_loop_nested_iteration = TRUE;

  *timeout = -1;
  if (G_LIKELY (!loop->standing_aside))
    return FALSE;
  return ++loop->iterations_aside > ITERATIONS_ASIDE;
}

static gboolean
resume_source_dispatch (GSource     *source,
                        GSourceFunc  callback,
                        gpointer     user_data)
{
  BridgeLoop *loop = ((LoopSource *) source)->loop;

  if (loop->standing_aside)
    loop_resume_priority (loop);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs resume_source_funcs = {
  .prepare = resume_source_prepare,
  .dispatch = resume_source_dispatch,
};

/* Reads the clock after clock_stride items and adapts the stride (see
 * CLOCK_STRIDE_MAX). Returns the new time. */
static inline gint64
loop_read_clock (BridgeLoop *loop,
                 gint64      previous)
{
  gint64 now = g_get_monotonic_time ();
  gint64 elapsed = now - previous;

  if (elapsed > 2 * CLOCK_INTERVAL_USEC)
    loop->clock_stride = 1;
  else if (elapsed < CLOCK_INTERVAL_USEC / 2 && loop->clock_stride < CLOCK_STRIDE_MAX)
    loop->clock_stride *= 2;
  loop->dispatch_clock = now;
  return now;
}

static gboolean
loop_source_dispatch (GSource     *source,
                      GSourceFunc  callback,
                      gpointer     user_data)
{
  BridgeLoop *loop = ((LoopSource *) source)->loop;
  BridgeLoop *previous = dispatching_loop;
  int previous_depth = _bridge_loop_dispatch_depth;
  gboolean previous_nested = _bridge_loop_nested_iteration;
  gint previous_credits = hold_credits;
  gint64 start, now;
  guint since_clock = 0;
  guint iterations = 0;
  guint items = 0;

  /* Being dispatched at the lowered priority means that nothing down to
   * redraw priority was ready: back to the normal priority. */
  if (G_UNLIKELY (loop->standing_aside))
    loop_resume_priority (loop);

  g_object_ref (loop);
  dispatching_loop = loop;
  hold_credits = 0;
  /* Other threads read this on every call: write it only when it changes. */
  if (G_UNLIKELY (loop->owner != &thread_token))
    loop->owner = &thread_token;
  _bridge_loop_dispatch_depth = g_main_depth ();
  _bridge_loop_nested_iteration = FALSE;
  start = now = loop->dispatch_clock = g_get_monotonic_time ();

  while (!loop->closed)
    {
      guint n;

      if (G_UNLIKELY (loop->iteration_left > 0))
        {
          /* The last dispatch ran out of budget in the middle of an
           * iteration: finish that one first, so that what it scheduled
           * still waits for the next (and a stop still takes effect). */
          n = MIN (loop->iteration_left, loop->ring_count);
          loop->iteration_left = 0;
        }
      else
        {
          if (!inbox_is_empty (loop))
            inbox_drain (loop);
          timers_collect (loop, now);

          /* One iteration: what is ready now. What it schedules runs in the next. */
          n = loop->ring_count;
          if (n == 0)
            break;
        }

      while (n > 0 && !loop->closed)
        {
          BridgeReadyItem item;

          /* The object of an item a few places on (a task, a timer's
           * handle), while this one runs: in a burst each was last touched
           * long ago, and its cache miss was a large part of its step. */
          if (loop->ring_count > READY_PREFETCH_AHEAD)
            __builtin_prefetch (loop->ring[(loop->ring_head + READY_PREFETCH_AHEAD) &
                                           loop->ring_mask].a, 1);
          item = ring_pop (loop);
          n--;
          items++;
          if (G_UNLIKELY (loop->debug))
            run_item_debug (loop, &item);
          else
            item.func (item.a, item.b);

          if (G_UNLIKELY (++since_clock >= loop->clock_stride))
            {
              since_clock = 0;
              now = loop_read_clock (loop, now);
              /* A stop ends the dispatch after this iteration, as asyncio's
               * does: finish it whatever the budget says. And make some
               * progress in every dispatch (a second iteration, or a batch
               * of items), even when a preempted thread finds its budget
               * spent at once. */
              if (now - start >= DISPATCH_BUDGET_USEC && !loop->stopping &&
                  (iterations > 0 || items >= MIN_ITEMS_PER_DISPATCH))
                {
                  loop->iteration_left = n;
                  goto out_of_budget;
                }
            }
        }

      iterations++;
      if (loop->stopping)
        break;
    }

  goto out;

out_of_budget:
  /* Work is left: let every source down to default idles run before this
   * one runs again (see the class description). */
  if (has_ready_work (loop) && !loop->closed)
    {
      loop->standing_aside = TRUE;
      g_source_set_priority (source, MAX (PRIORITY_STANDING_ASIDE, loop->priority));
      loop->iterations_aside = 0;
    }

out:
  /* Give back the holds taken in advance; our own reference keeps the loop
   * alive even if that was the last of them. */
  if (hold_credits > 0)
    loop_drop_holds (loop, hold_credits);
  hold_credits = previous_credits;
  dispatching_loop = previous;
  _bridge_loop_dispatch_depth = previous_depth;
  _bridge_loop_nested_iteration = previous_nested;
  g_object_unref (loop);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs loop_source_funcs = {
  .prepare = loop_source_prepare,
  .check = loop_source_check,
  .dispatch = loop_source_dispatch,
};

/* ---- the object ------------------------------------------------------------ */

static void
drop_queued_work (BridgeLoop *loop)
{
  /* Every queued entry runs once more with the loop closed: each kind of
   * entry then releases what it holds instead of doing its work. */
  for (guint round = 0; round < 16 && (loop->ring_count > 0 || !inbox_is_empty (loop)); round++)
    {
      guint n;

      inbox_drain (loop);
      n = loop->ring_count;
      while (n-- > 0)
        {
          BridgeReadyItem item = ring_pop (loop);
          item.func (item.a, item.b);
        }
    }

  while (loop->n_timers > 0)
    {
      BridgeHandle *handle = heap_pop (loop);

      timer_left_heap (loop, handle);
      _bridge_handle_drop (handle);
    }
}

static void
bridge_loop_finalize (GObject *object)
{
  BridgeLoop *loop = (BridgeLoop *) object;

  if (!loop->closed)
    {
      GError *error = NULL;
      if (!bridge_loop_close (loop, &error))
        g_clear_error (&error);
    }

  if (loop->exception_handler_destroy != NULL)
    loop->exception_handler_destroy (loop->exception_handler_data);

  g_clear_pointer (&loop->stack_pool, _bridge_stack_pool_free);
  g_clear_pointer (&loop->block_pool, _bridge_block_pool_free);
  if (loop->ring_mapped)
    munmap (loop->ring, (loop->ring_mask + 1) * sizeof (BridgeReadyItem));
  else
    g_free (loop->ring);
  g_free (loop->timers);
  g_free (loop->timers_scratch);
  g_clear_pointer (&loop->context, g_main_context_unref);

  G_OBJECT_CLASS (bridge_loop_parent_class)->finalize (object);
}

static void
bridge_loop_class_init (BridgeLoopClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bridge_loop_finalize;
}

static void
bridge_loop_init (BridgeLoop *loop)
{
  const char *debug = g_getenv ("BRIDGE_DEBUG");

  loop->ring_mask = 255;
  loop->ring = g_new (BridgeReadyItem, loop->ring_mask + 1);
  loop->owner = &thread_token;
  loop->slow_callback_duration = DEFAULT_SLOW_CALLBACK;
  loop->clock_stride = 1;
  loop->io_priority = BRIDGE_PRIORITY_BULK_IO;
  loop->priority = G_PRIORITY_DEFAULT;
  loop->debug = debug != NULL && debug[0] != '\0' && !g_str_equal (debug, "0");
  loop->stack_pool = _bridge_stack_pool_new ();
}

static BridgeLoop *
loop_create_locked (GMainContext *context)
{
  BridgeLoop *loop = g_object_new (BRIDGE_TYPE_LOOP, NULL);

  loop->context = g_main_context_ref (context);
  loop->source = (LoopSource *) g_source_new (&loop_source_funcs, sizeof (LoopSource));
  loop->source->loop = loop;
  g_source_set_static_name ((GSource *) loop->source, "[libbridge] loop");
  g_source_set_priority ((GSource *) loop->source, G_PRIORITY_DEFAULT);
  g_source_attach ((GSource *) loop->source, context);

  loop->resume_source = (LoopSource *) g_source_new (&resume_source_funcs, sizeof (LoopSource));
  loop->resume_source->loop = loop;
  g_source_set_static_name ((GSource *) loop->resume_source, "[libbridge] loop resume");
  g_source_set_priority ((GSource *) loop->resume_source, G_MININT);
  g_source_attach ((GSource *) loop->resume_source, context);

  if (registry == NULL)
    registry = g_hash_table_new (NULL, NULL);
  g_hash_table_insert (registry, context, loop);   /* the registry's reference */
  return loop;
}

static BridgeLoop *
loop_for_context (GMainContext *context)
{
  BridgeLoop *loop;

  g_mutex_lock (&registry_lock);
  loop = registry != NULL ? g_hash_table_lookup (registry, context) : NULL;
  if (loop == NULL)
    loop = loop_create_locked (context);
  g_mutex_unlock (&registry_lock);

  return loop;
}

/**
 * bridge_loop_get_default:
 *
 * Returns the loop of the thread-default `GMainContext` (the global default
 * context when none was pushed), creating it on first use. Inside a task it
 * is the task's loop. Mirrors `asyncio.get_running_loop()` and
 * `get_event_loop()`.
 *
 * Returns: (transfer none): the loop
 *
 * Since: 0.1
 */
BridgeLoop *
bridge_loop_get_default (void)
{
  GMainContext *context;

  if (dispatching_loop != NULL)
    return dispatching_loop;

  context = g_main_context_get_thread_default ();
  if (context == NULL)
    context = g_main_context_default ();

  if (G_LIKELY (context == default_cache_context && default_cache_loop != NULL &&
                !default_cache_loop->closed))
    return default_cache_loop;

  default_cache_loop = loop_for_context (context);
  default_cache_context = context;
  return default_cache_loop;
}

/**
 * bridge_loop_new:
 * @context: (nullable): a `GMainContext`, or %NULL for a new one
 *
 * Returns the loop of @context, creating it if the context has none yet.
 * With %NULL, creates a new `GMainContext` and a loop on it, like
 * `asyncio.new_event_loop()`. Push the context as thread default while
 * running it (as [method@Bridge.Loop.run_until_complete] does) so that GIO
 * calls made by its tasks call back on it.
 *
 * Returns: (transfer full): the loop
 *
 * Since: 0.1
 */
BridgeLoop *
bridge_loop_new (GMainContext *context)
{
  g_autoptr(GMainContext) new_context = NULL;
  BridgeLoop *loop;

  if (context == NULL)
    context = new_context = g_main_context_new ();

  loop = loop_for_context (context);
  return g_object_ref (loop);
}

/**
 * bridge_loop_get_context:
 * @loop: a [class@Bridge.Loop]
 *
 * Gives the `GMainContext` whose `GSource` runs @loop.
 *
 * Returns: (transfer none): the `GMainContext` that runs @loop
 *
 * Since: 0.1
 */
GMainContext *
bridge_loop_get_context (BridgeLoop *loop)
{
  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), NULL);

  return loop->context;
}

BridgeLoop *
_bridge_loop_get_current (void)
{
  return dispatching_loop;
}

gboolean
_bridge_loop_is_closing (BridgeLoop *loop)
{
  return loop->closed;
}

/* Called by bridge_handle_cancel() for a timer still in the heap. Timers
 * belong to the loop's thread, so no locking. Without this count the bulk
 * drop in timers_prune() never happened: cancelled long timeouts stayed in
 * the heap until they fell due. */
void
_bridge_loop_timer_cancelled (BridgeLoop *loop)
{
  loop->n_cancelled_timers++;
}

gboolean
_bridge_loop_is_owner_thread (BridgeLoop *loop)
{
  return loop->owner == &thread_token;
}

/* Futures keep their loop alive. One GObject reference stands for all of
 * them, taken when the first appears and dropped when the last goes: a full
 * g_object_ref()/unref() pair per future, with its type checks, was a
 * visible part of the cost of spawning a task.
 *
 * While the loop dispatches, its thread takes holds from the shared counter
 * HOLD_BATCH at a time and hands them out without atomic operations: an
 * atomic increment and decrement per future cost more again, in spawns and
 * ping-pongs alike. The counter then counts those credits too, so it
 * can only reach zero once the dispatch has given back what it did not hand
 * out. A future freed on another thread gives its hold back atomically. */
#define HOLD_BATCH 256

static void
loop_add_holds (BridgeLoop *loop,
                gint        n)
{
  if (g_atomic_int_add (&loop->n_holds, n) == 0)
    g_object_ref (loop);
}

static void
loop_drop_holds (BridgeLoop *loop,
                 gint        n)
{
  if (g_atomic_int_add (&loop->n_holds, -n) == n)
    g_object_unref (loop);
}

void
_bridge_loop_hold (BridgeLoop *loop)
{
  if (G_LIKELY (loop == dispatching_loop))
    {
      if (G_UNLIKELY (hold_credits == 0))
        {
          loop_add_holds (loop, HOLD_BATCH);
          hold_credits = HOLD_BATCH;
        }
      hold_credits--;
      return;
    }

  loop_add_holds (loop, 1);
}

void
_bridge_loop_release (BridgeLoop *loop)
{
  if (G_LIKELY (loop == dispatching_loop))
    {
      if (G_UNLIKELY (++hold_credits > 2 * HOLD_BATCH))
        {
          loop_drop_holds (loop, HOLD_BATCH);
          hold_credits -= HOLD_BATCH;
        }
      return;
    }

  loop_drop_holds (loop, 1);
}

/* Blocks for the loop's futures, tasks and handles (see the BRIDGE_BLOCK_
 * size classes), from memory
 * faulted in ahead of need (see bridge-block-pool.c). Only while the loop
 * dispatches on this thread, where most are made; NULL otherwise, or when
 * pools cannot work here: the caller allocates as usual then. */
gpointer
_bridge_loop_alloc_block (BridgeLoop *loop,
                          guint       size_class)
{
  if (loop != dispatching_loop)
    return NULL;

  if (G_UNLIKELY (loop->block_pool == NULL))
    {
      const gsize sizes[BRIDGE_BLOCK_POOL_N_CLASSES] = {
        [BRIDGE_BLOCK_FUTURE] = sizeof (BridgeFuture),
        [BRIDGE_BLOCK_TASK] = sizeof (BridgeTask),
        [BRIDGE_BLOCK_HANDLE] = sizeof (BridgeHandle),
      };

      if (loop->block_pool_tried)
        return NULL;
      loop->block_pool_tried = TRUE;
      /* Read by other threads in _bridge_loop_release_block(). */
      g_atomic_pointer_set (&loop->block_pool, _bridge_block_pool_new (sizes));
      if (loop->block_pool == NULL)
        return NULL;
    }

  return _bridge_block_pool_alloc (loop->block_pool, size_class);
}

/* Gives back @block if it came from _bridge_loop_alloc_block(), from any
 * thread. The pool was made before any of its blocks was handed out, so a
 * thread that got such a block sees it. */
gboolean
_bridge_loop_release_block (BridgeLoop *loop,
                            gpointer    block)
{
  BridgeBlockPool *pool = g_atomic_pointer_get (&loop->block_pool);

  if (!_bridge_block_pool_owns (pool, block))
    return FALSE;

  _bridge_block_pool_release (pool, block, loop == dispatching_loop);
  return TRUE;
}

BridgeStackPool *
_bridge_loop_get_stack_pool (BridgeLoop *loop)
{
  return loop->stack_pool;
}

guint64
_bridge_loop_next_task_number (BridgeLoop *loop)
{
  static gsize counter;
  static BRIDGE_THREAD_LOCAL guint64 next, end;

  /* asyncio numbers tasks per process: Task-1, Task-2, … Threads take
   * numbers in blocks so that spawning does not contend on one counter. */
  if (G_UNLIKELY (next == end))
    {
      next = (guint64) g_atomic_pointer_add (&counter, 256) + 1;
      end = next + 256;
    }
  return next++;
}

/* Takes over a reference to @task that the caller made for the loop. */
void
_bridge_loop_add_task (BridgeLoop *loop,
                       BridgeTask *task)
{
  task->prev = NULL;
  task->next = loop->tasks;
  if (loop->tasks != NULL)
    loop->tasks->prev = task;
  loop->tasks = task;
  task->in_loop_list = TRUE;
  loop->n_tasks++;
}

void
_bridge_loop_remove_task (BridgeLoop *loop,
                          BridgeTask *task)
{
  if (!task->in_loop_list)
    return;

  if (task->prev != NULL)
    task->prev->next = task->next;
  else
    loop->tasks = task->next;
  if (task->next != NULL)
    task->next->prev = task->prev;
  task->prev = task->next = NULL;
  task->in_loop_list = FALSE;
  loop->n_tasks--;
  bridge_task_unref (task);
}

/**
 * bridge_loop_list_tasks:
 * @loop: a [class@Bridge.Loop]
 *
 * Lists the tasks of @loop that have not finished (`asyncio.all_tasks()`).
 * The loop holds a strong reference to each of them until it finishes, so a
 * task nobody else references keeps running (unlike asyncio, whose weak
 * references can lose such a task).
 *
 * Returns: (transfer full) (element-type BridgeTask): the live tasks, oldest
 *   last
 *
 * Since: 0.1
 */
GPtrArray *
bridge_loop_list_tasks (BridgeLoop *loop)
{
  GPtrArray *tasks;

  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), NULL);

  tasks = g_ptr_array_new_full (loop->n_tasks, (GDestroyNotify) bridge_task_unref);
  for (BridgeTask *task = loop->tasks; task != NULL; task = task->next)
    g_ptr_array_add (tasks, bridge_task_ref (task));
  return tasks;
}

/* ---- running ---------------------------------------------------------------- */

static gboolean
check_can_run (BridgeLoop  *loop,
               GError     **error)
{
  if (loop->closed)
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE, "Event loop is closed");
      return FALSE;
    }
  if (loop->running)
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                           "This event loop is already running");
      return FALSE;
    }
  if (bridge_task_get_current () != NULL || dispatching_loop != NULL)
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                           "Cannot run the event loop while another loop is running");
      return FALSE;
    }
  return TRUE;
}

static void
run_until_complete_done_cb (BridgeFuture *future,
                            gpointer      user_data)
{
  BridgeLoop *loop = user_data;

  /* Only for the run that registered it: a callback left over from a run
   * that was stopped early must not stop a later one. */
  if (loop->run_future == future)
    loop->stopping = TRUE;
}

/**
 * bridge_loop_run_until_complete:
 * @loop: a [class@Bridge.Loop]
 * @future: the future (or task) to wait for; it must belong to @loop
 * @error: return location for the future's error, or
 *   %BRIDGE_ERROR_INVALID_STATE when the loop is closed, already running,
 *   was stopped before @future completed, or @future belongs to another loop
 *
 * Iterates @loop's context until @future is done (`run_until_complete()`),
 * with the context pushed as thread default. Read the result with the
 * `bridge_future_get_*()` functions.
 *
 * As in asyncio, the loop stops through a done callback of @future: the
 * iteration that runs it is finished, and callbacks it schedules are left
 * for the next run. A @future that is already done still gets one
 * iteration, so callbacks queued before the call run.
 *
 * Returns: %TRUE if @future completed with a value
 *
 * Since: 0.1
 */
gboolean
bridge_loop_run_until_complete (BridgeLoop    *loop,
                                BridgeFuture  *future,
                                GError       **error)
{
  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), FALSE);
  g_return_val_if_fail (future != NULL, FALSE);

  if (!check_can_run (loop, error))
    return FALSE;

  if (G_UNLIKELY (bridge_future_get_loop (future) != loop))
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                           "The future belongs to a different loop than the one specified "
                           "as the loop argument");
      return FALSE;
    }

  bridge_future_ref (future);
  loop->running = TRUE;
  loop->stopping = FALSE;
  loop->owner = &thread_token;
  loop->run_future = future;
  bridge_future_add_done_callback (future, run_until_complete_done_cb, loop, NULL);
  g_main_context_push_thread_default (loop->context);

  /* The done callback always goes through the ready queue, which wakes the
   * context, so this cannot sleep past it. */
  while (!loop->stopping)
    g_main_context_iteration (loop->context, TRUE);

  g_main_context_pop_thread_default (loop->context);
  loop->run_future = NULL;
  loop->running = FALSE;
  loop->stopping = FALSE;
  bridge_future_remove_done_callback (future, run_until_complete_done_cb, loop);

  if (!bridge_future_is_done (future))
    {
      bridge_future_unref (future);
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                           "Event loop stopped before Future completed.");
      return FALSE;
    }

  {
    gboolean ret = _bridge_future_propagate (future, error);
    bridge_future_unref (future);
    return ret;
  }
}

/**
 * bridge_loop_run_forever:
 * @loop: a [class@Bridge.Loop]
 * @error: return location for %BRIDGE_ERROR_INVALID_STATE
 *
 * Iterates @loop's context until [method@Bridge.Loop.stop] is called
 * (`run_forever()`).
 *
 * Returns: %FALSE if the loop could not run
 *
 * Since: 0.1
 */
gboolean
bridge_loop_run_forever (BridgeLoop  *loop,
                         GError     **error)
{
  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), FALSE);

  if (!check_can_run (loop, error))
    return FALSE;

  loop->running = TRUE;
  loop->stopping = FALSE;
  loop->owner = &thread_token;
  g_main_context_push_thread_default (loop->context);

  while (!loop->stopping)
    g_main_context_iteration (loop->context, TRUE);

  g_main_context_pop_thread_default (loop->context);
  loop->running = FALSE;
  loop->stopping = FALSE;
  return TRUE;
}

/**
 * bridge_loop_stop:
 * @loop: a [class@Bridge.Loop]
 *
 * Makes [method@Bridge.Loop.run_forever] or
 * [method@Bridge.Loop.run_until_complete] return after the current
 * iteration (`stop()`). May be called from any thread.
 *
 * Since: 0.1
 */
void
bridge_loop_stop (BridgeLoop *loop)
{
  g_return_if_fail (BRIDGE_IS_LOOP (loop));

  loop->stopping = TRUE;
  g_main_context_wakeup (loop->context);
}

/**
 * bridge_loop_close:
 * @loop: a [class@Bridge.Loop]
 * @error: return location for %BRIDGE_ERROR_INVALID_STATE
 *
 * Closes @loop (`close()`): removes its source from the context, drops
 * queued callbacks and timers without running them, and reports each task
 * that is still pending ("Task was destroyed but it is pending!"). A closed
 * loop refuses to run or to schedule. Closing twice is harmless; closing a
 * running loop is an error.
 *
 * Returns: %TRUE if the loop is closed
 *
 * Since: 0.1
 */
gboolean
bridge_loop_close (BridgeLoop  *loop,
                   GError     **error)
{
  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), FALSE);

  if (loop->running || dispatching_loop == loop)
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                           "Cannot close a running event loop");
      return FALSE;
    }
  if (loop->closed)
    return TRUE;

  g_object_ref (loop);
  loop->closed = TRUE;
  loop->iteration_left = 0;

  /* Drop queued work first, while the loop's list still holds every task:
   * entries that start or wake a task borrow it (no reference of their own),
   * so releasing the tasks first left them pointing at freed tasks. */
  drop_queued_work (loop);

  while (loop->tasks != NULL)
    {
      BridgeTask *task = loop->tasks;

      bridge_task_ref (task);
      if (!bridge_future_is_done (BRIDGE_FUTURE (task)))
        bridge_loop_call_exception_handler (loop, "Task was destroyed but it is pending!",
                                            NULL, BRIDGE_FUTURE (task));
      _bridge_task_abandon (task);
      _bridge_loop_remove_task (loop, task);
      bridge_task_unref (task);
    }

  /* Abandoning may have released more (done callbacks, handles). */
  drop_queued_work (loop);

  if (loop->resume_source != NULL)
    {
      g_source_destroy ((GSource *) loop->resume_source);
      g_clear_pointer ((GSource **) &loop->resume_source, g_source_unref);
    }
  if (loop->source != NULL)
    {
      g_source_destroy ((GSource *) loop->source);
      g_clear_pointer ((GSource **) &loop->source, g_source_unref);
    }

  g_mutex_lock (&registry_lock);
  if (registry != NULL && g_hash_table_lookup (registry, loop->context) == loop)
    {
      g_hash_table_remove (registry, loop->context);
      g_mutex_unlock (&registry_lock);
      g_object_unref (loop);   /* the registry's reference */
    }
  else
    g_mutex_unlock (&registry_lock);

  if (default_cache_loop == loop)
    {
      default_cache_loop = NULL;
      default_cache_context = NULL;
    }

  g_object_unref (loop);
  return TRUE;
}

/**
 * bridge_loop_is_running:
 * @loop: a [class@Bridge.Loop]
 *
 * Tells whether @loop is running its own main loop.
 *
 * Returns: whether [method@Bridge.Loop.run_forever] or
 *   [method@Bridge.Loop.run_until_complete] is running @loop (`is_running()`)
 *
 * Since: 0.1
 */
gboolean
bridge_loop_is_running (BridgeLoop *loop)
{
  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), FALSE);

  return loop->running;
}

/**
 * bridge_loop_is_closed:
 * @loop: a [class@Bridge.Loop]
 *
 * Tells whether [method@Bridge.Loop.close] was called on @loop.
 *
 * Returns: whether @loop was closed (`is_closed()`)
 *
 * Since: 0.1
 */
gboolean
bridge_loop_is_closed (BridgeLoop *loop)
{
  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), TRUE);

  return loop->closed;
}

/**
 * bridge_loop_time:
 * @loop: a [class@Bridge.Loop]
 *
 * Reads the clock of @loop, against which timers are due.
 *
 * Returns: the loop's clock in seconds (`time()`): the monotonic clock that
 *   [method@Bridge.Loop.call_at] uses
 *
 * Since: 0.1
 */
double
bridge_loop_time (BridgeLoop *loop)
{
  return g_get_monotonic_time () / (double) G_USEC_PER_SEC;
}

/* ---- the clock of call_later() --------------------------------------------- */

/* call_later() needs the time now, and reading the monotonic clock
 * (clock_gettime() through the vDSO) cost 50 ns on a virtual machine, more
 * than the rest of scheduling a timer: a burst of 100k timers spent 5 ms of
 * its 6 ms reading it. Where the kernel keeps time with the TSC (so that it
 * is steady and the same on every CPU), call_later() reads the TSC instead
 * (about 12 ns there) and adds the time since this thread last read the
 * clock, converted at a rate measured against the clock and rounded up:
 * the result is never earlier than the clock would have said, so a timer
 * may fall due a few microseconds late, never early, and the times given
 * out never go backwards. The clock is read again once its last reading
 * is CLOCK_ESTIMATE_MAX_USEC old, and the rate measured over a longer
 * time each time. */
#define CLOCK_ESTIMATE_MAX_USEC 1000
#define CLOCK_CALIBRATION_USEC  200   /* the shortest time the rate is measured over */
#define CLOCK_RATE_MARGIN       1.001

#if defined (__x86_64__)
# include <x86intrin.h>

typedef struct
{
  guint64 tsc;    /* read just before usec */
  gint64  usec;
} ClockReading;

static BRIDGE_THREAD_LOCAL ClockReading clock_first;
static BRIDGE_THREAD_LOCAL ClockReading clock_last;
static BRIDGE_THREAD_LOCAL double clock_usec_per_tick;   /* an upper bound; 0: not yet */
static BRIDGE_THREAD_LOCAL guint64 clock_max_ticks;
static BRIDGE_THREAD_LOCAL gint64 clock_given;           /* the latest time handed out */

static gboolean
clock_has_tsc (void)
{
  static gsize checked;
  static gboolean has_tsc;

  if (g_once_init_enter (&checked))
    {
      g_autofree char *source = NULL;

      /* Under valgrind the TSC drifts from the clock by a fraction of a
       * percent: read the clock there. */
      has_tsc = g_file_get_contents ("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                                     &source, NULL, NULL) &&
                g_str_equal (g_strstrip (source), "tsc");
# if HAVE_VALGRIND
      if (RUNNING_ON_VALGRIND)
        has_tsc = FALSE;
# endif
      g_once_init_leave (&checked, 1);
    }
  return has_tsc;
}

static gint64
clock_read (guint64 tsc)
{
  gint64 usec = g_get_monotonic_time ();

  if (clock_first.tsc == 0)
    clock_first = (ClockReading) { tsc, usec };
  else if (usec - clock_first.usec >= CLOCK_CALIBRATION_USEC && tsc > clock_first.tsc)
    {
      gint64 window = usec - clock_first.usec;

      /* Each reading is truncated to a microsecond, and the TSC is read
       * just before it: two microseconds more make the rate an upper bound
       * over the window. NTP may speed the monotonic clock up by 500 ppm
       * afterwards: twice that more keeps it one. */
      clock_usec_per_tick = (window + 2) / (double) (tsc - clock_first.tsc) * CLOCK_RATE_MARGIN;
      clock_max_ticks = (guint64) (MIN (window, CLOCK_ESTIMATE_MAX_USEC) / clock_usec_per_tick);
    }
  clock_last = (ClockReading) { tsc, usec };
  return usec;
}

/* Microseconds on the g_get_monotonic_time() clock, no earlier than it. */
static gint64
clock_now_not_early (void)
{
  guint64 tsc, ticks;
  gint64 now;

  if (!clock_has_tsc ())
    return g_get_monotonic_time ();

  tsc = __rdtsc ();
  ticks = tsc - clock_last.tsc;
  if (clock_usec_per_tick > 0 && ticks < clock_max_ticks)
    /* The last reading was truncated: one microsecond more. */
    now = clock_last.usec + 1 + (gint64) (ticks * clock_usec_per_tick + 1);
  else
    now = clock_read (tsc);

  clock_given = MAX (clock_given, now);
  return clock_given;
}
#else
static gint64
clock_now_not_early (void)
{
  return g_get_monotonic_time ();
}
#endif

/* ---- scheduling ------------------------------------------------------------ */

static gboolean
check_open (BridgeLoop *loop,
            const char *function)
{
  if (G_UNLIKELY (loop->closed))
    {
      g_critical ("%s: Event loop is closed", function);
      return FALSE;
    }
  return TRUE;
}

/**
 * bridge_loop_call_soon:
 * @loop: a [class@Bridge.Loop]
 * @callback: (scope notified): the function to call
 * @user_data: data for @callback
 * @destroy: (nullable): frees @user_data once the callback ran or was
 *   cancelled
 *
 * Schedules @callback for the next iteration of the loop (`call_soon()`).
 * Callbacks run in the order they were scheduled; one scheduled while the loop
 * is running its ready callbacks runs in the next iteration. Call this on the
 * loop's thread; from others use [method@Bridge.Loop.call_soon_threadsafe].
 *
 * Returns: (transfer none) (nullable): the handle, owned by the loop (see
 *   [struct@Bridge.Handle]); %NULL if the loop is closed
 *
 * Since: 0.1
 */
BridgeHandle *
bridge_loop_call_soon (BridgeLoop     *loop,
                       BridgeCallback  callback,
                       gpointer        user_data,
                       GDestroyNotify  destroy)
{
  BridgeHandle *handle;

  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), NULL);
  g_return_val_if_fail (callback != NULL, NULL);

  if (!check_open (loop, G_STRFUNC))
    return NULL;

  handle = _bridge_handle_new (loop, callback, user_data, destroy);
  _bridge_loop_push_ready (loop, _bridge_handle_run, handle, NULL);
  return handle;
}

/**
 * bridge_loop_call_at:
 * @loop: a [class@Bridge.Loop]
 * @when: the time to run at, on the [method@Bridge.Loop.time] clock
 * @callback: (scope notified): the function to call
 * @user_data: data for @callback
 * @destroy: (nullable): frees @user_data once the callback ran or was
 *   cancelled
 *
 * Schedules @callback at @when (`call_at()`). Timers due at the same time run
 * in the order they were scheduled. All timers of a loop share one heap in
 * the loop's single source: no `GSource` per timer.
 *
 * Returns: (transfer none) (nullable): the handle, owned by the loop; %NULL
 *   if the loop is closed
 *
 * Since: 0.1
 */
BridgeHandle *
bridge_loop_call_at (BridgeLoop     *loop,
                     double          when,
                     BridgeCallback  callback,
                     gpointer        user_data,
                     GDestroyNotify  destroy)
{
  BridgeHandle *handle;

  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), NULL);
  g_return_val_if_fail (callback != NULL, NULL);

  if (!check_open (loop, G_STRFUNC))
    return NULL;

  handle = _bridge_handle_new (loop, callback, user_data, destroy);
  handle->when_seconds = when;
  heap_push (loop, handle, (gint64) (when * G_USEC_PER_SEC));

  if (dispatching_loop != loop && loop->n_timers > 0 && loop->timers[0].handle == handle)
    g_main_context_wakeup (loop->context);
  return handle;
}

/**
 * bridge_loop_call_later:
 * @loop: a [class@Bridge.Loop]
 * @delay: seconds from now; 0 or less means "as soon as possible, after the
 *   callbacks already due"
 * @callback: (scope notified): the function to call
 * @user_data: data for @callback
 * @destroy: (nullable): frees @user_data once the callback ran or was
 *   cancelled
 *
 * Schedules @callback after @delay seconds (`call_later()`).
 *
 * Returns: (transfer none) (nullable): the handle, owned by the loop; %NULL
 *   if the loop is closed
 *
 * Since: 0.1
 */
BridgeHandle *
bridge_loop_call_later (BridgeLoop     *loop,
                        double          delay,
                        BridgeCallback  callback,
                        gpointer        user_data,
                        GDestroyNotify  destroy)
{
  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), NULL);

  return bridge_loop_call_at (loop, clock_now_not_early () / (double) G_USEC_PER_SEC +
                                    MAX (delay, 0),
                              callback, user_data, destroy);
}

/**
 * bridge_loop_call_soon_threadsafe:
 * @loop: a [class@Bridge.Loop]
 * @callback: (scope notified): the function to call on @loop's thread
 * @user_data: data for @callback
 * @destroy: (nullable): frees @user_data once the callback ran or was
 *   cancelled
 *
 * Schedules @callback from any thread (`call_soon_threadsafe()`). Callbacks
 * from one thread run in the order that thread scheduled them; on the loop's
 * own thread that order includes [method@Bridge.Loop.call_soon]. Only the call
 * that finds the inbox empty wakes the context, so a burst of calls costs one
 * wakeup.
 *
 * Returns: (transfer full) (nullable): a handle that may be cancelled from
 *   any thread; release it with [method@Bridge.Handle.unref]. %NULL if the
 *   loop is closed.
 *
 * Since: 0.1
 */
BridgeHandle *
bridge_loop_call_soon_threadsafe (BridgeLoop     *loop,
                                  BridgeCallback  callback,
                                  gpointer        user_data,
                                  GDestroyNotify  destroy)
{
  BridgeHandle *handle;

  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), NULL);
  g_return_val_if_fail (callback != NULL, NULL);

  if (!check_open (loop, G_STRFUNC))
    return NULL;

  handle = _bridge_handle_new (loop, callback, user_data, destroy);
  handle->ref_count = 2;   /* the queue's and the caller's */
  /* On the loop's own thread this goes straight to the ready queue, so it
   * keeps its place among call_soon() callbacks, as in asyncio. */
  if (G_LIKELY (loop->owner != &thread_token))
    inbox_push (loop, (gpointer) ((guintptr) handle | INBOX_HANDLE_TAG));
  else
    _bridge_loop_push_ready (loop, _bridge_handle_run, handle, NULL);
  return handle;
}

/* ---- diagnostics ------------------------------------------------------------ */

static void
default_exception_handler (BridgeLoop   *loop,
                           const char   *message,
                           const GError *error,
                           BridgeFuture *future)
{
  g_autoptr(GString) text = g_string_new (message);

  if (future != NULL && bridge_future_is_task (future))
    g_string_append_printf (text, "\ntask: <Task name='%s'>",
                            bridge_task_get_name ((BridgeTask *) future));
  else if (future != NULL)
    g_string_append (text, "\nfuture: <Future>");

  if (error != NULL)
    g_string_append_printf (text, "\nerror: %s (%s, %d)", error->message,
                            g_quark_to_string (error->domain), error->code);

  g_warning ("%s", text->str);
}

/**
 * bridge_loop_call_exception_handler:
 * @loop: a [class@Bridge.Loop]
 * @message: what happened
 * @error: (nullable): the error involved
 * @future: (nullable): the future or task involved
 *
 * Reports an error that has nobody to go to (`call_exception_handler()`):
 * to the handler set with [method@Bridge.Loop.set_exception_handler], or as a
 * `g_warning()` naming the task.
 *
 * Since: 0.1
 */
void
bridge_loop_call_exception_handler (BridgeLoop   *loop,
                                    const char   *message,
                                    const GError *error,
                                    BridgeFuture *future)
{
  g_return_if_fail (BRIDGE_IS_LOOP (loop));
  g_return_if_fail (message != NULL);

  if (loop->exception_handler != NULL)
    loop->exception_handler (loop, message, error, future, loop->exception_handler_data);
  else
    default_exception_handler (loop, message, error, future);
}

/**
 * bridge_loop_set_exception_handler:
 * @loop: a [class@Bridge.Loop]
 * @handler: (nullable) (scope notified): the handler, or %NULL for the
 *   default, which logs a warning
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data
 *
 * Sets the loop's exception handler (`set_exception_handler()`).
 *
 * Since: 0.1
 */
void
bridge_loop_set_exception_handler (BridgeLoop             *loop,
                                   BridgeExceptionHandler  handler,
                                   gpointer                user_data,
                                   GDestroyNotify          destroy)
{
  g_return_if_fail (BRIDGE_IS_LOOP (loop));

  if (loop->exception_handler_destroy != NULL)
    loop->exception_handler_destroy (loop->exception_handler_data);
  loop->exception_handler = handler;
  loop->exception_handler_data = user_data;
  loop->exception_handler_destroy = destroy;
}

/**
 * bridge_loop_set_debug:
 * @loop: a [class@Bridge.Loop]
 * @debug: whether to enable debug mode
 *
 * In debug mode (`set_debug()`, or `BRIDGE_DEBUG=1` in the environment) the
 * loop times every callback and task step and warns about those slower than
 * [method@Bridge.Loop.get_slow_callback_duration] (100 ms by default), naming
 * them: "Executing <Task name='fetch'> took 0.250 seconds".
 *
 * Since: 0.1
 */
void
bridge_loop_set_debug (BridgeLoop *loop,
                       gboolean    debug)
{
  g_return_if_fail (BRIDGE_IS_LOOP (loop));

  loop->debug = !!debug;
}

/**
 * bridge_loop_get_debug:
 * @loop: a [class@Bridge.Loop]
 *
 * Tells whether debug mode is on for @loop (see
 * [method@Bridge.Loop.set_debug]).
 *
 * Returns: whether debug mode is on (`get_debug()`)
 *
 * Since: 0.1
 */
gboolean
bridge_loop_get_debug (BridgeLoop *loop)
{
  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), FALSE);

  return loop->debug;
}

/**
 * bridge_loop_set_slow_callback_duration:
 * @loop: a [class@Bridge.Loop]
 * @seconds: the threshold
 *
 * Sets the duration above which debug mode reports a callback or task step
 * (`slow_callback_duration`).
 *
 * Since: 0.1
 */
void
bridge_loop_set_slow_callback_duration (BridgeLoop *loop,
                                        double      seconds)
{
  g_return_if_fail (BRIDGE_IS_LOOP (loop));
  g_return_if_fail (seconds >= 0);

  loop->slow_callback_duration = seconds;
}

/**
 * bridge_loop_get_slow_callback_duration:
 * @loop: a [class@Bridge.Loop]
 *
 * Reads how long a callback or a task step may run before debug mode reports
 * it.
 *
 * Returns: the slow-callback threshold in seconds
 *
 * Since: 0.1
 */
double
bridge_loop_get_slow_callback_duration (BridgeLoop *loop)
{
  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), 0);

  return loop->slow_callback_duration;
}

/**
 * bridge_loop_set_io_priority:
 * @loop: a [class@Bridge.Loop]
 * @io_priority: the priority of the completions of GIO and libsoup
 *   operations started with %BRIDGE_IO_PRIORITY_LOOP
 *
 * Sets the I/O priority that libbridge's wrappers use when given
 * %BRIDGE_IO_PRIORITY_LOOP: %BRIDGE_PRIORITY_BULK_IO by default.
 *
 * GIO has no way to say "bulk": every completion of an operation started at
 * %G_PRIORITY_DEFAULT is a default-priority source, dispatched before GTK's
 * layout and paint (`GDK_PRIORITY_REDRAW`), so a saturating transfer starves
 * the window. Below redraw, painting goes first when it is due, and nothing
 * is lost when nothing else is ready. Use a higher priority for small,
 * latency-sensitive operations.
 *
 * Since: 0.1
 */
void
bridge_loop_set_io_priority (BridgeLoop *loop,
                             int         io_priority)
{
  g_return_if_fail (BRIDGE_IS_LOOP (loop));
  g_return_if_fail (io_priority != BRIDGE_IO_PRIORITY_LOOP);

  loop->io_priority = io_priority;
}

/**
 * bridge_loop_get_io_priority:
 * @loop: a [class@Bridge.Loop]
 *
 * Gives the I/O priority set with [method@Bridge.Loop.set_io_priority].
 *
 * Returns: the priority that %BRIDGE_IO_PRIORITY_LOOP stands for on @loop
 *
 * Since: 0.1
 */
int
bridge_loop_get_io_priority (BridgeLoop *loop)
{
  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), G_PRIORITY_DEFAULT);

  return loop->io_priority;
}

/* The I/O priority a wrapper passes to GIO: @io_priority, or for
 * BRIDGE_IO_PRIORITY_LOOP the one of the loop running the current task. */
int
_bridge_loop_resolve_io_priority (int io_priority)
{
  BridgeLoop *loop;

  if (G_LIKELY (io_priority != BRIDGE_IO_PRIORITY_LOOP))
    return io_priority;

  loop = dispatching_loop != NULL ? dispatching_loop : bridge_loop_get_default ();
  return loop->io_priority;
}

gint64
_bridge_loop_get_dispatch_clock (BridgeLoop *loop)
{
  return loop->dispatch_clock;
}

gboolean
_bridge_loop_get_debug_fast (BridgeLoop *loop)
{
  return loop->debug;
}

/* ---- source priority ------------------------------------------------------------ */

/**
 * bridge_loop_set_priority:
 * @loop: a [class@Bridge.Loop]
 * @priority: the `GSource` priority, such as %G_PRIORITY_DEFAULT
 *
 * Sets the priority of the loop's `GSource`, the one source through which
 * every callback, timer and task step of @loop runs. The default,
 * %G_PRIORITY_DEFAULT, suits nearly every program; change it only for a
 * special need, knowing what each range promises a GTK application (GTK
 * handles input at %G_PRIORITY_DEFAULT, lays out and draws at
 * `GDK_PRIORITY_REDRAW`, which is %G_PRIORITY_HIGH_IDLE + 20):
 *
 * - below %G_PRIORITY_DEFAULT (more urgent, e.g. %G_PRIORITY_HIGH): tasks run
 *   before input and drawing. While they keep each other busy, one dispatch
 *   still stops after its 2 ms budget and the source stands aside below
 *   %G_PRIORITY_DEFAULT_IDLE until every other ready source has run, so a
 *   frame is drawn and input handled at least every 2 ms of task work plus
 *   one iteration.
 * - from %G_PRIORITY_DEFAULT up to below `GDK_PRIORITY_REDRAW` (the
 *   default range): the same frame guarantee; input events of the same
 *   priority interleave with task steps.
 * - `GDK_PRIORITY_REDRAW` and above (less urgent, e.g.
 *   %G_PRIORITY_DEFAULT_IDLE): drawing and input always come first, and
 *   tasks run only in iterations where nothing more urgent is ready. Frames
 *   are never delayed by tasks by more than one 2 ms dispatch, but tasks
 *   wait for as long as more urgent sources keep the context busy, and
 *   timers may fire late.
 *
 * It can be called at any time, from the loop's thread; it takes effect
 * from the next main-loop iteration.
 *
 * Since: 0.1
 */
void
bridge_loop_set_priority (BridgeLoop *loop,
                          int         priority)
{
  g_return_if_fail (BRIDGE_IS_LOOP (loop));

  if (loop->source == NULL)
    {
      g_critical ("%s: the loop is closed", G_STRFUNC);
      return;
    }

  loop->priority = priority;
  if (!loop->standing_aside)
    g_source_set_priority ((GSource *) loop->source, priority);
}

/**
 * bridge_loop_get_priority:
 * @loop: a [class@Bridge.Loop]
 *
 * Returns the priority of the loop's `GSource`; see
 * [method@Bridge.Loop.set_priority].
 *
 * Returns: the priority, %G_PRIORITY_DEFAULT unless it was changed
 *
 * Since: 0.1
 */
int
bridge_loop_get_priority (BridgeLoop *loop)
{
  g_return_val_if_fail (BRIDGE_IS_LOOP (loop), G_PRIORITY_DEFAULT);

  return loop->priority;
}
