"""The issue's examples through the real path: catalog schema, translation, the embedded
instances of the test suite (each fix of issue 17's translator part, end to end)."""

import pytest

QUERY_PAIRS = [
    # Exact NUMBER: two ways to ask for balanced journals must agree (DOUBLE storage: 239 vs
    # 143 of 302 on instance 0).
    ("SELECT je_header_id FROM gl_je_lines GROUP BY je_header_id "
     "HAVING SUM(NVL(accounted_dr, 0)) = SUM(NVL(accounted_cr, 0))",
     "SELECT je_header_id FROM gl_je_lines GROUP BY je_header_id "
     "HAVING SUM(NVL(accounted_dr, 0) - NVL(accounted_cr, 0)) = 0"),
    ("SELECT invoice_id, ROUND(invoice_amount * 1.1, 2) FROM ap_invoices_all",
     "SELECT invoice_id, ROUND(invoice_amount + invoice_amount * 0.1, 2) FROM ap_invoices_all"),
    ("SELECT vendor_id, ROUND(AVG(invoice_amount), 2) FROM ap_invoices_all GROUP BY vendor_id",
     "SELECT vendor_id, ROUND(SUM(invoice_amount) / COUNT(invoice_amount), 2) "
     "FROM ap_invoices_all GROUP BY vendor_id"),
    # Negation: NOT LIKE is NOT (LIKE), never LIKE.
    ("SELECT vendor_id FROM ap_suppliers WHERE vendor_name NOT LIKE 'A%'",
     "SELECT vendor_id FROM ap_suppliers WHERE NOT (vendor_name LIKE 'A%')"),
    # Quantified comparisons: <> ALL (subquery) is NOT IN for a subquery without NULLs.
    ("SELECT vendor_id FROM ap_suppliers WHERE vendor_id <> ALL "
     "(SELECT vendor_id FROM ap_invoices_all WHERE vendor_id IS NOT NULL)",
     "SELECT vendor_id FROM ap_suppliers WHERE vendor_id NOT IN "
     "(SELECT vendor_id FROM ap_invoices_all WHERE vendor_id IS NOT NULL)"),
]


def _rows(backend, sql):
    run = backend.execute(backend.prepare(sql), timeout_s=30)
    assert run.status == "ok", run.error
    return sorted(run.result.rows, key=repr)


@pytest.mark.parametrize(("first", "second"), QUERY_PAIRS)
def test_equivalent_oracle_queries_agree_on_every_instance(backends, first, second):
    for backend in backends:
        assert _rows(backend, first) == _rows(backend, second)


def test_not_like_and_like_split_the_non_null_names(backends):
    for backend in backends:
        like = _rows(backend, "SELECT vendor_id FROM ap_suppliers WHERE vendor_name LIKE 'A%'")
        not_like = _rows(backend,
                         "SELECT vendor_id FROM ap_suppliers WHERE vendor_name NOT LIKE 'A%'")
        named = _rows(backend, "SELECT vendor_id FROM ap_suppliers WHERE vendor_name IS NOT NULL")
        assert not set(like) & set(not_like)
        assert sorted(like + not_like, key=repr) == named
