"""Log groups, and the Lambda functions the template ships inline, built the same way."""

from __future__ import annotations

from importlib.resources import files
from typing import Any, Callable

from awacs.aws import PolicyDocument

from troposphere import GetAtt, Ref, Template, awslambda, iam, logs

from policies.trust import LAMBDA, assumed_by

from .settings import Settings
from .tags import standard_tags

RUNTIME = "python3.12"


def log_group(template: Template, settings: Settings, logical_id: str,
              name: str) -> logs.LogGroup:
    return template.add_resource(logs.LogGroup(
        logical_id,
        LogGroupName=name,
        # Named resources: a retained copy would block re-creating the stack under that name.
        DeletionPolicy="Delete",
        UpdateReplacePolicy="Delete",
        # 0 means "never expire": CloudFormation rejects 0, so the property is left out.
        **({"RetentionInDays": settings.service.log_retention_days}
           if settings.service.log_retention_days else {}),
        Tags=standard_tags(settings),
    ))


def handler_source(module: str) -> str:
    """A handler module of stacks/lambdas, byte for byte as tested."""
    return files("stacks.lambdas").joinpath(module).read_text(encoding="utf-8")


def inline_function(template: Template, settings: Settings, prefix: str, logical_id: str,
                    name: str, module: str, policy_name: str,
                    policy: Callable[[Any], PolicyDocument],
                    **properties) -> awslambda.Function:
    """A Python function whose code is the module itself (Code.ZipFile), with its own log
    group `<prefix>LogGroup` and role `<prefix>Role`, whose one policy is `policy(log group
    ARN)`."""
    group = log_group(template, settings, f"{prefix}LogGroup", f"/aws/lambda/{name}")
    role = template.add_resource(iam.Role(
        f"{prefix}Role",
        AssumeRolePolicyDocument=assumed_by(LAMBDA),
        Policies=[iam.Policy(PolicyName=policy_name,
                             PolicyDocument=policy(GetAtt(group, "Arn")))],
        Tags=standard_tags(settings),
    ))
    return template.add_resource(awslambda.Function(
        logical_id,
        FunctionName=name,
        Runtime=RUNTIME,
        Handler="index.handler",
        Code=awslambda.Code(ZipFile=handler_source(module)),
        Role=GetAtt(role, "Arn"),
        MemorySize=128,
        LoggingConfig=awslambda.LoggingConfig(LogGroup=Ref(group)),
        Tags=standard_tags(settings),
        **properties,
    ))
