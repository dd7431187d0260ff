"""Physical names, all derived from `<name>-<environment>` as in the reference design.

Each name carries the AWS limit it must respect, so a test can prove every name fits and the
settings validation can refuse names that would not.
"""

from __future__ import annotations

from dataclasses import dataclass

from .settings import Settings

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
        }
        for colour in COLOURS:
            names[f"target_group_{colour}"] = (self.target_group(colour), 32)
        return names


def names_for(settings: Settings) -> Names:
    return Names(settings.resource_id)
