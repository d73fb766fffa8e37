/* Vigie operator console: the selected report's interventions, as the dispatch section lists
 * them (dispatch.js reads them and acts).
 *
 * Newest first, each with its unit, its state, its outcome, its timeline (when, from → to, by
 * whom, the note) and, while it is live, Reassign and Cancel, which open a small form in place:
 * a note for cancelling, another unit for reassigning. An item's element is kept across
 * updates, so a form being filled in survives the unit moving the intervention on.
 */
(function () {
  "use strict";

  const { t, el, formatTime, number } = window.Vigie;
  const LIVE = new Set(["proposed", "dispatched", "acknowledged", "en_route", "on_scene"]);

  /** "300 m", "1,2 km". */
  function metres(value) {
    if (value < 1000) return t("dispatch.m", { n: Math.round(value) });
    return t("dispatch.km", { n: number(value / 1000) });
  }

  class InterventionList {
    /** list: the <ul>; intro: what shows while there is none; act: {confirm(intervention,
     * button), cancel(intervention, note, button), reassign(intervention, unitId, button)},
     * each resolving true when done; candidates(): the units one may reassign to. */
    constructor({ list, intro, act, candidates }) {
      this.list = list;
      this.intro = intro;
      this.act = act;
      this.candidates = candidates;
      this.reset();
    }

    reset() {
      this.interventions = new Map(); // id -> payload
      this.items = new Map(); // id -> {item, head, outcome, timeline, actions, form}
      this.list.replaceChildren();
      this.intro.hidden = false;
    }

    /** A payload replaces the one held unless it is older: a timeline only grows. */
    merge(intervention) {
      const held = this.interventions.get(intervention.id);
      if (held && held.timeline.length > intervention.timeline.length) return;
      this.interventions.set(intervention.id, intervention);
    }

    render() {
      const ordered = [...this.interventions.values()].sort(
        (a, b) => new Date(b.created_at) - new Date(a.created_at) || b.id - a.id,
      );
      for (const intervention of ordered) {
        const parts = this.items.get(intervention.id) || this.makeItem(intervention.id);
        this.fill(parts, intervention);
      }
      const wanted = ordered.map((intervention) => this.items.get(intervention.id).item);
      const current = [...this.list.children];
      if (current.length !== wanted.length || current.some((item, i) => item !== wanted[i])) {
        this.list.replaceChildren(...wanted); // only when the order changed: moving loses focus
      }
      this.intro.hidden = ordered.length > 0;
    }

    makeItem(id) {
      const parts = {
        head: el("div", { class: "intervention-head" }),
        outcome: el("p", { class: "intervention-outcome", hidden: true }),
        timeline: el("ol", { class: "timeline" }),
        actions: el("div", { class: "intervention-actions" }),
        form: el("form", { class: "intervention-form", novalidate: true, hidden: true }),
      };
      parts.item = el(
        "li",
        { class: "intervention", "data-intervention-id": id },
        parts.head,
        parts.outcome,
        parts.timeline,
        parts.actions,
        parts.form,
      );
      parts.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.submit(parts);
      });
      this.items.set(id, parts);
      return parts;
    }

    /** Redraw one intervention; an open form stays as typed while the intervention is live. */
    fill(parts, intervention) {
      const { item, head, outcome, timeline, actions } = parts;
      const live = LIVE.has(intervention.state);
      const unit = intervention.unit;
      parts.intervention = intervention;
      item.dataset.state = intervention.state;
      item.dataset.unitId = String(unit.id);
      item.dataset.callsign = unit.callsign;
      item.className = "intervention istate-" + intervention.state;
      head.replaceChildren(
        el("strong", { class: "callsign", text: unit.callsign }),
        el("span", { class: "hint", text: t("unitkind." + unit.kind) }),
        el("span", {
          class: "istate",
          "data-state": intervention.state,
          text: t("istate." + intervention.state),
        }),
      );
      outcome.hidden = !intervention.outcome;
      outcome.textContent = intervention.outcome
        ? t("dispatch.outcome", { outcome: t("ioutcome." + intervention.outcome) })
        : "";
      timeline.replaceChildren(...intervention.timeline.map((step) => this.step(step, unit)));
      const buttons = [];
      if (intervention.state === "proposed") {
        const confirm = (button) => this.act.confirm(intervention, button);
        buttons.push(this.button("confirm", "dispatch.confirm", confirm));
      }
      if (live) {
        buttons.push(
          this.button("reassign", "dispatch.reassign", () => this.open(parts, "reassign")),
          this.button("cancel", "dispatch.cancel", () => this.open(parts, "cancel")),
        );
      }
      actions.replaceChildren(...buttons);
      actions.hidden = !live;
      if (!live) this.close(parts);
    }

    /** One line of the timeline: "08:17:25 Dispatched → En route by police — note". */
    step(step, unit) {
      const move = step.from
        ? t("istate." + step.from) + " → " + t("istate." + step.to)
        : t("istate." + step.to);
      const other = step.unit !== unit.callsign ? " (" + step.unit + ")" : "";
      return el(
        "li",
        { "data-to": step.to },
        el("time", { datetime: step.at, text: formatTime(step.at) }),
        " ",
        el("span", { class: "move", text: move + other }),
        " ",
        el("span", { class: "by", text: t("dispatch.by", { user: step.by }) }),
        step.note ? el("span", { class: "step-note", text: step.note }) : null,
      );
    }

    button(name, key, onClick) {
      const button = el("button", {
        type: "button",
        class: "secondary small",
        "data-action": name,
        text: t(key),
      });
      button.addEventListener("click", () => onClick(button));
      return button;
    }

    // --- the cancel and reassign forms ------------------------------------------------------
    open(parts, kind) {
      const { form, intervention } = parts;
      form.dataset.kind = kind;
      const back = el("button", {
        type: "button",
        class: "secondary small",
        text: t("dispatch.back"),
      });
      back.addEventListener("click", () => this.close(parts));
      const submit = (key) =>
        el("button", {
          type: "submit",
          class: "primary small",
          "data-confirm": kind,
          text: t(key),
        });
      const fieldId = "intervention-" + intervention.id + "-" + kind;
      let field;
      let confirm = null;
      if (kind === "cancel") {
        field = el(
          "div",
          { class: "field" },
          el("label", { for: fieldId, text: t("dispatch.cancelNote") }),
          el("textarea", { id: fieldId, name: "note", rows: 2, maxlength: 2000 }),
        );
        confirm = submit("dispatch.cancelConfirm");
      } else {
        const others = this.candidates().filter((unit) => unit.id !== intervention.unit.id);
        if (others.length) {
          const options = others.map((unit) =>
            el("option", {
              value: String(unit.id),
              text: unit.callsign + " · " + metres(unit.distance_m),
            }),
          );
          field = el(
            "div",
            { class: "field" },
            el("label", { for: fieldId, text: t("dispatch.reassignTo") }),
            el("select", { id: fieldId, name: "unit" }, ...options),
          );
          confirm = submit("dispatch.reassignConfirm");
        } else {
          field = el("p", { class: "hint", text: t("dispatch.noOther") });
        }
      }
      form.replaceChildren(field, el("div", { class: "form-buttons" }, confirm, back));
      form.hidden = false;
      form.querySelector("textarea, select, button").focus();
    }

    close(parts) {
      parts.form.hidden = true;
      parts.form.replaceChildren();
      delete parts.form.dataset.kind;
    }

    async submit(parts) {
      const { form, intervention } = parts;
      const button = form.querySelector("button[type=submit]");
      let done = false;
      if (form.dataset.kind === "cancel") {
        done = await this.act.cancel(intervention, form.elements.note.value.trim(), button);
      } else if (form.dataset.kind === "reassign" && form.elements.unit) {
        done = await this.act.reassign(intervention, Number(form.elements.unit.value), button);
      }
      if (done) this.close(parts);
    }
  }

  window.Vigie.InterventionList = InterventionList;
  window.Vigie.metres = metres;
})();
