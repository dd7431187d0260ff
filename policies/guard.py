"""The live-route guard's role: read the listeners and its own stack's status, write its logs."""

from __future__ import annotations

from typing import Any

from awacs import cloudformation
from awacs import elasticloadbalancing as elb
from awacs import ec2
from awacs.aws import Allow, PolicyDocument, Statement
from troposphere import Ref, Sub

from .calls import Call, Deployed
from .statements import write_logs

DESCRIBE_DOC = ("https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/"
                "API_DescribeListeners.html")
STACK_DOC = ("https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/"
             "API_DescribeStacks.html")
LOGS_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html"


def read_listeners_and_stack(log_group_arn: Any, default_group: Any = None) -> PolicyDocument:
    """`default_group`: the created VPC's default security group, whose rules it revokes."""
    empty_group = [Statement(
        Sid="EmptyDefaultGroup", Effect=Allow,
        Action=[ec2.RevokeSecurityGroupIngress, ec2.RevokeSecurityGroupEgress],
        # The group's id in the ARN by the GetAtt's own name (${Vpc.DefaultSecurityGroup}).
        Resource=[Sub("arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:"
                      f"security-group/${{{'.'.join(default_group.data['Fn::GetAtt'])}}}")],
    )] if default_group is not None else []
    return PolicyDocument(Version="2012-10-17", Statement=empty_group + [
        Statement(Sid="ReadListeners", Effect=Allow, Action=[elb.DescribeListeners],
                  # Describe actions of Elastic Load Balancing have no resource-level
                  # scoping: it must be "*".
                  Resource=["*"]),
        # Whether an update is a rollback, which the guard never refuses.
        Statement(Sid="ReadOwnStackStatus", Effect=Allow,
                  Action=[cloudformation.DescribeStacks], Resource=[Ref("AWS::StackId")]),
        write_logs(log_group_arn),
    ])


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
    return default_group_calls(d) + listener_calls(d)


def listener_calls(d: Deployed) -> list[Call]:
    """The calls it makes for Custom::LiveRoutes."""
    return [
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
        Call("ec2:RevokeSecurityGroupIngress", d.arn("ec2", "security-group/sg-0other"),
             "changing another security group"),
        Call("ec2:AuthorizeSecurityGroupIngress",
             d.arn("ec2", f"security-group/{d.default_group or 'sg-0other'}"),
             "opening the default group"),
    ]
