/* Vigie shop alert button: sign in, the big button, its confirmation, and sending the press.
 *
 * A press needs two taps on two places (the button, then "Confirmer" below it, within a few
 * seconds): fast for a person, unlikely from a pocket. It goes out at once, with the position
 * only if the browser already has a good one, under one Idempotency-Key: a retry after a
 * network failure, or after a reload, makes no second alert. Needs base.js and alert.js.
 */
(function () {
  "use strict";

  const shop = window.VigieShop;
  const { config, t, $, show, api } = shop;
  const PENDING_KEY = "vigie.shop.pending";

  // --- routing ------------------------------------------------------------------------------
  function route() {
    const session = shop.state.session;
    if (!session) {
      shop.showView("signin-view");
      return;
    }
    if (session.status !== "approved") {
      const known = ["pending", "suspended", "revoked"].includes(session.status);
      const status = known ? session.status : "pending";
      $("status-title").textContent = t("status." + status + ".title");
      $("status-text").textContent = t("status." + status);
      shop.showView("status-view");
      return;
    }
    const pending = loadPending();
    if (pending) {
      showButton({ focus: false });
      sendPress(pending); // confirmed before a reload or a sign-out, never answered
      return;
    }
    showButton();
    locate({ ask: true });
    resumeLatest();
  }

  function showButton({ focus = true } = {}) {
    shop.alert.stop();
    disarm();
    const following = shop.alert.current();
    const inProgress = following && !shop.alert.isOver(following);
    $("current-alert").hidden = !inProgress;
    if (inProgress) $("current-reference").textContent = following.reference;
    shop.showView("button-view", { focus });
  }

  /** On load, the latest alert still in progress comes back on screen. */
  async function resumeLatest() {
    let alerts;
    try {
      alerts = await api(config.api.alerts);
    } catch (error) {
      if (/^account_/.test(error.code)) accountRefused(error);
      return; // the button works without it
    }
    const since = shop.serverNow() - config.resumeWithinS * 1000;
    const open = alerts
      .filter((a) => !shop.alert.isOver(a) && Date.parse(a.created_at) >= since)
      .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
    if (open.length && !$("button-view").hidden && !press.sending && !confirmation.armed) {
      shop.alert.open(open[0]);
    }
  }

  function accountRefused(error) {
    shop.saveSession({ ...shop.state.session, status: error.code.slice("account_".length) });
    route();
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
      });
      if (data.role !== "business") {
        show(error, t("signin.businessOnly")); // the token is not kept
        return;
      }
      const previous = loadPending();
      if (previous && previous.owner !== username) clearPending();
      shop.saveSession({ token: data.token, role: data.role, status: data.status, username });
      $("password").value = "";
      route();
    } catch (failure) {
      const staff = failure.code === "use_session_login";
      show(error, staff ? t("signin.businessOnly") : shop.errorText(failure));
    } finally {
      button.disabled = false;
      button.textContent = t("signin.submit");
    }
  }

  function signOut(message) {
    if (!message) clearPending(); // an expired token keeps the unsent press for the next sign-in
    shop.saveSession(null);
    shop.alert.forget();
    Object.assign(press, { sending: false, run: null });
    disarm();
    pressStatus("");
    $("press-retry").hidden = true;
    route();
    if (message) show($("signin-error"), message);
  }

  // --- the position, if the browser has a good one quickly -----------------------------------
  const FIX_MAX_AGE_MS = 60000;
  let fix = null; // {lon, lat, accuracy, at}

  /** Ask the browser where we are, in the background. Only `ask` may make it prompt the person
   * (when the button shows); at the first tap a prompt would cover the confirmation. */
  function locate({ ask = false } = {}) {
    if (!("geolocation" in navigator)) return;
    if (ask || !navigator.permissions) {
      if (ask) getPosition();
      return;
    }
    navigator.permissions
      .query({ name: "geolocation" })
      .then((permission) => permission.state === "granted" && getPosition())
      .catch(() => null);
  }

  function getPosition() {
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const { longitude, latitude, accuracy } = position.coords;
        if (accuracy <= config.geolocationAccuracyM) {
          fix = { lon: longitude, lat: latitude, accuracy, at: Date.now() };
          $("button-view").dataset.fix = "ready"; // for the curious and for the tests
        }
      },
      () => null, // refused or unknown: the centre has the registered address
      { enableHighAccuracy: true, timeout: config.geolocationWaitMs, maximumAge: 30000 },
    );
  }

  /** The fix if it is recent; a late or imprecise one was never kept (see getPosition). */
  function freshFix() {
    return fix && Date.now() - fix.at <= FIX_MAX_AGE_MS ? fix : null;
  }

  // --- first tap, then confirm --------------------------------------------------------------
  const confirmation = { armed: false, until: 0, timer: null };

  function arm() {
    if (confirmation.armed || press.sending) return;
    confirmation.armed = true;
    confirmation.until = Date.now() + config.confirmMs;
    locate(); // it may arrive before the confirming tap; the press never waits for it
    $("alert-button").dataset.state = "armed";
    $("alert-button").setAttribute("aria-expanded", "true");
    $("alert-button-sub").textContent = t("button.sub.armed");
    $("confirm-area").hidden = false;
    show($("press-status"), "");
    $("press-retry").hidden = true;
    countdown();
    confirmation.timer = setInterval(countdown, 250);
    $("confirm").focus({ preventScroll: true });
    $("confirm-area").scrollIntoView({ block: "nearest" });
  }

  function countdown() {
    const left = Math.ceil((confirmation.until - Date.now()) / 1000);
    if (left <= 0) {
      disarm();
      return;
    }
    $("confirm-countdown").textContent = t("confirm.left", { n: left });
  }

  function disarm() {
    clearInterval(confirmation.timer);
    confirmation.armed = false;
    confirmation.timer = null;
    $("confirm-area").hidden = true;
    $("alert-button").setAttribute("aria-expanded", "false");
    if (!press.sending) {
      $("alert-button").dataset.state = "rest";
      $("alert-button-sub").textContent = t("button.sub");
    }
  }

  function onConfirm() {
    if (!confirmation.armed || Date.now() > confirmation.until) {
      disarm();
      return;
    }
    disarm();
    const body = { kind: "panic" };
    const here = freshFix();
    if (here) {
      body.location = { type: "Point", coordinates: [round(here.lon), round(here.lat)] };
    }
    sendPress({
      key: shop.uuid(),
      body: JSON.stringify(body),
      at: Date.now(),
      owner: shop.state.session.username,
    });
  }

  function round(degrees) {
    return Math.round(degrees * 1e7) / 1e7;
  }

  // --- sending the press --------------------------------------------------------------------
  // `run` changes when a sign-out abandons a press being sent, so its late answer is ignored.
  const press = { sending: false, run: null };

  function loadPending() {
    try {
      const pending = JSON.parse(localStorage.getItem(PENDING_KEY));
      const session = shop.state.session;
      if (!pending || !session || pending.owner !== session.username) return null;
      if (Date.now() - pending.at > config.pendingPressS * 1000) {
        clearPending(); // too old to send now without the person knowing
        return null;
      }
      return pending;
    } catch (error) {
      return null;
    }
  }

  function clearPending() {
    localStorage.removeItem(PENDING_KEY);
  }

  function pressStatus(text, tone) {
    show($("press-status"), text);
    $("press-status").dataset.tone = tone || "";
  }

  /** The same body under the same key until the server answers: one alert, however many
   * tries. A network failure or a server error is tried again by itself a few times. */
  async function sendPress(pending) {
    if (press.sending) return;
    const run = {};
    Object.assign(press, { sending: true, run });
    localStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    $("alert-button").dataset.state = "sending";
    $("alert-button-sub").textContent = t("button.sub.sending");
    $("press-retry").hidden = true;
    pressStatus(t("press.sending"), "busy");
    const waits = config.pressRetryMs;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const created = await api(config.api.press, {
          method: "POST",
          body: pending.body,
          headers: { "Idempotency-Key": pending.key },
          timeoutMs: 10000,
        });
        if (press.run !== run) return;
        clearPending();
        press.sending = false;
        pressStatus("");
        $("alert-button").dataset.state = "rest";
        $("alert-button-sub").textContent = t("button.sub");
        shop.alert.open({ ...created, state: "received", created_at: new Date().toISOString() });
        return;
      } catch (error) {
        if (press.run !== run || error.status === 401) return; // signed out meanwhile
        const again = error.status === 0 || error.status >= 500;
        if (again && attempt < waits.length) {
          pressStatus(t("press.retrying", { n: attempt + 2 }), "warn");
          await shop.sleep(waits[attempt]);
          if (press.run !== run) return;
          continue;
        }
        press.sending = false;
        $("alert-button").dataset.state = "rest";
        $("alert-button-sub").textContent = t("button.sub");
        if (again) {
          // Kept: "Réessayer" (or a reload) sends the same press, under the same key.
          pressStatus(t("press.failed"), "error");
          $("press-retry").hidden = false;
          $("press-retry").focus();
          return;
        }
        clearPending();
        if (/^account_/.test(error.code)) {
          accountRefused(error);
          return;
        }
        pressStatus(shop.errorText(error), "error");
      }
    }
  }

  function onRetry() {
    const pending = loadPending();
    $("press-retry").hidden = true;
    if (pending) {
      sendPress(pending);
    } else {
      pressStatus(t("press.expired"), "error");
    }
  }

  // --- the cancel and duress PINs -----------------------------------------------------------
  async function onPins(event) {
    event.preventDefault();
    const message = $("pins-message");
    const cancelPin = $("pins-cancel").value.trim();
    const duressPin = $("pins-duress").value.trim();
    const password = $("pins-password").value;
    const digits = new RegExp(`^[0-9]{${config.pinLengths[0]},${config.pinLengths[1]}}$`);
    message.dataset.tone = "error";
    if (!digits.test(cancelPin) || (duressPin && !digits.test(duressPin))) {
      show(message, t("pins.err.digits"));
      return;
    }
    if (duressPin && duressPin === cancelPin) {
      show(message, t("pins.err.same"));
      return;
    }
    if (!password) {
      show(message, t("pins.err.password"));
      return;
    }
    const button = $("pins-form").querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await api(config.api.pins, {
        method: "POST",
        body: JSON.stringify({ password, cancel_pin: cancelPin, duress_pin: duressPin }),
      });
      $("pins-form").reset();
      message.dataset.tone = "ok";
      show(message, t("pins.saved"));
    } catch (error) {
      if (error.status !== 401) show(message, shop.errorText(error));
    } finally {
      button.disabled = false;
    }
  }

  // --- wiring -------------------------------------------------------------------------------
  function start() {
    shop.translatePage();
    shop.alert.wire();
    $("signin-form").addEventListener("submit", onSignIn);
    $("sign-out").addEventListener("click", () => signOut());
    document.addEventListener("vigie:expired", () => signOut(t("err.expired")));
    $("alert-button").addEventListener("click", arm);
    // A long press must not open the browser's menu over the button.
    $("alert-button").addEventListener("contextmenu", (event) => event.preventDefault());
    $("confirm").addEventListener("click", onConfirm);
    $("confirm-abort").addEventListener("click", () => {
      disarm();
      $("alert-button").focus();
    });
    $("press-retry").addEventListener("click", onRetry);
    $("pins-form").addEventListener("submit", onPins);
    $("back-to-button").addEventListener("click", () => showButton());
    $("current-open").addEventListener("click", () => shop.alert.open(shop.alert.current()));
    route();
  }

  start();
})();
