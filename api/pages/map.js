// The dispatcher's map, drawn in SVG: bins coloured by fill level (a triangle for an alarm),
// routes as coloured lines, depots and disposal sites as squares. Without a tile server the
// positions are projected equirectangularly (longitudes scaled by the cosine of the middle
// latitude) on a plain background; with one, everything is in Web Mercator over its tiles.

import { svg } from "/pages/api.js";

export const WIDTH = 1000;
export const HEIGHT = 700;
const PADDING = 40;
const TILE = 256;
const MAX_ZOOM = 18;
const MIN_SPAN_DEG = 0.002;

export const FILL_COLOURS = { low: "#2e9d4a", mid: "#f0a020", high: "#d7301f", offline: "#9a9a9a" };
export const ROUTE_COLOURS = ["#1f77b4", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#393b79",
  "#bcbd22", "#637939", "#7b4173", "#3182bd"];
const SITE_COLOURS = { depot: "#1d1d1d", disposal: "#5a3e1b" };

/** "low" below 50 %, "mid" up to 80 %, "high" above; "offline" when the sensor is silent. */
export function fillLevel(bin) {
  if (bin.offline || bin.fill_pct === null || bin.fill_pct === undefined) {
    return "offline";
  }
  if (bin.fill_pct > 80) {
    return "high";
  }
  return bin.fill_pct >= 50 ? "mid" : "low";
}

function bounds(points) {
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  const box = { west: Math.min(...lons), east: Math.max(...lons),
    south: Math.min(...lats), north: Math.max(...lats) };
  const growLon = Math.max(0, MIN_SPAN_DEG - (box.east - box.west)) / 2;
  const growLat = Math.max(0, MIN_SPAN_DEG - (box.north - box.south)) / 2;
  return { west: box.west - growLon, east: box.east + growLon,
    south: box.south - growLat, north: box.north + growLat };
}

/** Longitude and latitude to the map's pixels, equirectangular, fitted to the points. */
export function plainProjection(points) {
  const box = bounds(points);
  const middle = (box.south + box.north) / 2;
  const k = Math.cos((middle * Math.PI) / 180);
  const scale = Math.min((WIDTH - 2 * PADDING) / ((box.east - box.west) * k),
    (HEIGHT - 2 * PADDING) / (box.north - box.south));
  const centreX = ((box.west + box.east) / 2) * k;
  return {
    zoom: null,
    project: ([lon, lat]) => [WIDTH / 2 + (lon * k - centreX) * scale,
      HEIGHT / 2 - (lat - middle) * scale],
  };
}

/** World pixels of a position in Web Mercator at a zoom level (256-pixel tiles). */
export function mercator([lon, lat], zoom) {
  const size = TILE * 2 ** zoom;
  const sin = Math.min(0.9999, Math.max(-0.9999, Math.sin((lat * Math.PI) / 180)));
  return [((lon + 180) / 360) * size, (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * size];
}

/** Web Mercator at the highest zoom level at which the points fit, centred on them. */
export function mercatorProjection(points) {
  const box = bounds(points);
  const span = (zoom) => {
    const [x0, y0] = mercator([box.west, box.north], zoom);
    const [x1, y1] = mercator([box.east, box.south], zoom);
    return { x0, y0, x1, y1 };
  };
  let zoom = MAX_ZOOM;
  while (zoom > 0) {
    const s = span(zoom);
    if (s.x1 - s.x0 <= WIDTH - 2 * PADDING && s.y1 - s.y0 <= HEIGHT - 2 * PADDING) {
      break;
    }
    zoom -= 1;
  }
  const s = span(zoom);
  const left = (s.x0 + s.x1) / 2 - WIDTH / 2;
  const top = (s.y0 + s.y1) / 2 - HEIGHT / 2;
  return {
    zoom, left, top,
    project: (point) => {
      const [x, y] = mercator(point, zoom);
      return [x - left, y - top];
    },
  };
}

/** The tiles under the map: each with its URL and where it goes. */
export function tiles(template, projection) {
  const count = 2 ** projection.zoom;
  const found = [];
  const firstY = Math.floor(projection.top / TILE);
  const lastY = Math.floor((projection.top + HEIGHT) / TILE);
  const firstX = Math.floor(projection.left / TILE);
  const lastX = Math.floor((projection.left + WIDTH) / TILE);
  for (let y = Math.max(0, firstY); y <= Math.min(count - 1, lastY); y += 1) {
    for (let x = firstX; x <= lastX; x += 1) {
      const wrapped = ((x % count) + count) % count;
      const href = template.replaceAll("{z}", projection.zoom)
        .replaceAll("{x}", wrapped).replaceAll("{y}", y);
      found.push({ href, x: x * TILE - projection.left, y: y * TILE - projection.top });
    }
  }
  return found;
}

const at = (n) => n.toFixed(1);

function binMarker(feature, [x, y]) {
  const bin = feature.properties;
  const level = fillLevel(bin);
  const fill = bin.fill_pct === null || bin.fill_pct === undefined ? "" : Math.round(bin.fill_pct);
  const common = {
    class: `bin fill-${level}${bin.alarm ? " alarm" : ""}`,
    "data-bin-id": bin.id,
    "data-fill": fill,
    fill: FILL_COLOURS[level],
    stroke: "#1d1d1d",
  };
  const words = [bin.id, fill === "" ? "no reading" : `${fill} %`, bin.waste_stream,
    bin.address, bin.offline ? "sensor offline" : null, bin.alarm ? "ALARM (fire or tilt)" : null];
  const title = svg("title", {}, words.filter(Boolean).join(" · "));
  if (bin.alarm) {
    const points = [[x, y - 11], [x + 10, y + 7], [x - 10, y + 7]].map((p) => p.map(at).join(","));
    return svg("polygon", { ...common, points: points.join(" "), "stroke-width": 2.5 }, title);
  }
  return svg("circle", { ...common, cx: at(x), cy: at(y), r: 7, "stroke-width": 1 }, title);
}

function siteMarker(site, [x, y]) {
  const attributes = { class: `site ${site.kind}`, "data-site-id": site.id,
    x: at(x - 8), y: at(y - 8), width: 16, height: 16, fill: SITE_COLOURS[site.kind],
    stroke: "#fff", "stroke-width": 2 };
  if (site.kind === "disposal") {
    attributes.transform = `rotate(45 ${at(x)} ${at(y)})`;
  }
  return svg("rect", attributes, svg("title", {}, `${site.kind} ${site.id}`));
}

/**
 * Draw the bins (GeoJSON point features), the routes ({vehicle, colour, path: [[lon, lat]]})
 * and the sites ({kind, id, position: [lon, lat]}) into the SVG element; tiles beneath when
 * a template is given. Returns the zoom level drawn at (null without tiles).
 */
export function drawMap(map, { bins, routes, sites, tileUrl }) {
  map.replaceChildren();
  map.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  const points = [...bins.map((f) => f.geometry.coordinates), ...routes.flatMap((r) => r.path),
    ...sites.map((s) => s.position)];
  const base = svg("g", { class: "base" });
  map.append(base);
  if (!tileUrl) {
    base.append(svg("rect", { class: "background", width: WIDTH, height: HEIGHT, fill: "#eef1ec" }));
  }
  if (!points.length) {
    map.append(svg("text", { x: WIDTH / 2, y: HEIGHT / 2, "text-anchor": "middle" },
      "Nothing to show"));
    return null;
  }
  const projection = tileUrl ? mercatorProjection(points) : plainProjection(points);
  if (tileUrl) {
    for (const tile of tiles(tileUrl, projection)) {
      base.append(svg("image", { class: "tile", href: tile.href, x: at(tile.x), y: at(tile.y),
        width: TILE, height: TILE }));
    }
  }
  const lines = svg("g", { class: "routes" });
  for (const route of routes) {
    const points = route.path.map((p) => projection.project(p).map(at).join(","));
    lines.append(svg("polyline", { class: "route", "data-vehicle": route.vehicle,
      points: points.join(" "), fill: "none", stroke: route.colour, "stroke-width": 4,
      "stroke-linejoin": "round", "stroke-opacity": 0.85 },
    svg("title", {}, `route of ${route.vehicle}`)));
  }
  const markers = svg("g", { class: "bins" },
    ...bins.map((f) => binMarker(f, projection.project(f.geometry.coordinates))));
  const places = svg("g", { class: "sites" },
    ...sites.map((s) => siteMarker(s, projection.project(s.position))));
  map.append(lines, markers, places);
  return projection.zoom;
}
