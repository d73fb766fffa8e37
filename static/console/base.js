/* Vigie operator console: settings, texts, the REST helper and formatting shared by the other
 * scripts (socket.js, sound.js, feed.js, map.js, detail.js, units.js, interventions.js,
 * dispatch.js, app.js), all under window.Vigie.
 *
 * Settings come from the JSON block #vigie-config rendered by live/web.py; every text is in
 * static/console/strings.js.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("vigie-config").textContent);
  const STRINGS = window.VigieConsoleStrings;
  const lang = STRINGS[config.language] ? config.language : "fr";
  const locale = lang === "en" ? "en-GB" : "fr-FR";

  function t(key, params) {
    let text = STRINGS[lang][key] ?? STRINGS.fr[key] ?? key;
    for (const [name, value] of Object.entries(params || {})) {
      text = text.replace("{" + name + "}", String(value));
    }
    return text;
  }

  const $ = (id) => document.getElementById(id);

  /** A DOM element with attributes and children (text nodes for strings): never innerHTML, so
   * nothing a report says can become markup. */
  function el(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") element.className = value;
      else if (name === "text") element.textContent = value;
      else if (name.startsWith("data-")) element.setAttribute(name, value);
      else if (name in element && typeof value !== "string") element[name] = value;
      else element.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  function translatePage() {
    document.documentElement.lang = lang;
    for (const element of document.querySelectorAll("[data-i18n]")) {
      element.textContent = t(element.dataset.i18n);
    }
  }

  // --- the REST API (session cookie; CSRF header on unsafe methods) ----------------------------
  class ApiError extends Error {
    constructor(status, code, message, fields) {
      super(message || code);
      this.status = status;
      this.code = code;
      this.fields = fields || {};
    }
  }

  function cookie(name) {
    for (const part of document.cookie.split(";")) {
      const [key, ...rest] = part.trim().split("=");
      if (key === name) return decodeURIComponent(rest.join("="));
    }
    return "";
  }

  let onSignedOut = () => {};

  async function api(path, { method = "GET", json, timeoutMs = 20000 } = {}) {
    const headers = new Headers({ Accept: "application/json", "Accept-Language": lang });
    if (json !== undefined) headers.set("Content-Type", "application/json");
    if (method !== "GET") headers.set("X-CSRFToken", cookie("csrftoken"));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
        credentials: "same-origin",
        cache: "no-store",
        signal: controller.signal,
      });
    } catch (error) {
      throw new ApiError(0, "network", String(error));
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    try {
      data = response.status === 204 ? null : await response.json();
    } catch (error) {
      data = null;
    }
    if (response.ok) return data;
    const problem = (data && data.error) || {};
    const failure = new ApiError(
      response.status,
      problem.code || (response.status >= 500 ? "server" : "unknown"),
      problem.message,
      problem.fields,
    );
    if (response.status === 401 && path !== config.api.session) onSignedOut();
    throw failure;
  }

  /** Plain words for an error (from the API or an action's reply); the server's message when
   * there are none. */
  function errorText(error) {
    const code = error && error.code;
    if (!error || error.status === 0 || code === "network") return t("err.network");
    if (code && STRINGS[lang]["err." + code]) return t("err." + code);
    if (error.status >= 500 || code === "server_error") return t("err.server");
    return error.message || t("err.unknown");
  }

  // --- formatting -------------------------------------------------------------------------
  const timeFormat = new Intl.DateTimeFormat(locale, {
    timeZone: config.timeZone,
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const dateTimeFormat = new Intl.DateTimeFormat(locale, {
    timeZone: config.timeZone,
    dateStyle: "short",
    timeStyle: "medium",
  });

  function formatTime(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    const sameDay = Date.now() - date.getTime() < 12 * 3600 * 1000;
    return (sameDay ? timeFormat : dateTimeFormat).format(date);
  }

  function age(iso, now = Date.now()) {
    const seconds = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 1000));
    if (seconds < 60) return t("age.seconds", { n: seconds });
    if (seconds < 3600) return t("age.minutes", { n: Math.floor(seconds / 60) });
    if (seconds < 86400) {
      const minutes = String(Math.floor((seconds % 3600) / 60)).padStart(2, "0");
      return t("age.hours", { h: Math.floor(seconds / 3600), m: minutes });
    }
    return t("age.days", { n: Math.floor(seconds / 86400) });
  }

  const numberFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });

  window.Vigie = {
    config,
    lang,
    locale,
    t,
    $,
    el,
    api,
    ApiError,
    errorText,
    translatePage,
    formatTime,
    age,
    number: (value) => numberFormat.format(value),
    setSignedOutHandler(handler) {
      onSignedOut = handler;
    },
    /** The open statuses: a report in one of these is in the feed. */
    OPEN: new Set(["new", "acknowledged", "dispatched"]),
    PRIORITIES: ["critical", "high", "normal", "low"],
    OUTCOMES: ["handled", "forwarded", "duplicate", "no_action", "false_alarm", "other"],
    PRIORITY_COLOURS: { critical: "#c1121f", high: "#e76f00", normal: "#1d6fb8", low: "#6c757d" },
  };
})();
