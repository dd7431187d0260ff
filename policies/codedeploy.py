"""The CodeDeploy service role for ECS blue/green deployments."""

from __future__ import annotations

from awacs import awslambda as awacs_lambda
from awacs import sns
from awacs.aws import Deny, PolicyDocument, Statement
from troposphere import GetAtt, Join, Sub

from .arn import aws_managed_policy
from .calls import OTHER, PASSED_TO, Call, Deployed


def ecs_blue_green_managed_policy() -> Sub:
    """AWSCodeDeployRoleForECS: task sets, listener rewrites, hook invocation, and PassRole
    conditioned on iam:PassedToService = ecs-tasks.amazonaws.com.

    The path is the root ("policy/AWSCodeDeployRoleForECS"), not "service-role/"; the
    "Limited" variant would refuse our role names (it passes only ecsTaskExecutionRole*).
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/codedeploy_IAM_role.html
    """
    return aws_managed_policy("AWSCodeDeployRoleForECS")


ROLE_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/codedeploy_IAM_role.html"
HOOKS_DOC = ("https://docs.aws.amazon.com/codedeploy/latest/userguide/"
             "reference-appspec-file-structure-hooks.html")
ALARMS_DOC = ("https://docs.aws.amazon.com/codedeploy/latest/userguide/"
              "monitoring-create-alarms.html")
TRIGGERS_DOC = ("https://docs.aws.amazon.com/codedeploy/latest/userguide/"
                "monitoring-sns-event-notifications.html")

# What AWSCodeDeployRoleForECS grants beyond the calls this template's deployments make, and
# why that breadth is accepted: the policy is AWS-maintained and follows CodeDeploy's needs.
MANAGED_BREADTH = {
    "lambda:InvokeFunction": "managed policy; no hook configured, and OnlyOurHooks denies it",
    "cloudwatch:DescribeAlarms": "managed policy, read-only; no alarms configured",
    "sns:Publish": "managed policy; no notifications configured, and OnlyOurTopic denies it",
    "s3:GetObject": "managed policy: reads revisions (AppSpec) stored in S3; kept because "
                    "CodeDeploy may read the one the deploy action registers",
    "s3:GetObjectVersion": "managed policy: the same, for versioned revisions",
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
    if d.hook_function:
        calls.append(Call("lambda:InvokeFunction",
                          d.arn("lambda", f"function:{d.hook_function}"),
                          "run the test-traffic hook named in the AppSpec", HOOKS_DOC))
    calls += [Call("cloudwatch:DescribeAlarms", d.arn("cloudwatch", f"alarm:{alarm}"),
                   "watch the rollback alarms during the deployment", ALARMS_DOC)
              for alarm in d.alarms]
    if d.topic:
        calls.append(Call("sns:Publish", d.arn("sns", d.topic),
                          "tell the deployment topic about the deployment", TRIGGERS_DOC))
    return calls


def near_misses(d: Deployed) -> list[Call]:
    return [
        Call("lambda:InvokeFunction", d.arn("lambda", f"function:{OTHER}"),
             "invoking a function that is not our hook"),
        Call("sns:Publish", d.arn("sns", OTHER), "publishing to another topic"),
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
    required = {call.action for call in required_calls(d)}
    return {action: why for action, why in MANAGED_BREADTH.items() if action not in required}


def only_our_hooks_and_topic(hook_arns: list, topic_arns: list) -> PolicyDocument:
    """Explicit denies that narrow the managed policy's Lambda and SNS grants to ours.

    An explicit deny beats the managed policy's allow on "*"; with no hook (or topic) at all,
    the action is denied everywhere.
    """
    statements = []
    # A function is invoked by its unqualified ARN or, with a version or alias, by
    # "<arn>:<qualifier>": both are ours.
    hook_arns = [arn for function in hook_arns for arn in (function, _qualified(function))]
    for sid, action, allowed in (("OnlyOurHooks", awacs_lambda.InvokeFunction, hook_arns),
                                 ("OnlyOurTopic", sns.Publish, topic_arns)):
        if allowed:
            statements.append(Statement(Sid=sid, Effect=Deny, Action=[action],
                                        NotResource=allowed))
        else:
            statements.append(Statement(Sid=sid, Effect=Deny, Action=[action], Resource=["*"]))
    return PolicyDocument(Version="2012-10-17", Statement=statements)


def _qualified(function_arn) -> Sub | Join:
    """`<function ARN>:*`, every version and alias of the function."""
    if isinstance(function_arn, GetAtt):
        logical_id, attribute = function_arn.data["Fn::GetAtt"]
        return Sub(f"${{{logical_id}.{attribute}}}:*")
    return Join("", [function_arn, ":*"])
