/* Vigie broadcast page: settings, texts, the REST helper and formatting shared by area.js and
 * broadcast.js, under window.VigieBroadcast.
 *
 * Settings come from the JSON block #vigie-config rendered by notifications/web.py; every text
 * is in static/notifications/strings.js.
 */
(function () {
  "use strict";

  const NS = (window.VigieBroadcast = window.VigieBroadcast || {});
  const config = JSON.parse(document.getElementById("vigie-config").textContent);
  const STRINGS = window.VigieBroadcastStrings;
  const lang = STRINGS[config.language] ? config.language : "fr";
  const locale = lang === "en" ? "en-GB" : "fr-FR";
  const $ = (id) => document.getElementById(id);

  function t(key, params) {
    let text = STRINGS[lang][key] ?? STRINGS.fr[key] ?? key;
    for (const [name, value] of Object.entries(params || {})) {
      text = text.replace("{" + name + "}", String(value));
    }
    return text;
  }

  /** A DOM element with a class, attributes and children: never innerHTML, so nothing typed
   * in a message can become markup. */
  function el(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined) continue;
      if (name === "class") element.className = value;
      else element.setAttribute(name, value);
    }
    element.append(...children.filter((c) => c !== null && c !== undefined));
    return element;
  }

  function show(element, text) {
    element.textContent = text || "";
    element.hidden = !text;
  }

  // --- the REST API (session cookie; CSRF header and Idempotency-Key on POST) --------------
  class ApiError extends Error {
    constructor(status, code, message, fields) {
      super(message || code);
      Object.assign(this, { status, code, fields: fields || {} });
    }
  }

  function cookie(name) {
    for (const part of document.cookie.split(";")) {
      const [key, ...rest] = part.trim().split("=");
      if (key === name) return decodeURIComponent(rest.join("="));
    }
    return "";
  }

  async function api(path, { method = "GET", json, key } = {}) {
    const headers = new Headers({ Accept: "application/json", "Accept-Language": lang });
    if (json !== undefined) headers.set("Content-Type", "application/json");
    if (method !== "GET") headers.set("X-CSRFToken", cookie("csrftoken"));
    if (key) headers.set("Idempotency-Key", key);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 30000);
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
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (response.ok) return data;
    const problem = (data && data.error) || {};
    const code = problem.code || (response.status >= 500 ? "server" : "unknown");
    if (response.status === 401 && path !== config.api.session) onSignedOut();
    throw new ApiError(response.status, code, problem.message, problem.fields);
  }

  function errorText(error) {
    if (!error || error.status === 0) return t("err.network");
    if (STRINGS[lang]["err." + error.code]) return t("err." + error.code);
    if (error.status >= 500) return t("err.server");
    return error.message || t("err.unknown");
  }

  // --- formatting ------------------------------------------------------------------------
  const when = new Intl.DateTimeFormat(locale, {
    timeZone: config.timeZone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
  const clock = new Intl.DateTimeFormat(locale, { timeZone: config.timeZone, timeStyle: "short" });
  const decimal = (digits) => new Intl.NumberFormat(locale, { maximumFractionDigits: digits });

  function surfaceText(m2) {
    return m2 >= 1e6
      ? t("area.km2", { n: decimal(2).format(m2 / 1e6) })
      : t("area.ha", { n: decimal(2).format(m2 / 1e4) });
  }

  function durationText(hours) {
    if (hours === 168) return t("duration.week");
    return hours >= 48 ? t("duration.days", { n: hours / 24 }) : t("duration.hours", { n: hours });
  }

  function severityBadge(severity) {
    return el("span", { class: "severity severity-" + severity }, t("severity." + severity));
  }

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    // Version 4 from getRandomValues, where randomUUID is missing (plain HTTP).
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20),
      hex.slice(20)].join("-");
  }

  let onSignedOut = () => {};

  Object.assign(NS, {
    config,
    lang,
    t,
    $,
    el,
    show,
    api,
    errorText,
    when,
    clock,
    decimal,
    surfaceText,
    durationText,
    severityBadge,
    uuid,
    setSignedOutHandler(handler) {
      onSignedOut = handler;
    },
  });
})();
