/* test-fiber.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libbridge.h>

#include <fenv.h>

#if HAVE_VALGRIND
# include <valgrind/valgrind.h>
#endif

#include "bridge-stack-pool-private.h"
#include "test-util.h"

#define FRAME_BYTES 512

/* Each level keeps FRAME_BYTES of its own frame alive across the recursive
 * call, so the depth reached measures stack use. The guard page (4 KiB) is
 * larger than one frame, so an overflow always lands in it. */
G_GNUC_NO_INLINE static guint
recurse (guint        depth,
         guint        limit,
         gboolean     yield_at_bottom)
{
  volatile char frame[FRAME_BYTES];
  guint result;

  frame[0] = (char) depth;
  frame[FRAME_BYTES - 1] = (char) (depth >> 8);

  if (depth >= limit)
    {
      if (yield_at_bottom)
        {
          GError *error = NULL;

          /* Switching away and back with the deep frames in place. */
          g_assert_true (bridge_yield (&error));
          g_assert_true (bridge_sleep (0.001, &error));
          g_assert_no_error (error);
        }
      return 1;
    }

  result = recurse (depth + 1, limit, yield_at_bottom) + 1;

  /* Not a tail call, and proof the frame survived. */
  g_assert_cmpint (frame[0], ==, (char) depth);
  g_assert_cmpint (frame[FRAME_BYTES - 1], ==, (char) (depth >> 8));
  return result;
}

static volatile guint endless = G_MAXUINT;

static void
overflow_task (BridgeTask *task,
               gpointer    user_data)
{
  recurse (0, endless, FALSE);
  g_error ("an endless recursion returned");
}

static void
run_overflow (const char *name,
              gsize       stack_size)
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
  g_autoptr(BridgeTask) task = NULL;

  task = bridge_spawn_full (loop, name, stack_size, overflow_task, NULL, NULL);
  bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (task), NULL);
  g_error ("the overflowing task finished");
}

static void
test_stack_overflow_named (void)
{
  if (g_test_subprocess ())
    {
      run_overflow ("deep-diver", 64 * 1024);
      return;
    }

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  /* A diagnosis that names the task and its stack, not a bare segfault. */
  g_test_trap_assert_stderr ("*stack overflow in task*deep-diver*stack size 65536 bytes*");
  g_test_trap_assert_stderr ("*BRIDGE_STACK_SIZE*");
}

static void
test_stack_overflow_default_name (void)
{
  if (g_test_subprocess ())
    {
      run_overflow (NULL, 32 * 1024);
      return;
    }

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*stack overflow in task*Task-*stack size 32768 bytes*");
}

static void
test_stack_overflow_env_size (void)
{
  if (g_test_subprocess ())
    {
      /* Before the first loop: the default is read once per process. */
      g_setenv ("BRIDGE_STACK_SIZE", "96k", TRUE);
      run_overflow ("from-env", BRIDGE_STACK_SIZE_DEFAULT);
      return;
    }

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*stack overflow in task*from-env*stack size 98304 bytes*");
}

/* ---- deep stacks that fit ----------------------------------------------------- */

typedef struct
{
  guint limit;
  guint reached;
  gsize stack_size;
} DeepData;

static void
deep_task (BridgeTask *task,
           gpointer    user_data)
{
  DeepData *data = user_data;

  data->stack_size = bridge_task_get_stack_size (task);
  data->reached = recurse (0, data->limit, TRUE);
}

static void
test_deep_recursion (void)
{
  /* About 120 KiB of frames in the default 256 KiB stack, with the task
   * suspended at the bottom. */
  DeepData data = { 200, 0, 0 };
  g_autoptr(GError) error = NULL;

  if (g_getenv ("BRIDGE_STACK_SIZE") != NULL)
    {
      g_test_skip ("BRIDGE_STACK_SIZE is set");
      return;
    }

  g_assert_true (test_run_task (deep_task, &data, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (data.reached, ==, data.limit + 1);
  g_assert_cmpuint (data.stack_size, ==, 256 * 1024);
}

static void
test_big_stack (void)
{
  /* About 5 MiB of frames in an 8 MiB stack given to bridge_spawn_full(). */
  DeepData data = { 9000, 0, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeTask) task = NULL;

  g_assert_true (test_run_task_full ("big", 8 * 1024 * 1024, deep_task, &data, &task, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (data.reached, ==, data.limit + 1);
  g_assert_cmpuint (data.stack_size, ==, 8 * 1024 * 1024);
  g_assert_cmpuint (bridge_task_get_stack_size (task), ==, 8 * 1024 * 1024);
}

static void
test_stack_size_env (void)
{
  if (g_test_subprocess ())
    {
      /* About 700 KiB of frames: too deep for the 256 KiB default, fine in
       * the 1 MiB that BRIDGE_STACK_SIZE asks for. */
      DeepData data = { 1200, 0, 0 };
      GError *error = NULL;

      g_setenv ("BRIDGE_STACK_SIZE", "1m", TRUE);
      g_assert_true (test_run_task (deep_task, &data, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (data.reached, ==, data.limit + 1);
      g_assert_cmpuint (data.stack_size, ==, 1024 * 1024);
      return;
    }

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
nop_task (BridgeTask *task,
          gpointer    user_data)
{
}

static void
test_stack_size_rounding (void)
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
  g_autoptr(BridgeTask) tiny = NULL;
  g_autoptr(BridgeTask) odd = NULL;

  /* Sizes are rounded up to whole pages, with a floor. */
  tiny = bridge_spawn_full (loop, NULL, 1, nop_task, NULL, NULL);
  odd = bridge_spawn_full (loop, NULL, 100 * 1024 + 1, nop_task, NULL, NULL);
  g_assert_cmpuint (bridge_task_get_stack_size (tiny), ==, 16 * 1024);
  g_assert_cmpuint (bridge_task_get_stack_size (odd) % 4096, ==, 0);
  g_assert_cmpuint (bridge_task_get_stack_size (odd), >, 100 * 1024);
  g_assert_cmpuint (bridge_task_get_stack_size (odd), <=, 100 * 1024 + 65536);

  g_assert_true (bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (odd), NULL));
  g_assert_true (bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (tiny), NULL));
  g_assert_cmpuint (bridge_task_get_stack_size (tiny), ==, 16 * 1024);
  g_assert_true (bridge_loop_close (loop, NULL));
}

/* ---- the stack pool ---------------------------------------------------------------- */

static void
test_stack_pool_reuse (void)
{
  BridgeStackPool *pool = _bridge_stack_pool_new ();
  gsize size = _bridge_stack_size_default ();
  BridgeStack *a, *b, *c, *again;

  a = _bridge_stack_pool_acquire (pool, size);
  b = _bridge_stack_pool_acquire (pool, size);
  g_assert_true (a != b);
  g_assert_cmpuint (a->size, ==, size);
  /* Stacks do not overlap, and each has its guard page below it. */
  g_assert_true (a->base + a->size <= b->guard || b->base + b->size <= a->guard);
  g_assert_true (a->guard + 4096 <= a->base);
  g_assert_true (a->guarded);

  /* A released stack is handed out again: no new mapping for a spawn. */
  _bridge_stack_pool_release (pool, a, NULL);
  again = _bridge_stack_pool_acquire (pool, size);
  g_assert_true (again == a);

  /* Another size is another class. */
  c = _bridge_stack_pool_acquire (pool, 64 * 1024);
  g_assert_true (c != a && c != b);
  g_assert_cmpuint (c->size, ==, 64 * 1024);
  _bridge_stack_pool_release (pool, c, NULL);
  g_assert_true (_bridge_stack_pool_acquire (pool, 64 * 1024) == c);

  _bridge_stack_pool_release (pool, again, NULL);
  _bridge_stack_pool_release (pool, b, NULL);
  _bridge_stack_pool_release (pool, c, NULL);
  _bridge_stack_pool_free (pool);
}

typedef struct
{
  guint finished;
} SequentialData;

static void
touch_stack_task (BridgeTask *task,
                  gpointer    user_data)
{
  SequentialData *data = user_data;

  /* Dirty some stack, then finish: the next task reuses the stack. */
  recurse (0, 64, FALSE);
  data->finished++;
}

static void
test_many_sequential (void)
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
  SequentialData data = { 0 };
  const guint n = 5000;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(BridgeTask) task = NULL;

      task = bridge_spawn_full (loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, touch_stack_task, &data, NULL);
      g_assert_true (bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (task), NULL));
    }
  g_assert_cmpuint (data.finished, ==, n);
  g_assert_true (bridge_loop_close (loop, NULL));
}

/* ---- what a switch preserves --------------------------------------------------- */

typedef struct
{
  guint64 seed;
  guint64 result;
} Registers;

static void
registers_task (BridgeTask *task,
                gpointer    user_data)
{
  Registers *data = user_data;
  GError *error = NULL;
  /* Many live values across each switch: the compiler keeps some in
   * callee-saved registers, which the switch must restore. */
  guint64 a = data->seed, b = a * 3 + 1, c = b ^ 0x5555, d = c + a, e = d * 7;
  guint64 f = e ^ b, g = f + c, h = g * 11;
  double x = (double) a / 3.0, y = x * 1.5;

  for (guint i = 0; i < 200; i++)
    {
      g_assert_true (bridge_yield (&error));
      a += 1; b += a; c ^= b; d += c; e += d; f ^= e; g += f; h += g;
      x += 0.5; y *= 1.0000001;
    }
  data->result = a ^ b ^ c ^ d ^ e ^ f ^ g ^ h ^ (guint64) x ^ (guint64) y;
}

static guint64
registers_expected (guint64 seed)
{
  volatile guint64 a = seed, b = a * 3 + 1, c = b ^ 0x5555, d = c + a, e = d * 7;
  volatile guint64 f = e ^ b, g = f + c, h = g * 11;
  volatile double x = (double) a / 3.0, y = x * 1.5;

  for (guint i = 0; i < 200; i++)
    {
      a += 1; b += a; c ^= b; d += c; e += d; f ^= e; g += f; h += g;
      x += 0.5; y *= 1.0000001;
    }
  return a ^ b ^ c ^ d ^ e ^ f ^ g ^ h ^ (guint64) x ^ (guint64) y;
}

static void
test_registers_preserved (void)
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
  Registers data[3] = { { 1, 0 }, { 1000003, 0 }, { G_GUINT64_CONSTANT (0xdeadbeefcafe), 0 } };
  BridgeTask *tasks[3];

  /* Three tasks interleave switch by switch. */
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    tasks[i] = bridge_spawn_full (loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, registers_task, &data[i], NULL);
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    {
      g_assert_true (bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (tasks[i]), NULL));
      bridge_task_unref (tasks[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (data); i++)
    g_assert_cmpuint (data[i].result, ==, registers_expected (data[i].seed));
  g_assert_true (bridge_loop_close (loop, NULL));
}

typedef struct
{
  int      mode;
  gboolean kept;
  int      seen_by_other;
} RoundingData;

static void
rounding_task (BridgeTask *task,
               gpointer    user_data)
{
  RoundingData *data = user_data;
  GError *error = NULL;

  g_assert_cmpint (fesetround (data->mode), ==, 0);
  g_assert_true (bridge_yield (&error));
  g_assert_true (bridge_yield (&error));
  /* Each fiber has its own floating-point control words. */
  data->kept = fegetround () == data->mode;
  fesetround (FE_TONEAREST);
}

static void
observer_task (BridgeTask *task,
               gpointer    user_data)
{
  RoundingData *data = user_data;
  GError *error = NULL;

  g_assert_true (bridge_yield (&error));
  data->seen_by_other = fegetround ();
}

static void
test_fpu_control_words (void)
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
  RoundingData data = { FE_DOWNWARD, FALSE, -1 };
  g_autoptr(BridgeTask) rounding = NULL;
  g_autoptr(BridgeTask) observer = NULL;

#if HAVE_VALGRIND
  if (RUNNING_ON_VALGRIND)
    {
      /* valgrind emulates only round-to-nearest for SSE. */
      g_test_skip ("valgrind does not emulate SSE rounding modes");
      g_assert_true (bridge_loop_close (loop, NULL));
      return;
    }
#endif

  g_assert_cmpint (fegetround (), ==, FE_TONEAREST);
  rounding = bridge_spawn_full (loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, rounding_task, &data, NULL);
  observer = bridge_spawn_full (loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, observer_task, &data, NULL);
  g_assert_true (bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (rounding), NULL));
  g_assert_true (bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (observer), NULL));

  g_assert_true (data.kept);
  g_assert_cmpint (data.seen_by_other, ==, FE_TONEAREST);
  /* The scheduler's own mode was never changed by the task. */
  g_assert_cmpint (fegetround (), ==, FE_TONEAREST);
  g_assert_true (bridge_loop_close (loop, NULL));
}

/* A task that changes its control words and ends without putting them back,
 * without ever suspending: its last switch, back to the scheduler, must
 * still give the scheduler its own words. */
static void
rounding_left_set_task (BridgeTask *task,
                        gpointer    user_data)
{
  int *mode = user_data;

  g_assert_cmpint (fesetround (*mode), ==, 0);
}

static gboolean
skip_under_valgrind (void)
{
#if HAVE_VALGRIND
  if (RUNNING_ON_VALGRIND)
    {
      /* valgrind emulates only round-to-nearest for SSE. */
      g_test_skip ("valgrind does not emulate SSE rounding modes");
      return TRUE;
    }
#endif
  return FALSE;
}

static void
test_fpu_control_words_at_end (void)
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
  int mode = FE_UPWARD;
  g_autoptr(BridgeTask) task = NULL;

  if (skip_under_valgrind ())
    {
      g_assert_true (bridge_loop_close (loop, NULL));
      return;
    }

  g_assert_cmpint (fegetround (), ==, FE_TONEAREST);
  task = bridge_spawn_full (loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, rounding_left_set_task, &mode, NULL);
  g_assert_true (bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (task), NULL));
  g_assert_cmpint (fegetround (), ==, FE_TONEAREST);
  g_assert_true (bridge_loop_close (loop, NULL));
}

static void
record_rounding_task (BridgeTask *task,
                      gpointer    user_data)
{
  int *seen = user_data;

  *seen = fegetround ();
}

/* A new task starts with the control words its scheduler has when the task
 * first runs. */
static void
test_fpu_control_words_inherited (void)
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
  int seen = -1;
  g_autoptr(BridgeTask) task = NULL;

  if (skip_under_valgrind ())
    {
      g_assert_true (bridge_loop_close (loop, NULL));
      return;
    }

  task = bridge_spawn_full (loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, record_rounding_task, &seen, NULL);
  g_assert_cmpint (fesetround (FE_TOWARDZERO), ==, 0);
  g_assert_true (bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (task), NULL));
  g_assert_cmpint (fegetround (), ==, FE_TOWARDZERO);
  fesetround (FE_TONEAREST);
  g_assert_cmpint (seen, ==, FE_TOWARDZERO);
  g_assert_true (bridge_loop_close (loop, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/libbridge/fiber/stack-overflow/named", test_stack_overflow_named);
  g_test_add_func ("/libbridge/fiber/stack-overflow/default-name", test_stack_overflow_default_name);
  g_test_add_func ("/libbridge/fiber/stack-overflow/env-size", test_stack_overflow_env_size);
  g_test_add_func ("/libbridge/fiber/stack/deep-recursion", test_deep_recursion);
  g_test_add_func ("/libbridge/fiber/stack/big", test_big_stack);
  g_test_add_func ("/libbridge/fiber/stack/size-from-env", test_stack_size_env);
  g_test_add_func ("/libbridge/fiber/stack/size-rounding", test_stack_size_rounding);
  g_test_add_func ("/libbridge/fiber/stack/pool-reuse", test_stack_pool_reuse);
  g_test_add_func ("/libbridge/fiber/stack/many-sequential", test_many_sequential);
  g_test_add_func ("/libbridge/fiber/switch/registers", test_registers_preserved);
  g_test_add_func ("/libbridge/fiber/switch/fpu-control-words", test_fpu_control_words);
  g_test_add_func ("/libbridge/fiber/switch/fpu-control-words-at-end", test_fpu_control_words_at_end);
  g_test_add_func ("/libbridge/fiber/switch/fpu-control-words-inherited",
                   test_fpu_control_words_inherited);

  return g_test_run ();
}
