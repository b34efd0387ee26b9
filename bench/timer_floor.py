# bench/timer_floor.py
#
# Copyright 2026 The libbridge authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""The machine's own wake-up lateness beside a stall benchmark.

bench-timer-floor (bench/bench-timer-floor.c) sleeps 1 ms at a time for as
long as the measured app runs, under the same load; its worst lateness
within the app's own measurement is the floor no main loop on this machine
can go below at that moment. app_stall.py and qt_stall.py report it as
"floor_worst_stall_ms" beside the app's figure.
"""

import os
import signal
import subprocess

# Longer than any run; the probe is stopped when the app is done.
LONGEST_SECONDS = 600


class TimerFloor:
    def __init__(self, build_dir):
        program = os.path.join(os.path.abspath(build_dir), "bench", "bench-timer-floor")
        if not os.access(program, os.X_OK):
            raise RuntimeError(f"{program} is not built")
        self.process = subprocess.Popen([program, str(LONGEST_SECONDS)], stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)

    def stop(self, since_us, until_us):
        """Stops the probe; returns its figures within [since_us, until_us]."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=30)
        worst_us = 0
        late_over_4ms = 0
        samples = 0
        for line in output.splitlines():
            parts = line.split()
            if parts[:1] == ["LATE"] and since_us <= int(parts[1]) <= until_us:
                worst_us = max(worst_us, int(parts[2]))
                late_over_4ms += int(parts[2]) > 4000
            elif parts[:1] == ["SAMPLES"]:
                samples = int(parts[1])
        return {"floor_worst_stall_ms": round(worst_us / 1000.0, 3),
                "floor_stalls_over_4ms": late_over_4ms,
                "floor_samples": samples}

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
