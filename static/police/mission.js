/* Vigie police app: the current dispatch, big and clear, and its one next step.
 *
 * Shows the intervention (its state, its timeline) and the report it is for (category,
 * priority, reference, description, where, photos, the cameras that see the spot), with a
 * `geo:` link for the phone's own navigation app and OpenStreetMap's directions. The big
 * button makes the next legal move (POST /api/v1/interventions/{id}/transition/); resolving
 * asks for an outcome and an optional note first. Photos and same-origin camera snapshots
 * are read with the token and shown from blob: URLs (an <img> cannot send the token).
 */
(function () {
  "use strict";

  const police = window.VigiePolice;
  const { config, t, $, el, show, api } = police;

  // The officer's moves, in order (dispatch/services.py, POLICE_MOVES).
  const NEXT = {
    dispatched: "acknowledged",
    acknowledged: "en_route",
    en_route: "on_scene",
    on_scene: "resolved",
  };

  function fixed(value) {
    return Number(value).toFixed(5);
  }

  function sameOrigin(url) {
    try {
      return new URL(url, window.location.href).origin === window.location.origin;
    } catch (error) {
      return false;
    }
  }

  class MissionView {
    /** onChanged(intervention): a move was made; onStale(): the record moved elsewhere, read
     * it again; here(): [lon, lat] of the unit, or null; categoryLabel(code). */
    constructor({ onChanged, onStale, here, categoryLabel }) {
      this.onChanged = onChanged;
      this.onStale = onStale;
      this.here = here;
      this.categoryLabel = categoryLabel;
      this.intervention = null;
      this.report = null;
      this.blobs = [];
      this.busy = false;
      $("next-step").addEventListener("click", () => this.next());
      $("resolve-form").addEventListener("submit", (event) => {
        event.preventDefault();
        this.resolve();
      });
      $("resolve-back").addEventListener("click", () => this.closeResolve());
      $("outcomes").replaceChildren(
        ...config.outcomes.map((code) =>
          el(
            "label",
            { class: "outcome" },
            el("input", { type: "radio", name: "outcome", value: code }),
            el("span", { text: t("outcome." + code) }),
          ),
        ),
      );
      setInterval(() => this.tick(), 5000);
    }

    get id() {
      return this.intervention ? this.intervention.id : null;
    }

    /** The dispatch to show (null: none). `others`: how many more live ones there are. */
    show(intervention, others = 0) {
      const changedReport = !this.intervention || this.intervention.report !== intervention.report;
      const changedState = !this.intervention || this.intervention.state !== intervention.state;
      this.intervention = intervention;
      $("idle").hidden = true;
      $("mission").hidden = false;
      $("mission").dataset.id = intervention.id;
      $("mission").dataset.state = intervention.state;
      $("mission-state").textContent = t("state." + intervention.state);
      show($("mission-others"), others ? t("mission.others", { n: others }) : "");
      if (changedReport) {
        this.report = null;
        this.forgetBlobs();
        this.renderReport();
      }
      if (changedState) {
        this.closeResolve();
        show($("action-error"), "");
      }
      this.renderStep();
      this.renderTimeline();
      this.tick();
    }

    clear() {
      this.intervention = this.report = null;
      this.forgetBlobs();
      this.closeResolve();
      show($("action-error"), "");
      $("mission").hidden = true;
      $("mission").dataset.state = "";
      $("idle").hidden = false;
    }

    setReport(report) {
      if (!this.intervention || this.intervention.report !== report.id) return;
      if (this.report === report) return; // already shown: its photos stay
      this.report = report;
      this.forgetBlobs();
      this.renderReport();
    }

    reportFailed(error) {
      if (this.report) return;
      $("mission-description").textContent = t("mission.reportFailed", {
        why: police.errorText(error),
      });
    }

    // --- rendering ------------------------------------------------------------------------
    renderReport() {
      const report = this.report;
      const priority = report ? report.priority : "";
      $("mission-priority").dataset.priority = priority;
      $("mission-priority").textContent = priority ? t("priority." + priority) : "";
      $("mission-reference").textContent = report
        ? report.reference
        : t("mission.report", { id: this.intervention.report });
      this.renderCategory();
      $("mission-description").textContent = report
        ? report.description || t("mission.noDescription")
        : "";
      this.renderPlace();
      this.renderMedia();
      this.renderCameras();
    }

    renderCategory() {
      $("mission-category").textContent = this.report
        ? this.categoryLabel(this.report.category)
        : t("mission.loading");
    }

    renderPlace() {
      const point = this.report && this.report.location;
      $("mission-coordinates").textContent = point
        ? t("mission.coordinates", {
            lat: fixed(point.coordinates[1]),
            lon: fixed(point.coordinates[0]),
            m: Math.round(this.report.accuracy_m || 0),
          })
        : "";
      for (const id of ["nav-geo", "nav-osm"]) $(id).hidden = !point;
      if (!point) return;
      const [lon, lat] = point.coordinates.map(fixed);
      $("nav-geo").href = `geo:${lat},${lon}?q=${lat},${lon}`;
      const from = this.here();
      const start = from ? `${fixed(from[1])},${fixed(from[0])}` : "";
      $("nav-osm").href =
        "https://www.openstreetmap.org/directions?engine=fossgis_osrm_car&route=" +
        encodeURIComponent(`${start};${lat},${lon}`);
    }

    renderStep() {
      const to = NEXT[this.intervention.state];
      const button = $("next-step");
      button.hidden = !to || !$("resolve-form").hidden;
      button.dataset.to = to || "";
      button.disabled = this.busy;
      button.textContent = this.busy ? t("step.busy") : to ? t("step." + to) : "";
    }

    renderTimeline() {
      const items = (this.intervention.timeline || []).map((move) =>
        el(
          "li",
          { "data-to": move.to },
          el("time", { datetime: move.at, text: police.clockTime(move.at) }),
          el("span", { class: "move", text: " " + t("state." + move.to) }),
          el("span", { class: "by", text: " · " + move.by }),
          ...(move.note ? [el("p", { class: "note", text: move.note })] : []),
        ),
      );
      $("mission-timeline").replaceChildren(...items.reverse());
    }

    renderMedia() {
      const media = (this.report && this.report.media) || [];
      const items = media.map((item, index) => {
        const n = index + 1;
        if (item.kind === "photo") {
          const li = el("li", { class: "photo", text: t("media.loading") });
          this.fetchBlob(item.url).then(
            (src) => li.replaceChildren(el("img", { src, alt: t("media.photo", { n }) })),
            () => li.replaceChildren(t("media.failed")),
          );
          return li;
        }
        const button = el("button", {
          type: "button",
          class: "secondary small",
          text: t("media.play." + item.kind, { n }),
        });
        const li = el("li", {}, button);
        button.addEventListener("click", () => {
          button.disabled = true;
          this.fetchBlob(item.url).then(
            (src) => li.replaceChildren(el(item.kind, { src, controls: true, autoplay: true })),
            () => li.replaceChildren(t("media.failed")),
          );
        });
        return li;
      });
      $("mission-media").replaceChildren(
        ...(items.length ? items : [el("li", { class: "hint", text: t("media.none") })]),
      );
    }

    renderCameras() {
      const links = ((this.report && this.report.cameras) || []).slice(0, 6);
      const items = links.map((link) => {
        const name = link.camera.name;
        const line = [t("camera.distance", { m: Math.round(link.distance_m) }),
          t(link.visible ? "camera.visible" : "camera.notVisible")].join(" · ");
        const li = el("li", { "data-camera-id": link.camera.id },
          el("strong", { text: name }), el("span", { class: "hint", text: " " + line }));
        if (link.snapshot_url && sameOrigin(link.snapshot_url)) {
          this.fetchBlob(link.snapshot_url).then(
            (src) => li.append(el("img", { src, alt: t("camera.snapshot", { name }) })),
            () => li.append(el("p", { class: "hint", text: t("camera.noSnapshot") })),
          );
        } else if (link.snapshot_url) {
          li.append(el("a", { href: link.snapshot_url, target: "_blank", rel: "noopener noreferrer",
            class: "inline-link", text: t("camera.openSnapshot") }));
        }
        return li;
      });
      $("mission-cameras").replaceChildren(
        ...(items.length ? items : [el("li", { class: "hint", text: t("camera.none") })]),
      );
    }

    tick() {
      if (!this.intervention) return;
      const moves = this.intervention.timeline || [];
      const sent = [...moves].reverse().find((move) => move.to === "dispatched");
      const at = sent ? sent.at : this.intervention.created_at;
      $("mission-age").textContent = t("mission.age", { since: police.since(at) });
    }

    async fetchBlob(url) {
      const blob = await api(url, { raw: true, timeoutMs: 30000 });
      const src = URL.createObjectURL(blob);
      this.blobs.push(src);
      return src;
    }

    forgetBlobs() {
      this.blobs.splice(0).forEach((src) => URL.revokeObjectURL(src));
    }

    // --- moves ----------------------------------------------------------------------------
    next() {
      const to = NEXT[this.intervention && this.intervention.state];
      if (!to || this.busy) return;
      if (to === "resolved") {
        $("resolve-form").hidden = false;
        $("next-step").hidden = true;
        const first = $("outcomes").querySelector("input");
        if (first) first.focus();
        return;
      }
      this.move({ to });
    }

    closeResolve() {
      $("resolve-form").hidden = true;
      $("resolve-form").reset();
      if (this.intervention) this.renderStep();
    }

    resolve() {
      const chosen = $("resolve-form").querySelector("input[name=outcome]:checked");
      if (!chosen) {
        show($("action-error"), t("resolve.pick"));
        return;
      }
      this.move({ to: "resolved", outcome: chosen.value, note: $("resolve-note").value.trim() });
    }

    async move(body) {
      const intervention = this.intervention;
      this.busy = true;
      $("resolve-submit").disabled = true;
      show($("action-error"), "");
      this.renderStep();
      try {
        const path = police.route("transition", { intervention: intervention.id });
        const updated = await api(path, { method: "POST", body });
        this.busy = false;
        this.onChanged(updated);
      } catch (error) {
        this.busy = false;
        if (this.intervention === intervention) show($("action-error"), police.errorText(error));
        if (error.status === 409 || error.status === 404) this.onStale();
      } finally {
        $("resolve-submit").disabled = false;
        if (this.intervention) this.renderStep();
      }
    }
  }

  police.MissionView = MissionView;
})();
