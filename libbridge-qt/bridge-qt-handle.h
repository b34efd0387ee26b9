/* bridge-qt-handle.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_QT_INSIDE) && !defined (BRIDGE_QT_COMPILATION)
# error "Only <libbridge-qt.h> can be included directly."
#endif

#include <cstddef>
#include <type_traits>
#include <utility>


namespace Bridge {

template <typename T> struct RefTraits;

template <>
struct RefTraits<BridgeTask>
{
  static void ref (BridgeTask *task) { bridge_task_ref (task); }
  static void unref (BridgeTask *task) { bridge_task_unref (task); }
};

template <>
struct RefTraits<BridgeFuture>
{
  static void ref (BridgeFuture *future) { bridge_future_ref (future); }
  static void unref (BridgeFuture *future) { bridge_future_unref (future); }
};

/* A reference to a libbridge task or future, dropped when it goes out of
 * scope. Copies share the object. */
template <typename T>
class RefPtr
{
public:
  RefPtr () noexcept = default;
  RefPtr (std::nullptr_t) noexcept {}
  RefPtr (const RefPtr &other) noexcept : m_ptr (other.m_ptr) { if (m_ptr) RefTraits<T>::ref (m_ptr); }
  RefPtr (RefPtr &&other) noexcept : m_ptr (std::exchange (other.m_ptr, nullptr)) {}
  ~RefPtr () { reset (); }

  RefPtr &
  operator= (RefPtr other) noexcept
  {
    std::swap (m_ptr, other.m_ptr);
    return *this;
  }

  /* Takes over a reference the caller owns (a `transfer full` return). */
  static RefPtr
  adopt (T *ptr) noexcept
  {
    RefPtr result;
    result.m_ptr = ptr;
    return result;
  }

  /* Takes a new reference. */
  static RefPtr
  ref (T *ptr) noexcept
  {
    if (ptr != nullptr)
      RefTraits<T>::ref (ptr);
    return adopt (ptr);
  }

  void
  reset () noexcept
  {
    if (m_ptr != nullptr)
      RefTraits<T>::unref (std::exchange (m_ptr, nullptr));
  }

  T *get () const noexcept { return m_ptr; }
  T *release () noexcept { return std::exchange (m_ptr, nullptr); }
  explicit operator bool () const noexcept { return m_ptr != nullptr; }

  BridgeFuture *future () const noexcept { return BRIDGE_FUTURE (m_ptr); }
  bool isDone () const noexcept { return m_ptr != nullptr && bridge_future_is_done (future ()); }
  bool isCancelled () const noexcept { return m_ptr != nullptr && bridge_future_is_cancelled (future ()); }

  /* A cancellation request (asyncio's Task.cancel()/Future.cancel()). */
  bool cancel (const char *message = nullptr) const noexcept
  {
    if constexpr (std::is_same_v<T, BridgeTask>)
      return m_ptr != nullptr && bridge_task_cancel (m_ptr, message);
    else
      return m_ptr != nullptr && bridge_future_cancel (m_ptr, message);
  }

private:
  T *m_ptr = nullptr;
};

using TaskPtr = RefPtr<BridgeTask>;
using FuturePtr = RefPtr<BridgeFuture>;

} // namespace Bridge
