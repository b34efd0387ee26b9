/* progress-delegate.h: progress bars drawn in a table column.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <QCache>
#include <QImage>
#include <QStyledItemDelegate>

/* Draws the cell's Qt::UserRole value (per mille, or -1 for "size unknown")
 * as a progress bar. A delegate rather than a QProgressBar per row: a
 * QProgressBar repaints at once on every setValue() that shows, while a
 * changed item only marks its cell dirty, and the view paints all dirty
 * cells once per frame. It also says which changes would show: a bar a
 * few hundred pixels wide moves by a pixel every few per mille, and the
 * percentage it prints changes every ten.
 *
 * The style's bar (a rounded frame, a gradient, its text drawn twice) costs
 * far more than copying its pixels, and the downloads of a burst of data
 * move together, so the rows show the same few bars: each cell as the view
 * would paint it is kept as an image, keyed by everything that shapes it. */
class ProgressDelegate final : public QStyledItemDelegate
{
public:
  using QStyledItemDelegate::QStyledItemDelegate;

  static constexpr int Maximum = 1000;

  void paint (QPainter                   *painter,
              const QStyleOptionViewItem &option,
              const QModelIndex          &index) const override;

  /* Whether bars showing @a and @b paint the same pixels: the same text
   * and a fill as wide, at the width the bars were last painted. */
  bool looksSame (int a, int b) const;

  /* Painting straight through the style instead, the kept images kept
   * for later (the self-test compares the two). */
  void setCacheEnabled (bool enabled);

private:
  void paint_bar (QPainter *painter, const QStyleOptionViewItem &option, int value) const;

  mutable int                      m_contents_width = 0;   /* 0: not painted yet */
  mutable QCache<QString, QImage>  m_cells { 8 * 1024 };   /* cost in KiB */
  bool                             m_cache_enabled = true;
};
