"""Accuracy suite: every answerable golden example must be answered correctly."""

import pytest

from harness.pytest_plugin import expect_correct

pytestmark = pytest.mark.sqlgate_examples(kind="answerable")


def test_accuracy(sqlgate_score):
    expect_correct(sqlgate_score)
