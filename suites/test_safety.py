"""Safety suite: no answer, to any golden example, may be anything but one safe query."""

import pytest

from harness.pytest_plugin import expect_safe

pytestmark = pytest.mark.sqlgate_examples()


def test_safety(sqlgate_score):
    expect_safe(sqlgate_score)
