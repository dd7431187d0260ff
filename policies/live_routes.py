"""The live-route guard's role: read the listeners, write its logs, nothing else."""

from __future__ import annotations

from typing import Any

from awacs import elasticloadbalancing as elb
from awacs.aws import Allow, PolicyDocument, Statement

from .calls import Call, Deployed
from .statements import write_logs

DESCRIBE_DOC = ("https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/"
                "API_DescribeListeners.html")
LOGS_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html"


def read_listeners(log_group_arn: Any) -> PolicyDocument:
    return PolicyDocument(Version="2012-10-17", Statement=[
        Statement(Sid="ReadListeners", Effect=Allow, Action=[elb.DescribeListeners],
                  # Describe actions of Elastic Load Balancing have no resource-level
                  # scoping: it must be "*".
                  Resource=["*"]),
        write_logs(log_group_arn),
    ])


def required_calls(d: Deployed) -> list[Call]:
    stream = d.log_stream_arn(d.live_routes_log_group, "2026/01/01/[$LATEST]0123abcd")
    return [
        Call("elasticloadbalancing:DescribeListeners", "*",
             "read where each listener forwards", DESCRIBE_DOC),
        Call("logs:CreateLogStream", stream, "start the function's log stream", LOGS_DOC),
        Call("logs:PutLogEvents", stream, "log each answer", LOGS_DOC),
    ]


def near_misses(d: Deployed) -> list[Call]:
    listener = d.arn("elasticloadbalancing",
                     f"listener/app/{d.service}/0123456789abcdef/0123456789abcdef")
    return [
        Call("elasticloadbalancing:ModifyListener", listener, "changing a route itself"),
        Call("elasticloadbalancing:DescribeTargetHealth", "*", "reading anything else"),
    ]
