/* Vigie broadcast page: the map where the supervisor draws the area (OpenLayers, vendored).
 *
 * Two ways to draw: a point and a radius (a click places the centre, which can then be dragged;
 * the circle shown is the geodesic one, as PostGIS draws it on geography), or a polygon
 * (ol.interaction.Draw, its corners editable afterwards). The centres' jurisdictions are drawn
 * as a guide, and the current broadcasts' areas beneath. The tile layer comes from the
 * settings; when no tile server answers, the vector layers still draw on a plain ground.
 */
(function () {
  "use strict";

  const NS = (window.VigieBroadcast = window.VigieBroadcast || {});
  const WGS84 = "EPSG:4326";
  const WEB = "EPSG:3857";
  const CIRCLE_SIDES = 64;

  const style = (stroke, fill, width = 2, dash) =>
    new ol.style.Style({
      stroke: new ol.style.Stroke({ color: stroke, width, lineDash: dash }),
      fill: new ol.style.Fill({ color: fill }),
    });
  const STYLES = {
    jurisdiction: style("#1d3557", "rgba(29,53,87,0.04)", 2, [8, 6]),
    current: style("rgba(231,111,0,0.8)", "rgba(231,111,0,0.12)", 1),
    drawn: style("#c1121f", "rgba(193,18,31,0.18)", 3),
    centre: new ol.style.Style({
      image: new ol.style.Circle({
        radius: 7,
        fill: new ol.style.Fill({ color: "#c1121f" }),
        stroke: new ol.style.Stroke({ color: "#ffffff", width: 2 }),
      }),
    }),
  };

  class AreaMap {
    constructor({ target, config, onChange }) {
      this.target = target;
      this.config = config;
      this.onChange = onChange;
      this.map = null;
      this.mode = "circle";
      this.circle = { lon: null, lat: null, radius: config.defaultRadiusM };
    }

    /** Made when the page is first shown, so that OpenLayers measures a visible element. */
    ensure() {
      if (this.map) return;
      const { config } = this;
      this.outlines = new ol.source.Vector();
      this.current = new ol.source.Vector();
      this.drawn = new ol.source.Vector();
      this.centre = new ol.Feature();
      this.centre.setStyle(STYLES.centre);
      this.ring = new ol.Feature();
      const attributions = config.tilesAttribution
        ? '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
        : undefined;
      this.map = new ol.Map({
        target: this.target,
        layers: [
          new ol.layer.Tile({
            source: new ol.source.XYZ({ url: config.tilesUrl, maxZoom: 19, attributions }),
          }),
          new ol.layer.Vector({ source: this.outlines, style: STYLES.jurisdiction }),
          new ol.layer.Vector({ source: this.current, style: STYLES.current }),
          new ol.layer.Vector({ source: this.drawn, style: STYLES.drawn }),
        ],
        controls: ol.control.defaults.defaults({ rotate: false }),
        interactions: ol.interaction.defaults.defaults({
          altShiftDragRotate: false,
          pinchRotate: false,
          doubleClickZoom: false, // a double click closes the polygon
        }),
        view: new ol.View({ maxZoom: 19 }),
      });
      this.fit(config.defaultExtent);

      this.draw = new ol.interaction.Draw({ source: this.drawn, type: "Polygon" });
      this.draw.on("drawstart", () => this.drawn.clear());
      this.draw.on("drawend", (event) => {
        event.feature.set("kind", "polygon");
        setTimeout(() => this.changed(), 0); // once the feature is in the source
      });
      this.modify = new ol.interaction.Modify({ source: this.drawn });
      this.modify.on("modifyend", () => this.changed());
      this.translate = new ol.interaction.Translate({
        features: new ol.Collection([this.centre]),
        hitTolerance: 8,
      });
      this.translate.on("translateend", () => {
        const [lon, lat] = ol.proj.toLonLat(this.centre.getGeometry().getCoordinates());
        this.setCircle({ lon, lat });
      });
      this.map.on("singleclick", (event) => {
        if (this.mode !== "circle") return;
        const [lon, lat] = ol.proj.toLonLat(event.coordinate);
        this.setCircle({ lon, lat });
      });
      this.target.addEventListener("keydown", (event) => {
        if (this.mode !== "polygon") return;
        if (event.key === "Escape") this.draw.abortDrawing();
        if (event.key === "Backspace") this.draw.removeLastPoint();
      });
      this.target.tabIndex = 0;
      this.setMode(this.mode);
    }

    fit(extent4326, maxZoom = 18) {
      const extent = ol.proj.transformExtent(extent4326, WGS84, WEB);
      this.map.getView().fit(extent, { padding: [24, 24, 24, 24], maxZoom });
    }

    setOutlines(centres) {
      const format = new ol.format.GeoJSON();
      this.outlines.clear(true);
      for (const centre of centres) {
        this.outlines.addFeature(
          new ol.Feature(format.readGeometry(centre.outline, { featureProjection: WEB })),
        );
      }
    }

    setMode(mode) {
      this.mode = mode;
      this.target.dataset.mode = mode;
      if (!this.map) return;
      this.map.removeInteraction(this.draw);
      this.map.removeInteraction(this.modify);
      this.map.removeInteraction(this.translate);
      if (mode === "polygon") {
        this.map.addInteraction(this.modify);
        this.map.addInteraction(this.draw);
      } else {
        this.map.addInteraction(this.translate);
      }
      this.clear();
    }

    /** Move or resize the circle; values left out stay as they are. */
    setCircle({ lon, lat, radius }) {
      if (lon !== undefined) Object.assign(this.circle, { lon, lat });
      if (radius !== undefined) this.circle.radius = radius;
      const { circle } = this;
      this.drawn.clear(true);
      if (circle.lon === null || !Number.isFinite(circle.lon) || !Number.isFinite(circle.lat)) {
        this.changed();
        return;
      }
      this.centre.setGeometry(new ol.geom.Point(ol.proj.fromLonLat([circle.lon, circle.lat])));
      const features = [this.centre];
      if (this.radiusOk()) {
        const { lon, lat, radius } = circle;
        const ring = ol.geom.Polygon.circular([lon, lat], radius, CIRCLE_SIDES);
        this.ring.setGeometry(ring.transform(WGS84, WEB));
        features.unshift(this.ring);
      }
      this.drawn.addFeatures(features);
      this.changed();
    }

    radiusOk() {
      const r = this.circle.radius;
      return Number.isFinite(r) && r >= this.config.radiusMin && r <= this.config.radiusMax;
    }

    clear() {
      if (this.draw) this.draw.abortDrawing();
      if (this.drawn) this.drawn.clear(true);
      this.circle.lon = this.circle.lat = null;
      this.changed();
    }

    polygon() {
      const feature = this.drawn.getFeatures().find((f) => f.get("kind") === "polygon");
      return feature ? feature.getGeometry() : null;
    }

    /** What the API is sent: `{circle}`, `{area}` (GeoJSON in WGS 84), or null when nothing
     * usable is drawn. */
    value() {
      if (this.mode === "circle") {
        const { lon, lat, radius } = this.circle;
        if (lon === null || !this.radiusOk()) return null;
        const center = { type: "Point", coordinates: [round(lon, 6), round(lat, 6)] };
        return { circle: { center, radius_m: radius } };
      }
      const polygon = this.polygon();
      if (!polygon) return null;
      const ring = polygon.clone().transform(WEB, WGS84).getCoordinates();
      const coordinates = ring.map((r) => r.map(([x, y]) => [round(x, 6), round(y, 6)]));
      return { area: { type: "Polygon", coordinates } };
    }

    /** The drawn area's surface on the ground, in m² (null when none). */
    surface() {
      if (this.mode === "circle") {
        return this.value() ? Math.PI * this.circle.radius ** 2 : null;
      }
      const polygon = this.polygon();
      return polygon ? ol.sphere.getArea(polygon) : null;
    }

    corners() {
      const polygon = this.polygon();
      return polygon ? polygon.getCoordinates()[0].length - 1 : 0;
    }

    changed() {
      const value = this.value();
      this.target.dataset.area = value ? this.mode : "none";
      this.onChange(value);
    }

    /** The current broadcasts' areas (GeoJSON MultiPolygons from the API). */
    setCurrent(broadcasts) {
      if (!this.map) return;
      const format = new ol.format.GeoJSON();
      this.current.clear(true);
      for (const broadcast of broadcasts) {
        const geometry = format.readGeometry(broadcast.area, { featureProjection: WEB });
        const feature = new ol.Feature(geometry);
        feature.setId(broadcast.id);
        this.current.addFeature(feature);
      }
      this.target.dataset.current = String(broadcasts.length);
    }

    showCurrent(id) {
      const feature = this.current.getFeatureById(id);
      if (!feature) return;
      this.map.getView().fit(feature.getGeometry().getExtent(), {
        padding: [48, 48, 48, 48],
        maxZoom: 17,
        duration: 300,
      });
    }

    /** The pixel at `lonLat` in the map element (for tests and for pointing things out). */
    pixelOf(lonLat) {
      return this.map.getPixelFromCoordinate(ol.proj.fromLonLat(lonLat));
    }

    /** Take the map element's size now and render at once: after a change of the page's
     * layout (the form beside the map sets its height), the pixels of the next click must be
     * those of the new size, not of the frame drawn before it (OpenLayers' own resize
     * observer and render come one animation frame later). */
    updateSize() {
      if (!this.map) return;
      this.map.updateSize();
      this.map.renderSync();
    }
  }

  function round(value, digits) {
    const factor = 10 ** digits;
    return Math.round(value * factor) / factor;
  }

  NS.AreaMap = AreaMap;
})();
