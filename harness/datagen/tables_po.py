"""Hand-written purchasing tables: buyers, purchase orders, lines, shipments, distributions.

A purchase order is placed with a supplier site of its operating unit (or, for some, with no
supplier yet); its lines, shipments and distributions carry the header's ids and unit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.datagen import values as v
from harness.datagen.context import GenContext
from harness.datagen.registry import generates
from harness.datagen.role_namesakes import with_namesakes
from harness.datagen.tables_ap import PO_ROLES, supplier_sites_for
from harness.datagen.tables_gl import ledger_of_operating_unit, rate_to_functional

APPROVED = "APPROVED"
CONTRACT = "CONTRACT"  # contract agreements have no lines
INVENTORY = "INVENTORY"
# shipment types that suit each order type (codes the catalog adds go with STANDARD)
SHIPMENT_TYPES = {"STANDARD": ["STANDARD"], "BLANKET": ["BLANKET", "PRICE BREAK"],
                  "PLANNED": ["PLANNED", "SCHEDULED"]}


@generates("PO_AGENTS", needs=("PER_ALL_PEOPLE_F",))
def agents(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Buyers: current employees (their AGENT_ID is their PERSON_ID)."""
    rng = ctx.rng("PO_AGENTS")
    people = ctx.frames["PER_ALL_PEOPLE_F"]
    current = people[(people["EFFECTIVE_END_DATE"] == ctx.open_end)
                     & people["EMPLOYEE_NUMBER"].notna()]
    picked = np.sort(rng.choice(len(current), ctx.recipe.po.buyers, replace=False))
    # role_namesakes: a pair of buyers shares a name (own stream, so nothing else moves)
    picked = with_namesakes(ctx.rng("PO_AGENTS:namesakes"), current["FULL_NAME"].to_numpy(),
                            picked, ctx.recipe.role_namesakes.buyers)
    chosen = current.iloc[picked]
    n = len(chosen)
    start = chosen["START_DATE"].to_numpy()
    ended = np.zeros(n, bool)
    ended[-1] = True
    return {"PO_AGENTS": v.frame({
        "AGENT_ID": chosen["PERSON_ID"].to_numpy(),
        "AUTHORIZATION_LIMIT": v.null_where(v.money(rng, n, 10_000, 1_000_000, 0),
                                            np.arange(n) == 0),
        "START_DATE_ACTIVE": start,
        "END_DATE_ACTIVE": v.null_where(np.full(n, v.day(ctx.recipe.dates.end)), ~ended),
        "CREATION_DATE": start,
        "LAST_UPDATE_DATE": start,
    })}


@generates("PO_HEADERS_ALL", "PO_LINES_ALL", "PO_LINE_LOCATIONS_ALL", "PO_DISTRIBUTIONS_ALL",
           needs=("AP_SUPPLIERS", "AP_SUPPLIER_SITES_ALL", "PO_AGENTS", "MTL_SYSTEM_ITEMS_B",
                  "MTL_PARAMETERS", "GL_CODE_COMBINATIONS", "GL_LEDGERS", "PER_ALL_PEOPLE_F"))
def purchase_orders(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Purchase orders with their lines, shipments and distributions."""
    rng, po = ctx.rng("PO_HEADERS_ALL"), ctx.recipe.po
    n = ctx.row_count("PO_HEADERS_ALL")
    org = v.cover(rng, n, ctx.operating_units).astype(np.int64)
    kind = ctx.coded(rng, n, "PO_HEADERS_ALL", "TYPE_LOOKUP_CODE", org, share=0.7)
    status = ctx.coded(rng, n, "PO_HEADERS_ALL", "AUTHORIZATION_STATUS", org, share=0.7,
                       main=APPROVED)
    site = supplier_sites_for(ctx, rng, org, PO_ROLES)
    no_vendor = rng.random(n) < po.null_vendor_fraction
    no_vendor[:1] = True
    created = ctx.dates(rng, n, org)
    currency = ctx.coded(rng, n, "PO_HEADERS_ALL", "CURRENCY_CODE", org,
                         share=1 - ctx.recipe.currencies.foreign_fraction,
                         main=ctx.recipe.currencies.functional)
    foreign = currency != ctx.recipe.currencies.functional
    rate = np.round(rate_to_functional(ctx, currency), 6)
    agreement = np.isin(kind, ["BLANKET", CONTRACT])
    approved = status == APPROVED
    closed = ctx.coded(rng, n, "PO_HEADERS_ALL", "CLOSED_CODE", org, share=0.6)
    is_open = closed == ctx.codes("PO_HEADERS_ALL", "CLOSED_CODE")[0]
    header_id = ctx.ids("PO_HEADERS_ALL", "PO_HEADER_ID", n)
    headers = v.frame({
        "PO_HEADER_ID": header_id,
        "AGENT_ID": rng.choice(ctx.frames["PO_AGENTS"]["AGENT_ID"].to_numpy(), n),
        "TYPE_LOOKUP_CODE": kind,
        # another type's number, and another unit's number of the same type (EBS's
        # PO_HEADERS_U2 is number, type and operating unit; each unit numbers its own)
        "SEGMENT1": _order_numbers(ctx, n, np.asarray(kind), org),
        "SUMMARY_FLAG": ctx.coded(rng, n, "PO_HEADERS_ALL", "SUMMARY_FLAG", org, share=0.97,
                                  main="N"),
        "ENABLED_FLAG": ctx.coded(rng, n, "PO_HEADERS_ALL", "ENABLED_FLAG", org, share=0.97,
                                  main="Y"),
        "CREATION_DATE": created,
        "VENDOR_ID": v.null_where(site["VENDOR_ID"].to_numpy(), no_vendor),
        "VENDOR_SITE_ID": v.null_where(site["VENDOR_SITE_ID"].to_numpy(), no_vendor),
        "CURRENCY_CODE": currency,
        "RATE_TYPE": v.null_where(np.full(n, "Corporate", dtype=object), ~foreign),
        "RATE_DATE": v.null_where(created.astype("datetime64[D]").astype("datetime64[us]"),
                                  ~foreign),
        "RATE": v.null_where(rate, ~foreign),
        "BLANKET_TOTAL_AMOUNT": v.null_where(v.money(rng, n, 5_000, 500_000), ~agreement),
        "AUTHORIZATION_STATUS": status,
        "REVISION_NUM": rng.integers(0, 4, n).astype(float),
        "APPROVED_FLAG": np.where(approved, "Y", "N").astype(object),
        "APPROVED_DATE": v.null_where(ctx.clip(created + rng.integers(0, 10, n) * v.DAY),
                                      ~approved),
        "AMOUNT_LIMIT": v.null_where(v.money(rng, n, 10_000, 1_000_000), ~agreement),
        "START_DATE": v.null_where(created.astype("datetime64[D]").astype("datetime64[us]"),
                                   ~agreement),
        "END_DATE": v.null_where(created + 365 * v.DAY, ~agreement | (rng.random(n) < 0.5)),
        "CANCEL_FLAG": ctx.coded(rng, n, "PO_HEADERS_ALL", "CANCEL_FLAG", org, share=0.9,
                                 main="N"),
        "CLOSED_CODE": closed,
        "CLOSED_DATE": v.null_where(ctx.clip(created + rng.integers(30, 300, n) * v.DAY),
                                    is_open),
        "LAST_UPDATE_DATE": created,
        "ORG_ID": org,
        "x_rate": np.where(foreign, rate, 1.0),
    })
    lines = _lines(ctx, rng, headers)
    shipments = _shipments(ctx, rng, headers, lines)
    return {"PO_HEADERS_ALL": headers, "PO_LINES_ALL": lines,
            "PO_LINE_LOCATIONS_ALL": shipments,
            "PO_DISTRIBUTIONS_ALL": _distributions(ctx, rng, shipments)}


def _lines(ctx: GenContext, rng: np.random.Generator, headers: pd.DataFrame) -> pd.DataFrame:
    low, high = ctx.recipe.po.lines_per_order
    has_lines = headers["TYPE_LOOKUP_CODE"].to_numpy() != CONTRACT
    count = np.where(has_lines, rng.integers(low, high + 1, len(headers)), 0)
    head = np.repeat(np.arange(len(headers)), count)
    n = len(head)
    items = ctx.frames["MTL_SYSTEM_ITEMS_B"]
    master = items[items["ORGANIZATION_ID"] == ctx.inventory_orgs[0]].reset_index(drop=True)
    pick = rng.integers(0, len(master), n)
    service = rng.random(n) < ctx.recipe.po.null_item_fraction
    quantity = rng.integers(1, 200, n).astype(float)
    price = np.where(service, v.money(rng, n, 50, 20_000),
                     master["LIST_PRICE_PER_UNIT"].fillna(100.0).to_numpy()[pick])
    price = np.round(price * rng.uniform(0.85, 1.05, n), 2)
    price = v.some_on_round_values(ctx.rng("PO_LINES_ALL:round"), price, 1.0, 20_000.0)
    goods, services = ctx.ids("PO_LINES_ALL", "LINE_TYPE_ID", 2)
    uom = master["PRIMARY_UNIT_OF_MEASURE"].to_numpy()[pick]
    take = {c: headers[c].to_numpy()[head] for c in ("PO_HEADER_ID", "ORG_ID", "CREATION_DATE",
                                                    "CANCEL_FLAG", "CLOSED_CODE", "x_rate")}
    return v.frame({
        "PO_LINE_ID": ctx.ids("PO_LINES_ALL", "PO_LINE_ID", n),
        "PO_HEADER_ID": take["PO_HEADER_ID"],
        "LINE_TYPE_ID": np.where(service, services, goods),
        "LINE_NUM": (pd.Series(head).groupby(head).cumcount() + 1).to_numpy(),
        "CREATION_DATE": take["CREATION_DATE"],
        "ITEM_ID": v.null_where(master["INVENTORY_ITEM_ID"].to_numpy()[pick], service),
        "ITEM_REVISION": v.null_where(v.pick(rng, ["A", "B"], n), service | (rng.random(n) < .6)),
        "ITEM_DESCRIPTION": np.where(service, v.phrases(rng, n, ctx.recipe.vocabulary.words, 2),
                                     master["DESCRIPTION"].to_numpy()[pick]).astype(object),
        "UNIT_MEAS_LOOKUP_CODE": v.null_where(uom, service),
        "QUANTITY": v.null_where(quantity, service),
        "UNIT_PRICE": price,
        "LIST_PRICE_PER_UNIT": v.null_where(master["LIST_PRICE_PER_UNIT"].to_numpy()[pick],
                                            service),
        "AMOUNT": v.null_where(price, ~service),
        "VENDOR_PRODUCT_NUM": v.null_where(np.array([f"VP-{x}" for x in rng.integers(
            1000, 9999, n)], dtype=object), rng.random(n) < 0.7),
        "CANCEL_FLAG": take["CANCEL_FLAG"],
        "CLOSED_CODE": take["CLOSED_CODE"],
        "LAST_UPDATE_DATE": take["CREATION_DATE"],
        "ORG_ID": take["ORG_ID"],
        "x_rate": take["x_rate"],
        "x_type": headers["TYPE_LOOKUP_CODE"].to_numpy()[head],
    })


def _shipments(ctx: GenContext, rng: np.random.Generator, headers: pd.DataFrame,
               lines: pd.DataFrame) -> pd.DataFrame:
    count = np.where(rng.random(len(lines)) < 0.15, 2, 1)
    line = np.repeat(np.arange(len(lines)), count)
    n = len(line)
    ordered = lines["QUANTITY"].fillna(1.0).to_numpy()[line] / count[line]
    ordered = np.maximum(1.0, np.round(ordered))
    received = np.round(ordered * rng.choice([0, 0.5, 1.0], n, p=[0.3, 0.2, 0.5]))
    rejected = np.where(rng.random(n) < 0.05, np.minimum(1.0, received), 0.0)
    billed = np.round(received * rng.choice([0, 1.0], n, p=[0.3, 0.7]))
    cancelled = np.where(lines["CANCEL_FLAG"].to_numpy()[line] == "Y", ordered - received, 0.0)
    org = lines["ORG_ID"].to_numpy()[line]
    params = ctx.frames["MTL_PARAMETERS"]
    ship_to = rng.choice(params["ORGANIZATION_ID"].to_numpy(), n)
    kind = lines["x_type"].to_numpy()[line]
    shipment_types = v.cover_by_kind(rng, kind, org, v.codes_by_kind(
        ctx.codes("PO_LINE_LOCATIONS_ALL", "SHIPMENT_TYPE"), kind, SHIPMENT_TYPES, "STANDARD"))
    created = lines["CREATION_DATE"].to_numpy()[line]
    need_by = created + rng.integers(7, 90, n) * v.DAY
    return v.frame({
        "LINE_LOCATION_ID": ctx.ids("PO_LINE_LOCATIONS_ALL", "LINE_LOCATION_ID", n),
        "PO_HEADER_ID": lines["PO_HEADER_ID"].to_numpy()[line],
        "PO_LINE_ID": lines["PO_LINE_ID"].to_numpy()[line],
        "CREATION_DATE": created,
        "QUANTITY": ordered,
        "QUANTITY_RECEIVED": received,
        "QUANTITY_ACCEPTED": received - rejected,
        "QUANTITY_REJECTED": rejected,
        "QUANTITY_BILLED": billed,
        "QUANTITY_CANCELLED": cancelled,
        "UNIT_MEAS_LOOKUP_CODE": lines["UNIT_MEAS_LOOKUP_CODE"].to_numpy()[line],
        "SHIP_TO_ORGANIZATION_ID": ship_to,
        "NEED_BY_DATE": need_by,
        "PROMISED_DATE": v.null_where(need_by + rng.integers(-3, 5, n) * v.DAY,
                                      rng.random(n) < 0.4),
        "SHIPMENT_NUM": (pd.Series(line).groupby(line).cumcount() + 1).to_numpy(),
        "SHIPMENT_TYPE": shipment_types,
        "PRICE_OVERRIDE": lines["UNIT_PRICE"].to_numpy()[line],
        "APPROVED_FLAG": ctx.coded(rng, n, "PO_LINE_LOCATIONS_ALL", "APPROVED_FLAG", org,
                                   share=0.85, main="Y"),
        "CANCEL_FLAG": lines["CANCEL_FLAG"].to_numpy()[line],
        "CLOSED_CODE": lines["CLOSED_CODE"].to_numpy()[line],
        "RECEIPT_REQUIRED_FLAG": ctx.coded(rng, n, "PO_LINE_LOCATIONS_ALL",
                                           "RECEIPT_REQUIRED_FLAG", org, share=0.8, main="Y"),
        "INSPECTION_REQUIRED_FLAG": ctx.coded(rng, n, "PO_LINE_LOCATIONS_ALL",
                                              "INSPECTION_REQUIRED_FLAG", org, share=0.8,
                                              main="N"),
        "LAST_UPDATE_DATE": created,
        "ORG_ID": org,
        "x_rate": lines["x_rate"].to_numpy()[line],
    })


def _distributions(ctx: GenContext, rng: np.random.Generator,
                   shipments: pd.DataFrame) -> pd.DataFrame:
    n = len(shipments)
    org = shipments["ORG_ID"].to_numpy()
    ccids = ctx.frames["GL_CODE_COMBINATIONS"]
    postable = ccids[ccids["x_postable"]]
    expense = postable.loc[postable["ACCOUNT_TYPE"] == "E", "CODE_COMBINATION_ID"].to_numpy()
    liability = postable.loc[postable["ACCOUNT_TYPE"] == "L", "CODE_COMBINATION_ID"].to_numpy()
    destination = ctx.coded(rng, n, "PO_DISTRIBUTIONS_ALL", "DESTINATION_TYPE_CODE", org,
                            share=0.6)
    to_stock = destination == INVENTORY
    subinventories = list(ctx.recipe.inv.subinventories)
    people = ctx.frames["PER_ALL_PEOPLE_F"]["PERSON_ID"].unique()
    ledger = ledger_of_operating_unit(ctx)
    ordered = shipments["QUANTITY"].to_numpy()
    billed = shipments["QUANTITY_BILLED"].to_numpy()
    price = shipments["PRICE_OVERRIDE"].to_numpy()
    created = shipments["CREATION_DATE"].to_numpy()
    return v.frame({
        "PO_DISTRIBUTION_ID": ctx.ids("PO_DISTRIBUTIONS_ALL", "PO_DISTRIBUTION_ID", n),
        "PO_HEADER_ID": shipments["PO_HEADER_ID"].to_numpy(),
        "PO_LINE_ID": shipments["PO_LINE_ID"].to_numpy(),
        "LINE_LOCATION_ID": shipments["LINE_LOCATION_ID"].to_numpy(),
        "SET_OF_BOOKS_ID": np.array([ledger[o] for o in org]),
        "CODE_COMBINATION_ID": rng.choice(expense, n),
        "QUANTITY_ORDERED": ordered,
        "DISTRIBUTION_NUM": np.ones(n, dtype=np.int64),
        "CREATION_DATE": created,
        "QUANTITY_DELIVERED": shipments["QUANTITY_ACCEPTED"].to_numpy(),
        "QUANTITY_BILLED": billed,
        "QUANTITY_CANCELLED": shipments["QUANTITY_CANCELLED"].to_numpy(),
        "AMOUNT_BILLED": np.round(billed * price, 2),
        "REQ_DISTRIBUTION_ID": np.full(n, np.nan),
        "DELIVER_TO_PERSON_ID": v.null_where(rng.choice(people, n).astype(float),
                                             rng.random(n) < 0.3),
        "DESTINATION_TYPE_CODE": destination,
        "DESTINATION_ORGANIZATION_ID": shipments["SHIP_TO_ORGANIZATION_ID"].to_numpy(),
        "DESTINATION_SUBINVENTORY": v.null_where(v.pick(rng, subinventories, n), ~to_stock),
        "GL_ENCUMBERED_DATE": v.null_where(created.astype("datetime64[D]").astype(
            "datetime64[us]"), rng.random(n) < 0.5),
        "ACCRUAL_ACCOUNT_ID": rng.choice(liability, n),
        "VARIANCE_ACCOUNT_ID": v.null_where(rng.choice(expense, n).astype(float),
                                            rng.random(n) < 0.3),
        "LAST_UPDATE_DATE": created,
        "ORG_ID": org,
        "x_rate": shipments["x_rate"].to_numpy(),
    })


REQUISITIONS_ACROSS_UNITS = 3  # requisition lines per unit placed on another unit's order


def requisitions_across_units(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]]) -> None:
    """In every operating unit, up to `REQUISITIONS_ACROSS_UNITS` requisition lines not yet
    placed on an order are placed on a shipment of another unit's standard order (R12
    centralized procurement: the requesting unit raises the requisition, the purchasing unit
    orders it; the catalog's PO_REQUISITION_LINES_ALL.LINE_LOCATION_ID carries no
    `same: [ORG_ID]`). The generic filler keeps that key in the line's unit, so a join of
    requisitions to orders that filters the unit on one side only returned the gold's rows.
    Own random stream: no other row moves. Runs on the finished tables, before targeted
    rows (which leave keys alone)."""
    lines, shipments = tables["PO_REQUISITION_LINES_ALL"], tables["PO_LINE_LOCATIONS_ALL"]
    headers = ctx.frames["PO_HEADERS_ALL"]
    standard = headers.loc[headers["TYPE_LOOKUP_CODE"] == "STANDARD", "PO_HEADER_ID"]
    orderable = np.isin(shipments["PO_HEADER_ID"], standard.to_numpy())
    rng = ctx.rng("PO_REQUISITION_LINES_ALL:across_units")
    placed = lines["LINE_LOCATION_ID"].copy()
    for ou in ctx.operating_units:
        free = np.flatnonzero((lines["ORG_ID"] == ou) & pd.isna(placed))
        targets = np.flatnonzero(orderable & (shipments["ORG_ID"] != ou))
        if not len(free) or not len(targets):
            continue
        chosen = rng.permutation(free)[:REQUISITIONS_ACROSS_UNITS]
        placed[chosen] = shipments["LINE_LOCATION_ID"][rng.choice(targets, len(chosen))]
    lines["LINE_LOCATION_ID"] = placed
    frame = ctx.frames["PO_REQUISITION_LINES_ALL"]
    frame["LINE_LOCATION_ID"] = placed


def _order_numbers(ctx: GenContext, n: int, kind: np.ndarray, org: np.ndarray) -> np.ndarray:
    """PO numbers: a `namesakes.orders` share repeat another type's number (any unit), and a
    `namesakes.orders_across_units` share repeat the number of an order of the same type in
    another operating unit, as units that each number their own documents from the same start
    do. Neither breaks PO_HEADERS_U2 (SEGMENT1, TYPE_LOOKUP_CODE, ORG_ID): a source lends its
    number once per pass, a cross-type copy never meets its source's type, and a cross-unit
    copy takes the number of the only row of its type that holds it, in another unit (own
    random streams, so the rest of the data is drawn as before)."""
    alike = ctx.recipe.namesakes
    numbers = v.namesakes(ctx.rng("PO_HEADERS_ALL:namesakes"),
                          np.array([str(4000 + i) for i in range(n)], dtype=object),
                          alike.orders, apart=kind)
    if not alike.orders_across_units:
        return numbers
    rows = v.namesake_rows(ctx.rng("PO_HEADERS_ALL:namesakes_across_units"), n,
                           alike.orders_across_units, apart=np.asarray(org), alike=kind)
    return numbers[rows]
