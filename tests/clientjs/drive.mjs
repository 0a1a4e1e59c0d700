// Drives a live Treadle server with Mastra's own client, @mastra/client-js, exactly as an app would.
// Usage: TREADLE_URL=http://127.0.0.1:PORT node drive.mjs  (prints one JSON report; exit 1 on failure)
import assert from "node:assert/strict";
import { MastraClient } from "@mastra/client-js";

const baseUrl = process.env.TREADLE_URL;
if (!baseUrl) {
  console.error("TREADLE_URL is not set");
  process.exit(2);
}
const client = new MastraClient({ baseUrl, retries: 0 });
const report = {};

async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const types = (chunks) => chunks.map((c) => c.type);

async function listAndDetails() {
  const workflows = await client.listWorkflows();
  assert.deepEqual(Object.keys(workflows).sort(), ["approval", "endless", "greeting"]);
  const details = await client.getWorkflow("greeting").details();
  assert.equal(details.name, "greeting");
  assert.equal(details.description, "Greets, then shouts.");
  assert.deepEqual(Object.keys(details.steps).sort(), ["greet", "shout"]);
  assert.equal(details.stepGraph.length, 2);
  // The client hands schemas back as Mastra's server sends them: superjson-wrapped JSON Schema.
  const input = JSON.parse(details.inputSchema).json;
  assert.deepEqual(input.required, ["name"]);
  const schemas = await client.getWorkflow("greeting").getSchema();
  assert.equal(schemas.inputSchema.properties.name.type, "string");
  report.workflows = Object.keys(workflows).sort();
}

async function streamToSuccess() {
  const wf = client.getWorkflow("greeting");
  const run = await wf.createRun();
  assert.match(run.runId, /.+/);
  const chunks = await collect(await run.stream({ inputData: { name: "ada" } }));
  assert.deepEqual(types(chunks), [
    "workflow-start",
    "workflow-step-start",
    "workflow-step-result",
    "workflow-step-start",
    "workflow-step-result",
    "workflow-finish",
  ]);
  for (const chunk of chunks) assert.equal(chunk.runId, run.runId);
  const last = chunks.at(-1);
  assert.equal(last.payload.workflowStatus, "success");
  const shout = chunks.filter((c) => c.type === "workflow-step-result").at(-1);
  assert.deepEqual(shout.payload.output, { text: "HELLO ADA", length: 9 });
  const stored = await wf.runById(run.runId);
  assert.equal(stored.status, "success");
  assert.deepEqual(stored.result, { text: "HELLO ADA", length: 9 });
  report.streamed = { runId: run.runId, events: chunks.length };
  return run.runId;
}

async function suspendAndResumeStream() {
  const wf = client.getWorkflow("approval");
  const run = await wf.createRun();
  const first = await collect(await run.stream({ inputData: { name: "grace" } }));
  const suspended = first.find((c) => c.type === "workflow-step-suspended");
  assert.ok(suspended, `no workflow-step-suspended in ${types(first)}`);
  assert.equal(suspended.payload.id, "review");
  assert.deepEqual(suspended.payload.suspendPayload, { question: "approve 'hello grace'?" });
  assert.equal(first.at(-1).payload.workflowStatus, "suspended");
  const waiting = await wf.runById(run.runId);
  assert.equal(waiting.status, "suspended");

  const resumed = await collect(
    await run.resumeStream({ step: "review", resumeData: { approved: true, reviewer: "lin" } }),
  );
  assert.equal(resumed.at(-1).type, "workflow-finish");
  assert.equal(resumed.at(-1).payload.workflowStatus, "success");
  const done = await wf.runById(run.runId);
  assert.equal(done.status, "success");
  assert.deepEqual(done.result, { text: "hello grace (lin)", approved: true });
  report.resumed = { runId: run.runId, events: resumed.length };
  return run.runId;
}

async function observeFinished(runId) {
  const run = await client.getWorkflow("greeting").createRun({ runId });
  const replay = await collect(await run.observe());
  assert.equal(replay[0].type, "workflow-start");
  assert.equal(replay.at(-1).payload.workflowStatus, "success");
  const tail = await collect(await run.observe({ offset: replay.length - 1 }));
  assert.deepEqual(types(tail), ["workflow-finish"]);
  report.observed = replay.length;
}

async function listRuns(expected) {
  const { runs, total } = await client.getWorkflow("greeting").runs();
  assert.ok(total >= 1);
  assert.ok(runs.some((r) => r.runId === expected), `run ${expected} not listed`);
  const { runs: approved } = await client.getWorkflow("approval").runs({ status: "success" });
  assert.ok(approved.length >= 1);
  report.listed = total;
}

async function cancelRunning() {
  const wf = client.getWorkflow("endless");
  const run = await wf.createRun();
  const stream = await run.stream({ inputData: { name: "bob" } });
  const seen = [];
  for await (const chunk of stream) {
    seen.push(chunk);
    if (chunk.type === "workflow-step-start" && chunk.payload.id === "hang") {
      const answer = await run.cancel();
      assert.equal(answer.message, "Workflow run cancelled");
    }
  }
  assert.ok(types(seen).includes("workflow-canceled") || seen.at(-1).payload.workflowStatus === "canceled",
    `stream did not end canceled: ${types(seen)}`);
  const stored = await wf.runById(run.runId);
  assert.equal(stored.status, "canceled");
  report.canceled = run.runId;
}

async function errorsAreJson() {
  await assert.rejects(client.getWorkflow("nope").details(), /404/);
  const run = await client.getWorkflow("greeting").createRun();
  await assert.rejects(run.startAsync({ inputData: { name: 42 } }), /400/);
}

try {
  await listAndDetails();
  const done = await streamToSuccess();
  await suspendAndResumeStream();
  await observeFinished(done);
  await listRuns(done);
  await cancelRunning();
  await errorsAreJson();
  console.log(JSON.stringify({ ok: true, ...report }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: String(error?.stack ?? error), ...report }));
  process.exit(1);
}
