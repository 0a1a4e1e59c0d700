"""Reads a serialized step graph (Mastra's `stepGraph`) into a checked tree of drawable blocks."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal, cast

from .model import GroupKind, NodeKind
from .text import format_date, format_duration, is_auto_sleep_id, shorten

__all__ = ["Block", "Fan", "Group", "Leaf", "Loop", "Seq", "parse_step_graph"]

_SUBTITLE_CHARS = 44
_TITLE_CHARS = 40


@dataclass(frozen=True, slots=True)
class Leaf:
    kind: NodeKind
    path: str | None
    title: str
    subtitle: str | None
    tooltip: str | None = None
    workflow_id: str | None = None


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Group:
    """An expanded nested workflow: a frame around its own flow."""

    kind: GroupKind
    path: str
    workflow_id: str
    title: str
    subtitle: str | None
    body: Seq


@dataclass(frozen=True, slots=True)
class Fan:
    """Arms side by side between a fork and a join; `conditions` label the arms of a branch."""

    kind: Literal["parallel", "conditional"]
    arms: tuple[Leaf | Group, ...]
    conditions: tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class Loop:
    body: Leaf | Group
    loop_type: str
    condition: str


Block = Leaf | Seq | Group | Fan | Loop

_ENTRY_TYPES = (
    "step",
    "workflow",
    "mapping",
    "parallel",
    "conditional",
    "loop",
    "foreach",
    "sleep",
    "sleepUntil",
    "waitForEvent",
)


@dataclass(frozen=True, slots=True)
class _Unit:
    """A step or a nested workflow, as found in an entry."""

    id: str
    description: str | None
    can_suspend: bool
    map_config: str | None
    workflow_id: str | None  # set for a nested workflow
    flow: list[object] | None  # the nested workflow's own serialized flow
    where: str  # where the unit's object sits in the graph, for error messages


def _obj(raw: object, where: str) -> Mapping[str, object]:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected an object, got {type(raw).__name__}")
    return cast(Mapping[str, object], raw)


def _list(raw: object, where: str) -> list[object]:
    if not isinstance(raw, list):
        raise ValueError(f"{where}: expected a list, got {type(raw).__name__}")
    return cast(list[object], raw)


def _text(obj: Mapping[str, object], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}.{key}: expected a non-empty string, got {value!r}")
    return value


def _optional_text(obj: Mapping[str, object], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) and value else None


def _unit(raw: object, where: str) -> _Unit:
    obj = _obj(raw, where)
    if obj.get("type") == "step" and "step" in obj:
        return _unit(obj["step"], f"{where}.step")
    step_id = _text(obj, "id", where)
    flow_raw = obj.get("serializedStepFlow")
    nested = obj.get("type") == "workflow" or obj.get("component") == "WORKFLOW"
    flow = (
        _list(flow_raw, f"{where}.serializedStepFlow") if nested or flow_raw is not None else None
    )
    return _Unit(
        id=step_id,
        description=_optional_text(obj, "description"),
        can_suspend=obj.get("canSuspend") is True,
        map_config=_optional_text(obj, "mapConfig"),
        workflow_id=(_optional_text(obj, "workflowId") or step_id) if flow is not None else None,
        flow=flow,
        where=where,
    )


def _join_path(prefix: str, step_id: str) -> str:
    return f"{prefix}.{step_id}" if prefix else step_id


class _Parser:
    def __init__(self, expand: bool | Collection[str]) -> None:
        self.expand_all = expand is True
        self.names: tuple[str, ...] = () if isinstance(expand, bool) else tuple(expand)
        self.nested_seen: list[tuple[str, str]] = []  # (id, path) of every nested workflow

    def is_expanded(self, step_id: str, path: str) -> bool:
        if self.expand_all:
            return True
        return any(n in (step_id, path) or n.startswith(path + ".") for n in self.names)

    def check_names(self) -> None:
        known = {name for pair in self.nested_seen for name in pair}
        unknown = [n for n in self.names if n not in known]
        if unknown:
            listed = ", ".join(sorted({p for _, p in self.nested_seen})) or "none"
            raise ValueError(
                f"expand: no nested workflow {', '.join(map(repr, unknown))} in this graph "
                f"(nested workflows: {listed})"
            )

    def flow(self, raw: object, where: str, prefix: str) -> Seq:
        entries = _list(raw, where)
        return Seq(tuple(self.entry(e, f"{where}[{i}]", prefix) for i, e in enumerate(entries)))

    def unit_block(
        self, unit: _Unit, prefix: str, kind: NodeKind, subtitle: str | None
    ) -> Leaf | Group:
        """The block for a step or nested workflow; `kind`/`subtitle` say how it is wrapped."""
        path = _join_path(prefix, unit.id)
        title = shorten(unit.id, _TITLE_CHARS)
        if unit.flow is not None and unit.workflow_id is not None:
            self.nested_seen.append((unit.id, path))
            body = self.flow(unit.flow, f"{unit.where}.serializedStepFlow", path)
            nested_note = (
                "nested workflow"
                if unit.workflow_id == unit.id
                else f"nested workflow {unit.workflow_id}"
            )
            if self.is_expanded(unit.id, path) and body.items:
                group_kind = "workflow" if kind == "step" else cast(GroupKind, kind)
                return Group(
                    kind=group_kind,
                    path=path,
                    workflow_id=unit.workflow_id,
                    title=title,
                    subtitle=shorten(subtitle or nested_note, _SUBTITLE_CHARS),
                    body=body,
                )
            full = f"{subtitle} · workflow" if subtitle else nested_note
            return Leaf(
                kind="workflow" if kind == "step" else kind,
                path=path,
                title=title,
                subtitle=shorten(full, _SUBTITLE_CHARS),
                tooltip=_tooltip(unit.id, full, unit.description),
                workflow_id=unit.workflow_id,
            )
        if kind == "step":
            if unit.map_config is not None:
                kind, subtitle = "mapping", _mapping_note(unit.map_config)
            elif unit.description:
                subtitle = unit.description
            elif unit.can_suspend:
                subtitle = "can suspend"
        return Leaf(
            kind=kind,
            path=path,
            title=title,
            subtitle=shorten(subtitle, _SUBTITLE_CHARS) if subtitle else None,
            tooltip=_tooltip(unit.id, subtitle, unit.description),
        )

    def entry(self, raw: object, where: str, prefix: str) -> Block:
        obj = _obj(raw, where)
        kind = obj.get("type")
        if kind in ("step", "workflow"):
            return self.unit_block(_unit(obj, where), prefix, "step", None)
        if kind == "mapping":
            step_id = _text(obj, "id", where)
            note = _mapping_note(_optional_text(obj, "mapConfig") or "<mapping>")
            return Leaf(
                "mapping",
                _join_path(prefix, step_id),
                shorten(step_id, _TITLE_CHARS),
                shorten(note, _SUBTITLE_CHARS),
                _tooltip(step_id, note, None),
            )
        if kind in ("parallel", "conditional"):
            return self.fan(obj, where, prefix, kind)
        if kind == "loop":
            loop_type = _text(obj, "loopType", where)
            condition = _obj(obj.get("serializedCondition"), f"{where}.serializedCondition")
            note = {"dowhile": "do while", "dountil": "do until"}.get(loop_type, loop_type)
            body = self.unit_block(_unit(obj.get("step"), f"{where}.step"), prefix, "loop", note)
            fn = _optional_text(condition, "fn") or "<condition>"
            return Loop(body=body, loop_type=loop_type, condition=fn)
        if kind == "foreach":
            opts = obj.get("opts")
            concurrency = _obj(opts, f"{where}.opts").get("concurrency", 1) if opts else 1
            note = f"for each · concurrency {concurrency}"
            return self.unit_block(_unit(obj.get("step"), f"{where}.step"), prefix, "foreach", note)
        if kind == "waitForEvent":
            event = _text(obj, "event", where)
            note = f"waits for event '{event}'"
            unit = _unit(obj.get("step"), f"{where}.step")
            return self.unit_block(unit, prefix, "waitForEvent", note)
        if kind == "sleep":
            return _sleep(obj, where, prefix)
        if kind == "sleepUntil":
            return _sleep_until(obj, where, prefix)
        raise ValueError(
            f"{where}.type: unknown entry type {kind!r} (expected one of {', '.join(_ENTRY_TYPES)})"
        )

    def fan(
        self,
        obj: Mapping[str, object],
        where: str,
        prefix: str,
        kind: Literal["parallel", "conditional"],
    ) -> Fan:
        steps = _list(obj.get("steps"), f"{where}.steps")
        if not steps:
            raise ValueError(f"{where}.steps: a {kind} entry needs at least one step")
        arms = tuple(
            self.unit_block(_unit(s, f"{where}.steps[{i}]"), prefix, "step", None)
            for i, s in enumerate(steps)
        )
        conditions: list[str | None] = [None] * len(arms)
        if kind == "conditional":
            raw_conditions = obj.get("serializedConditions")
            listed = (
                _list(raw_conditions, f"{where}.serializedConditions") if raw_conditions else []
            )
            for i, cond in enumerate(listed[: len(arms)]):
                fn = _optional_text(_obj(cond, f"{where}.serializedConditions[{i}]"), "fn")
                conditions[i] = fn or "<condition>"
        return Fan(kind=kind, arms=arms, conditions=tuple(conditions))


def _mapping_note(config: str) -> str:
    return "mapping" if config == "<mapping>" else f"mapping · {config}"


def _tooltip(step_id: str, subtitle: str | None, description: str | None) -> str:
    """Hover text: the full id, wrapper note and description (titles may be shortened)."""
    return "\n".join(dict.fromkeys(x for x in (step_id, subtitle, description) if x))


def _sleep(obj: Mapping[str, object], where: str, prefix: str) -> Leaf:
    step_id = _text(obj, "id", where)
    duration = obj.get("duration")
    if isinstance(duration, int | float) and not isinstance(duration, bool):
        what = f"sleep {format_duration(float(duration))}"
    else:
        what = f"sleep · {_optional_text(obj, 'fn') or '<function>'}"
    return _sleep_leaf("sleep", step_id, what, prefix)


def _sleep_until(obj: Mapping[str, object], where: str, prefix: str) -> Leaf:
    step_id = _text(obj, "id", where)
    fn = _optional_text(obj, "fn")
    what = f"sleep until {fn}" if fn else f"sleep until {format_date(_optional_text(obj, 'date'))}"
    return _sleep_leaf("sleepUntil", step_id, what, prefix)


def _sleep_leaf(kind: NodeKind, step_id: str, what: str, prefix: str) -> Leaf:
    # Builder-made ids (sleep_<uuid>) say nothing; a chosen id becomes the title.
    if is_auto_sleep_id(step_id):
        return Leaf(kind, _join_path(prefix, step_id), shorten(what, _TITLE_CHARS), None, step_id)
    return Leaf(
        kind,
        _join_path(prefix, step_id),
        shorten(step_id, _TITLE_CHARS),
        shorten(what, _SUBTITLE_CHARS),
        _tooltip(step_id, what, None),
    )


def parse_step_graph(raw: object, expand: bool | Collection[str]) -> Seq:
    """The block tree of `raw` (a serialized step graph). Raises ValueError naming the bad field,
    or naming `expand` values that are no nested workflow of this graph."""
    if isinstance(expand, str):
        raise ValueError("expand: give True, False or a collection of nested step ids, not a str")
    parser = _Parser(expand)
    tree = parser.flow(raw, "step_graph", "")
    parser.check_names()
    return tree
