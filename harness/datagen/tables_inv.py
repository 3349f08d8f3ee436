"""Hand-written inventory tables: items in the inventory organizations and subinventories.

Every item exists in the master organization; a share also in the others, with the same
number and description (the item master controls them), so both organizations have rows.
Some items not purchased keep a default buyer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.datagen import values as v
from harness.datagen.context import GenContext
from harness.datagen.registry import generates

KEPT_BUYER_FRACTION = 0.3  # of items not purchased, that keep a default buyer


def item_numbers(rng: np.random.Generator, n: int, prefixes: list[str]) -> np.ndarray:
    """`n` distinct item numbers like 'AS54888'."""
    digits = v.distinct_numbers(rng, n, 10_000, 99_999)
    return np.array([f"{prefixes[i % len(prefixes)]}{d}" for i, d in enumerate(digits)],
                    dtype=object)


@generates("MTL_SYSTEM_ITEMS_B", needs=("MTL_PARAMETERS", "PO_AGENTS"))
def items(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Items of the master organization, a share of them also in the other organizations."""
    rng, inv, voc = ctx.rng("MTL_SYSTEM_ITEMS_B"), ctx.recipe.inv, ctx.recipe.vocabulary
    orgs = ctx.inventory_orgs
    k = ctx.row_count("MTL_SYSTEM_ITEMS_B")
    item_id = ctx.ids("MTL_SYSTEM_ITEMS_B", "INVENTORY_ITEM_ID", k)
    number = item_numbers(rng, k, inv.item_prefixes)
    description = np.array([f"{a} {b}" for a, b in zip(
        v.pick(rng, voc.item_adjectives, k), v.pick(rng, voc.item_nouns, k), strict=True)],
        dtype=object)
    uom = ctx.coded(rng, k, "MTL_SYSTEM_ITEMS_B", "PRIMARY_UOM_CODE", share=0.6)
    price = v.money(rng, k, *inv.price)
    # the master has every item; every other organization a share (at least one)
    in_org = [np.ones(k, bool)] + [rng.random(k) < inv.both_orgs_fraction for _ in orgs[1:]]
    for mask in in_org[1:]:
        mask[rng.integers(k)] = True
    which = np.concatenate([np.flatnonzero(m) for m in in_org])
    org = np.concatenate([np.full(int(m.sum()), o) for m, o in zip(in_org, orgs, strict=True)])
    n = len(which)
    agents = ctx.frames["PO_AGENTS"]["AGENT_ID"].to_numpy()
    created = v.random_days(rng, k, ctx.recipe.dates.start.replace(
        year=ctx.recipe.dates.start.year - 4), ctx.recipe.dates.end)[which]
    purchased = rng.random(k) < 0.8
    ended = rng.random(n) < 0.05
    return {"MTL_SYSTEM_ITEMS_B": v.frame({
        "INVENTORY_ITEM_ID": item_id[which],
        "ORGANIZATION_ID": org,
        "SUMMARY_FLAG": ctx.coded(rng, n, "MTL_SYSTEM_ITEMS_B", "SUMMARY_FLAG", share=0.95,
                                  main="N"),
        "ENABLED_FLAG": ctx.coded(rng, n, "MTL_SYSTEM_ITEMS_B", "ENABLED_FLAG", share=0.95,
                                  main="Y"),
        "SEGMENT1": v.null_where(number, np.arange(k) == k - 1)[which],
        "DESCRIPTION": description[which],
        "PRIMARY_UOM_CODE": uom[which],
        "PRIMARY_UNIT_OF_MEASURE": np.array([inv.uom_names.get(u, u) for u in uom],
                                            dtype=object)[which],
        "ITEM_TYPE": ctx.coded(rng, k, "MTL_SYSTEM_ITEMS_B", "ITEM_TYPE", nulls=0.02)[which],
        "INVENTORY_ITEM_STATUS_CODE": ctx.coded(rng, n, "MTL_SYSTEM_ITEMS_B",
                                                "INVENTORY_ITEM_STATUS_CODE", org, share=0.8),
        "PURCHASING_ITEM_FLAG": np.where(purchased, "Y", "N").astype(object)[which],
        "INVENTORY_ITEM_FLAG": ctx.coded(rng, k, "MTL_SYSTEM_ITEMS_B", "INVENTORY_ITEM_FLAG",
                                         share=0.85, main="Y")[which],
        "STOCK_ENABLED_FLAG": ctx.coded(rng, k, "MTL_SYSTEM_ITEMS_B", "STOCK_ENABLED_FLAG",
                                        share=0.85, main="Y")[which],
        "CUSTOMER_ORDER_FLAG": ctx.coded(rng, k, "MTL_SYSTEM_ITEMS_B", "CUSTOMER_ORDER_FLAG",
                                         share=0.7, main="Y")[which],
        "LIST_PRICE_PER_UNIT": v.null_where(price, np.arange(k) == 0)[which],
        "BUYER_ID": v.null_where(rng.choice(agents, k).astype(float),
                                 ~(purchased | _keeps_buyer(ctx, purchased)))[which],
        "PLANNING_MAKE_BUY_CODE": np.array([float(c) for c in ctx.coded(
            rng, k, "MTL_SYSTEM_ITEMS_B", "PLANNING_MAKE_BUY_CODE")])[which],
        "START_DATE_ACTIVE": v.null_where(created, rng.random(n) < 0.5),
        "END_DATE_ACTIVE": v.null_where(np.full(n, v.day(ctx.recipe.dates.end)), ~ended),
        "CREATION_DATE": created,
        "LAST_UPDATE_DATE": created,
    })}


def _keeps_buyer(ctx: GenContext, purchased: np.ndarray) -> np.ndarray:
    """Items no longer purchased (PURCHASING_ITEM_FLAG 'N', e.g. now made in house) that keep
    the default buyer they had: the Default Buyer is a Purchasing attribute of its own, not
    cleared with the Purchased flag, so `purchasing_item_flag = 'Y'` beside a join on BUYER_ID
    is not implied by the data. At least one such item; an own stream, no other value moves."""
    keeps = ~purchased & (ctx.rng("MTL_SYSTEM_ITEMS_B:kept_buyer").random(len(purchased))
                          < KEPT_BUYER_FRACTION)
    if (~purchased).any():
        keeps[np.flatnonzero(~purchased)[0]] = True
    return keeps


@generates("MTL_SECONDARY_INVENTORIES", needs=("MTL_PARAMETERS",))
def subinventories(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """The recipe's subinventories in every inventory organization."""
    rng, subs = ctx.rng("MTL_SECONDARY_INVENTORIES"), ctx.recipe.inv.subinventories
    orgs = ctx.inventory_orgs
    name = np.tile(np.array(list(subs), dtype=object), len(orgs))
    n = len(name)
    yes_no = [float(c) for c in ctx.codes("MTL_SECONDARY_INVENTORIES", "QUANTITY_TRACKED")]
    disabled = np.zeros(n, bool)
    disabled[-1] = True
    created = np.full(n, v.day(ctx.recipe.dates.start) - 365 * v.DAY)
    return {"MTL_SECONDARY_INVENTORIES": v.frame({
        "SECONDARY_INVENTORY_NAME": name,
        "ORGANIZATION_ID": np.repeat(orgs, len(subs)),
        "DESCRIPTION": np.array([subs[s] for s in name], dtype=object),
        "DISABLE_DATE": v.null_where(np.full(n, v.day(ctx.recipe.dates.end)), ~disabled),
        "QUANTITY_TRACKED": np.where(disabled, yes_no[-1], yes_no[0]),
        "ASSET_INVENTORY": np.array([yes_no[i % 2] for i in range(n)]),
        "RESERVABLE_TYPE": v.with_nulls(rng, np.array([yes_no[i % 2] for i in range(n)]), 0.3,
                                        np.arange(2)),
        "CREATION_DATE": created,
        "LAST_UPDATE_DATE": created,
    })}
