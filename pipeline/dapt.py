"""The domain-adaptive pretraining (DAPT) corpus: EBS documentation and training SQL as raw text.

DAPT is the optional first training stage (the recipe's `dapt` section): a LoRA adapter
trained as a plain causal language model on raw domain text, merged into the base before the
SFT adapter is trained (`pipeline.train.run`). The corpus is built here, purely and
deterministically, from two sources:

- `catalog`: the EBS documentation rendered from `harness.inputs.catalog` (never re-parsed here):
  one document per module (what it covers, its tables), per table (description, primary key,
  MOAC striping, every column with type, nullability, description and lookup type, and its
  join paths as `A.X = B.Y` conditions), per lookup type (its codes and the columns holding
  them), one per module's business synonyms, and one for the MOAC security policy;
- `sql`: the gold SQL (and accepted alternatives) of the answerable examples of the TRAINING
  set (`fixtures/train/ebs_train.jsonl`), one statement a document. Refusals are not SQL and
  are left out. The golden sets are never read: `pipeline.dataset.load_raw` refuses them.

The corpus is written as JSON (a list of `{kind, name, text}`) beside the SFT data, and
`TokenBlocks` turns it into training items: every document tokenised without special tokens
and followed by the end-of-sequence token, all of them concatenated in corpus order and cut
into blocks of exactly `block_size` tokens (labels = input_ids: every token is trained; blocks
cross document boundaries, the EOS marking them). The last `len % block_size` tokens, fewer
than one block, are the only ones left out; their number is recorded.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.inputs.catalog import Catalog, ForeignKey, Table, load_catalog
from harness.inputs.golden import GoldenExample
from harness.io.atomic import write_text_atomic
from harness.io.errors import InputError
from pipeline.dataset import TrainingItems, load_raw

SOURCES = ("catalog", "sql")
CORPUS_OPTIONS = ("block_size", "sources")  # the `dapt` keys that are not training flags
FORMAT_VERSION = "1"  # bump when a document's rendering changes


@dataclass(frozen=True)
class Document:
    """One raw-text document of the corpus: its kind, a name unique within the kind, text."""

    kind: str  # module | table | lookup | synonyms | security | sql
    name: str
    text: str


@dataclass(frozen=True)
class CorpusOptions:
    """The `dapt` section's corpus settings (the rest of the section are training flags)."""

    block_size: int
    sources: tuple[str, ...] = SOURCES


def split_section(section: dict[str, Any], path: str | Path) -> tuple[CorpusOptions,
                                                                      dict[str, Any]]:
    """A recipe's `dapt` section as (corpus options, training flags of the DAPT stage).

    Raises InputError naming the recipe file and the `dapt.<key>` at fault.
    """
    block_size = section.get("block_size")
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 2:
        raise InputError(path, f"expected a whole number of tokens, at least 2 (got "
                         f"{block_size!r})", field="dapt.block_size")
    sources = section.get("sources", list(SOURCES))
    if (not isinstance(sources, list) or not sources
            or any(s not in SOURCES for s in sources) or len(set(sources)) < len(sources)):
        raise InputError(path, f"expected a non-empty list of distinct sources from "
                         f"{list(SOURCES)} (got {sources!r})", field="dapt.sources")
    flags = {k: v for k, v in section.items() if k not in CORPUS_OPTIONS}
    return CorpusOptions(block_size=block_size, sources=tuple(sources)), flags


def _column_line(table: Table, index: int) -> str:
    col = table.columns[index]
    line = f"- {col.name} {col.type}{'' if col.nullable else ' NOT NULL'}"
    if col.description:
        line += f": {col.description}"
    if col.lookup:
        line += f" (codes of lookup type {col.lookup})"
    return line


def _join_line(table: str, fk: ForeignKey) -> str:
    condition = " AND ".join(f"{table}.{c} = {fk.references}.{r}"
                             for c, r in zip(fk.columns, fk.ref_columns, strict=True))
    return f"- {condition}" + (f": {fk.description}" if fk.description else "")


def _table_text(table: Table, module: str, catalog: Catalog) -> str:
    lines = [f"Table {table.name} (EBS module {module})", table.description,
             f"Primary key: {', '.join(table.primary_key)}."]
    if table.striping is None:
        lines.append("Not striped by MOAC.")
    else:
        unit = table.striping.by.replace("_", " ")
        lines.append(f"Striped by {unit} under MOAC through column {table.striping.column}.")
    lines.append("Columns:")
    lines += [_column_line(table, i) for i in range(len(table.columns))]
    joins = [_join_line(table.name, fk) for fk in table.foreign_keys]
    referenced_by = [_join_line(name, fk) for name, fk in catalog.join_edges()
                     if fk.references == table.name]
    if joins:
        lines += ["Joins to other tables:", *joins]
    if referenced_by:
        lines += ["Referenced by:", *referenced_by]
    return "\n".join(lines)


def catalog_documents(catalog: Catalog) -> list[Document]:
    """The EBS documentation: modules, tables, lookups, synonyms, then the MOAC policy."""
    users: dict[str, list[str]] = {}
    for table, col, lookup in catalog.coded_columns():
        users.setdefault(lookup.name, []).append(f"{table.name}.{col.name}")
    docs: list[Document] = []
    for module in catalog.modules.values():
        overview = [f"EBS module {module.module}", module.description,
                    "Tables:", *(f"- {t.name}: {t.description}" for t in module.tables)]
        docs.append(Document("module", module.module, "\n".join(overview)))
        docs += [Document("table", t.name, _table_text(t, module.module, catalog))
                 for t in module.tables]
        for lookup in module.lookups:
            lines = [f"Lookup type {lookup.name}" + (f": {lookup.description}"
                                                     if lookup.description else ""),
                     *(f"- {code}: {meaning}" for code, meaning in lookup.codes.items())]
            if users.get(lookup.name):
                lines.append(f"Held by: {', '.join(users[lookup.name])}.")
            docs.append(Document("lookup", lookup.name, "\n".join(lines)))
        if module.synonyms:
            lines = [f"Business terms of EBS module {module.module}"]
            lines += [f"- \"{s.term}\" means {s.maps_to}" + (f": {s.note}" if s.note else "")
                      for s in module.synonyms]
            docs.append(Document("synonyms", module.module, "\n".join(lines)))
    docs.append(Document("security", "MOAC", _security_text(catalog)))
    return docs


def _security_text(catalog: Catalog) -> str:
    policy = catalog.security
    lines = ["MOAC (Multi-Org Access Control) security policy", policy.rule,
             "Operating units (ORG_ID):",
             *(f"- {ou.organization_id}: {ou.name}" for ou in policy.operating_units),
             "Inventory organizations (ORGANIZATION_ID):",
             *(f"- {io.organization_id} ({io.code}): {io.name}, operating unit "
               f"{io.operating_unit}" for io in policy.inventory_organizations)]
    for by in ("operating_unit", "inventory_organization"):
        striped = sorted(catalog.striped_tables(by))
        lines.append(f"Tables striped by {by.replace('_', ' ')}: {', '.join(striped)}.")
    return "\n".join(lines)


def sql_documents(examples: Iterable[GoldenExample]) -> list[Document]:
    """One document per accepted SQL of every answerable training example, in file order."""
    return [Document("sql", example.id if i == 0 else f"{example.id}#{i}", sql.strip())
            for example in examples if example.kind == "answerable"
            for i, sql in enumerate(example.golds)]


def corpus_documents(train_file: str | Path, *, sources: Sequence[str] = SOURCES,
                     catalog: Catalog | None = None) -> list[Document]:
    """The corpus of `sources`, catalog first: a pure function of the fixtures."""
    docs: list[Document] = []
    if "catalog" in sources:
        docs += catalog_documents(catalog or load_catalog())
    if "sql" in sources:
        docs += sql_documents(load_raw(train_file))  # load_raw refuses a golden set
    return docs


def build_corpus(train_file: str | Path, out: str | Path, *, sources: Sequence[str] = SOURCES,
                 catalog: Catalog | None = None) -> dict[str, Any]:
    """Write the corpus JSON to `out` and return its facts (for the run manifest)."""
    catalog = catalog or load_catalog()
    docs = corpus_documents(train_file, sources=sources, catalog=catalog)
    text = json.dumps([asdict(d) for d in docs], ensure_ascii=False, indent=1) + "\n"
    write_text_atomic(Path(out), text)
    train_file = Path(train_file)
    return {"path": str(out), "format_version": FORMAT_VERSION, "sources": list(sources),
            "catalog_fingerprint": catalog.fingerprint if "catalog" in sources else None,
            "raw_file": str(train_file) if "sql" in sources else None,
            "raw_sha256": (hashlib.sha256(train_file.read_bytes()).hexdigest()
                           if "sql" in sources else None),
            "documents": len(docs), "by_kind": dict(Counter(d.kind for d in docs)),
            "characters": sum(len(d.text) for d in docs),
            "sha256": hashlib.sha256(text.encode()).hexdigest()}


def load_corpus(path: str | Path) -> list[Document]:
    """The documents `build_corpus` wrote."""
    return [Document(**d) for d in json.loads(Path(path).read_text(encoding="utf-8"))]


class TokenBlocks(TrainingItems):
    """The corpus as causal-LM training items: blocks of `block_size` tokens, labels equal to
    input_ids (see the module docstring for the packing and the dropped remainder)."""

    def __init__(self, texts: Sequence[str], tokenizer: Any, block_size: int) -> None:
        if tokenizer.eos_token_id is None:
            raise ValueError("the tokenizer has no end-of-sequence token to separate documents")
        ids: list[int] = []
        for encoded in tokenizer(list(texts), add_special_tokens=False)["input_ids"]:
            ids += [*encoded, tokenizer.eos_token_id]
        count = len(ids) // block_size
        if count == 0:
            raise ValueError(f"the corpus ({len(ids)} tokens) is shorter than one block "
                             f"of {block_size}")
        self.items = [{"input_ids": ids[i * block_size:(i + 1) * block_size],
                       "labels": ids[i * block_size:(i + 1) * block_size]}
                      for i in range(count)]
        self.block_size = block_size
        self.tokens = len(ids)
        self.remainder = len(ids) - count * block_size

    @property
    def facts(self) -> dict[str, int]:
        """Blocks, block size, corpus tokens and the remainder left out (for the manifest)."""
        return {"blocks": len(self.items), "block_size": self.block_size,
                "tokens": self.tokens, "remainder_tokens": self.remainder}
