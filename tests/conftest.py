from __future__ import annotations

import socket
import urllib.request

import pytest
from moto.server import ThreadedMotoServer

from moto_harness import MOTO_REGION, weighted_forwards_in_moto

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


@pytest.fixture(scope="module")
def endpoint():
    """moto's server on 127.0.0.1, in a thread of this process (so that the harness's one
    change to moto applies), for the real AWS CLI."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    with weighted_forwards_in_moto():
        server.start()
        url = f"http://127.0.0.1:{port}"
        # moto's backends are shared by every server in this process: each module that uses
        # this fixture starts from an empty account.
        urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"),
                               timeout=30).read()
        try:
            yield url
        finally:
            server.stop()


@pytest.fixture
def aws(monkeypatch):
    """moto in this process, with made-up credentials, in MOTO_REGION: for the tests that
    create stacks from templates (tests/moto_harness.py)."""
    from moto import mock_aws
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", MOTO_REGION)
    with mock_aws(), weighted_forwards_in_moto():
        yield
