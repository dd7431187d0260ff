"""The settings model: one frozen, validated description of what to build.

The declarative part (each key, its type, default, range and description) is the pydantic model
below; the rules that relate several keys live in `_relation_problems`. Every problem is reported
as a `Problem` naming the dotted key, the bad value and what is allowed, so the CLI can print it
without a traceback.
"""

from __future__ import annotations

import ipaddress
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# Names become parts of physical names (target groups, ALB, cluster, ...): lowercase letters,
# digits and hyphens, starting with a letter and not ending with a hyphen.
NAME_PATTERN = r"^[a-z]([a-z0-9-]*[a-z0-9])?$"

# A target group name is at most 32 characters and ours is "<name>-<environment>-green".
RESOURCE_ID_MAX = 32 - len("-green")

# Valid Fargate task sizes: CPU units -> allowed memory in MiB.
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
FARGATE_MEMORY = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

# CloudWatch Logs accepts only these retention periods; 0 here means "never expire" and leaves
# the property out, because CloudFormation rejects 0.
LOG_RETENTION_DAYS = (
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
    731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)

# TLS 1.2/1.3-only ALB security policies (TLS13-1-2*, TLS13-1-3*, TLS-1-2*, FS-1-2*); the older
# ones (2016-08, TLS-1-1, TLS13-1-0/1-1, FS-2018-06, FS-1-1) still accept TLS 1.0/1.1.
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
SSL_POLICY_PATTERN = r"^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)(-[A-Za-z0-9]+)*$"

# CodeDeploy waits (approval window, blue termination) are capped at two days for ECS.
MAX_WAIT_MINUTES = 2880


class Problem(Exception):
    """One invalid setting: the dotted key, the value found and what is allowed."""

    def __init__(self, key: str, message: str, value: Any = None, *, has_value: bool = True):
        self.key, self.message, self.value, self.has_value = key, message, value, has_value
        super().__init__(str(self))

    def __str__(self) -> str:
        shown = f" = {_show(self.value)}" if self.has_value else ""
        return f"{self.key}{shown}: {self.message}"


class SettingsError(Exception):
    """All problems found in one settings file."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _show(value: Any) -> str:
    """A value as it would be written in TOML, so the user recognises it."""
    try:
        return json.dumps(value)
    except TypeError:
        return repr(value)


def setting(default: Any, description: str, allowed: str, **constraints: Any) -> Any:
    """A settings key: its default, what it means and, in words, what values it takes."""
    return Field(default, description=description, json_schema_extra={"allowed": allowed},
                 **constraints)


class Section(BaseModel):
    # strict: TOML already has types, so "80" is not a port and true is not 1.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ServiceSettings(Section):
    name: str = setting(
        "webapp", "Application name; with the environment it forms every physical name.",
        f"lowercase letters, digits and hyphens, starting with a letter; "
        f"name and environment together at most {RESOURCE_ID_MAX - 1} characters",
        pattern=NAME_PATTERN, min_length=1, max_length=RESOURCE_ID_MAX - 2)
    environment: str = setting(
        "dev", "Environment name (dev, staging, prod, ...), tagged on every resource.",
        "lowercase letters, digits and hyphens, starting with a letter",
        pattern=NAME_PATTERN, min_length=1, max_length=RESOURCE_ID_MAX - 2)
    container_port: int = setting(
        80, "Port the container listens on; the target groups use it too.",
        "integer from 1 to 65535", ge=1, le=65535)
    cpu: int = setting(
        1024, "Fargate task CPU units.",
        "one of " + ", ".join(str(c) for c in FARGATE_MEMORY))
    memory: int = setting(
        2048, "Fargate task memory in MiB; must be a valid pair with cpu.",
        "a Fargate memory size valid for the cpu value")
    desired_count: int = setting(
        2, "Tasks started at creation (the DesiredCount parameter's default).",
        "integer from scaling.min to scaling.max", ge=1)
    health_check_path: str = setting(
        "/", "Path the load balancer probes on each task.",
        "a path starting with /, at most 1024 characters",
        pattern=r"^/[\x21-\x7e]*$", max_length=1024)
    health_check_grace_seconds: int = setting(
        60, "Seconds ECS ignores failing health checks after a task starts.",
        "integer from 0 to 7200", ge=0, le=7200)
    log_retention_days: int = setting(
        0, "CloudWatch Logs retention of the service's and the build's logs; 0 keeps them "
        "forever, as the reference did.",
        "0 or one of " + ", ".join(str(d) for d in LOG_RETENTION_DAYS[1:]))
    keep_images: int = setting(
        50, "Images the ECR lifecycle policy keeps; older ones are expired.",
        "integer from 2 to 1000 (rollback needs at least the current and previous image)",
        ge=2, le=1000)
    entry_point: list[str] = setting(
        [], "Container entry point; empty uses the image's own (the bootstrap image has none "
        "of the application's scripts).", "a list of non-empty strings")


class HealthCheckSettings(Section):
    interval_seconds: int = setting(
        10, "Seconds between health checks of one target.", "integer from 5 to 300",
        ge=5, le=300)
    timeout_seconds: int = setting(
        5, "Seconds without an answer that fail a check.",
        "integer from 2 to 120, less than interval_seconds", ge=2, le=120)
    healthy_threshold: int = setting(
        2, "Consecutive passes before a target counts as healthy.", "integer from 2 to 10",
        ge=2, le=10)
    unhealthy_threshold: int = setting(
        3, "Consecutive failures before a target counts as unhealthy.",
        "integer from 2 to 10", ge=2, le=10)
    success_codes: str = setting(
        "200", "HTTP codes that count as healthy.",
        'codes and ranges from 200 to 499, e.g. "200" or "200-299" or "200,302"',
        pattern=r"^[2-4][0-9]{2}(-[2-4][0-9]{2})?(,[2-4][0-9]{2}(-[2-4][0-9]{2})?)*$")
    deregistration_delay_seconds: int = setting(
        30, "Seconds a target drains in-flight requests before it is removed.",
        "integer from 0 to 3600", ge=0, le=3600)


class ListenerSettings(Section):
    https: bool = setting(
        True, "Production on HTTPS 443 with a 301 redirect from 80 (needs the CertificateArn "
        "parameter); false serves production on plain HTTP 80.", "true or false")
    test_port: int = setting(
        8080, "Port of the test listener, which forwards to the replacement (green) tasks.",
        "integer from 1 to 65535 other than 80 and 443", ge=1, le=65535)
    test_cidrs: list[str] = setting(
        [], "IPv4 networks allowed to reach the test listener; empty admits nobody.",
        "a list of IPv4 CIDRs such as 203.0.113.0/24, never 0.0.0.0/0")
    ssl_policy: str = setting(
        "ELBSecurityPolicy-TLS13-1-2-2021-06", "TLS policy of the HTTPS listener.",
        "an ELBSecurityPolicy that allows only TLS 1.2 and 1.3 (TLS13-1-2*, TLS13-1-3*, "
        "TLS-1-2*, FS-1-2*)", pattern=SSL_POLICY_PATTERN)


class DeploymentSettings(Section):
    traffic: Literal["all-at-once", "canary", "linear"] = setting(
        "all-at-once", "How CodeDeploy shifts production traffic to the new tasks.",
        "all-at-once, canary or linear")
    percent: int | None = setting(
        None, "Canary: share shifted first; linear: share shifted each step. Default 10.",
        "integer from 1 to 99; only with traffic canary or linear", ge=1, le=99)
    interval_minutes: int | None = setting(
        None, "Canary: minutes before the rest shifts; linear: minutes between steps. Default 5.",
        "integer from 1 to 2880; only with traffic canary or linear", ge=1, le=MAX_WAIT_MINUTES)
    termination_wait_minutes: int = setting(
        5, "Minutes the old (blue) tasks stay up after success, ready for a rollback.",
        f"integer from 0 to {MAX_WAIT_MINUTES}", ge=0, le=MAX_WAIT_MINUTES)
    approval_wait_minutes: int = setting(
        0, "0 shifts traffic as soon as the new tasks are healthy; more waits that long for an "
        "operator's approval and stops (rolls back) without it.",
        f"integer from 0 to {MAX_WAIT_MINUTES}", ge=0, le=MAX_WAIT_MINUTES)

    @property
    def step_percent(self) -> int:
        return 10 if self.percent is None else self.percent

    @property
    def step_minutes(self) -> int:
        return 5 if self.interval_minutes is None else self.interval_minutes


class ScalingSettings(Section):
    min: int = setting(1, "Fewest tasks auto scaling keeps.", "integer from 1 to 5000",
                       ge=1, le=5000)
    max: int = setting(16, "Most tasks auto scaling starts.",
                       "integer from min to 5000", ge=1, le=5000)
    cpu_target: int = setting(70, "Average CPU utilisation (%) to track.",
                              "integer from 10 to 95", ge=10, le=95)
    memory_target: int = setting(70, "Average memory utilisation (%) to track.",
                                 "integer from 10 to 95", ge=10, le=95)
    scale_in_cooldown_seconds: int = setting(
        300, "Seconds after a scale-in before the next one.", "integer from 0 to 3600",
        ge=0, le=3600)
    scale_out_cooldown_seconds: int = setting(
        120, "Seconds after a scale-out before the next one.", "integer from 0 to 3600",
        ge=0, le=3600)


class NetworkSettings(Section):
    mode: Literal["create", "existing"] = setting(
        "create", "create: a new VPC with public and private subnets in two zones; existing: "
        "VPC and subnets come as stack parameters.", "create or existing")
    vpc_cidr: str = setting(
        "10.0.0.0/16", "CIDR of the created VPC, split into four equal subnets.",
        "an IPv4 CIDR with a prefix from /16 to /24; only with mode create")
    nat_gateways: int = setting(
        2, "NAT gateways of the created VPC: 2 (one per zone, a zone outage leaves the other "
        "zone's tasks their egress) or 1 (cheaper).", "1 or 2; only with mode create",
        ge=1, le=2)
    assign_public_ip: bool = setting(
        False, "Give tasks public IPs, for existing subnets that have no NAT route.",
        "true or false; true only with mode existing")


class AlarmSettings(Section):
    enabled: bool = setting(
        True, "Roll a deployment back when an alarm of either target group fires (5xx, "
        "unhealthy hosts, slow responses); false turns alarm rollback off explicitly.",
        "true or false")
    target_5xx_count: int = setting(
        5, "Target 5xx responses per period that fire the 5xx alarm.",
        "integer from 1 to 100000", ge=1, le=100000)
    unhealthy_hosts: int = setting(
        1, "Unhealthy targets (maximum in a period) that fire the unhealthy-host alarm.",
        "integer from 1 to 1000", ge=1, le=1000)
    response_time_percentile: Literal["p50", "p90", "p95", "p99"] = setting(
        "p95", "Percentile of target response time that the latency alarm watches.",
        "p50, p90, p95 or p99")
    response_time_seconds: float = setting(
        1.0, "Response time above which the latency alarm fires.",
        "number from 0.01 to 60", ge=0.01, le=60)
    period_seconds: Literal[60, 300] = setting(
        60, "Length of one alarm evaluation period.", "60 or 300")
    evaluation_periods: int = setting(
        2, "Consecutive breaching periods that fire an alarm.", "integer from 1 to 10",
        ge=1, le=10)


class HookSettings(Section):
    enabled: bool = setting(
        True, "Validate the replacement tasks through the test listener before production "
        "moves (a Lambda run by CodeDeploy at AfterAllowTestTraffic).", "true or false")
    before_allow_traffic: bool = setting(
        False, "Run the validation again at BeforeAllowTraffic, just before the shift.",
        "true or false")
    paths: list[str] = setting(
        [], "Paths requested on the test listener; empty uses service.health_check_path.",
        "a list of paths starting with /")
    requests: int = setting(
        10, "Requests sent to each path.", "integer from 1 to 100", ge=1, le=100)
    success_ratio: float = setting(
        1.0, "Share of requests that must answer 2xx/3xx within the latency budget.",
        "number from 0.5 to 1", ge=0.5, le=1)
    latency_budget_ms: int = setting(
        1000, "A request slower than this counts as failed.", "integer from 10 to 10000",
        ge=10, le=10000)
    timeout_seconds: int = setting(
        60, "Lambda timeout; the hook reports well before it.", "integer from 30 to 300",
        ge=30, le=300)


# CodeBuild compute types for Linux containers.
COMPUTE_TYPES = ("BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE",
                 "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE")

# A relative path inside the application repository (".." segments are refused separately).
REPO_PATH_PATTERN = r"^[A-Za-z0-9._-][A-Za-z0-9._/-]*$"


class PipelineSettings(Section):
    source: Literal["connection", "codecommit", "s3"] = setting(
        "connection", "Where pushes come from: a CodeConnections connection (GitHub, GitHub "
        "Enterprise, GitLab, Bitbucket), a CodeCommit repository, or a zip object in S3.",
        "connection, codecommit or s3")
    branch: str = setting(
        "main", "Default of the BranchName parameter (connection and codecommit sources).",
        "a git branch name", pattern=r"^[A-Za-z0-9._/-]+$", max_length=255)
    buildspec: str = setting(
        "inline", "inline: the generated buildspec lives in the CodeBuild project, so the "
        "application repository needs no deployment files; or a path in the repository of a "
        "copy of it (`ecs-bluegreen artifacts` writes one).",
        'inline, or a relative path such as "buildspec.yml"', pattern=REPO_PATH_PATTERN,
        max_length=255)
    dockerfile: str = setting(
        "Dockerfile", "Dockerfile path in the repository.", "a relative path",
        pattern=REPO_PATH_PATTERN, max_length=255)
    build_context: str = setting(
        ".", "Docker build context directory in the repository.", "a relative path",
        pattern=REPO_PATH_PATTERN, max_length=255)
    compute_type: str = setting(
        "BUILD_GENERAL1_SMALL", "CodeBuild compute type.", ", ".join(COMPUTE_TYPES))
    build_image: str = setting(
        "aws/codebuild/standard:7.0", "CodeBuild image (a curated image with Docker).",
        "an aws/codebuild/... image name",
        pattern=r"^aws/codebuild/[a-z0-9._-]+:[0-9.]+$", max_length=255)
    build_timeout_minutes: int = setting(
        30, "Minutes before a build is stopped.", "integer from 5 to 480", ge=5, le=480)
    artifact_retention_days: int = setting(
        30, "Days pipeline artifacts are kept (build logs follow service.log_retention_days).",
        "integer from 1 to 3650",
        ge=1, le=3650)


class NotificationSettings(Section):
    enabled: bool = setting(
        False, "An SNS topic told when deployments start, succeed, fail, stop or roll back; "
        "the NotificationEmail parameter subscribes an address.", "true or false")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    service: ServiceSettings = ServiceSettings()
    health_check: HealthCheckSettings = HealthCheckSettings()
    listeners: ListenerSettings = ListenerSettings()
    deployment: DeploymentSettings = DeploymentSettings()
    scaling: ScalingSettings = ScalingSettings()
    network: NetworkSettings = NetworkSettings()
    pipeline: PipelineSettings = PipelineSettings()
    alarms: AlarmSettings = AlarmSettings()
    hooks: HookSettings = HookSettings()
    notifications: NotificationSettings = NotificationSettings()

    @property
    def resource_id(self) -> str:
        """`<name>-<environment>`: the base of every physical name, as in the reference."""
        return f"{self.service.name}-{self.service.environment}"


def load_settings(path: Path | None = None) -> Settings:
    """Read and validate a TOML settings file; no path gives the defaults.

    Raises SettingsError listing every problem found.
    """
    if path is None:
        return parse_settings({})
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError([Problem("--config", "file not found", str(path))]) from None
    except IsADirectoryError:
        raise SettingsError([Problem("--config", "is a directory, not a file",
                                     str(path))]) from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError([Problem(str(path), f"not valid TOML: {exc}",
                                     has_value=False)]) from None
    except UnicodeDecodeError as exc:
        raise SettingsError([Problem(str(path), f"not valid UTF-8 text: {exc.reason}",
                                     has_value=False)]) from None
    return parse_settings(data)


def parse_settings(data: dict[str, Any]) -> Settings:
    """Validate already-parsed settings data (the TOML document as a dict)."""
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError([_problem_from(error, data) for error in exc.errors()]) from None
    problems = _relation_problems(settings)
    if problems:
        raise SettingsError(problems)
    return settings


def _allowed(loc: tuple) -> str | None:
    """The `allowed` text declared for the field at `loc`, if any."""
    model: type[BaseModel] = Settings
    field = None
    for part in loc:
        if not isinstance(part, str) or part not in model.model_fields:
            break
        field = model.model_fields[part]
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    extra = field.json_schema_extra if field is not None else None
    return extra.get("allowed") if isinstance(extra, dict) else None


def _problem_from(error: dict, data: dict) -> Problem:
    loc = error["loc"]
    key = ".".join(str(part) for part in loc)
    if error["type"] == "extra_forbidden":
        return _unknown_key(loc)
    if error["type"] == "model_type":
        return Problem(key, "must be a table (a [section] in TOML)", error["input"])
    allowed = _allowed(loc)
    if error["type"] == "string_pattern_mismatch" and allowed:
        message = "not allowed"  # the words of `allowed` say more than the regex
    else:
        message = error["msg"][0].lower() + error["msg"][1:]
    if allowed:
        message += f"; allowed: {allowed}"
    return Problem(key, message, error["input"])


def _unknown_key(loc: tuple) -> Problem:
    key = ".".join(str(part) for part in loc)
    if len(loc) == 1:
        sections = ", ".join(Settings.model_fields)
        return Problem(key, f"unknown section; allowed sections: {sections}", has_value=False)
    section = Settings.model_fields[loc[0]].annotation
    keys = ", ".join(section.model_fields)
    return Problem(key, f"unknown key; allowed keys in [{loc[0]}]: {keys}", has_value=False)


def _relation_problems(s: Settings) -> list[Problem]:
    """Rules that relate several keys, or that need more than a range."""
    problems = []

    def check(ok: bool, key: str, value: Any, message: str) -> None:
        if not ok:
            problems.append(Problem(key, message, value))

    svc, hc, lst, dep, sc, net = (s.service, s.health_check, s.listeners, s.deployment,
                                  s.scaling, s.network)
    check(len(s.resource_id) <= RESOURCE_ID_MAX, "service.environment", svc.environment,
          f'"{s.resource_id}" is {len(s.resource_id)} characters; service.name and '
          f"service.environment together (with the hyphen) must be at most {RESOURCE_ID_MAX} "
          f'so that target group names like "{s.resource_id}-green" fit 32 characters')
    # An ALB name must not begin with "internal-".
    check(svc.name != "internal", "service.name", svc.name,
          'load balancer names may not begin with "internal-"; choose another name')
    check(svc.cpu in FARGATE_MEMORY, "service.cpu", svc.cpu,
          "not a Fargate CPU size; allowed: " + ", ".join(str(c) for c in FARGATE_MEMORY))
    if svc.cpu in FARGATE_MEMORY:
        valid = FARGATE_MEMORY[svc.cpu]
        check(svc.memory in valid, "service.memory", svc.memory,
              f"not a valid Fargate memory size for cpu {svc.cpu}; allowed: "
              f"{_describe_sizes(valid)}")
    check(svc.log_retention_days in LOG_RETENTION_DAYS, "service.log_retention_days",
          svc.log_retention_days,
          "not a CloudWatch Logs retention period; allowed: 0 (never expire) or "
          + ", ".join(str(d) for d in LOG_RETENTION_DAYS[1:]))
    for index, part in enumerate(svc.entry_point):
        check(part != "", f"service.entry_point.{index}", part, "must not be empty")

    check(hc.timeout_seconds < hc.interval_seconds, "health_check.timeout_seconds",
          hc.timeout_seconds,
          f"must be less than health_check.interval_seconds ({hc.interval_seconds})")

    check(lst.test_port not in (80, 443), "listeners.test_port", lst.test_port,
          "80 and 443 belong to the production listeners; choose another port")
    for index, cidr in enumerate(lst.test_cidrs):
        key = f"listeners.test_cidrs.{index}"
        try:
            network = ipaddress.IPv4Network(cidr, strict=True)
        except ValueError as exc:
            check(False, key, cidr, f"not an IPv4 CIDR ({exc}); allowed: e.g. 203.0.113.0/24")
            continue
        check(network.prefixlen > 0, key, cidr,
              "the test listener serves unapproved releases and is never open to the world; "
              "list the networks of the people and tools that test them")

    for key in ("percent", "interval_minutes"):
        check(dep.traffic != "all-at-once" or key not in dep.model_fields_set,
              f"deployment.{key}", getattr(dep, key),
              'only used with deployment.traffic "canary" or "linear"')

    check(sc.min <= sc.max, "scaling.max", sc.max, f"must be at least scaling.min ({sc.min})")
    check(sc.min <= svc.desired_count <= sc.max, "service.desired_count", svc.desired_count,
          f"must be from scaling.min ({sc.min}) to scaling.max ({sc.max})")

    for key in ("buildspec", "dockerfile", "build_context"):
        path = getattr(s.pipeline, key)
        check(".." not in path.split("/"), f"pipeline.{key}", path,
              "must stay inside the repository (no .. segments)")
    for index, path in enumerate(s.hooks.paths):
        check(path.startswith("/") and " " not in path, f"hooks.paths.{index}", path,
              "a path starting with / and without spaces")
    check(not (s.hooks.enabled and net.mode == "existing" and not lst.test_cidrs),
          "listeners.test_cidrs", lst.test_cidrs,
          "with hooks.enabled in an existing VPC, list the NAT egress addresses of "
          "ServiceSubnetIds here: the hook reaches the test listener from them")
    check(s.pipeline.compute_type in COMPUTE_TYPES, "pipeline.compute_type",
          s.pipeline.compute_type,
          "not a CodeBuild compute type; allowed: " + ", ".join(COMPUTE_TYPES))
    check(s.pipeline.source != "s3" or "branch" not in s.pipeline.model_fields_set,
          "pipeline.branch", s.pipeline.branch, 'not used with pipeline.source "s3"')

    if net.mode == "create":
        _check_vpc_cidr(net.vpc_cidr, check)
        check("assign_public_ip" not in net.model_fields_set or not net.assign_public_ip,
              "network.assign_public_ip", net.assign_public_ip,
              'only with network.mode "existing": a created VPC runs tasks in private subnets '
              "behind NAT")
    else:
        for key in ("vpc_cidr", "nat_gateways"):
            check(key not in net.model_fields_set, f"network.{key}", getattr(net, key),
                  'only used with network.mode "create"')
    return problems


def _check_vpc_cidr(cidr: str, check) -> None:
    try:
        network = ipaddress.IPv4Network(cidr, strict=True)
    except ValueError as exc:
        check(False, "network.vpc_cidr", cidr, f"not an IPv4 CIDR ({exc})")
        return
    check(16 <= network.prefixlen <= 24, "network.vpc_cidr", cidr,
          "prefix must be from /16 to /24 (VPCs allow /16 to /28, and four subnets of a /24 "
          "are the smallest that leave room for tasks)")


def _describe_sizes(sizes: tuple[int, ...]) -> str:
    if len(sizes) <= 3:
        return ", ".join(str(s) for s in sizes)
    step = sizes[1] - sizes[0]
    return f"{sizes[0]} to {sizes[-1]} in steps of {step}"


@dataclass(frozen=True)
class KeyDoc:
    """One settings key as documented in the README."""

    key: str
    default: str
    allowed: str
    description: str


def documented_keys() -> list[KeyDoc]:
    """Every settings key with its default, allowed values and meaning, in model order."""
    docs = []
    for section_name, section_field in Settings.model_fields.items():
        for name, field in section_field.annotation.model_fields.items():
            docs.append(KeyDoc(
                key=f"{section_name}.{name}",
                default=_show(field.default),
                allowed=field.json_schema_extra["allowed"],
                description=field.description,
            ))
    return docs
