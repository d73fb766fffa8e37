/* Vigie operator console: the open reports, as the feed shows them.
 *
 * Holds every open report by id (the REST snapshot, then live events on top: an event carries
 * the whole report and replaces the row), sorts them by priority then age (the one waiting
 * longest first within a priority) and draws one row per report, reusing its element so that
 * focus and selection survive updates.
 */
(function () {
  "use strict";

  const { t, el, age, OPEN, PRIORITIES } = window.Vigie;
  const RANK = Object.fromEntries(PRIORITIES.map((priority, index) => [priority, index]));

  class Feed {
    constructor({ list, count, status, onSelect, onChange }) {
      this.list = list;
      this.count = count;
      this.status = status;
      this.onSelect = onSelect;
      this.onChange = onChange;
      this.reports = new Map();
      this.rows = new Map(); // report id -> <li>
      this.categories = new Map();
      this.centres = new Map();
      this.selectedId = null;
      setInterval(() => this.tick(), 1000);
    }

    setCategories(categories) {
      this.categories = new Map(categories.map((c) => [c.code, c.label]));
      this.render();
    }

    setCentres(centres) {
      this.centres = new Map(centres.map((c) => [c.id, c.name]));
    }

    categoryLabel(code) {
      return this.categories.get(code) || code;
    }

    centreName(id) {
      return this.centres.get(id) || "#" + id;
    }

    get(id) {
      return this.reports.get(id);
    }

    /** The snapshot: every open report, replacing whatever was held. */
    reset(reports) {
      this.reports = new Map();
      for (const report of reports) {
        if (OPEN.has(report.status)) this.reports.set(report.id, report);
      }
      this.render();
    }

    /** A report as an event or an action's reply carries it: open ones stay, others leave. */
    upsert(report) {
      const held = this.reports.get(report.id);
      if (held && report.cameras === undefined) report.cameras = held.cameras;
      if (OPEN.has(report.status)) this.reports.set(report.id, report);
      else this.reports.delete(report.id);
      this.render();
    }

    setCameras(reportId, cameras) {
      const report = this.reports.get(reportId);
      if (report) report.cameras = cameras;
    }

    setIncident({ incident, reports }) {
      for (const { id } of reports || []) {
        const report = this.reports.get(id);
        if (report) report.incident = incident;
      }
      this.render();
    }

    select(id) {
      this.selectedId = id;
      for (const [rowId, row] of this.rows) {
        row.firstChild.setAttribute("aria-pressed", rowId === id ? "true" : "false");
      }
    }

    sorted() {
      return [...this.reports.values()].sort(
        (a, b) =>
          (RANK[a.priority] ?? 9) - (RANK[b.priority] ?? 9) ||
          new Date(a.created_at) - new Date(b.created_at) ||
          a.id - b.id,
      );
    }

    /** Critical reports that nobody has acknowledged: they flash, and the alarm rings. */
    criticalWaiting() {
      for (const report of this.reports.values()) {
        if (report.priority === "critical" && report.status === "new") return true;
      }
      return false;
    }

    render() {
      const ordered = this.sorted();
      for (const [id, row] of this.rows) {
        if (!this.reports.has(id)) {
          row.remove();
          this.rows.delete(id);
        }
      }
      for (const report of ordered) {
        const row = this.rows.get(report.id) || this.makeRow(report.id);
        this.fill(row.firstChild, report);
      }
      // Move rows only when the order changed: moving an element loses its focus.
      const current = [...this.list.children];
      const moved =
        current.length !== ordered.length ||
        current.some((row, i) => row !== this.rows.get(ordered[i].id));
      if (moved) {
        this.list.replaceChildren(...ordered.map((report) => this.rows.get(report.id)));
      }
      this.count.textContent = t("feed.count", { n: ordered.length });
      this.status.textContent = ordered.length ? "" : t("feed.empty");
      this.onChange();
    }

    makeRow(id) {
      const button = el("button", { type: "button", class: "row", "data-report-id": id });
      button.addEventListener("click", () => this.onSelect(id));
      const row = el("li", {}, button);
      this.rows.set(id, row);
      return row;
    }

    fill(button, report) {
      const waiting = report.priority === "critical" && report.status === "new";
      button.className =
        `row priority-${report.priority} status-${report.status}` + (waiting ? " flash" : "");
      button.dataset.reference = report.reference;
      button.dataset.status = report.status;
      button.dataset.priority = report.priority;
      button.setAttribute("aria-pressed", report.id === this.selectedId ? "true" : "false");
      const incident = report.incident
        ? el("span", { class: "incident", text: t("feed.incident", { n: report.incident }) })
        : null;
      button.replaceChildren(
        el(
          "span",
          { class: "row-line" },
          el("span", { class: "priority-tag", text: t("priority." + report.priority) }),
          el("strong", { class: "reference", text: report.reference }),
          el("span", {
            class: "age",
            "data-created": report.created_at,
            text: age(report.created_at),
          }),
        ),
        el("span", { class: "row-line category", text: this.categoryLabel(report.category) }),
        el(
          "span",
          { class: "row-line meta" },
          el("span", { class: "source", text: t("source." + report.source) }),
          el("span", { class: "centre", text: this.centreName(report.centre) }),
          incident,
          el("span", {
            class: "status status-" + report.status,
            "data-status": report.status,
            text: t("status." + report.status),
          }),
        ),
      );
    }

    tick() {
      const now = Date.now();
      // The feed's rows and the detail pane's "received" line.
      for (const span of document.querySelectorAll(".age[data-created]")) {
        span.textContent = age(span.dataset.created, now);
      }
    }
  }

  window.Vigie.Feed = Feed;
})();
