"""One prediction is read once and walks the stages in order (issue #19).

Counted at sqlglot's parser entry (`Parser.parse`, which `sqlglot.parse`, `parse_one` and
every dialect's `parse` go through), so no parse of any module escapes the count.
"""

import sys
from collections import Counter
from pathlib import Path

import pytest
import sqlglot.parser
from sqlglot.dialects.oracle import Oracle

import harness
from harness.inputs.golden import GoldenExample, Prediction
from harness.scoring.gold_cache import GoldCache
from harness.scoring.scorer import Scorer, ScoringSettings
from harness.sql.dialect import OracleSource
from harness.sql.output import check_output
from harness.sql.parse import OracleText

GOLD = ("SELECT s.VENDOR_NAME FROM AP_SUPPLIERS s WHERE s.VENDOR_ID IN "
        "(SELECT VENDOR_ID FROM AP_INVOICES_ALL) ORDER BY s.VENDOR_NAME")
# (prediction, status): every branch that reads the SQL.
PREDICTIONS = [
    (GOLD, "correct"),
    (GOLD.replace(" IN ", " NOT IN "), "wrong_result"),
    ("SELECT s.VENDOR_NAME FROM AP_SUPPLIERS AS s", "parse_error"),  # ORA-00933
    ("SELECT s.VENDOR_NAME, s.NO_SUCH_COLUMN FROM AP_SUPPLIERS s", "hallucination"),
    ("SELECT * FROM read_csv('x.csv')", "unsafe"),
    ("SELECT COUNT(*) FROM AP_SUPPLIERS GROUP BY", "parse_error"),
    (f"Here is the query:\n```sql\n{GOLD}\n```", "correct"),
    (f"{GOLD};\n/", "correct"),  # SQL*Plus terminator
]


def example():
    return GoldenExample(id="t", question="q", sql_gold=GOLD, domain="AP", difficulty="easy")


@pytest.fixture()
def scorer(catalog, backends, tmp_path):
    scorer = Scorer(catalog, backends, GoldCache(tmp_path), ScoringSettings(timeout_s=5))
    scorer.score(example(), Prediction(id="t", sql=GOLD))  # the gold's reading and results
    return scorer


@pytest.fixture()
def parses(monkeypatch):
    """(dialect class, text) of every sqlglot parse while the test runs."""
    seen: Counter = Counter()
    original = sqlglot.parser.Parser.parse

    def counting(self, raw_tokens, sql=None):
        seen[(type(self.dialect), sql)] += 1
        return original(self, raw_tokens, sql)

    monkeypatch.setattr(sqlglot.parser.Parser, "parse", counting)
    return seen


@pytest.mark.parametrize(("predicted", "status"), PREDICTIONS)
def test_a_scored_prediction_is_parsed_once_in_the_reading_dialect(scorer, parses, predicted,
                                                                    status):
    predicted = f"{predicted}\n-- a text no cache has seen"
    score = scorer.score(example(), Prediction(id="t", sql=predicted))
    parses = Counter(parses)  # what scoring parsed, before this test parses anything itself
    assert score.status == status, score.reason
    answer = OracleText.of(check_output(predicted).sql).text  # as the Oracle parser reads it
    shown = "\n".join(f"{d.__name__} {n} {t!r}" for (d, t), n in parses.items())
    assert parses[(Oracle, answer)] == 1, shown
    # Nothing is parsed twice. What else the Oracle dialect reads is not the answer: the
    # canonical print that exact match checks reads back the same, or the token text it
    # falls back to when the answer does not parse.
    assert all(n == 1 for n in parses.values()), shown
    assert sum(n for (d, _), n in parses.items() if d is Oracle) <= 2, shown
    # The translator's dialect (calls as written) reads the answer at most once for the
    # translation and once per statement for the conformance rule on unknown functions.
    assert sum(n for (d, _), n in parses.items() if d is OracleSource) <= 2, shown


def test_the_walk_enters_sql_translate_backends_then_compare(scorer, parses):
    """First entry of each stage while one prediction is scored: the tree is built in sql/,
    translated in translate/, run by backends/, and its result compared in scoring/."""
    root = Path(harness.__file__).resolve().parent
    stages = {root / "sql": "sql", root / "translate": "translate",
              root / "backends": "backends", root / "scoring" / "compare.py": "compare"}
    first: list[str] = []

    def profile(frame, event, _arg):
        if event != "call":
            return
        path = Path(frame.f_code.co_filename)
        for where, stage in stages.items():
            if stage not in first and (path == where or where in path.parents):
                first.append(stage)

    prediction = Prediction(id="t", sql=f"{GOLD.replace(' IN ', ' NOT IN ')}\n-- traced")
    sys.setprofile(profile)
    try:
        score = scorer.score(example(), prediction)
    finally:
        sys.setprofile(None)
    assert score.status == "wrong_result"
    assert first == ["sql", "translate", "backends", "compare"]
