"""The RAG context retriever: which catalog tables a question needs, rendered as sized sections.

Retrieval is deterministic and lexical, so a context is reproducible from the question alone:

1. Words. Question, table names, column names, descriptions, business synonyms and lookup
   meanings are split into lower-case alphanumeric words with a crude plural stemmer
   (`invoices` -> `invoice`, `entries` -> `entry`); English function words are ignored.
2. Score. Each table scores, for every distinct question word `w`,
   `idf(w) * (name_weight [w in the table name] + column_weight [w in a column name] +
   description_weight [w in the table or a column description])`, where
   `idf(w) = ln(1 + N / df(w))` over the N catalog tables (a word every table has, like `date`,
   counts little). On top, every business synonym whose whole term occurs in the question adds
   `synonym_weight * words in the term` to the table it maps to, and every lookup meaning
   (`Fully paid`) found in the question adds `lookup_weight * words` to the coded column's table.
3. Select. The `top_tables` best-scoring tables (those within `min_score_ratio` of the best),
   plus `required_tables`; the shortest join paths connecting them (the FK graph read both
   ways, at most `max_join_hops` hops); then up to `neighbours` best-scoring tables adjacent to
   them.
4. Distractors. Other tables are added in an order fixed by a hash of (seed, question, table),
   so the context does not give the answer away by its size and is stable for a question.
5. Size. Required and retrieved tables show all their columns; join-path tables and neighbours
   show their relevant columns (keys, joins, striping, coded and question-matched columns).
   The rendered text is fitted into `target_chars`: distractors are added (whole, else with
   relevant columns) until the text reaches the lower bound; above the upper bound, retrieved
   tables that are not required show only their relevant columns, then distractors,
   neighbours and join tables are dropped. Required tables are
   always complete and never dropped, so the result can exceed the upper bound when they alone
   do; it stays below the lower bound only when the catalog runs out of tables.

`required_tables` exists for training: the generator passes the tables of the gold SQL so the
context always holds what the answer needs. At evaluation time only the question is used
(`required_tables=()`), as a deployed model would see it.

The sections are those of the requirement document, in this order: Candidate Tables, Join Graph,
Relevant Columns, Synonyms/Business Mapping, Security Filters. The text is each section as
`# Heading` and its body, separated by blank lines: exactly what `GoldenExample.context_text()`
makes of the same sections.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from harness.inputs.catalog import Catalog, Column, ForeignKey, Table

SECTIONS = (
    "Candidate Tables",
    "Join Graph",
    "Relevant Columns",
    "Synonyms/Business Mapping",
    "Security Filters",
)
PRODUCTION_TARGET_CHARS = (6500, 16000)

Role = Literal["required", "retrieved", "join", "neighbour", "distractor"]
Detail = Literal["full", "relevant"]

# Function words and question scaffolding that say nothing about the schema.
_STOPWORDS_TEXT = (
    "a about all an and any are as at be by did do does each every for from give had has have how "
    "i in is it its list many me much my of on or per please return show than that the their them "
    "there these this those to was we were what when where which who whose with within without "
    "would you"
)
_WORD_RE = re.compile(r"[a-z0-9]+")
# Name parts that mark a table's flavour, not its subject.
_NAME_NOISE = frozenset({"all", "f", "b", "tl", "v"})


@dataclass(frozen=True)
class RetrievalSettings:
    """Weights and limits of the lexical retriever (see the module docstring for their use)."""

    name_weight: float = 3.0
    column_weight: float = 1.0
    description_weight: float = 0.5
    synonym_weight: float = 4.0
    lookup_weight: float = 2.0
    top_tables: int = 3
    min_score_ratio: float = 0.25
    max_join_hops: int = 3
    hub_in_degree: int = 10  # tables referenced this often (currencies, ledgers, operating
    # units) join everything to everything, so join paths never pass through them
    neighbours: int = 2
    max_codes: int = 12  # lookup codes listed per coded column; the rest are counted


DEFAULT_SETTINGS = RetrievalSettings()


@dataclass(frozen=True)
class TableView:
    """One candidate table as the context shows it: why it is there and which columns appear."""

    table: Table
    module: str
    role: Role
    detail: Detail
    columns: tuple[Column, ...]
    examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # column -> values
    meanings: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # coded column -> its first `max_codes` (code, meaning) pairs; `examples` has the same codes
    hidden_codes: Mapping[str, int] = field(default_factory=dict)  # coded column -> codes left out


@dataclass(frozen=True)
class RagContext:
    """A rendered context: its text, the candidate tables (sorted) and each section's body.

    `views` and `joins` carry the same content structured, for the DDL and M-Schema prompts.
    """

    text: str
    tables: tuple[str, ...]
    sections: dict[str, str]
    views: tuple[TableView, ...] = ()
    joins: tuple[tuple[str, ForeignKey], ...] = ()


def _stem(word: str) -> str:
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_STOPWORDS = frozenset(_stem(w) for w in _STOPWORDS_TEXT.split())


def words(text: str) -> list[str]:
    """Lower-case, crudely singular alphanumeric words of `text`, in order (stopwords kept)."""
    return [_stem(w) for w in _WORD_RE.findall(text.lower())]


def _contains_phrase(haystack: Sequence[str], present: frozenset[str],
                     phrase: Sequence[str]) -> bool:
    """Whether `phrase` occurs as consecutive words of `haystack` (`present`: its word set)."""
    n = len(phrase)
    if n == 0 or not present.issuperset(phrase):  # the cheap test rules out almost all
        return False
    return any(tuple(haystack[i:i + n]) == tuple(phrase) for i in range(len(haystack) - n + 1))


@dataclass(frozen=True)
class _TableIndex:
    name_words: frozenset[str]
    column_words: frozenset[str]
    description_words: frozenset[str]
    column_name_words: Mapping[str, frozenset[str]]


class _Index:
    """Words of every table, document frequencies and the undirected join graph of a catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.tables: dict[str, _TableIndex] = {}
        for name, table in catalog.tables.items():
            col_words = {c.name: frozenset(words(c.name.replace("_", " "))) for c in table.columns}
            desc = set(words(table.description))
            for col in table.columns:
                desc.update(words(col.description))
            self.tables[name] = _TableIndex(
                name_words=frozenset(w for w in words(name.replace("_", " "))
                                     if w not in _NAME_NOISE),
                column_words=frozenset().union(*col_words.values()),
                description_words=frozenset(desc - _STOPWORDS),
                column_name_words=col_words,
            )
        df: dict[str, int] = {}
        for entry in self.tables.values():
            for w in entry.name_words | entry.column_words | entry.description_words:
                df[w] = df.get(w, 0) + 1
        n = len(self.tables)
        self.idf = {w: math.log(1 + n / count) for w, count in df.items()}
        self.synonyms = [(tuple(words(s.term)), s) for s in catalog.synonyms]
        self.meanings = [
            (tuple(words(meaning)), table.name, col.name)
            for table, col, lookup in catalog.coded_columns()
            for meaning in lookup.codes.values()
        ]
        self.adjacent: dict[str, set[str]] = {name: set() for name in catalog.tables}
        self.in_degree: dict[str, int] = dict.fromkeys(catalog.tables, 0)
        for name, fk in catalog.join_edges():
            if fk.references != name:
                self.adjacent[name].add(fk.references)
                self.adjacent[fk.references].add(name)
                self.in_degree[fk.references] += 1


@lru_cache(maxsize=8)
def _index(catalog: Catalog) -> _Index:
    # Catalogs hash by identity and are never changed after loading, so caching is safe.
    return _Index(catalog)


@dataclass
class _Match:
    scores: dict[str, float]
    columns: dict[str, set[str]]  # table -> columns the question points at
    synonyms: list[str]  # terms found in the question, in catalog order


def _match(question: str, index: _Index, settings: RetrievalSettings) -> _Match:
    q_words = words(question)
    present = frozenset(q_words)
    content = sorted(present - _STOPWORDS)
    scores = dict.fromkeys(index.tables, 0.0)
    columns: dict[str, set[str]] = {name: set() for name in index.tables}
    for name, entry in index.tables.items():
        for w in content:
            weight = (settings.name_weight * (w in entry.name_words)
                      + settings.column_weight * (w in entry.column_words)
                      + settings.description_weight * (w in entry.description_words))
            scores[name] += index.idf.get(w, 0.0) * weight
        for col, col_words in entry.column_name_words.items():
            if col_words & set(content):
                columns[name].add(col)
    found = []
    for term, syn in index.synonyms:
        if _contains_phrase(q_words, present, term):
            table, _, column = syn.maps_to.partition(".")
            scores[table] += settings.synonym_weight * len(term)
            if column:
                columns[table].add(column)
            found.append(syn.term)
    for meaning, table, column in index.meanings:
        if set(meaning) - _STOPWORDS and _contains_phrase(q_words, present, meaning):
            scores[table] += settings.lookup_weight * len(meaning)
            columns[table].add(column)
    return _Match(scores, columns, found)


def rank_tables(question: str, catalog: Catalog,
                settings: RetrievalSettings = DEFAULT_SETTINGS) -> list[tuple[str, float]]:
    """Every table with a positive score for `question`, best first (ties by name)."""
    match = _match(question, _index(catalog), settings)
    ranked = [(name, score) for name, score in match.scores.items() if score > 0]
    return sorted(ranked, key=lambda item: (-item[1], item[0]))


def _shortest_path(start: set[str], goal: str, adjacent: Mapping[str, set[str]],
                   max_hops: int, hubs: set[str]) -> list[str]:
    """Tables strictly between `start` and `goal` on a shortest path avoiding `hubs`, or []
    when there is no such path of at most `max_hops` hops."""
    parent: dict[str, str | None] = {s: None for s in sorted(start)}
    queue = deque((s, 0) for s in sorted(start))
    while queue:
        node, hops = queue.popleft()
        if node == goal:
            path = []
            step = parent[node]
            while step is not None and step not in start:
                path.append(step)
                step = parent[step]
            return path[::-1]
        if hops == max_hops or (node in hubs and node not in start):
            continue
        for nxt in sorted(adjacent[node]):
            if nxt not in parent:
                parent[nxt] = node
                queue.append((nxt, hops + 1))
    return []


def _distractor_order(question: str, seed: int, names: Iterable[str]) -> list[str]:
    def key(name: str) -> str:  # stable across Python versions, unlike hash() or random
        return hashlib.sha256(f"{seed}\0{question}\0{name}".encode()).hexdigest()

    return sorted(names, key=key)


def _select(index: _Index, match: _Match, required: Sequence[str],
            settings: RetrievalSettings) -> dict[str, Role]:
    roles: dict[str, Role] = {name: "required" for name in required}
    ranked = sorted(((n, s) for n, s in match.scores.items() if s > 0),
                    key=lambda item: (-item[1], item[0]))
    if ranked:
        floor = ranked[0][1] * settings.min_score_ratio
        for name, score in ranked[:settings.top_tables]:
            if score >= floor:
                roles.setdefault(name, "retrieved")
    core = list(roles)
    if core:
        hubs = {n for n, d in index.in_degree.items() if d >= settings.hub_in_degree}
        connected = {core[0]}
        for name in core[1:]:
            for step in _shortest_path(connected, name, index.adjacent, settings.max_join_hops,
                                       hubs):
                roles.setdefault(step, "join")
                connected.add(step)
            connected.add(name)
    around = sorted({n for t in roles for n in index.adjacent[t]} - roles.keys(),
                    key=lambda n: (-match.scores[n], n))
    for name in around[:settings.neighbours]:
        if match.scores[name] > 0:
            roles[name] = "neighbour"
    return roles


def _relevant_columns(table: Table, wanted: set[str], candidates: set[str]) -> tuple[Column, ...]:
    keep = set(table.primary_key) | wanted
    for fk in table.foreign_keys:
        if fk.references in candidates:
            keep.update(fk.columns)
    if table.striping:
        keep.add(table.striping.column)
    keep.update(c.name for c in table.columns if c.lookup)
    return tuple(c for c in table.columns if c.name in keep)


def _examples(table: Table, catalog: Catalog, settings: RetrievalSettings
              ) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[tuple[str, str], ...]],
                         dict[str, int]]:
    """Values columns may hold that the catalog knows (lookup codes with their meanings,
    operating units, inventory organizations), and how many codes were left out per column."""
    examples: dict[str, tuple[str, ...]] = {}
    meanings: dict[str, tuple[tuple[str, str], ...]] = {}
    hidden: dict[str, int] = {}
    for col in table.columns:
        if col.lookup:
            codes = list(catalog.lookups[col.lookup].codes.items())
            meanings[col.name] = tuple(codes[:settings.max_codes])
            examples[col.name] = tuple(code for code, _ in meanings[col.name])
            if len(codes) > settings.max_codes:
                hidden[col.name] = len(codes) - settings.max_codes
    if table.striping:
        if table.striping.by == "operating_unit":
            ids = [u.organization_id for u in catalog.security.operating_units]
        else:
            ids = [o.organization_id for o in catalog.security.inventory_organizations]
        examples[table.striping.column] = tuple(str(i) for i in ids)
    return examples, meanings, hidden


def _view(name: str, role: Role, detail: Detail, catalog: Catalog, match: _Match,
          candidates: set[str], settings: RetrievalSettings) -> TableView:
    table = catalog.tables[name]
    columns = (tuple(table.columns) if detail == "full"
               else _relevant_columns(table, match.columns[name], candidates))
    return TableView(table, catalog.table_module[name], role, detail, columns,
                     *_examples(table, catalog, settings))


def _joins(catalog: Catalog, names: set[str]) -> tuple[tuple[str, ForeignKey], ...]:
    return tuple(sorted(
        ((t, fk) for t, fk in catalog.join_edges() if t in names and fk.references in names),
        key=lambda e: (e[0], e[1].references, e[1].columns)))


def _render_column(col: Column, view: TableView) -> str:
    flags = "" if col.nullable else " NOT NULL"
    if col.name in view.table.primary_key:
        flags += " PK"
    text = f"- {col.name} {col.type}{flags}"
    if col.description:
        text += f": {col.description}"
    if col.name in view.meanings:
        shown = "; ".join(f"{code} = {meaning}" for code, meaning in view.meanings[col.name])
        more = view.hidden_codes.get(col.name, 0)
        text += f" [codes: {shown}" + (f"; and {more} more" if more else "") + "]"
    return text


def _render_sections(views: Sequence[TableView], catalog: Catalog, match: _Match
                     ) -> dict[str, str]:
    names = {v.table.name for v in views}
    candidate_lines = []
    column_blocks = []
    for v in views:
        table = v.table
        stripe = ""
        if table.striping:
            stripe = f" [MOAC: restrict {table.striping.column}]"
        candidate_lines.append(f"- {table.name} ({v.module}): {table.description}{stripe}")
        lines = [f"## {table.name}"]
        lines += [_render_column(c, v) for c in v.columns]
        hidden = len(table.columns) - len(v.columns)
        if hidden:
            lines.append(f"- ({hidden} more columns not shown)")
        column_blocks.append("\n".join(lines))
    join_lines = []
    for t, fk in _joins(catalog, names):
        cond = " AND ".join(f"{t}.{a} = {fk.references}.{b}"
                            for a, b in zip(fk.columns, fk.ref_columns, strict=True))
        join_lines.append(f"- {cond}" + (f" ({fk.description})" if fk.description else ""))
    matched = set(match.synonyms)
    synonyms = [s for s in catalog.synonyms if s.maps_to.partition(".")[0] in names]
    synonyms.sort(key=lambda s: s.term not in matched)  # stable: matched terms first
    synonym_lines = [f'- "{s.term}" -> {s.maps_to}' + (f" ({s.note})" if s.note else "")
                     for s in synonyms]
    return {
        "Candidate Tables": "\n".join(candidate_lines),
        "Join Graph": "\n".join(join_lines) or "- (no foreign keys between the candidate tables)",
        "Relevant Columns": "\n\n".join(column_blocks),
        "Synonyms/Business Mapping": "\n".join(synonym_lines) or "- (none)",
        "Security Filters": _security_section(views, catalog),
    }


def _security_section(views: Sequence[TableView], catalog: Catalog) -> str:
    sec = catalog.security
    by_ou = [v.table for v in views if v.table.striping and v.table.striping.by == "operating_unit"]
    by_org = [v.table for v in views
              if v.table.striping and v.table.striping.by == "inventory_organization"]
    units = "; ".join(f"{u.organization_id} = {u.name}" for u in sec.operating_units)
    orgs = "; ".join(f"{o.organization_id} = {o.code} {o.name} (operating unit {o.operating_unit})"
                     for o in sec.inventory_organizations)
    return "\n".join([
        f"- Operating units (ORG_ID): {units}",
        f"- Inventory organizations (ORGANIZATION_ID): {orgs}",
        "- Striped by operating unit: "
        + (", ".join(f"{t.name}.{t.striping.column}" for t in by_ou) or "none of these tables"),
        "- Striped by inventory organization: "
        + (", ".join(f"{t.name}.{t.striping.column}" for t in by_org) or "none of these tables"),
        f"- Rule: {sec.rule}",
    ])


def _text(sections: Mapping[str, str]) -> str:
    return "\n\n".join(f"# {name}\n{sections[name]}" for name in SECTIONS)


class _Builder:
    """Renders a selection of views; the sizing loop in build_context changes the selection."""

    def __init__(self, catalog: Catalog, match: _Match, settings: RetrievalSettings,
                 candidates: set[str]) -> None:
        self.catalog = catalog
        self.match = match
        self.settings = settings
        self.candidates = candidates

    def view(self, name: str, role: Role, detail: Detail) -> TableView:
        """How table `name` appears in this role at this level of detail."""
        return _view(name, role, detail, self.catalog, self.match, self.candidates,
                     self.settings)

    def render(self, views: Sequence[TableView]) -> tuple[str, dict[str, str]]:
        """The text and sections of a selection of views (listed by table name)."""
        ordered = sorted(views, key=lambda v: v.table.name)
        sections = _render_sections(ordered, self.catalog, self.match)
        return _text(sections), sections


def build_context(
    question: str,
    catalog: Catalog,
    *,
    target_chars: tuple[int, int] = PRODUCTION_TARGET_CHARS,
    required_tables: Sequence[str] = (),
    seed: int = 0,
    settings: RetrievalSettings = DEFAULT_SETTINGS,
) -> RagContext:
    """The structured RAG context for `question`, sized into `target_chars` where possible.

    `required_tables` (training only: the gold's tables) are always present and complete.
    Deterministic: the same question, catalog, target, required tables and seed give the same
    bytes. Raises ValueError for an unknown required table or an empty target range.
    """
    low, high = target_chars
    if not 0 <= low <= high:
        raise ValueError(f"target_chars must be (low, high) with 0 <= low <= high, got "
                         f"{target_chars}")
    required = [t.upper() for t in dict.fromkeys(required_tables)]
    unknown = [t for t in required if t not in catalog.tables]
    if unknown:
        raise ValueError(f"required tables not in the catalog: {', '.join(unknown)}")
    index = _index(catalog)
    match = _match(question, index, settings)
    roles = _select(index, match, required, settings)
    pool = _distractor_order(question, seed, set(catalog.tables) - roles.keys())
    # Relevant-column detail shows join columns towards every table that might end up shown.
    builder = _Builder(catalog, match, settings, set(catalog.tables))
    # The question's own tables are shown whole; tables that only connect or surround them
    # show their relevant columns.
    views = [builder.view(name, role, "full" if role in ("required", "retrieved") else "relevant")
             for name, role in roles.items()]
    text, sections = builder.render(views)
    for name in pool:
        if len(text) >= low:
            break
        for detail in ("full", "relevant"):
            attempt = [*views, builder.view(name, "distractor", detail)]
            attempt_text, attempt_sections = builder.render(attempt)
            if len(attempt_text) <= high:
                views, text, sections = attempt, attempt_text, attempt_sections
                break
    if len(text) > high:
        views, text, sections = _shrink(views, builder, high)
    views.sort(key=lambda v: v.table.name)
    return RagContext(text=text, tables=tuple(v.table.name for v in views), sections=sections,
                      views=tuple(views), joins=_joins(catalog, {v.table.name for v in views}))


def _shrink(views: list[TableView], builder: _Builder, high: int
            ) -> tuple[list[TableView], str, dict[str, str]]:
    """Cut an over-long context: less detail first, then fewer tables; required ones stay."""
    order: dict[Role, int] = {"distractor": 0, "neighbour": 1, "join": 2, "retrieved": 3}
    scores = builder.match.scores
    # Least useful first: by role, then lowest score.
    victims = sorted((v for v in views if v.role != "required"),
                     key=lambda v: (order[v.role], scores[v.table.name], v.table.name))
    text, sections = builder.render(views)
    for victim in victims:
        if len(text) <= high:
            break
        idx = next(i for i, v in enumerate(views) if v.table.name == victim.table.name)
        views[idx] = builder.view(victim.table.name, victim.role, "relevant")
        text, sections = builder.render(views)
    for victim in victims:
        if len(text) <= high or victim.role == "retrieved":
            break
        views = [v for v in views if v.table.name != victim.table.name]
        text, sections = builder.render(views)
    return views, text, sections

