/* bridge-qt-error.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_QT_INSIDE) && !defined (BRIDGE_QT_COMPILATION)
# error "Only <libbridge-qt.h> can be included directly."
#endif

#include <QString>

#include <optional>
#include <utility>

#include <gio/gio.h>

namespace Bridge {

/* Owns at most one GError. libbridge-qt reports failures through these
 * instead of C++ exceptions: an exception must never unwind out of a task's
 * fiber (see README.md, "Errors, not exceptions"). */
class Error
{
public:
  Error () noexcept = default;
  explicit Error (GError *adopted) noexcept : m_error (adopted) {}
  Error (GQuark domain, int code, const QString &message)
    : m_error (g_error_new_literal (domain, code, message.toUtf8 ().constData ())) {}
  Error (const Error &other) : m_error (other.m_error ? g_error_copy (other.m_error) : nullptr) {}
  Error (Error &&other) noexcept : m_error (std::exchange (other.m_error, nullptr)) {}
  ~Error () { clear (); }

  Error &
  operator= (Error other) noexcept
  {
    std::swap (m_error, other.m_error);
    return *this;
  }

  /* For a C function's GError ** argument; drops any error held before. */
  GError **
  out () noexcept
  {
    clear ();
    return &m_error;
  }

  void
  clear () noexcept
  {
    if (m_error != nullptr)
      g_error_free (std::exchange (m_error, nullptr));
  }

  /* Hands the GError over (for bridge_task_return_error() and the like). */
  GError *release () noexcept { return std::exchange (m_error, nullptr); }
  const GError *get () const noexcept { return m_error; }

  bool isSet () const noexcept { return m_error != nullptr; }
  explicit operator bool () const noexcept { return isSet (); }

  bool
  matches (GQuark domain, int code) const noexcept
  {
    return g_error_matches (m_error, domain, code);
  }

  bool isCancelled () const noexcept { return matches (G_IO_ERROR, G_IO_ERROR_CANCELLED); }
  bool isTimedOut () const noexcept { return matches (G_IO_ERROR, G_IO_ERROR_TIMED_OUT); }

  QString
  message () const
  {
    return m_error != nullptr ? QString::fromUtf8 (m_error->message) : QString ();
  }

private:
  GError *m_error = nullptr;
};

/* What a task body returns when it can fail: a value or an Error. */
template <typename T>
class Result
{
public:
  Result (T value) : m_value (std::move (value)) {}
  Result (Error error) : m_error (std::move (error)) {}

  bool ok () const noexcept { return m_value.has_value (); }
  std::optional<T> &value () noexcept { return m_value; }
  Error &error () noexcept { return m_error; }

private:
  std::optional<T> m_value;
  Error            m_error;
};

/* Copies @error into @out when the caller asked for it. */
inline void
propagate (Error *out, Error &&error)
{
  if (out != nullptr)
    *out = std::move (error);
}

} // namespace Bridge
