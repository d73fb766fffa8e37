/* Vigie police app: what the page's scripts share (settings, texts, the session, the API).
 *
 * Settings come from the JSON block #vigie-config rendered by dispatch/web.py; every text is in
 * static/police/strings.js. The page talks only to the public API (API.md) with an app token,
 * kept in localStorage so that the app opens on the unit after the first sign-in.
 * socket.js, position.js, mission.js and app.js read everything from window.VigiePolice.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("vigie-config").textContent);
  const SESSION_KEY = "vigie.police.session";
  // The server's clock minus this device's: the time since dispatch is counted in the server's.
  const skewMs = Date.parse(config.serverNow) - Date.now();

  // --- texts ----------------------------------------------------------------------------------
  const STRINGS = window.VigiePoliceStrings; // static/police/strings.js
  const lang = STRINGS[config.language] ? config.language : "fr";
  const locale = lang === "en" ? "en-GB" : "fr-FR";

  function t(key, params) {
    let text = STRINGS[lang][key] ?? STRINGS.fr[key] ?? key;
    for (const [name, value] of Object.entries(params || {})) {
      text = text.replace("{" + name + "}", String(value));
    }
    return text;
  }

  function has(key) {
    return Boolean(STRINGS[lang][key]);
  }

  const $ = (id) => document.getElementById(id);

  function show(element, text) {
    element.textContent = text || "";
    element.hidden = !text;
  }

  /** A new element: el("a", {href, text, class}, ...children). Text only, never HTML. */
  function el(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "text") element.textContent = value;
      else element.setAttribute(name, value === true ? "" : String(value));
    }
    element.append(...children);
    return element;
  }

  function translatePage() {
    document.documentElement.lang = lang;
    for (const element of document.querySelectorAll("[data-i18n]")) {
      element.textContent = t(element.dataset.i18n);
    }
  }

  // --- session ------------------------------------------------------------------------------
  function loadSession() {
    try {
      const value = JSON.parse(localStorage.getItem(SESSION_KEY));
      return value && typeof value.token === "string" ? value : null;
    } catch (error) {
      return null;
    }
  }

  const state = { session: loadSession() };

  function saveSession(value) {
    state.session = value;
    if (value) localStorage.setItem(SESSION_KEY, JSON.stringify(value));
    else localStorage.removeItem(SESSION_KEY);
  }

  // --- API ----------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, code, message, fields, retryAfter) {
      super(message || code);
      this.status = status;
      this.code = code;
      this.fields = fields || {};
      this.retryAfter = retryAfter;
    }
  }

  /** fetch() with the token, a time limit and the contract's error shape turned into ApiError
   * (status 0 for a network failure or a timeout). A 401 on an authenticated call ends the
   * session: the page hears it as a "vigie:expired" event and goes back to the sign-in form.
   * `raw` returns the Response itself (for a photo's bytes). */
  async function api(path, { method = "GET", body, timeoutMs = 15000, raw = false } = {}) {
    const headers = new Headers({ "Accept-Language": lang });
    if (!raw) headers.set("Accept", "application/json");
    if (body !== undefined) headers.set("Content-Type", "application/json");
    const session = state.session;
    if (session) headers.set("Authorization", "Token " + session.token);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response;
    try {
      response = await fetch(path, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers,
        signal: controller.signal,
        credentials: "omit", // the token, never a staff session cookie that may sit beside it
        cache: "no-store",
      });
      if (raw && response.ok) return await response.blob();
    } catch (error) {
      throw new ApiError(0, "network", String(error));
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null; // 204, or a proxy's HTML error page
    }
    if (response.ok) return data;
    const problem = (data && data.error) || {};
    const failure = new ApiError(
      response.status,
      problem.code || (response.status >= 500 ? "server" : "unknown"),
      problem.message,
      problem.fields,
      response.headers.get("Retry-After"),
    );
    if (response.status === 401 && session) {
      saveSession(null);
      document.dispatchEvent(new CustomEvent("vigie:expired"));
    }
    throw failure;
  }

  /** Plain words for an error code; the server's own message when we have none. */
  function errorText(error) {
    if (error.status === 0 || error.code === "network" || error.code === "lost") {
      return t("err.network");
    }
    if (error.code === "throttled") {
      const seconds = Math.max(1, parseInt(error.retryAfter, 10) || 60);
      return t("err.throttled", { n: seconds });
    }
    if (error.status >= 500 || error.code === "server_error") return t("err.server");
    if (has("err." + error.code)) return t("err." + error.code);
    return error.message || t("err.unknown");
  }

  /** A path from the settings with its `{name}` placeholders filled in. */
  function route(name, values) {
    let path = config.api[name];
    for (const [key, value] of Object.entries(values || {})) {
      path = path.replace("{" + key + "}", encodeURIComponent(String(value)));
    }
    return path;
  }

  // --- time and place -----------------------------------------------------------------------
  const timeFormat = new Intl.DateTimeFormat(locale, {
    timeStyle: "medium",
    timeZone: config.timeZone,
  });

  /** "4 min", "1 h 05" since `iso`, in the server's time. */
  function since(iso) {
    const seconds = Math.max(0, Math.round((Date.now() + skewMs - Date.parse(iso)) / 1000));
    if (seconds < 60) return t("time.seconds", { n: seconds });
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return t("time.minutes", { n: minutes });
    return t("time.hours", { h: Math.floor(minutes / 60), m: String(minutes % 60).padStart(2, "0") });
  }

  /** Metres between two [lon, lat] points (haversine; plenty at city scale). */
  function metresBetween(a, b) {
    const rad = Math.PI / 180;
    const dLat = (b[1] - a[1]) * rad;
    const dLon = (b[0] - a[0]) * rad;
    const h =
      Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * 6371000 * Math.asin(Math.sqrt(h));
  }

  window.VigiePolice = {
    config,
    lang,
    t,
    $,
    el,
    show,
    translatePage,
    state,
    saveSession,
    api,
    ApiError,
    errorText,
    route,
    since,
    metresBetween,
    clockTime: (iso) => timeFormat.format(new Date(iso)),
  };
})();
