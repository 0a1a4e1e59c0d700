// The HTTP API client: Mastra's workflow routes under the API prefix, plus Treadle's graph route.
import { getToken, promptForToken } from "./auth.js";
import { config } from "./config.js";
import { readRecords } from "./stream.js";

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
    this.issues = Array.isArray(body?.issues) ? body.issues : [];
  }
}

function url(path, query) {
  const target = new URL(`${config.apiPrefix}${path}`, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") target.searchParams.set(key, String(value));
  }
  return target.pathname + target.search;
}

/** "inputData.lines[0].qty: Input should be ..." for one entry of an error body's `issues`. */
export function issueText(issue) {
  const path = (issue.path || []).reduce(
    (text, part) => (typeof part === "number" ? `${text}[${part}]` : text ? `${text}.${part}` : part),
    "",
  );
  return path ? `${path}: ${issue.message}` : issue.message;
}

function errorMessage(status, body) {
  if (body && typeof body === "object") {
    const detail = body.error ?? body.message ?? body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail
        .map((item) => `${(item.loc || []).join(".")}: ${item.msg ?? JSON.stringify(item)}`)
        .join("; ");
    }
    if (detail && typeof detail === "object") return detail.message ?? JSON.stringify(detail);
  }
  if (typeof body === "string" && body.trim()) return body.trim().slice(0, 300);
  return `HTTP ${status}`;
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** fetch with the bearer token; on 401 ask for a token and try again. */
async function send(method, path, { query, body, accept = "application/json", signal } = {}) {
  for (;;) {
    const headers = { Accept: accept };
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(url(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: "no-store",
    });
    if (response.status === 401) {
      await response.body?.cancel();
      await promptForToken();
      continue;
    }
    if (!response.ok) {
      const parsed = await readBody(response);
      throw new ApiError(response.status, errorMessage(response.status, parsed), parsed);
    }
    return response;
  }
}

async function json(method, path, options) {
  const response = await send(method, path, options);
  return readBody(response);
}

const enc = encodeURIComponent;

/** Start an RS-framed stream route and feed each chunk to `onChunk`; resolves at its end. */
async function stream(path, runId, body, onChunk, signal) {
  const response = await send("POST", path, {
    query: { runId },
    body: body ?? {},
    accept: "text/plain",
    signal,
  });
  await readRecords(response, onChunk);
}

export const api = {
  listWorkflows: () => json("GET", "/workflows", { query: { partial: "true" } }),
  getWorkflow: (id) => json("GET", `/workflows/${enc(id)}`),
  runCounts: () => json("GET", "/workflows/run-counts"),
  graphSvg: async (id, expand, signal) =>
    (
      await send("GET", `/workflows/${enc(id)}/graph`, {
        query: { format: "svg", expand },
        accept: "image/svg+xml",
        signal,
      })
    ).text(),
  graphMermaid: async (id, expand) =>
    (
      await send("GET", `/workflows/${enc(id)}/graph`, {
        query: { format: "mermaid", expand },
        accept: "text/plain",
      })
    ).text(),
  listRuns: (id, filters) => json("GET", `/workflows/${enc(id)}/runs`, { query: filters }),
  getRun: (id, runId) => json("GET", `/workflows/${enc(id)}/runs/${enc(runId)}`),
  deleteRun: (id, runId) => json("DELETE", `/workflows/${enc(id)}/runs/${enc(runId)}`),
  createRun: (id, body = {}) => json("POST", `/workflows/${enc(id)}/create-run`, { body }),
  cancelRun: (id, runId) => json("POST", `/workflows/${enc(id)}/runs/${enc(runId)}/cancel`, { body: {} }),
  streamRun: (id, runId, body, onChunk, signal) =>
    stream(`/workflows/${enc(id)}/stream`, runId, body, onChunk, signal),
  resumeStream: (id, runId, body, onChunk, signal) =>
    stream(`/workflows/${enc(id)}/resume-stream`, runId, body, onChunk, signal),
  observe: (id, runId, onChunk, signal) =>
    stream(`/workflows/${enc(id)}/observe`, runId, {}, onChunk, signal),
  timeTravelStream: (id, runId, body, onChunk, signal) =>
    stream(`/workflows/${enc(id)}/time-travel-stream`, runId, body, onChunk, signal),
};
