/* Vigie police app: sharing the unit's position from the browser's geolocation.
 *
 * navigator.geolocation.watchPosition gives fixes as the phone moves; one is sent at most every
 * `minIntervalMs`, and only when the unit moved more than `minMoveM` since the last one sent or
 * `maxSilenceMs` went by (a parked car still says where it is: a timer asks for a fresh fix
 * when the watch is quiet). Fixes go over the socket, or through the REST API when the socket
 * is down or does not answer. A fix poorer than the server keeps is not sent. While sharing,
 * the screen is kept on where the browser allows it (a sleeping phone stops its geolocation).
 */
(function () {
  "use strict";

  const police = window.VigiePolice;
  const { config, t, api } = police;
  const SHARE_KEY = "vigie.police.sharing";
  const rules = config.position;

  class PositionSharing {
    /** unitId: () => the unit the fixes are for (or null); socket: a PoliceSocket;
     * onStatus(text, state): what to tell the officer; onSent([lon, lat]): a fix was kept. */
    constructor({ unitId, socket, onStatus, onSent }) {
      this.unitId = unitId;
      this.socket = socket;
      this.onStatus = onStatus;
      this.onSent = onSent;
      this.watch = null;
      this.timer = null;
      this.sending = false;
      this.last = null; // the last fix sent: {coordinates, at (ms)}
      this.lastTry = 0;
      this.wakeLock = null;
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "visible" && this.active) this.keepAwake();
      });
    }

    get active() {
      return this.watch !== null;
    }

    /** The officer's choice, kept for the next time the app opens. */
    static wanted() {
      return localStorage.getItem(SHARE_KEY) === "on";
    }

    start() {
      if (this.active) return true;
      if (!("geolocation" in navigator)) {
        this.onStatus(t("share.unsupported"), "error");
        return false;
      }
      localStorage.setItem(SHARE_KEY, "on");
      this.onStatus(t("share.waiting"), "waiting");
      this.watch = navigator.geolocation.watchPosition(
        (position) => this.fix(position),
        (error) => this.failed(error),
        { enableHighAccuracy: true, maximumAge: 2000, timeout: 60000 },
      );
      this.timer = setInterval(() => this.nudge(), 5000);
      this.keepAwake();
      return true;
    }

    stop({ remember = true } = {}) {
      if (remember) localStorage.removeItem(SHARE_KEY);
      if (this.watch !== null) navigator.geolocation.clearWatch(this.watch);
      clearInterval(this.timer);
      this.watch = this.timer = null;
      this.last = null;
      if (this.wakeLock) this.wakeLock.release().catch(() => null);
      this.wakeLock = null;
      this.onStatus(t("share.off"), "off");
    }

    keepAwake() {
      if (!("wakeLock" in navigator) || this.wakeLock) return;
      navigator.wakeLock.request("screen").then(
        (lock) => {
          this.wakeLock = lock;
          lock.addEventListener("release", () => {
            if (this.wakeLock === lock) this.wakeLock = null;
          });
        },
        () => null, // refused (battery saver, no gesture): sharing goes on while the page shows
      );
    }

    /** The watch is quiet when the phone does not move: ask for a fresh fix once it is due. */
    nudge() {
      if (!this.active || this.sending) return;
      const due = this.last ? this.last.at + rules.maxSilenceMs : this.lastTry + rules.maxSilenceMs;
      if (Date.now() < due) return;
      navigator.geolocation.getCurrentPosition(
        (position) => this.fix(position),
        () => null, // the watch reports errors
        { enableHighAccuracy: true, maximumAge: 0, timeout: 20000 },
      );
    }

    failed(error) {
      if (error.code === error.PERMISSION_DENIED) {
        this.stop();
        this.onStatus(t("share.denied"), "error");
        return;
      }
      this.onStatus(t("share.noFix"), "waiting");
    }

    fix(position) {
      if (!this.active) return;
      const { longitude, latitude, accuracy } = position.coords;
      if (accuracy > rules.maxAccuracyM) {
        this.onStatus(t("share.poor", { m: Math.round(accuracy) }), "waiting");
        return;
      }
      const now = Date.now();
      const coordinates = [longitude, latitude];
      if (this.sending || now - this.lastTry < rules.minIntervalMs) return;
      if (this.last) {
        const moved = police.metresBetween(this.last.coordinates, coordinates);
        if (moved <= rules.minMoveM && now - this.last.at < rules.maxSilenceMs) return;
      }
      const unit = this.unitId();
      if (!unit) return;
      this.lastTry = now;
      const fields = {
        unit,
        location: { type: "Point", coordinates },
        // The moment the phone took the fix, in UTC ("Z" is the offset).
        recorded_at: new Date(Math.min(position.timestamp || now, now)).toISOString(),
        accuracy_m: Math.round(accuracy * 10) / 10,
      };
      this.send(fields).then(
        () => {
          this.last = { coordinates, at: now };
          this.onSent(coordinates);
          this.onStatus(t("share.sent", { time: police.clockTime(now), m: Math.round(accuracy) }),
            "on");
        },
        (error) => this.onStatus(t("share.failed", { why: police.errorText(error) }), "error"),
      );
    }

    /** Over the socket when it is up; through the API when it is not, or did not answer. */
    async send(fields) {
      this.sending = true;
      try {
        try {
          return await this.socket.request("position", fields);
        } catch (error) {
          if (!["offline", "timeout", "lost"].includes(error.code)) throw error;
        }
        const { unit, ...body } = fields;
        return await api(police.route("unitPosition", { unit }), { method: "POST", body });
      } finally {
        this.sending = false;
      }
    }
  }

  police.PositionSharing = PositionSharing;
})();
