/* dl-safe-text.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "dl-safe-text.h"

/* Text from the network (a reason phrase, a file name a server chose, a URL
 * from a list) must never reach a terminal as it is: ESC starts sequences
 * that clear the screen, set the window title or remap keys, a C1 CSI
 * (U+009B) does the same on terminals that honour 8-bit controls, CR and
 * BS overwrite what was printed, and the bidi overrides make a name read
 * differently from what it is ("exe.txt" shown as "txt.exe"). Each such
 * character is written as a visible escape instead, so nothing is lost from
 * a message and nothing in it acts on the terminal. */

/**
 * dl_safe_text_is_unsafe_char:
 * @c: a character
 *
 * Returns: whether @c acts on a terminal or on the order in which text is
 *   shown: the C0 controls (tab and newline included), DEL, the C1
 *   controls, and the bidirectional embeddings, overrides, isolates and
 *   marks
 */
gboolean
dl_safe_text_is_unsafe_char (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
         c == 0x061c ||                      /* ARABIC LETTER MARK */
         c == 0x200e || c == 0x200f ||       /* LRM, RLM */
         (c >= 0x202a && c <= 0x202e) ||     /* LRE, RLE, PDF, LRO, RLO */
         (c >= 0x2066 && c <= 0x2069);       /* LRI, RLI, FSI, PDI */
}

/**
 * dl_safe_text_for_terminal:
 * @text: (nullable): text that came from the network
 *
 * Escapes every character of @text that could act on a terminal (see
 * dl_safe_text_is_unsafe_char()): a byte below 0x80 becomes `\xHH`, any
 * other character `\uHHHH`, and a byte that is not valid UTF-8 `\xHH` too.
 *
 * Returns: (transfer full): the text to print; "" for %NULL
 */
char *
dl_safe_text_for_terminal (const char *text)
{
  GString *out;
  const char *p, *end;

  if (text == NULL)
    return g_strdup ("");

  out = g_string_sized_new (strlen (text));
  p = text;
  end = text + strlen (text);
  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guint) (guchar) *p);
          p++;
          continue;
        }
      if (!dl_safe_text_is_unsafe_char (c))
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      else if (c < 0x80)
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_printf (out, "\\u%04x", c);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}
