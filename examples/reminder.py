"""Reminders: a durable sleep before sending, and a variant that waits for an acknowledgement.

What it shows:
- `sleep(fn)`: the wait is computed from the input (`delay_seconds`); while it sleeps the run
  is `waiting` in the store with a wake-up time, so with a durable store the app's scheduler
  sends the reminder even if the process that started it has gone;
- `wait_for_event(name, step)` (the `reminder-ack` workflow): after sending, the run waits
  until `run.send_event("reminder-acknowledged", {"by": "..."})` delivers the answer, which
  the next step reads as `ctx.resume_data`.

Nothing is really sent: the "delivery" returns a receipt derived from the message.
"""

from __future__ import annotations

import zlib
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from treadle import ConditionContext, StepContext, create_workflow, step

SAMPLE_INPUT: dict[str, JsonValue] = {
    "recipient": "ada@example.com",
    "message": "Submit your Q3 expense claims",
    "channel": "email",
    "delay_seconds": 2,
}

ACK_EVENT = "reminder-acknowledged"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    SLACK = "slack"


class ReminderRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SAMPLE_INPUT]})

    recipient: str = Field(min_length=1, description="An address, phone number or handle")
    message: str = Field(min_length=1, max_length=500)
    channel: Channel = Channel.EMAIL
    delay_seconds: float = Field(default=2, ge=0, le=3600, description="How long to wait first")


class ScheduledReminder(BaseModel):
    recipient: str
    channel: Channel
    message: str
    delay_seconds: float


class Delivery(BaseModel):
    recipient: str
    channel: Channel
    message: str
    receipt: str


class Acknowledgement(BaseModel):
    """The data of the `reminder-acknowledged` event."""

    by: str = Field(min_length=1)
    note: str | None = None


class AcknowledgedDelivery(BaseModel):
    receipt: str
    recipient: str
    acknowledged_by: str
    note: str | None = None


@step(id="schedule-reminder", input_schema=ReminderRequest, output_schema=ScheduledReminder)
async def schedule_reminder(ctx: StepContext[ReminderRequest]) -> ScheduledReminder:
    """Check the recipient fits the channel and fix the delay."""
    request = ctx.input_data
    if request.channel is Channel.EMAIL and "@" not in request.recipient:
        raise ValueError(f"recipient {request.recipient!r} is not an email address")
    return ScheduledReminder(
        recipient=request.recipient,
        channel=request.channel,
        message=request.message.strip(),
        delay_seconds=request.delay_seconds,
    )


def reminder_delay_ms(ctx: ConditionContext) -> float:
    """How long to sleep: the request's `delay_seconds`, in milliseconds."""
    return float(ctx.input_data["delay_seconds"]) * 1000


@step(id="send-reminder", input_schema=ScheduledReminder, output_schema=Delivery)
async def send_reminder(ctx: StepContext[ScheduledReminder]) -> Delivery:
    """Send the reminder over its channel and keep the receipt."""
    r = ctx.input_data
    receipt = f"{r.channel}-{zlib.crc32(f'{r.recipient}|{r.message}'.encode()):08x}"
    return Delivery(recipient=r.recipient, channel=r.channel, message=r.message, receipt=receipt)


@step(id="record-acknowledgement", input_schema=Delivery, output_schema=AcknowledgedDelivery)
async def record_acknowledgement(ctx: StepContext[Delivery]) -> AcknowledgedDelivery:
    """Record who acknowledged the reminder (the event's data)."""
    ack = Acknowledgement.model_validate(ctx.resume_data)
    return AcknowledgedDelivery(
        receipt=ctx.input_data.receipt,
        recipient=ctx.input_data.recipient,
        acknowledged_by=ack.by,
        note=ack.note,
    )


reminder = (
    create_workflow(
        id="reminder",
        description=(
            "Durable sleep: schedule a reminder, sleep for delay_seconds (the run waits in the "
            "store), then send it."
        ),
        input_schema=ReminderRequest,
        output_schema=Delivery,
    )
    .then(schedule_reminder)
    .sleep(reminder_delay_ms, id="wait-until-due")
    .then(send_reminder)
    .commit()
)

reminder_ack = (
    create_workflow(
        id="reminder-ack",
        description=(
            "Wait for an event: send a reminder after delay_seconds, then wait until the "
            f"'{ACK_EVENT}' event says who acknowledged it."
        ),
        input_schema=ReminderRequest,
        output_schema=AcknowledgedDelivery,
    )
    .then(schedule_reminder)
    .sleep(reminder_delay_ms, id="wait-until-due")
    .then(send_reminder)
    .wait_for_event(ACK_EVENT, record_acknowledgement)
    .commit()
)
