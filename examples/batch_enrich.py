"""Batch enrichment: `for_each` over a list of contacts, four at a time, then a summary.

What it shows:
- `for_each(step, concurrency=4)`: each record is enriched by its own step call, at most four
  in flight; the outputs come back in input order whatever order they finish in;
- a `workflow-step-progress` event after each record (watch it in the Studio or with
  `run.stream()`);
- a summary step that reads the whole enriched list.

Enrichment is deterministic and offline: the company, segment and score come from the email
domain (a CRC32 of it), and each call yields to the event loop a few times the way a real
lookup would wait on the network.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from treadle import StepContext, create_workflow, step

SAMPLE_INPUT: dict[str, JsonValue] = {
    "source": "webinar-signups",
    "records": [
        {"id": "c1", "email": "ada@analytical.io"},
        {"id": "c2", "email": "GRACE@Navy.example", "company": "US Navy"},
        {"id": "c3", "email": "linus@gmail.com"},
        {"id": "c4", "email": "margaret@apollo.space"},
        {"id": "c5", "email": "alan@bletchley.uk"},
        {"id": "c6", "email": "barbara@clu.dev"},
        {"id": "c7", "email": "ken@unix.example", "country": "US"},
        {"id": "c8", "email": "dennis@outlook.com"},
    ],
}

FREE_MAIL = frozenset({"gmail.com", "outlook.com", "yahoo.com", "proton.me"})
Segment = Literal["enterprise", "mid-market", "smb", "consumer"]


class Contact(BaseModel):
    id: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    company: str | None = None
    country: str | None = Field(default=None, description="ISO code, if known")


class Batch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SAMPLE_INPUT]})

    source: str = Field(default="import", description="Where the records came from")
    records: list[Contact] = Field(description="The contacts to enrich")


class EnrichedContact(BaseModel):
    id: str
    email: str
    domain: str
    company: str
    segment: Segment
    score: int = Field(ge=0, le=100)


class BatchSummary(BaseModel):
    source: str
    count: int
    by_segment: dict[str, int]
    average_score: float
    best_leads: list[str]


@step(id="normalize-records", input_schema=Batch, output_schema=list[Contact])
async def normalize_records(ctx: StepContext[Batch]) -> list[Contact]:
    """Lower-case the emails and drop repeated contact ids (the first one wins)."""
    seen: set[str] = set()
    records: list[Contact] = []
    for record in ctx.input_data.records:
        if record.id not in seen:
            seen.add(record.id)
            records.append(record.model_copy(update={"email": record.email.lower()}))
    return records


@step(id="enrich-record", input_schema=Contact, output_schema=EnrichedContact)
async def enrich_record(ctx: StepContext[Contact]) -> EnrichedContact:
    """Look up the company, segment and lead score of one contact."""
    contact = ctx.input_data
    domain = contact.email.rsplit("@", 1)[1]
    n = zlib.crc32(domain.encode())
    for _ in range(n % 3 + 1):  # a "lookup" of varying length: let the other records run
        await asyncio.sleep(0)
    segment: Segment
    if domain in FREE_MAIL:
        segment, company = "consumer", contact.company or "(personal)"
    else:
        segment = ("enterprise", "mid-market", "smb")[n % 3]
        company = contact.company or domain.split(".")[0].capitalize()
    score = {"enterprise": 60, "mid-market": 40, "smb": 20, "consumer": 0}[segment] + n % 40
    return EnrichedContact(
        id=contact.id,
        email=contact.email,
        domain=domain,
        company=company,
        segment=segment,
        score=score,
    )


@step(id="summarize-batch", input_schema=list[EnrichedContact], output_schema=BatchSummary)
async def summarize_batch(ctx: StepContext[list[EnrichedContact]]) -> BatchSummary:
    """Count the contacts per segment and pick the three best leads."""
    contacts = ctx.input_data
    by_segment: dict[str, int] = {}
    for contact in contacts:
        by_segment[contact.segment] = by_segment.get(contact.segment, 0) + 1
    ranked = sorted(contacts, key=lambda c: (-c.score, c.id))
    average = sum(c.score for c in contacts) / len(contacts) if contacts else 0.0
    return BatchSummary(
        source=Batch.model_validate(ctx.get_init_data()).source,
        count=len(contacts),
        by_segment=dict(sorted(by_segment.items())),
        average_score=round(average, 1),
        best_leads=[c.id for c in ranked[:3]],
    )


batch_enrich = (
    create_workflow(
        id="batch-enrich",
        description=(
            "Batch enrichment: clean a list of contacts, enrich each one (four at a time, "
            "with progress events), then summarize the batch."
        ),
        input_schema=Batch,
        output_schema=BatchSummary,
    )
    .then(normalize_records)
    .for_each(enrich_record, concurrency=4)
    .then(summarize_batch)
    .commit()
)
