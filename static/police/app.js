/* Vigie police app: sign-in, the unit, its live dispatches, and what tells the officer.
 *
 * The record is on the server: every socket hello carries the unit's live interventions, and
 * each `intervention.updated` frame the whole intervention, so the page only keeps the newest
 * copy of each (by its timeline's length) and shows the newest dispatch. A new dispatch rings,
 * vibrates and raises a banner. Push notifications when the page is closed (FCM) are not built
 * yet: the page must stay open to hear of a dispatch. Needs base.js, socket.js, position.js
 * and mission.js.
 */
(function () {
  "use strict";

  const police = window.VigiePolice;
  const { config, t, $, show, api } = police;
  const UNIT_KEY = "vigie.police.unit";
  const LIVE = ["dispatched", "acknowledged", "en_route", "on_scene"];

  const app = {
    units: [],
    unitId: Number(localStorage.getItem(UNIT_KEY)) || null,
    interventions: new Map(), // id -> intervention payload (live ones only)
    announced: new Set(), // dispatches already rung for
    reports: new Map(), // report id -> report (or a pending promise)
    categories: new Map(), // code -> label
    lastFix: null,
    heard: false, // a hello came: the units are known
  };

  // --- the alarm: a tone (Web Audio, no file), a vibration, a banner --------------------------
  let audio = null;
  function unlockSound() {
    const AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!AudioContext) return;
    if (!audio) audio = new AudioContext();
    audio.resume().catch(() => null);
  }
  document.addEventListener("pointerdown", unlockSound, true);
  document.addEventListener("keydown", unlockSound, true);

  function ring() {
    if (navigator.vibrate) navigator.vibrate([400, 150, 400, 150, 400]);
    if (!audio || audio.state !== "running") return; // no gesture yet: the banner must do
    const start = audio.currentTime + 0.05;
    [0, 0.35, 0.7].forEach((offset, index) => {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.type = "square";
      tone.frequency.value = index === 1 ? 660 : 880;
      gain.gain.setValueAtTime(0.25, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.001, start + offset + 0.3);
      tone.connect(gain).connect(audio.destination);
      tone.start(start + offset);
      tone.stop(start + offset + 0.3);
    });
    $("banner").dataset.rang = "true"; // for the curious and the tests
  }

  function banner(text, kind) {
    $("banner-text").textContent = text;
    $("banner").dataset.kind = kind;
    $("banner").hidden = false;
    document.title = kind === "new" ? "● " + t("banner.title") : "Vigie";
  }

  function closeBanner() {
    $("banner").hidden = true;
    document.title = "Vigie";
  }

  // --- views --------------------------------------------------------------------------------
  function showView(id) {
    for (const view of ["signin-view", "app-view"]) $(view).hidden = view !== id;
    $("sign-out").hidden = !police.state.session;
    $("connection").hidden = id !== "app-view";
    document.body.dataset.view = id;
    const heading = $(id).querySelector("h1");
    if (heading) heading.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }

  function connectionState(state, seconds) {
    const element = $("connection");
    element.dataset.state = state;
    element.textContent =
      state === "reconnecting" && seconds ? t("conn.retryIn", { n: seconds }) : t("conn." + state);
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
    const otp = $("otp").value.replace(/\s+/g, "");
    try {
      const data = await api(config.api.token, {
        method: "POST",
        body: { username, password, otp },
      });
      if (data.role !== "police") {
        show(error, t("signin.policeOnly")); // the token is not kept
        return;
      }
      police.saveSession({ token: data.token, username });
      $("password").value = "";
      $("otp").value = "";
      start();
    } catch (failure) {
      const staff = failure.code === "use_session_login";
      show(error, staff ? t("signin.policeOnly") : police.errorText(failure));
      // A code is good for one sign-in only: the next try needs the one shown then.
      $("otp").value = "";
      if (["otp_required", "otp_invalid"].includes(failure.code)) $("otp").focus();
    } finally {
      button.disabled = false;
      button.textContent = t("signin.submit");
    }
  }

  function signOut(message) {
    socket.stop();
    sharing.stop({ remember: !message });
    police.saveSession(null);
    app.units = [];
    app.heard = false;
    app.interventions.clear();
    app.announced.clear();
    app.reports.clear();
    mission.clear();
    closeBanner();
    showView("signin-view");
    if (message) show($("signin-error"), message);
  }

  function start() {
    showView("app-view");
    renderUnit();
    socket.start(police.state.session.token);
    loadCategories();
    if (police.PositionSharing.wanted()) sharing.start();
    else $("share-status").textContent = t("share.off");
    renderShare();
  }

  async function loadCategories() {
    try {
      const categories = await api(config.api.categories);
      app.categories = new Map(categories.map((c) => [c.code, c.label]));
      if (mission.intervention) mission.renderCategory();
    } catch (error) {
      /* codes are shown instead of labels */
    }
  }

  // --- the record from the socket -----------------------------------------------------------
  function onHello(frame) {
    app.heard = true;
    app.units = frame.units;
    const fresh = new Map();
    for (const intervention of frame.interventions) {
      if (LIVE.includes(intervention.state)) fresh.set(intervention.id, intervention);
    }
    const gone = [...app.interventions.keys()].filter((id) => !fresh.has(id));
    app.interventions = fresh;
    if (gone.includes(mission.id)) banner(t("banner.ended"), "info");
    for (const intervention of fresh.values()) announce(intervention);
    render();
  }

  function onFrame(frame) {
    if (frame.type === "intervention.updated") {
      apply(frame.data);
      refreshUnits();
    } else if (frame.type === "intervention.withdrawn") {
      if (app.interventions.delete(frame.data.intervention)) {
        banner(t("banner.withdrawn"), "info");
        render();
      }
      refreshUnits();
    }
  }

  /** The newest copy of an intervention wins; a final one leaves the screen. */
  function apply(intervention) {
    const known = app.interventions.get(intervention.id);
    if (known && (known.timeline || []).length > (intervention.timeline || []).length) return;
    if (!LIVE.includes(intervention.state)) {
      if (!known) return; // a proposal (not for us yet), or an end we already showed
      app.interventions.delete(intervention.id);
      if (intervention.state === "cancelled") banner(t("banner.cancelled"), "warn");
      else banner(t("banner.resolved", { outcome: t("outcome." + intervention.outcome) }), "ok");
    } else {
      app.interventions.set(intervention.id, intervention);
      announce(intervention);
    }
    render();
  }

  function announce(intervention) {
    if (intervention.state !== "dispatched" || app.announced.has(intervention.id)) return;
    app.announced.add(intervention.id);
    banner(t("banner.new"), "new");
    ring();
  }

  function current() {
    const live = [...app.interventions.values()];
    live.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
    return live;
  }

  function render() {
    const [shown, ...others] = current();
    if (shown) {
      mission.show(shown, others.length);
      loadReport(shown.report);
      if (app.units.some((u) => u.id === shown.unit.id)) app.unitId = shown.unit.id;
    } else {
      mission.clear();
    }
    renderUnit();
  }

  async function loadReport(id) {
    const known = app.reports.get(id);
    if (known && !(known instanceof Promise)) {
      mission.setReport(known);
      return;
    }
    if (known) return;
    const loading = api(police.route("report", { report: id }));
    app.reports.set(id, loading);
    try {
      const report = await loading;
      app.reports.set(id, report);
      mission.setReport(report);
    } catch (error) {
      app.reports.delete(id); // tried again on the next render
      if (mission.intervention && mission.intervention.report === id) mission.reportFailed(error);
    }
  }

  /** The socket tells of interventions, not of the unit: its status is read again. */
  async function refreshUnits() {
    try {
      app.units = await api(config.api.units);
      renderUnit();
    } catch (error) {
      /* the next hello brings them */
    }
  }

  // --- the unit -----------------------------------------------------------------------------
  function unit() {
    return app.units.find((u) => u.id === app.unitId) || app.units[0] || null;
  }

  function renderUnit() {
    const chosen = unit();
    $("no-unit").hidden = Boolean(chosen) || !app.heard;
    $("unit-callsign").textContent = chosen ? chosen.callsign : t("unit.unknown");
    const status = chosen ? chosen.status : "";
    $("unit-status").dataset.status = status;
    $("unit-status").textContent = status ? t("status." + status) : "";
    const select = $("unit-select");
    $("unit-choice").hidden = app.units.length < 2;
    if (app.units.length > 1) {
      select.replaceChildren(
        ...app.units.map((u) => police.el("option", { value: u.id, text: u.callsign })),
      );
      select.value = String(chosen.id);
      select.disabled = Boolean(mission.intervention);
    }
    const toggle = $("duty-toggle");
    toggle.hidden = !chosen;
    toggle.disabled = !chosen || status === "busy";
    // One label, and its pressed state says whether the unit is on duty (busy counts).
    toggle.setAttribute("aria-pressed", String(status === "available" || status === "busy"));
  }

  async function toggleDuty() {
    const chosen = unit();
    if (!chosen || chosen.status === "busy") return;
    const wanted = chosen.status === "available" ? "off_duty" : "available";
    const toggle = $("duty-toggle");
    toggle.disabled = true;
    show($("unit-error"), "");
    try {
      const updated = await api(police.route("unitStatus", { unit: chosen.id }), {
        method: "POST",
        body: { status: wanted },
      });
      app.units = app.units.map((u) => (u.id === updated.id ? updated : u));
    } catch (error) {
      show($("unit-error"), police.errorText(error));
    } finally {
      renderUnit();
    }
  }

  // --- position sharing ---------------------------------------------------------------------
  function renderShare() {
    $("share-toggle").setAttribute("aria-pressed", String(sharing.active));
  }

  // --- wiring -------------------------------------------------------------------------------
  const socket = new police.PoliceSocket({
    onHello,
    onFrame,
    onState: (state, seconds) => {
      connectionState(state, seconds);
      renderUnit();
    },
    onSignedOut: () => signOut(t("signin.expired")),
    onRefused: () => signOut(t("signin.policeOnly")),
  });

  const sharing = new police.PositionSharing({
    unitId: () => (unit() ? unit().id : null),
    socket,
    onStatus: (text, state) => {
      $("share-status").textContent = text;
      $("share-status").dataset.state = state;
      renderShare();
    },
    onSent: (coordinates) => {
      app.lastFix = coordinates; // the start of the directions link
      if (mission.report) mission.renderPlace();
    },
  });

  const mission = new police.MissionView({
    onChanged: apply,
    onStale: refreshInterventions,
    here: () => app.lastFix || (unit() && unit().location ? unit().location.coordinates : null),
    categoryLabel: (code) => app.categories.get(code) || code,
  });

  async function refreshInterventions() {
    try {
      const live = await api(config.api.interventions + "?active=true");
      onHello({ units: app.units, interventions: live });
    } catch (error) {
      /* the socket's next hello brings them */
    }
  }

  police.translatePage();
  $("signin-form").addEventListener("submit", onSignIn);
  $("sign-out").addEventListener("click", () => signOut());
  $("banner-close").addEventListener("click", closeBanner);
  $("duty-toggle").addEventListener("click", toggleDuty);
  $("share-toggle").addEventListener("click", () => {
    if (sharing.active) sharing.stop();
    else sharing.start();
    renderShare();
  });
  $("unit-select").addEventListener("change", (event) => {
    app.unitId = Number(event.target.value);
    localStorage.setItem(UNIT_KEY, String(app.unitId));
    renderUnit();
  });
  document.addEventListener("vigie:expired", () => signOut(t("signin.expired")));

  if (police.state.session) start();
  else showView("signin-view");
})();
