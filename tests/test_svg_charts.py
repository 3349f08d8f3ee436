"""Property tests of the inline SVG charts: well-formed XML whatever the input, text escaped."""

import math
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from harness.report import svg_charts
from harness.report.svg_charts import Bar, Interval

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert(1)</script> "><svg onload=alert(1)> & \x00\x1f'

numbers = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(-10**6, 10**6))
labels = st.one_of(st.text(), st.just(HOSTILE))


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def all_text(root: ET.Element) -> str:
    return "".join(root.itertext())


def no_injected_elements(root: ET.Element) -> None:
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert tags <= {"svg", "title", "g", "text", "tspan", "rect", "line", "circle"}
    assert not [a for el in root.iter() for a in el.attrib if a.lower().startswith("on")]


@given(st.lists(st.tuples(labels, numbers, st.one_of(st.none(), st.integers(0, 10**6))),
                max_size=12), labels)
def test_bar_chart_is_well_formed(items, title):
    root = parse(svg_charts.bar_chart([Bar(*i) for i in items], title=title))
    no_injected_elements(root)


@given(st.lists(st.tuples(labels, numbers), max_size=8), st.one_of(st.none(), numbers))
def test_bar_chart_any_scale(items, max_value):
    root = parse(svg_charts.bar_chart(items, title="t", max_value=max_value,
                                      value_format=svg_charts.format_number))
    no_injected_elements(root)


@given(st.lists(st.tuples(labels, numbers, numbers, numbers, numbers), max_size=12), labels)
def test_interval_chart_is_well_formed(rows, title):
    root = parse(svg_charts.interval_chart([Interval(*r) for r in rows], title=title))
    no_injected_elements(root)


@given(st.lists(numbers, max_size=200), labels,
       st.dictionaries(labels, numbers, max_size=4), st.integers(-3, 50))
def test_histogram_is_well_formed(samples, unit, markers, bins):
    root = parse(svg_charts.histogram(samples, title="h", unit=unit, markers=markers, bins=bins))
    no_injected_elements(root)


@given(st.lists(numbers, max_size=200), st.lists(numbers, max_size=4), labels,
       st.one_of(st.none(), st.dictionaries(labels, numbers, max_size=4)))
def test_percentile_strip_is_well_formed(samples, percentiles, unit, markers):
    root = parse(svg_charts.percentile_strip(samples, title="p", unit=unit,
                                             percentiles=percentiles, markers=markers))
    no_injected_elements(root)


def test_labels_are_escaped_not_interpreted():
    svg = svg_charts.bar_chart([Bar(HOSTILE, 0.5, 3)], title=HOSTILE)
    assert "<script>" not in svg and "<svg onload" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)
    assert "<script>alert(1)</script>" in all_text(root)
    assert root.find(f"{SVG}title").text.startswith("<script>")


def test_empty_input_says_no_data():
    for svg in (svg_charts.bar_chart([], title="x"), svg_charts.interval_chart([], title="x"),
                svg_charts.histogram([], title="x"), svg_charts.percentile_strip([None], title="x")):
        assert "no data" in all_text(parse(svg))


def test_percentile_interpolates_and_ignores_non_finite():
    samples = [1, 2, 3, 4, None, math.nan, math.inf]
    assert svg_charts.percentile(samples, 50) == 2.5
    assert svg_charts.percentile(samples, 100) == 4
    assert svg_charts.percentile([], 50) is None


def test_bar_length_is_proportional_and_clamped():
    root = parse(svg_charts.bar_chart([Bar("a", 0.5), Bar("b", 7.0), Bar("c", None)], title="t"))
    filled = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == svg_charts.BAR]
    widths = [float(r.get("width")) for r in filled]
    assert len(widths) == 2 and widths[1] == 2 * widths[0]
