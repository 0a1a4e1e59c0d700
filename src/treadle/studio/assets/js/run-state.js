// One run's state, rebuilt from a stored snapshot and updated by stream chunks.

const ACTIVE = new Set(["running", "waiting", "pending"]);
const MAX_EVENTS = 500;
const MAX_WRITES = 100;

export const isActive = (status) => ACTIVE.has(status);

export class RunState {
  constructor(runId) {
    this.runId = runId;
    this.status = "pending";
    this.steps = new Map(); // dotted path -> step record
    this.input = undefined;
    this.initialState = undefined;
    this.result = undefined;
    this.error = undefined;
    this.createdAt = undefined;
    this.events = [];
    this.listeners = new Set();
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify() {
    for (const listener of this.listeners) listener(this);
  }

  /** Load Mastra's WorkflowState (GET runs/:runId). */
  loadSnapshot(run) {
    this.status = run.status ?? this.status;
    this.input = run.payload;
    this.initialState = run.initialState;
    this.result = run.result;
    this.error = run.error;
    this.createdAt = run.createdAt;
    const previous = this.steps;
    this.steps = new Map();
    for (const [path, record] of Object.entries(run.steps || {})) {
      if (!record || typeof record !== "object" || !("status" in record)) continue;
      // What only the live stream knew (writes, for_each progress) is kept.
      const { writes, progress } = previous.get(path) || {};
      this.steps.set(path, { ...record, ...(writes ? { writes } : {}), ...(progress ? { progress } : {}) });
    }
    this.notify();
  }

  /** Forget the records of `step` and of everything after it (time travel reruns them). */
  dropFrom(step) {
    const paths = [...this.steps.keys()];
    const index = paths.indexOf(step);
    if (index < 0) return;
    for (const path of paths.slice(index)) this.steps.delete(path);
    this.result = undefined;
    this.error = undefined;
    this.notify();
  }

  step(path) {
    return this.steps.get(path);
  }

  mergeStep(path, patch) {
    const current = this.steps.get(path) || {};
    this.steps.set(path, { ...current, ...patch });
  }

  /** Apply one stream chunk. */
  apply(chunk) {
    if (!chunk || typeof chunk !== "object") return;
    this.events.push(chunk);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    const payload = chunk.payload || {};
    const id = payload.id ?? payload.stepName;
    switch (chunk.type) {
      case "workflow-start":
        this.status = "running";
        this.error = undefined;
        break;
      case "workflow-step-start": {
        const { id: _id, stepName: _name, stepCallId: _call, ...rest } = payload;
        const current = this.steps.get(id) || {};
        const {
          output: _o,
          error: _e,
          endedAt: _end,
          suspendPayload: _s,
          suspendedAt: _sa,
          progress: _p,
          ...kept
        } = current;
        this.steps.set(id, { ...kept, ...rest, status: "running" });
        this.status = "running";
        break;
      }
      case "workflow-step-result":
      case "workflow-step-suspended":
      case "workflow-step-waiting": {
        const { id: _id, stepName: _name, stepCallId: _call, ...rest } = payload;
        const status =
          chunk.type === "workflow-step-suspended"
            ? "suspended"
            : chunk.type === "workflow-step-waiting"
              ? "waiting"
              : rest.status;
        this.mergeStep(id, { ...rest, status });
        break;
      }
      case "workflow-step-progress":
        this.mergeStep(id, { progress: { completed: payload.completedCount, total: payload.totalCount } });
        break;
      case "workflow-step-output": {
        const name = payload.stepName ?? id;
        if (name === undefined) break;
        const record = this.steps.get(name) || { status: "running" };
        const writes = [...(record.writes || []), payload.output].slice(-MAX_WRITES);
        this.steps.set(name, { ...record, writes });
        break;
      }
      case "workflow-canceled":
        this.status = "canceled";
        for (const [path, record] of this.steps) {
          if (isActive(record.status)) this.steps.set(path, { ...record, status: "canceled" });
        }
        break;
      case "workflow-paused":
        this.status = "paused";
        break;
      case "workflow-finish": {
        this.status = payload.workflowStatus ?? this.status;
        if ("finalWorkflowResult" in payload) this.result = payload.finalWorkflowResult;
        const meta = payload.metadata || {};
        if (meta.error || meta.errorMessage) this.error = meta.error ?? { message: meta.errorMessage };
        break;
      }
      default:
        break;
    }
    this.notify();
  }

  /** Deepest suspended steps (a nested workflow is suspended together with its inner step). */
  suspendedPaths() {
    const suspended = [...this.steps]
      .filter(([, record]) => record.status === "suspended")
      .map(([path]) => path);
    return suspended.filter((path) => !suspended.some((other) => other.startsWith(`${path}.`)));
  }

  /** The first failed step's error, else the run's error. */
  firstError() {
    if (this.error) return this.error;
    for (const record of this.steps.values())
      if (record.status === "failed" && record.error) return record.error;
    return undefined;
  }

  /** Start and end of the run as far as the steps tell. */
  timing() {
    let start = Infinity;
    let end = -Infinity;
    for (const record of this.steps.values()) {
      if (typeof record.startedAt === "number") start = Math.min(start, record.startedAt);
      for (const key of ["endedAt", "suspendedAt", "startedAt", "resumedAt"]) {
        if (typeof record[key] === "number") end = Math.max(end, record[key]);
      }
    }
    return Number.isFinite(start) ? { start, end: Number.isFinite(end) ? end : start } : null;
  }
}

/** A step's duration in ms (running steps count up to `now`). */
export function stepDuration(record, now = Date.now()) {
  if (!record || typeof record.startedAt !== "number") return undefined;
  const end = record.endedAt ?? record.suspendedAt ?? (isActive(record.status) ? now : undefined);
  return typeof end === "number" ? Math.max(0, end - record.startedAt) : undefined;
}
