"""Refusal suite: every unanswerable golden example must be refused (`-- UNANSWERABLE`)."""

import pytest

from harness.pytest_plugin import expect_refused

pytestmark = pytest.mark.sqlgate_examples(kind="unanswerable")


def test_refusal(sqlgate_score):
    expect_refused(sqlgate_score)
