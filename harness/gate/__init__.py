"""Stage 10, the release decision: policy files and their evaluation, paired statistics and
power, the promotion registry."""
