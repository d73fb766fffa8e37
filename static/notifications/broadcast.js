/* Vigie broadcast page: a supervisor writes a message for an area, checks it, sends it, and
 * sees the centre's current messages.
 *
 * Settings come from the JSON block #vigie-config rendered by notifications/web.py; every
 * text is in static/notifications/strings.js; the map is area.js. Everything goes through the
 * public API with the console's session (the CSRF cookie on POST): POST /api/v1/broadcasts/
 * with an Idempotency-Key per checked message, so a retry after a network failure sends once.
 */
(function () {
  "use strict";

  const NS = window.VigieBroadcast;
  const { config, lang, t, $, el, show, api, errorText, when, clock, decimal } = NS;
  const { surfaceText, durationText, severityBadge, uuid } = NS;

  // --- the page's parts ---------------------------------------------------------------------
  let user = config.user;
  const draft = { payload: null, key: null, signature: null };
  const area = new NS.AreaMap({ target: $("map"), config, onChange: areaChanged });
  NS.areaMap = area; // for the end-to-end test, which clicks where a home is

  function translatePage() {
    document.documentElement.lang = lang;
    for (const element of document.querySelectorAll("[data-i18n]")) {
      element.textContent = t(element.dataset.i18n);
    }
    $("title").maxLength = config.titleMax;
    $("body").maxLength = config.bodyMax;
    $("area-description").maxLength = config.areaDescriptionMax;
    $("radius").min = config.radiusMin;
    $("radius").max = config.radiusMax;
    $("radius").value = config.defaultRadiusM;
    $("severity").replaceChildren(
      ...config.severities.map((s) => new Option(t("severity." + s), s)),
    );
    $("severity").value = config.defaultSeverity;
    $("duration").replaceChildren(...config.durationsH.map((h) => new Option(durationText(h), h)));
    $("duration").value = String(config.defaultDurationH);
    countBody();
  }

  function countBody() {
    const n = $("body").value.length;
    $("body-count").textContent = t("compose.count", { n, max: config.bodyMax });
  }

  function showPage() {
    $("signin-view").hidden = true;
    $("broadcast-view").hidden = false;
    $("sign-out").hidden = false;
    const centres = user.centres.map((c) => c.name).join(", ");
    $("who").textContent = t("who", { user: user.username, centres });
    $("who").hidden = false;
    const centre = $("centre");
    centre.replaceChildren(...user.centres.map((c) => new Option(c.name, c.id)));
    $("field-centre").hidden = user.centres.length < 2;
    area.ensure();
    area.setOutlines(user.centres);
    area.updateSize();
    modeChanged();
    loadCurrent();
  }

  function showSignIn(message) {
    $("broadcast-view").hidden = true;
    $("sign-out").hidden = true;
    $("who").hidden = true;
    $("signin-view").hidden = false;
    show($("signin-error"), message);
    $("username").focus();
  }

  function signedOut(message) {
    user = null;
    showSignIn(message);
  }

  // --- the area -----------------------------------------------------------------------------
  function mode() {
    return document.querySelector("input[name=mode]:checked").value;
  }

  function modeChanged() {
    area.setMode(mode());
    $("circle-inputs").hidden = mode() !== "circle";
    $("area-help").textContent = t("area.help." + mode());
    area.updateSize(); // the form's new height is the map's: a click must not find it stale
  }

  function areaChanged(value) {
    const { circle } = area;
    if (mode() === "circle" && circle.lon !== null) {
      $("circle-lat").value = circle.lat.toFixed(5);
      $("circle-lon").value = circle.lon.toFixed(5);
    } else if (mode() === "circle") {
      $("circle-lat").value = $("circle-lon").value = "";
    }
    let text = t("area.none");
    if (value && value.circle) {
      text = t("area.circleText", {
        r: decimal(0).format(circle.radius),
        lat: circle.lat.toFixed(5),
        lon: circle.lon.toFixed(5),
        area: surfaceText(area.surface()),
      });
    } else if (value) {
      text = t("area.polygonText", { n: area.corners(), area: surfaceText(area.surface()) });
    }
    $("area-status").textContent = text;
    $("area-status").dataset.state = value ? "drawn" : "none";
    if (value) show($("area-error"), "");
    hidePreview();
  }

  function circleTyped() {
    const lat = parseFloat($("circle-lat").value);
    const lon = parseFloat($("circle-lon").value);
    const radius = parseFloat($("radius").value);
    const placed =
      Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
    area.setCircle(placed ? { lon, lat, radius } : { radius });
  }

  // --- compose, check, send -----------------------------------------------------------------
  function clearErrors() {
    for (const id of ["compose-error", "area-error", "title-error", "body-error", "send-error"]) {
      show($(id), "");
    }
    for (const id of ["title", "body"]) $(id).removeAttribute("aria-invalid");
  }

  function fieldError(field, text) {
    show($(field + "-error"), text);
    if ($(field)) $(field).setAttribute("aria-invalid", "true");
  }

  function checked() {
    clearErrors();
    const where = area.value();
    const title = $("title").value.trim();
    const body = $("body").value.trim();
    if (!where) {
      const badRadius = mode() === "circle" && area.circle.lon !== null && !area.radiusOk();
      const limits = { min: config.radiusMin, max: config.radiusMax };
      fieldError("area", badRadius ? t("err.radius", limits) : t("err.area"));
    }
    if (!title) fieldError("title", t("err.title"));
    if (!body) fieldError("body", t("err.body"));
    if (!where || !title || !body) {
      show($("compose-error"), t("err.fields"));
      return null;
    }
    const hours = parseInt($("duration").value, 10);
    return {
      ...where,
      centre: parseInt($("centre").value, 10),
      title,
      body,
      severity: $("severity").value,
      area_description: $("area-description").value.trim(),
      // Fixed when checked, so that a retry sends the very same message.
      expires_at: new Date(Date.now() + hours * 3600 * 1000).toISOString(),
    };
  }

  /** One Idempotency-Key per message: checking the same message again (after a failed send)
   * keeps its key and its expiry, so the server answers with what it may already have sent. */
  function onPreview(event) {
    event.preventDefault();
    const payload = checked();
    if (!payload) return;
    const { expires_at: _expiry, ...message } = payload;
    const signature = JSON.stringify([message, $("duration").value]);
    if (signature !== draft.signature) Object.assign(draft, { key: uuid(), signature, payload });
    renderPreview(draft.payload);
    show($("result"), "");
    $("preview").hidden = false;
    $("preview-title").focus();
    $("preview").scrollIntoView({ block: "nearest" });
  }

  function renderPreview(payload) {
    const card = $("preview-card");
    card.className = "message-card severity-" + payload.severity;
    card.replaceChildren(
      el("div", { class: "message-head" }, severityBadge(payload.severity),
        el("strong", {}, payload.title)),
      el("p", { class: "message-body" }, payload.body),
    );
    const centre = user.centres.find((c) => c.id === payload.centre);
    const facts = [
      ["preview.centre", centre ? centre.name : ""],
      ["preview.area", [$("area-status").textContent, payload.area_description]
        .filter(Boolean).join(" — ")],
      ["preview.severity", t("severity." + payload.severity)],
      ["preview.until", when.format(new Date(payload.expires_at))],
      ["preview.who", t("preview.whoText")],
    ];
    $("preview-facts").replaceChildren(
      ...facts.flatMap(([key, value]) => [el("dt", {}, t(key)), el("dd", {}, value)]),
    );
    if (payload.severity === "Extreme" || payload.severity === "Severe") {
      $("preview-facts").append(
        el("dt", {}, ""),
        el("dd", { class: "priority" }, t("preview.priority")),
      );
    }
  }

  function hidePreview() {
    $("preview").hidden = true;
  }

  async function onSend() {
    const button = $("send");
    button.disabled = true;
    button.textContent = t("preview.sending");
    show($("send-error"), "");
    try {
      const sent = await api(config.api.broadcasts, {
        method: "POST",
        json: draft.payload,
        key: draft.key,
      });
      const n = sent.recipients;
      const text =
        n === 0 ? t("result.sent.none") : n === 1 ? t("result.sent.one") : t("result.sent", { n });
      const result = $("result");
      show(result, text);
      result.dataset.recipients = String(n);
      result.dataset.broadcast = String(sent.id);
      hidePreview();
      resetForm();
      loadCurrent();
    } catch (error) {
      if (error.status === 401) return;
      if (error.code === "idempotency_key_reused") draft.signature = null;
      show($("send-error"), errorText(error));
      if (error.code === "outside_jurisdiction" || error.code === "invalid_geojson") {
        fieldError("area", errorText(error));
      }
    } finally {
      button.disabled = false;
      button.textContent = t("preview.send");
    }
  }

  function resetForm() {
    for (const id of ["title", "body", "area-description"]) $(id).value = "";
    $("severity").value = config.defaultSeverity;
    $("duration").value = String(config.defaultDurationH);
    Object.assign(draft, { payload: null, key: null, signature: null });
    countBody();
    area.clear();
  }

  // --- the current broadcasts ---------------------------------------------------------------
  async function loadCurrent() {
    const status = $("current-status");
    status.textContent = t("current.loading");
    let list;
    try {
      list = await api(config.api.broadcasts);
    } catch (error) {
      status.textContent = errorText(error);
      return;
    }
    area.setCurrent(list);
    $("current-list").replaceChildren(...list.map(currentItem));
    $("current-list").dataset.count = String(list.length);
    status.textContent = list.length
      ? t("current.updated", { time: clock.format(new Date()) })
      : t("current.empty");
  }

  function currentItem(broadcast) {
    const n = broadcast.recipients;
    const recipients =
      n === 0 ? t("current.recipients.none") : n === 1 ? t("current.recipients.one")
        : t("current.recipients", { n });
    const meta = t("current.meta", {
      recipients,
      sent: when.format(new Date(broadcast.created_at)),
      until: when.format(new Date(broadcast.expires_at)),
    });
    const locate = el("button", { type: "button", class: "secondary small" }, t("current.show"));
    locate.addEventListener("click", () => area.showCurrent(broadcast.id));
    return el(
      "li",
      { class: "current-item severity-" + broadcast.severity, "data-broadcast": broadcast.id },
      el("div", { class: "message-head" }, severityBadge(broadcast.severity),
        el("strong", {}, broadcast.title)),
      el("p", { class: "message-body" }, broadcast.body),
      broadcast.area_description ? el("p", { class: "hint" }, broadcast.area_description) : null,
      el("p", { class: "hint meta" }, meta),
      locate,
    );
  }

  // --- signing in and out -------------------------------------------------------------------
  async function onSignIn(event) {
    event.preventDefault();
    const username = $("username").value.trim();
    const password = $("password").value;
    if (!username || !password) {
      show($("signin-error"), t("signin.missing"));
      return;
    }
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = t("signin.busy");
    try {
      const otp = $("otp").value.replace(/\s+/g, "");
      await api(config.api.session, { method: "POST", json: { username, password, otp } });
      // The server decides who may broadcast, and renders the page for them.
      window.location.reload();
    } catch (failure) {
      $("otp").value = ""; // a code is good once
      show($("signin-error"), errorText(failure));
      button.disabled = false;
      button.textContent = t("signin.submit");
    }
  }

  async function onSignOut() {
    try {
      await api(config.api.session, { method: "DELETE" });
    } catch (error) {
      /* signed out already, or the server is away: the page forgets the session anyway */
    }
    signedOut("");
  }

  // --- wiring -------------------------------------------------------------------------------
  NS.setSignedOutHandler(() => signedOut(t("signin.expired")));
  translatePage();
  $("signin-form").addEventListener("submit", onSignIn);
  $("sign-out").addEventListener("click", onSignOut);
  $("compose-form").addEventListener("submit", onPreview);
  $("compose-form").addEventListener("input", (event) => {
    if (event.target.id === "body") countBody();
    if (["circle-lat", "circle-lon", "radius"].includes(event.target.id)) circleTyped();
    hidePreview();
  });
  $("compose-form").addEventListener("change", (event) => {
    if (event.target.name === "mode") modeChanged();
    hidePreview();
  });
  $("area-clear").addEventListener("click", () => area.clear());
  $("send").addEventListener("click", onSend);
  $("edit").addEventListener("click", () => {
    hidePreview();
    $("title").focus();
  });
  $("current-refresh").addEventListener("click", loadCurrent);

  if (user) {
    showPage();
  } else {
    showSignIn(config.refused ? t("signin.refused") : "");
  }
})();
