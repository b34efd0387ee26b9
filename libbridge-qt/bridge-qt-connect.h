/* bridge-qt-connect.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_QT_INSIDE) && !defined (BRIDGE_QT_COMPILATION)
# error "Only <libbridge-qt.h> can be included directly."
#endif

#include <QObject>
#include <QPointer>

#include <cstddef>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>


#include "bridge-qt-handle.h"
#include "bridge-qt-task.h"

namespace Bridge {

/* What a new emission does while tasks of an earlier one still run. */
enum class ConnectPolicy
{
  Parallel,   /* one more task per emission */
  Restart,    /* cancel the running ones first: search as you type */
  Exclusive,  /* ignore the emission: a double-click guard */
};

namespace Detail {

/* The tasks one connectTask() connection has running, owned by the context
 * object: its destruction cancels them. */
class TaskBinding final : public QObject
{
public:
  TaskBinding (QObject *context, ConnectPolicy policy_)
    : QObject (context), policy (policy_) {}

  ~TaskBinding () override
  {
    for (auto &task : tasks)
      task.cancel ("the context object of the task was destroyed");
  }

  /* False when the policy says to skip this emission. */
  bool
  admit ()
  {
    drop_finished ();
    if (tasks.empty () || policy == ConnectPolicy::Parallel)
      return true;
    if (policy == ConnectPolicy::Exclusive)
      return false;
    for (auto &task : tasks)
      task.cancel ("restarted by a new emission");
    return true;
  }

  void
  add (TaskPtr task)
  {
    tasks.push_back (std::move (task));
  }

  void
  drop_finished ()
  {
    std::vector<TaskPtr> live;
    for (auto &task : tasks)
      if (!task.isDone ())
        live.push_back (task);
    tasks.swap (live);
  }

  const ConnectPolicy  policy;
  std::vector<TaskPtr> tasks;
};

template <typename Body, typename Tuple, typename Sequence> struct InvocableWith;
template <typename Body, typename Tuple, std::size_t... I>
struct InvocableWith<Body, Tuple, std::index_sequence<I...>>
  : std::is_invocable<Body &, std::tuple_element_t<I, Tuple> &...> {};

template <typename Body, typename Tuple, std::size_t... I>
decltype (auto)
call_prefix (Body &body, Tuple &args, std::index_sequence<I...>)
{
  return body (std::get<I> (args)...);
}

/* Calls @body with as many leading signal arguments as it takes, as Qt does
 * for slots. */
template <typename Body, typename Tuple, std::size_t N = std::tuple_size_v<Tuple>>
decltype (auto)
call_with_leading (Body  &body,
                   Tuple &args)
{
  if constexpr (InvocableWith<Body, Tuple, std::make_index_sequence<N>>::value)
    return call_prefix (body, args, std::make_index_sequence<N> ());
  else
    {
      static_assert (N > 0, "the task body cannot be called with the signal's arguments");
      if constexpr (N > 0)
        return call_with_leading<Body, Tuple, N - 1> (body, args);
    }
}

} // namespace Detail

/* qasync's asyncSlot: each emission of @signal by @sender runs @body (called
 * with the signal's leading arguments, copied) as a new libbridge task on
 * @context's thread, subject to @policy. The tasks are bound to @context:
 * destroying it disconnects the signal and cancels the tasks still running
 * (they see G_IO_ERROR_CANCELLED from their current await; @context is gone
 * by then, so a body must not touch it after a failed await). Disconnecting
 * the returned connection stops new tasks and leaves running ones alone. */
template <typename Sender, typename Class, typename... Args, typename Body>
QMetaObject::Connection
connectTask (const Sender    *sender,
             void (Class::*signal) (Args...),
             QObject         *context,
             Body           &&body,
             ConnectPolicy    policy = ConnectPolicy::Parallel)
{
  static_assert (std::is_base_of_v<Class, Sender>, "the signal must belong to the sender's class");
  using Fn = std::decay_t<Body>;
  using Arguments = std::tuple<std::decay_t<Args>...>;

  if (sender == nullptr || context == nullptr)
    {
      g_critical ("Bridge::connectTask: the sender and the context object must not be null");
      return {};
    }

  auto *binding = new Detail::TaskBinding (context, policy);
  auto shared_body = std::make_shared<Fn> (std::forward<Body> (body));

  return QObject::connect (sender, signal, binding, [binding, shared_body] (Args... args) {
    if (!binding->admit ())
      return;
    binding->add (spawn ([shared_body, arguments = Arguments (args...)] () mutable {
      return Detail::call_with_leading (*shared_body, arguments);
    }));
  });
}

} // namespace Bridge
