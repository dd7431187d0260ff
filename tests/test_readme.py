"""The README documents what the code does: every setting, the commands, the deploy command."""

from __future__ import annotations

import re

from readme_settings import README, current_block, table
from stacks.parameters import DEFAULT_BOOTSTRAP_IMAGE
from variants import settings_for

TEXT = README.read_text(encoding="utf-8")


def test_settings_reference_matches_the_model():
    assert current_block(TEXT) == table(), "run `make readme` and review the diff"


def test_setup_and_test_commands_are_documented():
    for command in ("make template", "make test", "make lint", "make bench", "make snapshots"):
        assert command in TEXT


def test_deploy_command_names_every_required_parameter():
    command = re.search(r"aws cloudformation deploy \\\n(.*?)\n```", TEXT, re.S).group(1)
    assert "--template-file build/template.yaml" in command
    assert "--capabilities CAPABILITY_IAM" in command
    assert settings_for("default").listeners.https and "CertificateArn=" in command


def test_bootstrap_image_default_is_the_documented_one():
    assert DEFAULT_BOOTSTRAP_IMAGE in TEXT
