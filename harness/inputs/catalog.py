"""The Oracle EBS catalog: tables, columns, keys, join graph, lookups, synonyms and MOAC policy.

The catalog is data (`fixtures/ebs/catalog/*.yaml`, one file per module, plus
`fixtures/ebs/security.yaml`); this module validates it at the edge and offers typed access.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.io.errors import InputError, pydantic_field
from harness.io.yaml_source import line_of, validate_yaml

DEFAULT_CATALOG_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "ebs"

_IDENT = r"[A-Z][A-Z0-9_$#]*"
_TYPE_RE = re.compile(
    r"^(?P<base>NUMBER|VARCHAR2|CHAR|DATE|CLOB|TIMESTAMP)(\((?P<p>\d+)(,\s*(?P<s>-?\d+))?\))?$",
    re.ASCII,
)
# Oracle's limits on the parenthesised numbers of each type (extended VARCHAR2 allows 32767).
_LIMITS = {"NUMBER": (1, 38), "VARCHAR2": (1, 32767), "CHAR": (1, 2000), "TIMESTAMP": (0, 9)}
_NUMBER_SCALE = (-84, 127)
# Digits after the point stored for an unconstrained NUMBER: covers the embedded data (amounts
# in cents, rates to 6 places) and leaves DuckDB's decimal products room (a product of three
# such columns has 18 places and still 20 integer digits inside DECIMAL(38)).
PLAIN_NUMBER_SCALE = 6


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OracleType(_Strict):
    """An Oracle column type such as NUMBER(15), NUMBER(15,2), VARCHAR2(240) or DATE."""

    base: Literal["NUMBER", "VARCHAR2", "CHAR", "DATE", "CLOB", "TIMESTAMP"]
    precision: int | None = None  # digits for NUMBER, length for VARCHAR2/CHAR
    scale: int | None = None

    @classmethod
    def parse(cls, text: str) -> OracleType:
        """Parse the catalog spelling of a type; ValueError names the expected form."""
        # ASCII only: str.upper() maps some non-ASCII letters onto ASCII ones ("ı" -> "I").
        m = _TYPE_RE.match(text.strip().upper()) if text.isascii() else None
        if not m and text.count("(") > text.count(")"):
            # `{type: NUMBER(15,2)}` splits at the comma: YAML flow mappings need it quoted.
            raise ValueError('unclosed parenthesis; quote a type with a comma inside a flow '
                             'mapping, e.g. {name: AMOUNT, type: "NUMBER(15,2)"}')
        if not m:
            raise ValueError(
                "expected an Oracle type: NUMBER, NUMBER(p), NUMBER(p,s), VARCHAR2(n), CHAR(n), "
                "DATE, CLOB or TIMESTAMP"
            )
        base = m["base"]
        p = int(m["p"]) if m["p"] else None
        s = int(m["s"]) if m["s"] else None
        if base in ("VARCHAR2", "CHAR") and p is None:
            raise ValueError(f"{base} needs a length, e.g. {base}(30)")
        if base in ("DATE", "CLOB") and p is not None:
            raise ValueError(f"{base} takes no length")
        if s is not None and base != "NUMBER":
            raise ValueError(f"{base} takes one number, not a scale")
        if p is not None and not _LIMITS[base][0] <= p <= _LIMITS[base][1]:
            raise ValueError(f"{base} takes {_LIMITS[base][0]} to {_LIMITS[base][1]}, got {p}")
        if s is not None and not _NUMBER_SCALE[0] <= s <= _NUMBER_SCALE[1]:
            raise ValueError(f"NUMBER scale must be {_NUMBER_SCALE[0]} to {_NUMBER_SCALE[1]}, "
                             f"got {s}")
        return cls(base=base, precision=p, scale=s)

    def __str__(self) -> str:
        if self.precision is None:
            return self.base
        if self.scale is None:
            return f"{self.base}({self.precision})"
        return f"{self.base}({self.precision},{self.scale})"

    @property
    def is_numeric(self) -> bool:
        return self.base == "NUMBER"

    @property
    def is_temporal(self) -> bool:
        return self.base in ("DATE", "TIMESTAMP")

    @property
    def is_text(self) -> bool:
        return self.base in ("VARCHAR2", "CHAR", "CLOB")

    def duckdb_type(self) -> str:
        """The DuckDB type that stores this Oracle type without changing its meaning.

        Oracle DATE carries a time of day, so it is a TIMESTAMP. NUMBER is decimal and compares
        exactly in Oracle, so it is stored exactly: NUMBER(p) with scale 0 fits a BIGINT up to
        18 digits and a DECIMAL(p,0) beyond; NUMBER(p,s) is a DECIMAL(p,s) (a negative scale
        leaves integers of p - s digits); an unconstrained NUMBER is a
        DECIMAL(38, PLAIN_NUMBER_SCALE), never a DOUBLE, so that `SUM(dr) = SUM(cr)` and
        `SUM(dr - cr) = 0` agree as they do in Oracle.
        """
        if self.base == "NUMBER":
            scale = self.storage_scale
            if self.precision is None:
                return f"DECIMAL(38,{scale})"
            digits = self.precision - min(self.scale or 0, 0)
            if not scale and digits <= 18:
                return "BIGINT"
            return f"DECIMAL({min(max(digits, scale), 38)},{scale})"
        if self.base in ("DATE", "TIMESTAMP"):
            return "TIMESTAMP"
        return "VARCHAR"

    @property
    def storage_scale(self) -> int:
        """Digits after the point that the DuckDB storage of a NUMBER keeps (0 otherwise)."""
        if self.base != "NUMBER":
            return 0
        if self.precision is None:
            return PLAIN_NUMBER_SCALE
        return max(self.scale or 0, 0)


class Column(_Strict):
    """One column of an EBS table."""

    name: str = Field(pattern=f"^{_IDENT}$")
    type: OracleType
    nullable: bool = True
    description: str = ""
    lookup: str | None = None  # name of a lookup type whose codes this column holds

    @field_validator("type", mode="before")
    @classmethod
    def _parse_type(cls, value: object) -> object:
        return OracleType.parse(value) if isinstance(value, str) else value


class ForeignKey(_Strict):
    """A join edge: `columns` of this table reference `ref_columns` of `references`.

    `same` names columns a child row shares with the parent row it references, an invariant
    of EBS rather than a constraint of the database: under Multiple Organizations a line,
    shipment, distribution, payment schedule, payment or application lives in the operating
    unit of its document (`same: [ORG_ID]`), and a shipment's PO_HEADER_ID is its line's.
    Only a key that names one parent row (ref_columns its primary or a unique key) may carry
    it; tests/test_catalog_invariants.py checks each one on every built instance, and the
    mutant prover (harness.authoring.mutant_equivalence) reasons with them."""

    columns: list[str] = Field(min_length=1)
    references: str = Field(pattern=f"^{_IDENT}$")
    ref_columns: list[str] = Field(min_length=1)
    same: list[str] = []
    description: str = ""


class UniqueKey(_Strict):
    """A unique key EBS declares besides the primary key (a unique index of the eTRM, named
    so it can be checked). As Oracle's unique indexes do, it forbids two rows that agree on
    every key column, NULLs counted as equal, unless all of them are NULL; the catalog asks
    at least one column to be NOT NULL, so no row escapes it."""

    index: str = Field(pattern=f"^{_IDENT}$")  # the EBS unique index, e.g. AP_INVOICES_U2
    columns: list[str] = Field(min_length=1)


class DateTrack(_Strict):
    """How a date-tracked table (EBS DateTrack, the `_F` tables of HRMS) keeps its versions:
    the rows of one `key` value never overlap in [`start`, `end`] (both NOT NULL), so at any
    one date `key` determines at most one row. `source` names the EBS documentation that
    states it."""

    key: list[str] = Field(min_length=1)
    start: str = Field(pattern=f"^{_IDENT}$")
    end: str = Field(pattern=f"^{_IDENT}$")
    source: str = Field(min_length=1)


class Striping(_Strict):
    """How MOAC stripes a table: by operating unit (ORG_ID) or inventory organization."""

    by: Literal["operating_unit", "inventory_organization"]
    column: str = Field(pattern=f"^{_IDENT}$")


class Table(_Strict):
    """One EBS table with its columns, keys and security striping."""

    name: str = Field(pattern=f"^{_IDENT}$")
    description: str = Field(min_length=1)
    primary_key: list[str] = Field(min_length=1)
    unique_keys: list[UniqueKey] = []
    date_tracked: DateTrack | None = None
    columns: list[Column] = Field(min_length=1)
    foreign_keys: list[ForeignKey] = []
    striping: Striping | None = None

    def column(self, name: str) -> Column:
        """The column called `name` (KeyError if absent)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name}.{name}")

    @property
    def column_names(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns)


class Lookup(_Strict):
    """A lookup type: the codes a coded column may hold and what each means."""

    name: str = Field(min_length=1)
    description: str = ""
    codes: dict[str, str] = Field(min_length=1)


class Synonym(_Strict):
    """A business term and what it means in the schema (`TABLE` or `TABLE.COLUMN`)."""

    term: str = Field(min_length=1)
    maps_to: str = Field(pattern=f"^{_IDENT}(\\.{_IDENT})?$")
    note: str = ""


class ModuleFile(_Strict):
    """One catalog file: the tables, lookups and synonyms of one EBS module."""

    module: str = Field(pattern=r"^[A-Z]{2,4}$")
    description: str = ""
    tables: list[Table] = []
    lookups: list[Lookup] = []
    synonyms: list[Synonym] = []


class OperatingUnit(_Strict):
    organization_id: int
    name: str


class InventoryOrganization(_Strict):
    organization_id: int
    code: str
    name: str
    operating_unit: int


class SecurityPolicy(_Strict):
    """MOAC: operating units, inventory organizations and the rule queries must follow."""

    operating_units: list[OperatingUnit] = Field(min_length=1)
    inventory_organizations: list[InventoryOrganization] = Field(min_length=1)
    rule: str = Field(min_length=1)


class CatalogError(InputError):
    """A catalog that is well-formed file by file but inconsistent as a whole."""


class Catalog:
    """The validated EBS catalog: every module file plus the security policy."""

    def __init__(self, modules: dict[str, ModuleFile], security: SecurityPolicy,
                 sources: dict[str, Path], fingerprint: str) -> None:
        self.modules = modules
        self.security = security
        self.fingerprint = fingerprint  # changes whenever any catalog file changes
        self.sources = sources  # module name -> the file it came from (for error messages)

    @cached_property
    def tables(self) -> dict[str, Table]:
        return {t.name: t for m in self.modules.values() for t in m.tables}

    @cached_property
    def table_module(self) -> dict[str, str]:
        return {t.name: m.module for m in self.modules.values() for t in m.tables}

    @cached_property
    def lookups(self) -> dict[str, Lookup]:
        return {lk.name: lk for m in self.modules.values() for lk in m.lookups}

    @cached_property
    def synonyms(self) -> list[Synonym]:
        return [s for m in self.modules.values() for s in m.synonyms]

    def table(self, name: str) -> Table:
        return self.tables[name.upper()]

    def schema(self) -> dict[str, frozenset[str]]:
        """Table name -> column names, the shape SQL analysis checks references against."""
        return {name: t.column_names for name, t in self.tables.items()}

    def column_types(self) -> dict[str, dict[str, str]]:
        """Table name -> column name -> Oracle type, for translations that depend on types."""
        return {name: {c.name: str(c.type) for c in t.columns} for name, t in self.tables.items()}

    def striped_tables(self, by: str = "operating_unit") -> frozenset[str]:
        """Tables that MOAC stripes `by` operating unit (ORG_ID) or inventory organization."""
        return frozenset(n for n, t in self.tables.items() if t.striping and t.striping.by == by)

    def join_edges(self) -> Iterable[tuple[str, ForeignKey]]:
        """Every foreign key as (table, key): the join graph."""
        for name, table in self.tables.items():
            for fk in table.foreign_keys:
                yield name, fk

    def coded_columns(self) -> Iterable[tuple[Table, Column, Lookup]]:
        """Every column that holds lookup codes, with its lookup type."""
        for table in self.tables.values():
            for col in table.columns:
                if col.lookup:
                    yield table, col, self.lookups[col.lookup]

    def summary(self) -> dict[str, object]:
        """Counts per module, for `sqlgate catalog`."""
        per_module = {
            m.module: {"tables": len(m.tables),
                       "columns": sum(len(t.columns) for t in m.tables),
                       "lookups": len(m.lookups), "synonyms": len(m.synonyms)}
            for m in self.modules.values()
        }
        return {
            "fingerprint": self.fingerprint,
            "modules": per_module,
            "tables": len(self.tables),
            "columns": sum(len(t.columns) for t in self.tables.values()),
            "foreign_keys": sum(1 for _ in self.join_edges()),
            "lookups": len(self.lookups),
            "synonyms": len(self.synonyms),
            "striped_by_operating_unit": sorted(self.striped_tables("operating_unit")),
            "striped_by_inventory_organization": sorted(
                self.striped_tables("inventory_organization")),
            "operating_units": [ou.organization_id for ou in self.security.operating_units],
            "inventory_organizations": [
                io.organization_id for io in self.security.inventory_organizations],
        }


def load_catalog(directory: str | Path = DEFAULT_CATALOG_DIR) -> Catalog:
    """Load and cross-check `directory/catalog/*.yaml` and `directory/security.yaml`.

    Raises InputError naming file, line and field for the first problem found.
    """
    directory = Path(directory)
    module_dir = directory / "catalog"
    files = sorted(module_dir.glob("*.yaml"))
    if not files:
        raise InputError(module_dir, "no catalog files (*.yaml) found")
    digest = hashlib.sha256()
    modules: dict[str, ModuleFile] = {}
    sources: dict[str, Path] = {}
    table_files: dict[str, Path] = {}
    lines_by_file: dict[Path, dict] = {}
    for path in files:
        module, lines_by_file[path] = validate_yaml(path, ModuleFile)
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        if module.module in modules:
            raise CatalogError(path, f"module {module.module} is already defined in "
                               f"{sources[module.module].name}",
                               line=line_of(lines_by_file[path], ("module",)), field="module")
        modules[module.module] = module
        sources[module.module] = path
        for i, table in enumerate(module.tables):
            if table.name in table_files:
                raise CatalogError(path, f"table {table.name} is already defined in "
                                   f"{table_files[table.name].name}",
                                   line=line_of(lines_by_file[path], ("tables", i, "name")),
                                   field=f"tables[{i}].name")
            table_files[table.name] = path
    lookup_files: dict[str, Path] = {}
    for path, module in zip(files, modules.values(), strict=True):
        for i, lookup in enumerate(module.lookups):
            # Catalog.lookups is keyed by name: a second definition would silently replace the first.
            if lookup.name in lookup_files:
                raise CatalogError(path, f"lookup {lookup.name!r} is already defined in "
                                   f"{lookup_files[lookup.name].name}",
                                   line=line_of(lines_by_file[path], ("lookups", i, "name")),
                                   field=f"lookups[{i}].name")
            lookup_files[lookup.name] = path
    security_path = directory / "security.yaml"
    security, security_lines = validate_yaml(security_path, SecurityPolicy)
    digest.update(b"security\0" + security_path.read_bytes())
    _check_security(security, security_path, security_lines)
    catalog = Catalog(modules, security, sources, digest.hexdigest()[:16])
    _cross_check(catalog, lines_by_file)
    return catalog


def _check_security(policy: SecurityPolicy, path: Path, lines: dict) -> None:
    """Every inventory organization belongs to a declared operating unit; no id is repeated."""
    units = [ou.organization_id for ou in policy.operating_units]
    orgs = [io.organization_id for io in policy.inventory_organizations]
    for kind, ids in (("operating_units", units), ("inventory_organizations", orgs)):
        for i, org_id in enumerate(ids):
            if org_id in ids[:i]:
                raise CatalogError(path, f"organization {org_id} is listed twice",
                                   line=line_of(lines, (kind, i, "organization_id")),
                                   field=f"{kind}[{i}].organization_id")
    for i, io in enumerate(policy.inventory_organizations):
        if io.operating_unit not in units:
            raise CatalogError(path, f"operating unit {io.operating_unit} is not one of the "
                               f"operating_units ({', '.join(map(str, units))})",
                               line=line_of(lines, ("inventory_organizations", i, "operating_unit")),
                               field=f"inventory_organizations[{i}].operating_unit")


def _cross_check(catalog: Catalog, lines_by_file: dict[Path, dict]) -> None:
    """Checks that span tables and files: keys, references, lookups, synonyms."""
    for module in catalog.modules.values():
        path = catalog.sources[module.module]
        lines = lines_by_file[path]
        for ti, table in enumerate(module.tables):

            def fail(msg: str, loc: tuple, path=path, lines=lines) -> None:
                raise CatalogError(path, msg, line=line_of(lines, loc), field=pydantic_field(loc))

            names = [c.name for c in table.columns]
            for ci, name in enumerate(names):
                if name in names[:ci]:
                    fail(f"duplicate column {name} in {table.name}",
                         ("tables", ti, "columns", ci, "name"))
            for ki, key in enumerate(table.primary_key):
                loc = ("tables", ti, "primary_key", ki)
                if key in table.primary_key[:ki]:
                    fail(f"primary key column {key} is listed twice", loc)
                if key not in names:
                    fail(f"primary key column {key} is not a column of {table.name}", loc)
                if table.column(key).nullable:
                    fail(f"primary key column {table.name}.{key} must be declared nullable: false",
                         loc)
            for ui, unique in enumerate(table.unique_keys):
                for ki, key in enumerate(unique.columns):
                    loc = ("tables", ti, "unique_keys", ui, "columns", ki)
                    if key not in names:
                        fail(f"unique key column {key} is not a column of {table.name}", loc)
                    if key in unique.columns[:ki]:
                        fail(f"unique key column {key} is listed twice", loc)
                if all(table.column(c).nullable for c in unique.columns):
                    fail(f"unique key {unique.index} needs a column declared nullable: false "
                         "(rows whose key columns are all NULL escape a unique index)",
                         ("tables", ti, "unique_keys", ui, "columns"))
            if table.date_tracked:
                track = table.date_tracked
                for field_name, cols in (("key", track.key), ("start", [track.start]),
                                         ("end", [track.end])):
                    for c in cols:
                        if c not in names or table.column(c).nullable:
                            fail(f"date_tracked {field_name} column {c} must be a NOT NULL "
                                 f"column of {table.name}", ("tables", ti, "date_tracked",
                                                             field_name))
            for ci, col in enumerate(table.columns):
                if col.lookup and col.lookup not in catalog.lookups:
                    fail(f"lookup {col.lookup!r} is not defined in any catalog file"
                         f"{_did_you_mean(col.lookup, catalog.lookups)}",
                         ("tables", ti, "columns", ci, "lookup"))
            if table.striping and table.striping.column not in names:
                fail(f"striping column {table.striping.column} is not a column of {table.name}",
                     ("tables", ti, "striping", "column"))
            for fi, fk in enumerate(table.foreign_keys):
                loc = ("tables", ti, "foreign_keys", fi)
                if len(fk.columns) != len(fk.ref_columns):
                    fail("columns and ref_columns must have the same length", loc)
                for k, c in enumerate(fk.columns):
                    if c not in names:
                        fail(f"foreign key column {c} is not a column of {table.name}",
                             (*loc, "columns", k))
                target = catalog.tables.get(fk.references)
                if target is None:
                    fail(f"foreign key references unknown table {fk.references}"
                         f"{_did_you_mean(fk.references, catalog.tables)}", (*loc, "references"))
                for k, c in enumerate(fk.ref_columns):
                    if c not in target.column_names:
                        fail(f"foreign key references unknown column {fk.references}.{c}"
                             f"{_did_you_mean(c, target.column_names)}", (*loc, "ref_columns", k))
                keys = [target.primary_key, *(u.columns for u in target.unique_keys)]
                if fk.same and sorted(fk.ref_columns) not in [sorted(k) for k in keys]:
                    fail(f"same: needs ref_columns to be a primary or unique key of "
                         f"{fk.references} (one parent row), got {fk.ref_columns}",
                         (*loc, "same"))
                for k, c in enumerate(fk.same):
                    if c not in names or c not in target.column_names or c in fk.columns:
                        fail(f"same: column {c} must be a column of both {table.name} and "
                             f"{fk.references}, other than the key's own columns",
                             (*loc, "same", k))
        for si, syn in enumerate(module.synonyms):
            table, _, column = syn.maps_to.partition(".")
            loc = ("synonyms", si, "maps_to")
            if table not in catalog.tables or (column and column not in
                                               catalog.tables[table].column_names):
                known = (catalog.tables[table].column_names if table in catalog.tables
                         else catalog.tables)
                raise CatalogError(path, f"synonym {syn.term!r} maps to unknown {syn.maps_to}"
                                   f"{_did_you_mean(column or table, known)}",
                                   line=line_of(lines, loc),
                                   field=f"synonyms[{si}].maps_to")


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean X?)' when a known name is close to `name`, else ''."""
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""
