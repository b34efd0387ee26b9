#!/usr/bin/python3
# tests/flatpak/loopback-server.py: the HTTP server the Flatpak checks download
# from. Serves the files of DIR on 127.0.0.1 with ETag, Range (206) and
# If-Range, throttled to ?rate=BYTES_PER_SECOND when asked, and appends one line
# per request to LOG: "METHOD PATH RANGE", RANGE being "-" without a Range
# header. ?delay=SECONDS holds the response back that long. Prints its base URL on one line once listening; serves until killed.
#
#   loopback-server.py DIR LOG
#
# The app in the sandbox reaches it because the manifest shares the network;
# the log shows the checks whether a second run resumed (Range: bytes=N-).
#
# SPDX-License-Identifier: GPL-3.0-or-later

import http.server
import os
import re
import sys
import threading
import time
import urllib.parse

ROOT = sys.argv[1]
LOG = sys.argv[2]
log_lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def do_HEAD(self):
        self.serve(body=False)

    def do_GET(self):
        self.serve(body=True)

    def serve(self, body):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        rate = int(query.get("rate", ["0"])[0])
        delay = float(query.get("delay", ["0"])[0])
        name = os.path.basename(urllib.parse.unquote(url.path))
        path = os.path.join(ROOT, name)
        range_header = self.headers.get("Range")
        with log_lock, open(LOG, "a", encoding="utf-8") as log:
            log.write(f"{self.command} {url.path} {range_header or '-'}\n")

        if delay:
            time.sleep(delay)
        if not name or not os.path.isfile(path):
            self.send_error(404)
            return
        size = os.path.getsize(path)
        etag = f'"{size}-{int(os.path.getmtime(path))}"'
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", range_header or "")
        if_range = self.headers.get("If-Range")
        if match and (if_range is None or if_range == etag):
            start = int(match.group(1))
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size - start))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", etag)
        self.end_headers()
        if not body:
            return

        chunk = max(1, rate // 10) if rate else 256 * 1024
        with open(path, "rb") as f:
            f.seek(start)
            while True:
                data = f.read(chunk)
                if not data:
                    break
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return
                if rate:
                    time.sleep(0.1)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"http://127.0.0.1:{server.server_address[1]}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
