from __future__ import annotations

import pytest

from variants import VARIANTS, document


@pytest.fixture(params=sorted(VARIANTS))
def variant(request) -> str:
    return request.param


@pytest.fixture
def template(variant) -> dict:
    """The rendered template of one variant, as a dict with long-form intrinsics."""
    return document(variant)
