#!/usr/bin/python3
# build-aux/flatpak-packages.py: the installed Debian packages a local Flatpak
# runtime is made of, for build-aux/flatpak-runtime.sh.
#
#   flatpak-packages.py closure ROOT…   every installed package ROOT needs
#                                        (Depends and Pre-Depends, recursively),
#                                        one "name version" line each, sorted
#   flatpak-packages.py files PKG…       the files and symbolic links those
#                                        packages installed, one path a line
#
# An alternative ("a | b") is satisfied by the first installed choice; a
# virtual package by an installed package that provides it. Packages that
# only serve dpkg itself (maintainer scripts, init systems) are left out: a
# runtime is never configured by dpkg, so nothing in it runs them.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import re
import subprocess
import sys

# Only maintainer scripts and the host's boot use these.
NOT_IN_A_RUNTIME = {
    "adduser", "base-passwd", "debconf", "debianutils", "dpkg", "init-system-helpers",
    "install-info", "login", "passwd", "perl-base", "sensible-utils", "systemd",
    "systemd-sysv", "ucf", "lsb-base", "sysvinit-utils", "dbus", "dbus-daemon",
    "dbus-system-bus-common", "dbus-session-bus-common", "dbus-user-session", "dbus-bin",
    "dconf-service", "libpam-systemd", "libpam-runtime", "libpam-modules",
    "libpam-modules-bin", "mount", "util-linux", "udev", "procps", "x11-common",
    "glib-networking-services",
}

FIELDS = "${Package}\t${Version}\t${db:Status-Abbrev}\t${Depends}\t${Pre-Depends}\t${Provides}\n"


def installed_packages():
    out = subprocess.run(["dpkg-query", "-W", "-f=" + FIELDS], check=True,
                         capture_output=True, text=True).stdout
    packages = {}
    providers = {}
    for line in out.splitlines():
        name, version, status, depends, pre_depends, provides = line.split("\t")
        if not status.startswith("ii"):
            continue
        packages[name] = (version, ", ".join(f for f in (pre_depends, depends) if f))
        for virtual in split_names(provides):
            providers.setdefault(virtual, []).append(name)
    return packages, providers


def split_names(field):
    """Names in a Provides-like field: "a (= 1), b:any" gives a, b."""
    return [re.split(r"[\s(:]", item.strip(), 1)[0] for item in field.split(",") if item.strip()]


def resolve(choice, packages, providers):
    name = re.split(r"[\s(:]", choice.strip(), 1)[0]
    if name in packages:
        return name
    for provider in providers.get(name, []):
        if provider in packages:
            return provider
    return None


def closure(roots):
    packages, providers = installed_packages()
    wanted = set()
    todo = []
    for root in roots:
        name = resolve(root, packages, providers)
        if name is None:
            sys.exit(f"{root}: not installed")
        todo.append(name)
    while todo:
        name = todo.pop()
        if name in wanted or name in NOT_IN_A_RUNTIME:
            continue
        wanted.add(name)
        for group in packages[name][1].split(","):
            if not group.strip():
                continue
            for choice in group.split("|"):
                found = resolve(choice, packages, providers)
                if found is not None:
                    todo.append(found)
                    break
    for name in sorted(wanted):
        print(name, packages[name][0])


def files(names):
    out = subprocess.run(["dpkg-query", "-L"] + names, check=True,
                         capture_output=True, text=True).stdout
    seen = set()
    for path in out.splitlines():
        # dpkg-query prints notes ("diverted by …") among the paths.
        if not path.startswith("/") or path in seen:
            continue
        seen.add(path)
        if os.path.islink(path) or os.path.isfile(path):
            print(path)


def main(argv):
    if len(argv) >= 2 and argv[0] == "closure":
        closure(argv[1:])
    elif len(argv) >= 2 and argv[0] == "files":
        files(argv[1:])
    else:
        sys.exit(__doc__ if False else "usage: flatpak-packages.py closure|files NAME…")


if __name__ == "__main__":
    main(sys.argv[1:])
