"""Name resolution for one query block: which row source a column comes from, and its kind."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from .errors import UnsupportedConstruct
from .kinds import Kind, Typed


@dataclass
class Source:
    """A row source visible in a query block under ``alias`` (upper case).

    ``columns`` maps known column names to kinds; ``None`` means the column set is unknown
    (a table missing from the schema). ``hidden`` lists columns the translator added, which
    ``*`` must not show.
    """

    alias: str
    columns: dict[str, Kind] | None
    hidden: tuple[str, ...] = ()
    # The schema table a base-table source reads (None for views, CTEs and DUAL).
    table: str | None = None


@dataclass
class Scope:
    """The sources of one query block, chained to the enclosing block for correlation."""

    parent: Scope | None = None
    sources: dict[str, Source] = field(default_factory=dict)
    ctes: dict[str, Source] = field(default_factory=dict)
    # Oracle pseudocolumns bound in this block (LEVEL in a hierarchical query, ROWNUM, ...).
    pseudo: dict[str, Typed] = field(default_factory=dict)
    # Select-list aliases, visible to ORDER BY only (upper case).
    output_aliases: dict[str, Kind] = field(default_factory=dict)

    def add(self, source: Source) -> None:
        if source.alias in self.sources:
            raise UnsupportedConstruct(
                "duplicate table alias", f"{source.alias} names two row sources in one FROM"
            )
        self.sources[source.alias] = source

    def cte(self, name: str) -> Source | None:
        """The common table expression called ``name`` visible from here, if any."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.ctes:
                return scope.ctes[name]
            scope = scope.parent
        return None

    def pseudocolumn(self, name: str) -> Typed | None:
        """A pseudocolumn bound in this block (ROWNUM and LEVEL never reach nested blocks)."""
        return self.pseudo.get(name)

    def find_source(self, alias: str) -> Source | None:
        scope: Scope | None = self
        while scope is not None:
            if alias in scope.sources:
                return scope.sources[alias]
            scope = scope.parent
        return None

    def owner(self, column: exp.Column) -> str | None:
        """The alias of the source in *this* block that ``column`` belongs to, if certain."""
        name = column.name.upper()
        if column.table:
            alias = column.table.upper()
            return alias if alias in self.sources else None
        owners = [
            s.alias for s in self.sources.values() if s.columns is not None and name in s.columns
        ]
        unknown = [s for s in self.sources.values() if s.columns is None]
        if len(owners) == 1 and not unknown:
            return owners[0]
        if not owners and len(self.sources) == 1 and unknown:
            return unknown[0].alias
        return None

    def table_of(self, column: exp.Column) -> str | None:
        """The schema table ``column`` is read from, when it certainly names a base table's
        column (of this block or, qualified, of an enclosing one)."""
        if column.table:
            source = self.find_source(column.table.upper())
        else:
            owner = self.owner(column)
            source = self.sources.get(owner) if owner is not None else None
        return source.table if source is not None else None

    def kind_of(self, column: exp.Column) -> Kind:
        """The kind of ``column``, or :attr:`Kind.UNKNOWN` where the schema does not say."""
        name = column.name.upper()
        if column.table:
            alias = column.table.upper()
            source = self.find_source(alias)
            if source is None:
                raise UnsupportedConstruct(
                    "column reference",
                    f"{column.table}.{column.name}: no table or alias {column.table} in scope",
                )
            return (source.columns or {}).get(name, Kind.UNKNOWN)
        scope: Scope | None = self
        while scope is not None:
            known = [
                s.columns[name]
                for s in scope.sources.values()
                if s.columns is not None and name in s.columns
            ]
            if len(known) == 1:
                return known[0]
            if known or any(s.columns is None for s in scope.sources.values()):
                return Kind.UNKNOWN
            scope = scope.parent
        return Kind.UNKNOWN

    def has_column(self, name: str) -> bool | None:
        """Whether some source of this block has column ``name``; ``None`` when unknowable."""
        if any(s.columns is None for s in self.sources.values()):
            return None
        return any(name in (s.columns or {}) for s in self.sources.values())
