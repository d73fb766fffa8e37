/* Vigie operator console: the map (OpenLayers, vendored in static/vendor/openlayers).
 *
 * Report markers coloured by priority, and the cameras of the visible area read from
 * GET /api/v1/cameras/?bbox=… when zoomed in far enough; units.js adds the police units. The
 * tile layer comes from the settings; when no tile server answers, the vector layers still
 * draw on a plain ground.
 */
(function () {
  "use strict";

  const { config, t, api, PRIORITY_COLOURS } = window.Vigie;
  const CAMERAS_FROM_ZOOM = 13; // a whole city's network is too much to draw at once
  const CAMERA_COLOURS = { ptz: "#6a1b9a", default: "#264653" };

  const styles = new Map();

  function reportStyle(priority, selected) {
    const key = priority + (selected ? ":selected" : "");
    if (!styles.has(key)) {
      const colour = PRIORITY_COLOURS[priority] || PRIORITY_COLOURS.normal;
      const layers = [
        new ol.style.Style({
          image: new ol.style.Circle({
            radius: selected ? 11 : 8,
            fill: new ol.style.Fill({ color: colour }),
            stroke: new ol.style.Stroke({ color: "#ffffff", width: 2 }),
          }),
          zIndex: selected ? 100 : 10 - (window.Vigie.PRIORITIES.indexOf(priority) || 0),
        }),
      ];
      if (selected) {
        layers.unshift(
          new ol.style.Style({
            image: new ol.style.Circle({
              radius: 17,
              stroke: new ol.style.Stroke({ color: "#1b1f24", width: 3 }),
            }),
            zIndex: 99,
          }),
        );
      }
      styles.set(key, layers);
    }
    return styles.get(key);
  }

  function cameraStyle(kind) {
    const key = "camera:" + kind;
    if (!styles.has(key)) {
      styles.set(
        key,
        new ol.style.Style({
          image: new ol.style.RegularShape({
            points: 4,
            radius: 6,
            angle: Math.PI / 4,
            fill: new ol.style.Fill({ color: CAMERA_COLOURS[kind] || CAMERA_COLOURS.default }),
            stroke: new ol.style.Stroke({ color: "#ffffff", width: 1 }),
          }),
        }),
      );
    }
    return styles.get(key);
  }

  class ConsoleMap {
    constructor({ target, hint, onSelect }) {
      this.target = target;
      this.hint = hint;
      this.onSelect = onSelect;
      this.map = null;
      this.selectedId = null;
      this.reportSource = null;
      this.cameraSource = null;
      this.cameraRequest = 0;
      this.cameraTimer = null;
    }

    /** Made when the console is first shown, so that OpenLayers measures a visible element. */
    ensure() {
      if (this.map) return;
      this.reportSource = new ol.source.Vector();
      this.cameraSource = new ol.source.Vector();
      const attributions = config.tilesAttribution
        ? '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
        : undefined;
      this.map = new ol.Map({
        target: this.target,
        layers: [
          new ol.layer.Tile({
            source: new ol.source.XYZ({ url: config.tilesUrl, maxZoom: 19, attributions }),
          }),
          new ol.layer.Vector({
            source: this.cameraSource,
            style: (feature) => cameraStyle(feature.get("kind")),
          }),
          new ol.layer.Vector({
            source: this.reportSource,
            style: (feature) =>
              reportStyle(feature.get("priority"), feature.getId() === this.selectedId),
          }),
        ],
        controls: ol.control.defaults.defaults({ rotate: false }),
        view: new ol.View({ maxZoom: 19 }),
      });
      const extent = ol.proj.transformExtent(config.defaultExtent, "EPSG:4326", "EPSG:3857");
      this.map.getView().fit(extent, { padding: [16, 16, 16, 16] });
      this.map.on("singleclick", (event) => {
        const feature = this.map.forEachFeatureAtPixel(event.pixel, (found) => found, {
          layerFilter: (layer) => layer.getSource() === this.reportSource,
          hitTolerance: 6,
        });
        if (feature) this.onSelect(feature.getId());
      });
      this.map.on("pointermove", (event) => {
        const over = this.map.hasFeatureAtPixel(event.pixel, {
          layerFilter: (layer) => layer.getSource() === this.reportSource,
          hitTolerance: 6,
        });
        this.map.getTargetElement().classList.toggle("over-marker", over);
      });
      this.map.on("moveend", () => {
        clearTimeout(this.cameraTimer);
        this.cameraTimer = setTimeout(() => this.loadCameras(), 250);
      });
    }

    /** Draw `reports` (the feed's open reports). */
    setReports(reports) {
      if (!this.map) return;
      const features = reports.map((report) => {
        const feature = new ol.Feature({
          geometry: new ol.geom.Point(ol.proj.fromLonLat(report.location.coordinates)),
          priority: report.priority,
          reference: report.reference,
        });
        feature.setId(report.id);
        return feature;
      });
      this.reportSource.clear(true);
      this.reportSource.addFeatures(features);
      this.target.dataset.reports = String(features.length);
    }

    select(report) {
      this.selectedId = report ? report.id : null;
      if (!this.map) return;
      this.reportSource.changed();
      if (!report) return;
      const where = ol.proj.fromLonLat(report.location.coordinates);
      const view = this.map.getView();
      const visible = view.calculateExtent(this.map.getSize());
      if (!ol.extent.containsCoordinate(visible, where) || view.getZoom() < 15) {
        view.animate({ center: where, zoom: Math.max(view.getZoom(), 16), duration: 300 });
      }
    }

    /** Another layer (units.js), drawn over the cameras and under the reports. */
    addLayer(layer) {
      if (this.map) this.map.getLayers().insertAt(2, layer);
    }

    /** Bring `lonLat` into view, closer in when the map shows a wide area. */
    centreOn(lonLat) {
      if (!this.map) return;
      const view = this.map.getView();
      const zoom = Math.max(view.getZoom() || 0, 16);
      view.animate({ center: ol.proj.fromLonLat(lonLat), zoom, duration: 300 });
    }

    updateSize() {
      if (this.map) this.map.updateSize();
    }

    async loadCameras() {
      if (!this.map) return;
      const view = this.map.getView();
      const request = ++this.cameraRequest;
      if (view.getZoom() < CAMERAS_FROM_ZOOM) {
        this.cameraSource.clear(true);
        this.hint.textContent = t("map.zoomForCameras");
        this.hint.hidden = false;
        this.target.dataset.cameras = "0";
        return;
      }
      this.hint.hidden = true;
      const extent = ol.proj.transformExtent(
        view.calculateExtent(this.map.getSize()),
        "EPSG:3857",
        "EPSG:4326",
      );
      const bbox = extent.map((value) => value.toFixed(6)).join(",");
      let collection;
      try {
        collection = await api(config.api.cameras + "?bbox=" + bbox);
      } catch (error) {
        return; // the layer stays as it was; the next move asks again
      }
      if (request !== this.cameraRequest) return; // a later move asked since
      const features = new ol.format.GeoJSON().readFeatures(collection, {
        featureProjection: "EPSG:3857",
      });
      this.cameraSource.clear(true);
      this.cameraSource.addFeatures(features);
      this.target.dataset.cameras = String(features.length);
    }
  }

  window.Vigie.ConsoleMap = ConsoleMap;
})();
