#!/usr/bin/python3
# flatpak/check-flathub.py: what Flathub's review asks of the app's data,
# beyond what appstreamcli and desktop-file-validate check. TAP, one case per
# rule.
#
#   check-flathub.py SOURCE_ROOT METAINFO DESKTOP_FILE
#
# METAINFO and DESKTOP_FILE are the built (translated) files.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import re
import sys
import xml.etree.ElementTree as ET

APP_ID = "io.github.libbridge.Downloader"


def news_releases(path):
    """(version, date, text) of each "Version X (DATE)" entry, newest first."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    entries = re.split(r"^Version ", text, flags=re.M)[1:]
    releases = []
    for entry in entries:
        match = re.match(r"(\S+) \((\d{4}-\d{2}-\d{2})\)\n=+\n", entry)
        if not match:
            raise ValueError(f"NEWS: bad heading: Version {entry.splitlines()[0]}")
        releases.append((match.group(1), match.group(2), " ".join(entry[match.end():].split())))
    return releases


def untranslated_text(element):
    """The text of ELEMENT's children that are not translations."""
    if element is None:
        return ""
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    return " ".join(" ".join(child.itertext()).strip() for child in element if child.get(lang) is None)


def svg_size(path):
    root = ET.parse(path).getroot()
    return root.get("width"), root.get("height"), root.get("viewBox")


def readme_flatpak_section(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    match = re.search(r"^## Flatpak\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    return match.group(1) if match else ""


def main(root, metainfo_path, desktop_path):
    metainfo = ET.parse(metainfo_path).getroot()
    with open(os.path.join(root, "flatpak", APP_ID + ".json"), encoding="utf-8") as f:
        manifest = json.load(f)
    with open(desktop_path, encoding="utf-8") as f:
        desktop = f.read()
    rules = []

    def rule(name, ok, detail=""):
        rules.append((name, bool(ok), detail))

    try:
        news = news_releases(os.path.join(root, "NEWS"))
    except (OSError, ValueError) as e:
        news = []
        rule("news-readable", False, str(e))
    meta_releases = [(r.get("version"), r.get("date"), untranslated_text(r.find("description")))
                     for r in metainfo.findall("releases/release")]
    rule("releases-match-news",
         [r[:2] for r in meta_releases] == [n[:2] for n in news] and meta_releases,
         f"metainfo {[r[:2] for r in meta_releases]}, NEWS {[n[:2] for n in news]}")
    rule("release-notes-from-news",
         all(m[2] and m[2] in n[2] for m, n in zip(meta_releases, news)),
         "each release's description must be the start of its NEWS entry")

    screenshots = metainfo.findall("screenshots/screenshot")
    rule("default-screenshot-with-caption",
         any(s.get("type") == "default" and (s.findtext("caption") or "").strip()
             for s in screenshots), "no default screenshot with a caption")
    images = [s.findtext("image") or "" for s in screenshots]
    local = [re.sub(r"^https://raw\.githubusercontent\.com/[^/]+/[^/]+/[^/]+/", "", i) for i in images]
    rule("screenshots-in-repository",
         images and all(os.path.isfile(os.path.join(root, p)) for p in local), local)

    rating = metainfo.find("content_rating")
    rule("oars-content-rating",
         rating is not None and rating.get("type", "").startswith("oars-"), "no OARS rating")
    # AppStream 1.0's <developer id="…"> is an unknown tag to Debian 12's
    # appstreamcli 0.16, which --strict rejects: the name is what both read.
    rule("developer-named",
         (metainfo.findtext("developer_name") or metainfo.findtext("developer/name") or "").strip(),
         "no developer name")

    launchable = metainfo.find("launchable")
    rule("launchable-is-the-desktop-file",
         launchable is not None and launchable.get("type") == "desktop-id"
         and launchable.text == os.path.basename(desktop_path) == APP_ID + ".desktop",
         f"{launchable.text if launchable is not None else None} vs {os.path.basename(desktop_path)}")
    urls = {u.get("type") for u in metainfo.findall("url")}
    rule("urls", {"homepage", "bugtracker", "vcs-browser"} <= urls, sorted(urls))
    rule("desktop-icon-is-app-id", re.search(rf"^Icon={re.escape(APP_ID)}$", desktop, re.M),
         "Icon= must be the app id")
    rule("desktop-exec-is-manifest-command",
         re.search(rf"^Exec={re.escape(manifest['command'])}( |$)", desktop, re.M),
         f"Exec= must start with {manifest['command']}")

    icons = os.path.join(root, "data", "icons", "hicolor")
    scalable = os.path.join(icons, "scalable", "apps", APP_ID + ".svg")
    symbolic = os.path.join(icons, "symbolic", "apps", APP_ID + "-symbolic.svg")
    # Flathub takes an SVG or a PNG of at least 256×256; GNOME draws app
    # icons on a 128 px canvas and symbolic ones on 16 px.
    rule("scalable-icon-128", os.path.isfile(scalable)
         and svg_size(scalable) == ("128", "128", "0 0 128 128"),
         svg_size(scalable) if os.path.isfile(scalable) else "missing")
    rule("symbolic-icon-16", os.path.isfile(symbolic)
         and svg_size(symbolic) == ("16", "16", "0 0 16 16"),
         svg_size(symbolic) if os.path.isfile(symbolic) else "missing")
    pngs = [p for p in os.listdir(icons) if re.fullmatch(r"\d+x\d+", p)]
    rule("no-small-png-icons", all(int(p.split("x")[0]) >= 256 for p in pngs), pngs)

    section = readme_flatpak_section(os.path.join(root, "README.md"))
    unjustified = [arg for arg in manifest.get("finish-args", [])
                   if not re.search(rf"^\s*{re.escape(arg)}\s+#\s*\S", section, re.M)]
    rule("finish-args-justified-in-readme", section and not unjustified,
         f"not in README's Flatpak section with a '# why' comment: {unjustified}")
    rule("readme-says-how-to-install-the-bundle",
         "flatpak install --user --bundle" in section, "README's Flatpak section")
    rule("readme-says-how-to-build-offline",
         "build-aux/flatpak-runtime.sh" in section and "--disable-download" in section,
         "README's Flatpak section")

    print(f"1..{len(rules)}")
    failed = 0
    for number, (name, ok, detail) in enumerate(rules, 1):
        print(f"{'ok' if ok else 'not ok'} {number} /flatpak/flathub/{name}"
              + ("" if ok else f" # {detail}"))
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
