"""The live-route guard's role: read the listeners and its own stack's status, write its logs."""

from __future__ import annotations

from typing import Any

from awacs import cloudformation
from awacs import elasticloadbalancing as elb
from awacs.aws import Allow, PolicyDocument, Statement
from troposphere import Ref

from .calls import Call, Deployed
from .statements import write_logs

DESCRIBE_DOC = ("https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/"
                "API_DescribeListeners.html")
STACK_DOC = ("https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/"
             "API_DescribeStacks.html")
LOGS_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html"


def read_listeners_and_stack(log_group_arn: Any) -> PolicyDocument:
    return PolicyDocument(Version="2012-10-17", Statement=[
        Statement(Sid="ReadListeners", Effect=Allow, Action=[elb.DescribeListeners],
                  # Describe actions of Elastic Load Balancing have no resource-level
                  # scoping: it must be "*".
                  Resource=["*"]),
        # Whether an update is a rollback, which the guard never refuses.
        Statement(Sid="ReadOwnStackStatus", Effect=Allow,
                  Action=[cloudformation.DescribeStacks], Resource=[Ref("AWS::StackId")]),
        write_logs(log_group_arn),
    ])


def code_calls(d: Deployed) -> list[Call]:
    """The calls stacks/lambdas/guard_handler.py makes."""
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
    ]
