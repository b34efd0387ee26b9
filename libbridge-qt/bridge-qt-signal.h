/* bridge-qt-signal.h
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

#include <optional>
#include <tuple>
#include <type_traits>


#include "bridge-qt-error.h"
#include "bridge-qt-handle.h"
#include "bridge-qt-task.h"

namespace Bridge {

/* Waits, inside a task, for the next emission of @signal by @sender and
 * returns its arguments (copies) as a std::tuple. An empty optional with
 * @error set when the task is cancelled (G_IO_ERROR_CANCELLED), when
 * @timeout seconds pass first (G_IO_ERROR_TIMED_OUT; negative: no timeout),
 * when @sender is destroyed, or when called outside a task
 * (BRIDGE_ERROR_INVALID_STATE). The connection lasts only while waiting.
 * A sender on another thread works too: the emission is queued to the
 * task's thread. */
template <typename Sender, typename Class, typename... Args>
std::optional<std::tuple<std::decay_t<Args>...>>
awaitSignal (const Sender *sender,
             void (Class::*signal) (Args...),
             Error *error = nullptr,
             double timeout = -1)
{
  static_assert (std::is_base_of_v<Class, Sender>, "the signal must belong to the sender's class");
  using Arguments = std::tuple<std::decay_t<Args>...>;

  if (bridge_task_get_current () == nullptr)
    {
      propagate (error, Error (BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                               QStringLiteral ("Bridge::awaitSignal() outside a task")));
      return std::nullopt;
    }
  if (sender == nullptr)
    {
      propagate (error, Error (BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                               QStringLiteral ("Bridge::awaitSignal() on a null sender")));
      return std::nullopt;
    }

  FuturePtr emitted = FuturePtr::adopt (bridge_future_new ());
  std::optional<Arguments> arguments;
  /* Lives on this thread: a sender elsewhere gets a queued connection, and
   * leaving this function disconnects both handlers. */
  QObject receiver;

  QObject::connect (sender, signal, &receiver, [&arguments, &emitted] (Args... args) {
    if (!arguments.has_value () && !bridge_future_is_done (emitted.get ()))
      {
        arguments.emplace (args...);
        bridge_future_set_boolean (emitted.get (), TRUE, nullptr);
      }
  });
  QObject::connect (sender, &QObject::destroyed, &receiver, [&emitted] () {
    if (!bridge_future_is_done (emitted.get ()))
      bridge_future_set_error (emitted.get (),
                               g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                                    "the sender was destroyed before it emitted the signal"),
                               nullptr);
  });

  Error failure;
  bool done = timeout < 0 ? bridge_await (emitted.get (), failure.out ())
                          : bridge_wait_for (emitted.get (), timeout, failure.out ());
  if (!done || !arguments.has_value ())
    {
      if (!failure)
        failure = Error (G_IO_ERROR, G_IO_ERROR_FAILED, QStringLiteral ("the signal was not emitted"));
      propagate (error, std::move (failure));
      return std::nullopt;
    }
  return arguments;
}

} // namespace Bridge
