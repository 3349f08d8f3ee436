"""Tests of harness.sql.refs: table/column resolution against a schema, and the MOAC rule."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.sql.parse import parse_single
from harness.sql.refs import References, moac_violations, references

SCHEMA = {
    "AP_SUPPLIERS": frozenset(
        {"VENDOR_ID", "VENDOR_NAME", "SEGMENT1", "VENDOR_TYPE_LOOKUP_CODE", "ENABLED_FLAG"}
    ),
    "AP_INVOICES_ALL": frozenset(
        {"INVOICE_ID", "VENDOR_ID", "ORG_ID", "INVOICE_NUM", "INVOICE_AMOUNT", "AMOUNT_PAID"}
    ),
    "AP_PAYMENT_SCHEDULES_ALL": frozenset({"INVOICE_ID", "ORG_ID", "AMOUNT_REMAINING"}),
    "PO_HEADERS_ALL": frozenset({"PO_HEADER_ID", "VENDOR_ID", "ORG_ID", "SEGMENT1", "AGENT_ID"}),
    "HR_OPERATING_UNITS": frozenset({"ORGANIZATION_ID", "NAME"}),
}
STRIPED = frozenset({"AP_INVOICES_ALL", "AP_PAYMENT_SCHEDULES_ALL", "PO_HEADERS_ALL"})


def refs(sql: str) -> References:
    return references(parse_single(sql), SCHEMA)


def cols(*pairs: str) -> frozenset[tuple[str, str]]:
    return frozenset(tuple(pair.split(".")) for pair in pairs)


# --- tables -----------------------------------------------------------------------------------


def test_owner_is_dropped_and_names_are_upper_case():
    result = refs("SELECT vendor_name FROM apps.ap_suppliers")
    assert result.tables == {"AP_SUPPLIERS"}
    assert result.columns == cols("AP_SUPPLIERS.VENDOR_NAME")
    assert not (result.unknown_tables or result.unknown_columns or result.ambiguous_columns)


@pytest.mark.parametrize("owner", ["APPS", "AP", "po", "Apps"])
def test_any_owner_prefix_names_the_same_table(owner):
    assert refs(f"SELECT vendor_id FROM {owner}.ap_suppliers").tables == {"AP_SUPPLIERS"}


def test_hallucinated_table_is_unknown_and_its_columns_are_not_judged():
    result = refs(
        "SELECT x.a, s.vendor_name FROM xx_vendor_master x, ap_suppliers s"
        " WHERE s.vendor_id = x.vendor_id AND c = 1"
    )
    assert result.tables == {"XX_VENDOR_MASTER", "AP_SUPPLIERS"}
    assert result.unknown_tables == {"XX_VENDOR_MASTER"}
    assert result.columns == cols("AP_SUPPLIERS.VENDOR_NAME", "AP_SUPPLIERS.VENDOR_ID")
    assert not result.unknown_columns


def test_cte_and_inline_view_names_are_not_tables():
    result = refs(
        "WITH v AS (SELECT vendor_id FROM ap_suppliers)"
        " SELECT w.vendor_id FROM (SELECT vendor_id FROM v) w"
    )
    assert result.tables == {"AP_SUPPLIERS"}
    assert result.columns == cols("AP_SUPPLIERS.VENDOR_ID")


def test_dual_is_built_in():
    result = refs("SELECT SYSDATE, dummy FROM dual")
    assert result == References(frozenset(), frozenset(), frozenset(), frozenset(), frozenset())
    assert refs("SELECT nothing FROM dual").unknown_columns == {("DUAL", "NOTHING")}


# --- columns ----------------------------------------------------------------------------------


def test_aliases_resolve_to_their_tables():
    result = refs(
        "SELECT s.vendor_name, i.invoice_num FROM ap_suppliers s"
        " JOIN ap_invoices_all i ON i.vendor_id = s.vendor_id"
    )
    assert result.columns == cols(
        "AP_SUPPLIERS.VENDOR_NAME",
        "AP_SUPPLIERS.VENDOR_ID",
        "AP_INVOICES_ALL.INVOICE_NUM",
        "AP_INVOICES_ALL.VENDOR_ID",
    )


def test_unqualified_columns_resolve_by_unique_membership():
    result = refs(
        "SELECT vendor_name, invoice_num FROM ap_suppliers s, ap_invoices_all i"
        " WHERE s.vendor_id = i.vendor_id AND org_id = 204"
    )
    assert cols("AP_SUPPLIERS.VENDOR_NAME", "AP_INVOICES_ALL.INVOICE_NUM") <= result.columns
    assert ("AP_INVOICES_ALL", "ORG_ID") in result.columns
    assert not result.ambiguous_columns


def test_column_in_several_from_items_is_ambiguous():
    result = refs("SELECT vendor_id FROM ap_suppliers s, ap_invoices_all i")
    assert result.ambiguous_columns == {"VENDOR_ID"}
    assert not result.columns


def test_using_and_natural_join_columns_are_not_ambiguous():
    result = refs(
        "SELECT vendor_name FROM ap_suppliers JOIN ap_invoices_all USING (vendor_id)"
        " WHERE vendor_id > 10"
    )
    assert not result.ambiguous_columns
    assert cols("AP_SUPPLIERS.VENDOR_ID", "AP_INVOICES_ALL.VENDOR_ID") <= result.columns
    natural = refs("SELECT vendor_id FROM ap_suppliers NATURAL JOIN ap_invoices_all")
    assert not natural.ambiguous_columns


def test_hallucinated_column_of_a_real_table():
    assert refs("SELECT vendor_nam FROM ap_suppliers").unknown_columns == {
        ("AP_SUPPLIERS", "VENDOR_NAM")
    }
    assert refs("SELECT s.invoice_num FROM ap_suppliers s").unknown_columns == {
        ("AP_SUPPLIERS", "INVOICE_NUM")
    }


def test_unqualified_unknown_column_among_several_tables_has_no_table():
    result = refs("SELECT payment_terms FROM ap_suppliers s, ap_invoices_all i")
    assert result.unknown_columns == {(None, "PAYMENT_TERMS")}


def test_nonexistent_alias_is_an_unknown_column():
    assert refs("SELECT z.vendor_name FROM ap_suppliers s").unknown_columns == {
        (None, "VENDOR_NAME")
    }
    # Once aliased, the table name no longer qualifies its columns (ORA-00904).
    assert refs("SELECT ap_suppliers.vendor_name FROM ap_suppliers s").unknown_columns == {
        (None, "VENDOR_NAME")
    }
    assert refs("SELECT q.* FROM ap_suppliers s").unknown_columns == {(None, "*")}


def test_fully_qualified_column():
    result = refs("SELECT apps.ap_suppliers.vendor_name FROM apps.ap_suppliers")
    assert result.columns == cols("AP_SUPPLIERS.VENDOR_NAME")


def test_quoted_identifiers_are_case_sensitive():
    result = refs('SELECT "vendor_id", "VENDOR_NAME" FROM ap_suppliers')
    assert result.unknown_columns == {("AP_SUPPLIERS", "vendor_id")}
    assert result.columns == cols("AP_SUPPLIERS.VENDOR_NAME")
    assert refs('SELECT 1 FROM "ap_suppliers"').unknown_tables == {"ap_suppliers"}


def test_pseudo_columns_are_not_references():
    result = refs(
        "SELECT ROWNUM, ROWID, s.ROWID, LEVEL, SYSDATE, SYSTIMESTAMP, USER, UID, NULL"
        " FROM ap_suppliers s WHERE ROWNUM <= 5 CONNECT BY PRIOR vendor_id = segment1"
    )
    assert not result.unknown_columns
    assert result.columns == cols("AP_SUPPLIERS.VENDOR_ID", "AP_SUPPLIERS.SEGMENT1")


def test_select_alias_in_order_by_is_not_a_column():
    result = refs("SELECT invoice_amount amt FROM ap_invoices_all ORDER BY amt DESC")
    assert result.columns == cols("AP_INVOICES_ALL.INVOICE_AMOUNT")
    assert not result.unknown_columns


def test_order_by_of_a_set_operation_names_first_branch_columns():
    result = refs(
        "SELECT vendor_name AS n FROM ap_suppliers UNION SELECT segment1 FROM po_headers_all"
        " ORDER BY n"
    )
    assert result.columns == cols("AP_SUPPLIERS.VENDOR_NAME", "PO_HEADERS_ALL.SEGMENT1")
    assert not result.unknown_columns


def test_cte_columns_come_from_its_select_list():
    result = refs(
        "WITH totals AS (SELECT vendor_id v, SUM(invoice_amount) total FROM ap_invoices_all"
        " GROUP BY vendor_id)"
        " SELECT s.vendor_name, t.total, t.missing FROM totals t"
        " JOIN ap_suppliers s ON s.vendor_id = t.v"
    )
    assert result.columns == cols(
        "AP_INVOICES_ALL.VENDOR_ID",
        "AP_INVOICES_ALL.INVOICE_AMOUNT",
        "AP_SUPPLIERS.VENDOR_NAME",
        "AP_SUPPLIERS.VENDOR_ID",
    )
    assert result.unknown_columns == {("T", "MISSING")}


def test_cte_column_list_renames_its_outputs():
    result = refs(
        "WITH c (a, b) AS (SELECT vendor_id, vendor_name FROM ap_suppliers)"
        " SELECT a, b, vendor_id FROM c"
    )
    assert result.unknown_columns == {("C", "VENDOR_ID")}


def test_inline_view_with_star_resolves_to_base_columns():
    result = refs(
        "SELECT x.vendor_name FROM (SELECT * FROM ap_suppliers) x"
        " WHERE x.segment1 = '1' AND x.bogus = 1"
    )
    assert result.columns == cols("AP_SUPPLIERS.VENDOR_NAME", "AP_SUPPLIERS.SEGMENT1")
    assert result.unknown_columns == {("X", "BOGUS")}


def test_star_adds_no_columns():
    assert refs("SELECT * FROM ap_suppliers").columns == frozenset()
    assert refs("SELECT s.* FROM ap_suppliers s").unknown_columns == frozenset()


def test_correlated_subquery_columns_resolve_to_the_outer_block():
    result = refs(
        "SELECT s.vendor_name FROM ap_suppliers s WHERE EXISTS ("
        " SELECT 1 FROM ap_invoices_all i WHERE i.vendor_id = s.vendor_id"
        " AND vendor_name IS NOT NULL AND segment1 = '7')"
    )
    assert result.columns == cols(
        "AP_SUPPLIERS.VENDOR_NAME",
        "AP_SUPPLIERS.VENDOR_ID",
        "AP_SUPPLIERS.SEGMENT1",
        "AP_INVOICES_ALL.VENDOR_ID",
    )
    assert not result.unknown_columns


def test_inner_block_wins_over_outer_for_unqualified_columns():
    result = refs(
        "SELECT s.vendor_name FROM ap_suppliers s WHERE s.vendor_id IN ("
        " SELECT vendor_id FROM ap_invoices_all)"
    )
    assert ("AP_INVOICES_ALL", "VENDOR_ID") in result.columns
    assert not result.ambiguous_columns


def test_inline_view_cannot_see_the_outer_block():
    result = refs(
        "SELECT s.vendor_name FROM ap_suppliers s,"
        " (SELECT i.invoice_id FROM ap_invoices_all i WHERE i.vendor_id = s.vendor_id) v"
    )
    assert (None, "VENDOR_ID") in result.unknown_columns


def test_scalar_subquery_in_select_list():
    result = refs(
        "SELECT s.vendor_name, (SELECT COUNT(*) FROM ap_invoices_all i"
        " WHERE i.vendor_id = s.vendor_id) n FROM ap_suppliers s"
    )
    assert result.columns == cols(
        "AP_SUPPLIERS.VENDOR_NAME", "AP_SUPPLIERS.VENDOR_ID", "AP_INVOICES_ALL.VENDOR_ID"
    )


def test_oracle_outer_join_marker():
    result = refs(
        "SELECT s.vendor_name FROM ap_suppliers s, ap_invoices_all i"
        " WHERE s.vendor_id = i.vendor_id(+)"
    )
    assert ("AP_INVOICES_ALL", "VENDOR_ID") in result.columns


# --- properties: spelling does not change what is referenced ----------------------------------

TEMPLATE = (
    "SELECT {s}.vendor_name, {i}.invoice_num, amount_paid"
    " FROM apps.ap_suppliers {s} JOIN ap_invoices_all {i} ON {i}.vendor_id = {s}.vendor_id"
    " WHERE {i}.org_id = 204 AND EXISTS (SELECT 1 FROM po_headers_all {p}"
    " WHERE {p}.vendor_id = {s}.vendor_id AND {p}.org_id = {i}.org_id AND {p}.bogus = 1)"
    " ORDER BY {s}.vendor_name"
)
EXPECTED = refs(TEMPLATE.format(s="s", i="i", p="p"))

# Alias names that no dialect reads as a keyword: letters then digits.
ALIAS = st.from_regex(r"[a-z]{1,3}[0-9]{1,3}", fullmatch=True)


@st.composite
def aliases(draw):
    names = draw(st.lists(ALIAS, min_size=3, max_size=3, unique_by=str.upper))
    # Unquoted identifiers are case-insensitive: each use may be spelled differently.
    return [draw(st.sampled_from([n, n.upper(), n.capitalize()])) for n in names]


@settings(max_examples=60)
@given(aliases())
def test_renaming_aliases_keeps_the_references(names):
    s, i, p = names
    assert refs(TEMPLATE.format(s=s, i=i, p=p)) == EXPECTED
    assert moac_violations(parse_single(TEMPLATE.format(s=s, i=i, p=p)), STRIPED) == frozenset()


def test_template_expectation():
    assert EXPECTED.unknown_columns == {("PO_HEADERS_ALL", "BOGUS")}
    assert ("AP_INVOICES_ALL", "AMOUNT_PAID") in EXPECTED.columns


GAPS = st.sampled_from([" ", "  ", "\n", "\t", " /* note */ ", "\n-- note\n", "/**/"])


@settings(max_examples=60)
@given(st.data())
def test_whitespace_and_comments_keep_the_references(data):
    words = TEMPLATE.format(s="s", i="i", p="p").replace("ORDER BY", "ORDER_BY").split(" ")
    sql = "".join(word + data.draw(GAPS) for word in words).replace("ORDER_BY", "ORDER BY")
    assert refs(sql) == EXPECTED


# --- MOAC -------------------------------------------------------------------------------------

MOAC_CASES = [
    # (query, striped tables without an ORG_ID restriction)
    ("SELECT * FROM ap_invoices_all", {"AP_INVOICES_ALL"}),
    ("SELECT * FROM ap_suppliers", set()),
    ("SELECT * FROM ap_invoices_all WHERE org_id = 204", set()),
    ("SELECT * FROM apps.ap_invoices_all i WHERE i.org_id IN (204, 458)", set()),
    ("SELECT * FROM ap_invoices_all i WHERE i.org_id = :org_id", set()),
    ("SELECT * FROM ap_invoices_all i WHERE i.org_id = TO_NUMBER(:p_org)", set()),
    ("SELECT * FROM ap_invoices_all i WHERE 204 = i.org_id AND i.vendor_id = 1", set()),
    ("SELECT * FROM ap_invoices_all i WHERE (i.org_id = 204 OR i.org_id = 458)", set()),
    (
        "SELECT * FROM ap_invoices_all i WHERE i.org_id = 204 OR i.vendor_id = 1",
        {"AP_INVOICES_ALL"},
    ),
    ("SELECT * FROM ap_invoices_all i WHERE i.org_id > 0", {"AP_INVOICES_ALL"}),
    ("SELECT * FROM ap_invoices_all i WHERE i.org_id = i.org_id", {"AP_INVOICES_ALL"}),
    ("SELECT * FROM ap_invoices_all i WHERE NOT i.org_id = 204", {"AP_INVOICES_ALL"}),
    (
        "SELECT * FROM ap_invoices_all i WHERE i.org_id ="
        " (SELECT organization_id FROM hr_operating_units WHERE name = 'Vision Operations')",
        set(),
    ),
    (
        "SELECT * FROM ap_invoices_all i WHERE i.org_id IN"
        " (SELECT organization_id FROM hr_operating_units)",
        {"AP_INVOICES_ALL"},
    ),
    # joins
    (
        "SELECT * FROM ap_invoices_all i JOIN po_headers_all p"
        " ON p.vendor_id = i.vendor_id AND p.org_id = i.org_id WHERE i.org_id = 204",
        set(),
    ),
    (
        "SELECT * FROM ap_invoices_all i JOIN po_headers_all p ON p.vendor_id = i.vendor_id"
        " WHERE i.org_id = 204",
        {"PO_HEADERS_ALL"},
    ),
    (
        "SELECT * FROM ap_invoices_all i, po_headers_all p WHERE p.org_id = i.org_id",
        {"AP_INVOICES_ALL", "PO_HEADERS_ALL"},
    ),
    (
        "SELECT * FROM ap_invoices_all i INNER JOIN po_headers_all p"
        " ON p.org_id = 204 AND i.org_id = p.org_id",
        set(),
    ),
    (
        "SELECT * FROM ap_invoices_all i LEFT JOIN po_headers_all p ON p.org_id = i.org_id"
        " WHERE i.org_id = 204",
        set(),
    ),
    (
        "SELECT * FROM ap_invoices_all i LEFT JOIN po_headers_all p"
        " ON p.org_id = i.org_id AND i.org_id = 204",
        {"AP_INVOICES_ALL"},
    ),
    (
        "SELECT * FROM ap_invoices_all i FULL JOIN po_headers_all p ON p.org_id = 204"
        " WHERE i.org_id = 204",
        {"PO_HEADERS_ALL"},
    ),
    (
        "SELECT * FROM ap_invoices_all i, po_headers_all p"
        " WHERE p.org_id(+) = i.org_id AND i.org_id = 204",
        set(),
    ),
    (
        "SELECT * FROM ap_invoices_all i, po_headers_all p"
        " WHERE p.org_id = i.org_id(+) AND i.org_id = 204",
        {"PO_HEADERS_ALL"},
    ),
    # subqueries
    (
        "SELECT * FROM ap_suppliers s WHERE EXISTS"
        " (SELECT 1 FROM ap_invoices_all i WHERE i.vendor_id = s.vendor_id)",
        {"AP_INVOICES_ALL"},
    ),
    (
        "SELECT * FROM ap_invoices_all o WHERE o.org_id = 204 AND EXISTS"
        " (SELECT 1 FROM ap_payment_schedules_all p"
        " WHERE p.invoice_id = o.invoice_id AND p.org_id = o.org_id)",
        set(),
    ),
    # CTEs, inline views, set operations
    ("WITH inv AS (SELECT * FROM ap_invoices_all) SELECT * FROM inv WHERE inv.org_id = 204", set()),
    (
        "WITH inv AS (SELECT * FROM ap_invoices_all) SELECT * FROM inv a, inv b"
        " WHERE a.org_id = 204",
        {"AP_INVOICES_ALL"},
    ),
    (
        "WITH inv AS (SELECT invoice_id, org_id ou FROM ap_invoices_all)"
        " SELECT * FROM inv WHERE ou = 204",
        set(),
    ),
    (
        "SELECT * FROM (SELECT i.org_id, i.invoice_id FROM ap_invoices_all i) v"
        " WHERE v.org_id = 204",
        set(),
    ),
    ("SELECT * FROM (SELECT i.invoice_id FROM ap_invoices_all i) v", {"AP_INVOICES_ALL"}),
    (
        "SELECT * FROM (SELECT org_id FROM ap_invoices_all UNION ALL"
        " SELECT org_id FROM po_headers_all) v WHERE v.org_id = 204",
        set(),
    ),
    (
        "SELECT COUNT(*) FROM ap_invoices_all WHERE org_id = 204"
        " UNION ALL SELECT COUNT(*) FROM po_headers_all",
        {"PO_HEADERS_ALL"},
    ),
    (
        "WITH r (n, o) AS (SELECT 1, org_id FROM ap_invoices_all WHERE org_id = 204"
        " UNION ALL SELECT n + 1, o FROM r WHERE n < 3) SELECT * FROM r",
        set(),
    ),
]


@pytest.mark.parametrize(("sql", "expected"), MOAC_CASES)
def test_moac_rule(sql, expected):
    assert moac_violations(parse_single(sql), STRIPED) == expected


@settings(max_examples=60)
@given(aliases(), st.sampled_from(["204", ":org_id", "458"]))
def test_restricting_every_striped_alias_clears_the_violations(names, org):
    i, p, _ = names
    base = (
        f"SELECT {i}.invoice_num FROM ap_invoices_all {i}, po_headers_all {p}"
        f" WHERE {p}.vendor_id = {i}.vendor_id"
    )
    assert moac_violations(parse_single(base), STRIPED) == {"AP_INVOICES_ALL", "PO_HEADERS_ALL"}
    fixed = f"{base} AND {i}.org_id = {org} AND {p}.org_id = {i}.org_id"
    assert moac_violations(parse_single(fixed), STRIPED) == frozenset()
