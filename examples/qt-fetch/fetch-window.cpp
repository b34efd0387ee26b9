/* fetch-window.cpp
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "fetch-window.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QStatusBar>
#include <QTableWidget>
#include <QVBoxLayout>

#include "progress-delegate.h"
#include "stall-meter.h"
#include "url-fetch.h"

enum { COLUMN_URL, COLUMN_PROGRESS, COLUMN_STATUS, N_COLUMNS };

FetchWindow::FetchWindow (QWidget *parent)
  : QMainWindow (parent)
{
  /* Every download at once: no per-host limit below the list's length. */
  m_session = soup_session_new_with_options ("max-conns", 1024, "max-conns-per-host", 1024, nullptr);

  auto *central = new QWidget (this);
  auto *layout = new QVBoxLayout (central);

  auto *entry_row = new QHBoxLayout ();
  m_url_entry = new QLineEdit (central);
  m_url_entry->setPlaceholderText (tr ("http://127.0.0.1:8080/file?size=10m"));
  auto *add = new QPushButton (tr ("&Add"), central);
  entry_row->addWidget (m_url_entry, 1);
  entry_row->addWidget (add);
  layout->addLayout (entry_row);

  m_table = new QTableWidget (0, N_COLUMNS, central);
  m_table->setHorizontalHeaderLabels ({ tr ("URL"), tr ("Progress"), tr ("Status") });
  m_table->horizontalHeader ()->setSectionResizeMode (COLUMN_URL, QHeaderView::Stretch);
  m_table->horizontalHeader ()->setSectionResizeMode (COLUMN_PROGRESS, QHeaderView::Fixed);
  m_table->horizontalHeader ()->resizeSection (COLUMN_PROGRESS, 180);
  m_table->horizontalHeader ()->resizeSection (COLUMN_STATUS, 220);
  m_table->verticalHeader ()->setVisible (false);
  m_table->verticalHeader ()->setSectionResizeMode (QHeaderView::Fixed);
  m_table->setWordWrap (false);
  m_table->setTextElideMode (Qt::ElideMiddle);
  m_table->setEditTriggers (QAbstractItemView::NoEditTriggers);
  m_table->setSelectionBehavior (QAbstractItemView::SelectRows);
  m_progress_delegate = new ProgressDelegate (m_table);
  m_table->setItemDelegateForColumn (COLUMN_PROGRESS, m_progress_delegate);
  layout->addWidget (m_table, 1);

  auto *buttons = new QHBoxLayout ();
  m_summary = new QLabel (central);
  m_fetch_all = new QPushButton (tr ("&Fetch All"), central);
  m_cancel = new QPushButton (tr ("&Cancel"), central);
  m_cancel->setEnabled (false);
  buttons->addWidget (m_summary, 1);
  buttons->addWidget (m_cancel);
  buttons->addWidget (m_fetch_all);
  layout->addLayout (buttons);

  setCentralWidget (central);
  m_meter = new StallMeter (this);
  statusBar ()->addPermanentWidget (m_meter);
  setWindowTitle (tr ("Qt Fetch: libbridge tasks in a Qt window"));
  resize (820, 520);

  auto add_entry = [this] () {
    QString url = m_url_entry->text ().trimmed ();
    if (!url.isEmpty ())
      addUrl (url);
    m_url_entry->clear ();
  };
  connect (add, &QPushButton::clicked, this, add_entry);
  connect (m_url_entry, &QLineEdit::returnPressed, this, add_entry);

  /* asyncSlot: the click runs fetch_all() as a task bound to the window;
   * a click while it runs is ignored. */
  Bridge::connectTask (m_fetch_all, &QPushButton::clicked, this, [this] () { fetch_all (); },
                       Bridge::ConnectPolicy::Exclusive);
  connect (m_cancel, &QPushButton::clicked, this, [this] () { cancel_all (); });
  update_summary ();
}

FetchWindow::~FetchWindow ()
{
  for (auto &row : m_rows)
    row.task.cancel ();
  g_object_unref (m_session);
}

void
FetchWindow::addUrl (const QString &url)
{
  int index = (int) m_rows.size ();
  Row row;

  row.url = url;
  row.progress = new QTableWidgetItem ();
  row.progress->setData (Qt::UserRole, 0);
  row.status = new QTableWidgetItem ();
  m_table->insertRow (index);
  m_table->setItem (index, COLUMN_URL, new QTableWidgetItem (url));
  m_table->setItem (index, COLUMN_PROGRESS, row.progress);
  m_table->setItem (index, COLUMN_STATUS, row.status);
  m_rows.push_back (row);
  set_row_state (index, RowState::Queued);
}

QString
FetchWindow::rowStatus (int row) const
{
  return m_rows[row].status->text ();
}

int
FetchWindow::runningCount () const
{
  int running = 0;

  for (auto &row : m_rows)
    running += row.state == RowState::Running;
  return running;
}

void
FetchWindow::set_row_progress (int index, int per_mille)
{
  Row &row = m_rows[index];

  /* Only a change the bar can show marks the cell dirty: the downloads of
   * a burst of data all move at once, and every cell repainted is a
   * progress bar drawn by the style. */
  if (!m_progress_delegate->looksSame (row.per_mille, per_mille))
    {
      row.per_mille = per_mille;
      row.progress->setData (Qt::UserRole, per_mille);
    }
}

void
FetchWindow::set_row_state (int index, RowState state, const QString &detail)
{
  Row &row = m_rows[index];
  QString text;

  row.state = state;
  switch (state)
    {
    case RowState::Queued:
      text = tr ("Queued");
      break;
    case RowState::Running:
      text = tr ("Fetching…");
      break;
    case RowState::Done:
      text = tr ("Done, %1 KiB").arg (row.received / 1024);
      set_row_progress (index, ProgressDelegate::Maximum);
      break;
    case RowState::Failed:
      text = tr ("Failed: %1").arg (detail);
      break;
    case RowState::Cancelled:
      text = tr ("Cancelled");
      break;
    }
  row.status->setText (text);
  update_summary ();
}

void
FetchWindow::update_summary ()
{
  int done = 0;

  for (auto &row : m_rows)
    done += row.state == RowState::Done;
  m_summary->setText (tr ("%1 of %2 fetched, %3 running").arg (done).arg (m_rows.size ()).arg (runningCount ()));
}

/* One row: a task of its own, updating its row as the bytes come. Rows
 * are only appended, so the index stays valid. */
void
FetchWindow::fetch_row (int index)
{
  m_rows[index].received = 0;
  set_row_progress (index, 0);
  set_row_state (index, RowState::Running);

  QPointer<FetchWindow> window (this);
  m_rows[index].task = Bridge::spawn ([this, window, index] () {
    QString url = m_rows[index].url;
    auto received = fetch_url (m_session, url, [this, index] (qint64 bytes, qint64 total) {
      m_rows[index].received = bytes;
      set_row_progress (index, total > 0 ? (int) (bytes * ProgressDelegate::Maximum / total) : -1);
    });

    /* A window destroyed meanwhile cancelled this task: nothing to update. */
    if (window.isNull ())
      return;
    if (received.ok ())
      set_row_state (index, RowState::Done);
    else if (received.error ().isCancelled ())
      set_row_state (index, RowState::Cancelled);
    else
      set_row_state (index, RowState::Failed, received.error ().message ());
  }, "fetch row");
}

void
FetchWindow::fetch_all ()
{
  std::vector<int> started;

  for (int i = 0; i < (int) m_rows.size (); i++)
    if (m_rows[i].state != RowState::Done && m_rows[i].state != RowState::Running)
      {
        fetch_row (i);
        started.push_back (i);
      }
  if (started.empty ())
    return;

  m_fetch_all->setEnabled (false);
  m_cancel->setEnabled (true);
  for (int i : started)
    {
      /* The rows report their own outcome; this only waits for them, until
       * this task itself is cancelled (the window going away). */
      Bridge::TaskPtr row_task = m_rows[i].task;
      Bridge::await (row_task);
      if (bridge_task_get_cancelling (bridge_task_get_current ()) > 0)
        return;
    }
  m_fetch_all->setEnabled (true);
  m_cancel->setEnabled (false);
}

void
FetchWindow::cancel_all ()
{
  for (auto &row : m_rows)
    if (row.state == RowState::Running)
      row.task.cancel ("cancelled from the window");
}

/* qasync's asyncClose: closing while downloads run cancels them and waits
 * for them to wind down (their sockets closed) before the window goes. */
void
FetchWindow::closeEvent (QCloseEvent *event)
{
  m_close.handle (this, event, [this] () {
    cancel_all ();
    for (auto &row : m_rows)
      if (row.task && !row.task.isDone ())
        Bridge::await (row.task);
  });
}
