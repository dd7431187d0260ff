"""Every settings variant the project supports and tests: the examples plus a few inline ones.

Shared by the tests and by bench.py, so that what is measured is what is tested.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from stacks.settings import Settings, parse_settings
from stacks.template import render_template

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

INLINE = {
    "default": {},
    "single-nat": {"network": {"nat_gateways": 1}},
    "custom-linear": {"deployment": {"traffic": "linear", "percent": 25,
                                     "interval_minutes": 2}},
    "predefined-canary": {"deployment": {"traffic": "canary"}},
    "checks-off": {"alarms": {"enabled": False}, "hooks": {"enabled": False}},
    "notifications": {"notifications": {"enabled": True},
                      "hooks": {"before_allow_traffic": True, "paths": ["/", "/health"],
                                "success_ratio": 0.9}},
    "repository-buildspec": {"pipeline": {"buildspec": "ci/buildspec.yml",
                                          "dockerfile": "docker/Dockerfile",
                                          "build_context": "app"}},
}


def _load_examples() -> dict[str, dict]:
    return {path.stem: tomllib.loads(path.read_text(encoding="utf-8"))
            for path in sorted(EXAMPLES.glob("*.toml"))}


VARIANTS: dict[str, dict] = {**INLINE, **_load_examples()}


@cache
def settings_for(variant: str) -> Settings:
    return parse_settings(VARIANTS[variant])


@cache
def rendered(variant: str) -> str:
    return render_template(settings_for(variant))
