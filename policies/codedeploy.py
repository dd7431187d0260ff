"""The CodeDeploy service role for ECS blue/green deployments."""

from __future__ import annotations

from troposphere import Sub

from .arn import aws_managed_policy
from .calls import PASSED_TO, Call, Deployed


def ecs_blue_green_managed_policy() -> Sub:
    """AWSCodeDeployRoleForECS: task sets, listener rewrites, hook invocation, and PassRole
    conditioned on iam:PassedToService = ecs-tasks.amazonaws.com.

    The path is the root ("policy/AWSCodeDeployRoleForECS"), not "service-role/"; the
    "Limited" variant would refuse our role names (it passes only ecsTaskExecutionRole*).
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/codedeploy_IAM_role.html
    """
    return aws_managed_policy("AWSCodeDeployRoleForECS")


ROLE_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/codedeploy_IAM_role.html"

# What AWSCodeDeployRoleForECS grants beyond what this template's deployments call, and why
# that breadth is accepted: the policy is AWS-maintained and follows CodeDeploy's own needs.
MANAGED_BREADTH = {
    "lambda:InvokeFunction": "managed policy: lifecycle hooks in the AppSpec (none yet)",
    "cloudwatch:DescribeAlarms": "managed policy: alarm-based rollback (no alarms yet)",
    "sns:Publish": "managed policy: deployment-group triggers (none configured)",
    "s3:GetObject": "managed policy: AppSpec revisions in S3 (CodeDeployToECS passes it inline)",
    "s3:GetObjectVersion": "managed policy: AppSpec revisions in S3 (not used here)",
}


def required_calls(d: Deployed) -> list[Call]:
    service = d.arn("ecs", f"service/{d.cluster}/{d.service}")
    task_set = d.arn("ecs", f"task-set/{d.cluster}/{d.service}/ecs-svc-0123456789")
    listener = d.arn("elasticloadbalancing",
                     f"listener/app/{d.service}/0123456789abcdef/0123456789abcdef")
    rule = d.arn("elasticloadbalancing",
                 f"listener-rule/app/{d.service}/0123456789abcdef/0123456789abcdef/01234567")
    calls = [
        Call("ecs:DescribeServices", service, "read the service it deploys to", ROLE_DOC),
        Call("ecs:CreateTaskSet", task_set, "start the replacement task set", ROLE_DOC),
        Call("ecs:UpdateServicePrimaryTaskSet", service,
             "make the replacement task set primary", ROLE_DOC),
        Call("ecs:DeleteTaskSet", task_set, "remove the original task set", ROLE_DOC),
        Call("elasticloadbalancing:DescribeTargetGroups", "*", "find blue and green", ROLE_DOC),
        Call("elasticloadbalancing:DescribeListeners", "*", "read the listeners", ROLE_DOC),
        Call("elasticloadbalancing:ModifyListener", listener,
             "shift production and test traffic", ROLE_DOC),
        Call("elasticloadbalancing:DescribeRules", "*", "read listener rules", ROLE_DOC),
        Call("elasticloadbalancing:ModifyRule", rule, "shift traffic of listener rules",
             ROLE_DOC),
    ]
    calls += [Call("iam:PassRole", d.role_arn(role),
                   "hand the task roles to the replacement task set", ROLE_DOC,
                   {PASSED_TO: "ecs-tasks.amazonaws.com"})
              for role in (d.execution_role, d.task_role)]
    return calls


def near_misses(d: Deployed) -> list[Call]:
    return [
        Call("iam:PassRole", d.role_arn(d.task_role), "passing a role to Lambda",
             context={PASSED_TO: "lambda.amazonaws.com"}),
        Call("iam:PassRole", d.role_arn(d.task_role), "passing without naming the service"),
        Call("ecs:DeleteService", d.arn("ecs", f"service/{d.cluster}/{d.service}"),
             "deleting the service"),
        Call("elasticloadbalancing:DeleteListener", d.arn(
            "elasticloadbalancing", f"listener/app/{d.service}/0123456789abcdef/0"),
            "deleting a listener"),
    ]


def accepted_breadth(d: Deployed) -> dict[str, str]:
    return dict(MANAGED_BREADTH)
