"""cfn-lint, as a library, over every variant: no errors, warnings or informational findings."""

from __future__ import annotations

from pathlib import Path

import yaml
from cfnlint.api import ManualArgs, lint

from variants import rendered

CONFIG = yaml.safe_load((Path(__file__).parent.parent / ".cfnlintrc.yaml").read_text())


def test_cfn_lint_is_clean(variant):
    matches = lint(rendered(variant), config=ManualArgs(
        regions=CONFIG["regions"], include_checks=CONFIG["include_checks"]))
    assert [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches] == []


def test_cfn_lint_catches_a_broken_template():
    """The check above is live: a known-bad property is reported."""
    broken = rendered("default").replace("Protocol: HTTPS", "Protocol: HTTPZ", 1)
    matches = lint(broken, config=ManualArgs(regions=CONFIG["regions"]))
    assert any(m.rule.id.startswith("E") for m in matches)
