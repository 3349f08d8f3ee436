"""Inline SVG charts for the HTML scorecard: pure functions from numbers to SVG text.

Every function returns a complete `<svg>` element that is well-formed XML whatever it is given:
labels are escaped (and characters XML cannot hold replaced), and values that are None, NaN or
infinite are drawn as "no value" rather than breaking the layout.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

BAR = "#51627a"
REFERENCE = "#9aa5b4"
GRID = "#e3e6eb"
INK = "#1d2330"
MUTED = "#5b6473"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

# XML 1.0 cannot hold these even as character references, so they are replaced, not escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LABEL_CHARS = 26


@dataclass(frozen=True)
class Bar:
    """One bar: a label, its value (None when undefined) and optionally the count behind it."""

    label: str
    value: float | None
    n: int | None = None


@dataclass(frozen=True)
class Interval:
    """One row of an interval chart: a point estimate, its interval, an optional reference."""

    label: str
    value: float | None
    low: float | None
    high: float | None
    reference: float | None = None


def escape_text(value: object) -> str:
    """`value` as text safe inside SVG/XML content and attribute values."""
    return html.escape(_XML_INVALID.sub("\ufffd", str(value)), quote=True)


def finite(value: object) -> float | None:
    """`value` as a float when it is a finite real number, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def percentile(samples: Iterable[object], p: float) -> float | None:
    """The p-th percentile (0–100, linear interpolation) of the finite samples; None if none."""
    values = sorted(v for v in (finite(s) for s in samples) if v is not None)
    if not values:
        return None
    rank = (len(values) - 1) * min(max(p, 0.0), 100.0) / 100.0
    below = math.floor(rank)
    above = min(below + 1, len(values) - 1)
    return values[below] + (values[above] - values[below]) * (rank - below)


def format_number(value: object) -> str:
    """A compact human reading of a number ('—' when undefined): 0.857, 42.5, 1,234."""
    x = finite(value)
    if x is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3f}"


def format_rate(value: object) -> str:
    """A rate in [0, 1] as a percentage with one decimal, '—' when undefined."""
    x = finite(value)
    return "—" if x is None else f"{x:.1%}"


def _short(label: object) -> str:
    text = str(label)
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{escape_text(FONT)}" font-size="12" fill="{INK}">'
        f"<title>{escape_text(title)}</title>{''.join(body)}</svg>"
    )


def _no_data(title: str, width: int) -> str:
    return _svg(width, 32, title, [
        f'<text x="0" y="20" fill="{MUTED}">{escape_text(title)}: no data</text>'])


def bar_chart(items: Sequence[Bar | tuple], *, title: str, max_value: float | None = 1.0,
              value_format: Callable[[object], str] = format_rate, width: int = 560) -> str:
    """Horizontal bars, one row per item, with the value and `n` printed beside each bar.

    `max_value` fixes the scale (1.0 for rates); None scales to the largest value.
    """
    bars = [b if isinstance(b, Bar) else Bar(*b) for b in items]
    if not bars:
        return _no_data(title, width)
    values = [finite(b.value) for b in bars]
    scale = finite(max_value) or max((abs(v) for v in values if v is not None), default=0.0)
    scale = scale or 1.0
    label_w, value_w, row_h = 170, 130, 24
    bar_w = width - label_w - value_w
    body = []
    for i, (bar, value) in enumerate(zip(bars, values, strict=True)):
        y = i * row_h
        body.append(f'<g><title>{escape_text(bar.label)}: {escape_text(value_format(value))}'
                    f'{"" if bar.n is None else f" (n={escape_text(bar.n)})"}</title>')
        body.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">'
                    f"{escape_text(_short(bar.label))}</text>")
        body.append(f'<rect x="{label_w}" y="{y + 5}" width="{bar_w}" height="14" '
                    f'fill="{GRID}" opacity="0.5"/>')
        if value is not None:
            length = max(0.0, min(1.0, value / scale)) * bar_w
            body.append(f'<rect x="{label_w}" y="{y + 5}" width="{length:.1f}" height="14" '
                        f'fill="{BAR}"/>')
        n_text = "" if bar.n is None else f"  n={escape_text(bar.n)}"
        body.append(f'<text x="{label_w + bar_w + 8}" y="{y + 16}">'
                    f"{escape_text(value_format(value))}"
                    f'<tspan fill="{MUTED}">{n_text}</tspan></text></g>')
    return _svg(width, len(bars) * row_h + 4, title, body)


def interval_chart(rows: Sequence[Interval | tuple], *, title: str, width: int = 720) -> str:
    """Point estimates with their 95% intervals on a 0–1 axis; a reference value as a grey tick.

    Used for headline rates: the interval shows how much the number could move on another
    sample of the same size, which a bare percentage hides.
    """
    items = [r if isinstance(r, Interval) else Interval(*r) for r in rows]
    if not items:
        return _no_data(title, width)
    label_w, value_w, row_h, top = 190, 170, 24, 18
    axis_w = width - label_w - value_w

    def x_of(v: float) -> float:
        return label_w + max(0.0, min(1.0, v)) * axis_w

    body = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = x_of(tick)
        body.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" '
                    f'y2="{top + len(items) * row_h}" stroke="{GRID}"/>')
        body.append(f'<text x="{x:.1f}" y="{top - 7}" text-anchor="middle" font-size="10" '
                    f'fill="{MUTED}">{tick:.0%}</text>')
    for i, item in enumerate(items):
        y = top + i * row_h + row_h / 2
        value, low, high = finite(item.value), finite(item.low), finite(item.high)
        reference = finite(item.reference)
        body.append(f"<g><title>{escape_text(item.label)}</title>")
        body.append(f'<text x="{label_w - 8}" y="{y + 4:.1f}" text-anchor="end">'
                    f"{escape_text(_short(item.label))}</text>")
        if value is not None and low is not None and high is not None:
            x1, x2 = x_of(low), x_of(high)
            body.append(f'<line x1="{x1:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y:.1f}" '
                        f'stroke="{BAR}" stroke-width="2"/>')
            for x in (x1, x2):
                body.append(f'<line x1="{x:.1f}" y1="{y - 5:.1f}" x2="{x:.1f}" '
                            f'y2="{y + 5:.1f}" stroke="{BAR}" stroke-width="2"/>')
        if reference is not None:
            xr = x_of(reference)
            body.append(f'<rect x="{xr - 1.5:.1f}" y="{y - 8:.1f}" width="3" height="16" '
                        f'fill="{REFERENCE}"/>')
        if value is not None:
            body.append(f'<circle cx="{x_of(value):.1f}" cy="{y:.1f}" r="4.5" fill="{BAR}"/>')
        interval = ("" if value is None or low is None or high is None
                    else f" [{format_rate(low)} – {format_rate(high)}]")
        body.append(f'<text x="{label_w + axis_w + 10}" y="{y + 4:.1f}">'
                    f"{escape_text(format_rate(value))}"
                    f'<tspan fill="{MUTED}" font-size="11">{escape_text(interval)}</tspan>'
                    f"</text></g>")
    return _svg(width, top + len(items) * row_h + 4, title, body)


def histogram(samples: Iterable[object], *, title: str, unit: str = "ms", bins: int = 24,
              markers: dict[str, object] | None = None, width: int = 560,
              height: int = 180) -> str:
    """A histogram of the finite samples, with labelled vertical markers (e.g. p50/p95/p99)."""
    values = [v for v in (finite(s) for s in samples) if v is not None]
    if not values:
        return _no_data(title, width)
    bins = max(1, int(bins))
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - low) / span * bins))] += 1
    left, right, top, bottom = 40, 16, 22, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(counts)

    def x_of(v: float) -> float:
        return left + (v - low) / span * plot_w

    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
            f'stroke="{MUTED}"/>',
            f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="10" '
            f'fill="{MUTED}">{peak}</text>',
            f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="10" '
            f'fill="{MUTED}">0</text>']
    bin_w = plot_w / bins
    for i, count in enumerate(counts):
        if count:
            h = count / peak * plot_h
            body.append(f'<rect x="{left + i * bin_w + 0.5:.1f}" y="{top + plot_h - h:.1f}" '
                        f'width="{max(bin_w - 1, 0.5):.1f}" height="{h:.1f}" fill="{BAR}">'
                        f"<title>{count}</title></rect>")
    for tick in (low, (low + high) / 2, high):
        body.append(f'<text x="{x_of(tick):.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                    f'font-size="10" fill="{MUTED}">{escape_text(format_number(tick))}</text>')
    body.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle" '
                f'font-size="11" fill="{MUTED}">{escape_text(unit)} · n={len(values)}</text>')
    for name, raw in (markers or {}).items():
        mark = finite(raw)
        if mark is None:
            continue
        x = x_of(max(low, min(high, mark)))
        body.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{top + plot_h}" '
                    f'stroke="{INK}" stroke-dasharray="3 2"/>')
        body.append(f'<text x="{x + 3:.1f}" y="{top - 8}" font-size="10">'
                    f"{escape_text(name)}</text>")
    return _svg(width, height, title, body)


def percentile_strip(samples: Iterable[object], *, title: str, unit: str = "ms",
                     percentiles: Sequence[float] = (50, 95, 99),
                     markers: dict[str, object] | None = None, width: int = 560) -> str:
    """Every sample as a faint tick on one axis, with percentiles marked and named.

    The marks are `markers` (name → value) when given, so the strip agrees with a table computed
    elsewhere; otherwise the `percentiles` of the samples. Shows the tail's shape next to the
    numbers: a p99 driven by one outlier looks different from one driven by a cluster.
    """
    values = [v for v in (finite(s) for s in samples) if v is not None]
    if not values:
        return _no_data(title, width)
    if markers is None:
        markers = {f"p{finite(p) or 0.0:g}": percentile(values, finite(p) or 0.0)
                   for p in percentiles}
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    left, right, y, height = 16, 16, 30, 62

    def x_of(v: float) -> float:
        return left + (v - low) / span * (width - left - right)

    body = [f'<line x1="{left}" y1="{y}" x2="{width - right}" y2="{y}" stroke="{GRID}" '
            f'stroke-width="14"/>']
    body.extend(f'<line x1="{x_of(v):.1f}" y1="{y - 7}" x2="{x_of(v):.1f}" y2="{y + 7}" '
                f'stroke="{BAR}" stroke-opacity="0.35"/>' for v in values)
    for name, raw in markers.items():
        mark = finite(raw)
        if mark is None:
            continue
        x = x_of(max(low, min(high, mark)))
        body.append(f'<line x1="{x:.1f}" y1="{y - 11}" x2="{x:.1f}" y2="{y + 11}" '
                    f'stroke="{INK}" stroke-width="2"/>')
        body.append(f'<text x="{x:.1f}" y="{y - 14}" text-anchor="middle" font-size="10">'
                    f"{escape_text(name)}</text>")
        body.append(f'<text x="{x:.1f}" y="{y + 24}" text-anchor="middle" font-size="10" '
                    f'fill="{MUTED}">{escape_text(format_number(mark))}</text>')
    body.append(f'<text x="{left}" y="{height - 2}" font-size="10" fill="{MUTED}">'
                f"{escape_text(unit)}</text>")
    return _svg(width, height, title, body)
