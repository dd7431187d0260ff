"""The calls AWS services make with our roles, as data: what each role must allow and what it
must not.

Each role module declares `required_calls(deployed)` (every call its service makes on our
behalf, with the AWS page that says so) and `near_misses(deployed)` (calls that look alike but
must be denied). Resources are concrete ARNs in the made-up deployment of `policies.world`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .world import ACCOUNT, PARTITION, REGION


@dataclass(frozen=True)
class Call:
    action: str
    resource: str
    why: str
    doc: str = ""
    context: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Deployed:
    """Concrete names and ARNs of one deployed stack, for the tables."""

    source: str  # pipeline.source
    stack_id: str
    cluster: str
    service: str
    task_family: str
    repository: str
    log_group: str
    build_log_group: str
    artifact_bucket: str
    build_project: str
    pipeline: str
    application: str
    deployment_group: str
    deployment_config: str
    execution_role: str
    task_role: str
    connection_arn: str = ""
    codecommit_repository: str = ""
    source_bucket: str = ""
    source_key: str = ""
    hook_log_group: str = ""
    hook_function: str = ""
    alarms: tuple[str, ...] = ()
    topic: str = ""
    live_routes_log_group: str = ""
    default_group: str = ""  # the created VPC's default security group
    engine: str = "codedeploy"  # deployment.engine
    live_routes_function: str = ""  # the stack's function (engine ecs: prepares releases)
    infrastructure_role: str = ""  # engine ecs: the roles ECS assumes
    hook_invoke_role: str = ""
    # ARNs of the routes (engine ecs: the two rules, then the two listeners) and of blue, green
    route_arns: tuple[str, ...] = ()
    target_group_arns: tuple[str, ...] = ()
    # The account the stack is in, and in a promotion the delivery stack's account (its
    # image repository), the artifacts' key, the deploy roles (by name, in their accounts)
    # and, for a deploy role, the other environments it must not touch.
    account: str = ACCOUNT
    delivery_account: str = ""
    artifact_key: str = ""
    deploy_roles: tuple[str, ...] = ()
    siblings: tuple["Deployed", ...] = ()

    def arn(self, service: str, resource: str, *, regional: bool = True,
            in_account: bool = True, account: str = "") -> str:
        """In this stack's account, or in `account`."""
        return (f"arn:{PARTITION}:{service}:{REGION if regional else ''}:"
                f"{(account or self.account) if in_account else ''}:{resource}")

    def role_arn(self, name: str) -> str:
        return self.arn("iam", f"role/{name}", regional=False)

    @property
    def repository_arn(self) -> str:
        # In a promotion, the delivery stack's repository.
        return self.arn("ecr", f"repository/{self.repository}", account=self.delivery_account)

    def log_stream_arn(self, group: str, stream: str) -> str:
        return self.arn("logs", f"log-group:{group}:log-stream:{stream}")

    def object_arn(self, bucket: str, key: str) -> str:
        return self.arn("s3", f"{bucket}/{key}", regional=False, in_account=False)

    def bucket_arn(self, bucket: str) -> str:
        return self.arn("s3", bucket, regional=False, in_account=False)


# Values that stand for "something else" in near-miss calls.
OTHER = "unrelated"
PASSED_TO = "iam:PassedToService"


KMS_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html"


def artifact_key_calls(d: Deployed, actions: tuple[str, ...], why: str) -> list[Call]:
    """A promotion's artifact key, used through S3 (none without a key: SSE-S3 needs no
    permission)."""
    return [Call(action, d.artifact_key, why, KMS_DOC,
                 {"kms:ViaService": f"s3.{REGION}.amazonaws.com"})
            for action in actions] if d.artifact_key else []
