"""The live-route guard's role: read the listeners and its own stack's status, write its logs;
with deployment.engine "ecs" also read the listener rules and prepare the pipeline's releases
(change sets of its own stack, reported to CodePipeline)."""

from __future__ import annotations

from typing import Any

from awacs import cloudformation, codepipeline
from awacs import elasticloadbalancing as elb
from awacs import ec2
from awacs.aws import Allow, PolicyDocument, Statement
from troposphere import Ref, Sub

from .calls import Call, Deployed
from .statements import write_logs

DESCRIBE_DOC = ("https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/"
                "API_DescribeListeners.html")
RULES_DOC = ("https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/"
             "API_DescribeRules.html")
STACK_DOC = ("https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/"
             "API_DescribeStacks.html")
LOGS_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html"


def read_listeners_and_stack(log_group_arn: Any, default_group: Any = None,
                             ecs_engine: bool = False) -> PolicyDocument:
    """`default_group`: the created VPC's default security group, whose rules it revokes;
    `ecs_engine`: the routes are listener rules, and the function prepares releases."""
    empty_group = [Statement(
        Sid="EmptyDefaultGroup", Effect=Allow,
        Action=[ec2.RevokeSecurityGroupIngress, ec2.RevokeSecurityGroupEgress],
        # The group's id in the ARN by the GetAtt's own name (${Vpc.DefaultSecurityGroup}).
        Resource=[Sub("arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:"
                      f"security-group/${{{'.'.join(default_group.data['Fn::GetAtt'])}}}")],
    )] if default_group is not None else []
    return PolicyDocument(Version="2012-10-17", Statement=empty_group + [
        Statement(Sid="ReadListeners", Effect=Allow,
                  Action=[elb.DescribeListeners] + ([elb.DescribeRules] if ecs_engine else []),
                  # Describe actions of Elastic Load Balancing have no resource-level
                  # scoping: it must be "*".
                  Resource=["*"]),
        # Whether an update is a rollback, which the guard never refuses; with engine ecs,
        # the stack's parameters and the release's change set (never executing one).
        Statement(Sid="ReadOwnStackStatus", Effect=Allow,
                  Action=[cloudformation.DescribeStacks] + ([
                      cloudformation.CreateChangeSet, cloudformation.DescribeChangeSet,
                      cloudformation.DeleteChangeSet] if ecs_engine else []),
                  Resource=[Ref("AWS::StackId")]),
        write_logs(log_group_arn),
    ] + ([Statement(Sid="ReportToPipeline", Effect=Allow,
                    Action=[codepipeline.PutJobSuccessResult, codepipeline.PutJobFailureResult],
                    # Job results have no resource-level scoping: it must be "*".
                    Resource=["*"])] if ecs_engine else []))


GROUP_DOC = ("https://docs.aws.amazon.com/AWSEC2/latest/APIReference/"
             "API_RevokeSecurityGroupIngress.html")


def default_group_calls(d: Deployed) -> list[Call]:
    """The calls the handler makes for Custom::EmptyDefaultGroup (a created VPC only)."""
    if not d.default_group:
        return []
    group = d.arn("ec2", f"security-group/{d.default_group}")
    return [Call("ec2:RevokeSecurityGroupIngress", group, "revoke the default group's "
                 "ingress from its own members", GROUP_DOC),
            Call("ec2:RevokeSecurityGroupEgress", group, "revoke the default group's egress",
                 GROUP_DOC)]


def code_calls(d: Deployed) -> list[Call]:
    """The calls stacks/lambdas/guard_handler.py makes."""
    return default_group_calls(d) + listener_calls(d) + release_calls(d)


RELEASE_DOC = ("https://docs.aws.amazon.com/codepipeline/latest/userguide/"
               "action-reference-Lambda.html")
CHANGE_SET_DOC = ("https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
                  "using-iam-template.html")


def release_calls(d: Deployed) -> list[Call]:
    """Engine ecs: the calls it makes for the pipeline's PrepareRelease job."""
    if d.engine != "ecs":
        return []
    return [Call(f"cloudformation:{action}", d.stack_id, why, CHANGE_SET_DOC)
            for action, why in (
                ("DescribeStacks", "read the stack's parameter values, each to be kept"),
                ("CreateChangeSet", "prepare the release: the deployed template, Image set"),
                ("DescribeChangeSet", "wait for the change set and check what it changes"),
                ("DeleteChangeSet", "remove a change set that changes nothing or too much"))
            ] + [Call(f"codepipeline:{action}", "*", "report the job's result", RELEASE_DOC)
                 for action in ("PutJobSuccessResult", "PutJobFailureResult")]


def listener_calls(d: Deployed) -> list[Call]:
    """The calls it makes for Custom::LiveRoutes."""
    rules = [Call("elasticloadbalancing:DescribeRules", "*",
                  "read where each route's listener rule forwards", RULES_DOC)
             ] if d.engine == "ecs" else []
    return rules + [
        Call("elasticloadbalancing:DescribeListeners", "*",
             "read where each listener forwards", DESCRIBE_DOC),
        Call("cloudformation:DescribeStacks", d.stack_id,
             "tell a rollback (never refused) from an update", STACK_DOC),
    ]


def required_calls(d: Deployed) -> list[Call]:
    stream = d.log_stream_arn(d.live_routes_log_group, "2026/01/01/[$LATEST]0123abcd")
    return code_calls(d) + [  # and Lambda writes the function's logs with the role
        Call("logs:CreateLogStream", stream, "start the function's log stream", LOGS_DOC),
        Call("logs:PutLogEvents", stream, "log each answer", LOGS_DOC),
    ]


def near_misses(d: Deployed) -> list[Call]:
    listener = d.arn("elasticloadbalancing",
                     f"listener/app/{d.service}/0123456789abcdef/0123456789abcdef")
    return [
        Call("elasticloadbalancing:ModifyListener", listener, "changing a route itself"),
        Call("elasticloadbalancing:DescribeTargetHealth", "*", "reading anything else"),
        Call("cloudformation:DescribeStacks",
             d.arn("cloudformation", "stack/other/0123abcd-0123-4567-89ab-0123456789ab"),
             "reading another stack"),
        Call("cloudformation:UpdateStack", d.stack_id, "changing its stack"),
        Call("cloudformation:ExecuteChangeSet", d.stack_id,
             "executing a release (the pipeline's action does)"),
        Call("cloudformation:CreateChangeSet",
             d.arn("cloudformation", "stack/other/0123abcd-0123-4567-89ab-0123456789ab"),
             "preparing a change set of another stack"),
        Call("ec2:RevokeSecurityGroupIngress", d.arn("ec2", "security-group/sg-0other"),
             "changing another security group"),
        Call("ec2:AuthorizeSecurityGroupIngress",
             d.arn("ec2", f"security-group/{d.default_group or 'sg-0other'}"),
             "opening the default group"),
    ]
