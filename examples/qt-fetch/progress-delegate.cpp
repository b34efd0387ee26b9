/* progress-delegate.cpp
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "progress-delegate.h"

#include <QApplication>
#include <QPainter>
#include <QStyleOptionProgressBar>

static QStyleOptionProgressBar
bar_option (const QStyleOptionViewItem &option,
            int                         value)
{
  QStyleOptionProgressBar bar;

  bar.rect = option.rect.adjusted (2, 2, -2, -2);
  bar.state = option.state | QStyle::State_Horizontal;
  bar.direction = option.direction;
  bar.fontMetrics = option.fontMetrics;
  bar.palette = option.palette;
  bar.minimum = 0;
  bar.maximum = value < 0 ? 0 : ProgressDelegate::Maximum;
  bar.progress = value < 0 ? 0 : value;
  bar.textVisible = value >= 0;
  bar.text = QStringLiteral ("%1%").arg (value / 10);
  bar.textAlignment = Qt::AlignCenter;
  return bar;
}

/* One number per look of the bar: its percentage and its fill in whole
 * pixels of the style's contents rectangle (the style fills it in
 * proportion to the value); zero apart from any progress (the style draws a
 * sliver for any), and "size unknown" apart. Before the first paint the
 * width is not known, and every value is a look of its own. */
static qint64
look_of (int value,
         int contents_width)
{
  if (contents_width <= 0)
    return -10 - ProgressDelegate::Maximum - (qint64) value;
  if (value < 0)
    return -1;
  if (value == 0)
    return 0;
  return 1 + (qint64) (value / 10) * (contents_width + 1) + (qint64) value * contents_width / ProgressDelegate::Maximum;
}

/* The bar, through the style. */
void
ProgressDelegate::paint_bar (QPainter                   *painter,
                             const QStyleOptionViewItem &option,
                             int                         value) const
{
  QStyleOptionProgressBar bar = bar_option (option, value);

  QApplication::style ()->drawControl (QStyle::CE_ProgressBar, &bar, painter);
}

void
ProgressDelegate::paint (QPainter                   *painter,
                         const QStyleOptionViewItem &option,
                         const QModelIndex          &index) const
{
  int value = index.data (Qt::UserRole).toInt ();
  QStyleOptionProgressBar bar = bar_option (option, value);

  m_contents_width = QApplication::style ()->subElementRect (QStyle::SE_ProgressBarContents, &bar).width ();
  if (!m_cache_enabled || option.palette.base ().style () != Qt::SolidPattern)
    {
      paint_bar (painter, option, value);
      return;
    }

  qreal ratio = painter->device ()->devicePixelRatio ();
  QString key = QStringLiteral ("%1x%2@%3 %4 %5 %6 %7 %8 %9")
                  .arg (option.rect.width ()).arg (option.rect.height ()).arg (ratio)
                  .arg ((int) option.state).arg ((int) option.features).arg ((int) option.direction)
                  .arg (option.palette.cacheKey ()).arg (option.font.key ())
                  .arg (look_of (value, m_contents_width));
  QImage *cell = m_cells.object (key);

  if (cell == nullptr)
    {
      QStyleOptionViewItem at_origin = option;

      at_origin.rect.moveTo (0, 0);
      cell = new QImage (option.rect.size () * ratio, QImage::Format_ARGB32_Premultiplied);
      cell->setDevicePixelRatio (ratio);
      {
        QPainter cell_painter (cell);
        /* The cell as the view paints it: the viewport's base, the row's
         * selection or alternate colour, then the bar. */
        cell_painter.fillRect (at_origin.rect, option.palette.base ());
        QApplication::style ()->drawPrimitive (QStyle::PE_PanelItemViewRow, &at_origin, &cell_painter, option.widget);
        paint_bar (&cell_painter, at_origin, value);
      }
      int cost = (int) (cell->sizeInBytes () / 1024) + 1;
      if (!m_cells.insert (key, cell, cost))
        {
          /* Larger than the whole cache: nothing kept, draw it directly. */
          paint_bar (painter, option, value);
          return;
        }
    }
  painter->drawImage (option.rect.topLeft (), *cell);
}

bool
ProgressDelegate::looksSame (int a,
                             int b) const
{
  return a == b || look_of (a, m_contents_width) == look_of (b, m_contents_width);
}

void
ProgressDelegate::setCacheEnabled (bool enabled)
{
  m_cache_enabled = enabled;
}
