"""Trust policies: which AWS service may assume a role."""

from __future__ import annotations

from awacs.aws import Policy
from awacs.helpers.trust import make_simple_assume_policy

# Service principals are spelled the same in every partition.
ECS_TASKS = "ecs-tasks.amazonaws.com"
ECS = "ecs.amazonaws.com"
CODEDEPLOY = "codedeploy.amazonaws.com"
CODEBUILD = "codebuild.amazonaws.com"
CODEPIPELINE = "codepipeline.amazonaws.com"
EVENTS = "events.amazonaws.com"
LAMBDA = "lambda.amazonaws.com"


def assumed_by(service_principal: str) -> Policy:
    return make_simple_assume_policy(service_principal)
