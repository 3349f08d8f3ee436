"""Stage 0, plumbing every stage uses: input errors that name file/line/field, atomic writes,
JSONL and YAML readers, secret redaction, cache locations."""
