/* bridge-qt-loop.cpp
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "libbridge-qt.h"

#include <QAbstractEventDispatcher>
#include <QCoreApplication>
#include <QSocketNotifier>
#include <QThread>
#include <QTimer>

#include <cerrno>
#include <map>
#include <vector>

#include <poll.h>

namespace Bridge {

static thread_local QtLoop *current_qt_loop = nullptr;

/* Qt's GLib dispatcher (and the QPA platforms' subclass of it) iterates the
 * thread-default GMainContext of its thread. */
static bool
dispatcher_is_glib (QAbstractEventDispatcher *dispatcher)
{
  return dispatcher != nullptr && dispatcher->inherits ("QEventDispatcherGlib");
}

/* One fd's watchers. GLib may list an fd more than once (two sources on one
 * socket); the notifiers watch the union of what is asked. */
struct FdWatch
{
  QSocketNotifier *read = nullptr;
  QSocketNotifier *write = nullptr;
  QSocketNotifier *exception = nullptr;
  bool             seen = false;
};

struct QtLoop::Driver
{
  QtLoop                  *owner;
  GMainContext            *context;
  QTimer                   timer;
  std::vector<GPollFD>     fds;
  int                      max_priority = G_MAXINT;
  int                      n_fds = 0;
  std::vector<GPollFD>     armed;        /* what the notifiers watch now */
  std::map<int, FdWatch>   watches;
  QMetaObject::Connection  about_to_block;
  QMetaObject::Connection  awake;
  bool                     arming = false;
  bool                     iterated_since_awake = false;

  Driver (QtLoop *owner_, GMainContext *context_)
    : owner (owner_), context (context_), fds (16)
  {
    timer.setSingleShot (true);
    timer.setTimerType (Qt::PreciseTimer);
    QObject::connect (&timer, &QTimer::timeout, owner, [this] () { iterate (); });

    /* Qt code (a slot, an event handler) may queue libbridge work or add a
     * GSource between two iterations, while this thread owns the context and
     * GLib therefore sends it no wakeup: ask GLib again before Qt sleeps,
     * as GLib's own loop prepares before every poll(). */
    about_to_block = QObject::connect (QAbstractEventDispatcher::instance (), &QAbstractEventDispatcher::aboutToBlock,
                                       owner, [this] () {
      iterated_since_awake = false;
      arm ();
    });
    /* Qt wakes from poll() once for many ready fds and then activates their
     * notifiers one by one; the first iteration polls and dispatches them
     * all, so the others in the same batch have nothing left to do. */
    awake = QObject::connect (QAbstractEventDispatcher::instance (), &QAbstractEventDispatcher::awake,
                              owner, [this] () { iterated_since_awake = false; });
    arm ();
  }

  ~Driver ()
  {
    QObject::disconnect (about_to_block);
    QObject::disconnect (awake);
    for (auto &[fd, watch] : watches)
      {
        delete watch.read;
        delete watch.write;
        delete watch.exception;
      }
  }

  QSocketNotifier *
  make_notifier (int fd, QSocketNotifier::Type type)
  {
    auto *notifier = new QSocketNotifier (fd, type, owner);

    QObject::connect (notifier, &QSocketNotifier::activated, owner, [this] () {
      if (!iterated_since_awake)
        iterate ();
    });
    return notifier;
  }

  void
  watch (QSocketNotifier *&notifier, int fd, QSocketNotifier::Type type, bool wanted)
  {
    if (wanted && notifier == nullptr)
      notifier = make_notifier (fd, type);
    else if (notifier != nullptr && notifier->isEnabled () != wanted)
      notifier->setEnabled (wanted);
  }

  /* GLib's prepare + query, mirrored into Qt: a notifier per fd, a timer for
   * the timeout. Notifiers that are no longer wanted are disabled, not
   * deleted: one of them may be emitting right now, further up the stack. */
  void
  arm ()
  {
    int timeout = -1;

    if (arming)
      return;
    arming = true;

    g_main_context_prepare (context, &max_priority);
    for (;;)
      {
        n_fds = g_main_context_query (context, max_priority, &timeout, fds.data (), (int) fds.size ());
        if (n_fds <= (int) fds.size ())
          break;
        fds.resize (n_fds);
      }

    if (!same_as_armed ())
      sync_notifiers ();

    if (timeout < 0)
      timer.stop ();
    else
      timer.start (timeout);

    arming = false;
  }

  /* Most iterations wait for the same fds as the one before. */
  bool
  same_as_armed () const
  {
    if ((int) armed.size () != n_fds)
      return false;
    for (int i = 0; i < n_fds; i++)
      if (armed[i].fd != fds[i].fd || armed[i].events != fds[i].events)
        return false;
    return true;
  }

  void
  sync_notifiers ()
  {
    armed.assign (fds.begin (), fds.begin () + n_fds);

    for (auto &[fd, watch] : watches)
      watch.seen = false;

    std::map<int, gushort> wanted;
    for (int i = 0; i < n_fds; i++)
      wanted[fds[i].fd] |= fds[i].events;

    for (auto &[fd, events] : wanted)
      {
        FdWatch &w = watches[fd];

        w.seen = true;
        watch (w.read, fd, QSocketNotifier::Read, (events & (G_IO_IN | G_IO_HUP | G_IO_ERR)) != 0);
        watch (w.write, fd, QSocketNotifier::Write, (events & G_IO_OUT) != 0);
        watch (w.exception, fd, QSocketNotifier::Exception, (events & G_IO_PRI) != 0);
      }
    for (auto &[fd, w] : watches)
      if (!w.seen)
        {
          watch (w.read, fd, QSocketNotifier::Read, false);
          watch (w.write, fd, QSocketNotifier::Write, false);
          watch (w.exception, fd, QSocketNotifier::Exception, false);
        }
  }

  /* A notifier or the timer fired: learn every fd's state without waiting,
   * let GLib check and dispatch, and ask again. Also runs inside a nested Qt
   * event loop started by a dispatched callback (a task calling
   * QDialog::exec()), where GLib itself keeps the dispatching source from
   * recursing, exactly as in a nested g_main_context_iteration(). */
  void
  iterate ()
  {
    int n = n_fds;
    int ready;

    iterated_since_awake = true;
    for (int i = 0; i < n; i++)
      fds[i].revents = 0;
    do
      ready = ::poll (reinterpret_cast<struct pollfd *> (fds.data ()), (nfds_t) n, 0);
    while (ready < 0 && errno == EINTR);

    if (g_main_context_check (context, max_priority, fds.data (), n))
      g_main_context_dispatch (context);
    arm ();
  }
};

static_assert (sizeof (GPollFD) == sizeof (struct pollfd), "GPollFD must match struct pollfd");

QtLoop::QtLoop (QObject *parent)
  : QObject (parent)
{
  QAbstractEventDispatcher *dispatcher = QAbstractEventDispatcher::instance ();
  QCoreApplication *app = QCoreApplication::instance ();

  if (current_qt_loop != nullptr)
    {
      g_critical ("Bridge::QtLoop: this thread already has one; create one QtLoop per thread");
      return;
    }
  if (app == nullptr || dispatcher == nullptr)
    {
      g_critical ("Bridge::QtLoop: create it after the QCoreApplication, on a thread that runs a Qt event loop");
      return;
    }

  if (dispatcher_is_glib (dispatcher))
    {
      /* Qt's dispatcher pushed its context as this thread's default. */
      m_context = g_main_context_ref_thread_default ();
      m_loop = bridge_loop_new (m_context);
    }
  else
    {
      if (QThread::currentThread () == app->thread ())
        m_context = g_main_context_ref (g_main_context_default ());
      else
        {
          /* Each QThread its own context, the thread default so that GIO
           * calls made by its tasks call back here. */
          m_context = g_main_context_new ();
          g_main_context_push_thread_default (m_context);
          m_pushed_context = true;
        }
      if (!g_main_context_acquire (m_context))
        {
          g_critical ("Bridge::QtLoop: another thread owns this thread's GMainContext; it cannot be driven from Qt here");
          if (m_pushed_context)
            g_main_context_pop_thread_default (m_context);
          m_pushed_context = false;
          g_clear_pointer (&m_context, g_main_context_unref);
          return;
        }
      m_loop = bridge_loop_new (m_context);
      m_driver = std::make_unique<Driver> (this, m_context);
    }

  current_qt_loop = this;
}

QtLoop::~QtLoop ()
{
  if (m_context == nullptr)
    return;

  if (current_qt_loop != this)
    g_critical ("Bridge::QtLoop: destroyed on another thread than its own");
  else
    current_qt_loop = nullptr;

  if (m_driver != nullptr)
    {
      m_driver.reset ();
      g_main_context_release (m_context);
    }
  g_clear_object (&m_loop);
  if (m_pushed_context)
    g_main_context_pop_thread_default (m_context);
  g_main_context_unref (m_context);
}

BridgeLoop *
QtLoop::loop () const
{
  return m_loop;
}

GMainContext *
QtLoop::context () const
{
  return m_context;
}

bool
QtLoop::drivesContext () const
{
  return m_driver != nullptr;
}

QtLoop *
QtLoop::current ()
{
  return current_qt_loop;
}

} // namespace Bridge
