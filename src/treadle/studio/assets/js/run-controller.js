// Drives one run through the API: start, re-attach, resume, time travel, cancel.
import { api } from "./api.js";
import { isActive, RunState } from "./run-state.js";

const MAX_REATTACH = 5;
const REATTACH_DELAY_MS = 1000;

export class RunController {
  constructor(workflowId) {
    this.workflowId = workflowId;
    this.state = null;
    this.streaming = false;
    this.lastError = null;
    this.abort = null;
    this.listeners = new Set();
    this.unsubscribe = null;
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit() {
    for (const listener of this.listeners) listener(this);
  }

  get runId() {
    return this.state?.runId ?? null;
  }

  dispose() {
    this.abort?.abort();
    this.unsubscribe?.();
    this.listeners.clear();
  }

  /** Show `runId` (or nothing): stops following the previous run. */
  adopt(runId) {
    this.abort?.abort();
    this.unsubscribe?.();
    this.lastError = null;
    this.state = runId ? new RunState(runId) : null;
    this.unsubscribe = this.state ? this.state.subscribe(() => this.emit()) : null;
    this.emit();
  }

  /** Create a run and stream it. Returns the run id. */
  async start({ inputData, initialState }) {
    const { runId } = await api.createRun(this.workflowId, {});
    this.adopt(runId);
    this.state.input = inputData;
    this.state.status = "running";
    const body = { inputData };
    if (initialState !== undefined) body.initialState = initialState;
    const state = this.state;
    await this.follow((onChunk, signal) => api.streamRun(this.workflowId, runId, body, onChunk, signal));
    // Refused before it began (bad input): the caller decides what to do with the empty run.
    if (this.state === state && state.status === "pending" && this.lastError) throw this.lastError;
    return runId;
  }

  /** Load a stored run, then follow it live if it is still going. */
  async attach(runId) {
    this.adopt(runId);
    const state = this.state;
    try {
      state.loadSnapshot(await api.getRun(this.workflowId, runId));
    } catch (error) {
      this.fail(error);
      throw error;
    }
    if (isActive(state.status))
      await this.follow((onChunk, signal) => api.observe(this.workflowId, runId, onChunk, signal));
  }

  async resume(step, resumeData) {
    const runId = this.requireRun();
    const path = step.includes(".") ? step.split(".") : step;
    await this.follow((onChunk, signal) =>
      api.resumeStream(this.workflowId, runId, { step: path, resumeData }, onChunk, signal),
    );
  }

  async timeTravel(step, inputData) {
    const runId = this.requireRun();
    this.state.dropFrom(step);
    await this.follow((onChunk, signal) =>
      api.timeTravelStream(this.workflowId, runId, { step, inputData }, onChunk, signal),
    );
  }

  async cancel() {
    const runId = this.requireRun();
    await api.cancelRun(this.workflowId, runId);
    // A run driven elsewhere (or not streamed here) only shows its end in the store.
    if (!this.streaming) await this.refresh();
  }

  /** Reload the stored state of the current run. */
  async refresh() {
    const state = this.state;
    if (!state) return;
    try {
      state.loadSnapshot(await api.getRun(this.workflowId, state.runId));
    } catch (error) {
      this.fail(error);
    }
  }

  requireRun() {
    if (!this.state) throw new Error("No run is selected");
    return this.state.runId;
  }

  fail(error) {
    if (error?.name === "AbortError") return;
    this.lastError = error;
    this.emit();
  }

  /**
   * Run a stream request to its end, applying each chunk; then settle from the store. A stream
   * that ends while the run still goes on (a dropped connection) is followed again with observe.
   */
  async follow(openStream, retries = 0) {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const state = this.state;
    this.streaming = true;
    this.lastError = null;
    this.emit();
    try {
      await openStream((chunk) => state.apply(chunk), abort.signal);
    } catch (error) {
      if (abort.signal.aborted) return;
      this.fail(error);
    } finally {
      if (this.abort === abort) {
        this.streaming = false;
        this.abort = null;
      }
    }
    if (abort.signal.aborted || this.state !== state) return;
    // The stream says what happened; the store has the full records (payloads, nested steps).
    await this.refresh();
    this.emit();
    const goesOn = state.status === "running" || state.status === "waiting";
    if (goesOn && !this.lastError && retries < MAX_REATTACH) {
      await new Promise((resolve) => setTimeout(resolve, REATTACH_DELAY_MS));
      if (this.state !== state || this.streaming) return;
      await this.follow(
        (onChunk, signal) => api.observe(this.workflowId, state.runId, onChunk, signal),
        retries + 1,
      );
    }
  }
}
