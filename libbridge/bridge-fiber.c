/* bridge-fiber.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if HAVE_VALGRIND
# include <valgrind/valgrind.h>
#endif

#if HAVE_ASAN
# include <sanitizer/common_interface_defs.h>
#endif

#include "bridge-fiber-private.h"
#include "bridge-thread-local-private.h"

/* The scheduler side of the current thread. */
typedef struct
{
#ifdef BRIDGE_FIBER_UCONTEXT
  ucontext_t   context;
#else
  void        *sp;
#endif
  BridgeFiber *current;
#if HAVE_ASAN
  const void  *stack_bottom;
  gsize        stack_size;
#endif
  gboolean     alt_stack_ready;
} FiberThread;

static BRIDGE_THREAD_LOCAL FiberThread fiber_thread;

#ifndef BRIDGE_FIBER_UCONTEXT

/* _bridge_fiber_switch (void **save_sp, void *load_sp)
 *
 * Saves the callee-saved registers and the floating-point control words on the
 * current stack, stores the stack pointer in *save_sp, loads load_sp and
 * restores the same set from there. Everything else is caller-saved in both
 * ABIs, so this is the whole context a C function call can observe. */
void _bridge_fiber_switch     (void **save_sp, void *load_sp);

# if defined (__x86_64__)
void  _bridge_fiber_start (void **save_sp, void *stack_top, BridgeFiber *fiber);
void *_bridge_fiber_main  (BridgeFiber *fiber);
# else
void _bridge_fiber_trampoline (void);
void _bridge_fiber_main       (BridgeFiber *fiber) G_GNUC_NORETURN;
# endif

# if defined (__x86_64__)

__asm__ (
  ".text\n"
  ".globl _bridge_fiber_switch\n"
  ".hidden _bridge_fiber_switch\n"
  ".type _bridge_fiber_switch, @function\n"
  ".p2align 4\n"
  "_bridge_fiber_switch:\n"
  "  endbr64\n"
  "  pushq %rbp\n"
  "  pushq %rbx\n"
  "  pushq %r12\n"
  "  pushq %r13\n"
  "  pushq %r14\n"
  "  pushq %r15\n"
  "  subq $8, %rsp\n"
  "  stmxcsr (%rsp)\n"
  "  fnstcw 4(%rsp)\n"
  "  movl (%rsp), %eax\n"
  "  movzwl 4(%rsp), %ecx\n"
  "  movq %rsp, (%rdi)\n"
  "  movq %rsi, %rsp\n"
  /* Loading a control word stalls the pipeline, and fibers almost never
   * change them: load them only when they differ. (Each is read back with
   * its own width: one wide load over both stores would miss store
   * forwarding, which cost more than the loads saved.) */
  "  cmpl (%rsp), %eax\n"
  "  jne 1f\n"
  "  cmpw 4(%rsp), %cx\n"
  "  jne 1f\n"
  ".Lbridge_fiber_restore:\n"
  "  addq $8, %rsp\n"
  "  popq %r15\n"
  "  popq %r14\n"
  "  popq %r13\n"
  "  popq %r12\n"
  "  popq %rbx\n"
  "  popq %rbp\n"
  "  ret\n"
  "1:\n"
  "  ldmxcsr (%rsp)\n"
  "  fldcw 4(%rsp)\n"
  "  jmp .Lbridge_fiber_restore\n"
  ".size _bridge_fiber_switch, .-_bridge_fiber_switch\n"
  "\n"
  /* _bridge_fiber_start (void **save_sp, void *stack_top, BridgeFiber *fiber)
   *
   * The first switch into a fiber: saves the same frame as
   * _bridge_fiber_switch on the scheduler's stack, then jumps (not returns)
   * to the fiber's entry on an empty stack. The fiber begins with the
   * scheduler's control words, which are in the registers already, so
   * nothing is loaded.
   *
   * Why a jump: a return predicts its target from the processor's stack of
   * return addresses, which a stack switch leaves describing the other
   * stack. Entering by a jump leaves this call's own return address on top,
   * and the fiber's calls and returns balance above it, so when a fiber
   * that never suspended ends, the return into the scheduler below is
   * predicted, and so is every return after it. A task that runs to its end
   * in one step (most tasks of a spawn or a gather) then crosses stacks
   * without a mispredicted return, where it used to take four. */
  ".globl _bridge_fiber_start\n"
  ".hidden _bridge_fiber_start\n"
  ".type _bridge_fiber_start, @function\n"
  ".p2align 4\n"
  "_bridge_fiber_start:\n"
  "  endbr64\n"
  "  pushq %rbp\n"
  "  pushq %rbx\n"
  "  pushq %r12\n"
  "  pushq %r13\n"
  "  pushq %r14\n"
  "  pushq %r15\n"
  "  subq $8, %rsp\n"
  "  stmxcsr (%rsp)\n"
  "  fnstcw 4(%rsp)\n"
  "  movq %rsp, (%rdi)\n"
  "  movq %rsi, %rsp\n"
  "  movq %rdx, %rdi\n"
  "  jmp _bridge_fiber_entry\n"
  ".size _bridge_fiber_start, .-_bridge_fiber_start\n"
  "\n"
  /* The bottom frame of every fiber. _bridge_fiber_main() returns the
   * stack pointer the scheduler saved when it last switched in, and the
   * scheduler's frame is restored from there, control words included. They
   * are loaded without first comparing them with the fiber's, unlike in a
   * switch: a switch stores the fiber's words anyway, so comparing costs it
   * nothing, while a fiber that ends has nothing left to save, and on some
   * processors reading MXCSR (stmxcsr) costs more than loading it. The
   * undefined return address ends backtraces here instead of running off
   * the stack. */
  ".type _bridge_fiber_entry, @function\n"
  ".p2align 4\n"
  "_bridge_fiber_entry:\n"
  "  .cfi_startproc\n"
  "  .cfi_undefined rip\n"
  "  call _bridge_fiber_main\n"
  "  movq %rax, %rsp\n"
  "  ldmxcsr (%rsp)\n"
  "  fldcw 4(%rsp)\n"
  "  jmp .Lbridge_fiber_restore\n"
  "  .cfi_endproc\n"
  ".size _bridge_fiber_entry, .-_bridge_fiber_entry\n"
);

/* A fiber starts on an empty stack (see _bridge_fiber_start): nothing to
 * prepare but its top, 16-byte aligned as the entry's call needs. */
static void
fiber_prepare_stack (BridgeFiber *fiber)
{
  fiber->sp = NULL;
}

static inline void *
fiber_stack_top (BridgeFiber *fiber)
{
  return fiber->stack->base + fiber->stack->size - 16;
}

# elif defined (__aarch64__)

__asm__ (
  ".text\n"
  ".globl _bridge_fiber_switch\n"
  ".hidden _bridge_fiber_switch\n"
  ".type _bridge_fiber_switch, %function\n"
  ".p2align 4\n"
  "_bridge_fiber_switch:\n"
  "  sub sp, sp, #176\n"
  "  stp x19, x20, [sp, #0]\n"
  "  stp x21, x22, [sp, #16]\n"
  "  stp x23, x24, [sp, #32]\n"
  "  stp x25, x26, [sp, #48]\n"
  "  stp x27, x28, [sp, #64]\n"
  "  stp x29, x30, [sp, #80]\n"
  "  stp d8, d9, [sp, #96]\n"
  "  stp d10, d11, [sp, #112]\n"
  "  stp d12, d13, [sp, #128]\n"
  "  stp d14, d15, [sp, #144]\n"
  "  mrs x9, fpcr\n"
  "  str x9, [sp, #160]\n"
  "  mov x9, sp\n"
  "  str x9, [x0]\n"
  "  mov sp, x1\n"
  "  ldr x9, [sp, #160]\n"
  "  msr fpcr, x9\n"
  "  ldp x19, x20, [sp, #0]\n"
  "  ldp x21, x22, [sp, #16]\n"
  "  ldp x23, x24, [sp, #32]\n"
  "  ldp x25, x26, [sp, #48]\n"
  "  ldp x27, x28, [sp, #64]\n"
  "  ldp x29, x30, [sp, #80]\n"
  "  ldp d8, d9, [sp, #96]\n"
  "  ldp d10, d11, [sp, #112]\n"
  "  ldp d12, d13, [sp, #128]\n"
  "  ldp d14, d15, [sp, #144]\n"
  "  add sp, sp, #176\n"
  "  ret\n"
  ".size _bridge_fiber_switch, .-_bridge_fiber_switch\n"
  "\n"
  ".globl _bridge_fiber_trampoline\n"
  ".hidden _bridge_fiber_trampoline\n"
  ".type _bridge_fiber_trampoline, %function\n"
  ".p2align 4\n"
  "_bridge_fiber_trampoline:\n"
  "  .cfi_startproc\n"
  "  .cfi_undefined x30\n"
  "  mov x0, x19\n"
  "  bl _bridge_fiber_main\n"
  "  brk #0\n"
  "  .cfi_endproc\n"
  ".size _bridge_fiber_trampoline, .-_bridge_fiber_trampoline\n"
);

static void
fiber_prepare_stack (BridgeFiber *fiber)
{
  guint8 *top = fiber->stack->base + fiber->stack->size;
  guint64 *frame = (guint64 *) (top - 16 - 176);
  guint64 fpcr;

  __asm__ volatile ("mrs %0, fpcr" : "=r" (fpcr));

  memset (frame, 0, 176);
  frame[0] = (guint64) (gsize) fiber;                         /* x19 */
  frame[11] = (guint64) (gsize) _bridge_fiber_trampoline;     /* x30 */
  frame[20] = fpcr;
  fiber->sp = frame;
}

# endif

static inline void
fiber_switch_to (void       **save_sp,
                 void        *load_sp)
{
  _bridge_fiber_switch (save_sp, load_sp);
}

#else /* BRIDGE_FIBER_UCONTEXT */

void _bridge_fiber_main (BridgeFiber *fiber) G_GNUC_NORETURN;

static void
fiber_ucontext_entry (unsigned int high,
                      unsigned int low)
{
  _bridge_fiber_main ((BridgeFiber *) (((guintptr) high << 32) | (guintptr) low));
}

static void
fiber_prepare_stack (BridgeFiber *fiber)
{
  guintptr pointer = (guintptr) fiber;

  getcontext (&fiber->context);
  fiber->context.uc_stack.ss_sp = fiber->stack->base;
  fiber->context.uc_stack.ss_size = fiber->stack->size;
  fiber->context.uc_link = NULL;
  makecontext (&fiber->context, (void (*) (void)) fiber_ucontext_entry, 2,
               (unsigned int) (pointer >> 32), (unsigned int) (pointer & 0xffffffffu));
}

#endif /* BRIDGE_FIBER_UCONTEXT */

/* ---- stack overflow diagnosis ------------------------------------------ */

static struct sigaction previous_segv_action;

static void
write_string (const char *s)
{
  gsize len = strlen (s);

  while (len > 0)
    {
      ssize_t n = write (STDERR_FILENO, s, len);
      if (n <= 0)
        return;
      s += n;
      len -= n;
    }
}

static void
write_unsigned (gsize value)
{
  char buffer[32];
  int i = sizeof buffer;

  buffer[--i] = '\0';
  do
    {
      buffer[--i] = '0' + value % 10;
      value /= 10;
    }
  while (value > 0 && i > 0);
  write_string (&buffer[i]);
}

static gsize
context_stack_pointer (void *ucontext)
{
#if defined (__x86_64__) && defined (REG_RSP)
  return (gsize) ((ucontext_t *) ucontext)->uc_mcontext.gregs[REG_RSP];
#elif defined (__aarch64__)
  return (gsize) ((ucontext_t *) ucontext)->uc_mcontext.sp;
#else
  return 0;
#endif
}

/* Runs on the alternate signal stack. Only async-signal-safe calls: write()
 * and abort(). */
static void
segv_handler (int        signum,
              siginfo_t *info,
              void      *ucontext)
{
  BridgeFiber *fiber = fiber_thread.current;

  if (fiber != NULL && fiber->stack != NULL)
    {
      gsize low = (gsize) fiber->stack->base;
      gsize fault = (gsize) info->si_addr;
      gsize sp = context_stack_pointer (ucontext);
      gboolean below_stack = (sp != 0 && sp < low + 256) ||
                             (fault < low && fault + 65536 >= low);

      if (below_stack)
        {
          const char *name = fiber->name;

          write_string ("libbridge: stack overflow in task “");
          if (name != NULL)
            write_string (name);
          else
            {
              write_string ("Task-");
              write_unsigned (fiber->number);
            }
          write_string ("” (stack size ");
          write_unsigned (fiber->stack->size);
          write_string (" bytes). Give the task a larger stack with bridge_spawn_full() "
                        "or the BRIDGE_STACK_SIZE environment variable.\n");
          signal (SIGABRT, SIG_DFL);
          abort ();
        }
    }

  /* Not ours: let the previous handler (or the default action) see it. */
  sigaction (SIGSEGV, &previous_segv_action, NULL);
}

/* The alternate signal stack this library gave a thread: taken down and
 * freed when the thread ends (a GPrivate's destroy notify runs on the
 * exiting thread). */
static void
alt_stack_free (gpointer data)
{
  stack_t current = { 0 };

  if (sigaltstack (NULL, &current) == 0 && current.ss_sp == data)
    {
      stack_t disable = { 0 };

      disable.ss_flags = SS_DISABLE;
      sigaltstack (&disable, NULL);
    }
  g_free (data);
}

static GPrivate alt_stack_key = G_PRIVATE_INIT (alt_stack_free);

static void
install_overflow_handler (void)
{
  static gsize installed;

  if (g_once_init_enter (&installed))
    {
      struct sigaction action = { 0 };

      action.sa_sigaction = segv_handler;
      action.sa_flags = SA_SIGINFO | SA_ONSTACK;
      sigemptyset (&action.sa_mask);
      sigaction (SIGSEGV, &action, &previous_segv_action);
      g_once_init_leave (&installed, 1);
    }

  if (!fiber_thread.alt_stack_ready)
    {
      stack_t current = { 0 };

      /* Keep an alternate stack that is already there (AddressSanitizer
       * installs one); otherwise give the thread its own. */
      if (sigaltstack (NULL, &current) != 0 || (current.ss_flags & SS_DISABLE) ||
          current.ss_size < 32 * 1024)
        {
          stack_t alt = { 0 };

          alt.ss_size = 64 * 1024;
          alt.ss_sp = g_malloc (alt.ss_size);
          if (sigaltstack (&alt, NULL) == 0)
            g_private_set (&alt_stack_key, alt.ss_sp);
          else
            g_free (alt.ss_sp);
        }
      fiber_thread.alt_stack_ready = TRUE;
    }
}

/* ---- switching ----------------------------------------------------------- */

void
_bridge_fiber_init (BridgeFiber     *fiber,
                    BridgeStack     *stack,
                    BridgeFiberFunc  func,
                    gpointer         data)
{
  fiber->stack = stack;
  fiber->func = func;
  fiber->data = data;
  fiber->finished = FALSE;
#if HAVE_ASAN
  fiber->asan_fake_stack = NULL;
#endif
  fiber_prepare_stack (fiber);
}

BridgeFiber *
_bridge_fiber_get_current (void)
{
  return fiber_thread.current;
}

const void *
_bridge_fiber_get_saved_sp (BridgeFiber *fiber)
{
#ifdef BRIDGE_FIBER_UCONTEXT
  return NULL;
#else
  return fiber->sp;
#endif
}

/* Runs on the fiber, from its bottom frame. On x86-64 without
 * AddressSanitizer it returns to that frame (_bridge_fiber_entry) the stack
 * pointer to go back to; otherwise it switches back itself. */
#if defined (__x86_64__) && !defined (BRIDGE_FIBER_UCONTEXT)
void *
#else
void
#endif
_bridge_fiber_main (BridgeFiber *fiber)
{
#if HAVE_ASAN
  /* First arrival on this stack: learn the scheduler stack's bounds so the
   * way back can be announced. */
  __sanitizer_finish_switch_fiber (NULL, &fiber_thread.stack_bottom, &fiber_thread.stack_size);
#endif

  fiber->func (fiber, fiber->data);
  fiber->finished = TRUE;
  fiber_thread.current = NULL;

#if HAVE_ASAN
  /* NULL: this fiber's fake stack can go, it never comes back. */
  __sanitizer_start_switch_fiber (NULL, fiber_thread.stack_bottom, fiber_thread.stack_size);
#endif
#ifdef BRIDGE_FIBER_UCONTEXT
  setcontext (&fiber_thread.context);
  g_assert_not_reached ();
#elif defined (__x86_64__) && !HAVE_ASAN
  /* How deep the dead frames go, for the pool (see
   * _bridge_fiber_get_saved_sp()). */
  fiber->sp = __builtin_frame_address (0);
  return fiber_thread.sp;
#else
  /* The saved stack pointer tells the pool how deep the dead frames go.
   * (Under AddressSanitizer nothing may run on this stack once the switch
   * was announced, not even a return.) */
  _bridge_fiber_switch (&fiber->sp, fiber_thread.sp);
  g_assert_not_reached ();
# if defined (__x86_64__)
  return NULL;
# endif
#endif
}

void
_bridge_fiber_resume (BridgeFiber *fiber)
{
#if HAVE_ASAN
  void *fake_stack = NULL;
#endif

  g_assert (fiber_thread.current == NULL);
  g_assert (!fiber->finished);

  if (G_UNLIKELY (!fiber_thread.alt_stack_ready))
    install_overflow_handler ();

  fiber_thread.current = fiber;
#if HAVE_ASAN
  __sanitizer_start_switch_fiber (&fake_stack, fiber->stack->base, fiber->stack->size);
#endif
#ifdef BRIDGE_FIBER_UCONTEXT
  swapcontext (&fiber_thread.context, &fiber->context);
#elif defined (__x86_64__)
  if (fiber->sp == NULL)
    _bridge_fiber_start (&fiber_thread.sp, fiber_stack_top (fiber), fiber);
  else
    fiber_switch_to (&fiber_thread.sp, fiber->sp);
#else
  fiber_switch_to (&fiber_thread.sp, fiber->sp);
#endif
#if HAVE_ASAN
  __sanitizer_finish_switch_fiber (fake_stack, NULL, NULL);
#endif
  fiber_thread.current = NULL;
}

/* Starts or continues @fiber from wherever this thread is, a fiber included.
 * Switching from fiber A into fiber B makes A's stack B's scheduler for as
 * long as B runs: B's suspension or end switches back into A, right here.
 * The thread's scheduler side (its saved stack pointer or context, its ASan
 * stack bounds) and the current fiber describe A's own scheduler while A
 * runs, so they are set aside for B's run and put back once B has switched
 * out. Nesting goes as deep as the stacks allow, each level keeping the
 * level below. */
void
_bridge_fiber_resume_nested (BridgeFiber *fiber)
{
  FiberThread *saved;

  if (fiber_thread.current == NULL)
    {
      _bridge_fiber_resume (fiber);
      return;
    }

  /* On the heap: with ucontext the scheduler side is about a kilobyte,
   * which small fiber stacks should not pay for. */
  saved = g_new (FiberThread, 1);
  *saved = fiber_thread;
  fiber_thread.current = NULL;
  _bridge_fiber_resume (fiber);

#ifdef BRIDGE_FIBER_UCONTEXT
  fiber_thread.context = saved->context;
#else
  fiber_thread.sp = saved->sp;
#endif
#if HAVE_ASAN
  fiber_thread.stack_bottom = saved->stack_bottom;
  fiber_thread.stack_size = saved->stack_size;
#endif
  fiber_thread.current = saved->current;
  g_free (saved);
}

void
_bridge_fiber_suspend (void)
{
  BridgeFiber *fiber = fiber_thread.current;

  g_assert (fiber != NULL);

#if HAVE_ASAN
  __sanitizer_start_switch_fiber (&fiber->asan_fake_stack,
                                  fiber_thread.stack_bottom, fiber_thread.stack_size);
#endif
#ifdef BRIDGE_FIBER_UCONTEXT
  swapcontext (&fiber->context, &fiber_thread.context);
#else
  fiber_switch_to (&fiber->sp, fiber_thread.sp);
#endif
#if HAVE_ASAN
  __sanitizer_finish_switch_fiber (fiber->asan_fake_stack,
                                   &fiber_thread.stack_bottom, &fiber_thread.stack_size);
#endif
}
