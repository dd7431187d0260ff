"""Every settings variant the project supports and tests: the examples, a few inline ones, two
that move every setting away from its default, and the largest file the settings accept.

Shared by the tests and by bench.py, so that what is measured is what is tested. Each variant
is built once per test process (`stack_for`).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from stacks.intrinsics import load_template
from stacks.settings import (IMAGE_NAME_MAX, PATH_MAX, REPO_PATH_MAX, TEST_CIDRS_MAX, Settings,
                             parse_settings)
from stacks.template import Stack, build_stack, deployable, readable

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# Every setting away from its default, in two variants because some settings exclude others
# (a created VPC or an existing one, HTTPS or not, a connection, CodeCommit or S3 source).
EVERYTHING_CREATED = {
    "service": {"name": "shop", "environment": "qa1", "container_port": 8080, "cpu": 512,
                "memory": 3072, "health_check_path": "/healthz",
                "health_check_grace_seconds": 90, "log_retention_days": 30,
                "keep_images": 25,
                "entry_point": ["sh", "-c", "exec /app/run --port ${PORT}"],
                "user": "1000:1000", "read_only_root_filesystem": True},
    "health_check": {"interval_seconds": 15, "timeout_seconds": 6, "healthy_threshold": 3,
                     "unhealthy_threshold": 4, "success_codes": "200-299",
                     "deregistration_delay_seconds": 45},
    "listeners": {"test_port": 9443, "test_cidrs": ["198.51.100.0/24", "203.0.113.7/32"],
                  "ssl_policy": "ELBSecurityPolicy-TLS13-1-3-2021-06"},
    "load_balancer": {"deletion_protection": True, "web_acl": True},
    "deployment": {"traffic": "canary", "percent": 20, "interval_minutes": 7,
                   "termination_wait_minutes": 12, "approval_wait_minutes": 30},
    "scaling": {"min": 3, "max": 12, "cpu_target": 60, "memory_target": 65,
                "scale_in_cooldown_seconds": 240, "scale_out_cooldown_seconds": 90},
    "network": {"vpc_cidr": "10.20.0.0/20", "nat_gateways": 1, "task_egress": "https"},
    "pipeline": {"source": "codecommit", "branch": "release", "buildspec": "ci/buildspec.yml",
                 "dockerfile": "docker/Dockerfile", "build_context": "app",
                 "compute_type": "BUILD_GENERAL1_MEDIUM",
                 "build_image": "aws/codebuild/standard:6.0", "build_timeout_minutes": 45,
                 "artifact_retention_days": 14},
    "alarms": {"target_5xx_count": 9, "unhealthy_hosts": 2, "response_time_percentile": "p99",
               "response_time_seconds": 0.75, "period_seconds": 300, "evaluation_periods": 3},
    "hooks": {"before_allow_traffic": True, "paths": ["/", "/ready"], "requests": 7,
              "success_ratio": 0.9, "latency_budget_ms": 750, "timeout_seconds": 90},
    "notifications": {"enabled": True},
}
EVERYTHING_EXISTING = {
    "service": {"name": "api", "environment": "uat"},
    "listeners": {"https": False, "test_port": 8081},
    "load_balancer": {"access_logs": False},
    "deployment": {"traffic": "linear", "percent": 25, "interval_minutes": 2},
    "network": {"mode": "existing", "assign_public_ip": True},
    "pipeline": {"source": "s3"},
    "alarms": {"enabled": False},
    "hooks": {"enabled": False},
}

# The largest template the settings accept: the longest names the naming rule allows, every
# text and list at its bound, the entry point of shell variables (the only text that grows:
# Fn::Sub escapes "${a}" as "${!a}" in taskdef.json), every number at its largest, and each choice at the option that
# renders most (tests/test_size.py checks each of these claims against the settings model).
LARGEST = {
    "service": {"name": "a" * 12, "environment": "b" * 13, "container_port": 65535,
                "cpu": 16384, "memory": 122880, "health_check_path": "/" + "h" * (PATH_MAX - 1),
                "health_check_grace_seconds": 7200, "log_retention_days": 3653,
                "keep_images": 1000, "entry_point": ["${a}" * 4] * 8,
                "user": "u" * 15 + ":" + "g" * 16, "read_only_root_filesystem": True},
    "health_check": {"interval_seconds": 300, "timeout_seconds": 120, "healthy_threshold": 10,
                     "unhealthy_threshold": 10,
                     "success_codes": "200-299,300-399,400-499,200,201",
                     "deregistration_delay_seconds": 3600},
    "load_balancer": {"access_logs": True, "deletion_protection": True, "web_acl": True},
    "listeners": {"https": True, "test_port": 65535,
                  "test_cidrs": [f"198.51.100.{200 + i}/32" for i in range(TEST_CIDRS_MAX)],
                  "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04-" + "x" * 19},
    "deployment": {"traffic": "linear", "percent": 99, "interval_minutes": 2880,
                   "termination_wait_minutes": 2880, "approval_wait_minutes": 2880},
    "scaling": {"min": 5000, "max": 5000, "cpu_target": 95, "memory_target": 95,
                "scale_in_cooldown_seconds": 3600, "scale_out_cooldown_seconds": 3600},
    "network": {"mode": "create", "vpc_cidr": "100.100.100.0/24", "nat_gateways": 2,
                "assign_public_ip": False, "flow_logs": True, "task_egress": "https"},
    "pipeline": {"source": "codecommit", "branch": "b" * REPO_PATH_MAX, "buildspec": "inline",
                 "dockerfile": "d" * REPO_PATH_MAX, "build_context": "c" * REPO_PATH_MAX,
                 "compute_type": "BUILD_GENERAL1_2XLARGE",
                 "build_image": "aws/codebuild/" + "s" * (IMAGE_NAME_MAX - 21) + ":7.0.00",
                 "build_timeout_minutes": 480, "artifact_retention_days": 3650},
    "alarms": {"enabled": True, "target_5xx_count": 100000, "unhealthy_hosts": 1000,
               "response_time_percentile": "p99", "response_time_seconds": 59.99,
               "period_seconds": 300, "evaluation_periods": 10},
    "hooks": {"enabled": True, "before_allow_traffic": True,
              "paths": ["/" + "p" * 39] + ["/" + "p" * 37] * 4,
              "requests": 100, "success_ratio": 0.99, "latency_budget_ms": 10000,
              "timeout_seconds": 300},
    "notifications": {"enabled": True},
}

# LARGEST with ECS's own engine, each deployment value at the most that engine accepts (bake
# times at most 1440 minutes, and together with the approval window 33 hours). Its template
# is larger than 51,200 bytes: `ecs-bluegreen template` says that it needs --s3-bucket
# (tests/test_size.py).
LARGEST_ECS = {**LARGEST, "deployment": {
    "engine": "ecs", "traffic": "canary", "percent": 99, "interval_minutes": 1440,
    "termination_wait_minutes": 33 * 60 - 1440 - 1, "approval_wait_minutes": 1}}

INLINE = {
    "default": {},
    "single-nat": {"network": {"nat_gateways": 1, "flow_logs": False}},
    "predefined-canary": {"deployment": {"traffic": "canary"}},
    "checks-off": {"alarms": {"enabled": False}, "hooks": {"enabled": False},
                   "service": {"log_retention_days": 0}},
    "everything-created": EVERYTHING_CREATED,
    "everything-existing": EVERYTHING_EXISTING,
    "largest": LARGEST,
    "largest-ecs": LARGEST_ECS,
    "ecs-linear-without-checks": {
        "deployment": {"engine": "ecs", "traffic": "linear", "percent": 25,
                       "interval_minutes": 3},
        "alarms": {"enabled": False}, "hooks": {"enabled": False},
        "network": {"mode": "existing"}, "listeners": {"https": False}},
}


def _load_examples() -> dict[str, dict]:
    return {path.stem: tomllib.loads(path.read_text(encoding="utf-8"))
            for path in sorted(EXAMPLES.glob("*.toml"))}


# Settings that render one stack, and settings of a promotion (several stacks:
# tests/test_promotion.py).
VARIANTS: dict[str, dict] = {**INLINE, **{name: data for name, data in _load_examples().items()
                                          if "promotion" not in data}}
PROMOTIONS: dict[str, dict] = {name: data for name, data in _load_examples().items()
                               if "promotion" in data}


@cache
def settings_for(variant: str) -> Settings:
    return parse_settings(VARIANTS[variant])


def _engine(variant: str) -> str:
    return VARIANTS[variant].get("deployment", {}).get("engine", "codedeploy")


# The variants by deployment engine, for tests of what only one engine builds.
CODEDEPLOY_VARIANTS = sorted(v for v in VARIANTS if _engine(v) == "codedeploy")
ECS_VARIANTS = sorted(v for v in VARIANTS if _engine(v) == "ecs")


@cache
def stack_for(variant: str) -> Stack:
    return build_stack(settings_for(variant))


@cache
def rendered(variant: str) -> str:
    """The readable template (YAML)."""
    return readable(stack_for(variant))


@cache
def deployed(variant: str) -> str:
    """The deployable template (compact JSON)."""
    return deployable(stack_for(variant))


@cache
def document(variant: str) -> dict:
    """The readable template as data, long-form intrinsics, as the tests read it."""
    return load_template(rendered(variant))
