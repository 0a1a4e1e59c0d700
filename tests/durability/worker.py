"""A worker process for the durability tests: defines the workflows, runs one command, prints
JSON lines to stdout, exits.

    python worker.py <command> <store spec> '<json args>'

store spec: "sqlite:/path/to.db" or "postgres:<dsn>|<schema>".

Env: LEASE_MS (optional) replaces `treadle.persistence.LEASE_MS` before anything runs;
SIDE_EFFECTS names the file each step appends its name to (one line per execution).

Every line on stdout is one JSON object with an "event" key. A command ends with an "exit"
line; an unexpected exception prints {"event": "crash", ...} and exits 1.
"""

from __future__ import annotations

import asyncio
import faulthandler
import json
import os
import signal
import sys
import time
import traceback
from typing import Any

from pydantic import BaseModel

import treadle.persistence
from treadle import StepContext, Treadle, create_step, create_workflow
from treadle.errors import WorkflowError

if os.environ.get("LEASE_MS"):  # read at each use, so patching it here is enough
    treadle.persistence.LEASE_MS = int(os.environ["LEASE_MS"])

BLOCK_AT_S3 = False  # set by the "chain-crash" command: s3 announces itself and hangs
HOLD_AT_S3 = False  # set by "chain-hold": s3 announces itself and waits for "go" on stdin


def emit(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}, default=str), flush=True)


def side_effect(name: str) -> None:
    """Append `name` to the side-effect file, durably, before the step goes on."""
    path = os.environ["SIDE_EFFECTS"]
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{name}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)


class N(BaseModel):
    n: int


class Memo(BaseModel):
    count: int = 0
    note: str = ""


# -- chain5: five steps, each n -> 2n + i ---------------------------------------------------------
def _chain_step(i: int) -> Any:
    name = f"s{i}"

    async def run(ctx: StepContext[N]) -> N:
        side_effect(name)
        if i == 3 and BLOCK_AT_S3:
            emit("blocked", step=name, run_id=ctx.run_id, n=ctx.input_data.n)
            await asyncio.Event().wait()  # forever: the test kills this process here
        if i == 3 and HOLD_AT_S3:
            emit("blocked", step=name, run_id=ctx.run_id, n=ctx.input_data.n)
            await asyncio.to_thread(wait_for_go, False)  # the loop (and the heartbeat) runs on
        return N(n=ctx.input_data.n * 2 + i)

    return create_step(id=name, input_schema=N, output_schema=N, execute=run)


def chain5() -> Any:
    wf = create_workflow(id="chain5", input_schema=N, output_schema=N)
    for i in range(1, 6):
        wf = wf.then(_chain_step(i))
    return wf


# -- approval: a sets state, review suspends with a payload, finish uses everything ---------------
async def _prepare(ctx: StepContext[N]) -> N:
    side_effect("prepare")
    await ctx.set_state({"count": ctx.input_data.n * 10, "note": "set-by-prepare"})
    return N(n=ctx.input_data.n + 1)


async def _review(ctx: StepContext[N]) -> dict[str, Any]:
    if ctx.resume_data is None:
        side_effect("review:first")
        await ctx.suspend({"ask": f"approve {ctx.input_data.n}?", "n": ctx.input_data.n})
    side_effect("review:resumed")
    if ctx.resume_data.get("hold"):
        emit("holding", step="review")
        await asyncio.to_thread(wait_for_go, False)
    return {
        "n": ctx.input_data.n,
        "by": ctx.resume_data["by"],
        "suspend_data": ctx.suspend_data,
        "state": ctx.state.model_dump(),
        "prepare_output": ctx.get_step_result("prepare"),
        "init": ctx.get_init_data(),
    }


async def _finish(ctx: StepContext[dict[str, Any]]) -> dict[str, Any]:
    side_effect("finish")
    await ctx.set_state({"count": ctx.state.count + 1})
    return {**ctx.input_data, "total": ctx.input_data["n"] + ctx.state.count}


def approval() -> Any:
    return (
        create_workflow(id="approval", input_schema=N, state_schema=Memo)
        .then(create_step(id="prepare", input_schema=N, output_schema=N, execute=_prepare))
        .then(
            create_step(
                id="review",
                input_schema=N,
                resume_schema=dict[str, str],
                suspend_schema=dict[str, Any],
                execute=_review,
            )
        )
        .then(create_step(id="finish", input_schema=dict[str, Any], execute=_finish))
    )


# -- sleeper: a, a durable sleep, b -----------------------------------------------------------------
SLEEP_MS = int(os.environ.get("SLEEP_MS", "400"))


async def _before(ctx: StepContext[N]) -> N:
    side_effect("before")
    return N(n=ctx.input_data.n + 1)


async def _after(ctx: StepContext[N]) -> N:
    side_effect("after")
    return N(n=ctx.input_data.n * 10)


def sleeper() -> Any:
    return (
        create_workflow(id="sleeper", input_schema=N, output_schema=N)
        .then(create_step(id="before", input_schema=N, output_schema=N, execute=_before))
        .sleep(SLEEP_MS, id="nap")
        .then(create_step(id="after", input_schema=N, output_schema=N, execute=_after))
    )


# -- gate: a, then wait_for_event("approved", handle) --------------------------------------------
async def _open(ctx: StepContext[N]) -> N:
    side_effect("open")
    return N(n=ctx.input_data.n + 1)


async def _handle(ctx: StepContext[N]) -> dict[str, Any]:
    side_effect("handle")
    return {"n": ctx.input_data.n, "by": ctx.resume_data["by"], "pid": os.getpid()}


def gate() -> Any:
    return (
        create_workflow(id="gate", input_schema=N)
        .then(create_step(id="open", input_schema=N, output_schema=N, execute=_open))
        .wait_for_event("approved", create_step(id="handle", input_schema=N, execute=_handle))
    )


# -- triple: three quick steps ----------------------------------------------------------------------
def _arith(name: str, fn: Any) -> Any:
    async def run(ctx: StepContext[N]) -> N:
        await asyncio.sleep(0)
        return N(n=fn(ctx.input_data.n))

    return create_step(id=name, input_schema=N, output_schema=N, execute=run)


def triple() -> Any:
    return (
        create_workflow(id="triple", input_schema=N, output_schema=N)
        .then(_arith("t1", lambda n: n + 1))
        .then(_arith("t2", lambda n: n * 2))
        .then(_arith("t3", lambda n: n - 3))
    )


# -- stores -----------------------------------------------------------------------------------------
def open_store(spec: str, *, announce_waiting: bool = False) -> Any:
    kind, _, rest = spec.partition(":")
    if kind == "sqlite":
        from treadle.storage import SQLiteStore

        cls: Any = SQLiteStore
        args: tuple[Any, ...] = (rest,)
        kwargs: dict[str, Any] = {}
    elif kind == "postgres":
        from treadle.storage import PostgresStore

        dsn, _, schema = rest.rpartition("|")
        cls, args, kwargs = PostgresStore, (dsn,), {"schema": schema}
    else:
        raise SystemExit(f"unknown store spec {spec!r}")
    if not announce_waiting:
        return cls(*args, **kwargs)

    class Announcing(cls):  # type: ignore[misc, valid-type]
        """Prints {"event": "waiting"} once a head with status `waiting` is stored."""

        async def save_run(self, record: Any, **kw: Any) -> Any:
            out = await super().save_run(record, **kw)
            if record.status == "waiting":
                emit(
                    "waiting",
                    run_id=record.run_id,
                    wake_at=record.wake_at,
                    waiting_event=record.waiting_event,
                    lease_until=record.lease_until,
                )
            return out

    return Announcing(*args, **kwargs)


def app_for(store: Any, **kwargs: Any) -> Treadle:
    workflows = {"chain5": chain5(), "approval": approval(), "sleeper": sleeper()}
    workflows |= {"gate": gate(), "triple": triple()}
    return Treadle(workflows=workflows, storage=store, **kwargs)


def dump(result: Any) -> dict[str, Any] | None:
    return None if result is None else result.model_dump(mode="json")


def wait_for_go(announce: bool = True) -> None:
    """The start barrier: the parent writes one line to every waiting worker's stdin."""
    if announce:
        emit("ready")
    line = sys.stdin.readline()
    if line.strip() != "go":
        raise SystemExit(f"barrier: expected 'go', got {line!r}")


async def run_or_error(coro: Any) -> None:
    try:
        result = await coro
    except WorkflowError as exc:
        emit("error", type=type(exc).__name__, code=exc.code, message=str(exc))
    else:
        emit("result", result=dump(result))


# -- commands ---------------------------------------------------------------------------------------
async def main(command: str, spec: str, args: dict[str, Any]) -> None:
    global BLOCK_AT_S3, HOLD_AT_S3
    store = open_store(spec, announce_waiting=command in ("sleep-start", "event-start"))
    app = app_for(store)
    try:
        if command == "chain-crash":
            BLOCK_AT_S3 = True
            run = await app.get_workflow("chain5").create_run()
            emit("run", run_id=run.run_id)
            await run.start(input_data={"n": args["n"]})
            emit("unexpected", why="start() returned although s3 blocks")
        elif command == "chain-hold":
            HOLD_AT_S3 = True
            run = await app.get_workflow("chain5").create_run()
            emit("run", run_id=run.run_id)
            await run_or_error(run.start(input_data={"n": args["n"]}))
        elif command == "chain-stream-crash":
            BLOCK_AT_S3 = True
            run = await app.get_workflow("chain5").create_run()
            emit("run", run_id=run.run_id)
            async for event in run.stream(input_data={"n": args["n"]}):
                emit("streamed", seq=event.seq, type=event.type)
            emit("unexpected", why="the stream ended although s3 blocks")
        elif command == "observe-restart":
            await observe_restart(store, args)
        elif command == "restart":
            run = await app.get_workflow(args["workflow"]).create_run(run_id=args["run_id"])
            await run_or_error(run.restart(force=bool(args.get("force"))))
        elif command == "approval-start":
            run = await app.get_workflow("approval").create_run()
            emit("run", run_id=run.run_id)
            result = await run.start(input_data={"n": args["n"]}, include_state=True)
            emit("result", result=dump(result))
        elif command == "approval-resume":
            run = await app.get_workflow("approval").create_run(run_id=args["run_id"])
            if args.get("barrier"):
                wait_for_go()
            await run_or_error(
                run.resume(step="review", resume_data=args["resume_data"], include_state=True)
            )
        elif command in ("sleep-start", "event-start"):
            name = "sleeper" if command == "sleep-start" else "gate"
            run = await app.get_workflow(name).create_run()
            emit("run", run_id=run.run_id)
            result = await run.start(input_data={"n": args["n"]})
            emit("result", result=dump(result))
        elif command == "recover":
            await recover(store, args)
        elif command == "event-send":
            run = await app.get_workflow("gate").create_run(run_id=args["run_id"])
            if args.get("barrier"):
                wait_for_go()
            try:
                result = await run.send_event("approved", args["data"])
            except WorkflowError as exc:
                emit("error", type=type(exc).__name__, code=exc.code, message=str(exc))
            else:
                emit("sent", result=dump(result))
        elif command == "many":
            wf = app.get_workflow("triple")
            wait_for_go()

            async def one(n: int) -> dict[str, Any]:
                run = await wf.create_run()
                result = await run.start(input_data={"n": n})
                return {
                    "run_id": run.run_id,
                    "n": n,
                    "status": result.status,
                    "result": result.result,
                }

            done = await asyncio.gather(*(one(n) for n in args["inputs"]), return_exceptions=True)
            errors = [repr(d) for d in done if isinstance(d, BaseException)]
            emit("many", runs=[d for d in done if isinstance(d, dict)], errors=errors)
        else:
            raise SystemExit(f"unknown command {command!r}")
    finally:
        await app.scheduler.stop()
        await store.close()


async def recover(store: Any, args: dict[str, Any]) -> None:
    """Start an app on the store (its scheduler on, maybe restart_active_runs) and wait, bounded,
    until the run has ended; print the stored run."""
    app = app_for(store, restart_active_runs=args["restart_active_runs"], scheduler_poll_ms=50)
    wf = app.get_workflow(args.get("workflow", "sleeper"))
    await app.start()  # with restart_active_runs, continues the run (to its end) right here
    emit("app-started")
    try:
        deadline = time.monotonic() + args.get("timeout_s", 20)
        while True:
            got = await wf.get_workflow_run_by_id(args["run_id"])
            if got is not None and got["status"] not in ("running", "waiting", "pending"):
                break
            if time.monotonic() > deadline:
                emit("timeout", run=got)
                return
            await asyncio.sleep(0.05)  # the wake time and the lease are time-based: poll
        await app.scheduler.wait_idle()
        emit("recovered", run=got)
    finally:
        await app.scheduler.stop()


async def observe_restart(store: Any, args: dict[str, Any]) -> None:
    """Follow a run with observe_stream() (what is logged, then live) while an app started with
    restart_active_runs continues it in this process; print every event observed."""
    app = app_for(store, restart_active_runs=True, scheduler_poll_ms=50)
    run = await app.get_workflow(args["workflow"]).create_run(run_id=args["run_id"])

    async def follow() -> list[dict[str, Any]]:
        return [
            {"seq": event.seq, "type": event.type, "step": (event.payload or {}).get("id")}
            async for event in run.observe_stream(after=args.get("after", 0))
        ]

    follower = asyncio.get_running_loop().create_task(follow())
    await app.start()
    try:
        observed = await asyncio.wait_for(follower, args.get("timeout_s", 20))
        emit("observed", events=observed, status=run.status)
    finally:
        await app.scheduler.stop()


def _dump_on_sigusr1(_signum: int, _frame: Any) -> None:
    """Diagnostics for a hung worker: every thread's stack and every asyncio task's stack."""
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    loop = _LOOP
    if loop is not None:
        for task in asyncio.all_tasks(loop):
            print(f"-- task {task!r}", file=sys.stderr)
            task.print_stack(file=sys.stderr)
    sys.stderr.flush()


_LOOP: asyncio.AbstractEventLoop | None = None


async def _main_with_loop(command: str, spec: str, args: dict[str, Any]) -> None:
    global _LOOP
    _LOOP = asyncio.get_running_loop()
    await main(command, spec, args)


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, _dump_on_sigusr1)
    command, spec = sys.argv[1], sys.argv[2]
    args = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    try:
        asyncio.run(_main_with_loop(command, spec, args))
    except SystemExit:
        raise
    except BaseException as exc:
        emit("crash", type=type(exc).__name__, message=str(exc), tb=traceback.format_exc())
        sys.exit(1)
    emit("exit")
