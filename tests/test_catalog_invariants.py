"""The EBS invariants the catalog declares beyond its constraints (`same:` on a foreign key: a
child row shares these columns with the parent row it references) hold on every instance the
data generator builds, and a wrong declaration is refused with its file, line and field.

The mutant prover treats a declared `same` as a fact of every database the catalog allows, so
a declaration the generator does not keep would let it call a killable mutant equivalent."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from harness.inputs.catalog import DEFAULT_CATALOG_DIR, CatalogError, load_catalog


def _declared(catalog):
    return [(table, fk, column) for table, fk in catalog.join_edges() for column in fk.same]


def test_the_multi_org_inheritance_is_declared(catalog):
    """The document hierarchies the golds join on carry ORG_ID from header to child."""
    inherits = {(t, fk.references) for t, fk, c in _declared(catalog) if c == "ORG_ID"}
    for pair in [("PO_LINES_ALL", "PO_HEADERS_ALL"), ("AP_PAYMENT_SCHEDULES_ALL", "AP_INVOICES_ALL"),
                 ("AP_INVOICE_PAYMENTS_ALL", "AP_INVOICES_ALL"),
                 ("RA_CUSTOMER_TRX_LINES_ALL", "RA_CUSTOMER_TRX_ALL"),
                 ("AR_RECEIVABLE_APPLICATIONS_ALL", "AR_CASH_RECEIPTS_ALL")]:
        assert pair in inherits


def test_every_declared_inheritance_holds_on_every_instance(catalog, suite):
    declared = _declared(catalog)
    assert declared
    matched: dict[tuple[str, str, str], int] = {}
    for instance in suite:
        con = duckdb.connect(str(instance.path), read_only=True)
        try:
            for table, fk, column in declared:
                on = " AND ".join(f"c.{a} = p.{b}"
                                  for a, b in zip(fk.columns, fk.ref_columns, strict=True))
                rows, broken = con.execute(
                    f"SELECT COUNT(*), COUNT(*) FILTER (WHERE c.{column} IS DISTINCT FROM "
                    f"p.{column}) FROM {table} c JOIN {fk.references} p ON {on}").fetchone()
                assert broken == 0, (f"{instance.path.name}: {broken} rows of {table} differ "
                                     f"from their {fk.references} on {column}")
                key = (table, ",".join(fk.columns), column)
                matched[key] = matched.get(key, 0) + rows
        finally:
            con.close()
    # each declaration is exercised: some child row finds its parent on some instance
    assert [k for k, rows in matched.items() if rows == 0] == []


def _catalog_copy(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """The shipped catalog with one text replaced in po.yaml; the line it is on."""
    directory = tmp_path / "ebs"
    shutil.copytree(DEFAULT_CATALOG_DIR, directory)
    path = directory / "catalog" / "po.yaml"
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))
    return path, text[:text.index(old)].count("\n") + 1


@pytest.mark.parametrize("old, new, expected", [
    ("references: PO_HEADERS_ALL, ref_columns: [PO_HEADER_ID], same: [ORG_ID]}\n"
     "      - {columns: [ITEM_ID]",
     "references: PO_HEADERS_ALL, ref_columns: [PO_HEADER_ID], same: [ORG_ID, AMOUNT]}\n"
     "      - {columns: [ITEM_ID]",
     "same: column AMOUNT must be a column of both PO_LINES_ALL and PO_HEADERS_ALL"),
    ("references: PO_HEADERS_ALL, ref_columns: [PO_HEADER_ID], same: [ORG_ID]}\n"
     "      - {columns: [ITEM_ID]",
     "references: PO_HEADERS_ALL, ref_columns: [PO_HEADER_ID], same: [PO_HEADER_ID]}\n"
     "      - {columns: [ITEM_ID]",
     "same: column PO_HEADER_ID must be a column of both"),
    ("{columns: [ITEM_ID], references: MTL_SYSTEM_ITEMS_B, ref_columns: [INVENTORY_ITEM_ID],",
     "{columns: [ITEM_ID], references: MTL_SYSTEM_ITEMS_B, ref_columns: [INVENTORY_ITEM_ID], "
     "same: [LAST_UPDATE_DATE],",
     "same: needs ref_columns to be a primary or unique key of MTL_SYSTEM_ITEMS_B"),
])
def test_a_wrong_declaration_names_file_line_and_field(tmp_path, old, new, expected):
    path, line = _catalog_copy(tmp_path, old, new)
    with pytest.raises(CatalogError) as caught:
        load_catalog(path.parent.parent)
    error = caught.value
    assert expected in error.message
    assert error.path == str(path)
    assert error.line == line
    assert error.field is not None and ".same" in error.field


# EBS invariants the survivor review (fixtures/golden/equivalent_mutants.yaml) relies on where the
# catalog cannot declare them: each query counts the rows that break it and the rows it speaks
# about. A review entry names its invariant here; an instance that breaks one would make that
# entry's mutant killable legal data, so the entry would be wrong.
REVIEW_INVARIANTS = {
    # Payables sets all scheduled payments of a cancelled invoice to zero (Payables User Guide,
    # Cancelling Invoices).
    "ap_cancelled_invoice_owes_nothing":
        "SELECT COUNT(*) FILTER (WHERE ps.AMOUNT_REMAINING <> 0), COUNT(*) "
        "FROM AP_PAYMENT_SCHEDULES_ALL ps JOIN AP_INVOICES_ALL i ON i.INVOICE_ID = ps.INVOICE_ID "
        "WHERE i.CANCELLED_DATE IS NOT NULL",
    # The cancellation writes CANCELLED_BY and CANCELLED_DATE in one update.
    "ap_cancelled_by_with_date":
        "SELECT COUNT(*) FILTER (WHERE (CANCELLED_BY IS NULL) <> (CANCELLED_DATE IS NULL)), "
        "COUNT(*) FILTER (WHERE CANCELLED_DATE IS NOT NULL) FROM AP_INVOICES_ALL",
    # EBS end-dates users and never deletes them.
    "ap_cancelled_by_is_a_user":
        "SELECT COUNT(*) FILTER (WHERE u.USER_ID IS NULL), COUNT(*) FROM AP_INVOICES_ALL i "
        "LEFT JOIN FND_USER u ON u.USER_ID = i.CANCELLED_BY WHERE i.CANCELLED_BY IS NOT NULL",
    # Receivables closes (CL) every item whose AMOUNT_DUE_REMAINING is 0 and only those.
    "ar_closed_exactly_when_nothing_remains":
        "SELECT COUNT(*) FILTER (WHERE STATUS NOT IN ('OP', 'CL') "
        "OR (STATUS = 'CL') <> (AMOUNT_DUE_REMAINING = 0)), COUNT(*) FILTER (WHERE STATUS = 'CL') "
        "FROM AR_PAYMENT_SCHEDULES_ALL",
    # A receipt without a customer is UNID; entering the customer makes it UNAPP.
    "ar_unapplied_receipt_has_a_customer":
        "SELECT COUNT(*) FILTER (WHERE PAY_FROM_CUSTOMER IS NULL), COUNT(*) "
        "FROM AR_CASH_RECEIPTS_ALL WHERE STATUS = 'UNAPP'",
    # TCA keeps one primary site use of each purpose per account and operating unit
    # (My Oracle Support Doc 2628271.1); checked here on the active ones the review needs.
    "ar_one_primary_site_use_per_purpose":
        "SELECT COUNT(*) FILTER (WHERE n > 1), COUNT(*) FROM (SELECT s.CUST_ACCOUNT_ID, "
        "u.ORG_ID, u.SITE_USE_CODE, COUNT(*) AS n FROM HZ_CUST_SITE_USES_ALL u "
        "JOIN HZ_CUST_ACCT_SITES_ALL s ON s.CUST_ACCT_SITE_ID = u.CUST_ACCT_SITE_ID "
        "WHERE u.PRIMARY_FLAG = 'Y' AND u.STATUS = 'A' "
        "GROUP BY s.CUST_ACCOUNT_ID, u.ORG_ID, u.SITE_USE_CODE)",
    # Purchasing's submission check approves no standard order without lines and no line
    # without a shipment (Purchasing User's Guide, Document Submission Checks); a shipment
    # carries its order's ORG_ID.
    "po_approved_standard_order_has_a_shipment":
        "SELECT COUNT(*) FILTER (WHERE s.n IS NULL), COUNT(*) FROM PO_HEADERS_ALL h LEFT JOIN "
        "(SELECT PO_HEADER_ID, ORG_ID, COUNT(*) AS n FROM PO_LINE_LOCATIONS_ALL "
        "GROUP BY PO_HEADER_ID, ORG_ID) s ON s.PO_HEADER_ID = h.PO_HEADER_ID "
        "AND s.ORG_ID = h.ORG_ID "
        "WHERE h.TYPE_LOOKUP_CODE = 'STANDARD' AND h.AUTHORIZATION_STATUS = 'APPROVED'",
    # An employee may hold several assignments but one is the primary one (HRMS User's Guide,
    # Using Multiple Assignments); DateTrack versions of one assignment never overlap. Broken:
    # two primary employee assignment rows of one person in effect on a common day.
    "hr_one_primary_employee_assignment_per_day":
        "SELECT (SELECT COUNT(*) FROM PER_ALL_ASSIGNMENTS_F a JOIN PER_ALL_ASSIGNMENTS_F b "
        "ON a.PERSON_ID = b.PERSON_ID AND NOT (a.ASSIGNMENT_ID = b.ASSIGNMENT_ID "
        "AND a.EFFECTIVE_START_DATE = b.EFFECTIVE_START_DATE) "
        "AND a.EFFECTIVE_START_DATE <= b.EFFECTIVE_END_DATE "
        "AND b.EFFECTIVE_START_DATE <= a.EFFECTIVE_END_DATE "
        "WHERE a.PRIMARY_FLAG = 'Y' AND b.PRIMARY_FLAG = 'Y' AND a.ASSIGNMENT_TYPE = 'E' "
        "AND b.ASSIGNMENT_TYPE = 'E'), "
        "(SELECT COUNT(*) FROM PER_ALL_ASSIGNMENTS_F WHERE PRIMARY_FLAG = 'Y' "
        "AND ASSIGNMENT_TYPE = 'E')",
    # Items are defined in the item master and assigned from it, their number (SEGMENT1)
    # controlled at the master level (Inventory User's Guide, Defining Items); Vision's master
    # is M1 (207) for every organization.
    "inv_item_defined_in_master_org":
        "SELECT COUNT(*) FILTER (WHERE m.INVENTORY_ITEM_ID IS NULL "
        "OR p.MASTER_ORGANIZATION_ID <> 207), COUNT(*) FROM MTL_SYSTEM_ITEMS_B i "
        "JOIN MTL_PARAMETERS p ON p.ORGANIZATION_ID = i.ORGANIZATION_ID "
        "LEFT JOIN MTL_SYSTEM_ITEMS_B m ON m.INVENTORY_ITEM_ID = i.INVENTORY_ITEM_ID "
        "AND m.ORGANIZATION_ID = p.MASTER_ORGANIZATION_ID "
        "AND m.SEGMENT1 IS NOT DISTINCT FROM i.SEGMENT1",
    # Posting writes POSTED_DATE in the update that sets STATUS 'P'; GL never unposts.
    "gl_posted_date_only_when_posted":
        "SELECT COUNT(*) FILTER (WHERE STATUS <> 'P'), COUNT(*) FROM GL_JE_HEADERS "
        "WHERE POSTED_DATE IS NOT NULL",
    # Posting refuses a journal without lines (batch status Error7, "invalid journal entry
    # lines or no journal entry lines"), and GL never unposts: a posted journal has lines.
    "gl_posted_journal_has_lines":
        "SELECT COUNT(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM GL_JE_LINES l "
        "WHERE l.JE_HEADER_ID = h.JE_HEADER_ID)), COUNT(*) FROM GL_JE_HEADERS h "
        "WHERE h.STATUS = 'P'",
    # PREVIOUS_CUSTOMER_TRX_ID is the invoice a credit memo credits (Receivables TRM); a
    # credit memo is a transaction whose type has class CM.
    "ar_previous_transaction_only_on_a_credit_memo":
        "SELECT COUNT(*) FILTER (WHERE t.TYPE IS DISTINCT FROM 'CM'), COUNT(*) "
        "FROM RA_CUSTOMER_TRX_ALL r LEFT JOIN RA_CUST_TRX_TYPES_ALL t "
        "ON t.CUST_TRX_TYPE_ID = r.CUST_TRX_TYPE_ID AND t.ORG_ID = r.ORG_ID "
        "WHERE r.PREVIOUS_CUSTOMER_TRX_ID IS NOT NULL",
    # DateTrack: a version is in effect from its start day through its end day.
    "hr_version_ends_after_it_starts":
        "SELECT COUNT(*) FILTER (WHERE EFFECTIVE_END_DATE < EFFECTIVE_START_DATE), COUNT(*) "
        "FROM PER_ALL_PEOPLE_F",
    # DateTrack changes take effect from the start of a day: effective dates carry no time.
    "hr_effective_dates_are_days":
        "SELECT COUNT(*) FILTER (WHERE EFFECTIVE_START_DATE <> CAST(EFFECTIVE_START_DATE AS DATE) "
        "OR EFFECTIVE_END_DATE <> CAST(EFFECTIVE_END_DATE AS DATE)), COUNT(*) "
        "FROM PER_ALL_PEOPLE_F",
    # HR numbers every employee; CURRENT_EMPLOYEE_FLAG marks an employee version.
    "hr_current_employee_has_a_number":
        "SELECT COUNT(*) FILTER (WHERE EMPLOYEE_NUMBER IS NULL), COUNT(*) "
        "FROM PER_ALL_PEOPLE_F WHERE CURRENT_EMPLOYEE_FLAG = 'Y'",
    # DateTrack ends a version the day before the next starts, and no HR process end-dates a
    # person: a terminated employee becomes an ex-employee and the records remain (Oracle HRMS
    # User's Guide, Ending Employment). Broken: a gap between two versions of a person, or a
    # person whose last version ends before 4712-12-31.
    "hr_person_versions_reach_the_end_of_time":
        "SELECT COUNT(*) FILTER (WHERE last_end <> DATE '4712-12-31' OR gaps > 0), COUNT(*) "
        "FROM (SELECT PERSON_ID, MAX(EFFECTIVE_END_DATE) AS last_end, COUNT(*) FILTER (WHERE "
        "next_start <> EFFECTIVE_END_DATE + INTERVAL 1 DAY) AS gaps FROM (SELECT PERSON_ID, "
        "EFFECTIVE_END_DATE, LEAD(EFFECTIVE_START_DATE) OVER (PARTITION BY PERSON_ID "
        "ORDER BY EFFECTIVE_START_DATE) AS next_start FROM PER_ALL_PEOPLE_F) GROUP BY PERSON_ID)",
}


def test_review_invariants_hold_on_every_instance(suite):
    spoken_about = dict.fromkeys(REVIEW_INVARIANTS, 0)
    for instance in suite:
        con = duckdb.connect(str(instance.path), read_only=True)
        try:
            for name, query in REVIEW_INVARIANTS.items():
                broken, rows = con.execute(query).fetchone()
                assert broken == 0, f"{instance.path.name}: {broken} rows break {name}"
                spoken_about[name] += rows
        finally:
            con.close()
    # each invariant is exercised: some instance holds rows it constrains
    assert [name for name, rows in spoken_about.items() if rows == 0] == []


def test_every_invariant_a_review_entry_names_is_checked():
    from harness.authoring.mutation_score import load_equivalents

    named = {word.strip("()., ") for e in load_equivalents() for word in e.reason.split()
             if word.strip("()., ").startswith(("ap_", "ar_", "po_", "gl_", "hr_", "inv_"))
             and "test_" not in word}
    assert named, "the review names no invariant: the check below would hold vacuously"
    assert named <= set(REVIEW_INVARIANTS), named - set(REVIEW_INVARIANTS)
