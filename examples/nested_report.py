"""Nested workflow: a report whose numbers come from an inner workflow, rendered in a chosen format.

What it shows:
- a committed workflow (`sales-metrics`: load the sales, then aggregate them) used as one step
  of another; its steps appear in events and results with dotted ids
  (`sales-metrics.load-sales`), and the Studio can expand it in the graph;
- a `branch` that picks one of two renderers (Markdown or CSV) from the workflow input, read
  with `ctx.get_init_data()` in the condition;
- a final step that reads whichever renderer ran.

The sales figures are generated from the region, quarter and year, so they are the same on
every run, offline.
"""

from __future__ import annotations

import zlib
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from treadle import ConditionContext, StepContext, create_workflow, step

SAMPLE_INPUT: dict[str, JsonValue] = {
    "region": "emea",
    "quarter": "Q3",
    "year": 2024,
    "format": "markdown",
}

PRODUCTS = ("Desk", "Chair", "Lamp", "Shelf", "Monitor arm")


class Region(StrEnum):
    EMEA = "emea"
    AMERICAS = "americas"
    APAC = "apac"


class ReportFormat(StrEnum):
    MARKDOWN = "markdown"
    CSV = "csv"


Quarter = Literal["Q1", "Q2", "Q3", "Q4"]


class ReportRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SAMPLE_INPUT]})

    region: Region
    quarter: Quarter
    year: int = Field(default=2024, ge=2000, le=2100)
    format: ReportFormat = ReportFormat.MARKDOWN
    title: str | None = Field(default=None, description="Defaults to 'Sales <region> <quarter>'")


class ReportScope(BaseModel):
    region: Region
    quarter: Quarter
    year: int


class SaleRow(BaseModel):
    product: str
    units: int
    unit_price: float


class SalesData(BaseModel):
    scope: ReportScope
    rows: list[SaleRow]


class ProductLine(BaseModel):
    product: str
    units: int
    revenue: float


class SalesMetrics(BaseModel):
    scope: ReportScope
    lines: list[ProductLine]
    total_units: int
    total_revenue: float
    best_seller: str


class Rendered(BaseModel):
    format: ReportFormat
    filename: str
    content: str


class RenderArms(BaseModel):
    """The branch's output: the renderer that ran."""

    markdown: Rendered | None = Field(default=None, alias="render-markdown")
    csv: Rendered | None = Field(default=None, alias="render-csv")


class ReportDocument(BaseModel):
    title: str
    format: ReportFormat
    filename: str
    size_bytes: int
    content: str


# -- the inner workflow: numbers ----------------------------------------------------------------
@step(id="load-sales", input_schema=ReportScope, output_schema=SalesData)
async def load_sales(ctx: StepContext[ReportScope]) -> SalesData:
    """Load the quarter's sales rows for the region."""
    scope = ctx.input_data
    rows: list[SaleRow] = []
    for product in PRODUCTS:
        n = zlib.crc32(f"{scope.region}/{scope.quarter}/{scope.year}/{product}".encode())
        rows.append(SaleRow(product=product, units=50 + n % 450, unit_price=20 + n % 180))
    return SalesData(scope=scope, rows=rows)


@step(id="aggregate-sales", input_schema=SalesData, output_schema=SalesMetrics)
async def aggregate_sales(ctx: StepContext[SalesData]) -> SalesMetrics:
    """Revenue per product, totals and the best seller."""
    lines = [
        ProductLine(product=r.product, units=r.units, revenue=round(r.units * r.unit_price, 2))
        for r in ctx.input_data.rows
    ]
    lines.sort(key=lambda line: (-line.revenue, line.product))
    return SalesMetrics(
        scope=ctx.input_data.scope,
        lines=lines,
        total_units=sum(line.units for line in lines),
        total_revenue=round(sum(line.revenue for line in lines), 2),
        best_seller=lines[0].product,
    )


sales_metrics = (
    create_workflow(
        id="sales-metrics",
        description="Load a region's quarterly sales and aggregate them per product.",
        input_schema=ReportScope,
        output_schema=SalesMetrics,
    )
    .then(load_sales)
    .then(aggregate_sales)
    .commit()
)


# -- the outer workflow: the report -------------------------------------------------------------
@step(id="scope-report", input_schema=ReportRequest, output_schema=ReportScope)
async def scope_report(ctx: StepContext[ReportRequest]) -> ReportScope:
    """Pick the region and period the numbers are for."""
    request = ctx.input_data
    return ReportScope(region=request.region, quarter=request.quarter, year=request.year)


def _stem(scope: ReportScope) -> str:
    return f"sales-{scope.region}-{scope.year}-{scope.quarter}".lower()


def markdown_requested(ctx: ConditionContext) -> bool:
    return ctx.get_init_data()["format"] == ReportFormat.MARKDOWN


def csv_requested(ctx: ConditionContext) -> bool:
    return ctx.get_init_data()["format"] == ReportFormat.CSV


@step(id="render-markdown", input_schema=SalesMetrics, output_schema=Rendered)
async def render_markdown(ctx: StepContext[SalesMetrics]) -> Rendered:
    """Render the metrics as a Markdown table."""
    m = ctx.input_data
    lines = ["| Product | Units | Revenue |", "|---|---:|---:|"]
    lines += [f"| {p.product} | {p.units} | {p.revenue:,.2f} |" for p in m.lines]
    lines.append(f"| **Total** | **{m.total_units}** | **{m.total_revenue:,.2f}** |")
    return Rendered(
        format=ReportFormat.MARKDOWN, filename=f"{_stem(m.scope)}.md", content="\n".join(lines)
    )


@step(id="render-csv", input_schema=SalesMetrics, output_schema=Rendered)
async def render_csv(ctx: StepContext[SalesMetrics]) -> Rendered:
    """Render the metrics as CSV."""
    m = ctx.input_data
    rows = ["product,units,revenue"] + [f"{p.product},{p.units},{p.revenue:.2f}" for p in m.lines]
    return Rendered(
        format=ReportFormat.CSV, filename=f"{_stem(m.scope)}.csv", content="\n".join(rows)
    )


@step(id="publish-report", input_schema=RenderArms, output_schema=ReportDocument)
async def publish_report(ctx: StepContext[RenderArms]) -> ReportDocument:
    """Title the rendered report and publish it."""
    rendered = ctx.input_data.markdown or ctx.input_data.csv
    if rendered is None:
        raise ValueError("no renderer ran: the format matched no branch")
    request = ReportRequest.model_validate(ctx.get_init_data())
    title = request.title or f"Sales {request.region.value.upper()} {request.quarter}"
    content = (
        f"# {title}\n\n{rendered.content}" if rendered.format == "markdown" else rendered.content
    )
    return ReportDocument(
        title=title,
        format=rendered.format,
        filename=rendered.filename,
        size_bytes=len(content.encode()),
        content=content,
    )


nested_report = (
    create_workflow(
        id="nested-report",
        description=(
            "Nested workflow: compute sales metrics with the inner 'sales-metrics' workflow, "
            "render them as Markdown or CSV (a branch), then publish the report."
        ),
        input_schema=ReportRequest,
        output_schema=ReportDocument,
    )
    .then(scope_report)
    .then(sales_metrics)
    .branch([(markdown_requested, render_markdown), (csv_requested, render_csv)])
    # branch() is typed as giving dict[str, Any]; publish-report validates it into RenderArms.
    .then(publish_report)  # pyright: ignore[reportArgumentType]
    .commit()
)
