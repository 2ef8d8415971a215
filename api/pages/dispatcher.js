// The dispatcher's page: the bins on a map by fill level and alarm, filtered like
// /v1/bins.geojson, and a day's plan with its routes drawn. The controls live in the URL's
// query (?date=&stream=&min_fill=&alarm=1&offline=1); the API key lives in this tab's
// sessionStorage, taken from the form or once from the URL's fragment (#key=...), and goes
// out as "Authorization: Bearer <key>" for the routes' paths.

import { ApiError, el, getJson, isoDate, say } from "/pages/api.js";
import { ROUTE_COLOURS, drawMap, fillLevel } from "/pages/map.js";

const KEY_STORE = "curbside.apiKey";
const byId = (id) => document.getElementById(id);
const streamsSeen = new Set();
let config = null;

function takeKeyFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("key")) {
    sessionStorage.setItem(KEY_STORE, fragment.get("key"));
    history.replaceState(null, "", location.pathname + location.search);
  }
}

function keyHeaders() {
  const key = sessionStorage.getItem(KEY_STORE);
  return key ? { Authorization: `Bearer ${key}` } : null;
}

function showKeyState() {
  byId("key-state").textContent = keyHeaders() ? "a key is set for this tab" : "no key";
}

function readUrl() {
  const params = new URLSearchParams(location.search);
  byId("day").value = params.get("date") || isoDate(new Date());
  const stream = params.get("stream") ?? "";
  if (stream) {
    streamsSeen.add(stream);
    fillStreams();
  }
  byId("stream").value = stream;
  byId("min-fill").value = params.get("min_fill") ?? "";
  byId("alarm").checked = params.get("alarm") === "1";
  byId("offline").checked = params.get("offline") === "1";
}

function writeUrl() {
  const params = new URLSearchParams(new FormData(byId("controls")));
  for (const [name, value] of [...params]) {
    if (!value) {
      params.delete(name);
    }
  }
  history.replaceState(null, "", `?${params}`);
}

function fillStreams() {
  const select = byId("stream");
  const chosen = select.value;
  const options = [...streamsSeen].sort().map((s) => el("option", { value: s }, s));
  select.replaceChildren(el("option", { value: "" }, "all"), ...options);
  select.value = chosen;
}

function binQuery() {
  const query = new URLSearchParams();
  if (byId("stream").value) query.set("waste_stream", byId("stream").value);
  if (byId("min-fill").value) query.set("min_fill_pct", byId("min-fill").value);
  if (byId("alarm").checked) query.set("alarm", "true");
  if (byId("offline").checked) query.set("offline", "true");
  return query;
}

async function planOf(day) {
  try {
    return await getJson(`/v1/plans/${day}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return null;
    }
    throw error;
  }
}

/** Each route's path and sites from its GeoJSON export (a dispatcher's key), in order. */
async function routePaths(day, plan) {
  const headers = keyHeaders();
  if (!plan || !plan.routes.length) {
    return { routes: [], sites: [], note: "" };
  }
  if (!headers) {
    return { routes: [], sites: [], note: "Enter a dispatcher's API key to draw the routes." };
  }
  const colours = new Map(plan.routes.map((r, i) => [r.vehicle_id, ROUTE_COLOURS[i % ROUTE_COLOURS.length]]));
  try {
    const exports = await Promise.all(plan.routes.map((r) =>
      getJson(`/v1/plans/${day}/routes/${encodeURIComponent(r.vehicle_id)}.geojson`, headers)));
    const routes = [];
    const sites = new Map();
    for (const [i, collection] of exports.entries()) {
      const [line, ...visits] = collection.features;
      const vehicle = plan.routes[i].vehicle_id;
      routes.push({ vehicle, colour: colours.get(vehicle), path: line.geometry.coordinates });
      for (const visit of visits) {
        const { kind, site_id: id } = visit.properties;
        if (kind !== "bin") {
          sites.set(`${kind}/${id}`, { kind, id, position: visit.geometry.coordinates });
        }
      }
    }
    return { routes, sites: [...sites.values()], note: "" };
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      return { routes: [], sites: [], note: `The routes are not drawn: ${error.message}` };
    }
    throw error;
  }
}

function summariseBins(features) {
  const count = { low: 0, mid: 0, high: 0, offline: 0 };
  let alarms = 0;
  for (const feature of features) {
    count[fillLevel(feature.properties)] += 1;
    alarms += feature.properties.alarm ? 1 : 0;
  }
  byId("bin-summary").textContent = `${features.length} bins: ${count.high} above 80 %, `
    + `${count.mid} at 50 to 80 %, ${count.low} below 50 %, ${count.offline} offline, `
    + `${alarms} with an alarm.`;
}

const hours = (s) => (s / 3600).toFixed(1);
const km = (m) => (m / 1000).toFixed(1);
const clock = (t) => new Date(t).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });

function showPlan(day, plan, colours) {
  const rows = byId("routes").tBodies[0];
  const omitted = byId("omitted");
  if (!plan) {
    byId("plan-summary").textContent = `No plan for ${day}.`;
    rows.replaceChildren();
    omitted.replaceChildren();
    return;
  }
  byId("plan-summary").textContent = `${plan.plan_date}, version ${plan.version} `
    + `(${plan.status}, ${plan.solver}): ${plan.routes.length} routes, `
    + `${km(plan.distance_m)} km, ${hours(plan.duration_s)} h.`;
  rows.replaceChildren(...plan.routes.map((route, i) => {
    const swatch = el("span", { class: "swatch route" });
    swatch.style.background = colours[i % colours.length];
    const stops = route.stops;
    const times = stops.length ? `${clock(stops[0].arrival_at)}–${clock(stops.at(-1).arrival_at)}` : "";
    return el("tr", { "data-vehicle": route.vehicle_id },
      el("td", {}, swatch, route.vehicle_id),
      el("td", { class: "number" }, stops.filter((s) => s.kind === "bin").length),
      el("td", { class: "number" }, km(route.distance_m)),
      el("td", { class: "number" }, hours(route.duration_s)),
      el("td", { class: "number" }, Math.round(route.load_l)),
      el("td", {}, times));
  }));
  omitted.replaceChildren(...plan.omitted.map((o) => el("li", {}, `${o.bin_id}: ${o.reason}`)));
  if (!plan.omitted.length) {
    omitted.replaceChildren(el("li", {}, "none"));
  }
}

async function load() {
  document.body.dataset.state = "loading";
  const status = byId("status");
  say(status, "Loading…");
  const day = byId("day").value;
  try {
    config ??= await getJson("/pages/config.json");
    const [bins, plan] = await Promise.all([getJson(`/v1/bins.geojson?${binQuery()}`), planOf(day)]);
    const { routes, sites, note } = await routePaths(day, plan);
    for (const feature of bins.features) {
      streamsSeen.add(feature.properties.waste_stream);
    }
    fillStreams();
    const zoom = drawMap(byId("map"), { bins: bins.features, routes, sites, tileUrl: config.tile_url });
    byId("map").dataset.zoom = zoom ?? "";
    byId("attribution").textContent = config.tile_url ? config.tile_attribution : "";
    summariseBins(bins.features);
    showPlan(day, plan, ROUTE_COLOURS);
    say(status, note);
    document.body.dataset.state = "ready";
  } catch (error) {
    say(status, error instanceof ApiError ? error.message : `Could not load: ${error}`, "error");
    document.body.dataset.state = "failed";
  }
}

byId("controls").addEventListener("submit", (event) => {
  event.preventDefault();
  writeUrl();
  load();
});
byId("day").addEventListener("change", () => {
  writeUrl();
  load();
});
byId("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = byId("key").value.trim();
  if (key) {
    sessionStorage.setItem(KEY_STORE, key);
  }
  byId("key").value = "";
  showKeyState();
  load();
});
byId("forget-key").addEventListener("click", () => {
  sessionStorage.removeItem(KEY_STORE);
  showKeyState();
  load();
});

takeKeyFromFragment();
showKeyState();
readUrl();
await load();
