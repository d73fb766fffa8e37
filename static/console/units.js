/* Vigie operator console: the police units, on the map and in the list beside it.
 *
 * Every unit of the centres served, at its last known position, drawn as a triangle coloured
 * by status and labelled with its callsign. Read through GET /api/v1/units/ with each snapshot
 * (a fresh connection), then followed by `unit.updated` (one unit: created, on or off duty,
 * sent or freed) and `unit.position` (the units that moved, coalesced by the server every few
 * seconds). Live events are applied in `seq` order after the snapshot, so the newest frame
 * always wins. The list (#units) says the same in words, for keyboard and screen-reader users:
 * one item per unit, with its status and where it was last seen.
 */
(function () {
  "use strict";

  const { config, t, el, api, age, formatTime } = window.Vigie;
  const STATUSES = ["available", "busy", "off_duty"];
  const STATUS_COLOURS = { available: "#2b8a3e", busy: "#7b2cbf", off_duty: "#868e96" };
  // A fix this old is drawn faded: the unit may be elsewhere by now. Display only; the
  // server decides which units it suggests (VIGIE_UNIT_FIX_MAX_AGE_S).
  const STALE_AFTER_MS = 5 * 60 * 1000;
  const RESTYLE_EVERY_MS = 30 * 1000;

  const styles = new Map();

  function faded(hex) {
    const value = parseInt(hex.slice(1), 16);
    return `rgba(${value >> 16}, ${(value >> 8) & 255}, ${value & 255}, 0.45)`;
  }

  function unitStyle(status, callsign, stale) {
    const key = [status, stale ? "stale" : "fresh", callsign].join(":");
    if (!styles.has(key)) {
      const colour = STATUS_COLOURS[status] || STATUS_COLOURS.off_duty;
      styles.set(
        key,
        new ol.style.Style({
          image: new ol.style.RegularShape({
            points: 3,
            radius: 10,
            fill: new ol.style.Fill({ color: stale ? faded(colour) : colour }),
            stroke: new ol.style.Stroke({ color: "#ffffff", width: 2 }),
          }),
          text: new ol.style.Text({
            text: callsign,
            offsetY: 18,
            font: "600 12px system-ui, sans-serif",
            fill: new ol.style.Fill({ color: "#1b1f24" }),
            stroke: new ol.style.Stroke({ color: "#ffffff", width: 3 }),
          }),
          zIndex: status === "busy" ? 3 : status === "available" ? 2 : 1,
        }),
      );
    }
    return styles.get(key);
  }

  function isStale(unit, now = Date.now()) {
    return !unit.seen_at || now - new Date(unit.seen_at).getTime() > STALE_AFTER_MS;
  }

  class Units {
    /** map: the ConsoleMap; list: the <ul> that mirrors the layer; count: its counter. */
    constructor({ map, list, count }) {
      this.map = map;
      this.list = list;
      this.count = count;
      this.units = new Map(); // unit id -> payload
      this.items = new Map(); // unit id -> <li>
      this.source = null;
      this.listeners = [];
      setInterval(() => this.tick(), RESTYLE_EVERY_MS);
    }

    /** Once the map exists (the console is shown): add the layer and draw what is held. */
    ensure() {
      if (this.source || !this.map.map) return;
      this.source = new ol.source.Vector();
      this.map.addLayer(
        new ol.layer.Vector({
          source: this.source,
          style: (feature) =>
            unitStyle(feature.get("status"), feature.get("callsign"), feature.get("stale")),
        }),
      );
      for (const unit of this.units.values()) this.draw(unit);
      this.counted();
    }

    /** Calls `listener(unit)` for every unit that changed (the dispatch pane follows). */
    onChange(listener) {
      this.listeners.push(listener);
    }

    get(id) {
      return this.units.get(id);
    }

    /** The units of the centres served, or null when they could not be read (the live
     * events still tell; the next snapshot reads them again). Never rejects. */
    async read() {
      try {
        return await api(config.api.units);
      } catch (error) {
        return null;
      }
    }

    /** The snapshot, replacing whatever was held. */
    reset(units) {
      this.units = new Map(units.map((unit) => [unit.id, unit]));
      if (this.source) this.source.clear(true);
      this.items = new Map();
      this.list.replaceChildren();
      for (const unit of this.units.values()) this.draw(unit);
      this.counted();
    }

    /** One unit as `unit.updated` carries it, or several as `unit.position` does. */
    upsert(...units) {
      for (const unit of units.flat()) {
        if (!unit || typeof unit.id !== "number") continue;
        this.units.set(unit.id, unit);
        this.draw(unit);
        for (const listener of this.listeners) listener(unit);
      }
      this.counted();
    }

    draw(unit) {
      if (this.source) {
        const where = unit.location && unit.location.coordinates;
        let feature = this.source.getFeatureById(unit.id);
        if (!where) {
          if (feature) this.source.removeFeature(feature);
        } else {
          const geometry = new ol.geom.Point(ol.proj.fromLonLat(where));
          if (!feature) {
            feature = new ol.Feature({ geometry });
            feature.setId(unit.id);
            this.source.addFeature(feature);
          } else {
            feature.setGeometry(geometry);
          }
          feature.setProperties({
            status: unit.status,
            callsign: unit.callsign,
            stale: isStale(unit),
          });
        }
      }
      this.fillItem(unit);
    }

    fillItem(unit) {
      let item = this.items.get(unit.id);
      if (!item) {
        item = el("li", {});
        this.items.set(unit.id, item);
        this.list.append(item);
      }
      const where = unit.location && unit.location.coordinates;
      item.dataset.unitId = String(unit.id);
      item.dataset.callsign = unit.callsign;
      item.dataset.status = unit.status;
      item.dataset.located = where ? "true" : "false";
      if (where) {
        item.dataset.lon = String(where[0]);
        item.dataset.lat = String(where[1]);
      }
      const seen = unit.seen_at
        ? [
            t("units.seen", { time: formatTime(unit.seen_at) }),
            " (",
            el("span", { class: "age", "data-created": unit.seen_at, text: age(unit.seen_at) }),
            ")",
          ]
        : [t("units.noFix")];
      const name = where
        ? el("button", { type: "button", class: "link callsign", text: unit.callsign })
        : el("strong", { class: "callsign", text: unit.callsign });
      if (where) name.addEventListener("click", () => this.map.centreOn(where));
      item.className = "unit unit-" + unit.status + (isStale(unit) ? " stale" : "");
      item.replaceChildren(
        el("span", { class: "unit-mark", "aria-hidden": "true" }),
        name,
        el("span", { class: "unit-status", text: t("unitstatus." + unit.status) }),
        el("span", { class: "hint" }, t("unitkind." + unit.kind) + " · ", ...seen),
      );
    }

    /** Available units first, then busy, then off duty; by callsign within. Elements move
     * only when the order changed (moving one loses its focus). */
    sortList() {
      const rank = (unit) => STATUSES.indexOf(unit.status);
      const ordered = [...this.units.values()]
        .filter((unit) => this.items.has(unit.id))
        .sort((a, b) => rank(a) - rank(b) || a.callsign.localeCompare(b.callsign))
        .map((unit) => this.items.get(unit.id));
      const current = [...this.list.children];
      if (current.length !== ordered.length || current.some((item, i) => item !== ordered[i])) {
        this.list.replaceChildren(...ordered);
      }
    }

    counted() {
      this.sortList();
      const drawn = this.source ? this.source.getFeatures().length : 0;
      if (this.map.target) this.map.target.dataset.units = String(drawn);
      const available = [...this.units.values()].filter((u) => u.status === "available").length;
      this.count.textContent = t("units.count", { n: available, total: this.units.size });
      this.list.dataset.ready = "true";
    }

    /** Fixes age: the ones grown stale fade, on the map and in the list. */
    tick() {
      const now = Date.now();
      for (const unit of this.units.values()) {
        const stale = isStale(unit, now);
        const feature = this.source && this.source.getFeatureById(unit.id);
        if (feature && feature.get("stale") !== stale) feature.set("stale", stale);
        const item = this.items.get(unit.id);
        if (item) item.classList.toggle("stale", stale);
      }
    }
  }

  window.Vigie.Units = Units;
})();
