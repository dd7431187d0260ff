"""Log groups, and the Lambda functions the template ships inline, built the same way."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import Any, Callable

from awacs.aws import PolicyDocument

from troposphere import GetAtt, Ref, Template, awslambda, iam, logs

from policies.trust import LAMBDA, assumed_by

from .settings import Settings
from .waivers import LAMBDA_CONCURRENCY, LOGS_AWS_KEY, Waiver, waive

RUNTIME = "python3.12"


def log_group(template: Template, settings: Settings, logical_id: str,
              name: str) -> logs.LogGroup:
    return template.add_resource(waive(logs.LogGroup(
        logical_id,
        LogGroupName=name,
        # Named resources: a retained copy would block re-creating the stack under that name.
        DeletionPolicy="Delete",
        UpdateReplacePolicy="Delete",
        # 0 means "never expire": CloudFormation rejects 0, so the property is left out.
        **({"RetentionInDays": settings.service.log_retention_days}
           if settings.service.log_retention_days else {}),
    ), LOGS_AWS_KEY))


# The inline code the templates ship: handler modules of stacks/lambdas, alone or one
# continued by another ("a.py+b.py": a function whose code is a.py followed by b.py).
HANDLERS = ("guard_handler.py", "hook_handler.py", "guard_handler.py+guard_ecs.py",
            "hook_handler.py+hook_ecs.py")


def handler_source(module: str) -> str:
    """A handler module of stacks/lambdas (or a composition of them), byte for byte as tested."""
    return "\n\n".join(files("stacks.lambdas").joinpath(part).read_text(encoding="utf-8")
                       for part in module.split("+"))


def minified_name(module: str) -> str:
    return module.replace(".py", "") + ".min.py"


def shipped_minified(source: str) -> str:
    """The deployable template's form of a handler's source: the committed `<module>.min.py`
    beside it, python-minifier's output for that source (tests/test_size.py checks that they
    agree; `make generated` writes them). Read, not computed, so that rendering a template
    needs no minifier and no time for it."""
    for module in HANDLERS:
        if handler_source(module) == source:
            return files("stacks.lambdas").joinpath(minified_name(module)).read_text(
                encoding="utf-8")
    raise LookupError("inline code that is not one of the handler modules")


def minify(source: str) -> str:
    """`source` as python-minifier writes it: the same program without docstrings and
    comments and with short names, except `handler`, the entry point (`index.handler`)."""
    import python_minifier  # a development tool: its output is committed
    return python_minifier.minify(source, remove_literal_statements=True, rename_globals=True,
                                  preserve_globals=["handler"])


@dataclass(frozen=True)
class InlineFunction:
    function: awslambda.Function
    role: iam.Role
    log_group: logs.LogGroup


def inline_function(template: Template, settings: Settings, prefix: str, logical_id: str,
                    name: str, module: str, policy_name: str,
                    policy: Callable[[Any], PolicyDocument],
                    waivers: tuple[Waiver, ...] = (), role_waivers: tuple[Waiver, ...] = (),
                    **properties) -> InlineFunction:
    """A Python function whose code is the module itself (Code.ZipFile), with its own log
    group `<prefix>LogGroup` and role `<prefix>Role`, whose one policy is `policy(log group
    ARN)`. `waivers` are the scanner findings the function's design accepts, besides the
    reserved concurrency that no function of ours sets."""
    group = log_group(template, settings, f"{prefix}LogGroup", f"/aws/lambda/{name}")
    role = template.add_resource(waive(iam.Role(
        f"{prefix}Role",
        AssumeRolePolicyDocument=assumed_by(LAMBDA),
        Policies=[iam.Policy(PolicyName=policy_name,
                             PolicyDocument=policy(GetAtt(group, "Arn")))],
    ), *role_waivers))
    function = template.add_resource(waive(awslambda.Function(
        logical_id,
        FunctionName=name,
        Runtime=RUNTIME,
        Handler="index.handler",
        Code=awslambda.Code(ZipFile=handler_source(module)),
        Role=GetAtt(role, "Arn"),
        MemorySize=128,
        LoggingConfig=awslambda.LoggingConfig(LogGroup=Ref(group)),
        **properties,
    ), LAMBDA_CONCURRENCY, *waivers))
    return InlineFunction(function, role, group)
