/* Vigie resident web app: "Messages from the centre", the current area broadcasts covering the
 * member's home (GET /api/v1/broadcasts/), above the app's views.
 *
 * Independent of app.js: it reads the same session (the app token app.js keeps in localStorage
 * under "vigie.session") and follows app.js's state from the page itself: the section shows
 * while the member's tabs do (an approved member is signed in) and empties when they go.
 * Read again when the tabs appear, when the page comes back to the foreground, on the "My
 * reports" refresh button, and every few minutes; an expired message leaves by itself.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("vigie-config").textContent);
  const STRINGS = window.VigieStrings; // static/resident/strings.js
  const lang = STRINGS[config.language] ? config.language : "fr";
  const locale = lang === "en" ? "en-GB" : "fr-FR";
  const PATH = (config.api && config.api.broadcasts) || "/api/v1/broadcasts/";
  const SESSION_KEY = "vigie.session"; // app.js's
  const REFRESH_MS = 5 * 60 * 1000;
  const EXPIRY_CHECK_MS = 30 * 1000;
  const OPEN_SEVERITIES = new Set(["Extreme", "Severe"]); // shown unfolded

  const section = document.getElementById("broadcasts");
  const tabs = document.getElementById("tabs");
  const until = new Intl.DateTimeFormat(locale, {
    timeZone: config.timeZone,
    weekday: "long",
    day: "numeric",
    month: "long",
    hour: "2-digit",
    minute: "2-digit",
  });
  let items = [];
  let generation = 0;
  const unfolded = new Map(); // id → open, as the member left it (kept across refreshes)

  function t(key, params) {
    let text = STRINGS[lang][key] ?? STRINGS.fr[key] ?? key;
    for (const [name, value] of Object.entries(params || {})) {
      text = text.replace("{" + name + "}", String(value));
    }
    return text;
  }

  function el(tag, className, ...children) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    element.append(...children); // strings become text nodes: a message never becomes markup
    return element;
  }

  function token() {
    try {
      const session = JSON.parse(localStorage.getItem(SESSION_KEY));
      return session && typeof session.token === "string" ? session.token : null;
    } catch (error) {
      return null;
    }
  }

  function memberShown() {
    return Boolean(token()) && !tabs.hidden;
  }

  async function load() {
    const key = token();
    if (!key || !memberShown()) return;
    const asked = ++generation;
    let list;
    try {
      const response = await fetch(PATH, {
        headers: {
          Accept: "application/json",
          "Accept-Language": lang,
          Authorization: "Token " + key,
        },
        credentials: "omit", // the token, never a staff session cookie that may sit beside it
        cache: "no-store",
      });
      if (!response.ok) return; // app.js deals with an ended session; try again later
      list = await response.json();
    } catch (error) {
      return; // offline: keep what is shown, and try again later
    }
    if (asked !== generation || !memberShown()) return;
    items = Array.isArray(list) ? list : [];
    render();
  }

  function current() {
    const now = Date.now();
    return items.filter((item) => new Date(item.expires_at).getTime() > now);
  }

  function render() {
    const shown = memberShown() ? current() : [];
    section.dataset.count = String(shown.length);
    if (!shown.length) {
      section.hidden = true;
      section.replaceChildren();
      return;
    }
    const heading = el("h2", "broadcasts-title", t("broadcasts.title"));
    heading.id = "broadcasts-title";
    const list = el("ul", "broadcast-list", ...shown.map(item));
    section.replaceChildren(heading, list);
    section.hidden = false;
  }

  function item(broadcast) {
    const details = el("details", "broadcast severity-" + broadcast.severity);
    details.open = unfolded.get(broadcast.id) ?? OPEN_SEVERITIES.has(broadcast.severity);
    details.dataset.broadcast = String(broadcast.id);
    details.addEventListener("toggle", () => unfolded.set(broadcast.id, details.open));
    const badge = el("span", "severity", t("broadcasts.severity." + broadcast.severity));
    const summary = el("summary", "", badge, " ", el("strong", "", broadcast.title));
    const time = el("time", "", until.format(new Date(broadcast.expires_at)));
    time.dateTime = broadcast.expires_at;
    const [before, after] = t("broadcasts.until").split("{time}");
    const parts = [summary, el("p", "broadcast-body", broadcast.body)];
    if (broadcast.area_description) {
      parts.push(el("p", "hint", t("broadcasts.area", { area: broadcast.area_description })));
    }
    parts.push(el("p", "hint", before, time, after || ""));
    details.append(...parts);
    return el("li", "", details);
  }

  function forget() {
    generation += 1;
    items = [];
    unfolded.clear();
    render();
  }

  // app.js shows the tabs exactly when an approved member is signed in.
  new MutationObserver(() => (memberShown() ? load() : forget())).observe(tabs, {
    attributes: true,
    attributeFilter: ["hidden"],
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") load();
  });
  const refresh = document.getElementById("refresh");
  if (refresh) refresh.addEventListener("click", load);
  setInterval(() => {
    if (document.visibilityState === "visible") load();
  }, REFRESH_MS);
  setInterval(() => {
    if (current().length !== Number(section.dataset.count || 0)) render();
  }, EXPIRY_CHECK_MS);
  load();
})();
