"""Shared fixtures: small gold documents written for the tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from support import FIXTURES

from ittifaq.evaluate.authoring.sources import read_source


@pytest.fixture
def gold_record() -> dict[str, Any]:
    """A valid gold record compiled from the authoring fixture."""
    return copy.deepcopy(read_source(FIXTURES / "sources" / "fx-0001-gas-deal.txt").to_dict())
