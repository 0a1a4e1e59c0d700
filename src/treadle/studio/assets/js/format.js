// Formatting: durations, times, statuses and JSON for display.
import { h } from "./dom.js";
import { icon, statusIcon } from "./icons.js";
import { toast } from "./toast.js";

export const STATUS_LABELS = {
  idle: "Ready",
  pending: "Pending",
  running: "Running",
  success: "Success",
  failed: "Failed",
  suspended: "Waiting for input",
  waiting: "Waiting",
  canceled: "Canceled",
  paused: "Paused",
  skipped: "Skipped",
  tripwire: "Tripwire",
};

/** A status pill: icon + label, colored by status. */
export function statusPill(status, { label, testId } = {}) {
  return h(
    "span",
    { class: ["pill", `status-${status}`], "data-status": status, "data-testid": testId },
    statusIcon(status, 12),
    label ?? STATUS_LABELS[status] ?? status,
  );
}

/** 840 ms, 2.4 s, 3 m 12 s, 1 h 4 m. */
export function formatDuration(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} m ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} m`;
}

export function toDate(value) {
  if (value === undefined || value === null || value === "") return null;
  const date = typeof value === "number" ? new Date(value) : new Date(String(value));
  return Number.isNaN(date.getTime()) ? null : date;
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export function formatTime(value) {
  const date = toDate(value);
  return date ? timeFormat.format(date) : "";
}

export function formatDateTime(value) {
  const date = toDate(value);
  return date ? dateTimeFormat.format(date) : "";
}

/** "3 minutes ago"; falls back to the date past a week. */
export function formatRelative(value, now = Date.now()) {
  const date = toDate(value);
  if (!date) return "";
  const seconds = Math.round((date.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return relativeFormat.format(seconds, "second");
  if (abs < 2700) return relativeFormat.format(Math.round(seconds / 60), "minute");
  if (abs < 64800) return relativeFormat.format(Math.round(seconds / 3600), "hour");
  if (abs < 604800) return relativeFormat.format(Math.round(seconds / 86400), "day");
  return dateTimeFormat.format(date);
}

/** A <time> element with the full date in its title. */
export function timeElement(value, text) {
  const date = toDate(value);
  if (!date) return h("span", { class: "muted" }, "—");
  return h(
    "time",
    { datetime: date.toISOString(), title: dateTimeFormat.format(date) },
    text ?? formatRelative(date),
  );
}

const MAX_JSON_CHARS = 20_000;

function highlightJson(text) {
  // Tokens: strings (keys when followed by a colon), numbers, literals; the rest is punctuation.
  const pattern = /("(?:\\.|[^"\\])*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) nodes.push(text.slice(last, match.index));
    if (match[1]) {
      nodes.push(h("span", { class: match[2] ? "tok-key" : "tok-string" }, match[1]));
      if (match[2]) nodes.push(match[2]);
    } else if (match[3]) nodes.push(h("span", { class: "tok-number" }, match[3]));
    else nodes.push(h("span", { class: "tok-literal" }, match[4]));
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}

export function downloadText(filename, text, type = "application/json") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export async function copyText(text, what = "Copied") {
  try {
    await navigator.clipboard.writeText(text);
    toast(`${what} to the clipboard`, "success");
  } catch {
    toast("The browser refused clipboard access", "error");
  }
}

/**
 * A read-only JSON block with highlighting, copy and download. Payloads above ~20 kB are shown
 * truncated with a "Show all" button.
 */
export function jsonBlock(value, { filename = "value.json", testId, empty = "Nothing" } = {}) {
  if (value === undefined) return h("p", { class: "muted small empty-value", "data-testid": testId }, empty);
  const text = JSON.stringify(value, null, 2) ?? String(value);
  const pre = h("pre", { class: "json", "data-testid": testId, tabindex: "0" });
  const truncated = text.length > MAX_JSON_CHARS;
  const show = (full) =>
    pre.replaceChildren(...highlightJson(full ? text : `${text.slice(0, MAX_JSON_CHARS)}\n…`));
  show(!truncated);
  const tools = h(
    "div",
    { class: "json-tools" },
    truncated
      ? h(
          "button",
          {
            type: "button",
            class: "btn btn-ghost btn-xs",
            onclick: (event) => {
              show(true);
              event.currentTarget.remove();
            },
          },
          `Show all (${Math.round(text.length / 1024)} kB)`,
        )
      : null,
    h(
      "button",
      {
        type: "button",
        class: "btn btn-ghost btn-xs btn-icon",
        title: "Copy",
        "aria-label": "Copy JSON",
        onclick: () => copyText(text),
      },
      icon("copy", { size: 14 }),
    ),
    h(
      "button",
      {
        type: "button",
        class: "btn btn-ghost btn-xs btn-icon",
        title: "Download",
        "aria-label": "Download JSON",
        onclick: () => downloadText(filename, text),
      },
      icon("download", { size: 14 }),
    ),
  );
  return h("div", { class: "json-block" }, tools, pre);
}
