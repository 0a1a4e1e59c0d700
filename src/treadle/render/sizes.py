"""Sizes and spacing of the drawn graph: node boxes from their text, gaps, frames, labels."""

from __future__ import annotations

import math

from .flow import Group, Leaf
from .text import LABEL_FONT_PX, SUBTITLE_FONT_PX, TITLE_FONT_PX, text_width

MARGIN = 24
V_GAP = 36  # between consecutive blocks of a sequence
H_GAP = 28  # between the arms of a fan
NODE_PAD_X = 14
NODE_MIN_WIDTH = 112
NODE_HEIGHT = 36
NODE_HEIGHT_WITH_SUBTITLE = 52
BOUNDARY_HEIGHT = 28
FORK_HEIGHT = 24
JOIN_SIZE = (28, 12)
BUS_GAP = 14  # from a fork (or to a join) to the horizontal run of the fan's edges
FAN_GAP = 30  # from a fork to the arms, and from the arms to the join
LABEL_HEIGHT = 18
LABEL_PAD_X = 5
LABEL_CHARS = 40
GROUP_PAD = 14
GROUP_HEADER = 32
GROUP_HEADER_SPACE = 10  # between a group's title and subtitle
LOOP_LANE = 20  # from the loop body's right side to the back edge's vertical run


def even_ceil(value: float) -> int:
    """Rounded up to an even integer, so that halving it stays whole."""
    whole = math.ceil(value)
    return whole + whole % 2


def leaf_size(leaf: Leaf) -> tuple[int, int]:
    """Width and height of a node, from its text."""
    if leaf.kind == "join":
        return JOIN_SIZE
    if leaf.kind in ("start", "end"):
        return max(even_ceil(text_width(leaf.title, TITLE_FONT_PX) + 28), 64), BOUNDARY_HEIGHT
    if leaf.kind in ("parallel", "conditional"):
        return even_ceil(text_width(leaf.title, SUBTITLE_FONT_PX) + 24), FORK_HEIGHT
    widest = text_width(leaf.title, TITLE_FONT_PX)
    if leaf.subtitle:
        widest = max(widest, text_width(leaf.subtitle, SUBTITLE_FONT_PX))
    height = NODE_HEIGHT_WITH_SUBTITLE if leaf.subtitle else NODE_HEIGHT
    return max(even_ceil(widest + 2 * NODE_PAD_X), NODE_MIN_WIDTH), height


def label_width(text: str) -> int:
    return even_ceil(text_width(text, LABEL_FONT_PX) + 2 * LABEL_PAD_X)


def group_header_width(group: Group) -> int:
    width = text_width(group.title, TITLE_FONT_PX)
    if group.subtitle:
        width += GROUP_HEADER_SPACE + text_width(group.subtitle, SUBTITLE_FONT_PX)
    return even_ceil(width)
