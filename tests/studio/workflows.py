"""Workflows only the Studio tests use: one gated on an event the test opens (so a run is
reliably "running" while the browser looks at it), and one whose input schema has every form
edge case (nested object, list of objects, optionals, enums, a literal, a bool)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from server.flows import Gate
from treadle import StepContext, Workflow, create_step, create_workflow

__all__ = ["Gate", "failing_workflow", "form_lab_workflow", "gated_workflow"]


class Job(BaseModel):
    label: str = "demo"


def gated_workflow(gate: Gate) -> Workflow[Any, Any, Any]:
    """`gated`: prepare -> hold (waits for the gate) -> report."""

    async def prepare(ctx: StepContext[Job]) -> dict[str, str]:
        return {"label": ctx.input_data.label}

    async def hold(ctx: StepContext[dict[str, str]]) -> dict[str, str]:
        await gate.wait()
        return {**ctx.input_data, "released": "yes"}

    async def report(ctx: StepContext[dict[str, str]]) -> dict[str, str]:
        return {"report": f"{ctx.input_data['label']} done"}

    return (
        create_workflow(id="gated", input_schema=Job, description="Waits for the test's gate.")
        .then(create_step(id="prepare", input_schema=Job, execute=prepare))
        .then(create_step(id="hold", execute=hold, description="Waits until the test opens it"))
        .then(create_step(id="report", execute=report))
        .commit()
    )


class Priority(StrEnum):
    LOW = "low"
    HIGH = "high"


class Address(BaseModel):
    city: str = Field(min_length=1)
    zip: str | None = None


class Line(BaseModel):
    sku: str
    qty: int = Field(ge=1, le=99)


class FormLab(BaseModel):
    title: str
    priority: Priority = Priority.LOW
    urgent: bool = False
    address: Address
    lines: list[Line] = []
    note: str | None = None
    size: Literal["s", "m", "l"] = "m"
    tags: list[str] = []


def form_lab_workflow() -> Workflow[Any, Any, Any]:
    """`form-lab`: one step that returns the input it was given (as the server validated it)."""

    async def echo(ctx: StepContext[FormLab]) -> dict[str, Any]:
        return ctx.input_data.model_dump(mode="json")

    return (
        create_workflow(id="form-lab", input_schema=FormLab, description="Echoes its input.")
        .then(create_step(id="echo", input_schema=FormLab, execute=echo))
        .commit()
    )


class Check(BaseModel):
    value: int


class ValueTooLargeError(ValueError):
    """The error the failing workflow's step raises (its name shows in the Studio)."""


def failing_workflow() -> Workflow[Any, Any, Any]:
    """`failing`: `check` raises for a value above 10, so the run fails at that step."""

    async def check(ctx: StepContext[Check]) -> dict[str, int]:
        if ctx.input_data.value > 10:
            raise ValueTooLargeError(f"value {ctx.input_data.value} is above the limit of 10")
        return {"value": ctx.input_data.value}

    async def store(ctx: StepContext[dict[str, int]]) -> dict[str, int]:
        return ctx.input_data

    return (
        create_workflow(id="failing", input_schema=Check, description="Fails above 10.")
        .then(create_step(id="check", input_schema=Check, execute=check))
        .then(create_step(id="store", execute=store))
        .commit()
    )
