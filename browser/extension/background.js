/* background.js: the "Download with Downloader" context menu.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A click on a link, an image, a video or an audio element hands its URL
 * to Downloader through the native messaging host
 * (`bridge-downloader --native-messaging`), with the page as the referer
 * and the browser's cookies for that URL as cookies.txt text, so a
 * download that needs the user's session gets it. Firefox names the API
 * `browser`, Chromium `chrome`; both return promises in Manifest V3. */

"use strict";

const api = typeof browser !== "undefined" ? browser : chrome;

/* The host's name in its manifest (browser/native-messaging). */
const NATIVE_HOST = "io.github.libbridge.downloader";
const MENU_ID = "download-with-downloader";

function isWebUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/* One cookie (the cookies API's object) as a cookies.txt line, or null if
 * it cannot be one: a tab or a line break would end its field. */
function cookieToNetscapeLine(cookie) {
  const fields = [cookie.domain, cookie.path, cookie.name, cookie.value];
  if (fields.some((field) => typeof field !== "string" || /[\t\r\n]/.test(field))) {
    return null;
  }

  /* A host-only cookie is for exactly that host; a domain cookie (a
   * leading dot) for its subdomains too. */
  const bareDomain = cookie.domain.replace(/^\./, "");
  const domain = cookie.hostOnly ? bareDomain : "." + bareDomain;
  const expires = cookie.session || cookie.expirationDate === undefined
    ? 0
    : Math.floor(cookie.expirationDate);

  return [
    (cookie.httpOnly ? "#HttpOnly_" : "") + domain,
    cookie.hostOnly ? "FALSE" : "TRUE",
    cookie.path,
    cookie.secure ? "TRUE" : "FALSE",
    String(expires),
    cookie.name,
    cookie.value,
  ].join("\t");
}

function cookiesToNetscape(cookies) {
  return cookies
    .map(cookieToNetscapeLine)
    .filter((line) => line !== null)
    .map((line) => line + "\n")
    .join("");
}

/* The cookies the browser would send with a request to `url`, from the
 * tab's cookie store (a Firefox container has its own). */
async function cookiesFor(url, tab) {
  const query = { url };
  if (tab && tab.cookieStoreId !== undefined) {
    query.storeId = tab.cookieStoreId;
  }
  try {
    return cookiesToNetscape(await api.cookies.getAll(query));
  } catch (error) {
    /* The download may not need them: send it without. */
    console.warn(`Downloader: cannot read the cookies for ${url}: ${error}`);
    return "";
  }
}

async function showProblem(message) {
  await api.action.setBadgeText({ text: "!" });
  await api.action.setTitle({ title: message });
}

async function clearProblem() {
  await api.action.setBadgeText({ text: "" });
  await api.action.setTitle({ title: api.i18n.getMessage("extensionName") });
}

/* The request the host forwards as the app.add-downloads action. */
async function buildRequest(info, tab) {
  const url = info.linkUrl || info.srcUrl;
  if (!url || !isWebUrl(url)) {
    return null;
  }

  const request = { urls: [url] };
  const page = info.frameUrl || info.pageUrl;
  if (page && isWebUrl(page)) {
    request.referer = page;
  }
  const cookies = await cookiesFor(url, tab);
  if (cookies !== "") {
    request.cookies = cookies;
  }
  return request;
}

async function onMenuClicked(info, tab) {
  if (info.menuItemId !== MENU_ID) {
    return;
  }

  const request = await buildRequest(info, tab);
  if (request === null) {
    await showProblem(api.i18n.getMessage("notWebLink"));
    return;
  }

  let reply;
  try {
    reply = await api.runtime.sendNativeMessage(NATIVE_HOST, request);
  } catch (error) {
    await showProblem(api.i18n.getMessage("hostUnreachable", [String(error && error.message || error)]));
    return;
  }

  if (reply && reply.ok) {
    await clearProblem();
  } else {
    await showProblem(api.i18n.getMessage("hostUnreachable", [String(reply && reply.error)]));
  }
}

function createMenu() {
  api.contextMenus.create({
    id: MENU_ID,
    title: api.i18n.getMessage("menuTitle"),
    contexts: ["link", "image", "video", "audio"],
  });
}

api.runtime.onInstalled.addListener(createMenu);
api.contextMenus.onClicked.addListener(onMenuClicked);
