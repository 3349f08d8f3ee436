"""Prompt rendering: byte-stable renders of every style, and chat rendering through a tokenizer's
own chat template (a tiny tokenizer built here; no hub access)."""

import hashlib
from pathlib import Path

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from harness.inputs.catalog import Catalog, ModuleFile, SecurityPolicy
from harness.inputs.golden import GoldenExample
from harness.prompting.prompts import STYLES, render_chat, render_user_prompt
from harness.prompting.rag_context import build_context

HEADER = "Return Oracle SQL only. No markdown. No explanation."
QUESTION = "How many unpaid invoices does Vision Operations have per supplier?"

# sha256 of each style's render of QUESTION over the tiny catalog; a change to a template, to
# retrieval or to rendering changes them, and must be deliberate (models are trained on these).
EXPECTED_SHA256 = {
    "xiyan": "8d1b5a4c004bd1348921ca2094ca317f868556cba88c6b11100586fc04ff895d",
    "sqlcoder": "79a2c1bf5540fd47f13de7e75476cd77c23a846a54247cc0742e9dfcea0c2a83",
    "mschema": "8f01108ba375e091556d90b5e1a33aef8bc95de4de10711ebdb5b9642e5a8ead",
}

LLAMA3_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}<|start_header_id|>{{ message['role'] }}"
    "<|end_header_id|>\n\n{{ message['content'] | trim }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)
SPECIAL_TOKENS = ["[UNK]", "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                  "<|eot_id|>"]


def tiny_catalog() -> Catalog:
    """Two AP tables, a lookup, synonyms and the MOAC policy: enough for every section."""
    module = ModuleFile.model_validate({
        "module": "AP",
        "tables": [
            {"name": "AP_SUPPLIERS", "description": "Supplier header, one row per supplier.",
             "primary_key": ["VENDOR_ID"],
             "columns": [
                 {"name": "VENDOR_ID", "type": "NUMBER(15)", "nullable": False,
                  "description": "Supplier identifier"},
                 {"name": "VENDOR_NAME", "type": "VARCHAR2(240)", "nullable": False,
                  "description": "Supplier name"}]},
            {"name": "AP_INVOICES_ALL", "description": "Invoice header, one row per invoice.",
             "primary_key": ["INVOICE_ID"],
             "striping": {"by": "operating_unit", "column": "ORG_ID"},
             "columns": [
                 {"name": "INVOICE_ID", "type": "NUMBER(15)", "nullable": False,
                  "description": "Invoice identifier"},
                 {"name": "VENDOR_ID", "type": "NUMBER(15)", "nullable": False,
                  "description": "Supplier identifier"},
                 {"name": "INVOICE_AMOUNT", "type": "NUMBER",
                  "description": "Invoice amount in invoice currency"},
                 {"name": "PAYMENT_STATUS_FLAG", "type": "VARCHAR2(1)",
                  "lookup": "INVOICE PAYMENT STATUS", "description": "Payment status"},
                 {"name": "ORG_ID", "type": "NUMBER(15)", "nullable": False,
                  "description": "Operating unit identifier"}],
             "foreign_keys": [{"columns": ["VENDOR_ID"], "references": "AP_SUPPLIERS",
                               "ref_columns": ["VENDOR_ID"]}]},
        ],
        "lookups": [{"name": "INVOICE PAYMENT STATUS",
                     "codes": {"Y": "Fully paid", "N": "Not paid", "P": "Partially paid"}}],
        "synonyms": [{"term": "supplier", "maps_to": "AP_SUPPLIERS"},
                     {"term": "unpaid invoice", "maps_to": "AP_INVOICES_ALL.PAYMENT_STATUS_FLAG",
                      "note": "PAYMENT_STATUS_FLAG = 'N'"}],
    })
    security = SecurityPolicy.model_validate({
        "operating_units": [{"organization_id": 204, "name": "Vision Operations"},
                            {"organization_id": 458, "name": "Vision Services"}],
        "inventory_organizations": [{"organization_id": 207, "code": "M1",
                                     "name": "Seattle Manufacturing", "operating_unit": 204}],
        "rule": "Restrict ORG_ID of striped tables when org_policy is required.",
    })
    return Catalog({"AP": module}, security, {"AP": Path("tiny.yaml")}, "tiny")


@pytest.fixture(scope="module")
def context():
    return build_context(QUESTION, tiny_catalog(), target_chars=(0, 100_000))


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """A word-level tokenizer trained on a few catalog strings, with a Llama-3 chat template."""
    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    corpus = ["SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE ORG_ID = 204",
              "supplier invoice payment status", QUESTION, HEADER]
    tokenizer.train_from_iterator(corpus, trainers.WordLevelTrainer(
        special_tokens=SPECIAL_TOKENS))
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]",
                                   bos_token="<|begin_of_text|>", eos_token="<|eot_id|>")
    fast.chat_template = LLAMA3_CHAT_TEMPLATE
    return fast


@pytest.mark.parametrize("style", STYLES)
def test_render_is_byte_stable(context, style):
    first = render_user_prompt(QUESTION, context, style=style)
    assert render_user_prompt(QUESTION, context, style=style) == first
    # a fresh catalog and context render the same bytes
    again = build_context(QUESTION, tiny_catalog(), target_chars=(0, 100_000))
    assert render_user_prompt(QUESTION, again, style=style) == first
    assert hashlib.sha256(first.encode()).hexdigest() == EXPECTED_SHA256[style]


def test_xiyan_puts_the_header_first_and_the_question_last(context):
    prompt = render_user_prompt(QUESTION, context)
    assert prompt.splitlines()[0] == HEADER
    assert prompt.endswith(QUESTION)
    assert context.text in prompt
    assert prompt.index("# Candidate Tables") < prompt.index("# Security Filters") < \
        prompt.index(QUESTION)


def test_sqlcoder_renders_commented_ddl(context):
    prompt = render_user_prompt(QUESTION, context, style="sqlcoder")
    assert "CREATE TABLE AP_INVOICES_ALL ( -- Invoice header, one row per invoice." in prompt
    assert "  VENDOR_NAME VARCHAR2(240) NOT NULL, -- Supplier name" in prompt
    assert "(Y = Fully paid, N = Not paid, P = Partially paid)" in prompt
    assert "-- AP_INVOICES_ALL.VENDOR_ID can be joined with AP_SUPPLIERS.VENDOR_ID" in prompt
    assert "PRIMARY KEY (INVOICE_ID)" in prompt


def test_mschema_follows_the_xiyan_format(context):
    prompt = render_user_prompt(QUESTION, context, style="mschema")
    assert "【DB_ID】 oracle_ebs_r12\n【Schema】\n# Table: AP_INVOICES_ALL, " in prompt
    assert "(INVOICE_ID:NUMBER(15), Primary Key, Invoice identifier)," in prompt
    assert "Examples: [Y, N, P], Y means Fully paid" in prompt
    assert "(ORG_ID:NUMBER(15), Operating unit identifier, Examples: [204, 458])" in prompt
    assert "【Foreign keys】\nAP_INVOICES_ALL.VENDOR_ID=AP_SUPPLIERS.VENDOR_ID" in prompt
    assert prompt.endswith(f"【Question】\n{QUESTION}")


def test_an_example_with_its_own_context_renders_it(context):
    example = GoldenExample(id="ap-1", question=QUESTION, sql_gold="SELECT 1 FROM DUAL",
                            domain="AP", difficulty="easy", rag_context=context.sections)
    assert render_user_prompt(example) == render_user_prompt(QUESTION, context)
    assert render_user_prompt(example, context.text) == render_user_prompt(QUESTION, context)


def test_styles_that_need_table_definitions_refuse_a_plain_text(context):
    with pytest.raises(ValueError, match="RagContext"):
        render_user_prompt(QUESTION, context.text, style="sqlcoder")
    with pytest.raises(ValueError, match="no context"):
        render_user_prompt(QUESTION)
    with pytest.raises(ValueError, match="unknown prompt style"):
        render_user_prompt(QUESTION, context, style="chatml")


def test_render_chat_uses_the_tokenizers_template(context):
    tokenizer = tiny_tokenizer()
    prompt = render_user_prompt(QUESTION, context)
    for_inference = render_chat(tokenizer, prompt)
    assert for_inference == ("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
                             f"{prompt}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    answer = "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE ORG_ID = 204"
    for_training = render_chat(tokenizer, prompt, system="You write Oracle SQL.", assistant=answer)
    assert for_training == (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou write Oracle SQL."
        "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
        f"{prompt}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n{answer}<|eot_id|>")
    assert render_chat(tokenizer, prompt) == for_inference
