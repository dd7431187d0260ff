"""The README documents what the code does: every setting, the regions, the commands, the
deploy command."""

from __future__ import annotations

import re

from generated import (README, REGIONS_END, REGIONS_START, STAR_END, STAR_START, WAIVERS_END,
                       WAIVERS_START, current_block, regions, star, table, waivers)
from stacks.cli import DEPLOY_FILE
from stacks.parameters import DEFAULT_BOOTSTRAP_IMAGE
from variants import document

TEXT = README.read_text(encoding="utf-8")


def test_settings_reference_matches_the_model():
    assert current_block(TEXT) == table(), "run `make generated` and review the diff"


def test_regions_match_what_cfn_lint_finds():
    assert current_block(TEXT, REGIONS_START, REGIONS_END) == regions(), \
        "run `make generated` and review the diff"


def test_the_actions_on_star_are_the_one_list():
    assert current_block(TEXT, STAR_START, STAR_END) == star(), \
        "run `make generated` and review the diff"


def test_setup_and_test_commands_are_documented():
    for command in ("make template", "make test", "make lint", "make bench", "make generated"):
        assert command in TEXT


def test_deploy_command_deploys_the_compact_template_with_every_required_parameter():
    command = re.search(r"aws cloudformation deploy \\\n(.*?)\n```", TEXT, re.S).group(1)
    assert f"--template-file build/{DEPLOY_FILE}" in command
    assert "--capabilities CAPABILITY_IAM" in command
    assert "--s3-bucket" not in command
    given = set(re.findall(r"(\w+)=", command))
    required = {name for name, p in document("default")["Parameters"].items()
                if "Default" not in p}
    assert required <= given


def test_bootstrap_image_default_is_the_documented_one():
    assert DEFAULT_BOOTSTRAP_IMAGE in TEXT


def test_security_posture_lists_every_waiver():
    assert current_block(TEXT, WAIVERS_START, WAIVERS_END) == waivers(), \
        "run `make generated` and review the diff"
