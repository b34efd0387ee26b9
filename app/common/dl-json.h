/* dl-json.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * DL_JSON_MAX_DEPTH:
 *
 * How deeply arrays and objects may nest in what dl_json_parse() reads:
 * deeper input is refused rather than allowed to exhaust the stack.
 */
#define DL_JSON_MAX_DEPTH 64

GVariant *dl_json_parse      (const char  *text,
                              gsize        length,
                              GError     **error) G_GNUC_WARN_UNUSED_RESULT;
char     *dl_json_serialize  (GVariant    *value) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
