"""Fixtures of the cases app's tests."""

from collections.abc import Iterator

import pytest
import time_machine

from cases.tests.listing_helpers import NOW


@pytest.fixture
def wednesday_morning() -> Iterator[None]:
    """Time stands still at ``listing_helpers.NOW`` (a Wednesday, 10:00 in Chicago)."""
    with time_machine.travel(NOW, tick=False):
        yield
