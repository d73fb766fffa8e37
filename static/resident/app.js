/* Vigie resident web app: sign in, report with a position and photos, follow one's reports.
 *
 * Talks only to the public API (API.md) with an app token kept in localStorage. Settings come
 * from the JSON block #vigie-config rendered by reporting/web.py; every text is in static/resident/strings.js.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("vigie-config").textContent);
  const SESSION_KEY = "vigie.session";

  // --- texts ----------------------------------------------------------------------------------
  const STRINGS = window.VigieStrings; // static/resident/strings.js
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

  function translatePage() {
    document.documentElement.lang = lang;
    for (const element of document.querySelectorAll("[data-i18n]")) {
      element.textContent = t(element.dataset.i18n);
    }
    $("media-hint").textContent = t("report.photos.hint", { max: config.maxFiles });
    $("description").maxLength = config.descriptionMax;
  }

  // --- session ------------------------------------------------------------------------------
  function loadSession() {
    try {
      const session = JSON.parse(localStorage.getItem(SESSION_KEY));
      return session && typeof session.token === "string" ? session : null;
    } catch (error) {
      return null;
    }
  }

  let session = loadSession();

  function saveSession(value) {
    session = value;
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

  /** fetch() with the token, a time limit and the contract's error shape turned into ApiError.
   * A 401 on an authenticated call ends the session and sends back to the sign-in form. */
  async function api(
    path,
    { method = "GET", body, headers = {}, timeoutMs = 30000, withHeaders = false } = {},
  ) {
    const sentHeaders = new Headers(headers);
    sentHeaders.set("Accept", "application/json");
    sentHeaders.set("Accept-Language", lang);
    const authenticated = Boolean(session);
    if (authenticated) {
      sentHeaders.set("Authorization", "Token " + session.token);
    }
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
      data = null;
    }
    if (response.ok) {
      return withHeaders ? { data, headers: response.headers } : data;
    }
    const problem = (data && data.error) || {};
    const failure = new ApiError(
      response.status,
      problem.code || (response.status >= 500 ? "server" : "unknown"),
      problem.message,
      problem.fields,
      response.headers.get("Retry-After"),
    );
    if (response.status === 401 && authenticated) {
      signOut(t("err.expired"));
    }
    throw failure;
  }

  /** The path and query of an absolute URL from this site (pagination links), so that a
   * proxy-rewritten host never sends the next page elsewhere. */
  function localPath(url) {
    const parsed = new URL(url, window.location.href);
    return parsed.pathname + parsed.search;
  }

  function waitText(retryAfter) {
    const seconds = Math.max(1, parseInt(retryAfter, 10) || 60);
    return seconds < 120
      ? t("wait.seconds", { n: seconds })
      : t("wait.minutes", { n: Math.ceil(seconds / 60) });
  }

  /** Plain words for an error code; the server's own message when we have none. */
  function errorText(error, networkKey = "err.network.generic") {
    if (error.status === 0) return t(networkKey);
    if (error.code === "throttled") return t("err.throttled", { wait: waitText(error.retryAfter) });
    if (error.status >= 500) return t("err.server");
    if (error.code === "use_session_login") return t("signin.staff");
    const key = "err." + error.code;
    if (STRINGS[lang][key]) return t(key);
    return error.message || t("err.unknown");
  }

  function show(element, text) {
    element.textContent = text || "";
    element.hidden = !text;
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
  const VIEWS = ["signin-view", "status-view", "report-view", "done-view", "mine-view", "data-view"];

  const showListeners = []; // [view id, callback]: other scripts' views (mydata.js)

  function showView(id, { focus = true } = {}) {
    for (const view of VIEWS) {
      $(view).hidden = view !== id;
    }
    const approved = Boolean(session) && session.status === "approved";
    const member = ["report-view", "done-view", "mine-view"].includes(id) ||
      (id === "data-view" && approved);
    $("tabs").hidden = !member;
    $("tab-report").setAttribute("aria-current", String(!["mine-view", "data-view"].includes(id)));
    $("tab-mine").setAttribute("aria-current", String(id === "mine-view"));
    $("tab-data").setAttribute("aria-current", String(id === "data-view"));
    // A member who may not report reaches "My data" from their status page, and goes back.
    $("data-back").hidden = approved;
    $("sign-out").hidden = !session;
    if (focus) {
      const heading = $(id).querySelector("h1");
      if (heading) heading.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
    for (const [view, callback] of showListeners) {
      if (view === id) callback();
    }
    if (id === "report-view") {
      openReportView();
    } else if (id === "mine-view") {
      loadMine({ reset: true });
    }
  }

  function route() {
    if (!session) {
      showView("signin-view");
      return;
    }
    if (session.status !== "approved") {
      const status = STRINGS[lang]["status." + session.status + ".title"] ? session.status : "pending";
      $("status-title").textContent = t("status." + status + ".title");
      $("status-text").textContent = t("status." + status);
      showView("status-view");
      return;
    }
    showView("report-view");
  }

  // --- sign in / out ------------------------------------------------------------------------
  async function onSignIn(event) {
    event.preventDefault();
    const username = $("username").value.trim();
    const password = $("password").value;
    const error = $("signin-error");
    if (!username || !password) {
      show(error, t("signin.missing"));
      return;
    }
    const button = event.submitter || $("signin-form").querySelector("button");
    button.disabled = true;
    button.textContent = t("signin.busy");
    show(error, "");
    try {
      const data = await api(config.api.token, {
        method: "POST",
        body: JSON.stringify({ username, password }),
        headers: { "Content-Type": "application/json" },
      });
      if (!config.memberRoles.includes(data.role)) {
        show(error, t("signin.staff"));
        return;
      }
      saveSession({ token: data.token, role: data.role, status: data.status, username });
      if (draft.owner && draft.owner !== username) resetDraft();
      draft.owner = username;
      $("password").value = "";
      route();
    } catch (failure) {
      show(error, errorText(failure));
    } finally {
      button.disabled = false;
      button.textContent = t("signin.submit");
    }
  }

  /** Forget the token. When it expired (a message says so) the draft is kept for the same
   * person signing in again; anyone else starts afresh. */
  function signOut(message) {
    if (!message) {
      resetDraft();
      draft.owner = null;
    }
    saveSession(null);
    stopLocating();
    mine.items = [];
    $("mine-list").replaceChildren();
    route();
    if (message) show($("signin-error"), message);
  }

  // --- categories ---------------------------------------------------------------------------
  let categories = null; // a promise of the list, fetched once
  const categoryLabels = new Map();

  function loadCategories() {
    if (!categories) {
      categories = api(config.api.categories).then((list) => {
        for (const category of list) {
          categoryLabels.set(category.code, lang === "en" ? category.label_en : category.label_fr);
        }
        fillCategories(list);
        return list;
      });
      categories.catch((failure) => {
        categories = null; // try again next time the form opens
        if (failure.status !== 401) show($("report-error"), errorText(failure));
      });
    }
    return categories;
  }

  function fillCategories(list) {
    const select = $("category");
    const chosen = select.value;
    // Selected by default, so that resetting the form brings the prompt back, not a category.
    const placeholder = new Option(t("report.category.choose"), "", true, true);
    placeholder.disabled = true;
    const options = list.map((c) => new Option(categoryLabels.get(c.code), c.code));
    select.replaceChildren(placeholder, ...options);
    select.value = chosen;
    if (!select.value) placeholder.selected = true;
  }

  // --- the map and the position -------------------------------------------------------------
  const place = { lon: null, lat: null, accuracy: null, source: null };
  let map = null;
  let pin = null;
  let accuracyRing = null;
  let watchId = null;

  function pinStyle(placed) {
    const colour = placed ? "#c1121f" : "#6c757d";
    return [
      new ol.style.Style({
        image: new ol.style.Circle({
          radius: 16,
          fill: new ol.style.Fill({ color: "rgba(255,255,255,0.85)" }),
          stroke: new ol.style.Stroke({ color: colour, width: 3 }),
        }),
      }),
      new ol.style.Style({
        image: new ol.style.Circle({ radius: 7, fill: new ol.style.Fill({ color: colour }) }),
      }),
    ];
  }

  function createMap() {
    const extent = ol.proj.transformExtent(config.defaultExtent, "EPSG:4326", "EPSG:3857");
    pin = new ol.Feature(new ol.geom.Point(ol.extent.getCenter(extent)));
    pin.setStyle(pinStyle(false));
    accuracyRing = new ol.Feature();
    accuracyRing.setStyle(
      new ol.style.Style({
        fill: new ol.style.Fill({ color: "rgba(29,53,87,0.12)" }),
        stroke: new ol.style.Stroke({ color: "rgba(29,53,87,0.6)", width: 1 }),
      }),
    );
    const attributions = config.tilesAttribution
      ? "© <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a>"
      : undefined;
    map = new ol.Map({
      target: "map",
      layers: [
        new ol.layer.Tile({
          source: new ol.source.XYZ({ url: config.tilesUrl, maxZoom: 19, attributions }),
        }),
        new ol.layer.Vector({ source: new ol.source.Vector({ features: [accuracyRing, pin] }) }),
      ],
      controls: ol.control.defaults.defaults({ rotate: false }),
      interactions: ol.interaction.defaults.defaults({
        altShiftDragRotate: false,
        pinchRotate: false,
      }),
      view: new ol.View({ maxZoom: 19 }),
    });
    map.getView().fit(extent, { padding: [8, 8, 8, 8] });

    const drag = new ol.interaction.Translate({
      features: new ol.Collection([pin]),
      hitTolerance: 24, // a thumb, not a mouse pointer
    });
    drag.on("translateend", placePinByHand);
    map.addInteraction(drag);
    map.on("singleclick", (event) => {
      pin.getGeometry().setCoordinates(event.coordinate);
      placePinByHand();
    });
    map.on("pointermove", (event) => {
      if (event.dragging) return;
      const overPin = map.getFeaturesAtPixel(event.pixel, { hitTolerance: 24 }).includes(pin);
      map.getTargetElement().classList.toggle("over-pin", overPin);
    });
  }

  function placePinByHand() {
    stopLocating();
    const [lon, lat] = ol.proj.toLonLat(pin.getGeometry().getCoordinates());
    setLocation(lon, lat, config.placedAccuracyM, "manual");
  }

  function setLocation(lon, lat, accuracy, source) {
    Object.assign(place, { lon, lat, accuracy, source });
    const where = ol.proj.fromLonLat([lon, lat]);
    pin.getGeometry().setCoordinates(where);
    pin.setStyle(pinStyle(true));
    if (source === "gps") {
      // Metres on the ground are 1/cos(latitude) units of Web Mercator.
      const radius = accuracy / Math.cos((lat * Math.PI) / 180);
      accuracyRing.setGeometry(new ol.geom.Circle(where, radius));
      const view = map.getView();
      view.fit(ol.extent.buffer(ol.extent.boundingExtent([where]), Math.max(radius, 60) * 1.5), {
        maxZoom: 18,
        duration: 250,
      });
    } else {
      accuracyRing.setGeometry(undefined);
    }
    const element = map.getTargetElement();
    element.dataset.lon = lon.toFixed(7);
    element.dataset.lat = lat.toFixed(7);
    element.dataset.accuracy = String(accuracy);
    element.dataset.source = source;
    show($("location-error"), "");
    if (source === "manual") {
      locationMessage("loc.manual", "ok");
    } else if (accuracy > config.poorAccuracyM) {
      locationMessage("loc.poor", "warn", { m: Math.round(accuracy) });
    } else {
      locationMessage("loc.good", "ok", { m: Math.round(accuracy) });
    }
  }

  function locationMessage(key, tone, params) {
    const status = $("location-status");
    status.textContent = t(key, params);
    status.dataset.tone = tone;
    status.dataset.state = key.slice(4);
  }

  function startLocating() {
    stopLocating();
    if (!("geolocation" in navigator)) {
      locationMessage("loc.unavailable", "warn");
      return;
    }
    if (place.source !== "gps") locationMessage("loc.locating", "busy");
    watchId = navigator.geolocation.watchPosition(onFix, onFixError, {
      enableHighAccuracy: true,
      timeout: 20000,
      maximumAge: 0,
    });
  }

  function stopLocating() {
    if (watchId !== null) {
      navigator.geolocation.clearWatch(watchId);
      watchId = null;
    }
  }

  function onFix(position) {
    if (place.source === "manual") return; // the person's placement wins over the GPS
    const { longitude, latitude, accuracy } = position.coords;
    if (place.source === "gps" && accuracy > place.accuracy) return; // keep the better
    setLocation(longitude, latitude, accuracy, "gps");
    if (accuracy <= 20) stopLocating(); // good enough: spare the battery
  }

  function onFixError(error) {
    stopLocating();
    if (place.source) return; // keep the fix or the placement we have
    const denied = error.code === error.PERMISSION_DENIED;
    locationMessage(denied ? "loc.denied" : "loc.unavailable", "warn");
  }

  // --- the report form ----------------------------------------------------------------------
  const draft = { files: [], key: null, signature: null, owner: session && session.username };
  let previewUrls = [];

  function openReportView() {
    loadCategories().catch(() => null); // shown above the form by loadCategories
    if (!map) createMap();
    map.updateSize();
    if (place.source === null && watchId === null) startLocating();
  }

  function resetDraft() {
    $("report-form").reset();
    draft.files = [];
    draft.key = null;
    draft.signature = null;
    renderPreviews();
    clearPlace();
    clearErrors();
  }

  /** Forget the position; the pin stays where it is, greyed, until a fix or a placement. */
  function clearPlace() {
    Object.assign(place, { lon: null, lat: null, accuracy: null, source: null });
    if (map) {
      accuracyRing.setGeometry(undefined);
      pin.setStyle(pinStyle(false));
      const element = map.getTargetElement();
      for (const name of ["lon", "lat", "accuracy", "source"]) delete element.dataset[name];
    }
  }

  function onPhotos(event) {
    const input = event.target;
    const room = config.maxFiles - draft.files.length;
    const chosen = Array.from(input.files);
    draft.files.push(...chosen.slice(0, Math.max(room, 0)));
    show($("media-error"), chosen.length > room ? t("err.media.count", { max: config.maxFiles }) : "");
    input.value = ""; // so the same camera button can take the next photo
    renderPreviews();
  }

  function renderPreviews() {
    for (const url of previewUrls) URL.revokeObjectURL(url);
    previewUrls = [];
    const items = draft.files.map((file, index) => {
      const item = document.createElement("li");
      const image = document.createElement("img");
      const url = URL.createObjectURL(file);
      previewUrls.push(url);
      image.src = url;
      image.alt = t("report.photos.alt", { n: index + 1 });
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "remove";
      remove.textContent = t("report.photos.remove");
      remove.setAttribute("aria-label", t("report.photos.removeLabel", { n: index + 1 }));
      remove.addEventListener("click", () => {
        draft.files.splice(index, 1);
        show($("media-error"), "");
        renderPreviews();
      });
      item.append(image, remove);
      return item;
    });
    $("previews").replaceChildren(...items);
    $("photos").disabled = draft.files.length >= config.maxFiles;
  }

  const FIELD_OF = {
    category: "category",
    description: "description",
    location: "location",
    accuracy_m: "location",
    occurred_at: null,
    media: "media",
  };
  const CONTROL_OF = { category: "category", description: "description", location: "map" };

  function clearErrors() {
    show($("report-error"), "");
    for (const field of ["category", "description", "location", "media"]) {
      show($(field + "-error"), "");
      const control = $(CONTROL_OF[field] || "photos");
      control.removeAttribute("aria-invalid");
    }
  }

  function fieldError(field, text) {
    show($(field + "-error"), text);
    $(CONTROL_OF[field] || "photos").setAttribute("aria-invalid", "true");
  }

  /** The error next to its field where there is one, else at the top of the form. */
  function showReportError(error) {
    // The server names the refused files ("IMG_0042.jpg: too large"); say which ones.
    const files = [].concat((error.fields || {}).media || []).map((m) => String(m).split(":")[0]);
    const which = files.length ? " (" + files.join(", ") + ")" : "";
    const byCode = {
      accuracy_too_poor: ["location", t("err.location.poor")],
      outside_jurisdiction: ["location", t("err.outside_jurisdiction")],
      media_too_large: ["media", t("err.media_too_large") + which],
      unsupported_media: ["media", t("err.unsupported_media") + which],
      too_large: ["media", t("err.too_large")],
    }[error.code];
    if (byCode) {
      fieldError(...byCode);
      return byCode[0];
    }
    const fields = Object.keys(error.fields || {});
    const placed = [];
    for (const name of fields) {
      const field = FIELD_OF[name];
      if (!field) continue;
      const messages = [].concat(error.fields[name]).map(String);
      const ownWords = STRINGS[lang]["err." + field];
      fieldError(field, ownWords ? t("err." + field) : messages.join(" "));
      placed.push(field);
    }
    if (placed.length && placed.length === fields.length) {
      show($("report-error"), t("err.fields"));
      return placed[0];
    }
    show($("report-error"), errorText(error, "err.network"));
    return null;
  }

  function focusField(field) {
    const control = field === "location" ? $("locate") : $(CONTROL_OF[field] || "photos");
    const box = $("field-" + field);
    if (box) box.scrollIntoView({ block: "start", behavior: "smooth" });
    if (control && field !== "media") control.focus({ preventScroll: true });
  }

  function checkDraft() {
    let first = null;
    if (!$("category").value) {
      fieldError("category", t("err.category"));
      first = first || "category";
    }
    if (place.source === null) {
      fieldError("location", t("err.location"));
      first = first || "location";
    } else if (place.accuracy > config.maxAccuracyM) {
      fieldError("location", t("err.location.poor"));
      first = first || "location";
    }
    if (draft.files.length > config.maxFiles) {
      fieldError("media", t("err.media.count", { max: config.maxFiles }));
      first = first || "media";
    }
    return first;
  }

  async function onSend(event) {
    event.preventDefault();
    clearErrors();
    const invalid = checkDraft();
    if (invalid) {
      show($("report-error"), t("err.fields"));
      focusField(invalid);
      return;
    }
    stopLocating(); // what is sent is what the person sees
    const category = $("category").value;
    const description = $("description").value.trim();
    const point = { type: "Point", coordinates: [round(place.lon, 7), round(place.lat, 7)] };
    const accuracy = round(place.accuracy, 1);
    // One Idempotency-Key per report: a retry of the same draft (after a network failure)
    // reuses it, so the server answers with the report it may already have made.
    const signature = JSON.stringify([category, description, point, accuracy,
      draft.files.map((f) => [f.name, f.size, f.lastModified])]);
    if (signature !== draft.signature) {
      draft.key = uuid();
      draft.signature = signature;
    }
    const form = new FormData();
    form.append("category", category);
    form.append("description", description);
    form.append("location", JSON.stringify(point));
    form.append("accuracy_m", String(accuracy));
    for (const file of draft.files) form.append("media", file, file.name);

    const button = $("send");
    button.disabled = true;
    button.textContent = t("report.sending");
    button.setAttribute("aria-busy", "true");
    try {
      const report = await api(config.api.reports, {
        method: "POST",
        body: form,
        headers: { "Idempotency-Key": draft.key },
        timeoutMs: 120000,
      });
      $("done-reference").textContent = report.reference;
      resetDraft();
      showView("done-view");
    } catch (error) {
      if (error.status === 401) return; // signed out, back on the sign-in form
      if (/^account_/.test(error.code)) {
        saveSession({ ...session, status: error.code.slice("account_".length) });
        route();
        return;
      }
      if (error.code === "idempotency_key_reused") draft.signature = null;
      const field = showReportError(error);
      if (field) {
        focusField(field);
      } else {
        $("report-error").scrollIntoView({ block: "center" });
      }
    } finally {
      button.disabled = false;
      button.textContent = t("report.send");
      button.removeAttribute("aria-busy");
    }
  }

  function round(value, digits) {
    const factor = 10 ** digits;
    return Math.round(value * factor) / factor;
  }

  // --- my reports ---------------------------------------------------------------------------
  const mine = { items: [], next: null, loading: false };
  const dateFormat = new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: config.timeZone,
  });
  const timeFormat = new Intl.DateTimeFormat(locale, { timeStyle: "short" });

  async function loadMine({ reset }) {
    if (mine.loading || !session) return;
    mine.loading = true;
    const status = $("mine-status");
    const url = reset ? config.api.reports : mine.next;
    $("refresh").disabled = true;
    $("mine-more").disabled = true;
    status.textContent = t("mine.loading");
    try {
      await loadCategories().catch(() => null); // labels if we can, codes otherwise
      const page = await api(url);
      mine.items = reset ? page.results : mine.items.concat(page.results);
      mine.next = page.next ? localPath(page.next) : null;
      renderMine();
      status.textContent = mine.items.length
        ? t("mine.updated", { time: timeFormat.format(new Date()) })
        : t("mine.empty");
    } catch (error) {
      if (error.status !== 401) status.textContent = errorText(error);
    } finally {
      mine.loading = false;
      $("refresh").disabled = false;
      $("mine-more").disabled = false;
    }
  }

  function renderMine() {
    const items = mine.items.map((report) => {
      const item = document.createElement("li");
      item.className = "report";
      item.dataset.reference = report.reference;
      const head = document.createElement("div");
      head.className = "report-head";
      const reference = document.createElement("strong");
      reference.className = "reference";
      reference.textContent = report.reference;
      const badge = document.createElement("span");
      badge.className = "badge status-" + report.status;
      badge.textContent = t("status." + report.status);
      head.append(reference, badge);
      const category = document.createElement("p");
      category.className = "category";
      category.textContent = categoryLabels.get(report.category) || report.category;
      const date = document.createElement("p");
      date.className = "date";
      const time = document.createElement("time");
      time.dateTime = report.created_at;
      time.textContent = dateFormat.format(new Date(report.created_at));
      date.append(time);
      item.append(head, category, date);
      return item;
    });
    $("mine-list").replaceChildren(...items);
    $("mine-more").hidden = !mine.next;
  }

  // --- wiring -------------------------------------------------------------------------------
  function start() {
    translatePage();
    $("signin-form").addEventListener("submit", onSignIn);
    $("sign-out").addEventListener("click", () => signOut());
    $("report-form").addEventListener("submit", onSend);
    $("photos").addEventListener("change", onPhotos);
    $("locate").addEventListener("click", () => {
      clearPlace();
      startLocating();
    });
    $("category").addEventListener("change", () => show($("category-error"), ""));
    $("tab-report").addEventListener("click", () => showView("report-view"));
    $("tab-mine").addEventListener("click", () => showView("mine-view"));
    $("new-report").addEventListener("click", () => showView("report-view"));
    $("done-mine").addEventListener("click", () => showView("mine-view"));
    $("refresh").addEventListener("click", () => loadMine({ reset: true }));
    $("mine-more").addEventListener("click", () => loadMine({ reset: false }));
    $("tab-data").addEventListener("click", () => showView("data-view"));
    $("status-data").addEventListener("click", () => showView("data-view"));
    $("data-back").addEventListener("click", () => route());
    route();
  }

  // What static/resident/mydata.js ("My data") uses: the same API client and session.
  window.VigieApp = {
    api,
    errorText,
    t,
    session: () => session,
    signOut,
    onShow: (id, callback) => showListeners.push([id, callback]),
  };

  start();
})();
