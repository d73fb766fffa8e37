/* Vigie operator console: the selected report — what it says, its photos, the cameras that can
 * show it, its likely duplicates — and what the operator does with it (acknowledge, close,
 * merge, point a camera), sent as actions on the console's WebSocket.
 *
 * Attachments open only with a reason, asked in a small in-page dialog and sent as `?reason=`:
 * the server keeps it in the access trail and refuses staff without one (422 reason_required).
 */
(function () {
  "use strict";

  const { config, t, $, el, api, errorText, formatTime, age, number, OUTCOMES } = window.Vigie;

  function sameOrigin(url) {
    try {
      return new URL(url, window.location.href).origin === window.location.origin;
    } catch (error) {
      return false;
    }
  }

  /** A link to another site (a camera's picture or stream), opened in its own tab. */
  function outLink(href, text) {
    return el("a", { href, target: "_blank", rel: "noopener noreferrer", text });
  }

  /** "08:17:25 (3 min)", the age kept up to date by the feed's clock. */
  function receivedAt(iso) {
    const ageText = el("span", { class: "age", "data-created": iso, text: age(iso) });
    return el("span", {}, formatTime(iso), " (", ageText, ")");
  }

  /** The dialog asking why an attachment is opened: built once, a <dialog> (no window.prompt,
   * no inline script or style: the console's CSP forbids them). */
  class ReasonDialog {
    constructor() {
      this.input = el("input", {
        id: "access-reason",
        name: "reason",
        type: "text",
        maxlength: "500",
        autocomplete: "off",
        required: true,
      });
      this.what = el("p", { id: "access-what", class: "hint" });
      this.error = el("p", { id: "access-error", class: "alert", role: "alert", hidden: true });
      const cancel = el("button", {
        type: "button",
        id: "access-cancel",
        class: "secondary",
        text: t("access.cancel"),
      });
      const form = el(
        "form",
        { id: "access-form", novalidate: true },
        el("h2", { id: "access-title", text: t("access.title") }),
        this.what,
        el("p", { class: "hint", text: t("access.intro") }),
        this.error,
        el(
          "div",
          { class: "field" },
          el("label", { for: "access-reason", text: t("access.label") }),
          this.input,
        ),
        el(
          "div",
          { class: "actions" },
          el("button", {
            type: "submit",
            id: "access-submit",
            class: "primary",
            text: t("access.submit"),
          }),
          cancel,
        ),
      );
      this.dialog = el("dialog", { id: "access-dialog", "aria-labelledby": "access-title" }, form);
      document.body.append(this.dialog);
      this.onReason = null;
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const reason = this.input.value.trim();
        if (!reason) {
          this.error.textContent = t("access.missing");
          this.error.hidden = false;
          this.input.focus();
          return;
        }
        // Called within the submit (a user gesture), so the browser lets it open a tab.
        const onReason = this.onReason;
        this.finish();
        if (onReason) onReason(reason);
      });
      cancel.addEventListener("click", () => this.finish());
      this.dialog.addEventListener("close", () => (this.onReason = null));
    }

    /** Ask for a reason about `what`, prefilled with `previous`; `onReason(reason)` if given. */
    ask(what, previous, onReason) {
      this.onReason = onReason;
      this.what.textContent = what;
      this.error.hidden = true;
      this.input.value = previous || "";
      this.dialog.showModal();
      this.input.focus();
      this.input.select();
    }

    finish() {
      this.onReason = null;
      if (this.dialog.open) this.dialog.close();
    }
  }

  function withReason(url, reason) {
    return url + (url.includes("?") ? "&" : "?") + "reason=" + encodeURIComponent(reason);
  }

  function actionError(error) {
    if (error && error.code === "offline") return t("action.offline");
    if (error && (error.code === "timeout" || error.code === "lost")) return t("action.timeout");
    return errorText(error);
  }

  class Detail {
    constructor({ feed, socket, onChanged }) {
      this.feed = feed;
      this.socket = socket;
      this.onChanged = onChanged;
      this.report = null;
      this.loads = 0;
      this.busy = false;
      this.reasons = new ReasonDialog();
      this.lastReason = { report: null, reason: "" };
      const outcome = $("close-outcome");
      outcome.replaceChildren(
        el("option", { value: "", text: t("close.choose") }),
        ...OUTCOMES.map((code) => el("option", { value: code, text: t("outcome." + code) })),
      );
      $("acknowledge").addEventListener("click", () => this.acknowledge());
      $("close-form").addEventListener("submit", (event) => {
        event.preventDefault();
        this.close();
      });
    }

    /** Show report `id` (from the feed), and read its cameras and duplicates afresh. */
    show(id) {
      const report = this.feed.get(id);
      if (!report) return;
      const changed = !this.report || this.report.id !== id;
      this.report = report;
      $("detail-empty").hidden = true;
      $("detail-body").hidden = false;
      if (changed) {
        this.say("");
        $("close-outcome").value = "";
        $("close-note").value = "";
      }
      this.render();
      this.renderCameras(report.cameras || []);
      this.loadExtras(report.id);
      if (changed) $("detail-title").focus({ preventScroll: true });
    }

    clear() {
      this.report = null;
      $("detail-empty").hidden = false;
      $("detail-body").hidden = true;
    }

    /** A live event or an action's reply changed `report`: redraw if it is the one shown. */
    update(report) {
      if (!this.report || this.report.id !== report.id) return;
      this.report = report;
      this.render();
      if (report.cameras) this.renderCameras(report.cameras);
      if (!window.Vigie.OPEN.has(report.status)) this.say(t("detail.closedNow"));
    }

    camerasChanged(reportId, cameras) {
      if (this.report && this.report.id === reportId) this.renderCameras(cameras);
    }

    render() {
      const report = this.report;
      $("detail-title").textContent = report.reference;
      const priority = $("detail-priority");
      priority.textContent = t("priority." + report.priority);
      priority.className = "badge priority-" + report.priority;
      const status = $("detail-status");
      status.textContent = t("status." + report.status);
      status.className = "status-chip status status-" + report.status;
      status.dataset.status = report.status;
      $("detail-body").dataset.reportId = String(report.id);

      $("acknowledge").hidden = report.status !== "new";
      $("close-form").hidden = !["new", "acknowledged", "resolved"].includes(report.status);

      const [lon, lat] = report.location.coordinates;
      const facts = [
        ["fact.category", this.feed.categoryLabel(report.category)],
        ["fact.source", t("source." + report.source)],
        ["fact.centre", this.feed.centreName(report.centre)],
        ["fact.received", receivedAt(report.created_at)],
        ["fact.place", `${lat.toFixed(5)}, ${lon.toFixed(5)}`],
      ];
      if (report.accuracy_m !== null && report.accuracy_m !== undefined) {
        facts.push(["fact.accuracy", number(report.accuracy_m) + " m"]);
      }
      if (report.acknowledged_at) {
        const when = formatTime(report.acknowledged_at);
        const by = t("fact.ackBy", { when, user: report.acknowledged_by || "?" });
        facts.push(["fact.acknowledged", by]);
      }
      if (report.incident) facts.push(["fact.incident", "#" + report.incident]);
      if (report.outcome) facts.push(["fact.outcome", t("outcome." + report.outcome)]);
      $("detail-facts").replaceChildren(
        ...facts.flatMap(([key, value]) => [el("dt", { text: t(key) }), el("dd", {}, value)]),
      );
      const description = $("detail-description");
      description.textContent = report.description || t("detail.noDescription");
      description.classList.toggle("hint", !report.description);
      this.renderMedia(report);
    }

    /** One button per attachment: nothing is read before the operator says why. */
    renderMedia(report) {
      const items = (report.media || []).map((media, index) => {
        const kind = ["photo", "video", "audio"].includes(media.kind) ? media.kind : "photo";
        const label = t("media.open", { kind: t("media." + kind), n: index + 1 });
        const button = el("button", {
          type: "button",
          class: "secondary small",
          "data-media-id": media.id,
          text: label,
        });
        button.addEventListener("click", () => this.openMedia(report, media, label));
        return el("li", {}, button);
      });
      $("detail-media").replaceChildren(
        ...(items.length ? items : [el("li", { class: "hint", text: t("detail.noMedia") })]),
      );
    }

    /** Ask why, then open the file in its own tab with the reason (kept in the access trail).
     * The last reason given for this report is offered again. */
    openMedia(report, media, label) {
      const previous = this.lastReason.report === report.id ? this.lastReason.reason : "";
      this.reasons.ask(`${report.reference} · ${label}`, previous, (reason) => {
        this.lastReason = { report: report.id, reason };
        window.open(withReason(media.url, reason), "_blank", "noopener");
      });
    }

    renderCameras(cameras) {
      const items = cameras.map((link) => {
        const camera = link.camera;
        const name = camera.name;
        const parts = [
          el(
            "div",
            { class: "camera-head" },
            el("strong", { text: name }),
            el("span", {
              class: "hint",
              text:
                " " +
                [
                  t("kind." + camera.kind),
                  t("camera.distance", { m: Math.round(link.distance_m) }),
                  t("reason." + link.reason),
                ].join(" · "),
            }),
          ),
        ];
        if (link.snapshot_url && sameOrigin(link.snapshot_url)) {
          const alt = t("camera.snapshot", { name });
          const src = link.snapshot_url;
          parts.push(el("img", { class: "snapshot", src, alt, loading: "lazy" }));
        }
        const links = el("div", { class: "camera-links" });
        if (link.snapshot_url && !sameOrigin(link.snapshot_url)) {
          // Another host's picture would be refused by the page's CSP: open it in its own tab.
          links.append(outLink(link.snapshot_url, t("camera.snapshotLink")));
        }
        if (link.stream_url) {
          links.append(outLink(link.stream_url, t("camera.stream")));
        }
        if (camera.kind === "ptz") {
          const button = el("button", {
            type: "button",
            class: "secondary small",
            "data-camera-id": camera.id,
            text: t("camera.point"),
          });
          button.addEventListener("click", () => this.point(camera, button));
          links.append(button);
        }
        parts.push(links);
        return el("li", { "data-camera-id": camera.id }, ...parts);
      });
      $("detail-cameras").replaceChildren(
        ...(items.length ? items : [el("li", { class: "hint", text: t("detail.noCameras") })]),
      );
    }

    renderDuplicates(duplicates) {
      const report = this.report;
      const items = duplicates.map((other) => {
        const button = el("button", {
          type: "button",
          class: "secondary small",
          "data-merge-into": other.id,
          text: t("duplicate.merge"),
          "aria-label": t("duplicate.mergeLabel", {
            ref: report.reference,
            other: other.reference,
          }),
        });
        button.addEventListener("click", () => this.merge(other, button));
        const about = [
          t("status." + other.status),
          t("duplicate.distance", { m: Math.round(other.distance_m) }),
          age(other.created_at),
        ].join(" · ");
        const merged = other.incident && other.incident === report.incident;
        return el(
          "li",
          { "data-report-id": other.id },
          el(
            "div",
            {},
            el("strong", { text: other.reference }),
            " ",
            el("span", { class: "hint", text: about }),
          ),
          other.description ? el("div", { class: "clip", text: other.description }) : null,
          merged
            ? el("span", { class: "hint", text: t("feed.incident", { n: other.incident }) })
            : button,
        );
      });
      $("detail-duplicates").replaceChildren(
        ...(items.length ? items : [el("li", { class: "hint", text: t("detail.noDuplicates") })]),
      );
    }

    async loadExtras(id) {
      const load = ++this.loads;
      const duplicatesList = $("detail-duplicates");
      duplicatesList.replaceChildren(el("li", { class: "hint", text: t("detail.loading") }));
      const base = config.api.reports + id + "/";
      const [cameras, duplicates] = await Promise.allSettled([
        api(base + "cameras/"),
        api(base + "duplicates/"),
      ]);
      if (load !== this.loads || !this.report || this.report.id !== id) return;
      if (cameras.status === "fulfilled") {
        this.feed.setCameras(id, cameras.value);
        this.renderCameras(cameras.value);
      }
      if (duplicates.status === "fulfilled") this.renderDuplicates(duplicates.value);
      else {
        const problem = errorText(duplicates.reason);
        duplicatesList.replaceChildren(el("li", { class: "hint", text: problem }));
      }
    }

    say(text, kind = "ok") {
      const message = $("detail-message");
      message.textContent = text;
      message.dataset.kind = kind;
      message.hidden = !text;
    }

    /** Send an action about the shown report; the reply's report (if any) updates the feed. */
    async run(name, fields, button, done) {
      if (this.busy || !this.report) return;
      this.busy = true;
      if (button) button.disabled = true;
      const report = this.report;
      try {
        const data = await this.socket.action(name, { report: report.id, ...fields });
        if (data && data.reference) this.onChanged(data);
        this.say(done(data));
      } catch (error) {
        this.say(actionError(error), "error");
      } finally {
        this.busy = false;
        if (button) button.disabled = false;
      }
    }

    acknowledge() {
      this.run("acknowledge", {}, $("acknowledge"), () => t("action.acknowledged"));
    }

    close() {
      const outcome = $("close-outcome").value;
      if (!outcome) {
        this.say(t("close.missing"), "error");
        $("close-outcome").focus();
        return;
      }
      const note = $("close-note").value;
      this.run("close", { outcome, note }, $("close"), () => t("action.closed"));
    }

    merge(other, button) {
      const id = this.report.id;
      this.run("merge", { into: other.id }, button, (data) => {
        setTimeout(() => this.report && this.report.id === id && this.loadExtras(id), 0);
        return t("duplicate.merged", { n: data.incident });
      });
    }

    point(camera, button) {
      this.run("point_camera", { camera: camera.id }, button, (data) =>
        t("camera.pointed", {
          name: camera.name,
          pan: number(data.pan_deg),
          tilt: number(data.tilt_deg),
          zoom: number(data.zoom),
          status: data.status,
        }),
      );
    }
  }

  window.Vigie.Detail = Detail;
})();
