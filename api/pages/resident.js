// The resident's page: the pickups at an address (from the URL's query: street and number,
// bin_id, or lat and lon), links to subscribe to them as a calendar, and a problem report.
// `?report=ID` shows a report's status.

import { ApiError, dayName, el, getJson, readJson, say } from "/pages/api.js";

const LOOKUP = ["street", "number", "bin_id", "lat", "lon"];
const params = new URLSearchParams(location.search);
const byId = (id) => document.getElementById(id);

function lookupQuery() {
  const query = new URLSearchParams();
  for (const name of LOOKUP) {
    if (params.get(name)) {
      query.set(name, params.get(name));
    }
  }
  return query;
}

function when(iso) {
  return el("time", { datetime: iso }, dayName(iso));
}

function note(pickup) {
  if (pickup.moved_from) {
    return `moved from ${dayName(pickup.moved_from)} (public holiday)`;
  }
  return pickup.planned ? "planned: emptied when full" : "";
}

function showPickups(found, query) {
  byId("address").textContent = found.address ?? `Bin ${found.bin_ids.join(", ")}`;
  const pickups = [...found.pickups].sort((a, b) => a.day.localeCompare(b.day));
  const next = new Map();
  for (const pickup of pickups) {
    if (!next.has(pickup.waste_stream)) {
      next.set(pickup.waste_stream, pickup);
    }
  }
  const cards = [...next.values()].map((p) =>
    el("li", { class: "pickup", "data-stream": p.waste_stream },
      el("span", { class: "stream" }, p.title), when(p.day)));
  byId("next-pickups").replaceChildren(
    ...(cards.length ? cards : [el("li", {}, "No pickups in the coming weeks.")]));
  const rows = pickups.map((p) =>
    el("tr", { "data-bin-id": p.bin_id, "data-day": p.day },
      el("td", {}, when(p.day)), el("td", {}, p.title), el("td", {}, p.bin_id),
      el("td", {}, note(p))));
  byId("pickup-table").tBodies[0].replaceChildren(...rows);

  const feed = new URL(`/v1/pickups.ics?${query}`, location.href);
  byId("ics").href = feed.href;
  byId("webcal").href = feed.href.replace(/^https?:/, "webcal:");

  const bins = byId("report-bin");
  for (const binId of found.bin_ids) {
    bins.append(el("option", { value: binId }, binId));
  }
  if (found.bin_ids.length === 1) {
    bins.value = found.bin_ids[0];
  }
  byId("pickups").hidden = false;
}

async function findPickups() {
  const query = lookupQuery();
  byId("street").value = params.get("street") ?? "";
  byId("number").value = params.get("number") ?? "";
  if (params.get("lat") && params.get("lon")) {
    byId("report-lat").value = params.get("lat");
    byId("report-lon").value = params.get("lon");
  }
  if (![...query.keys()].length) {
    return;
  }
  const status = byId("find-status");
  say(status, "Looking up your pickups…");
  try {
    showPickups(await getJson(`/v1/pickups?${query}`), query);
    say(status, "");
  } catch (error) {
    say(status, error instanceof ApiError ? error.message : `Could not reach us: ${error}`,
      "error");
  }
}

function locate(then) {
  const status = byId("find-status");
  if (!navigator.geolocation) {
    say(status, "This browser does not tell its position.", "error");
    return;
  }
  navigator.geolocation.getCurrentPosition(
    (position) => then(position.coords.latitude.toFixed(5), position.coords.longitude.toFixed(5)),
    (error) => say(status, `No position: ${error.message}`, "error"),
    { enableHighAccuracy: true, timeout: 15000 },
  );
}

const EXPLAINED = {
  open: "received; the city will look at it.",
  planned: "received; a collection of the bin is planned.",
  closed: "dealt with.",
};

function showReport(report) {
  const status = byId("report-status");
  const link = el("a", { href: `/v1/reports/${report.id}` }, `Report ${report.id}`);
  status.replaceChildren(link, `: ${report.status}, ${EXPLAINED[report.status] ?? ""}`);
  status.className = "status ok";
  status.dataset.reportId = report.id;
  status.dataset.reportStatus = report.status;
}

async function sendReport(event) {
  event.preventDefault();
  const form = event.target;
  const status = byId("report-status");
  const data = new FormData(form);
  const photo = data.get("photo");
  if (!photo || photo.size === 0) {
    data.delete("photo");
  }
  if (!data.get("bin_id")) {
    data.delete("bin_id");
  }
  try {
    if (!data.get("lat") || !data.get("lon")) {
      if (!data.get("bin_id")) {
        say(status, "Give a position, or choose the bin.", "error");
        return;
      }
      const bin = await getJson(`/v1/bins/${encodeURIComponent(data.get("bin_id"))}`);
      data.set("lat", bin.lat);
      data.set("lon", bin.lon);
    }
    say(status, "Sending…");
    const report = await readJson(await fetch("/v1/reports", { method: "POST", body: data }));
    showReport(report);
    params.set("report", report.id);
    history.replaceState(null, "", `?${params}`);
  } catch (error) {
    say(status, error instanceof ApiError ? error.message : `Could not send: ${error}`, "error");
  }
}

async function followReport() {
  const reportId = params.get("report");
  if (!reportId) {
    return;
  }
  try {
    showReport(await getJson(`/v1/reports/${encodeURIComponent(reportId)}`));
  } catch (error) {
    say(byId("report-status"), error.message, "error");
  }
}

byId("locate").addEventListener("click", () =>
  locate((lat, lon) => { location.search = `?lat=${lat}&lon=${lon}`; }));
byId("report-locate").addEventListener("click", () =>
  locate((lat, lon) => { byId("report-lat").value = lat; byId("report-lon").value = lon; }));
byId("report-form").addEventListener("submit", sendReport);
await Promise.all([findPickups(), followReport()]);
document.body.dataset.state = "ready";
