"""The settings model: one frozen, validated description of what to build.

The declarative part is the frozen msgspec Structs below: each key's type, its default, and in
its `Annotated` metadata what it means, what it allows in words and its bounds. msgspec (a small,
fast validator written in C) checks each key against that; the rules that relate several keys
live in `_relation_problems`. Every problem is reported as a `Problem` naming the dotted key,
the bad value and what is allowed, all problems of a file at once, so the CLI can print them
without a traceback.
"""

import ipaddress
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import msgspec
from msgspec import Meta

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
# ECS's own engine: each bake time is 0 to 1440 minutes, and CloudFormation, which waits for the
# deployment at most 36 hours, refuses a linear or canary configuration whose bake times add up
# to more than 33 hours (BakeTimeInMinutes + StepBakeTimeInMinutes x steps). The same bound
# holds here for the whole wait, the approval window included: a stack update is the
# deployment. Both from the AWS::ECS::Service resource schema and the ECS guide's linear page.
ECS_MAX_BAKE_MINUTES = 1440
ECS_MAX_TOTAL_MINUTES = 33 * 60
# ECS's LINEAR StepPercent is 3 to 100.
ECS_MIN_STEP_PERCENT = 3

# Every text and list setting is bounded. With the naming limit, these bounds keep the template
# of every accepted settings file within the 51,200 bytes that `aws cloudformation deploy
# --template-file` sends without an S3 bucket; tests/test_size.py renders the largest one.
PATH_MAX = 128  # a URL path
# A URL path and query as RFC 3986 allows them unencoded (unreserved, sub-delims, ":", "@",
# "/", "?", and "%" for percent-encoding). Nothing in it is escaped in JSON or forms "${".
URL_PATH_PATTERN = r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$"
# The same without commas: the hook's PATHS variable joins its paths with commas.
HOOK_PATH_PATTERN = URL_PATH_PATTERN.replace(",", "")
# Printable ASCII without '"' and backslash, which JSON escapes (twice where the text is also in
# taskdef.json inside the template): every accepted text is stored in the template as it is,
# except a variable such as "${PORT}", which Fn::Sub needs written "${!PORT}".
ENTRY_POINT_PATTERN = r'^[ !#-\[\]-~]+$'
REPO_PATH_MAX = 100  # a path in the application repository, or a branch name
IMAGE_NAME_MAX = 64  # a CodeBuild image name
TEST_CIDRS_MAX = 5
HOOK_PATHS_MAX = 5
HOOK_PATHS_CHARS_MAX = 192  # characters in all
# A container user: a name or an ID, with an optional group (name or ID).
USER_PATTERN = r"^$|^([a-z_][a-z0-9_.-]*|[0-9]+)(:([a-z_][a-z0-9_.-]*|[0-9]+))?$"
USER_MAX = 32
ROOT_USERS = re.compile(r"^(0|root)(:.*)?$")
ENTRY_POINT_MAX = 8  # strings
ENTRY_POINT_CHARS_MAX = 128  # characters in all

# Keys that existed once: their replacement, so an old settings file gets a useful error.
REMOVED_KEYS = {
    ("service", "desired_count"): (
        "removed: the service now starts with scaling.min tasks, and stack updates never "
        "reset what auto scaling has set; set scaling.min instead"),
}

# Source ranges the test-traffic hook never comes from in an existing VPC: it reaches the
# internet-facing load balancer's public address through NAT, so the load balancer sees the
# NAT gateways' public addresses. (Not ipaddress's is_private, which also counts the
# documentation ranges 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24.)
NOT_INTERNET_SOURCES = {
    "10.0.0.0/8": "private (RFC 1918)", "172.16.0.0/12": "private (RFC 1918)",
    "192.168.0.0/16": "private (RFC 1918)", "100.64.0.0/10": "shared address space (RFC 6598)",
    "127.0.0.0/8": "loopback", "169.254.0.0/16": "link-local", "0.0.0.0/8": "this network",
}


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
    """A value as it would be written in TOML, so the user recognises it (a TOML date or time
    as its ISO text)."""
    return json.dumps(value, default=lambda other: (other.isoformat()
                                                    if hasattr(other, "isoformat")
                                                    else repr(other)))


def setting(description: str, allowed: str, **constraints: Any) -> Meta:
    """What a settings key means, what values it takes in words, and its bounds (msgspec's
    ge, le, pattern, min_length, max_length)."""
    return Meta(description=description, extra={"allowed": allowed}, **constraints)


class Section(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One [section] of the settings file."""


class ServiceSettings(Section):
    name: Annotated[str, setting(
        "Application name; with the environment it forms every physical name.",
        f"lowercase letters, digits and hyphens, starting with a letter; "
        f"name and environment together at most {RESOURCE_ID_MAX - 1} characters",
        pattern=NAME_PATTERN, min_length=1, max_length=RESOURCE_ID_MAX - 2)] = "webapp"
    environment: Annotated[str, setting(
        "Environment name (dev, staging, prod, ...), tagged on every resource.",
        "lowercase letters, digits and hyphens, starting with a letter",
        pattern=NAME_PATTERN, min_length=1, max_length=RESOURCE_ID_MAX - 2)] = "dev"
    container_port: Annotated[int, setting(
        "Port the container listens on; the target groups use it too.",
        "integer from 1 to 65535", ge=1, le=65535)] = 80
    cpu: Annotated[int, setting(
        "Fargate task CPU units.",
        "one of " + ", ".join(str(c) for c in FARGATE_MEMORY))] = 1024
    memory: Annotated[int, setting(
        "Fargate task memory in MiB; must be a valid pair with cpu.",
        "a Fargate memory size valid for the cpu value")] = 2048
    health_check_path: Annotated[str, setting(
        "Path the load balancer probes on each task.",
        f"a path starting with / of URL characters (RFC 3986), at most {PATH_MAX} characters",
        pattern=URL_PATH_PATTERN, max_length=PATH_MAX)] = "/"
    health_check_grace_seconds: Annotated[int, setting(
        "Seconds ECS ignores failing health checks after a task starts.",
        "integer from 0 to 7200", ge=0, le=7200)] = 60
    log_retention_days: Annotated[int, setting(
        "Retention of every log: the CloudWatch log groups (service, build, hook, guard) and "
        "the log bucket. A year by default, the least AWS Control Tower's CT.CLOUDWATCH.PR.2 "
        "accepts; 0 keeps them forever.",
        "0 or one of " + ", ".join(str(d) for d in LOG_RETENTION_DAYS[1:]))] = 365
    keep_images: Annotated[int, setting(
        "Images the ECR lifecycle policy keeps; older ones are expired.",
        "integer from 2 to 1000 (rollback needs at least the current and previous image)",
        ge=2, le=1000)] = 50
    entry_point: Annotated[tuple[Annotated[str, Meta(
            min_length=1, pattern=ENTRY_POINT_PATTERN)], ...], setting(
        "Container entry point; empty uses the image's own (the bootstrap image has none "
        "of the application's scripts).",
        f"a list of at most {ENTRY_POINT_MAX} non-empty strings of printable ASCII without "
        "double quotes or backslashes (use single quotes in shell commands), "
        f"{ENTRY_POINT_CHARS_MAX} characters in all", max_length=ENTRY_POINT_MAX)] = ()
    user: Annotated[str, setting(
        "User (and group) the container runs as; empty keeps the image's own, which for the "
        "bootstrap nginx and many images is root (Control Tower's ECS.PR.3 wants non-root).",
        "empty, or a user name or UID with an optional :group or :GID, e.g. 1000 or "
        f"app:app, not root or 0; at most {USER_MAX} characters",
        pattern=USER_PATTERN, max_length=USER_MAX)] = ""
    read_only_root_filesystem: Annotated[bool, setting(
        "Mount the container's root file system read-only, with a writable /tmp on the "
        "task's ephemeral storage (Control Tower's ECS.PR.6), owned by root on Fargate unless "
        "the image declares VOLUME /tmp; the image must write nowhere else.",
        "true or false")] = False


class HealthCheckSettings(Section):
    interval_seconds: Annotated[int, setting(
        "Seconds between health checks of one target.",
        "integer from 5 to 300", ge=5, le=300)] = 10
    timeout_seconds: Annotated[int, setting(
        "Seconds without an answer that fail a check.",
        "integer from 2 to 120, less than interval_seconds", ge=2, le=120)] = 5
    healthy_threshold: Annotated[int, setting(
        "Consecutive passes before a target counts as healthy.",
        "integer from 2 to 10", ge=2, le=10)] = 2
    unhealthy_threshold: Annotated[int, setting(
        "Consecutive failures before a target counts as unhealthy.",
        "integer from 2 to 10", ge=2, le=10)] = 3
    success_codes: Annotated[str, setting(
        "HTTP codes that count as healthy.",
        'codes and ranges from 200 to 499, e.g. "200" or "200-299" or "200,302"; at most 32 '
        "characters",
        pattern=r"^[2-4][0-9]{2}(-[2-4][0-9]{2})?(,[2-4][0-9]{2}(-[2-4][0-9]{2})?)*$", max_length=32)] = "200"
    deregistration_delay_seconds: Annotated[int, setting(
        "Seconds a target drains in-flight requests before it is removed.",
        "integer from 0 to 3600", ge=0, le=3600)] = 30


class ListenerSettings(Section):
    https: Annotated[bool, setting(
        "Production on HTTPS 443 with a 301 redirect from 80, and the test listener on HTTPS, "
        "with the CertificateArn parameter's certificate; false serves both on plain HTTP.",
        "true or false")] = True
    test_port: Annotated[int, setting(
        "Port of the test listener, which forwards to the replacement (green) tasks.",
        "integer from 1 to 65535 other than 80 and 443", ge=1, le=65535)] = 8080
    test_cidrs: Annotated[tuple[str, ...], setting(
        "IPv4 networks allowed to reach the test listener; empty admits nobody.",
        f"a list of at most {TEST_CIDRS_MAX} IPv4 CIDRs such as 203.0.113.0/24, never "
        "0.0.0.0/0; with hooks in an existing VPC, public addresses only",
        max_length=TEST_CIDRS_MAX)] = ()
    ssl_policy: Annotated[str, setting(
        "TLS policy of the HTTPS listener.",
        "an ELBSecurityPolicy that allows only TLS 1.2 and 1.3 (TLS13-1-2*, TLS13-1-3*, "
        "TLS-1-2*, FS-1-2*)",
        pattern=SSL_POLICY_PATTERN, max_length=64)] = "ELBSecurityPolicy-TLS13-1-2-2021-06"


class LoadBalancerSettings(Section):
    access_logs: Annotated[bool, setting(
        "Request logs of the load balancer and server access logs of the artifact bucket, "
        "in a log bucket the stack creates (kept service.log_retention_days).",
        "true or false")] = True
    deletion_protection: Annotated[bool, setting(
        "Refuse to delete the load balancer until this is turned off again; deleting the "
        "stack fails meanwhile. For production (Control Tower's ELASTICLOADBALANCING.PR.5).",
        "true or false")] = False
    web_acl: Annotated[bool, setting(
        "Protect the load balancer with an AWS WAF web ACL you own, given as the WebAclArn "
        "parameter.",
        "true or false")] = False


class DeploymentSettings(Section):
    engine: Annotated[Literal["codedeploy", "ecs"], setting(
        "Who runs deployments: codedeploy (a CodeDeploy deployment group; the pipeline's "
        "CodeDeployToECS action) or ecs (ECS's own blue/green, linear and canary "
        "deployments; the pipeline updates the stack's Image parameter). The README compares "
        "them.",
        "codedeploy or ecs")] = "codedeploy"
    traffic: Annotated[Literal["all-at-once", "canary", "linear"], setting(
        "How production traffic shifts to the new tasks (engine ecs: strategy BLUE_GREEN, "
        "CANARY or LINEAR).",
        "all-at-once, canary or linear")] = "all-at-once"
    percent: Annotated[Annotated[int, Meta(ge=1, le=99)] | None, setting(
        "Canary: share shifted first; linear: share shifted each step. Default 10.",
        "integer from 1 to 99 (engine ecs, linear: from 3); only with traffic canary or "
        "linear")] = None
    interval_minutes: Annotated[Annotated[int, Meta(ge=1, le=MAX_WAIT_MINUTES)] | None, setting(
        "Canary: minutes before the rest shifts; linear: minutes between steps (engine ecs: "
        "the bake time after each step but the last). Default 5.",
        f"integer from 1 to 2880 (engine ecs: {ECS_MAX_BAKE_MINUTES}); only with traffic "
        "canary or linear")] = None
    termination_wait_minutes: Annotated[int, setting(
        "Minutes the old (blue) tasks stay up after success, ready for a rollback (engine "
        "ecs: BakeTimeInMinutes, during which an alarm still rolls back).",
        f"integer from 0 to {MAX_WAIT_MINUTES} (engine ecs: {ECS_MAX_BAKE_MINUTES})",
        ge=0, le=MAX_WAIT_MINUTES)] = 5
    approval_wait_minutes: Annotated[int, setting(
        "0 shifts traffic as soon as the new tasks are healthy; more waits that long for an "
        "operator's approval and stops (rolls back) without it (engine ecs: a PAUSE hook "
        "after test traffic moves, approved with aws ecs continue-service-deployment).",
        f"integer from 0 to {MAX_WAIT_MINUTES}", ge=0, le=MAX_WAIT_MINUTES)] = 0

    @property
    def ecs_steps(self) -> int:
        """Bake periods of an ECS linear deployment: one after each step but the last
        (AWS's formula: 100/StepPercent - 1 when it divides evenly, else floor(100/StepPercent));
        a canary has one."""
        if self.traffic == "canary":
            return 1
        if self.traffic == "linear":
            whole, rest = divmod(100, self.step_percent)
            return whole - 1 if rest == 0 else whole
        return 0

    @property
    def ecs_total_minutes(self) -> int:
        """The longest an ECS deployment waits by these settings: approval window, bake
        periods between steps, and the bake time after the shift."""
        return (self.approval_wait_minutes + self.ecs_steps * self.step_minutes
                + self.termination_wait_minutes)

    @property
    def step_percent(self) -> int:
        return 10 if self.percent is None else self.percent

    @property
    def step_minutes(self) -> int:
        return 5 if self.interval_minutes is None else self.interval_minutes


class ScalingSettings(Section):
    min: Annotated[int, setting(
        "Fewest tasks auto scaling keeps.",
        "integer from 1 to 5000", ge=1, le=5000)] = 1
    max: Annotated[int, setting(
        "Most tasks auto scaling starts.",
        "integer from min to 5000", ge=1, le=5000)] = 16
    cpu_target: Annotated[int, setting(
        "Average CPU utilisation (%) to track.",
        "integer from 10 to 95", ge=10, le=95)] = 70
    memory_target: Annotated[int, setting(
        "Average memory utilisation (%) to track.",
        "integer from 10 to 95", ge=10, le=95)] = 70
    scale_in_cooldown_seconds: Annotated[int, setting(
        "Seconds after a scale-in before the next one.",
        "integer from 0 to 3600", ge=0, le=3600)] = 300
    scale_out_cooldown_seconds: Annotated[int, setting(
        "Seconds after a scale-out before the next one.",
        "integer from 0 to 3600", ge=0, le=3600)] = 120


class NetworkSettings(Section):
    mode: Annotated[Literal["create", "existing"], setting(
        "create: a new VPC with public and private subnets in two zones; existing: "
        "VPC and subnets come as stack parameters.",
        "create or existing")] = "create"
    vpc_cidr: Annotated[str, setting(
        "CIDR of the created VPC, split into four equal subnets.",
        "an IPv4 CIDR with a prefix from /16 to /24; only with mode create")] = "10.0.0.0/16"
    nat_gateways: Annotated[int, setting(
        "NAT gateways of the created VPC: 2 (one per zone, a zone outage leaves the other "
        "zone's tasks their egress) or 1 (cheaper).",
        "1 or 2; only with mode create", ge=1, le=2)] = 2
    assign_public_ip: Annotated[bool, setting(
        "Give tasks public IPs, for existing subnets that have no NAT route.",
        "true or false; true only with mode existing")] = False
    task_egress: Annotated[Literal["all", "https"], setting(
        "Where tasks may connect: all (any address and port) or https (port 443 only: AWS "
        "APIs, ECR, CloudWatch Logs and HTTPS dependencies; DNS to the VPC resolver is never "
        "filtered by security groups). For a database or cache, let its group admit the "
        "tasks' group (<name>-<environment>-ecs-service-sg) and add the egress rule beside it.",
        "all or https")] = "all"
    flow_logs: Annotated[bool, setting(
        "VPC flow logs of the created VPC (all traffic) in the log bucket, kept "
        "service.log_retention_days.",
        "true or false; only with mode create")] = True


class AlarmSettings(Section):
    enabled: Annotated[bool, setting(
        "Roll a deployment back when an alarm of either target group fires (5xx, "
        "unhealthy hosts, slow responses); false turns alarm rollback off explicitly.",
        "true or false")] = True
    target_5xx_count: Annotated[int, setting(
        "Target 5xx responses per period that fire the 5xx alarm.",
        "integer from 1 to 100000", ge=1, le=100000)] = 5
    unhealthy_hosts: Annotated[int, setting(
        "Unhealthy targets (maximum in a period) that fire the unhealthy-host alarm.",
        "integer from 1 to 1000", ge=1, le=1000)] = 1
    response_time_percentile: Annotated[Literal["p50", "p90", "p95", "p99"], setting(
        "Percentile of target response time that the latency alarm watches.",
        "p50, p90, p95 or p99")] = "p95"
    response_time_seconds: Annotated[float, setting(
        "Response time above which the latency alarm fires.",
        "number from 0.01 to 60 with at most two decimals", ge=0.01, le=60)] = 1.0
    period_seconds: Annotated[Literal[60, 300], setting(
        "Length of one alarm evaluation period.",
        "60 or 300")] = 60
    evaluation_periods: Annotated[int, setting(
        "Consecutive breaching periods that fire an alarm.",
        "integer from 1 to 10", ge=1, le=10)] = 2


class HookSettings(Section):
    enabled: Annotated[bool, setting(
        "Validate the replacement tasks through the test listener before production "
        "moves (a Lambda run by CodeDeploy at AfterAllowTestTraffic; engine ecs: by ECS at "
        "POST_TEST_TRAFFIC_SHIFT).",
        "true or false")] = True
    before_allow_traffic: Annotated[bool, setting(
        "Run the validation again at BeforeAllowTraffic, just before the shift (engine ecs: "
        "PRE_PRODUCTION_TRAFFIC_SHIFT, before each production step of a canary or linear "
        "deployment).",
        "true or false")] = False
    paths: Annotated[tuple[Annotated[str, Meta(
            max_length=PATH_MAX, pattern=HOOK_PATH_PATTERN)], ...], setting(
        "Paths requested on the test listener; empty uses service.health_check_path.",
        f"a list of at most {HOOK_PATHS_MAX} paths starting with / of URL characters "
        f"(RFC 3986) without commas, each at most {PATH_MAX} characters, "
        f"{HOOK_PATHS_CHARS_MAX} in all", max_length=HOOK_PATHS_MAX)] = ()
    requests: Annotated[int, setting(
        "Requests sent to each path.",
        "integer from 1 to 100", ge=1, le=100)] = 10
    success_ratio: Annotated[float, setting(
        "Share of requests that must answer 2xx/3xx within the latency budget.",
        "number from 0.5 to 1 with at most two decimals", ge=0.5, le=1)] = 1.0
    latency_budget_ms: Annotated[int, setting(
        "A request slower than this counts as failed.",
        "integer from 10 to 10000", ge=10, le=10000)] = 1000
    timeout_seconds: Annotated[int, setting(
        "Lambda timeout; the hook reports well before it.",
        "integer from 30 to 300", ge=30, le=300)] = 60


# CodeBuild compute types for Linux containers.
COMPUTE_TYPES = ("BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE",
                 "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE")

# A relative path inside the application repository (".." segments are refused separately).
REPO_PATH_PATTERN = r"^[A-Za-z0-9._-][A-Za-z0-9._/-]*$"


class PipelineSettings(Section):
    source: Annotated[Literal["connection", "codecommit", "s3"], setting(
        "Where pushes come from: a CodeConnections connection (GitHub, GitHub "
        "Enterprise, GitLab, Bitbucket), a CodeCommit repository, or a zip object in S3.",
        "connection, codecommit or s3")] = "connection"
    branch: Annotated[str, setting(
        "Default of the BranchName parameter (connection and codecommit sources).",
        f"a git branch name of at most {REPO_PATH_MAX} characters",
        pattern=r"^[A-Za-z0-9._/-]+$", max_length=REPO_PATH_MAX)] = "main"
    buildspec: Annotated[str, setting(
        "inline: the generated buildspec lives in the CodeBuild project, so the "
        "application repository needs no deployment files; or a path in the repository of a "
        "copy of it (`ecs-bluegreen artifacts` writes one).",
        f'inline, or a relative path such as "buildspec.yml" (at most {REPO_PATH_MAX} '
        "characters)", pattern=REPO_PATH_PATTERN, max_length=REPO_PATH_MAX)] = "inline"
    dockerfile: Annotated[str, setting(
        "Dockerfile path in the repository.",
        f"a relative path of at most {REPO_PATH_MAX} characters",
        pattern=REPO_PATH_PATTERN, max_length=REPO_PATH_MAX)] = "Dockerfile"
    build_context: Annotated[str, setting(
        "Docker build context directory in the repository.",
        f"a relative path of at most {REPO_PATH_MAX} characters",
        pattern=REPO_PATH_PATTERN, max_length=REPO_PATH_MAX)] = "."
    compute_type: Annotated[str, setting(
        "CodeBuild compute type.",
        ", ".join(COMPUTE_TYPES))] = "BUILD_GENERAL1_SMALL"
    build_image: Annotated[str, setting(
        "CodeBuild image (a curated image with Docker).",
        f"an aws/codebuild/... image name of at most {IMAGE_NAME_MAX} characters",
        pattern=r"^aws/codebuild/[a-z0-9._-]+:[0-9.]+$", max_length=IMAGE_NAME_MAX)] = "aws/codebuild/standard:7.0"
    build_timeout_minutes: Annotated[int, setting(
        "Minutes before a build is stopped.",
        "integer from 5 to 480", ge=5, le=480)] = 30
    artifact_retention_days: Annotated[int, setting(
        "Days pipeline artifacts are kept (build logs follow service.log_retention_days).",
        "integer from 1 to 3650", ge=1, le=3650)] = 30


class NotificationSettings(Section):
    enabled: Annotated[bool, setting(
        "An SNS topic told when deployments start, succeed, fail, stop or roll back; "
        "the NotificationEmail parameter subscribes an address.",
        "true or false")] = False


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    service: ServiceSettings = msgspec.field(default_factory=ServiceSettings)
    health_check: HealthCheckSettings = msgspec.field(default_factory=HealthCheckSettings)
    listeners: ListenerSettings = msgspec.field(default_factory=ListenerSettings)
    load_balancer: LoadBalancerSettings = msgspec.field(default_factory=LoadBalancerSettings)
    deployment: DeploymentSettings = msgspec.field(default_factory=DeploymentSettings)
    scaling: ScalingSettings = msgspec.field(default_factory=ScalingSettings)
    network: NetworkSettings = msgspec.field(default_factory=NetworkSettings)
    pipeline: PipelineSettings = msgspec.field(default_factory=PipelineSettings)
    alarms: AlarmSettings = msgspec.field(default_factory=AlarmSettings)
    hooks: HookSettings = msgspec.field(default_factory=HookSettings)
    notifications: NotificationSettings = msgspec.field(default_factory=NotificationSettings)
    # The dotted keys the settings file gave (some keys are allowed only with some choices).
    given: frozenset[str] = frozenset()
    # With [promotion] and [environments.<name>]: the environments the one pipeline promotes
    # an image through (stacks/promotion.py renders them); None for one stack, as before.
    promotion: "Promotion | None" = None

    @property
    def resource_id(self) -> str:
        """`<name>-<environment>`: the base of every physical name, as in the reference."""
        return f"{self.service.name}-{self.service.environment}"


ACCOUNT_PATTERN = r"^[0-9]{12}$"
# At least two environments make a promotion; CodePipeline allows far more stages, but each
# environment adds its task definition and AppSpec to the delivery template.
ENVIRONMENTS_MIN, ENVIRONMENTS_MAX = 2, 6
# The delivery stack's environment word: its names are "<service.name>-delivery"; and the
# other accounts' stacks are "<service.name>-deploy-roles". No environment may take either.
DELIVERY = "delivery"
DEPLOY_ROLES = "deploy-roles"
RESERVED_NAMES = {DELIVERY: "delivery stack", DEPLOY_ROLES: "other accounts' role stacks"}


@dataclass(frozen=True)
class Environment:
    """One environment of a promotion: its own settings (the top-level ones with its
    overrides, service.environment = its name), its account, and whether a person approves
    each deployment to it."""

    name: str
    settings: "Settings"
    account: str | None  # None: the delivery stack's account
    approval: bool

    @property
    def cross_account(self) -> bool:
        return self.account is not None


@dataclass(frozen=True)
class Promotion:
    """One pipeline that builds an image once and deploys it through `environments` in order."""

    account: str | None  # the delivery (toolchain) account, given when some environment is not
    environments: tuple[Environment, ...]

    @property
    def accounts(self) -> tuple[str, ...]:
        """The other accounts, each with its stack of deploy roles, in order of appearance."""
        return tuple(dict.fromkeys(e.account for e in self.environments if e.cross_account))


# Section name -> its Struct, in the file's documented order.
SECTIONS: dict[str, type[Section]] = {
    field.name: field.type for field in msgspec.structs.fields(Settings)
    if isinstance(field.type, type) and issubclass(field.type, Section)}


def key_types(section: type[Section]) -> dict[str, Any]:
    """Each key of a section -> its annotated type."""
    return {field.name: field.type for field in msgspec.structs.fields(section)}


def key_metas(annotation: Any) -> list[Meta]:
    """Every Meta in an annotated type, outermost first (tuple items and optionals included)."""
    if get_origin(annotation) is Annotated:
        base, *extras = get_args(annotation)
        return [m for m in extras if isinstance(m, Meta)] + key_metas(base)
    return [meta for argument in get_args(annotation) for meta in key_metas(argument)]


def _allowed(annotation: Any) -> str | None:
    for meta in key_metas(annotation):
        if meta.extra and "allowed" in meta.extra:
            return meta.extra["allowed"]
    return None


def load_settings(path: Path | None = None) -> Settings:
    """Read and validate a TOML settings file; no path gives the defaults.

    Raises SettingsError listing every problem found.
    """
    if path is None:
        return parse_settings({})
    import tomllib  # only a settings file needs it
    try:
        with open(path, "rb") as handle:
            # utf-8-sig: a byte-order mark, which some Windows editors write, is read past
            # (TOML itself does not allow one).
            data = tomllib.loads(handle.read().decode("utf-8-sig"))
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
    if "promotion" in data or "environments" in data:
        return _parse_promotion(data)
    return _parse_sections(data)


def _parse_sections(data: dict[str, Any], relations: bool = True) -> Settings:
    """Each key against its type and bounds, then (with `relations`) the rules that relate
    several keys."""
    problems: list[Problem] = []
    sections: dict[str, Section] = {}
    given: set[str] = set()
    for section_name, values in data.items():
        section = SECTIONS.get(section_name)
        if section is None:
            problems.append(Problem(section_name, "unknown section; allowed sections: "
                                    + ", ".join(SECTIONS), has_value=False))
            continue
        if not isinstance(values, dict):
            problems.append(Problem(section_name, "must be a table (a [section] in TOML)",
                                    values))
            continue
        types, checked, failed = key_types(section), {}, False
        for key, value in values.items():
            dotted = f"{section_name}.{key}"
            if (section_name, key) in REMOVED_KEYS:
                problems.append(Problem(dotted, REMOVED_KEYS[(section_name, key)], value))
                failed = True
            elif key not in types:
                problems.append(Problem(dotted, f"unknown key; allowed keys in "
                                        f"[{section_name}]: " + ", ".join(types),
                                        has_value=False))
                failed = True
            else:
                # strict: TOML already has types, so "80" is not a port and true is not 1.
                try:
                    checked[key] = msgspec.convert(value, type=types[key], strict=True)
                    given.add(dotted)
                except msgspec.ValidationError as error:
                    problems.append(_problem(dotted, str(error), value, types[key]))
                    failed = True
        if not failed:
            sections[section_name] = section(**checked)
    if problems:
        raise SettingsError(problems)
    settings = Settings(**sections, given=frozenset(given))
    problems = _relation_problems(settings) if relations else []
    if problems:
        raise SettingsError(problems)
    return settings


# What one pipeline shares across its environments: an environment cannot override these.
DELIVERY_WIDE = {
    "pipeline": "the delivery stack's (one source, one build for every environment)",
    "service.name": "the application's name, the same in every environment",
    "service.environment": "an environment's name is its environment (promotion.order)",
    "service.keep_images": "the delivery stack's image repository serves every environment",
}
PROMOTION_KEYS = {
    "order": f"the environments, first to last: {ENVIRONMENTS_MIN} to {ENVIRONMENTS_MAX} names "
             "of lowercase letters, digits and hyphens, starting with a letter, each once (and "
             "once without hyphens)",
    "account": "the 12-digit id of the account the delivery stack is deployed in; required when "
               "an environment names an account",
}
ENVIRONMENT_KEYS = {
    "account": "the 12-digit id of the environment's account; omitted: the delivery stack's",
    "approval": "true or false: a person approves each deployment to this environment",
}


def _parse_promotion(data: dict[str, Any]) -> Settings:
    """[promotion] and [environments.<name>]: the top-level settings, then each environment's
    (the top level with its overrides), every problem named by the environment and the
    dotted key."""
    data = dict(data)
    promotion, tables = data.pop("promotion", None), data.pop("environments", {})
    problems = _promotion_problems(promotion, tables)
    problems += _top_level_problems(data)
    if problems:
        raise SettingsError(problems)
    order, account = promotion["order"], promotion.get("account")
    # The top level key by key (each problem once, as written); the rules that relate keys
    # apply to each environment, with its overrides. The delivery stack reads only keys of
    # the top level that no rule relates to an environment's (pipeline.*, service.name, ...).
    top = _parse_sections(_with_environment(data, order[0]), relations=False)
    environments, found = [], {}
    for name in order:
        table = tables.get(name, {})
        overrides = {key: value for key, value in table.items() if key in SECTIONS}
        merged = {section: {**data.get(section, {}), **overrides.get(section, {})}
                  for section in {**data, **overrides}}
        try:
            settings = _parse_sections(_with_environment(merged, name))
        except SettingsError as error:
            found[name] = (error.problems, {f"{section}.{key}" for section, values
                                            in overrides.items() for key in values})
            continue
        own = table.get("account")
        environments.append(Environment(
            name, settings, own if own is not None and own != account else None,
            table.get("approval", False)))
    problems += _environment_problems(found, len(order), top.given)
    if len(top.service.name) < REPOSITORY_MIN:
        problems.append(Problem("service.name", f"in a promotion the image repository is "
                                f"named after it, and repository names have at least "
                                f"{REPOSITORY_MIN} characters", top.service.name))
    if top.deployment.engine != "codedeploy":
        problems.append(_engine_problem(top.deployment.engine))
    else:
        problems += [_in_environment(e.name, _engine_problem(e.settings.deployment.engine))
                     for e in environments if e.settings.deployment.engine != "codedeploy"]
    if problems:
        raise SettingsError(problems)
    return msgspec.structs.replace(top, promotion=Promotion(
        account, tuple(environments)), given=top.given - {"service.environment"})


# An ECR repository name is 2 to 256 characters.
REPOSITORY_MIN = 2


def _environment_problems(found: dict[str, tuple[list[Problem], set[str]]],
                          environments: int, top_level: frozenset[str]) -> list[Problem]:
    """Each environment's problems, named by the environment. A problem every environment
    has with the top level's value is the top level's: once, as written. One that an
    environment has with a value the top level gives it says so."""
    problems: list[Problem] = []
    everywhere = (set.intersection(*[{(p.key, p.message, _show(p.value)) for p in listed}
                                     for listed, _ in found.values()])
                  if len(found) == environments else set())
    for name, (listed, overridden) in found.items():
        for problem in listed:
            if (problem.key, problem.message, _show(problem.value)) in everywhere:
                if problem.key not in {p.key for p in problems}:
                    problems.append(problem)
                continue
            problem = _in_environment(name, problem)
            inherited = problem.key.removeprefix(f"environments.{name}.")
            if inherited in top_level and inherited not in overridden:
                problem = Problem(problem.key, f"{problem.message} (the value comes from the "
                                  f"top level's {inherited})", problem.value,
                                  has_value=problem.has_value)
            problems.append(problem)
    return problems


def _with_environment(document: dict, name: str) -> dict:
    return {**document, "service": {**document.get("service", {}), "environment": name}}


def _engine_problem(engine: str) -> Problem:
    return Problem("deployment.engine", 'a promotion deploys with "codedeploy" (the '
                   "CodeDeployToECS action in every environment); ECS's own engine is not "
                   "promoted yet", engine)


def _promotion_problems(promotion: Any, tables: Any) -> list[Problem]:
    """The shape of [promotion] and of each [environments.<name>] table."""
    problems: list[Problem] = []
    if not isinstance(promotion, dict) or "order" not in promotion:
        problems.append(Problem("promotion.order", "required with [environments.<name>]: "
                                + PROMOTION_KEYS["order"], has_value=False))
        promotion = promotion if isinstance(promotion, dict) else {}
    for key in sorted(promotion.keys() - PROMOTION_KEYS.keys()):
        problems.append(Problem(f"promotion.{key}", "unknown key; allowed keys in "
                                "[promotion]: " + ", ".join(PROMOTION_KEYS), has_value=False))
    order = promotion.get("order")
    if "order" in promotion and not _is_order(order):
        problems.append(Problem("promotion.order", "not allowed; allowed: "
                                + PROMOTION_KEYS["order"], order))
    elif "order" in promotion and set(order) & RESERVED_NAMES.keys():
        problems.append(Problem("promotion.order", ", ".join(
            f'"{n}" names the {RESERVED_NAMES[n]}' for n in order if n in RESERVED_NAMES)
            + "; choose another environment name", order))
    account = promotion.get("account")
    if account is not None and not _is_account(account):
        problems.append(Problem("promotion.account", "not allowed; allowed: "
                                + PROMOTION_KEYS["account"], account))
    if not isinstance(tables, dict):
        return problems + [Problem("environments", "must be tables, one "
                                   "[environments.<name>] per environment", tables)]
    if account is None and any(isinstance(t, dict) and "account" in t
                               for t in tables.values()):
        problems.append(Problem("promotion.account", PROMOTION_KEYS["account"],
                                has_value=False))
    order = order if _is_order(order) else []
    for name, table in tables.items():
        if order and name not in order:
            problems.append(Problem(f"environments.{name}", "not in promotion.order ("
                                    + ", ".join(order) + "); add it there or remove this "
                                    "table", has_value=False))
        elif not isinstance(table, dict):
            problems.append(Problem(f"environments.{name}", "must be a table", table))
        else:
            problems += _environment_table_problems(name, table)
    return problems


def _environment_table_problems(name: str, table: dict) -> list[Problem]:
    problems = []
    for key, value in table.items():
        dotted = f"environments.{name}.{key}"
        if key == "account" and not _is_account(value):
            problems.append(Problem(dotted, "not allowed; allowed: "
                                    + ENVIRONMENT_KEYS["account"], value))
        elif key == "approval" and not isinstance(value, bool):
            problems.append(Problem(dotted, "must be true or false", value))
        elif key in SECTIONS and not isinstance(value, dict):
            problems.append(Problem(dotted, "must be a table ([environments."
                                    f"{name}.{key}] in TOML)", value))
        elif key in SECTIONS:
            for inner in value:
                wide = DELIVERY_WIDE.get(key) or DELIVERY_WIDE.get(f"{key}.{inner}")
                if f"{key}.{inner}" == "service.environment":
                    problems.append(Problem(f"{dotted}.{inner}", wide + "; remove it",
                                            value[inner]))
                elif wide:
                    problems.append(Problem(f"{dotted}.{inner}", "cannot differ by "
                                            f"environment: {wide}; set it at the top level",
                                            value[inner]))
        elif key not in ENVIRONMENT_KEYS:
            problems.append(Problem(dotted, "unknown key; allowed: " + ", ".join(
                ENVIRONMENT_KEYS) + ", or a settings section (" + ", ".join(SECTIONS) + ")",
                has_value=False))
    return problems


def _top_level_problems(data: dict) -> list[Problem]:
    """What _parse_sections cannot be asked yet: tables that are not tables, and a
    service.environment, which each environment's name replaces."""
    problems = [Problem(section, "must be a table (a [section] in TOML)", values)
                for section, values in data.items()
                if section in SECTIONS and not isinstance(values, dict)]
    service = data.get("service")
    if isinstance(service, dict) and "environment" in service:
        problems.append(Problem("service.environment", DELIVERY_WIDE["service.environment"]
                                + "; remove it", service["environment"]))
    return problems


def _in_environment(name: str, problem: Problem) -> Problem:
    """A problem of one environment's settings, named by the environment."""
    if problem.key == "service.environment":  # the name itself is too long
        return Problem("promotion.order", f"environment {name}: {problem.message}", name)
    return Problem(f"environments.{name}.{problem.key}", problem.message, problem.value,
                   has_value=problem.has_value)


def _is_order(order: Any) -> bool:
    return (isinstance(order, list)
            and ENVIRONMENTS_MIN <= len(order) <= ENVIRONMENTS_MAX
            and all(isinstance(n, str) and re.fullmatch(NAME_PATTERN, n) for n in order)
            # each environment once, also as a logical id's part ("dev-1" and "dev1" are
            # both "Dev1" in "DeployRoleDev1")
            and len({environment_title(n) for n in order}) == len(order))


def environment_title(name: str) -> str:
    """An environment's name in a logical id: "eu-prod" -> "EuProd"."""
    return "".join(part.capitalize() for part in name.split("-"))


def _is_account(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(ACCOUNT_PATTERN, value) is not None


# msgspec's names for the kinds of value -> the settings file's (TOML) words.
_TOML_TYPES = {"int": "an integer", "float": "a number", "str": "a string",
               "bool": "true or false", "array": "a list", "object": "a table"}


def _problem(key: str, error: str, value: Any, annotation: Any) -> Problem:
    """A msgspec ValidationError in the settings file's words, naming the key (and the list
    item) and what the key allows."""
    message, _, path = error.partition(" - at `$")
    for index in re.findall(r"\[(\d+)\]", path):
        key, value = f"{key}.{index}", value[int(index)]
    if match := re.fullmatch(r"Expected `(\w+)`, got `(\w+)`", message):
        message = (f"must be {_TOML_TYPES.get(match[1], match[1])}, "
                   f"not {_TOML_TYPES.get(match[2], match[2])}")
    elif match := re.fullmatch(r"Expected `(\w+)` of length ([<>])= (\d+)", message):
        unit = ("character" if match[1] == "str" else "item") + ("" if match[3] == "1" else "s")
        message = f"must have at {'most' if match[2] == '<' else 'least'} {match[3]} {unit}"
    elif match := re.fullmatch(r"Expected `\w+` ([<>])= (\S+)", message):
        message = f"must be at {'most' if match[1] == '<' else 'least'} {match[2]}"
    elif message.startswith("Invalid enum value"):
        message = "not one of the choices"
    elif "matching regex" in message:
        message = "not allowed"  # the words of `allowed` say more than the regex
    allowed = _allowed(annotation)
    return Problem(key, f"{message}; allowed: {allowed}" if allowed else message, value)


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
    check(not ROOT_USERS.match(svc.user), "service.user", svc.user,
          "root is what running as a user avoids; leave it empty to keep the image's own user")
    characters = sum(len(part) for part in svc.entry_point)
    check(characters <= ENTRY_POINT_CHARS_MAX, "service.entry_point", svc.entry_point,
          f"{characters} characters in all; allowed: at most {ENTRY_POINT_CHARS_MAX}")
    for index, part in enumerate(svc.entry_point):
        # taskdef.json reaches the build through Fn::Sub, where a literal "${x}" is written
        # "${!x}"; CloudFormation documents only that closed form.
        check("${" not in re.sub(r"\$\{[^}]+\}", "", part), f"service.entry_point.{index}",
              part, 'each "${" must open a variable closed by "}", such as ${PORT}')

    check(hc.timeout_seconds < hc.interval_seconds, "health_check.timeout_seconds",
          hc.timeout_seconds,
          f"must be less than health_check.interval_seconds ({hc.interval_seconds})")

    check(lst.test_port not in (80, 443), "listeners.test_port", lst.test_port,
          "80 and 443 belong to the production listeners; choose another port")
    hook_via_nat = s.hooks.enabled and net.mode == "existing"
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
        kinds = [kind for block, kind in NOT_INTERNET_SOURCES.items()
                 if network.overlaps(ipaddress.IPv4Network(block))]
        check(not (hook_via_nat and kinds), key, cidr,
              f"a {kinds[0] if kinds else ''} range: with hooks.enabled in an existing VPC the "
              "hook reaches the internet-facing load balancer through NAT, so the load "
              "balancer sees the NAT gateways' public addresses, never these; list each NAT "
              "gateway's public IP as /32 (aws ec2 describe-nat-gateways --filter "
              "Name=vpc-id,Values=<vpc> --query 'NatGateways[].NatGatewayAddresses[].PublicIp')")

    for key in ("percent", "interval_minutes"):
        check(dep.traffic != "all-at-once" or f"deployment.{key}" not in s.given,
              f"deployment.{key}", getattr(dep, key),
              'only used with deployment.traffic "canary" or "linear"')

    if dep.engine == "ecs":
        _check_ecs_engine(s, check)

    # A setting that the chosen options ignore is a contradiction: name both keys.
    for key, switch, value in IGNORED_UNLESS:
        section, name = switch.split(".")
        if getattr(getattr(s, section), name) == value:
            for given in sorted(k for k in s.given if k.startswith(key) and k != switch):
                check(False, given, _value_of(s, given),
                      f"ignored with {switch} = {_show(value)}; remove it, or set {switch} = "
                      f"{_show(not value)}")

    check(sc.min <= sc.max, "scaling.max", sc.max, f"must be at least scaling.min ({sc.min})")
    # Bounded precision: thresholds and ratios are written into the template as text.
    for key, value in (("alarms.response_time_seconds", s.alarms.response_time_seconds),
                       ("hooks.success_ratio", s.hooks.success_ratio)):
        check(round(value, 2) == value, key, value, "at most two decimals")

    for key in ("buildspec", "dockerfile", "build_context"):
        path = getattr(s.pipeline, key)
        check(".." not in path.split("/"), f"pipeline.{key}", path,
              "must stay inside the repository (no .. segments)")
    characters = sum(len(path) for path in s.hooks.paths)
    check(characters <= HOOK_PATHS_CHARS_MAX, "hooks.paths", s.hooks.paths,
          f"{characters} characters in all; allowed: at most {HOOK_PATHS_CHARS_MAX}")
    check(not (s.hooks.enabled and net.mode == "existing" and not lst.test_cidrs),
          "listeners.test_cidrs", lst.test_cidrs,
          "with hooks.enabled in an existing VPC, list the NAT egress addresses of "
          "ServiceSubnetIds here: the hook reaches the test listener from them")
    check(s.pipeline.compute_type in COMPUTE_TYPES, "pipeline.compute_type",
          s.pipeline.compute_type,
          "not a CodeBuild compute type; allowed: " + ", ".join(COMPUTE_TYPES))
    check(s.pipeline.source != "s3" or "pipeline.branch" not in s.given,
          "pipeline.branch", s.pipeline.branch, 'not used with pipeline.source "s3"')

    if net.mode == "create":
        _check_vpc_cidr(net.vpc_cidr, check)
        check("network.assign_public_ip" not in s.given or not net.assign_public_ip,
              "network.assign_public_ip", net.assign_public_ip,
              'only with network.mode "existing": a created VPC runs tasks in private subnets '
              "behind NAT")
    else:
        for key in ("vpc_cidr", "nat_gateways", "flow_logs"):
            check(f"network.{key}" not in s.given, f"network.{key}", getattr(net, key),
                  'only used with network.mode "create"')
        check(not (net.assign_public_ip and s.hooks.enabled), "network.assign_public_ip",
              net.assign_public_ip,
              "with hooks.enabled the test-traffic hook runs in ServiceSubnetIds, and Lambda "
              "never gives its network interfaces public addresses: in public subnets without "
              "NAT it reaches neither the load balancer nor the CodeDeploy API, and every "
              "deployment waits about an hour before it fails; use private subnets with a NAT "
              "route (assign_public_ip = false) or set hooks.enabled = false")
    return problems


# (key or section prefix, the switch that makes it count, the switch's value that ignores it)
IGNORED_UNLESS = (
    ("listeners.ssl_policy", "listeners.https", False),
    ("hooks.", "hooks.enabled", False),
    ("alarms.", "alarms.enabled", False),
)


def _value_of(s: Settings, key: str) -> Any:
    section, name = key.split(".")
    return getattr(getattr(s, section), name)


def _check_ecs_engine(s: Settings, check) -> None:
    """What ECS's own engine cannot do, named by the key that asks for it."""
    dep = s.deployment
    check(not (dep.traffic == "linear" and dep.step_percent < ECS_MIN_STEP_PERCENT),
          "deployment.percent", dep.step_percent,
          f'with deployment.engine "ecs" a linear step is at least {ECS_MIN_STEP_PERCENT} '
          "percent (ECS's StepPercent is 3 to 100)")
    for key in ("interval_minutes", "termination_wait_minutes"):
        value = dep.step_minutes if key == "interval_minutes" else dep.termination_wait_minutes
        check(value <= ECS_MAX_BAKE_MINUTES, f"deployment.{key}", value,
              f'with deployment.engine "ecs" at most {ECS_MAX_BAKE_MINUTES} (ECS bake times '
              "are 0 to 1440 minutes)")
    # Named by the key that makes it long: the approval window when there is one, else the
    # bakes between steps (the bake after the shift alone is at most 1440).
    key = "approval_wait_minutes" if dep.approval_wait_minutes else "interval_minutes"
    check(dep.ecs_total_minutes <= ECS_MAX_TOTAL_MINUTES, f"deployment.{key}",
          getattr(dep, "step_minutes" if key == "interval_minutes" else key),
          f"with deployment.engine \"ecs\" a deployment is a stack update, which CloudFormation "
          f"waits for at most 36 hours and refuses beyond 33: approval_wait_minutes "
          f"({dep.approval_wait_minutes}) + {dep.ecs_steps} bake(s) of interval_minutes "
          f"({dep.step_minutes}) + termination_wait_minutes ({dep.termination_wait_minutes}) "
          f"= {dep.ecs_total_minutes} minutes; allowed: at most {ECS_MAX_TOTAL_MINUTES}")


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
    for section_name, section in SECTIONS.items():
        for field in msgspec.structs.fields(section):
            meta = next(m for m in key_metas(field.type) if m.description)
            docs.append(KeyDoc(
                key=f"{section_name}.{field.name}",
                default=_show(field.default),
                allowed=meta.extra["allowed"],
                description=meta.description,
            ))
    return docs
