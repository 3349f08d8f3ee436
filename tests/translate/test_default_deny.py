"""Default deny: whatever is not explicitly verified is refused, and the docs list the rest."""

import re
from pathlib import Path

import pytest

from harness.translate import UnsupportedConstruct, translate
from harness.translate.registry import FUNCTION_HANDLERS

DOC = Path(__file__).resolve().parents[2] / "docs" / "oracle-semantics.md"


@pytest.mark.parametrize(
    "expression",
    [
        "SYS_GUID()", "USERENV('LANG')", "SYS_CONTEXT('USERENV', 'DB_NAME')", "NLS_UPPER('a')",
        "SOUNDEX('a')", "REGEXP_COUNT('aa', 'a')", "BITAND(3, 1)", "WIDTH_BUCKET(1, 0, 10, 5)",
        "NUMTODSINTERVAL(1, 'DAY')", "TO_CLOB('a')", "REMAINDER(5, 3)", "VSIZE('a')",
        "DUMP('a')", "ORA_HASH('a')", "LNNVL(1 = 1)", "EMPTY_CLOB()",
    ],
)
def test_unverified_oracle_functions_are_refused(expression):
    with pytest.raises(UnsupportedConstruct):
        translate(f"SELECT {expression} FROM dual")


@pytest.mark.parametrize(
    "expression",
    ["IFNULL(1, 2)", "DATE_TRUNC('month', SYSDATE)", "STRFTIME(SYSDATE, '%Y')", "NOW()",
     "LEFT('abc', 1)", "LEN('a')", "STRING_AGG('a', ',')", "TRY_CAST('1' AS NUMBER)"],
)
def test_non_oracle_functions_are_refused(expression):
    with pytest.raises(UnsupportedConstruct):
        translate(f"SELECT {expression} FROM dual")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ROWID FROM t", "SELECT USER FROM dual", "SELECT UID FROM dual",
        "SELECT ORA_ROWSCN FROM t", "SELECT my_seq.NEXTVAL FROM dual",
        "SELECT my_seq.CURRVAL FROM dual", "SELECT DBMS_RANDOM.VALUE FROM dual",
        "SELECT LEVEL FROM t", "SELECT x FROM t WHERE y = :b1",
        "SELECT x FROM t AS OF TIMESTAMP SYSDATE - 1",
        "SELECT x FROM TABLE(my_collection)", "SELECT x FROM t, LATERAL (SELECT 1 FROM dual)",
        "SELECT x FROM t CROSS APPLY (SELECT 1 FROM dual)",
    ],
)
def test_pseudocolumns_and_unsupported_sources_are_refused(query):
    with pytest.raises(UnsupportedConstruct):
        translate(query)


def test_every_allow_listed_function_is_documented():
    text = DOC.read_text(encoding="utf-8")
    missing = [name for name in FUNCTION_HANDLERS if name not in text]
    assert not missing, f"allow-listed but not in {DOC.name}: {missing}"


def test_docs_cite_only_existing_tests():
    cited = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        current = None
        for file, name in re.findall(r"`(test_\w+\.py)?::(test_\w+)", line):
            current = file or current
            cited.append((current, name))
    assert cited
    here = Path(__file__).parent
    missing = [
        f"{file}::{name}" for file, name in cited
        if file is None or f"def {name}(" not in (here / file).read_text(encoding="utf-8")
    ]
    assert not missing, missing
