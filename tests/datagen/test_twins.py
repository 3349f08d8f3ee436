"""Twins (harness/datagen/twins.py): a copy of a document differs from its original only in its
keys, takes copies of what the document owns, and every key stays unique, so whole output rows
repeat and DISTINCT / GROUP BY / ranking neighbours of the golds return another result."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from harness.datagen.build import generate
from harness.datagen.context import DatagenError, GenContext, id_blocks, own_id_columns
from harness.datagen.generic import is_null
from harness.datagen.recipe import Twins, load_recipe
from harness.datagen.twins import Ownership, component, ownership, place_twins
from harness.io.errors import InputError
from tests.datagen.test_recipe import _write


@pytest.fixture(scope="module")
def twinned(catalog, recipe):
    """(tables before twins, tables after, rows copied per table) of instance 0."""
    plain = recipe.model_copy(update={"twins": Twins()})
    seed = recipe.seed(0)
    before = generate(catalog, plain, seed)
    after = copy.deepcopy(before)
    ctx = GenContext(catalog, recipe, seed, id_blocks(catalog, recipe))
    chosen = place_twins(ctx, after, recipe.twins)
    return before, after, {t: np.array(sorted(r)) for t, r in chosen.items() if r}


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    null_a, null_b = is_null(a), is_null(b)
    equal = np.array([x == y for x, y in zip(a.tolist(), b.tolist(), strict=True)], dtype=bool)
    return (null_a & null_b) | (~null_a & ~null_b & equal)


def _pairs(before, after, rows, table):
    """(original columns, twin columns) of the twins appended to `table`."""
    n = len(next(iter(before[table].values())))
    orig = {c: v[rows[table]] for c, v in before[table].items()}
    twin = {c: v[n:] for c, v in after[table].items()}
    return orig, twin


def test_every_document_table_gets_twins(twinned, recipe):
    _, _, rows = twinned
    for table, wanted in recipe.twins.documents.items():
        assert len(rows.get(table, ())) >= min(wanted, 1), table


def test_a_twin_equals_its_original_on_every_column_but_its_keys(twinned, catalog, recipe):
    before, after, rows = twinned
    for table, copied in rows.items():
        t = catalog.tables[table]
        may_differ = set(t.primary_key) | {c for u in t.unique_keys for c in u.columns}
        may_differ |= {c for fk in t.foreign_keys if fk.references in rows for c in fk.columns}
        # a twin that varies a hidden key column gives its children the values that suit it
        may_differ |= {entry.partition(".")[2] for h in recipe.twins.hidden.values()
                       for entry in h.children if entry.partition(".")[0] == table}
        orig, twin = _pairs(before, after, rows, table)
        assert len(twin[t.primary_key[0]]) == len(copied)
        for column in t.column_names - may_differ:
            differ = ~_same(orig[column], twin[column])
            assert not differ.any(), f"{table}.{column} differs in {differ.sum()} twins"


def test_own_ids_are_fresh_and_every_key_stays_unique(twinned, catalog):
    before, after, rows = twinned
    for table in rows:
        t = catalog.tables[table]
        orig, twin = _pairs(before, after, rows, table)
        for column in own_id_columns(t):
            assert not np.isin(twin[column], before[table][column]).any(), column
        keys = [t.primary_key] + [u.columns for u in t.unique_keys]
        for columns in keys:
            seen = list(zip(*(after[table][c].tolist() for c in columns), strict=True))
            seen = [k for k in seen if any(v is not None and v == v for v in k)]
            assert len(seen) == len(set(seen)), f"{table} repeats {columns}"


def test_every_foreign_key_of_a_twin_resolves(twinned, catalog):
    # a key twinned in another component, or shared with an untwinned parent (a buyer is a
    # person and a PO_AGENTS row), keeps its parent
    before, after, rows = twinned
    for table in rows:
        _, twin = _pairs(before, after, rows, table)
        for fk in catalog.tables[table].foreign_keys:
            parent = after[fk.references]
            known = set(zip(*(parent[c].tolist() for c in fk.ref_columns), strict=True))
            keys = zip(*(twin[c].tolist() for c in fk.columns), strict=True)
            bad = [k for k in keys if all(v is not None and v == v for v in k)
                   and k not in known]
            assert not bad, f"{table}{fk.columns} -> {fk.references}: {bad[:3]}"


def test_a_buyer_twinned_as_a_person_keeps_twin_orders_on_the_buyer(twinned, catalog, recipe):
    # PO_HEADERS_ALL.AGENT_ID references a person and a PO_AGENTS row; persons get twins,
    # buyers do not, so a twin order keeps its buyer even when that person has a twin
    before, _, _ = twinned
    after = copy.deepcopy(before)
    ctx = GenContext(catalog, recipe, recipe.seed(0), id_blocks(catalog, recipe))
    shape = Twins(documents={"PER_ALL_PEOPLE_F": 150, "PO_HEADERS_ALL": 40},
                  owned=["PER_ALL_ASSIGNMENTS_F.PERSON_ID", "PO_LINES_ALL.PO_HEADER_ID"])
    rows = place_twins(ctx, after, shape)
    agents = set(before["PO_AGENTS"]["AGENT_ID"].tolist())
    people = set(before["PER_ALL_PEOPLE_F"]["PERSON_ID"][sorted(rows["PER_ALL_PEOPLE_F"])]
                 .tolist())
    n = len(before["PO_HEADERS_ALL"]["PO_HEADER_ID"])
    twin_buyers = after["PO_HEADERS_ALL"]["AGENT_ID"][n:].tolist()
    assert agents & people & set(twin_buyers)  # the case arises
    assert set(twin_buyers) <= agents


def test_a_unique_business_number_takes_a_new_value_and_the_name_stays(twinned):
    before, after, rows = twinned
    orig, twin = _pairs(before, after, rows, "AP_SUPPLIERS")
    assert (orig["SEGMENT1"] != twin["SEGMENT1"]).all()
    assert all(s.isdigit() for s in twin["SEGMENT1"])  # the next free supplier number
    assert (orig["VENDOR_NAME"] == twin["VENDOR_NAME"]).all()


def test_a_journal_twin_keeps_its_name_in_a_copy_of_its_batch(twinned):
    """GL_JE_HEADERS_U2 is (JE_BATCH_ID, NAME): a journal's twin comes with a copy of its
    batch (`twins.with_owner`), so the name repeats legally instead of taking a fresh one."""
    before, after, rows = twinned
    orig, twin = _pairs(before, after, rows, "GL_JE_HEADERS")
    assert len(twin["NAME"]) and (orig["NAME"] == twin["NAME"]).all()
    batches = set(before["GL_JE_BATCHES"]["JE_BATCH_ID"].tolist())
    assert not batches & set(twin["JE_BATCH_ID"].tolist())
    keys = list(zip(after["GL_JE_HEADERS"]["JE_BATCH_ID"].tolist(),
                    after["GL_JE_HEADERS"]["NAME"].tolist(), strict=True))
    assert len(keys) == len(set(keys))


def test_an_owner_copy_for_a_key_in_no_unique_key_is_refused(catalog):
    with pytest.raises(DatagenError, match="twins.with_owner: GL_JE_LINES.JE_HEADER_ID is in no"):
        Ownership.of(catalog, [], ["GL_JE_LINES.JE_HEADER_ID"])


def test_owned_children_are_copied_and_point_at_the_twin(twinned, catalog, recipe):
    before, after, rows = twinned
    for child, fk in ownership(catalog, recipe.twins.owned):
        if fk.references not in rows:
            continue
        orig, twin = _pairs(before, after, rows, fk.references)
        for i in range(len(rows[fk.references])):
            old = [orig[c][i] for c in fk.ref_columns]
            new = [twin[c][i] for c in fk.ref_columns]
            counts = []
            for key in (old, new):
                hit = np.ones(len(after[child][fk.columns[0]]), dtype=bool)
                for c, value in zip(fk.columns, key, strict=True):
                    hit &= after[child][c] == value
                counts.append(int(hit.sum()))
            assert counts[0] == counts[1], f"{child}{fk.columns}: {counts} for {old} -> {new}"


def test_references_outside_the_component_keep_their_parent(twinned, catalog):
    # an invoice twinned alone keeps its supplier: VENDOR_ID is a reference there
    before, after, rows = twinned
    orig, twin = _pairs(before, after, rows, "AP_INVOICES_ALL")
    suppliers = set(before["AP_SUPPLIERS"]["VENDOR_ID"][rows["AP_SUPPLIERS"]].tolist())
    alone = ~np.isin(orig["VENDOR_ID"], list(suppliers))
    assert alone.any()
    assert _same(orig["VENDOR_ID"][alone], twin["VENDOR_ID"][alone]).all()


def test_a_component_over_the_limit_is_passed_over(twinned, catalog, recipe):
    before, _, _ = twinned
    owns = Ownership.of(catalog, recipe.twins.owned)
    # the supplier with the most invoices owns more rows than one
    vendors, counts = np.unique(before["AP_INVOICES_ALL"]["VENDOR_ID"], return_counts=True)
    row = int(np.flatnonzero(before["AP_SUPPLIERS"]["VENDOR_ID"] == vendors[counts.argmax()])[0])
    found = component(before, owns, "AP_SUPPLIERS", row, max_rows=10_000)
    assert found is not None and sum(map(len, found.values())) > counts.max()
    assert component(before, owns, "AP_SUPPLIERS", row, max_rows=int(counts.max())) is None


# Whole output rows that repeat in every instance: the survivors of issue 17 needed these.
REPEATS = [
    # (an order's SEGMENT1 is unique per type and unit, PO_HEADERS_U2: its twin takes a new
    # number, so the repeat is the order without its number)
    ("purchase orders but for their number",
     "SELECT COUNT(*) FROM (SELECT 1 FROM PO_HEADERS_ALL GROUP BY CREATION_DATE, "
     "APPROVED_DATE, VENDOR_ID, AGENT_ID, ORG_ID, TYPE_LOOKUP_CODE HAVING COUNT(*) > 1)"),
    # every second standard or planned order twin takes the other type and keeps its number
    ("purchase orders of one number, date and unit in two types (po-002)",
     "SELECT COUNT(*) FROM (SELECT 1 FROM PO_HEADERS_ALL GROUP BY ORG_ID, SEGMENT1, "
     "CREATION_DATE, VENDOR_ID HAVING COUNT(DISTINCT TYPE_LOOKUP_CODE) > 1)"),
    ("checks with their supplier (ap-035)",
     "SELECT COUNT(*) FROM (SELECT 1 FROM AP_CHECKS_ALL c JOIN AP_SUPPLIERS s "
     "ON s.VENDOR_ID = c.VENDOR_ID GROUP BY CHECK_NUMBER, CHECK_DATE, s.VENDOR_NAME, AMOUNT "
     "HAVING COUNT(*) > 1)"),
    ("invoice lines of a document",
     "SELECT COUNT(*) FROM (SELECT 1 FROM AP_INVOICES_ALL i JOIN AP_INVOICE_LINES_ALL l "
     "ON l.INVOICE_ID = i.INVOICE_ID GROUP BY i.VENDOR_ID, i.INVOICE_DATE, "
     "i.INVOICE_AMOUNT, l.LINE_NUMBER, l.AMOUNT HAVING COUNT(*) > 1)"),
    ("suppliers of one name with as many invoices (ap-065)",
     "SELECT COUNT(*) FROM (SELECT VENDOR_NAME, n FROM (SELECT s.VENDOR_ID, s.VENDOR_NAME, "
     "COUNT(*) AS n FROM AP_SUPPLIERS s JOIN AP_INVOICES_ALL i ON i.VENDOR_ID = s.VENDOR_ID "
     "GROUP BY 1, 2) GROUP BY 1, 2 HAVING COUNT(*) > 1)"),
    ("journal lines",
     "SELECT COUNT(*) FROM (SELECT 1 FROM GL_JE_HEADERS h JOIN GL_JE_LINES l "
     "ON l.JE_HEADER_ID = h.JE_HEADER_ID GROUP BY h.NAME, h.PERIOD_NAME, l.JE_LINE_NUM, "
     "l.ACCOUNTED_DR, l.ACCOUNTED_CR HAVING COUNT(*) > 1)"),
]


@pytest.mark.parametrize(("what", "sql"), REPEATS, ids=[w for w, _ in REPEATS])
def test_every_twinned_instance_repeats_whole_rows(connections, recipe, what, sql):
    for index, con in enumerate(connections):
        if recipe.twins.applies_to(index):
            assert con.execute(sql).fetchone()[0] >= 1, f"instance {index}: no twin {what}"


@pytest.mark.parametrize(("old", "new"), [
    ("    AP_CHECKS_ALL: 6\n", "    AP_CHECKS_ALL: 0\n"),
    ("    - GL_JE_LINES.JE_HEADER_ID\n", "    - GL_JE_LINES\n"),
    ("  max_rows: 120\n", "  max_rows: 0\n"),
    ("  max_rows: 120\n", "  max_rows: 120\n  instances: [0, 7]\n"),
    ("      every: 2\n", "      every: 0\n"),
    ("        PO_LINE_LOCATIONS_ALL.SHIPMENT_TYPE:", "        SHIPMENT_TYPE:"),
])
def test_a_bad_twins_section_names_file_and_field(tmp_path, old, new):
    with pytest.raises(InputError) as info:
        load_recipe(_write(tmp_path, old, new))
    assert "recipe.yaml" in str(info.value) and "twins" in str(info.value)


def test_an_owned_key_the_catalog_lacks_is_refused(catalog):
    with pytest.raises(DatagenError, match="GL_JE_LINES.NO_SUCH_ID"):
        ownership(catalog, ["GL_JE_LINES.NO_SUCH_ID"])


def test_a_document_table_the_catalog_lacks_is_refused(catalog, recipe, twinned):
    before, _, _ = twinned
    ctx = GenContext(catalog, recipe, recipe.seed(0), id_blocks(catalog, recipe))
    with pytest.raises(DatagenError, match="NO_SUCH_TABLE"):
        place_twins(ctx, copy.deepcopy(before), Twins(documents={"NO_SUCH_TABLE": 1}))


def test_only_the_instances_named_get_twins(tmp_path):
    recipe = load_recipe(_write(tmp_path, "  max_rows: 120\n",
                                "  max_rows: 120\n  instances: [1, 5]\n"))
    assert [recipe.twins.applies_to(i) for i in range(recipe.k)] == [
        False, True, False, False, False, True, False]
    assert recipe.index_of(recipe.seed(5)) == 5 and recipe.index_of(1) is None


def test_a_twin_person_copies_every_date_tracked_row_under_one_new_id(twinned, recipe):
    before, after, rows = twinned
    orig, twin = _pairs(before, after, rows, "PER_ALL_PEOPLE_F")
    old_to_new = set(zip(orig["PERSON_ID"].tolist(), twin["PERSON_ID"].tolist(), strict=True))
    assert len(old_to_new) == len({o for o, _ in old_to_new}) == len({n for _, n in old_to_new})
    people = after["PER_ALL_PEOPLE_F"]
    open_end = np.datetime64(recipe.dates.open_end)
    for old, new in old_to_new:
        rows_old = people["PERSON_ID"] == old
        rows_new = people["PERSON_ID"] == new
        assert rows_old.sum() == rows_new.sum()
        assert (people["EFFECTIVE_END_DATE"][rows_new] == open_end).sum() == 1


def test_roots_are_picked_so_twins_meet_rare_values_in_every_unit():
    # a random twin rarely passes a narrow filter; each next root brings the most
    # (unit, column, value) strata no twin has yet, so both units' rare code get a twin
    from harness.datagen.twins import _Strata
    from harness.inputs.catalog import Striping, Table

    table = Table(name="T", description="t", primary_key=["T_ID"], columns=[
        {"name": "T_ID", "type": "NUMBER"}, {"name": "ORG_ID", "type": "NUMBER"},
        {"name": "STATUS", "type": "VARCHAR2(10)"}],
        striping=Striping(by="operating_unit", column="ORG_ID"))
    status = np.array(["OPEN"] * 100, dtype=object)
    status[[17, 80]] = "FINALLY CLOSED"
    cols = {"T_ID": np.arange(100), "ORG_ID": np.repeat([204, 458], 50), "STATUS": status}
    strata = _Strata(table, cols, np.random.default_rng(0))
    picked = []
    for _ in range(4):
        row = strata.best()
        strata.take(row)
        picked.append((int(cols["ORG_ID"][row]), cols["STATUS"][row]))
    assert sorted(picked) == [(204, "FINALLY CLOSED"), (204, "OPEN"),
                              (458, "FINALLY CLOSED"), (458, "OPEN")]


def test_a_hidden_key_twin_keeps_its_number_and_takes_the_other_type(twinned, recipe):
    # PO_HEADERS_U2 is number, type and unit: a planned twin of a standard order (or the
    # reverse) keeps SEGMENT1, so `SELECT SEGMENT1, CREATION_DATE ... WHERE ORG_ID = 458`
    # repeats a row; its shipments take the shipment type of its new type
    before, after, rows = twinned
    hidden = recipe.twins.hidden["PO_HEADERS_ALL"]
    orig, twin = _pairs(before, after, rows, "PO_HEADERS_ALL")
    swapped = orig["TYPE_LOOKUP_CODE"] != twin["TYPE_LOOKUP_CODE"]
    eligible = np.isin(orig["TYPE_LOOKUP_CODE"], list(hidden.swap))
    assert swapped.sum() == len(np.flatnonzero(eligible)[::hidden.every]) >= 1
    for old, new in zip(orig["TYPE_LOOKUP_CODE"][swapped], twin["TYPE_LOOKUP_CODE"][swapped],
                        strict=True):
        assert hidden.swap[old] == new
    assert (orig["SEGMENT1"][~swapped] != twin["SEGMENT1"][~swapped]).all()
    ships = after["PO_LINE_LOCATIONS_ALL"]
    suits = {"STANDARD": {"STANDARD"}, "PLANNED": {"PLANNED"}}
    for header, kind in zip(twin["PO_HEADER_ID"][swapped], twin["TYPE_LOOKUP_CODE"][swapped],
                            strict=True):
        types = set(ships["SHIPMENT_TYPE"][ships["PO_HEADER_ID"] == header].tolist())
        assert types <= suits[kind], (header, kind, types)


def test_vary_hidden_varies_every_nth_eligible_twin_and_its_children(catalog):
    from harness.datagen.recipe import HiddenKey
    from harness.datagen.twins import vary_hidden

    twins = {
        "PO_HEADERS_ALL": {"PO_HEADER_ID": np.array([11, 12, 13, 14]),
                           "TYPE_LOOKUP_CODE": np.array(["STANDARD", "BLANKET", "PLANNED",
                                                         "STANDARD"], dtype=object)},
        "PO_LINE_LOCATIONS_ALL": {"PO_HEADER_ID": np.array([11, 11, 12, 13, 14]),
                                  "SHIPMENT_TYPE": np.array(["STANDARD", "STANDARD", "BLANKET",
                                                             "SCHEDULED", "STANDARD"],
                                                            dtype=object)}}
    hidden = HiddenKey(column="TYPE_LOOKUP_CODE", swap={"STANDARD": "PLANNED",
                                                        "PLANNED": "STANDARD"},
                       children={"PO_LINE_LOCATIONS_ALL.SHIPMENT_TYPE": {
                           "STANDARD": "PLANNED", "SCHEDULED": "STANDARD"}}, every=2)
    varied = vary_hidden(catalog, "PO_HEADERS_ALL", hidden, twins)
    assert varied.tolist() == [0, 3]  # eligible 0, 2, 3: every second
    assert twins["PO_HEADERS_ALL"]["TYPE_LOOKUP_CODE"].tolist() == [
        "PLANNED", "BLANKET", "PLANNED", "PLANNED"]
    assert twins["PO_LINE_LOCATIONS_ALL"]["SHIPMENT_TYPE"].tolist() == [
        "PLANNED", "PLANNED", "BLANKET", "SCHEDULED", "PLANNED"]


@pytest.mark.parametrize(("column", "children", "match"), [
    ("NO_SUCH_COLUMN", {}, "PO_HEADERS_ALL.NO_SUCH_COLUMN"),
    ("TYPE_LOOKUP_CODE", {"PO_LINE_LOCATIONS_ALL.NO_SUCH": {}}, "PO_LINE_LOCATIONS_ALL.NO_SUCH"),
    ("TYPE_LOOKUP_CODE", {"AP_SUPPLIERS.VENDOR_NAME": {}}, "AP_SUPPLIERS has 0 foreign keys"),
])
def test_a_hidden_key_the_catalog_cannot_vary_is_refused(catalog, column, children, match):
    from harness.datagen.recipe import HiddenKey
    from harness.datagen.twins import vary_hidden

    twins = {"PO_HEADERS_ALL": {"PO_HEADER_ID": np.array([1]),
                                "TYPE_LOOKUP_CODE": np.array(["STANDARD"], dtype=object)}}
    hidden = HiddenKey(column=column, swap={"STANDARD": "PLANNED"}, children=children)
    with pytest.raises(DatagenError, match=match) as info:
        vary_hidden(catalog, "PO_HEADERS_ALL", hidden, twins)
    assert "twins.hidden.PO_HEADERS_ALL" in str(info.value)


def test_a_requisition_twin_moves_to_the_other_unit_under_its_number(twinned, recipe):
    # PO_REQUISITION_HEADERS_U2 is number and unit: every second requisition twin keeps its
    # SEGMENT1 in the other operating unit, its lines (same numbers, items, placements) with
    # it, so `SELECT rh.SEGMENT1, rl.LINE_NUM, ...` without a unit filter repeats a row
    before, after, rows = twinned
    hidden = recipe.twins.hidden["PO_REQUISITION_HEADERS_ALL"]
    orig, twin = _pairs(before, after, rows, "PO_REQUISITION_HEADERS_ALL")
    moved = orig["ORG_ID"] != twin["ORG_ID"]
    assert moved.sum() == len(orig["ORG_ID"][::hidden.every]) >= 1
    assert (orig["SEGMENT1"][moved] == twin["SEGMENT1"][moved]).all()
    assert (orig["SEGMENT1"][~moved] != twin["SEGMENT1"][~moved]).all()
    lines = after["PO_REQUISITION_LINES_ALL"]
    for old, new, unit in zip(orig["REQUISITION_HEADER_ID"][moved],
                              twin["REQUISITION_HEADER_ID"][moved], twin["ORG_ID"][moved],
                              strict=True):
        mine, theirs = lines["REQUISITION_HEADER_ID"] == new, lines["REQUISITION_HEADER_ID"] == old
        assert mine.any() and set(lines["ORG_ID"][mine].tolist()) == {unit}
        # (an item, shipment or supplier copied by another twin is pointed at by the copy)
        for column in ("LINE_NUM", "QUANTITY", "ITEM_DESCRIPTION"):
            assert _same(lines[column][mine], lines[column][theirs]).all(), column


def test_a_hidden_key_may_be_an_id_column(catalog):
    # the swap map of an id column (ORG_ID) keeps its integers from the recipe's YAML, and
    # matches the float ids the frames may hold
    from harness.datagen.recipe import HiddenKey
    from harness.datagen.twins import vary_hidden

    hidden = HiddenKey.model_validate({"column": "ORG_ID", "swap": {204: 458, 458: 204},
                                       "children": {"PO_REQUISITION_LINES_ALL.ORG_ID":
                                                    {204: 458, 458: 204}}, "every": 1})
    assert hidden.swap == {204: 458, 458: 204}
    twins = {
        "PO_REQUISITION_HEADERS_ALL": {"REQUISITION_HEADER_ID": np.array([1, 2, 3]),
                                       "ORG_ID": np.array([204.0, 458.0, 600.0])},
        "PO_REQUISITION_LINES_ALL": {"REQUISITION_HEADER_ID": np.array([1, 1, 2, 3]),
                                     "ORG_ID": np.array([204.0, 204.0, 458.0, 600.0])}}
    assert vary_hidden(catalog, "PO_REQUISITION_HEADERS_ALL", hidden, twins).tolist() == [0, 1]
    assert twins["PO_REQUISITION_HEADERS_ALL"]["ORG_ID"].tolist() == [458, 204, 600]
    assert twins["PO_REQUISITION_LINES_ALL"]["ORG_ID"].tolist() == [458, 458, 204, 600]
