"""The data recipe: row counts, date span, currencies, id ranges, seeds and vocabulary as data.

`fixtures/ebs/recipe.yaml` holds every number the generator uses; this module validates it at
the edge (errors name file, line and field) and offers typed access.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.io.yaml_source import validate_yaml

DEFAULT_RECIPE_PATH = Path(__file__).resolve().parents[2] / "fixtures" / "ebs" / "recipe.yaml"

Fraction = float
RowRange = tuple[int, int]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_range(value: RowRange, what: str) -> None:
    low, high = value
    if not 0 <= low <= high:
        raise ValueError(f"{what}: expected [min, max] with 0 <= min <= max, got {list(value)}")


class DateRecipe(_Strict):
    """The transaction date span and the calendar edges rows must land on."""

    start: dt.date
    end: dt.date
    boundary_year: int  # midnight rows on the first and last day of each month of this year
    open_end: dt.date  # the EBS "end of time" of date-tracked rows (4712-12-31)
    time_of_day_fraction: Fraction = Field(ge=0, le=1)
    # The day of the pinned SYSDATE (harness.translate.PINNED_SYSDATE) and the days before it
    # that aging questions cut at: midnight rows there tell `>` from `>=` in "overdue" filters.
    today: dt.date | None = None
    aging_days: list[int] = []
    # More days before it that windows reach (`d > SYSDATE - 2`, ADD_MONTHS(SYSDATE, -1)):
    # only the times around SYSDATE's (context.instants), no midnight rows, no aging window.
    instant_days: list[int] = []
    # A time of day on the last day of each month of boundary_year: `d BETWEEN first AND
    # last day` misses such a row, `d >= first AND d < next first` keeps it.
    month_end_time: dt.time | None = None

    def month_end_instants(self) -> list[dt.datetime]:
        """`month_end_time` on the last day of each month of the boundary year."""
        if self.month_end_time is None:
            return []
        ends = [dt.date(self.boundary_year + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
                for m in range(1, 13)]
        return [dt.datetime.combine(d, self.month_end_time) for d in ends]

    def extra_edges(self) -> list[dt.date]:
        """Midnights besides the boundary year's: the first day of every month of the span
        (year and quarter filters of any year), and `today` minus each of 0 and `aging_days`."""
        days = []
        month = dt.date(self.start.year, self.start.month, 1)
        while month <= self.end:
            if month >= self.start:
                days.append(month)
            month = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        if self.today is not None:
            days += [self.today - dt.timedelta(days=k) for k in (0, *self.aging_days)]
        return days

    @model_validator(mode="after")
    def _ordered(self) -> DateRecipe:
        if not self.start <= dt.date(self.boundary_year, 1, 1) <= self.end:
            raise ValueError("boundary_year must lie inside [start, end]")
        if dt.date(self.boundary_year + 1, 1, 1) > self.end:
            raise ValueError("the first day after boundary_year must lie inside [start, end]")
        if self.open_end <= self.end:
            raise ValueError("open_end must come after end")
        oldest = self.today and self.today - dt.timedelta(
            days=max([*self.aging_days, *self.instant_days], default=0))
        if self.today is not None and not self.start <= oldest <= self.today <= self.end:
            raise ValueError("today and the aging days before it must lie inside [start, end]")
        return self


class CurrencyDetail(_Strict):
    """What FND_CURRENCIES says about one currency."""

    territory: str
    symbol: str
    precision: int = Field(ge=0, le=9)


class CurrencyRecipe(_Strict):
    """The functional currency and the foreign ones transactions may be entered in."""

    functional: str = Field(pattern=r"^[A-Z]{3}$")
    foreign: dict[str, float] = Field(min_length=1)  # code -> rate to the functional currency
    foreign_fraction: Fraction = Field(ge=0, le=1)
    details: dict[str, CurrencyDetail]

    @property
    def codes(self) -> list[str]:
        """Every currency, functional first."""
        return [self.functional, *self.foreign]


class IdRecipe(_Strict):
    """Disjoint numeric ranges: block b holds ids [b * block_size, (b + 1) * block_size)."""

    block_size: int = Field(gt=0)
    max_gap: int = Field(ge=1)  # consecutive ids differ by 1..max_gap, so instances differ
    blocks: dict[str, int]  # TABLE.COLUMN -> block; block 0 stays free for organization ids
    first_free_block: int  # unlisted id columns get blocks from here on, in name order

    @model_validator(mode="after")
    def _disjoint(self) -> IdRecipe:
        seen: dict[int, str] = {}
        for name, block in self.blocks.items():
            if block <= 0:
                raise ValueError(f"ids.blocks.{name}: block 0 is reserved for organizations")
            if block in seen:
                raise ValueError(f"ids.blocks.{name}: block {block} is also {seen[block]}")
            if block >= self.first_free_block:
                raise ValueError(f"ids.blocks.{name}: block must be below first_free_block")
            seen[block] = name
        return self


class Vocabulary(_Strict):
    """Word pools that make values look like a real EBS instance."""

    supplier_stems: list[str] = Field(min_length=20)
    supplier_suffixes: list[str] = Field(min_length=3)
    customer_stems: list[str] = Field(min_length=20)
    first_names: list[str] = Field(min_length=20)
    last_names: list[str] = Field(min_length=20)
    cities: list[tuple[str, str]] = Field(min_length=5)  # (city, ISO country)
    item_nouns: list[str] = Field(min_length=10)
    item_adjectives: list[str] = Field(min_length=5)
    words: list[str] = Field(min_length=20)


class ApShape(_Strict):
    """Payables: how suppliers, invoices and payments relate."""

    # each supplier gets one role; fractions of the supplier count
    suppliers_with_invoices_and_pos: Fraction
    suppliers_with_invoices_only: Fraction
    suppliers_with_pos_only: Fraction
    sites_per_supplier: RowRange
    second_ou_site_fraction: Fraction  # suppliers that also have a site in the other OU
    cancelled_fraction: Fraction
    payments_per_paid_invoice: RowRange
    multi_currency_suppliers_per_ou: int = Field(ge=1)
    amount: tuple[float, float]  # invoice amount range before the sign of the type
    null_supplier_type_fraction: Fraction
    null_amount_paid_fraction: Fraction  # of unpaid invoices, AMOUNT_PAID NULL rather than 0
    invoices_without_amount: int = Field(default=0, ge=0)  # per unit: INVOICE_AMOUNT NULL
    # of imported invoices (SOURCE 'Payables Open Interface'), INVOICE_NUM with a trailing blank
    imported_blank_fraction: Fraction = 0.0


class PoShape(_Strict):
    """Purchasing: lines per order and the orders without a supplier."""

    lines_per_order: RowRange
    null_vendor_fraction: Fraction
    null_item_fraction: Fraction  # service lines without an inventory item
    buyers: int = Field(ge=1)


class LedgerSpec(_Strict):
    """One ledger; the operating units whose books it keeps (primary ledgers only)."""

    name: str
    short_name: str
    currency: str
    category: str
    operating_units: list[int] = []
    period_set_name: str | None = None  # its calendar when not gl.period_set_name


class GlShape(_Strict):
    """General ledger: ledgers, calendar, accounts and journals."""

    ledgers: list[LedgerSpec] = Field(min_length=1)
    period_set_name: str
    period_type: str
    # further calendars (period set name -> first month of their fiscal year) a ledger may
    # keep its books in; their periods carry the same MON-YY names as the main calendar's
    fiscal_calendars: dict[str, int] = {}
    chart_of_accounts_id: int
    lines_per_journal: RowRange
    accounts: dict[str, tuple[str, str]] = Field(min_length=5)  # segment -> (type, description)
    companies: list[str] = Field(min_length=2)
    cost_centers: list[str] = Field(min_length=2)
    disabled_fraction: Fraction  # code combinations disabled or summary-only
    amount: tuple[float, float]
    open_periods_from: dt.date  # periods before are closed, after it open or future
    open_shift_months: int = Field(ge=0)  # the open window moves by up to this per ledger
    open_months: RowRange  # periods open at once, [min, max]


class ArShape(_Strict):
    """Receivables: parties, customer accounts, transactions, schedules and receipts."""

    person_party_fraction: Fraction  # customer parties that are persons
    accounts_per_party: RowRange
    both_ou_fraction: Fraction  # accounts with a site in every operating unit
    lines_per_transaction: RowRange
    two_installment_fraction: Fraction
    amount: tuple[float, float]
    open_fraction: Fraction  # transactions with an open balance
    days_due: list[int] = Field(min_length=1)
    unapplied_receipt_fraction: Fraction  # receipts with a part left unapplied
    unpaid_open_fraction: Fraction = 0.0  # open schedules nothing has been received for yet
    # open invoices and debit memos receipts overapplied (a negative remaining amount)
    overapplied_open_fraction: Fraction = 0.0
    # customers per unit whose open items net to zero (one of them overapplied)
    balanced_customers: int = Field(default=0, ge=0)
    # classes a unit closes every item of on the sparse instances (dealt in turn), and the
    # closed debit items that keep the amount a dispute recorded before they were paid
    closed_classes: list[str] = []
    closed_dispute_fraction: Fraction = 0.0


class HrShape(_Strict):
    """People: date-tracked history, jobs and who is a user."""

    history_fraction: Fraction  # persons with several effective rows
    max_history_rows: int = Field(ge=2)
    jobs: list[str] = Field(min_length=2)
    user_fraction: Fraction  # persons who have an FND_USER
    system_users: list[str] = Field(min_length=1)  # users with no person (SYSADMIN, ...)


class InvShape(_Strict):
    """Inventory: items, their organizations and subinventories."""

    both_orgs_fraction: Fraction  # items assigned to every inventory organization
    item_prefixes: list[str] = Field(min_length=2)  # item numbers look like AS54888
    subinventories: dict[str, str] = Field(min_length=2)  # name -> description
    uom_names: dict[str, str]  # unit-of-measure code -> unit name
    price: tuple[float, float]


class GenericShape(_Strict):
    """Plausible values for the tables (and columns) no hand-written generator makes."""

    amount: tuple[float, float]  # *_AMOUNT, *_PRICE, *_COST, ... columns
    quantity_max: int = Field(ge=1)  # *QUANTITY* columns: 1..quantity_max
    number_max: int = Field(ge=1)  # other numbers: 1..number_max
    end_after_days: int = Field(ge=1)  # an end date falls 0..end_after_days after its start
    open_end_fraction: Fraction  # end dates left at the end of time (4712-12-31)
    hierarchy_root_fraction: Fraction  # rows of a self-referencing table with no parent
    id_pool_fraction: Fraction  # ids of things outside the catalog: distinct ids per row


class SetupRepeat(_Strict):
    """How a setup row a gold lists is repeated (repeat_rows.py): the rows that share its
    values in `along` (one thing, e.g. a lookup type with every code and language) are
    copied with `column` set to another value the column holds."""

    column: str
    along: list[str] = Field(min_length=1)


class TargetedRows(_Strict):
    """Rows on, below and above the constants golds compare columns with (targeted.py)."""

    golden: list[Path] = []  # golden JSONL files (relative to the repository) to read
    rows_per_value: int = Field(default=0, ge=0)  # rows set to each of c - 1, c, c + 1
    frozen: list[str] = []  # TABLE.COLUMN (or TABLE.*) facts depend on: never overwritten
    bounded: list[str] = []  # TABLE.COLUMN whose [min, max] is a fact: values stay inside
    group_totals: bool = False  # HAVING SUM thresholds: group totals on c - 1, c, c + 1
    # query blocks a held-out gold may group the same way (Oracle text with its own
    # `HAVING SUM(x) op c`): their group totals are placed like a gold's (group_totals.py)
    round_total_blocks: list[str] = []
    # GL groupings a held-out gold may read with SUM(NVL(jl.side, 0)), grouped by a
    # partition column first (a period): one group per partition loses that side (nvl_zeros.py)
    one_sided_blocks: list[str] = []
    # ties at top-N cuts (top_ties.py): rows a twin of the entity ranked n may copy; 0: none
    cut_twin_rows: int = Field(default=0, ge=0)
    # rows the golds list, repeated (repeat_rows.py): rows a twin of a document a gold shows
    # may copy; 0: none
    repeat_twin_rows: int = Field(default=0, ge=0)
    # setup tables whose listed rows are repeated under another value of a key column
    repeat_setup: dict[str, SetupRepeat] = {}
    blocks: bool = False  # c - 1, c, c + 1 also on rows that pass the gold's other conditions
    # instances (indices) whose documents also lie on the golds' days outside the span:
    # `bounded` does not bound them, and hand-made dates take those days (span_edges.py)
    beyond_span: list[int] = []
    # NULL where golds read an amount through NVL(x, 0) in an aggregate (nvl_zeros.py)
    nvl_zeros: bool = False
    # lookup types users may add codes to: a gold's NVL label may be one (nvl_labels.py)
    extensible_lookups: list[str] = []
    # lookup type -> codes EBS has that random rows never draw: each is placed on copies of
    # the rows a gold's DECODE reads, all of a lookup's together, so that codes outside the
    # DECODE's list come in equal counts (decode_pairs.py)
    rare_codes: dict[str, list[str]] = {}

    def paths(self) -> list[Path]:
        """The golden files, resolved against the repository root."""
        return [p if p.is_absolute() else DEFAULT_RECIPE_PATH.parents[2] / p
                for p in self.golden]


class CaseVariants(_Strict):
    """Shares of names respelt in capitals or small letters (values.case_variants), so a
    case-sensitive comparison and a case-blind one (UPPER/LOWER on both sides) differ."""

    people: Fraction = Field(default=0.0, ge=0, le=0.5)   # a person's first and last name
    parties: Fraction = Field(default=0.0, ge=0, le=0.5)  # PARTY_NAME: suppliers, customers


class WildcardVariants(_Strict):
    """Shares of distinct names respelt with `_` or `%` (values.wildcard_variants), so a LIKE
    pattern that reads them as wildcards and one that escapes them (or `INSTR`) differ."""

    parties: Fraction = Field(default=0.0, ge=0, le=0.5)  # PARTY_NAME: suppliers, customers


class Namesakes(_Strict):
    """Shares of rows that repeat another row's name or number where EBS keeps it non-unique
    (no unique key declares it), so a DISTINCT or a GROUP BY that drops the id beside a name
    merges two things and returns another result (values.namesakes)."""

    suppliers: Fraction = Field(default=0.0, ge=0, le=0.5)  # VENDOR_NAME (AP_SUPPLIERS_N6)
    customers: Fraction = Field(default=0.0, ge=0, le=0.5)  # organization PARTY_NAME
    people: Fraction = Field(default=0.0, ge=0, le=0.5)  # first and last name: FULL_NAME
    invoices: Fraction = Field(default=0.0, ge=0, le=0.5)  # INVOICE_NUM of another supplier
    # number, amount and date of another supplier's invoice of the same unit, type, status
    invoice_twins: Fraction = Field(default=0.0, ge=0, le=0.5)
    orders: Fraction = Field(default=0.0, ge=0, le=0.5)  # PO SEGMENT1 of another type
    # PO SEGMENT1 of an order of the same type in another operating unit
    orders_across_units: Fraction = Field(default=0.0, ge=0, le=0.5)
    transactions: Fraction = Field(default=0.0, ge=0, le=0.5)  # TRX_NUMBER of another source


class HiddenKey(_Strict):
    """A unique-key column a twin may vary instead of the one a gold shows (twins.py): every
    `every`-th twin whose `column` value `swap` maps takes the mapped value, and its copied
    children (`children`, CHILD.COLUMN: value map) the values that suit it, so the twin's
    visible number stays its original's (PO_HEADERS_U2 is number, type and unit: a planned
    order may carry a standard order's number). Values are codes or ids: a requisition twin
    may move to another operating unit (PO_REQUISITION_HEADERS_U2 is number and unit)."""

    column: str
    swap: dict[str | int, str | int] = Field(min_length=1)
    children: dict[str, dict[str | int, str | int]] = {}
    every: int = Field(default=2, ge=1)

    @model_validator(mode="after")
    def _children(self) -> HiddenKey:
        for entry in self.children:
            table, dot, column = entry.partition(".")
            if not dot or not table or not column:
                raise ValueError(f"children: expected CHILD_TABLE.COLUMN, got {entry!r}")
        return self


class SparseCoverage(_Strict):
    """Instances (indices) where a unit holds no row of a code a gold filters on, and the
    tables that may lose those rows (sparse_coverage.py)."""

    instances: list[int] = []
    tables: list[str] = []
    # a child table whose pair goes with whole documents: CHILD -> the document's root table,
    # which the child references through a NOT NULL foreign key (a shipment's order)
    documents: dict[str, str] = {}
    # a pair of a listed column keeps its rows under another code instead of losing them
    # (TABLE.COLUMN -> {code: substitute}); where the code follows its document's type
    # (`retyped`: CHILD.COLUMN -> ROOT.COLUMN, through the child's NOT NULL key to the
    # root), the documents that hold the pair take the substitute whole: their root and
    # every row of the child under it (sparse_coverage.py)
    substitutes: dict[str, dict[str, str]] = {}
    retyped: dict[str, str] = {}
    # substitutes entries (TABLE.COLUMN) whose codes are dealt in every unit of the table,
    # not only in the units the golds pair them with (after the golds' own pairs, so those
    # keep their turns): the family of `WHERE ORG_ID = u AND code = c` over any unit
    every_unit: list[str] = []
    # TABLE.COLUMN -> columns a recoded row no longer carries (set NULL): a subinventory
    # belongs to an Inventory destination only
    cleared: dict[str, list[str]] = {}

    @model_validator(mode="after")
    def _columns(self) -> SparseCoverage:
        for entry in [*self.substitutes, *self.retyped, *self.retyped.values()]:
            table, dot, column = entry.partition(".")
            if not dot or not table or not column:
                raise ValueError(f"substitutes / retyped: expected TABLE.COLUMN, got {entry!r}")
        for entry in self.retyped:
            if entry not in self.substitutes:
                raise ValueError(f"retyped: {entry} has no substitutes entry")
        for entry in [*self.every_unit, *self.cleared]:
            if entry not in self.substitutes:
                raise ValueError(f"every_unit / cleared: {entry} has no substitutes entry")
        return self


class Twins(_Strict):
    """Copies of documents that differ only in their keys (twins.py): `documents` says how
    many rows of each table get a twin per instance, `owned` which foreign keys (CHILD.COLUMN,
    columns joined by '+') make the parent own the child, so a twin takes copies of its
    children; `instances` which instances (indices; all when omitted)."""

    documents: dict[str, int] = {}  # table -> twins per instance
    owned: list[str] = []
    max_rows: int = Field(default=200, ge=1)  # rows one twin may copy with its children
    instances: list[int] | None = None
    hidden: dict[str, HiddenKey] = {}  # table -> the key column some twins vary instead
    # owning keys (CHILD.COLUMN) inside a unique key of the child: a twin of the child comes
    # with a copy of its owner, so its visible values stay (a journal's name, unique in its
    # batch) instead of a fresh one
    with_owner: list[str] = []

    @model_validator(mode="after")
    def _counts(self) -> Twins:
        for table, n in self.documents.items():
            if n < 1:
                raise ValueError(f"documents.{table}: expected a count >= 1, got {n}")
        for entry in self.owned:
            table, dot, cols = entry.partition(".")
            if not dot or not table or not all(cols.split("+")):
                raise ValueError(f"owned: expected CHILD_TABLE.COLUMN, got {entry!r}")
        return self

    def applies_to(self, index: int | None) -> bool:
        """Whether the instance at `index` gets twins."""
        return self.instances is None or index in self.instances


class RoleNamesakes(_Strict):
    """Pairs of persons in a role who share a FULL_NAME (role_namesakes.py): `buyers` pairs
    among the PO_AGENTS, so a GROUP BY on the buyer's name without PERSON_ID merges two
    buyers (EBS keys no person by name)."""

    buyers: int = Field(default=0, ge=0)


class RoleTwin(_Strict):
    """One role of `role_twins` (role_twins.py): `count` `root` rows copied with the rows of
    each `takes` foreign key (CHILD.COLUMN) that point at a row taken so far, the rows each
    `parents` key of a taken row points at, `fresh` columns (TABLE.COLUMN) the copies
    renumber, and, with `group`, a new business group of that name the copies stand in."""

    root: str
    takes: list[str] = Field(min_length=1)
    parents: list[str] = []  # CHILD.COLUMN: the parent a copied CHILD row points at comes too
    fresh: list[str] = []
    group: str | None = None  # the name of a new business group the copies stand in
    closed: bool = False  # copies leave out taken rows that point at no copied row
    detach: list[str] = []  # TABLE.COLUMN: copies clear a reference to an uncopied row
    sealed: bool = False  # only roots whose taken rows all point at copied rows
    count: int = Field(default=1, ge=1)  # roots copied per instance
    instances: list[int] | None = None  # indices; all when omitted

    def applies_to(self, index: int | None) -> bool:
        """Whether the instance at `index` gets this role's twin."""
        return self.instances is None or index in self.instances

    @model_validator(mode="after")
    def _entries(self) -> RoleTwin:
        for entry in [*self.takes, *self.parents, *self.fresh, *self.detach]:
            table, dot, cols = entry.partition(".")
            if not dot or not table or not all(cols.split("+")):
                raise ValueError(f"expected TABLE.COLUMN, got {entry!r}")
        return self


class RoleTwins(_Strict):
    """Twins of a person, account, location or type in a role, with the rows that point at it
    (role_twins.py): `roles` by name, each copy at most `max_rows` rows."""

    roles: dict[str, RoleTwin] = {}
    max_rows: int = Field(default=600, ge=1)


class HandNulls(_Strict):
    """NULLs a nullable hand-made column that has none gets, per organization: at least
    `rows`, else `fraction` of the organization's rows (generic.TableFiller)."""

    rows: int = Field(default=1, ge=1)
    fraction: Fraction = Field(default=0.0, ge=0, le=0.2)


class Application(_Strict):
    """An EBS application (FND_APPLICATION) with its fixed id and the catalog module whose
    lookups it owns."""

    id: int
    short_name: str
    product_code: str
    module: str


class IdleUnit(_Strict):
    """An operating unit that exists in HR but holds no data."""

    organization_id: int = Field(gt=0)
    name: str = Field(min_length=1)


class Organizations(_Strict):
    """HR organizations besides the operating units and inventory organizations of
    security.yaml: the business group, departments and external organizations."""

    business_group_id: int
    business_group_name: str
    legal_entity_id: int
    departments: list[str] = Field(min_length=2)
    external: list[str] = Field(min_length=1)
    # Operating units set up but not yet used (no security profile grants them, no document
    # is striped to them): a unit list joined to its activity shows them only by an outer join.
    idle_operating_units: list[IdleUnit] = []

    @model_validator(mode="after")
    def _distinct_units(self) -> Organizations:
        ids = [u.organization_id for u in self.idle_operating_units]
        if len(set(ids)) != len(ids) or self.business_group_id in ids:
            raise ValueError("idle_operating_units need their own organization ids")
        return self


class Recipe(_Strict):
    """Everything the generator needs besides the catalog and the seed."""

    base_seed: int
    k: int = Field(ge=1)
    # Seeds of the instances after the first ones (base_seed, base_seed + 1, ...), chosen by
    # search: the seeds whose instances kill the most mutants the others leave alive
    # (docs/test-suite-data.md). Instance i: base_seed + i below k - len(searched_seeds).
    searched_seeds: list[int] = []
    dates: DateRecipe
    currencies: CurrencyRecipe
    ids: IdRecipe
    default_rows: RowRange
    rows: dict[str, RowRange]  # table -> [min, max] rows, drawn per instance
    null_fraction: Fraction
    hand_nulls: HandNulls = HandNulls()
    generic: GenericShape
    never_null: list[str] = []  # TABLE.COLUMN nullable in the catalog but always set
    implicit_references: dict[str, str] = {}  # column name -> TABLE.COLUMN it draws from
    codes: dict[str, list[str]] = {}  # TABLE.COLUMN -> codes when the catalog has no lookup
    value_pools: dict[str, list[str]] = {}  # column name -> plausible values (generic tables)
    targeted: TargetedRows = TargetedRows()
    namesakes: Namesakes = Namesakes()
    case_variants: CaseVariants = CaseVariants()
    wildcard_variants: WildcardVariants = WildcardVariants()
    twins: Twins = Twins()
    role_namesakes: RoleNamesakes = RoleNamesakes()
    role_twins: RoleTwins = RoleTwins()
    sparse: SparseCoverage = SparseCoverage()
    vocabulary: Vocabulary
    applications: list[Application] = Field(min_length=1)
    organizations: Organizations
    ap: ApShape
    po: PoShape
    gl: GlShape
    ar: ArShape
    hr: HrShape
    inv: InvShape

    @model_validator(mode="after")
    def _ranges(self) -> Recipe:
        _check_range(self.default_rows, "default_rows")
        for name, value in self.rows.items():
            _check_range(value, f"rows.{name}")
        plain = range(self.base_seed, self.base_seed + self.k - len(self.searched_seeds))
        if len(self.searched_seeds) > self.k or len(set(self.searched_seeds)) < len(
                self.searched_seeds) or any(s in plain for s in self.searched_seeds):
            raise ValueError("searched_seeds: expected at most k distinct seeds, none of them "
                             f"base_seed .. base_seed + {len(plain) - 1}")
        if self.twins.instances and not all(0 <= i < self.k for i in self.twins.instances):
            raise ValueError(f"twins.instances: expected indices 0 .. {self.k - 1}, got "
                             f"{self.twins.instances}")
        for name, role in self.role_twins.roles.items():
            if role.instances and not all(0 <= i < self.k for i in role.instances):
                raise ValueError(f"role_twins.roles.{name}.instances: expected indices 0 .. "
                                 f"{self.k - 1}, got {role.instances}")
        if not all(0 <= i < self.k for i in self.targeted.beyond_span):
            raise ValueError(f"targeted.beyond_span: expected indices 0 .. {self.k - 1}, got "
                             f"{self.targeted.beyond_span}")
        if not all(0 <= i < self.k for i in self.sparse.instances):
            raise ValueError(f"sparse.instances: expected indices 0 .. {self.k - 1}, got "
                             f"{self.sparse.instances}")
        return self

    def index_of(self, seed: int) -> int | None:
        """The index of the instance made from `seed` among the first k (None if none)."""
        return next((i for i in range(self.k) if self.seed(i) == seed), None)

    def row_range(self, table: str) -> RowRange:
        """The [min, max] row count of `table` (the default for unlisted tables)."""
        return self.rows.get(table, self.default_rows)

    def seed(self, index: int) -> int:
        """The seed of instance `index`: base_seed + index for the first k - len(searched)
        instances, then the searched seeds, then (beyond k, when more are asked for) seeds
        after every one used so far."""
        plain = self.k - len(self.searched_seeds)
        if index < plain:
            return self.base_seed + index
        if index < self.k:
            return self.searched_seeds[index - plain]
        return max([self.base_seed + plain - 1, *self.searched_seeds]) + 1 + index - self.k

    def fingerprint(self) -> str:
        """Hash of everything that shapes an instance's data (K and the searched seeds are left
        out: they say which instances there are, not what any one holds)."""
        text = self.model_dump_json(exclude={"k", "searched_seeds"})
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_recipe(path: str | Path = DEFAULT_RECIPE_PATH) -> Recipe:
    """Load and validate the recipe; InputError names file, line and field on a problem."""
    recipe, _ = validate_yaml(path, Recipe)
    return recipe
