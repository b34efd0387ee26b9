/* bridge-gi-test.h: C tasks for the binding tests to await and feed
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libbridge.h>

G_BEGIN_DECLS

void        bridge_gi_test_add_later_async  (gint64                a,
                                             gint64                b,
                                             double                seconds,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
gint64      bridge_gi_test_add_later_finish (GAsyncResult         *result,
                                             GError              **error);
BridgeTask *bridge_gi_test_sleep_then_say   (double                seconds,
                                             const char           *word);
BridgeTask *bridge_gi_test_sum_queue        (BridgeQueue          *queue,
                                             guint                 n_items);
BridgeTask *bridge_gi_test_wait_event       (BridgeEvent          *event);
BridgeTask *bridge_gi_test_hold_lock        (BridgeLock           *lock,
                                             BridgeEvent          *release);

G_END_DECLS
