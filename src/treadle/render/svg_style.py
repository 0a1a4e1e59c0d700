"""The stylesheet embedded in exported SVGs: light and dark palettes, kinds and run statuses."""

from __future__ import annotations

__all__ = ["STATUS_CLASSES", "SVG_STYLE"]

# Classes the Studio adds to `.tr-node` / `.tr-group` elements (and may add to `.tr-edge`).
STATUS_CLASSES = (
    "tr-status-success",
    "tr-status-failed",
    "tr-status-running",
    "tr-status-suspended",
    "tr-status-waiting",
    "tr-status-canceled",
    "tr-status-skipped",
)

_LIGHT = """
  --tr-bg: #ffffff; --tr-fg: #1b2430; --tr-muted: #5b6675; --tr-node-bg: #ffffff;
  --tr-node-border: #c3cad5; --tr-edge: #8892a2; --tr-label-bg: #f7f8fa;
  --tr-group-bg: rgba(79, 70, 229, 0.045); --tr-group-border: #a5abd9;
  --tr-structure: #eef1f5;
  --tr-success: #15803d; --tr-success-bg: #ecfdf3; --tr-failed: #dc2626; --tr-failed-bg: #fef2f2;
  --tr-running: #2563eb; --tr-running-bg: #eff6ff; --tr-suspended: #b45309;
  --tr-suspended-bg: #fffbeb; --tr-waiting: #7c3aed; --tr-waiting-bg: #f5f3ff;
  --tr-canceled: #6b7280; --tr-canceled-bg: #f3f4f6;
"""

_DARK = """
  --tr-bg: #0f1218; --tr-fg: #e6e9ef; --tr-muted: #9aa4b2; --tr-node-bg: #171b23;
  --tr-node-border: #3a4250; --tr-edge: #6f7a8b; --tr-label-bg: #1d222b;
  --tr-group-bg: rgba(129, 140, 248, 0.07); --tr-group-border: #545c99;
  --tr-structure: #252b35;
  --tr-success: #4ade80; --tr-success-bg: #0f2a1a; --tr-failed: #f87171; --tr-failed-bg: #2d1214;
  --tr-running: #60a5fa; --tr-running-bg: #0f2037; --tr-suspended: #fbbf24;
  --tr-suspended-bg: #2b2110; --tr-waiting: #a78bfa; --tr-waiting-bg: #211a38;
  --tr-canceled: #9ca3af; --tr-canceled-bg: #1f2329;
"""

_KIND_ACCENTS = {
    "step": "#3b82f6",
    "mapping": "#0d9488",
    "workflow": "#6366f1",
    "foreach": "#d97706",
    "loop": "#db2777",
    "sleep": "#64748b",
    "sleepUntil": "#64748b",
    "waitForEvent": "#7c3aed",
}

_STATUS_RULES = "\n".join(
    f".tr-node.tr-status-{s} > .tr-box, .tr-group.tr-status-{s} > .tr-frame "
    f"{{ stroke: var(--tr-{s}); fill: var(--tr-{s}-bg); stroke-width: 2; }}\n"
    f".tr-node.tr-status-{s} > .tr-accent {{ fill: var(--tr-{s}); }}\n"
    f".tr-edge.tr-status-{s} {{ stroke: var(--tr-{s}); }}"
    for s in ("success", "failed", "running", "suspended", "waiting", "canceled")
)

_KIND_RULES = "\n".join(f".tr-kind-{k} {{ --tr-accent: {c}; }}" for k, c in _KIND_ACCENTS.items())

SVG_STYLE = f"""
.tr-graph {{{_LIGHT}
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}}
@media (prefers-color-scheme: dark) {{ .tr-graph {{{_DARK}}} }}
.tr-theme-light .tr-graph, .tr-graph.tr-theme-light {{{_LIGHT}}}
.tr-theme-dark .tr-graph, .tr-graph.tr-theme-dark {{{_DARK}}}
.tr-canvas {{ fill: var(--tr-bg); }}
.tr-box {{ fill: var(--tr-node-bg); stroke: var(--tr-node-border); stroke-width: 1.25; }}
.tr-accent {{ fill: var(--tr-accent, var(--tr-node-border)); }}
{_KIND_RULES}
.tr-kind-start > .tr-box, .tr-kind-end > .tr-box, .tr-kind-parallel > .tr-box,
.tr-kind-conditional > .tr-box, .tr-kind-join > .tr-box {{ fill: var(--tr-structure); }}
.tr-kind-foreach > .tr-box {{ stroke-dasharray: 6 3; }}
.tr-title {{ fill: var(--tr-fg); font-size: 13px; font-weight: 600; }}
.tr-subtitle {{ fill: var(--tr-muted); font-size: 11px; }}
.tr-structure-title {{ fill: var(--tr-muted); font-size: 11px; font-weight: 600; }}
.tr-edge {{ fill: none; stroke: var(--tr-edge); stroke-width: 1.5; stroke-linejoin: round; }}
.tr-edge-loop {{ stroke-dasharray: 5 4; }}
.tr-arrowhead {{ fill: var(--tr-edge); }}
.tr-edge-label > rect {{ fill: var(--tr-label-bg); stroke: var(--tr-edge); stroke-width: 0.75; }}
.tr-edge-label > text {{ fill: var(--tr-muted); font-size: 11px; }}
.tr-frame {{ fill: var(--tr-group-bg); stroke: var(--tr-group-border); stroke-width: 1.25;
  stroke-dasharray: 6 4; }}
.tr-group-title {{ fill: var(--tr-fg); font-size: 13px; font-weight: 600; }}
.tr-group-subtitle {{ fill: var(--tr-muted); font-size: 11px; }}
{_STATUS_RULES}
.tr-node.tr-status-skipped, .tr-group.tr-status-skipped {{ opacity: 0.55; }}
.tr-node.tr-status-skipped > .tr-box {{ stroke-dasharray: 3 3; }}
.tr-edge.tr-status-skipped {{ opacity: 0.45; stroke-dasharray: 3 3; }}
.tr-edge.tr-status-running {{ stroke-dasharray: 6 4; animation: tr-flow 0.8s linear infinite; }}
.tr-node.tr-status-running > .tr-box, .tr-group.tr-status-running > .tr-frame {{
  animation: tr-pulse 1.4s ease-in-out infinite; }}
@keyframes tr-pulse {{ 50% {{ stroke-opacity: 0.35; }} }}
@keyframes tr-flow {{ to {{ stroke-dashoffset: -20; }} }}
@media (prefers-reduced-motion: reduce) {{
  .tr-node, .tr-group, .tr-edge, .tr-box, .tr-frame {{ animation: none !important; }}
}}
"""
