"""Golden-set and predictions loading: valid files load; every damage names file, line, field."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.inputs.golden import load_eval_set, load_predictions
from harness.io.errors import InputError

GOOD = {"id": "ap-001", "question": "How many invoices?", "sql_gold":
        "SELECT COUNT(*) FROM AP_INVOICES_ALL", "domain": "AP", "difficulty": "easy"}


def write_lines(path, lines):
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def dumps(obj) -> bytes:
    return json.dumps(obj).encode()


def test_loads_examples_in_order_with_defaults_and_hash(tmp_path):
    second = dict(GOOD, id="ap-002", kind="unanswerable", sql_gold="-- UNANSWERABLE")
    path = write_lines(tmp_path / "set.jsonl", [dumps(GOOD), b"", dumps(second)])
    loaded = load_eval_set(path)
    assert [e.id for e in loaded.examples] == ["ap-001", "ap-002"]
    assert loaded.examples[0].kind == "answerable"
    assert loaded.examples[0].org_policy == "none"
    assert len(loaded.sha256) == 64


@pytest.mark.parametrize(
    ("line2", "field", "needle"),
    [
        (dumps({k: v for k, v in GOOD.items() if k != "question"}), "question", "missing"),
        (dumps(dict(GOOD, difficulty="extreme")), "difficulty", "easy"),
        (dumps(dict(GOOD, sql_gol="x")), "sql_gol", "unknown field"),
        (dumps(dict(GOOD, id="ap-001")), "id", "duplicate id 'ap-001' (first on line 1)"),
        (dumps(dict(GOOD, id="x", kind="unanswerable")), None, "UNANSWERABLE"),
        (dumps(dict(GOOD, id="x", sql_gold="   ")), "sql_gold", "blank"),
        (dumps(dict(GOOD, id="x", alt_sql_gold="SELECT 1")), "alt_sql_gold", "list"),
        (b'{"id": "x", "question": ', None, "not valid JSON"),
        (b"[1, 2]", None, "expected a JSON object"),
        (b"\xff\xfe", None, "not valid UTF-8"),
        (b'{"id": "x\x00"}', None, "NUL"),
    ],
)
def test_each_kind_of_damage_names_file_line_and_field(tmp_path, line2, field, needle):
    path = write_lines(tmp_path / "broken.jsonl", [dumps(GOOD), line2])
    with pytest.raises(InputError) as info:
        load_eval_set(path)
    err = info.value
    assert err.path == str(path)
    assert err.line == 2
    if field:
        assert err.field == field
    assert needle in err.message
    assert err.render().startswith(f"{path}:2:")


def test_empty_and_unreadable_files(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(InputError, match="contains no examples"):
        load_eval_set(empty)
    with pytest.raises(InputError, match="cannot read"):
        load_eval_set(tmp_path / "absent.jsonl")


def test_predictions_keep_extra_fields_and_refuse_duplicates(tmp_path):
    path = write_lines(tmp_path / "p.jsonl", [dumps({"id": "a", "sql": "SELECT 1", "ms": 12})])
    preds = load_predictions(path)
    assert preds["a"].sql == "SELECT 1" and preds["a"].model_extra == {"ms": 12}
    path = write_lines(tmp_path / "d.jsonl", [dumps({"id": "a", "sql": "x"}),
                                              dumps({"id": "a", "sql": "y"})])
    with pytest.raises(InputError, match="duplicate id") as info:
        load_predictions(path)
    assert info.value.line == 2


@given(st.binary(max_size=200))
def test_arbitrary_bytes_either_load_or_fail_with_an_input_error(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("fuzz") / "p.jsonl"
    path.write_bytes(blob)
    try:
        load_predictions(path)
    except InputError as err:
        assert err.path == str(path)
        assert err.line is None or err.line >= 1


@pytest.mark.parametrize(("line", "column"), [
    (b'{"id": "a",', 12),           # cut after a comma: the record just stops
    (b'{"id": "a", "sql": ', 20),
    (b'{"id": "a"} x', 13),          # extra data: where it starts
])
def test_broken_json_names_the_real_column(tmp_path, line, column):
    path = write_lines(tmp_path / "p.jsonl", [dumps({"id": "z", "sql": "SELECT 1"}), line])
    with pytest.raises(InputError) as caught:
        load_predictions(path)
    assert f"{path}:2:" in str(caught.value) and f"(column {column}" in str(caught.value)
    crlf = tmp_path / "crlf.jsonl"
    crlf.write_bytes(line + b"\r\n")
    with pytest.raises(InputError, match=rf"\(column {column}"):
        load_predictions(crlf)


def test_a_runaway_answer_loads_and_an_engine_error_needs_no_sql(tmp_path):
    runaway = "SELECT '" + "x" * 2_000_000 + "' FROM DUAL"
    path = write_lines(tmp_path / "p.jsonl", [
        dumps({"id": "a", "sql": runaway}),
        dumps({"id": "b", "engine_error": "HTTP 503 after 6 attempts"})])
    loaded = load_predictions(path)
    assert loaded["a"].sql == runaway and loaded["b"].engine_error.startswith("HTTP 503")
    neither = write_lines(tmp_path / "n.jsonl", [dumps({"id": "a"})])
    with pytest.raises(InputError, match=r"n\.jsonl:1: .*needs `sql`"):
        load_predictions(neither)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n\r\x00"),
               max_size=30), st.integers(1, 200), st.integers(1, 3))
def test_a_record_cut_short_is_reported_on_its_line_within_it(tmp_path_factory, sql, cut, line):
    record = json.dumps({"id": "x", "sql": sql}, ensure_ascii=False)
    cut = min(cut, len(record) - 1)
    lines = [dumps({"id": f"ok-{n}", "sql": "SELECT 1"}) for n in range(line - 1)]
    path = tmp_path_factory.mktemp("cut") / "p.jsonl"
    write_lines(path, [*lines, record[:cut].encode()])
    with pytest.raises(InputError) as caught:
        load_predictions(path)
    assert caught.value.line == line
    message = caught.value.message
    if "not valid JSON" in message:
        column = int(message.split("(column ")[1].split(")")[0].split(":")[0])
        assert 1 <= column <= cut + 1
        if "Unterminated string" not in message and "escape" not in message:
            # A prefix of valid JSON breaks where it stops: the column after its last character.
            assert column == cut + 1 and "cut short" in message, message
