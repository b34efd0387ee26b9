# bench/local_nginx.py
#
# Copyright 2026 The libbridge authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""A local nginx serving generated files, shared by the HTTP benchmarks.

bench-cli.py (the Downloader's CLI) and bench-http.py (libbridge tasks on
libsoup, curl, aiohttp) import this module: every client downloads from the
same server, configured the same way.

    www = prepare_www(build_dir, big=False)   # or big=True
    nginx = Nginx(www)                        # started on 127.0.0.1, a free port
    try:
        urls = [nginx.url(path) for path in SET_PATHS]
    finally:
        nginx.stop()                          # by the PID we started

The server is Debian's nginx with a minimal configuration in a temporary
folder: two workers, sendfile, no access log, keep-alive without limit. The
files are random bytes, written once into the build directory and reused.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

MIB = 1024 * 1024
SET_FILES = 200
SET_FILE_SIZE = 1 * MIB
BIG_FILE_SIZE = 1024 * MIB
SPLIT_FILE_SIZE = 200 * MIB

# Kept under its first name so that files generated for the CLI benchmarks
# before this module existed are reused.
WWW_FOLDER = "bench-cli-www"
BIG_PATH = "big.bin"
SPLIT_PATH = "split.bin"
SET_PATHS = [f"set/f{i:03d}.bin" for i in range(SET_FILES)]

NGINX_CONF = """\
worker_processes 2;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    default_type application/octet-stream;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {www};
{extra}    }}
}}
"""


def ensure_file(path, size):
    """Writes @size random bytes to @path unless it is already there."""
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    with open(path + ".tmp", "wb") as f:
        left = size
        while left > 0:
            chunk = min(left, 8 * MIB)
            f.write(os.urandom(chunk))
            left -= chunk
    os.chmod(path + ".tmp", 0o644)
    os.rename(path + ".tmp", path)


def prepare_www(build_dir, big=False, split=False):
    """Makes sure the set (200 × 1 MiB), or with @big the 1 GiB file, or with
    @split the 200 MiB one, is in the build directory's www folder; returns
    the folder."""
    www = os.path.abspath(os.path.join(build_dir, WWW_FOLDER))
    os.makedirs(os.path.join(www, "set"), exist_ok=True)
    if split:
        ensure_file(os.path.join(www, SPLIT_PATH), SPLIT_FILE_SIZE)
    elif big:
        ensure_file(os.path.join(www, BIG_PATH), BIG_FILE_SIZE)
    else:
        for path in SET_PATHS:
            ensure_file(os.path.join(www, path), SET_FILE_SIZE)
    # nginx's workers may run as nobody: every folder on the way must be
    # searchable.
    for folder in (www, os.path.join(www, "set")):
        os.chmod(folder, 0o755)
    return www


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """nginx on 127.0.0.1 serving @www; stop() stops it by its PID."""

    def __init__(self, www, limit_rate=None):
        """@limit_rate (e.g. "10m") caps every connection, as many real
        servers and CDNs do."""
        self.tmp = tempfile.mkdtemp(prefix="bench-nginx-")
        os.chmod(self.tmp, 0o755)
        self.port = free_port()
        conf = os.path.join(self.tmp, "nginx.conf")
        with open(conf, "w") as f:
            extra = f"        limit_rate {limit_rate};\n" if limit_rate else ""
            f.write(NGINX_CONF.format(tmp=self.tmp, port=self.port, www=www, extra=extra))
        self.process = subprocess.Popen(
            ["nginx", "-p", self.tmp, "-c", conf, "-e", os.path.join(self.tmp, "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            if self.process.poll() is not None:
                raise RuntimeError("nginx did not start: " +
                                   self.process.stderr.read().decode(errors="replace"))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("nginx is not listening")
                time.sleep(0.01)

    @property
    def pid(self):
        return self.process.pid

    def url(self, path):
        return f"http://127.0.0.1:{self.port}/{path}"

    def stop(self):
        # By the PID we started: SIGQUIT is nginx's graceful stop.
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
