"""Twins in a role (harness/datagen/role_twins.py): a buyer, customer account, location,
transaction type or department copied with the rows that point at it, so two rows of one name
agree on every aggregate and `SELECT DISTINCT name, COUNT(*) … GROUP BY id, name` (x-004,
x-016, x-019, x-035, x-036, ar-022, inv-017, inv-021, hr-016) returns another result than its
gold."""

from __future__ import annotations

import copy
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.datagen.build import generate
from harness.datagen.context import DatagenError, GenContext, id_blocks
from harness.datagen.recipe import RoleTwin, RoleTwins, load_recipe
from harness.datagen.role_twins import place_role_twins, renumber, takes
from harness.io.errors import InputError
from tests.datagen.test_recipe import _write


@pytest.fixture(scope="module")
def placed(catalog, recipe):
    """(tables before role twins, tables after, original rows copied) of instance 0."""
    plain = recipe.model_copy(update={"role_twins": RoleTwins()})
    before = generate(catalog, plain, recipe.seed(0))
    after = copy.deepcopy(before)
    ctx = GenContext(catalog, recipe, recipe.seed(0), id_blocks(catalog, recipe))
    chosen = place_role_twins(ctx, after, 0)
    return before, after, chosen


def _n(cols) -> int:
    return len(next(iter(cols.values())))


def _rows(cols, where, columns):
    """The multiset of `columns` over the rows where `where` holds."""
    return Counter(tuple(None if v != v else v for v in (cols[c][i] for c in columns))
                   for i in np.flatnonzero(where))


def test_each_role_of_the_instance_copies_its_roots(placed, recipe):
    before, after, chosen = placed
    for role in recipe.role_twins.roles.values():
        grown = _n(after[role.root]) - _n(before[role.root])
        if not role.applies_to(0):
            continue
        # a person copies each of its date-tracked rows; one root, `count` entities
        assert len(chosen.get(role.root, ())) >= role.count, role.root
        assert grown == len(chosen[role.root]), role.root


def test_the_twin_buyer_has_the_same_name_orders_limit_invoices_and_items(placed):
    before, after, chosen = placed
    agents = after["PO_AGENTS"]
    (row,) = chosen["PO_AGENTS"]  # one buyer; its copy is the first row appended
    original, twin = agents["AGENT_ID"][row], agents["AGENT_ID"][_n(before["PO_AGENTS"])]
    people = after["PER_ALL_PEOPLE_F"]
    dated = ["FULL_NAME", "EFFECTIVE_START_DATE", "EFFECTIVE_END_DATE", "EMPLOYEE_NUMBER"]
    assert (_rows(people, people["PERSON_ID"] == original, dated)
            == _rows(people, people["PERSON_ID"] == twin, dated))
    orders = after["PO_HEADERS_ALL"]
    shown = ["VENDOR_ID", "TYPE_LOOKUP_CODE", "CLOSED_CODE", "CANCEL_FLAG", "CREATION_DATE",
             "ORG_ID", "SHIP_TO_LOCATION_ID"]
    mine = _rows(orders, orders["AGENT_ID"] == original, shown)
    assert mine and mine == _rows(orders, orders["AGENT_ID"] == twin, shown)
    assert (_rows(agents, agents["AGENT_ID"] == original, ["AUTHORIZATION_LIMIT"])
            == _rows(agents, agents["AGENT_ID"] == twin, ["AUTHORIZATION_LIMIT"]))
    invoices = after["AP_INVOICES_ALL"]
    of = {b: set(orders["PO_HEADER_ID"][orders["AGENT_ID"] == b].tolist())
          for b in (original, twin)}
    amounts = {b: _rows(invoices, np.isin(invoices["PO_HEADER_ID"], list(of[b])),
                        ["INVOICE_AMOUNT", "INVOICE_CURRENCY_CODE", "CANCELLED_DATE"])
               for b in of}
    assert amounts[original] == amounts[twin]
    items = after["MTL_SYSTEM_ITEMS_B"]
    assert (_rows(items, items["BUYER_ID"] == original, ["ORGANIZATION_ID", "PURCHASING_ITEM_FLAG"])
            == _rows(items, items["BUYER_ID"] == twin, ["ORGANIZATION_ID",
                                                        "PURCHASING_ITEM_FLAG"]))


def test_a_copied_item_takes_one_new_number_in_every_organization(placed):
    before, after, _ = placed
    items = after["MTL_SYSTEM_ITEMS_B"]
    n = _n(before["MTL_SYSTEM_ITEMS_B"])
    assert len(items["SEGMENT1"]) > n
    old = set(before["MTL_SYSTEM_ITEMS_B"]["SEGMENT1"].tolist())
    assert not set(items["SEGMENT1"][n:].tolist()) & old
    per_item = {}
    for item, number in zip(items["INVENTORY_ITEM_ID"][n:].tolist(),
                            items["SEGMENT1"][n:].tolist(), strict=True):
        assert per_item.setdefault(item, number) == number
    assert len(set(per_item.values())) == len(per_item)


def test_a_twin_account_belongs_to_the_same_party_and_owes_the_same(placed):
    before, after, chosen = placed
    accounts = after["HZ_CUST_ACCOUNTS"]
    n = _n(before["HZ_CUST_ACCOUNTS"])
    schedules = after["AR_PAYMENT_SCHEDULES_ALL"]
    shown = ["ORG_ID", "CLASS", "STATUS", "DUE_DATE", "AMOUNT_DUE_REMAINING"]
    for k, row in enumerate(sorted(chosen["HZ_CUST_ACCOUNTS"])):
        original, twin = accounts["CUST_ACCOUNT_ID"][row], accounts["CUST_ACCOUNT_ID"][n + k]
        assert accounts["PARTY_ID"][row] == accounts["PARTY_ID"][n + k]
        assert accounts["ACCOUNT_NUMBER"][row] != accounts["ACCOUNT_NUMBER"][n + k]
        owed = _rows(schedules, schedules["CUSTOMER_ID"] == original, shown)
        assert owed and owed == _rows(schedules, schedules["CUSTOMER_ID"] == twin, shown)


def test_a_sealed_account_copy_takes_no_other_customers_documents(placed):
    # a receipt applied to another customer's transaction would take it along, and its copy
    # would change that customer's open balance (a customer netting to zero stopped doing so)
    before, after, _ = placed
    accounts = set(after["HZ_CUST_ACCOUNTS"]["CUST_ACCOUNT_ID"][
        _n(before["HZ_CUST_ACCOUNTS"]):].tolist())
    for table, column in (("RA_CUSTOMER_TRX_ALL", "BILL_TO_CUSTOMER_ID"),
                          ("AR_CASH_RECEIPTS_ALL", "PAY_FROM_CUSTOMER"),
                          ("AR_PAYMENT_SCHEDULES_ALL", "CUSTOMER_ID")):
        copies = after[table][column][_n(before[table]):].tolist()
        assert copies and set(copies) <= accounts, table


def _headcounts(cols, day):
    """Primary employee assignments in effect on `day`, per organization."""
    a = cols["PER_ALL_ASSIGNMENTS_F"]
    on = ((a["EFFECTIVE_START_DATE"] <= day) & (a["EFFECTIVE_END_DATE"] >= day)
          & (a["PRIMARY_FLAG"] == "Y") & (a["ASSIGNMENT_TYPE"] == "E"))
    return Counter(a["ORGANIZATION_ID"][on].tolist())


def test_a_twin_department_stands_in_a_new_business_group_with_its_headcount(placed, recipe):
    before, after, _ = placed
    role = recipe.role_twins.roles["department"]
    orgs = after["HR_ALL_ORGANIZATION_UNITS"]
    n = _n(before["HR_ALL_ORGANIZATION_UNITS"])
    new = dict(zip(orgs["ORGANIZATION_ID"][n:].tolist(), range(n, _n(orgs)), strict=True))
    group = next(o for o, i in new.items() if orgs["NAME"][i] == role.group)
    assert orgs["BUSINESS_GROUP_ID"][new[group]] == group  # a group of its own
    twin = next(o for o, i in new.items() if o != group)
    assert orgs["BUSINESS_GROUP_ID"][new[twin]] == group
    name = orgs["NAME"][new[twin]]
    original = next(o for o, v in zip(orgs["ORGANIZATION_ID"][:n].tolist(),
                                      orgs["NAME"][:n].tolist(), strict=True) if v == name)
    for day in ("2023-06-30", "2024-12-31", "2025-06-15"):
        counts = _headcounts(after, np.datetime64(day))
        assert counts[twin] == counts[original], day
    assert _headcounts(after, np.datetime64("2024-12-31"))[twin] > 0
    people = after["PER_ALL_PEOPLE_F"]
    copied = people["BUSINESS_GROUP_ID"] == group
    assert copied.any()
    numbers = set(people["EMPLOYEE_NUMBER"][copied].tolist()) - {None}
    assert numbers <= set(people["EMPLOYEE_NUMBER"][~copied].tolist())
    jobs = after["PER_JOBS"]
    assignments = after["PER_ALL_ASSIGNMENTS_F"]
    in_group = assignments["BUSINESS_GROUP_ID"] == group
    # the employees keep only the department's rows: no other department's headcount moves
    assert set(assignments["ORGANIZATION_ID"][in_group].tolist()) == {twin}
    # detached: a supervisor left in the old group gains no report
    bosses = {b for b in assignments["SUPERVISOR_ID"][in_group].tolist() if b is not None and b == b}
    assert bosses <= set(people["PERSON_ID"][copied].tolist())
    held = {j for j in assignments["JOB_ID"][in_group].tolist() if j is not None and j == j}
    assert held and held <= set(jobs["JOB_ID"][jobs["BUSINESS_GROUP_ID"] == group].tolist())


def test_every_foreign_key_of_a_copy_resolves(placed, catalog):
    before, after, _ = placed
    for table, cols in after.items():
        n = _n(before[table])
        if _n(cols) == n:
            continue
        for fk in catalog.tables[table].foreign_keys:
            parent = after[fk.references]
            known = set(zip(*(parent[c].tolist() for c in fk.ref_columns), strict=True))
            keys = zip(*(cols[c][n:].tolist() for c in fk.columns), strict=True)
            bad = [k for k in keys if all(v is not None and v == v for v in k)
                   and k not in known]
            assert not bad, f"{table}{fk.columns} -> {fk.references}: {bad[:3]}"


@given(values=st.lists(st.sampled_from(["A1", "A1-2", "B", None, "C"]), min_size=1,
                       max_size=12),
       copies=st.integers(0, 12), digits=st.booleans())
def test_renumbering_maps_each_number_to_one_unused_number(values, copies, digits):
    if digits:
        values = [None if v is None else str(len(v) * 7 + ord(v[0])) for v in values]
    col = np.array(values, dtype=object)
    start = max(0, len(col) - copies)
    tables = {"T": {"C": col.copy()}}
    renumber(tables, "T", "C", start)
    new = tables["T"]["C"]
    assert new[:start].tolist() == col[:start].tolist()
    mapping: dict = {}
    for old, got in zip(col[start:].tolist(), new[start:].tolist(), strict=True):
        if old is None:
            assert got is None
            continue
        assert mapping.setdefault(old, got) == got
        assert got not in set(col.tolist())
        if digits:
            assert got.isdigit()
    assert len(set(mapping.values())) == len(mapping)


@pytest.mark.parametrize(("old", "new"), [
    ("      count: 3\n", "      count: 0\n"),
    ("      instances: [1, 3, 5]\n", "      instances: [1, 3, 7]\n"),
    ("      fresh: [MTL_SYSTEM_ITEMS_B.SEGMENT1]\n", "      fresh: [SEGMENT1]\n"),
    ("      takes: [PO_HEADERS_ALL.SHIP_TO_LOCATION_ID]\n", "      takes: []\n"),
    ("      group: Vision Europe\n", "      group: Vision Europe\n      parents: [JOB_ID]\n"),
    ("      closed: true\n", "      closed: true\n      detach: [SUPERVISOR_ID]\n"),
])
def test_a_bad_role_twins_section_names_file_and_field(tmp_path, old, new):
    with pytest.raises(InputError) as info:
        load_recipe(_write(tmp_path, old, new))
    assert "recipe.yaml" in str(info.value) and "role_twins" in str(info.value)


def test_a_taken_key_the_catalog_lacks_is_refused(catalog):
    with pytest.raises(DatagenError, match="PO_HEADERS_ALL.NO_SUCH_ID"):
        takes(catalog, "buyer", ["PO_HEADERS_ALL.NO_SUCH_ID"])
    assert [len(fks) for _, fks in takes(catalog, "buyer", ["PO_HEADERS_ALL.AGENT_ID"])] == [2]


def test_a_group_for_a_root_without_a_business_group_is_refused(catalog, recipe, placed):
    before, _, _ = placed
    bad = RoleTwins(roles={"type": RoleTwin(
        root="MTL_TRANSACTION_TYPES", takes=["MTL_MATERIAL_TRANSACTIONS.TRANSACTION_TYPE_ID"],
        group="Vision Europe")})
    ctx = GenContext(catalog, recipe.model_copy(update={"role_twins": bad}), recipe.seed(0),
                     id_blocks(catalog, recipe))
    with pytest.raises(DatagenError, match="type.group: MTL_TRANSACTION_TYPES has no"):
        place_role_twins(ctx, copy.deepcopy(before), 0)


def test_a_first_key_that_does_not_point_at_the_root_is_refused(catalog, recipe, placed):
    before, _, _ = placed
    bad = RoleTwins(roles={"buyer": RoleTwin(root="PER_ALL_PEOPLE_F",
                                             takes=["PO_LINES_ALL.PO_HEADER_ID"])})
    ctx = GenContext(catalog, recipe.model_copy(update={"role_twins": bad}), recipe.seed(0),
                     id_blocks(catalog, recipe))
    with pytest.raises(DatagenError, match="must point at PER_ALL_PEOPLE_F"):
        place_role_twins(ctx, copy.deepcopy(before), 0)


def test_on_every_instance_a_twin_buyer_counts_as_many_open_orders_as_its_original(
        connections, recipe):
    # the twin is copied after the top-N cut twins: a cut twin of one of the buyer's orders
    # copied later would give the original an order the twin lacks (x-004 survived so)
    sql = """SELECT COUNT(*) FROM (
        SELECT p.FULL_NAME, COUNT(*) n FROM PO_HEADERS_ALL h
        JOIN PER_ALL_PEOPLE_F p ON p.PERSON_ID = h.AGENT_ID
        WHERE p.EFFECTIVE_END_DATE = ? AND COALESCE(h.CLOSED_CODE, 'OPEN') = 'OPEN'
          AND COALESCE(h.CANCEL_FLAG, 'N') = 'N'
        GROUP BY p.PERSON_ID, p.FULL_NAME)
        GROUP BY FULL_NAME, n HAVING COUNT(*) > 1"""
    role = recipe.role_twins.roles["buyer"]
    for index, con in enumerate(connections):
        if role.applies_to(index):
            found = con.execute(sql, [recipe.dates.open_end]).fetchall()
            assert found, f"instance {index}: no two buyers of one name and order count"


def test_where_a_location_twin_is_two_locations_share_a_code_and_an_order_count(
        connections, recipe):
    sql = """SELECT COUNT(*) FROM (
        SELECT l.LOCATION_CODE, COUNT(*) n FROM PO_HEADERS_ALL h
        JOIN HR_LOCATIONS_ALL l ON l.LOCATION_ID = h.SHIP_TO_LOCATION_ID
        GROUP BY l.LOCATION_ID, l.LOCATION_CODE)
        GROUP BY LOCATION_CODE, n HAVING COUNT(*) > 1"""
    role = recipe.role_twins.roles["ship-to location"]
    for index, con in enumerate(connections):
        if role.applies_to(index):
            assert con.execute(sql).fetchall(), f"instance {index}"
