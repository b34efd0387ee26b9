/* fetch-window.h: the demo's main window.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <QMainWindow>

#include <vector>

#include "libbridge-qt-close.h"

class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;
class QTableWidgetItem;
class ProgressDelegate;
class StallMeter;

/* A list of URLs, each with its progress bar and status; Fetch All runs one
 * libbridge task per URL not yet fetched, all at once; Cancel cancels them.
 * The stall meter in the status bar shows that the window keeps drawing and
 * answering while they run. */
class FetchWindow final : public QMainWindow
{
public:
  enum class RowState { Queued, Running, Done, Failed, Cancelled };

  explicit FetchWindow (QWidget *parent = nullptr);
  ~FetchWindow () override;

  void        addUrl (const QString &url);

  int         rowCount () const { return (int) m_rows.size (); }
  RowState    rowState (int row) const { return m_rows[row].state; }
  qint64      rowReceived (int row) const { return m_rows[row].received; }
  QString     rowStatus (int row) const;
  int         runningCount () const;

  QPushButton *fetchAllButton () const { return m_fetch_all; }
  QPushButton *cancelButton () const { return m_cancel; }
  StallMeter  *stallMeter () const { return m_meter; }

protected:
  void        closeEvent (QCloseEvent *event) override;

private:
  struct Row
  {
    QString           url;
    QTableWidgetItem *progress = nullptr;
    int               per_mille = 0;   /* what the bar shows */
    QTableWidgetItem *status = nullptr;
    RowState          state = RowState::Queued;
    qint64            received = 0;
    Bridge::TaskPtr   task;
  };

  void        fetch_all ();
  void        fetch_row (int row);
  void        cancel_all ();
  void        set_row_state (int row, RowState state, const QString &detail = QString ());
  void        set_row_progress (int row, int per_mille);
  void        update_summary ();

  SoupSession        *m_session = nullptr;
  QLineEdit          *m_url_entry = nullptr;
  QTableWidget       *m_table = nullptr;
  ProgressDelegate   *m_progress_delegate = nullptr;
  QPushButton        *m_fetch_all = nullptr;
  QPushButton        *m_cancel = nullptr;
  QLabel             *m_summary = nullptr;
  StallMeter         *m_meter = nullptr;
  std::vector<Row>    m_rows;
  Bridge::AsyncClose  m_close;
};
