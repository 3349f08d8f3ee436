"""Finding an ordered gold's sort keys, and the runs of tied keys in its result."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.scoring.order_keys import OrderKeys, order_keys, tie_groups


@pytest.mark.parametrize(("sql", "columns"), [
    ("SELECT VENDOR_ID, VENDOR_NAME FROM AP_SUPPLIERS ORDER BY VENDOR_NAME", (1,)),
    ("SELECT VENDOR_ID, VENDOR_NAME AS n FROM AP_SUPPLIERS ORDER BY n DESC, 1", (1, 0)),
    ("SELECT s.VENDOR_ID, s.VENDOR_NAME FROM AP_SUPPLIERS s ORDER BY s.VENDOR_NAME", (1,)),
    ("SELECT VENDOR_ID, COUNT(*) AS c FROM AP_INVOICES_ALL GROUP BY VENDOR_ID "
     "ORDER BY COUNT(*) DESC", (1,)),
    ("SELECT DISTINCT VENDOR_ID, VENDOR_NAME FROM AP_SUPPLIERS ORDER BY 2", (1,)),
    ("SELECT VENDOR_ID FROM AP_SUPPLIERS UNION SELECT VENDOR_ID FROM AP_INVOICES_ALL "
     "ORDER BY VENDOR_ID", (0,)),
])
def test_keys_that_are_output_columns_are_read_from_the_result(sql, columns):
    assert order_keys(sql) == OrderKeys(columns)


def test_other_keys_become_hidden_trailing_columns_of_a_keyed_gold():
    keys = order_keys("SELECT i.INVOICE_ID FROM AP_INVOICES_ALL i "
                      "ORDER BY i.INVOICE_CURRENCY_CODE DESC NULLS LAST, 1")
    assert keys.columns == (1, 0) and keys.hidden == 1
    assert keys.keyed_sql == ("SELECT i.INVOICE_ID, i.INVOICE_CURRENCY_CODE AS "
                              "SQLGATE_ORDER_KEY_1 FROM AP_INVOICES_ALL i "
                              "ORDER BY i.INVOICE_CURRENCY_CODE DESC NULLS LAST, 1")


@pytest.mark.parametrize("sql", [
    "SELECT VENDOR_ID FROM AP_SUPPLIERS",  # no order at all
    "SELECT * FROM (SELECT VENDOR_ID FROM AP_SUPPLIERS ORDER BY 1)",  # not at top level
    # A hidden column would change the rows or cannot be added faithfully: strict order.
    "SELECT DISTINCT VENDOR_ID FROM AP_INVOICES_ALL ORDER BY INVOICE_AMOUNT",
    "SELECT VENDOR_ID FROM AP_SUPPLIERS UNION SELECT VENDOR_ID FROM AP_INVOICES_ALL "
    "ORDER BY VENDOR_NAME",
    "SELECT * FROM AP_SUPPLIERS ORDER BY VENDOR_NAME",
    "SELECT * FROM AP_SUPPLIERS ORDER BY 2",
    "SELECT VENDOR_ID AS x, VENDOR_NAME AS x FROM AP_SUPPLIERS ORDER BY x",  # ambiguous
    "SELECT VENDOR_ID FROM AP_SUPPLIERS ORDER BY 3",  # beyond the select list
])
def test_keys_not_found_faithfully_leave_the_order_strict(sql):
    assert order_keys(sql) is None


def test_runs_are_consecutive_equal_keys_and_a_flag_is_not_a_count():
    rows = [("a", 1), ("b", 1), ("c", 2), ("d", 1), ("e", None), ("f", None), ("g", True)]
    assert tie_groups(rows, (1,)) == (0, 0, 2, 3, 4, 4, 6)
    assert tie_groups([(1,), (1.0,), (True,)], (0,)) == (0, 0, 2)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=12))
def test_runs_of_a_sorted_result_are_its_classes_of_equal_keys(rows):
    rows = sorted(rows)
    labels = tie_groups(rows, (0,))
    assert len(labels) == len(rows)
    for a in range(len(rows)):
        for b in range(len(rows)):
            assert (labels[a] == labels[b]) == (rows[a][0] == rows[b][0])
