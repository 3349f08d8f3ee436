"""Prompt rendering: the one place where an example and its RAG context become model input.

Training (the pipeline) and evaluation (every engine) call these functions, so a model is
evaluated on exactly the text it was trained on. The wording lives in the jinja2 templates of
`harness/prompting/templates/` (one per style):

- `xiyan` (default): instructions, the structured context sections, the question last;
- `sqlcoder`: the candidate tables as commented CREATE TABLE statements (SQLCoder's layout);
- `mschema`: XiYan's M-Schema text (`【DB_ID】`, `# Table: NAME`, `(COLUMN:TYPE, ...)` lines,
  `【Foreign keys】`), then the business mapping and security notes as evidence.

Rendering is byte-stable: the same inputs give the same text on every machine.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import jinja2

from harness.inputs.golden import GoldenExample
from harness.prompting.rag_context import RagContext

if TYPE_CHECKING:
    from harness.inputs.catalog import Catalog

PromptStyle = Literal["xiyan", "sqlcoder", "mschema"]
STYLES: tuple[PromptStyle, ...] = ("xiyan", "sqlcoder", "mschema")
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
DB_ID = "oracle_ebs_r12"  # the M-Schema database id


class ChatTokenizer(Protocol):
    """What render_chat needs of a tokenizer (transformers' PreTrainedTokenizerBase has it)."""

    def apply_chat_template(self, conversation: list[dict[str, str]], *, tokenize: bool,
                            add_generation_prompt: bool) -> str:
        """The conversation as the model's chat text (tokenize=False)."""
        ...


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,  # a misspelt variable fails loudly, not as ""
        autoescape=False,  # prompts are plain text; SQL and descriptions must not be escaped
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["zip"] = lambda left, right: list(zip(left, right, strict=True))
    return env


def render_user_prompt(
    example_or_question: GoldenExample | str,
    context: RagContext | str | None = None,
    *,
    style: PromptStyle = "xiyan",
) -> str:
    """The user turn for one question in `style`.

    `context` is a RagContext (every style), a context text (xiyan only), or None to use the
    example's own `rag_context` (xiyan only). Raises ValueError when the style needs a
    structured context it did not get, or when there is no context at all.
    """
    if style not in STYLES:
        raise ValueError(f"unknown prompt style {style!r}; expected one of {', '.join(STYLES)}")
    question = (example_or_question.question if isinstance(example_or_question, GoldenExample)
                else example_or_question)
    if context is None:
        example = example_or_question
        if not isinstance(example, GoldenExample) or not example.rag_context:
            raise ValueError("no context: pass a RagContext or use an example with rag_context")
        context = example.context_text()
    if isinstance(context, str):
        if style != "xiyan":
            raise ValueError(f"style {style!r} renders table definitions and needs a RagContext "
                             "(harness.prompting.rag_context.build_context), not a context text")
        return _environment().get_template("xiyan.j2").render(
            question=question.strip(), context_text=context)
    return _environment().get_template(f"{style}.j2").render(
        question=question.strip(),
        context_text=context.text,
        sections=context.sections,
        views=context.views,
        joins=context.joins,
        db_id=DB_ID,
    )


def evaluation_prompt(example: GoldenExample, catalog: Catalog,
                      style: PromptStyle = "xiyan") -> str:
    """The user turn an evaluation sends for ``example``: its own context when it has one (and
    the style can render text), else the retriever's context for the question, as deployed
    (the retriever sees the question only)."""
    from harness.prompting.rag_context import build_context

    if example.rag_context is not None and style == "xiyan":
        return render_user_prompt(example, style=style)
    return render_user_prompt(example, build_context(example.question, catalog), style=style)


def chat_messages(user_prompt: str, *, system: str | None = None,
                  assistant: str | None = None) -> list[dict[str, str]]:
    """The conversation: optional system turn, the user turn, optional assistant answer."""
    messages = [] if system is None else [{"role": "system", "content": system}]
    messages.append({"role": "user", "content": user_prompt})
    if assistant is not None:
        messages.append({"role": "assistant", "content": assistant})
    return messages


def render_chat(tokenizer: ChatTokenizer, user_prompt: str, *, system: str | None = None,
                assistant: str | None = None) -> str:
    """The full chat text through the model's own chat template.

    With `assistant` (training) the answer is part of the text; without it (inference) the
    template's generation prompt is appended so the model continues as the assistant.
    """
    return tokenizer.apply_chat_template(
        chat_messages(user_prompt, system=system, assistant=assistant),
        tokenize=False,
        add_generation_prompt=assistant is None,
    )

