/* Vigie shop alert button: what the page's scripts share (settings, texts, the session, the API).
 *
 * Settings come from the JSON block #vigie-config rendered by alerts/web.py; every text is in
 * static/alerts/strings.js. The page talks only to the public API (API.md) with an app token,
 * kept in localStorage so that the button is one tap away after the first sign-in.
 * alert.js and button.js read everything from window.VigieShop.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("vigie-config").textContent);
  const SESSION_KEY = "vigie.shop.session";
  // The server's clock minus this device's: the cancel window is counted in the server's time.
  const skewMs = Date.parse(config.serverNow) - Date.now();

  // --- texts ----------------------------------------------------------------------------------
  const STRINGS = window.VigieShopStrings; // static/alerts/strings.js
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

  function translatePage() {
    document.documentElement.lang = lang;
    for (const element of document.querySelectorAll("[data-i18n]")) {
      element.textContent = t(element.dataset.i18n);
    }
    for (const element of document.querySelectorAll("[data-i18n-label]")) {
      element.setAttribute("aria-label", t(element.dataset.i18nLabel));
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
    if (value) {
      localStorage.setItem(SESSION_KEY, JSON.stringify(value));
    } else {
      localStorage.removeItem(SESSION_KEY);
    }
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
   * session: the page hears it as a "vigie:expired" event and goes back to the sign-in form. */
  async function api(path, { method = "GET", body, headers = {}, timeoutMs = 15000 } = {}) {
    const sentHeaders = new Headers(headers);
    sentHeaders.set("Accept", "application/json");
    sentHeaders.set("Accept-Language", lang);
    if (body !== undefined && !sentHeaders.has("Content-Type")) {
      sentHeaders.set("Content-Type", "application/json");
    }
    const session = state.session;
    if (session) sentHeaders.set("Authorization", "Token " + session.token);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response;
    try {
      response = await fetch(path, {
        method,
        body,
        headers: sentHeaders,
        signal: controller.signal,
        credentials: "omit", // the token, never a staff session cookie that may sit beside it
        cache: "no-store",
      });
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
  function errorText(error, networkKey = "err.network") {
    if (error.status === 0) return t(networkKey);
    if (error.code === "throttled") {
      const seconds = Math.max(1, parseInt(error.retryAfter, 10) || 60);
      return t("err.throttled", { n: seconds });
    }
    if (error.status >= 500) return t("err.server");
    if (has("err." + error.code)) return t("err." + error.code);
    return error.message || t("err.unknown");
  }

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === "function") {
      return crypto.randomUUID();
    }
    // Version 4 from getRandomValues, where randomUUID is missing (plain HTTP, old browsers).
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20),
      hex.slice(20)].join("-");
  }

  // --- views --------------------------------------------------------------------------------
  const VIEWS = ["signin-view", "status-view", "button-view", "alert-view"];

  function showView(id, { focus = true } = {}) {
    for (const view of VIEWS) {
      $(view).hidden = view !== id;
    }
    $("sign-out").hidden = !state.session;
    document.body.dataset.view = id;
    if (focus) {
      const heading = $(id).querySelector("h1");
      if (heading) heading.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
  }

  const timeFormat = new Intl.DateTimeFormat(locale, {
    timeStyle: "medium",
    timeZone: config.timeZone,
  });

  window.VigieShop = {
    config,
    lang,
    t,
    $,
    show,
    translatePage,
    state,
    saveSession,
    api,
    ApiError,
    errorText,
    uuid,
    showView,
    serverNow: () => Date.now() + skewMs,
    clockTime: (date) => timeFormat.format(date),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
})();
