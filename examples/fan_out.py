"""Fan-out and join: three independent lookups run in parallel, then one step merges them.

What it shows:
- `parallel([...])`: the weather, inventory and pricing lookups start together on the same
  input and the run waits for all three;
- the join step receives `{step_id: output}` and reads it through a typed model whose fields
  are aliased to the step ids, so each lookup's output arrives validated.

The lookups stand in for remote services: each answer is computed from the input (a CRC32 of
the city or SKU), so the same request always gives the same plan, offline.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from treadle import StepContext, create_workflow, step

SAMPLE_INPUT: dict[str, JsonValue] = {"city": "Lisbon", "sku": "CHAIR-OAK-01", "quantity": 24}

WAREHOUSES = ("Rotterdam", "Leipzig", "Lyon", "Porto")
CONDITIONS: tuple[Literal["sunny", "cloudy", "rain", "storm"], ...] = (
    "sunny",
    "cloudy",
    "rain",
    "storm",
)


def stable_number(text: str) -> int:
    """A number that depends only on `text` (Python's `hash()` changes between processes)."""
    return zlib.crc32(text.lower().encode())


class DeliveryRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SAMPLE_INPUT]})

    city: str = Field(min_length=1, description="Where to deliver")
    sku: str = Field(min_length=1, description="Product code")
    quantity: int = Field(ge=1, le=1000)


class Forecast(BaseModel):
    city: str
    condition: Literal["sunny", "cloudy", "rain", "storm"]
    temperature_c: int
    delay_days: int


class Stock(BaseModel):
    sku: str
    available: int
    warehouse: str


class Price(BaseModel):
    sku: str
    unit_price: float
    discount_pct: int
    total: float


class Lookups(BaseModel):
    """The parallel block's output, one field per lookup step."""

    weather: Forecast = Field(alias="lookup-weather")
    inventory: Stock = Field(alias="lookup-inventory")
    pricing: Price = Field(alias="lookup-pricing")


class DeliveryPlan(BaseModel):
    city: str
    sku: str
    quantity: int
    can_ship: bool
    ship_from: str
    ship_in_days: int
    total_price: float
    notes: list[str]


@step(id="lookup-weather", input_schema=DeliveryRequest, output_schema=Forecast)
async def lookup_weather(ctx: StepContext[DeliveryRequest]) -> Forecast:
    """Forecast at the destination (bad weather delays the delivery)."""
    await asyncio.sleep(0)  # stands in for a network call: let the other lookups run
    n = stable_number(ctx.input_data.city)
    condition = CONDITIONS[n % len(CONDITIONS)]
    return Forecast(
        city=ctx.input_data.city,
        condition=condition,
        temperature_c=(n >> 4) % 30 - 2,
        delay_days={"storm": 2, "rain": 1}.get(condition, 0),
    )


@step(id="lookup-inventory", input_schema=DeliveryRequest, output_schema=Stock)
async def lookup_inventory(ctx: StepContext[DeliveryRequest]) -> Stock:
    """Units in stock and the warehouse that holds them."""
    await asyncio.sleep(0)
    n = stable_number(ctx.input_data.sku)
    return Stock(
        sku=ctx.input_data.sku, available=n % 200, warehouse=WAREHOUSES[n % len(WAREHOUSES)]
    )


@step(id="lookup-pricing", input_schema=DeliveryRequest, output_schema=Price)
async def lookup_pricing(ctx: StepContext[DeliveryRequest]) -> Price:
    """Unit price and the volume discount for this quantity."""
    await asyncio.sleep(0)
    request = ctx.input_data
    unit = round(5 + stable_number(request.sku) % 9_500 / 100, 2)
    discount = 10 if request.quantity >= 100 else 5 if request.quantity >= 20 else 0
    total = round(unit * request.quantity * (100 - discount) / 100, 2)
    return Price(sku=request.sku, unit_price=unit, discount_pct=discount, total=total)


@step(id="plan-delivery", input_schema=Lookups, output_schema=DeliveryPlan)
async def plan_delivery(ctx: StepContext[Lookups]) -> DeliveryPlan:
    """Join the three answers into one delivery plan."""
    request = DeliveryRequest.model_validate(ctx.get_init_data())
    weather, stock, price = ctx.input_data.weather, ctx.input_data.inventory, ctx.input_data.pricing
    can_ship = stock.available >= request.quantity
    notes: list[str] = []
    if not can_ship:
        notes.append(f"only {stock.available} of {request.quantity} in stock at {stock.warehouse}")
    if weather.delay_days:
        days = "day" if weather.delay_days == 1 else "days"
        notes.append(
            f"{weather.condition} expected in {weather.city}: +{weather.delay_days} {days}"
        )
    if price.discount_pct:
        notes.append(f"volume discount {price.discount_pct}%")
    return DeliveryPlan(
        city=request.city,
        sku=request.sku,
        quantity=request.quantity,
        can_ship=can_ship,
        ship_from=stock.warehouse,
        ship_in_days=2 + weather.delay_days + (0 if can_ship else 7),
        total_price=price.total,
        notes=notes,
    )


fan_out = (
    create_workflow(
        id="fan-out",
        description=(
            "Parallel fan-out: look up weather, inventory and pricing at the same time, "
            "then join the answers into a delivery plan."
        ),
        input_schema=DeliveryRequest,
        output_schema=DeliveryPlan,
    )
    .parallel([lookup_weather, lookup_inventory, lookup_pricing])
    # parallel() is typed as giving dict[str, Any]; plan-delivery validates it into Lookups.
    .then(plan_delivery)  # pyright: ignore[reportArgumentType]
    .commit()
)
