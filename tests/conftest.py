"""Test-wide settings and shared fixtures.

Hypothesis: CI runs derandomized (HYPOTHESIS_PROFILE=ci), so a failure reproduces.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def catalog():
    from harness.inputs.catalog import load_catalog

    return load_catalog()


@pytest.fixture(scope="session")
def suite(catalog):
    """The default test suite (K=5), built once per session and cached as a user's would be."""
    from harness.datagen import build_test_suite

    return build_test_suite(catalog)


@pytest.fixture()
def backends(suite, catalog):
    from harness.backends.duckdb_backend import DuckDBBackend, DuckDBPreparer

    preparer = DuckDBPreparer(catalog.column_types())
    opened = [DuckDBBackend(i.path, i.fingerprint, preparer=preparer) for i in suite]
    yield opened
    for b in opened:
        b.close()
