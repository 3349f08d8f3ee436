"""Stage 1, what an evaluation starts from: the EBS catalog, golden examples and predictions,
and where the shipped suites and golden sets live."""
