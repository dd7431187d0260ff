"""The CodeDeploy service role for ECS blue/green deployments."""

from __future__ import annotations

from troposphere import Sub

from .arn import aws_managed_policy


def ecs_blue_green_managed_policy() -> Sub:
    """AWSCodeDeployRoleForECS: task sets, listener rewrites, hook invocation, and PassRole
    conditioned on iam:PassedToService = ecs-tasks.amazonaws.com.

    The path is the root ("policy/AWSCodeDeployRoleForECS"), not "service-role/"; the
    "Limited" variant would refuse our role names (it passes only ecsTaskExecutionRole*).
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/codedeploy_IAM_role.html
    """
    return aws_managed_policy("AWSCodeDeployRoleForECS")
