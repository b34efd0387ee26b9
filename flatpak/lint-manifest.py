#!/usr/bin/python3
# flatpak/lint-manifest.py: the main Flathub manifest rules, checked offline
# (no Flathub runtime can be downloaded here). TAP output, one case per rule.
#
# The rules follow flatpak-builder-lint's manifest checks: the file name is
# the app id; Wayland with an X11 fallback and IPC for X11; no home or host
# filesystem access; `command` is a name, not a path; no `branch`.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import sys


def main(path):
    with open(path, encoding="utf-8") as f:
        manifest = json.load(f)

    app_id = manifest.get("id") or manifest.get("app-id", "")
    args = manifest.get("finish-args", [])
    sockets = {a.split("=", 1)[1] for a in args if a.startswith("--socket=")}
    shares = {a.split("=", 1)[1] for a in args if a.startswith("--share=")}
    filesystems = {a.split("=", 1)[1].split(":")[0] for a in args if a.startswith("--filesystem=")}
    command = manifest.get("command", "")
    modules = manifest.get("modules", [])

    rules = [
        ("file-name-is-app-id",
         os.path.basename(path) == app_id + ".json", f"file {os.path.basename(path)}, id {app_id}"),
        ("app-id-reverse-dns",
         app_id.count(".") >= 2 and all(part for part in app_id.split(".")), app_id),
        ("runtime-is-gnome",
         manifest.get("runtime") == "org.gnome.Platform" and manifest.get("sdk") == "org.gnome.Sdk"
         and bool(manifest.get("runtime-version")), manifest.get("runtime")),
        ("wayland-with-fallback-x11",
         "wayland" in sockets and "fallback-x11" in sockets and "x11" not in sockets, sorted(sockets)),
        ("x11-needs-ipc",
         not ({"x11", "fallback-x11"} & sockets) or "ipc" in shares, sorted(shares)),
        ("network",
         "network" in shares, sorted(shares)),
        ("no-home-or-host-filesystem",
         not ({"home", "host", "host-os", "host-etc", "~"} & filesystems), sorted(filesystems)),
        ("command-is-not-a-path",
         bool(command) and "/" not in command, command),
        ("no-branch",
         "branch" not in manifest and "default-branch" not in manifest, "branch"),
        ("one-meson-module-from-this-repository",
         len(modules) >= 1 and modules[-1].get("buildsystem") == "meson"
         and any(s.get("type") == "dir" for s in modules[-1].get("sources", [])),
         [m.get("name") for m in modules]),
        ("no-runtime-libraries-rebuilt",
         not any(m.get("name", "").lower() in ("libsoup", "gtk", "libadwaita", "sqlite", "glib")
                 for m in modules), [m.get("name") for m in modules]),
    ]

    print(f"1..{len(rules)}")
    failed = 0
    for number, (name, ok, detail) in enumerate(rules, 1):
        print(f"{'ok' if ok else 'not ok'} {number} /flatpak/{name}"
              + ("" if ok else f" # {detail}"))
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
