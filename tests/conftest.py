from __future__ import annotations

import pytest

from variants import CODEDEPLOY_VARIANTS, ECS_VARIANTS, VARIANTS, document


@pytest.fixture(params=sorted(VARIANTS))
def variant(request) -> str:
    return request.param


@pytest.fixture
def template(variant) -> dict:
    """The rendered template of one variant, as a dict with long-form intrinsics."""
    return document(variant)


@pytest.fixture(params=CODEDEPLOY_VARIANTS)
def codedeploy_variant(request) -> str:
    """A variant deployed by CodeDeploy (deployment.engine "codedeploy")."""
    return request.param


@pytest.fixture
def codedeploy_template(codedeploy_variant) -> dict:
    return document(codedeploy_variant)


@pytest.fixture(params=ECS_VARIANTS)
def ecs_variant(request) -> str:
    """A variant deployed by ECS itself (deployment.engine "ecs")."""
    return request.param


@pytest.fixture
def ecs_template(ecs_variant) -> dict:
    return document(ecs_variant)
