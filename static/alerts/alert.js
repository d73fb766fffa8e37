/* Vigie shop alert button: the alert that was sent, where it stands, and cancelling a false one.
 *
 * The status line is fed by polling GET /api/v1/alerts/{report}/ every few seconds until the
 * alert is over; the cancel area (a PIN pad) shows while the server's cancel window is open.
 * button.js opens an alert here with VigieShop.alert.open(); this file needs base.js.
 */
(function () {
  "use strict";

  const shop = window.VigieShop;
  const { config, t, $, show, api } = shop;
  const STEPS = ["received", "seen", "help_coming", "resolved"];
  const OVER = new Set(["resolved", "cancelled"]);
  const [PIN_MIN, PIN_MAX] = config.pinLengths;

  // What the page follows: {report, reference, state, cancel_until, created_at}.
  const current = {
    alert: null,
    following: false,
    pollTimer: null,
    tick: null,
    pin: "",
    cancelling: false,
  };

  function isOver(alert) {
    return OVER.has(alert.state);
  }

  // --- the status line ------------------------------------------------------------------------
  function render() {
    const alert = current.alert;
    const state = alert.state;
    $("alert-view").dataset.state = state;
    $("alert-status").dataset.state = state;
    $("alert-title").textContent = t(isOver(alert) ? "alert.title.over" : "alert.title");
    $("alert-reference").textContent = alert.reference;
    // Changed only when it changes, so that the live region speaks once per step.
    if ($("alert-state").textContent !== t("state." + state)) {
      $("alert-state").textContent = t("state." + state);
      $("alert-detail").textContent = t("state." + state + ".detail");
    }
    const reached = STEPS.indexOf(state);
    $("alert-steps").hidden = state === "cancelled";
    for (const item of $("alert-steps").children) {
      const index = STEPS.indexOf(item.dataset.step);
      item.dataset.done = String(index <= reached);
      if (index === reached) {
        item.setAttribute("aria-current", "step");
      } else {
        item.removeAttribute("aria-current");
      }
    }
    renderCancel();
  }

  // --- polling --------------------------------------------------------------------------------
  function schedulePoll(delay = config.pollMs) {
    clearTimeout(current.pollTimer);
    current.pollTimer = null;
    if (current.following && current.alert && !isOver(current.alert)) {
      current.pollTimer = setTimeout(poll, delay);
    }
  }

  async function poll() {
    const alert = current.alert;
    if (!alert || !shop.state.session) return;
    try {
      const fresh = await api(config.api.alert.replace("{report}", alert.report), {
        timeoutMs: 10000,
      });
      if (current.alert !== alert) return; // signed out or another alert meanwhile
      Object.assign(alert, fresh);
      $("poll-status").textContent = t("poll.updated", { time: shop.clockTime(new Date()) });
      delete $("poll-status").dataset.tone;
      render();
    } catch (error) {
      if (error.status === 401 || current.alert !== alert) return;
      $("poll-status").textContent = shop.errorText(error, "poll.offline");
      $("poll-status").dataset.tone = "warn";
    } finally {
      if (current.alert === alert) schedulePoll();
    }
  }

  // --- the cancel window and the PIN pad --------------------------------------------------------
  function secondsLeft() {
    const alert = current.alert;
    if (!alert || !alert.cancel_until) return 0;
    return Math.floor((Date.parse(alert.cancel_until) - shop.serverNow()) / 1000);
  }

  function renderCancel() {
    const left = secondsLeft();
    const open = Boolean(current.alert) && !isOver(current.alert) && left > 0;
    $("cancel-area").hidden = !open;
    if (!open) {
      closePinpad();
      return;
    }
    const minutes = Math.floor(left / 60);
    const seconds = String(left % 60).padStart(2, "0");
    $("cancel-countdown").textContent = t("cancel.left", { time: `${minutes}:${seconds}` });
  }

  function renderPin() {
    const dots = document.createElement("span");
    dots.setAttribute("aria-hidden", "true");
    dots.textContent = current.pin.length ? "●".repeat(current.pin.length) : "—";
    const words = document.createElement("span");
    words.className = "visually-hidden";
    words.textContent = t("cancel.count", { n: current.pin.length });
    $("pin-dots").replaceChildren(dots, words);
    $("pin-dots").dataset.length = String(current.pin.length);
    $("pin-submit").disabled = current.pin.length < PIN_MIN || current.cancelling;
  }

  function openPinpad() {
    current.pin = "";
    show($("cancel-error"), "");
    $("pinpad").hidden = false;
    $("cancel-open").hidden = true;
    renderPin();
    const first = $("pinpad").querySelector("[data-digit='1']");
    first.focus({ preventScroll: true });
    $("pinpad").scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function closePinpad() {
    current.pin = "";
    $("pinpad").hidden = true;
    $("cancel-open").hidden = false;
  }

  function onKey(event) {
    const key = event.target.closest("button");
    if (!key || current.cancelling) return;
    if (key.dataset.digit !== undefined) {
      if (current.pin.length < PIN_MAX) current.pin += key.dataset.digit;
      show($("cancel-error"), "");
    } else if (key.id === "pin-erase") {
      current.pin = current.pin.slice(0, -1);
    } else if (key.id === "pin-submit") {
      sendCancel();
      return;
    }
    renderPin();
  }

  async function sendCancel() {
    const alert = current.alert;
    if (!alert || current.pin.length < PIN_MIN) return;
    const pin = current.pin;
    current.cancelling = true;
    $("pin-submit").textContent = t("cancel.busy");
    renderPin();
    try {
      const fresh = await api(config.api.cancel, {
        method: "POST",
        body: JSON.stringify({ report: alert.report, pin }),
      });
      if (current.alert !== alert) return;
      Object.assign(alert, fresh);
      closePinpad();
      render();
      schedulePoll(0);
    } catch (error) {
      if (error.status === 401) return;
      current.pin = "";
      show($("cancel-error"), shop.errorText(error));
      if (error.code === "cancel_window_closed") {
        // The server's word wins over this page's clock.
        alert.cancel_until = new Date(shop.serverNow() - 1000).toISOString();
        render();
      }
    } finally {
      current.cancelling = false;
      $("pin-submit").textContent = t("cancel.submit");
      if (!$("pinpad").hidden) renderPin();
    }
  }

  // --- opening and leaving --------------------------------------------------------------------
  function open(alert, { focus = true } = {}) {
    stop();
    current.alert = { ...alert };
    $("poll-status").textContent = "";
    closePinpad();
    show($("cancel-error"), "");
    render();
    shop.showView("alert-view", { focus });
    current.following = true;
    current.tick = setInterval(renderCancel, 1000);
    schedulePoll();
  }

  /** Stop following (the alert goes on at the centre). */
  function stop() {
    current.following = false;
    clearTimeout(current.pollTimer);
    clearInterval(current.tick);
    current.pollTimer = null;
    current.tick = null;
  }

  function forget() {
    stop();
    current.alert = null;
  }

  function wire() {
    $("cancel-open").addEventListener("click", openPinpad);
    $("pinpad").addEventListener("click", onKey);
    // A keyboard may type the PIN too (desk computers, screen-reader users).
    $("pinpad").addEventListener("keydown", (event) => {
      if (/^[0-9]$/.test(event.key) && current.pin.length < PIN_MAX) {
        current.pin += event.key;
        renderPin();
      } else if (event.key === "Backspace") {
        current.pin = current.pin.slice(0, -1);
        renderPin();
      } else {
        return;
      }
      event.preventDefault();
    });
    // A phone that wakes up asks at once rather than waiting for a throttled timer.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") schedulePoll(0);
    });
  }

  shop.alert = { open, stop, forget, wire, current: () => current.alert, isOver };
})();
