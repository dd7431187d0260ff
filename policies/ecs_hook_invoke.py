"""The role ECS assumes to run our test-traffic hook (deployment.engine "ecs").

AWS's example grants lambda:InvokeFunction on every function (function:*); this one may invoke
only our hook, by the ARN the service's lifecycle hook names.
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-permissions.html
"""

from __future__ import annotations

from typing import Any

from awacs import awslambda
from awacs.aws import Allow, PolicyDocument, Statement

from .calls import OTHER, Call, Deployed

DOC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-permissions.html"


def invoke_our_hook(function_arn: Any) -> PolicyDocument:
    return PolicyDocument(Version="2012-10-17", Statement=[
        Statement(Sid="InvokeOurHook", Effect=Allow, Action=[awslambda.InvokeFunction],
                  Resource=[function_arn])])


def required_calls(d: Deployed) -> list[Call]:
    return [Call("lambda:InvokeFunction", d.arn("lambda", f"function:{d.hook_function}"),
                 "run the test-traffic hook at its lifecycle stages", DOC)]


def near_misses(d: Deployed) -> list[Call]:
    return [
        Call("lambda:InvokeFunction", d.arn("lambda", f"function:{OTHER}"),
             "invoking a function that is not our hook"),
        Call("lambda:UpdateFunctionCode", d.arn("lambda", f"function:{d.hook_function}"),
             "changing the hook"),
    ]
