/* libbridge-qt-close.h: an asynchronous closeEvent() for Qt windows.
 * Needs Qt6Gui (for QCloseEvent) besides libbridge-qt-1.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <QCloseEvent>
#include <QPointer>

#include <utility>

#include "libbridge-qt.h"

namespace Bridge {

/* qasync's asyncClose, as a member of a QWidget or QWindow:
 *
 *   void closeEvent (QCloseEvent *event) override
 *   {
 *     m_close.handle (this, event, [this] () { cancel_and_await_downloads (); });
 *   }
 *
 * The first close request is refused while @cleanup runs as a task; when the
 * task ends (however it ends) the widget is closed for real. Requests that
 * arrive meanwhile are refused too, and the cleanup runs once. */
class AsyncClose
{
public:
  template <typename Window, typename Cleanup>
  void
  handle (Window      *widget,
          QCloseEvent *event,
          Cleanup    &&cleanup)
  {
    if (m_cleaned_up)
      {
        event->accept ();
        return;
      }
    event->ignore ();
    if (m_cleanup)
      return;

    QPointer<Window> guard (widget);
    m_cleanup = spawn ([this, guard, cleanup = std::forward<Cleanup> (cleanup)] () mutable {
      cleanup ();
      m_cleaned_up = true;
      if (!guard.isNull ())
        guard->close ();
    }, "async close");
  }

  /* True while the cleanup task runs. */
  bool isClosing () const { return m_cleanup && !m_cleaned_up; }

private:
  TaskPtr m_cleanup;
  bool    m_cleaned_up = false;
};

} // namespace Bridge
