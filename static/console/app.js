/* Vigie operator console: sign in, then follow the centres live and act on their reports.
 *
 * After the socket's hello, the open reports are read through the REST API (the snapshot);
 * live events that arrive meanwhile wait and are applied on top, in order. A reconnection
 * with `?since=` is replayed what it missed and needs no new snapshot. See socket.js for the
 * connection, feed.js, map.js and detail.js for the three panes, units.js for the police
 * units (on the map and in its list) and dispatch.js for the detail pane's dispatch section.
 */
(function () {
  "use strict";

  const V = window.Vigie;
  const { config, t, $, api, errorText } = V;
  const SNAPSHOT_QUERY = "?status=new&status=acknowledged&status=dispatched&page_size=200";
  const SNAPSHOT_MAX_PAGES = 25;

  V.translatePage();

  let user = config.user;
  let categoriesLoaded = false;
  let snapshot = { generation: 0, loading: false, waiting: [] };

  const socket = new V.ConsoleSocket({
    onHello: ({ resync }) => {
      if (resync) loadSnapshot();
    },
    onEvent: (frame) => {
      if (snapshot.loading) snapshot.waiting.push(frame);
      else apply(frame);
    },
    onState: showConnection,
    onSignedOut: () => signedOut(t("signin.expired")),
    onRefused: () => {
      showConnection("refused");
      $("feed-status").textContent = t("signin.refused");
    },
  });

  const feed = new V.Feed({
    list: $("feed"),
    count: $("feed-count"),
    status: $("feed-status"),
    onSelect: select,
    onChange: () => {
      map.setReports(feed.sorted());
      alarm.setActive(feed.criticalWaiting());
    },
  });
  const map = new V.ConsoleMap({ target: $("map"), hint: $("map-hint"), onSelect: select });
  const units = new V.Units({ map, list: $("units"), count: $("units-count") });
  const dispatch = new V.Dispatch({ socket, units });
  const detail = new V.Detail({
    feed,
    socket,
    onChanged: (report) => {
      feed.upsert(report);
      detail.update(report);
      dispatch.reportChanged(report);
    },
  });
  const alarm = new V.Alarm($("sound"));
  const notices = new V.Notices({ list: $("notices"), onSelect: select });

  V.setSignedOutHandler(() => signedOut(t("signin.expired")));

  // --- live events ----------------------------------------------------------------------------
  function apply(frame) {
    const data = frame.data || {};
    switch (frame.type) {
      case "report.created":
      case "report.updated":
        feed.upsert(data);
        detail.update(data);
        dispatch.reportChanged(data);
        notices.reportChanged(data);
        break;
      case "report.shared": // another centre's report, shared with this one to read
        feed.upsert(data);
        detail.update(data);
        break;
      case "report.cameras":
        feed.setCameras(data.report, data.cameras);
        detail.camerasChanged(data.report, data.cameras);
        break;
      case "incident.updated":
        feed.setIncident(data);
        if (detail.report && feed.get(detail.report.id)) detail.update(feed.get(detail.report.id));
        break;
      case "device.offline":
        notices.deviceOffline(data);
        break;
      case "device.online":
        notices.deviceOnline(data);
        break;
      case "escalation":
        notices.escalation(data);
        break;
      case "intervention.updated":
        dispatch.interventionChanged(data);
        break;
      case "unit.updated":
        units.upsert(data);
        break;
      case "unit.position":
        units.upsert(data.units || []);
        break;
      default:
        break; // report.ptz: not shown
    }
  }

  function localPath(url) {
    const parsed = new URL(url, window.location.href);
    return parsed.pathname + parsed.search;
  }

  /** Read every open report and every unit, then apply the events that arrived while reading. */
  async function loadSnapshot() {
    const generation = ++snapshot.generation;
    snapshot.loading = true;
    snapshot.waiting = [];
    $("feed-status").textContent = t("feed.loading");
    loadCategories();
    loadOfflineDevices();
    const unitsRead = units.read(); // meanwhile; null if it failed (the events still tell)
    const reports = [];
    let failure = null;
    try {
      let path = config.api.reports + SNAPSHOT_QUERY;
      for (let page = 0; path && page < SNAPSHOT_MAX_PAGES; page += 1) {
        const data = await api(path);
        reports.push(...data.results);
        path = data.next ? localPath(data.next) : null;
      }
    } catch (error) {
      failure = error;
    }
    const unitList = await unitsRead;
    if (generation !== snapshot.generation) return;
    if (unitList) units.reset(unitList);
    if (failure) {
      snapshot.loading = false;
      $("feed-status").textContent = t("feed.failed") + " " + errorText(failure);
      snapshot.waiting.splice(0).forEach(apply);
      return;
    }
    feed.reset(reports);
    snapshot.loading = false;
    snapshot.waiting.splice(0).forEach(apply);
    if (detail.report) {
      if (feed.get(detail.report.id)) detail.update(feed.get(detail.report.id));
      dispatch.reload(); // events may have been missed before this snapshot
    }
    $("feed").dataset.ready = "true";
  }

  async function loadOfflineDevices() {
    try {
      notices.setOfflineDevices(await api(config.api.devices + "?online=false"));
    } catch (error) {
      /* the live events still tell; read again on the next snapshot */
    }
  }

  async function loadCategories() {
    if (categoriesLoaded) return;
    try {
      feed.setCategories(await api(config.api.categories));
      categoriesLoaded = true;
    } catch (error) {
      /* codes are shown instead of labels; tried again on the next snapshot */
    }
  }

  function select(id) {
    if (!feed.get(id)) return;
    feed.select(id);
    detail.show(id);
    dispatch.show(feed.get(id));
    map.select(feed.get(id));
  }

  // --- the header -----------------------------------------------------------------------------
  function showConnection(state, seconds) {
    const indicator = $("connection");
    indicator.dataset.state = state;
    indicator.textContent =
      state === "reconnecting" && seconds !== undefined
        ? t("conn.reconnecting.in", { n: seconds })
        : t("conn." + state);
  }

  function showConsole() {
    $("signin-view").hidden = true;
    $("console-view").hidden = false;
    $("sign-out").hidden = false;
    $("sound").hidden = false;
    $("figures-link").hidden = false;
    // The page itself refuses anyone else; the link only spares operators a dead end.
    $("broadcast-link").hidden = !["supervisor", "admin"].includes(user.role);
    const who = $("who");
    who.textContent = t("who", {
      user: user.username,
      centres: user.centres.map((centre) => centre.name).join(", "),
    });
    who.hidden = false;
    feed.setCentres(user.centres);
    map.ensure();
    units.ensure();
    map.updateSize();
  }

  function showSignIn(message) {
    $("console-view").hidden = true;
    $("sign-out").hidden = true;
    $("sound").hidden = true;
    $("figures-link").hidden = true;
    $("broadcast-link").hidden = true;
    $("who").hidden = true;
    $("signin-view").hidden = false;
    const error = $("signin-error");
    error.textContent = message || "";
    error.hidden = !message;
    showConnection("signed-out");
    $("username").focus();
  }

  function forget() {
    socket.stop();
    snapshot.generation += 1;
    snapshot.loading = false;
    feed.reset([]);
    units.reset([]);
    detail.clear();
    dispatch.clear();
    $("feed").dataset.ready = "false";
  }

  function signedOut(message) {
    const wasIn = Boolean(user);
    user = null;
    forget();
    showSignIn(wasIn ? message : "");
  }

  // --- signing in and out ---------------------------------------------------------------------
  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = $("username").value.trim();
    const password = $("password").value;
    const error = $("signin-error");
    if (!username || !password) {
      error.textContent = t("signin.missing");
      error.hidden = false;
      return;
    }
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = t("signin.busy");
    alarm.unlock(); // signing in is the click that lets the alarm sound
    const otp = $("otp").value.replace(/\s+/g, "");
    try {
      user = await api(config.api.session, { method: "POST", json: { username, password, otp } });
      $("password").value = "";
      $("otp").value = "";
      lastKeepAlive = Date.now();
      error.hidden = true;
      showConsole();
      socket.start();
    } catch (failure) {
      error.textContent = errorText(failure);
      error.hidden = false;
      // A code is good for one sign-in only: the next try needs the one shown then.
      $("otp").value = "";
      if (["otp_required", "otp_invalid"].includes(failure.code)) $("otp").focus();
    } finally {
      button.disabled = false;
      button.textContent = t("signin.submit");
    }
  });

  // --- staying signed in while someone uses the page -------------------------------------------
  // The server ends a session nobody used for VIGIE_SESSION_IDLE_MINUTES. Watching the live
  // feed makes no HTTP request, so someone using the page (a key, a click, a touch) tells the
  // server, at most once a minute; a console left alone is signed out, on purpose.
  const KEEP_ALIVE_EVERY_MS = 60 * 1000;
  let lastKeepAlive = 0;
  async function keepAlive() {
    if (!user || Date.now() - lastKeepAlive < KEEP_ALIVE_EVERY_MS) return;
    lastKeepAlive = Date.now();
    try {
      await api(config.api.session);
    } catch (failure) {
      if (failure.status === 401) signedOut(t("signin.expired"));
    }
  }
  for (const type of ["pointerdown", "keydown", "wheel"]) {
    document.addEventListener(type, keepAlive, { passive: true, capture: true });
  }

  $("sign-out").addEventListener("click", async () => {
    try {
      await api(config.api.session, { method: "DELETE" });
    } catch (error) {
      /* signed out already, or the server is away: the page forgets the session anyway */
    }
    user = null;
    forget();
    showSignIn("");
  });

  if (user) {
    showConsole();
    socket.start();
  } else {
    showSignIn("");
  }
})();
