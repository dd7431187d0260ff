"""Physical names, all derived from `<name>-<environment>` as in the reference design.

Each name carries the AWS limit it must respect, so a test can prove every name fits and the
settings validation can refuse names that would not.
"""

from __future__ import annotations

from dataclasses import dataclass

from .settings import DELIVERY, Settings

BLUE, GREEN = "blue", "green"
COLOURS = (BLUE, GREEN)


@dataclass(frozen=True)
class Names:
    resource_id: str

    @property
    def cluster(self) -> str:
        return self.resource_id

    @property
    def service(self) -> str:
        return self.resource_id

    @property
    def task_family(self) -> str:
        return self.resource_id

    @property
    def container(self) -> str:
        return self.resource_id

    @property
    def log_group(self) -> str:
        return self.resource_id

    @property
    def repository(self) -> str:
        return self.resource_id

    @property
    def load_balancer(self) -> str:
        return self.resource_id

    @property
    def codedeploy_application(self) -> str:
        return self.resource_id

    @property
    def deployment_group(self) -> str:
        return self.resource_id

    @property
    def build_project(self) -> str:
        return self.resource_id

    @property
    def build_log_group(self) -> str:
        return f"/aws/codebuild/{self.resource_id}"

    @property
    def pipeline(self) -> str:
        return self.resource_id

    def alarm(self, colour: str, kind: str) -> str:
        return f"{self.resource_id}-{colour}-{kind}"

    # In a promotion the delivery stack writes each environment's taskdef.json, so the task's
    # roles have names it can form (the stack needs CAPABILITY_NAMED_IAM).
    @property
    def task_execution_role(self) -> str:
        return f"{self.resource_id}-task-execution"

    @property
    def task_role(self) -> str:
        return f"{self.resource_id}-task"

    @property
    def deploy_role(self) -> str:
        """In a promotion, the role the pipeline's deploy action assumes for this
        environment."""
        return f"{self.resource_id}-deploy"

    @property
    def test_traffic_hook(self) -> str:
        # The CodeDeployHook_ prefix is what AWSCodeDeployRoleForECSLimited may invoke.
        return f"CodeDeployHook_{self.resource_id}-test-traffic"

    @property
    def live_routes(self) -> str:
        return f"{self.resource_id}-live-routes"

    @property
    def notification_topic(self) -> str:
        return f"{self.resource_id}-deployments"

    def target_group(self, colour: str) -> str:
        return f"{self.resource_id}-{colour}"

    @property
    def load_balancer_security_group(self) -> str:
        return f"{self.resource_id}-lb-sg"

    @property
    def service_security_group(self) -> str:
        return f"{self.resource_id}-ecs-service-sg"

    @property
    def hook_security_group(self) -> str:
        return f"{self.resource_id}-hook-sg"

    def deployment_config(self, kind: str, percent: int, minutes: int) -> str:
        # The values are part of the name: a named custom config cannot change in place, so a
        # new name lets CloudFormation replace it instead of failing the update.
        return f"{self.resource_id}-{kind}-{percent}pct-{minutes}min"

    def limits(self) -> dict[str, tuple[str, int]]:
        """Every fixed physical name -> (value, AWS maximum length)."""
        names = {
            "cluster": (self.cluster, 255),
            "service": (self.service, 255),
            "task_family": (self.task_family, 255),
            "container": (self.container, 255),
            "log_group": (self.log_group, 512),
            "repository": (self.repository, 256),
            "load_balancer": (self.load_balancer, 32),
            "codedeploy_application": (self.codedeploy_application, 100),
            "deployment_group": (self.deployment_group, 100),
            "load_balancer_security_group": (self.load_balancer_security_group, 255),
            "service_security_group": (self.service_security_group, 255),
            "hook_security_group": (self.hook_security_group, 255),
            "deployment_config": (self.deployment_config("linear", 99, 2880), 100),
            "build_project": (self.build_project, 150),
            "build_log_group": (self.build_log_group, 512),
            "pipeline": (self.pipeline, 100),
            "alarm": (self.alarm("green", "unhealthy"), 255),
            "test_traffic_hook": (self.test_traffic_hook, 64),
            "notification_topic": (self.notification_topic, 256),
            "live_routes": (self.live_routes, 64),
            "task_execution_role": (self.task_execution_role, 64),
            "task_role": (self.task_role, 64),
            "deploy_role": (self.deploy_role, 64),
        }
        for colour in COLOURS:
            names[f"target_group_{colour}"] = (self.target_group(colour), 32)
        return names


def names_for(settings: Settings) -> Names:
    return Names(settings.resource_id)


@dataclass(frozen=True)
class DeliveryNames:
    """The delivery stack of a promotion (pipeline, build, image repository, artifacts), as
    every stack of the promotion names it: "<service.name>-delivery", in `account` (None:
    the account of the stack that names it)."""

    name: str  # service.name
    account: str | None = None

    @property
    def names(self) -> Names:
        return Names(f"{self.name}-{DELIVERY}")

    @property
    def repository(self) -> str:
        """One repository for every environment: the image promoted is the image built."""
        return self.name

    @property
    def pipeline_role(self) -> str:
        """Named: the other accounts' deploy roles trust it by name."""
        return f"{self.name}-{DELIVERY}-pipeline"

    @property
    def approval_topic(self) -> str:
        return f"{self.name}-{DELIVERY}-approvals"

    @property
    def artifact_bucket(self) -> str:
        """Named when another account reads it (its deploy roles grant by name), as Fn::Sub
        text: "<name>-artifacts-<account>-<region>", unique as bucket names must be."""
        return f"{self.name}-artifacts-{self.account}-${{AWS::Region}}"

    def limits(self) -> dict[str, tuple[str, int]]:
        """The names the delivery stack gives, each with its AWS maximum (the longest region
        names have 14 characters: ap-southeast-2, ap-northeast-3)."""
        names = self.names
        return {"pipeline_role": (self.pipeline_role, 64),
                "approval_topic": (self.approval_topic, 256),
                "artifact_bucket": (self.artifact_bucket.replace("${AWS::Region}",
                                                                 "x" * 14), 63),
                "repository": (self.repository, 256),
                "pipeline": (names.pipeline, 100),
                "build_project": (names.build_project, 150),
                "build_log_group": (names.build_log_group, 512)}


def delivery_names(settings: Settings) -> DeliveryNames:
    return DeliveryNames(settings.service.name,
                         settings.promotion.account if settings.promotion else None)
