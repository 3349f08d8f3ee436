"""sqlgate: evaluation harness and release gate for text-to-SQL models on Oracle EBS."""

__version__ = "0.1.0"
