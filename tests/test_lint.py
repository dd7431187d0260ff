"""cfn-lint, as a library: every variant's deployable template without a finding (errors,
warnings and informational checks), and the regions the template is known to work in.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from cfnlint.api import ManualArgs, lint
from cfnlint.helpers import REGIONS

from variants import VARIANTS, deployed, document

CONFIG = yaml.safe_load((Path(__file__).parent.parent / ".cfnlintrc.yaml").read_text())


def test_cfn_lint_is_clean(variant):
    matches = lint(deployed(variant), config=ManualArgs(
        regions=CONFIG["regions"], include_checks=CONFIG["include_checks"]))
    assert [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches] == []


def test_cfn_lint_catches_a_broken_template():
    """The check above is live: a known-bad property is reported."""
    broken = deployed("default").replace('"Protocol":"HTTPS"', '"Protocol":"HTTPZ"', 1)
    assert broken != deployed("default")
    matches = lint(broken, config=ManualArgs(regions=CONFIG["regions"]))
    assert any(m.rule.id.startswith("E") for m in matches)


def _covering_variants() -> list[str]:
    """Variants that together hold every resource type any variant has."""
    types = {v: {r["Type"] for r in document(v)["Resources"].values()} for v in VARIANTS}
    needed, chosen = set().union(*types.values()), []
    while needed:
        best = max(sorted(types), key=lambda v: len(types[v] & needed))
        chosen.append(best)
        needed -= types[best]
    return chosen


@cache
def region_findings() -> dict[str, list[str]]:
    """Every region cfn-lint knows -> what stops the template there (empty: it works)."""
    findings: dict[str, list[str]] = {region: [] for region in REGIONS}
    for variant in _covering_variants():
        for match in lint(deployed(variant), config=ManualArgs(regions=["ALL_REGIONS"])):
            region = next((r for r in REGIONS if f"'{r}'" in match.message), None)
            assert region is not None, f"{match.rule.id} {match.message} applies everywhere"
            findings[region].append(f"{match.rule.id} {match.message}")
    return findings


def supported_regions() -> list[str]:
    return sorted(region for region, found in region_findings().items() if not found)


def unsupported_regions() -> dict[str, str]:
    """Region -> why (the resource types cfn-lint says it lacks)."""
    return {region: "; ".join(sorted(set(found)))
            for region, found in sorted(region_findings().items()) if found}


def test_the_template_lints_clean_in_most_regions():
    assert len(supported_regions()) >= 30
    assert {"us-east-1", "eu-west-1", "ap-northeast-2"} <= set(supported_regions())
