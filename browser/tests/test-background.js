/* test-background.js: the extension's script against a fake of the
 * WebExtension API (no packages: node's own test runner and vm).
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const scriptPath = path.join(__dirname, "..", "extension", "background.js");
const source = fs.readFileSync(scriptPath, "utf8");
const messages = JSON.parse(fs.readFileSync(
  path.join(__dirname, "..", "extension", "_locales", "en", "messages.json"), "utf8"));

function makeEvent() {
  const listeners = [];
  return {
    listeners,
    addListener(listener) { listeners.push(listener); },
    async fire(...args) {
      for (const listener of listeners) {
        await listener(...args);
      }
    },
  };
}

/* A fake of the parts of the API the script uses, recording every call.
 * `cookies` is the store's content; getAll filters it by URL host only
 * (the browser's own matching is not what is tested here). */
function makeFakeApi({ cookies = [], reply = { ok: true, forwarded: 1 }, nativeError = null } = {}) {
  const calls = { menus: [], native: [], cookieQueries: [], badge: [], title: [] };
  const api = {
    runtime: {
      onInstalled: makeEvent(),
      async sendNativeMessage(host, message) {
        calls.native.push({ host, message: JSON.parse(JSON.stringify(message)) });
        if (nativeError) {
          throw new Error(nativeError);
        }
        return reply;
      },
    },
    contextMenus: {
      onClicked: makeEvent(),
      create(properties) { calls.menus.push(properties); },
    },
    cookies: {
      async getAll(query) {
        calls.cookieQueries.push(JSON.parse(JSON.stringify(query)));
        const host = new URL(query.url).hostname;
        return cookies.filter((c) => host.endsWith(c.domain.replace(/^\./, "")));
      },
    },
    action: {
      async setBadgeText(details) { calls.badge.push(details.text); },
      async setTitle(details) { calls.title.push(details.title); },
    },
    i18n: {
      getMessage(name, substitutions = []) {
        const entry = messages[name];
        if (!entry) {
          return "";
        }
        return entry.message.replace(/\$[A-Z]+\$/g, () => substitutions[0]);
      },
    },
  };
  return { api, calls };
}

/* Runs the script in a fresh global, with the API as `browser` (Firefox)
 * or only as `chrome` (Chromium). */
function load(api, { as = "browser" } = {}) {
  const context = { console, URL };
  context[as] = api;
  vm.createContext(context);
  vm.runInContext(source, context, { filename: scriptPath });
  return context;
}

const MENU_ID = "download-with-downloader";
const HOST = "io.github.libbridge.downloader";

test("the menu is created on install, for links and media", async () => {
  const { api, calls } = makeFakeApi();
  load(api);
  await api.runtime.onInstalled.fire({ reason: "install" });

  assert.equal(calls.menus.length, 1);
  assert.equal(calls.menus[0].id, MENU_ID);
  assert.equal(calls.menus[0].title, "Download with Downloader");
  assert.deepEqual([...calls.menus[0].contexts].sort(), ["audio", "image", "link", "video"]);
});

test("Chromium's chrome namespace works when browser is missing", async () => {
  const { api, calls } = makeFakeApi();
  load(api, { as: "chrome" });
  await api.runtime.onInstalled.fire({ reason: "install" });
  await api.contextMenus.onClicked.fire(
    { menuItemId: MENU_ID, linkUrl: "https://example.com/a.iso", pageUrl: "https://example.com/" }, {});

  assert.equal(calls.menus.length, 1);
  assert.equal(calls.native.length, 1);
});

test("a link is sent with the page as referer and its cookies", async () => {
  const { api, calls } = makeFakeApi({
    cookies: [
      { domain: "files.example.com", hostOnly: true, path: "/", secure: true, httpOnly: false,
        session: false, expirationDate: 1900000000.75, name: "sid", value: "abc" },
      { domain: ".example.com", hostOnly: false, path: "/dl", secure: false, httpOnly: true,
        session: true, name: "pref", value: "x=y" },
      { domain: "other.org", hostOnly: true, path: "/", secure: false, httpOnly: false,
        session: true, name: "nope", value: "1" },
    ],
  });
  load(api);
  await api.contextMenus.onClicked.fire(
    { menuItemId: MENU_ID, linkUrl: "https://files.example.com/dl/a.iso",
      pageUrl: "https://www.example.com/downloads.html" },
    { id: 3 });

  assert.equal(calls.native.length, 1);
  assert.equal(calls.native[0].host, HOST);
  assert.deepEqual(calls.cookieQueries, [{ url: "https://files.example.com/dl/a.iso" }]);
  assert.deepEqual(calls.native[0].message, {
    urls: ["https://files.example.com/dl/a.iso"],
    referer: "https://www.example.com/downloads.html",
    cookies:
      "files.example.com\tFALSE\t/\tTRUE\t1900000000\tsid\tabc\n" +
      "#HttpOnly_.example.com\tTRUE\t/dl\tFALSE\t0\tpref\tx=y\n",
  });
  assert.deepEqual(calls.badge, [""]);
});

test("media send their source URL; a frame is the referer", async () => {
  const { api, calls } = makeFakeApi();
  load(api);
  await api.contextMenus.onClicked.fire(
    { menuItemId: MENU_ID, mediaType: "video", srcUrl: "http://127.0.0.1:8080/clip.webm",
      frameUrl: "http://127.0.0.1:8080/player.html", pageUrl: "http://127.0.0.1:8080/" }, {});

  assert.equal(calls.native.length, 1);
  assert.deepEqual(calls.native[0].message, {
    urls: ["http://127.0.0.1:8080/clip.webm"],
    referer: "http://127.0.0.1:8080/player.html",
  });
});

test("a container tab's own cookie store is asked", async () => {
  const { api, calls } = makeFakeApi();
  load(api);
  await api.contextMenus.onClicked.fire(
    { menuItemId: MENU_ID, linkUrl: "https://example.com/f", pageUrl: "https://example.com/" },
    { cookieStoreId: "firefox-container-2" });

  assert.deepEqual(calls.cookieQueries, [{ url: "https://example.com/f", storeId: "firefox-container-2" }]);
});

test("cookies that cannot be a cookies.txt line are left out", async () => {
  const { api, calls } = makeFakeApi({
    cookies: [
      { domain: "example.com", hostOnly: true, path: "/", name: "tab", value: "a\tb", session: true },
      { domain: "example.com", hostOnly: true, path: "/", name: "nl", value: "a\nb", session: true },
      { domain: "example.com", hostOnly: true, path: "/", name: "ok", value: "1", session: true },
    ],
  });
  load(api);
  await api.contextMenus.onClicked.fire(
    { menuItemId: MENU_ID, linkUrl: "https://example.com/f", pageUrl: "https://example.com/" }, {});

  assert.equal(calls.native[0].message.cookies, "example.com\tFALSE\t/\tFALSE\t0\tok\t1\n");
});

test("links that are not http or https are not sent", async () => {
  for (const linkUrl of ["javascript:alert(1)", "data:text/plain,hi", "ftp://example.com/f", "not a url"]) {
    const { api, calls } = makeFakeApi();
    load(api);
    await api.contextMenus.onClicked.fire({ menuItemId: MENU_ID, linkUrl, pageUrl: "https://example.com/" }, {});

    assert.equal(calls.native.length, 0, linkUrl);
    assert.deepEqual(calls.badge, ["!"], linkUrl);
    assert.equal(calls.title[0], "Only http and https links can be downloaded.");
  }
});

test("a page that is not a web page is not sent as referer", async () => {
  const { api, calls } = makeFakeApi();
  load(api);
  await api.contextMenus.onClicked.fire(
    { menuItemId: MENU_ID, linkUrl: "https://example.com/f", pageUrl: "file:///home/me/page.html" }, {});

  assert.deepEqual(calls.native[0].message, { urls: ["https://example.com/f"] });
});

test("an error reply from the host is shown on the toolbar button", async () => {
  const { api, calls } = makeFakeApi({ reply: { ok: false, error: "“urls”: is empty" } });
  load(api);
  await api.contextMenus.onClicked.fire(
    { menuItemId: MENU_ID, linkUrl: "https://example.com/f", pageUrl: "https://example.com/" }, {});

  assert.deepEqual(calls.badge, ["!"]);
  assert.equal(calls.title[0], "Downloader cannot be reached: “urls”: is empty");
});

test("a host that is not installed is shown, not thrown", async () => {
  const { api, calls } = makeFakeApi({ nativeError: "Specified native messaging host not found." });
  load(api);
  await api.contextMenus.onClicked.fire(
    { menuItemId: MENU_ID, linkUrl: "https://example.com/f", pageUrl: "https://example.com/" }, {});

  assert.deepEqual(calls.badge, ["!"]);
  assert.match(calls.title[0], /native messaging host not found/);
});

test("a cookie store that fails still sends the download", async () => {
  const { api, calls } = makeFakeApi();
  api.cookies.getAll = async () => { throw new Error("no permission"); };
  const quiet = { ...console, warn() {} };
  const context = { console: quiet, URL, browser: api };
  vm.createContext(context);
  vm.runInContext(source, context, { filename: scriptPath });
  await api.contextMenus.onClicked.fire(
    { menuItemId: MENU_ID, linkUrl: "https://example.com/f", pageUrl: "https://example.com/" }, {});

  assert.deepEqual(calls.native[0].message, { urls: ["https://example.com/f"], referer: "https://example.com/" });
});

test("other menu entries are ignored", async () => {
  const { api, calls } = makeFakeApi();
  load(api);
  await api.contextMenus.onClicked.fire({ menuItemId: "someone-else", linkUrl: "https://example.com/f" }, {});

  assert.equal(calls.native.length, 0);
  assert.equal(calls.cookieQueries.length, 0);
});

test("every locale has every message", () => {
  const locales = path.join(__dirname, "..", "extension", "_locales");
  const names = Object.keys(messages).sort();
  for (const locale of fs.readdirSync(locales)) {
    const other = JSON.parse(fs.readFileSync(path.join(locales, locale, "messages.json"), "utf8"));
    assert.deepEqual(Object.keys(other).sort(), names, locale);
  }
});
