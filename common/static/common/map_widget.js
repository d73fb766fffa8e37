/* Starts Django's MapWidget (gis/js/OLMapWidget.js) for each geometry field of an admin form,
 * from the options common/widgets.py renders as JSON: Django's own template writes them as an
 * inline script, which the Content-Security-Policy refuses. Each widget stays reachable as
 * `window.geodjango_<field>`, as with Django's template. */
/* global ol, MapWidget */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const blocks = document.querySelectorAll('script[type="application/json"][id$="_vigie_map"]');
  for (const block of blocks) {
    const { tiles_url: tilesUrl, module, ...options } = JSON.parse(block.textContent);
    options.base_layer = new ol.layer.Tile({
      source: new ol.source.XYZ({ url: tilesUrl, maxZoom: 19 }),
    });
    window[module] = new MapWidget(options);
  }
});
