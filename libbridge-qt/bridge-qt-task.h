/* bridge-qt-task.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_QT_INSIDE) && !defined (BRIDGE_QT_COMPILATION)
# error "Only <libbridge-qt.h> can be included directly."
#endif

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>


#include "bridge-qt-error.h"
#include "bridge-qt-handle.h"

namespace Bridge {

namespace Detail {

/* A C++ result travels in the task as a pointer to one of these, so that
 * await() can check it is the type it expects. */
struct BoxBase
{
  virtual ~BoxBase () = default;
};

template <typename T>
struct Box final : BoxBase
{
  explicit Box (T &&v) : value (std::move (v)) {}
  T value;
};

void destroy_box (gpointer box);
void report_escaped_exception (BridgeTask *task, const char *what);

template <typename R> struct ValueOf { using type = R; };
template <typename T> struct ValueOf<Result<T>> { using type = T; };
template <> struct ValueOf<Error> { using type = void; };

template <typename R> struct IsResult : std::false_type {};
template <typename T> struct IsResult<Result<T>> : std::true_type {};

template <typename F>
void
run_body (BridgeTask *task,
          gpointer    data)
{
  using R = std::invoke_result_t<F &>;
  F &body = *static_cast<F *> (data);

  /* The fiber's first frame is C: nothing may unwind past this point. */
  try
    {
      if constexpr (std::is_void_v<R>)
        body ();
      else if constexpr (std::is_same_v<R, Error>)
        {
          Error error = body ();
          if (error)
            bridge_task_return_error (task, error.release ());
        }
      else if constexpr (IsResult<R>::value)
        {
          R result = body ();
          if (result.ok ())
            bridge_task_return_pointer (task, new Box<typename ValueOf<R>::type> (std::move (*result.value ())),
                                        destroy_box);
          else if (result.error ())
            bridge_task_return_error (task, result.error ().release ());
          else
            bridge_task_return_new_error (task, BRIDGE_ERROR, BRIDGE_ERROR_FAILED, "task failed without an error");
        }
      else
        bridge_task_return_pointer (task, new Box<R> (body ()), destroy_box);
    }
  catch (const std::exception &exception)
    {
      report_escaped_exception (task, exception.what ());
    }
  catch (...)
    {
      report_escaped_exception (task, nullptr);
    }
}

template <typename F>
void
destroy_body (gpointer data)
{
  delete static_cast<F *> (data);
}

} // namespace Detail

/* A task whose body returned a T (void: nothing, or an Error). */
template <typename T>
class Task : public TaskPtr
{
public:
  Task () noexcept = default;
  explicit Task (TaskPtr task) noexcept : TaskPtr (std::move (task)) {}
};

/* Runs @body (a callable taking no arguments) as a libbridge task on @loop
 * (nullptr: the current task's loop, or this thread's). What the body returns
 * becomes the task's result: nothing (void), an Error, a Result<T>, or any
 * movable T. The body must not let an exception escape: one that does is
 * caught, reported with g_critical() and turned into the task's error. */
template <typename F>
auto
spawn (F        &&body,
       const char *name = nullptr,
       BridgeLoop *loop = nullptr)
{
  using Fn = std::decay_t<F>;
  using T = typename Detail::ValueOf<std::invoke_result_t<Fn &>>::type;
  auto *copy = new Fn (std::forward<F> (body));
  BridgeTask *task = bridge_spawn_full (loop, name, BRIDGE_STACK_SIZE_DEFAULT,
                                        Detail::run_body<Fn>, copy, Detail::destroy_body<Fn>);

  return Task<T> (TaskPtr::adopt (task));
}

/* Waits, inside a task, for @future. False with @error set when it failed
 * or was cancelled (G_IO_ERROR_CANCELLED). */
inline bool
await (BridgeFuture *future,
       Error        *error = nullptr)
{
  Error failure;

  if (bridge_await (future, failure.out ()))
    return true;
  propagate (error, std::move (failure));
  return false;
}

template <typename P>
bool
await (const RefPtr<P> &handle,
       Error           *error = nullptr)
{
  return await (handle.future (), error);
}

/* Waits for a task made by spawn(): bool for Task<void>, else the value (a
 * copy: several tasks may await one task). */
template <typename T>
auto
await (const Task<T> &task,
       Error         *error = nullptr)
{
  if constexpr (std::is_void_v<T>)
    return await (task.future (), error);
  else
    {
      Error failure;

      if (!bridge_await (task.future (), failure.out ()))
        {
          propagate (error, std::move (failure));
          return std::optional<T> ();
        }
      auto *base = static_cast<Detail::BoxBase *> (bridge_future_get_pointer (task.future (), nullptr));
      auto *box = dynamic_cast<Detail::Box<T> *> (base);
      if (box == nullptr)
        {
          propagate (error, Error (BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                                   QStringLiteral ("the task finished without a value of the awaited type")));
          return std::optional<T> ();
        }
      return std::optional<T> (box->value);
    }
}

/* asyncio.sleep() */
inline bool
sleep (double  seconds,
       Error  *error = nullptr)
{
  Error failure;

  if (bridge_sleep (seconds, failure.out ()))
    return true;
  propagate (error, std::move (failure));
  return false;
}

} // namespace Bridge
