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

/* At most this many ready fds are handed to GLib in one pass of Qt's loop.
 * GLib dispatches every source whose fd is ready, with no budget: after a
 * burst (many sockets receiving at once, or a thread that was not scheduled
 * for a while) one pass would run all of their callbacks before Qt's timers
 * and painting get a turn. The fds held back are still ready, so Qt's next
 * poll() returns at once and the next pass takes them. */
#define READY_FDS_PER_PASS 16

/* The notifiers of one fd, made on first use and then only enabled or
 * disabled: creating a QSocketNotifier registers it with the dispatcher. */
struct FdWatch
{
  QSocketNotifier *read = nullptr;
  QSocketNotifier *write = nullptr;
  QSocketNotifier *exception = nullptr;
};

struct QtLoop::Driver
{
  QtLoop                  *owner;
  GMainContext            *context;
  QTimer                   timer;
  std::vector<GPollFD>     fds;           /* the last query, n_fds of them */
  int                      n_fds = 0;
  int                      max_priority = G_MAXINT;
  std::vector<GPollFD>     armed;         /* what the notifiers watch now */
  std::vector<FdWatch>     watches;       /* indexed by fd */
  QMetaObject::Connection  about_to_block;
  QMetaObject::Connection  awake;
  bool                     prepared = false;
  bool                     iterated_since_awake = false;
  int                      last_handed_fd = -1;   /* where the next pass starts */

  Driver (QtLoop *owner_, GMainContext *context_)
    : owner (owner_), context (context_), fds (64)
  {
    QAbstractEventDispatcher *dispatcher = QAbstractEventDispatcher::instance ();

    timer.setSingleShot (true);
    timer.setTimerType (Qt::PreciseTimer);
    QObject::connect (&timer, &QTimer::timeout, owner, [this] () {
      /* Qt activates due timers after the notifiers of the same wakeup,
       * and the timer of a source that is ready at once (a loop whose
       * budget ran out with work left) is due at every wakeup: dispatching
       * again here would run two budgets back to back before Qt's own
       * timers get their turn. The next wakeup takes the work, and the
       * timer is kept armed for it in case Qt does not sleep in between
       * (no aboutToBlock, so no prepare). */
      if (iterated_since_awake)
        timer.start (0);
      else
        iterate ();
    });

    /* Qt code (a slot, an event handler) may queue libbridge work or add a
     * GSource between two iterations, while this thread owns the context and
     * GLib therefore sends it no wakeup: prepare again before Qt sleeps, as
     * GLib's own loop prepares before every poll(). */
    about_to_block = QObject::connect (dispatcher, &QAbstractEventDispatcher::aboutToBlock, owner, [this] () {
      iterated_since_awake = false;
      prepare_and_arm ();
    });
    /* Qt wakes from poll() once for many ready fds and then activates their
     * notifiers one by one, then its due timers; the first iteration polls
     * and dispatches them all, so the others in the same batch have nothing
     * left to do. awake is emitted as Qt starts a pass of its loop. */
    awake = QObject::connect (dispatcher, &QAbstractEventDispatcher::awake, owner, [this] () {
      iterated_since_awake = false;
    });
    prepare_and_arm ();
  }

  ~Driver ()
  {
    QObject::disconnect (about_to_block);
    QObject::disconnect (awake);
    for (FdWatch &watch : watches)
      {
        delete watch.read;
        delete watch.write;
        delete watch.exception;
      }
  }

  void
  watch (QSocketNotifier *&notifier, int fd, QSocketNotifier::Type type, bool wanted)
  {
    if (wanted && notifier == nullptr)
      {
        notifier = new QSocketNotifier (fd, type, owner);
        QObject::connect (notifier, &QSocketNotifier::activated, owner, [this] () {
          if (!iterated_since_awake)
            iterate ();
        });
      }
    else if (notifier != nullptr && notifier->isEnabled () != wanted)
      notifier->setEnabled (wanted);
  }

  /* Disabled, never deleted here: a notifier may be emitting right now,
   * further up the stack. */
  void
  watch_fd (int fd, gushort events)
  {
    if (fd < 0)
      return;
    if ((size_t) fd >= watches.size ())
      watches.resize (fd + 1);
    FdWatch &w = watches[fd];
    watch (w.read, fd, QSocketNotifier::Read, (events & (G_IO_IN | G_IO_HUP | G_IO_ERR)) != 0);
    watch (w.write, fd, QSocketNotifier::Write, (events & G_IO_OUT) != 0);
    watch (w.exception, fd, QSocketNotifier::Exception, (events & G_IO_PRI) != 0);
  }

  /* GLib's query lists each fd once, sorted: walk the old list and the new
   * one together and touch only the fds that changed. */
  void
  sync_notifiers ()
  {
    size_t old_i = 0, new_i = 0, n_old = armed.size (), n_new = (size_t) n_fds;

    while (old_i < n_old || new_i < n_new)
      {
        if (new_i == n_new || (old_i < n_old && armed[old_i].fd < fds[new_i].fd))
          watch_fd (armed[old_i++].fd, 0);
        else if (old_i == n_old || fds[new_i].fd < armed[old_i].fd)
          {
            watch_fd (fds[new_i].fd, fds[new_i].events);
            new_i++;
          }
        else
          {
            if (armed[old_i].events != fds[new_i].events)
              watch_fd (fds[new_i].fd, fds[new_i].events);
            old_i++;
            new_i++;
          }
      }
    armed.assign (fds.begin (), fds.begin () + n_fds);
  }

  /* The fds GLib waits for; returns the timeout its last prepare computed. */
  int
  query ()
  {
    int timeout = -1;

    for (;;)
      {
        n_fds = g_main_context_query (context, max_priority, &timeout, fds.data (), (int) fds.size ());
        if (n_fds <= (int) fds.size ())
          break;
        fds.resize (n_fds);
      }
    sync_notifiers ();
    return timeout;
  }

  /* GLib's prepare + query, mirrored into Qt: a notifier per fd, a precise
   * timer for the timeout. */
  void
  prepare_and_arm ()
  {
    g_main_context_prepare (context, &max_priority);
    int timeout = query ();
    prepared = true;

    if (timeout < 0)
      timer.stop ();
    else
      timer.start (timeout);
  }

  /* Keeps READY_FDS_PER_PASS of the ready fds and clears the others, to
   * GLib as if they were not ready yet. The fds kept are the next ones after
   * those handed over last time (the list is sorted by fd), so that every
   * ready fd gets its turn within a few passes. */
  void
  hold_back_ready_fds ()
  {
    int start = 0, handed = 0;

    while (start < n_fds && fds[start].fd <= last_handed_fd)
      start++;
    for (int k = 0; k < n_fds; k++)
      {
        GPollFD &pollfd = fds[(start + k) % n_fds];

        if (pollfd.revents == 0)
          continue;
        if (handed < READY_FDS_PER_PASS)
          {
            handed++;
            last_handed_fd = pollfd.fd;
          }
        else
          pollfd.revents = 0;
      }
  }

  /* A notifier or the timer fired: learn every fd's state without waiting,
   * let GLib check and dispatch, then bring the notifiers up to date at
   * once (a source may have closed its fd). The timeout is left to the
   * prepare before Qt sleeps again. Also runs inside a nested Qt event loop
   * started by a dispatched callback (a task calling QDialog::exec()),
   * where GLib itself keeps the dispatching source from recursing, exactly
   * as in a nested g_main_context_iteration(). */
  void
  iterate ()
  {
    int ready;

    iterated_since_awake = true;
    /* check must follow a prepare: Qt ran other events since the last one
     * without sleeping in between. */
    if (!prepared)
      prepare_and_arm ();

    for (int i = 0; i < n_fds; i++)
      fds[i].revents = 0;
    do
      ready = ::poll (reinterpret_cast<struct pollfd *> (fds.data ()), (nfds_t) n_fds, 0);
    while (ready < 0 && errno == EINTR);

    if (ready > READY_FDS_PER_PASS)
      hold_back_ready_fds ();

    prepared = false;
    if (g_main_context_check (context, max_priority, fds.data (), n_fds))
      g_main_context_dispatch (context);
    /* A nested loop inside the dispatch may have prepared meanwhile; what
     * ran after that makes it stale. */
    prepared = false;
    query ();
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
