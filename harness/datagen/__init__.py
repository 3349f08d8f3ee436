"""The embedded test-suite databases: K seeded, deterministic DuckDB instances of the EBS
catalog that carry the data facts golden sets rely on (contract 6, docs/contracts.md)."""

from harness.datagen.suite import Instance, build_test_suite, default_cache_dir

__all__ = ["Instance", "build_test_suite", "default_cache_dir"]
