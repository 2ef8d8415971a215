// What both pages share: calls of the Curbside API (problem details become errors) and
// building elements without ever parsing data as HTML.

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** The JSON body of a response; an error with the problem's detail when it is not 2xx. */
export async function readJson(response) {
  if (response.ok) {
    return response.json();
  }
  let detail = `${response.status} ${response.statusText}`;
  try {
    const problem = await response.json();
    if (problem && problem.detail) {
      detail = problem.detail;
    }
  } catch {
    // not a problem document: keep the status line
  }
  throw new ApiError(response.status, detail);
}

export async function getJson(path, headers = {}) {
  const response = await fetch(path, { headers: { Accept: "application/json", ...headers } });
  return readJson(response);
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** An HTML element with attributes and children (strings become text). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, String(value));
  }
  return append(node, children);
}

/** An SVG element with attributes and children. */
export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, String(value));
  }
  return append(node, children);
}

/** A day as YYYY-MM-DD in the browser's time zone. */
export function isoDate(moment) {
  const month = String(moment.getMonth() + 1).padStart(2, "0");
  const day = String(moment.getDate()).padStart(2, "0");
  return `${moment.getFullYear()}-${month}-${day}`;
}

/** "Monday 30 November" for a YYYY-MM-DD day. */
export function dayName(iso) {
  const options = { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" };
  return new Date(`${iso}T00:00:00Z`).toLocaleDateString("en-GB", options);
}

/** Show a message in a status element; `kind` "error" marks it as one. */
export function say(node, text, kind = "") {
  node.textContent = text;
  node.className = `status ${kind}`.trim();
}
