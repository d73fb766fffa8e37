/* Vigie operator console: the dispatch section of the detail pane.
 *
 * For the selected report: its interventions (GET /api/v1/interventions/?report=ID, then the
 * `intervention.updated` events), each with its state, its unit, its timeline and, while it is
 * live, Cancel and Reassign; and the units the server suggests (available, with a recent fix,
 * nearest first: GET /api/v1/reports/{id}/suggested-units/), each with a Send button.
 * Sending and cancelling travel as actions on the console's socket ("dispatch",
 * "transition_intervention"), or over REST when the socket is down and nothing was sent;
 * reassigning goes over REST. The suggestions are read again when a unit's status changes, and
 * follow the units' positions (units.js) in between.
 */
(function () {
  "use strict";

  const { config, t, $, el, api, errorText, age, metres, OPEN } = window.Vigie;
  // Codes whose server message speaks of reports in general: the console says it better.
  const OWN_WORDS = new Set([
    "unit_busy",
    "unit_unavailable",
    "other_centre",
    "same_unit",
    "operators_only",
    "illegal_transition",
  ]);
  const SUGGEST_AGAIN_MS = 400; // unit.updated frames come in bursts (one dispatch: two units)
  const SUGGESTED_MAX = 20; // what the server sends at most

  function problem(error) {
    if (error && error.code === "offline") return t("action.offline");
    if (error && (error.code === "timeout" || error.code === "lost")) return t("dispatch.timeout");
    if (error && OWN_WORDS.has(error.code)) return t("dispatch.err." + error.code);
    return errorText(error);
  }

  /** Great-circle distance in metres between two [longitude, latitude]. */
  function distance([lon1, lat1], [lon2, lat2]) {
    const rad = Math.PI / 180;
    const a =
      Math.sin(((lat2 - lat1) * rad) / 2) ** 2 +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
    return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
  }

  const hint = (text) => el("li", { class: "hint", text });

  class Dispatch {
    constructor({ socket, units }) {
      this.socket = socket;
      this.report = null;
      this.suggestions = []; // as last read, newer positions from units.js on top
      this.skewMs = 0; // how far this clock is ahead of the server's
      this.list = new window.Vigie.InterventionList({
        list: $("interventions"),
        intro: $("dispatch-intro"),
        candidates: () => this.suggestions,
        act: {
          confirm: (intervention, button) => this.confirm(intervention, button),
          cancel: (intervention, note, button) => this.cancel(intervention, note, button),
          reassign: (intervention, unit, button) => this.reassign(intervention, unit, button),
        },
      });
      this.loads = 0;
      this.suggestionLoads = 0;
      this.busy = false;
      this.suggestTimer = null;
      units.onChange((unit) => this.unitChanged(unit));
      setInterval(() => this.tick(), 1000);
    }

    /** The detail pane shows `report`: read its interventions and suggestions afresh. */
    show(report) {
      if (!this.report || this.report.id !== report.id) {
        this.list.reset();
        this.suggestions = [];
        $("suggested-units").replaceChildren(hint(t("detail.loading")));
        this.say("");
      }
      this.report = report;
      this.reload();
    }

    reload() {
      if (!this.report) return;
      this.loadInterventions();
      this.loadSuggestions();
    }

    clear() {
      this.report = null;
      this.list.reset();
      this.suggestions = [];
      clearTimeout(this.suggestTimer);
      $("suggested-units").replaceChildren();
      this.say("");
    }

    /** A live event or an action's reply changed `report`: whether it may be sent to. */
    reportChanged(report) {
      if (!this.report || this.report.id !== report.id) return;
      this.report = report;
      this.renderSuggestions();
    }

    /** An `intervention.updated` event, or an action's reply. */
    interventionChanged(intervention) {
      if (!this.report || intervention.report !== this.report.id) return;
      this.list.merge(intervention);
      this.list.render();
    }

    unitChanged(unit) {
      if (!this.report || unit.centre !== this.report.centre) return;
      const suggested = this.suggestions.find((s) => s.id === unit.id);
      const freed = !suggested && unit.status === "available" && unit.location;
      if ((suggested && unit.status !== "available") || (freed && this.roomForMore())) {
        clearTimeout(this.suggestTimer);
        this.suggestTimer = setTimeout(() => this.loadSuggestions(), SUGGEST_AGAIN_MS);
      } else if (suggested && unit.seen_at && unit.location) {
        // It moved: say where it is now, in place (a Send button keeps its focus).
        Object.assign(suggested, { location: unit.location, seen_at: unit.seen_at });
        suggested.distance_m = distance(unit.location.coordinates, this.where());
        const item = $("suggested-units").querySelector(`li[data-unit-id="${unit.id}"]`);
        if (item) {
          item.querySelector(".distance").textContent = this.distanceText(suggested);
          item.querySelector(".fix-age").dataset.seen = unit.seen_at;
        }
      }
    }

    roomForMore() {
      return this.suggestions.length < SUGGESTED_MAX;
    }

    where() {
      return this.report.location.coordinates;
    }

    // --- reading ----------------------------------------------------------------------------
    async loadInterventions() {
      const id = this.report.id;
      const load = ++this.loads;
      let list;
      try {
        list = await api(config.api.interventions + "?report=" + id);
      } catch (error) {
        if (load === this.loads && this.report && this.report.id === id) {
          $("interventions").replaceChildren(hint(problem(error)));
        }
        return;
      }
      if (load !== this.loads || !this.report || this.report.id !== id) return;
      for (const intervention of list) this.list.merge(intervention);
      this.list.render();
    }

    async loadSuggestions() {
      const id = this.report.id;
      const load = ++this.suggestionLoads;
      let list;
      try {
        list = await api(config.api.reports + id + "/suggested-units/");
      } catch (error) {
        if (load === this.suggestionLoads && this.report && this.report.id === id) {
          $("suggested-units").replaceChildren(hint(problem(error)));
        }
        return;
      }
      if (load !== this.suggestionLoads || !this.report || this.report.id !== id) return;
      const now = Date.now();
      if (list.length && list[0].seen_at) {
        this.skewMs = now - list[0].fix_age_s * 1000 - new Date(list[0].seen_at).getTime();
      }
      this.suggestions = list;
      this.renderSuggestions();
    }

    // --- drawing ----------------------------------------------------------------------------
    fixAge(seenAt) {
      return age(seenAt, Date.now() - this.skewMs);
    }

    distanceText(unit) {
      return t("dispatch.distance", { d: metres(unit.distance_m) });
    }

    renderSuggestions() {
      const report = this.report;
      const list = $("suggested-units");
      if (!OPEN.has(report.status)) {
        list.replaceChildren(hint(t("dispatch.closedReport")));
        return;
      }
      if (!this.suggestions.length) {
        list.replaceChildren(hint(t("dispatch.noSuggestion")));
        return;
      }
      const items = this.suggestions.map((unit) => {
        const button = el("button", {
          type: "button",
          class: "primary small",
          "data-send-unit": unit.id,
          text: t("dispatch.send"),
          "aria-label": t("dispatch.sendLabel", { unit: unit.callsign, ref: report.reference }),
        });
        button.addEventListener("click", () => this.send(unit, button));
        const fix = el("span", {
          class: "fix-age",
          "data-seen": unit.seen_at,
          text: t("dispatch.fixAge", { age: this.fixAge(unit.seen_at) }),
        });
        return el(
          "li",
          { "data-unit-id": unit.id, "data-callsign": unit.callsign },
          el(
            "div",
            {},
            el("strong", { text: unit.callsign }),
            " ",
            el(
              "span",
              { class: "hint" },
              t("unitkind." + unit.kind) + " · ",
              el("span", { class: "distance", text: this.distanceText(unit) }),
              " · ",
              fix,
            ),
          ),
          button,
        );
      });
      list.replaceChildren(...items);
    }

    // --- acting -----------------------------------------------------------------------------
    say(text, kind = "ok") {
      const message = $("dispatch-message");
      message.textContent = text;
      message.dataset.kind = kind;
      message.hidden = !text;
    }

    /** One action at a time; its reply (an intervention) is drawn at once, before its event.
     * Resolves true when it was done. */
    async act(button, work, done) {
      if (this.busy || !this.report) return false;
      this.busy = true;
      if (button) button.disabled = true;
      try {
        const data = await work();
        if (data && data.timeline) this.interventionChanged(data);
        this.say(done(data));
        return true;
      } catch (error) {
        this.say(problem(error), "error");
        return false;
      } finally {
        this.busy = false;
        if (button) button.disabled = false;
      }
    }

    /** A socket action; over REST instead when the socket is down (then nothing was sent). */
    async viaSocket(name, fields, path, body) {
      try {
        return await this.socket.action(name, fields);
      } catch (error) {
        if (error && error.code === "offline") return api(path, { method: "POST", json: body });
        throw error;
      }
    }

    transition(intervention, fields) {
      const path = config.api.interventions + intervention.id + "/transition/";
      const message = { intervention: intervention.id, ...fields };
      return this.viaSocket("transition_intervention", message, path, fields);
    }

    send(unit, button) {
      const report = this.report;
      const body = { report: report.id, unit: unit.id };
      return this.act(
        button,
        () => this.viaSocket("dispatch", body, config.api.interventions, body),
        () => t("dispatch.sent", { unit: unit.callsign, ref: report.reference }),
      );
    }

    confirm(intervention, button) {
      return this.act(
        button,
        () => this.transition(intervention, { to: "dispatched" }),
        () => t("dispatch.confirmed", { unit: intervention.unit.callsign }),
      );
    }

    cancel(intervention, note, button) {
      return this.act(
        button,
        () => this.transition(intervention, { to: "cancelled", note }),
        () => t("dispatch.cancelled", { unit: intervention.unit.callsign }),
      );
    }

    reassign(intervention, unit, button) {
      const path = config.api.interventions + intervention.id + "/reassign/";
      return this.act(
        button,
        () => api(path, { method: "POST", json: { unit } }),
        (data) => t("dispatch.reassigned", { unit: data.unit.callsign }),
      );
    }

    /** The suggestions' fix ages, as the seconds pass. */
    tick() {
      for (const span of document.querySelectorAll("#suggested-units .fix-age[data-seen]")) {
        span.textContent = t("dispatch.fixAge", { age: this.fixAge(span.dataset.seen) });
      }
    }
  }

  window.Vigie.Dispatch = Dispatch;
})();
