"""Turning a rendered template into one moto can create, and nothing more.

moto is no proof of AWS behaviour (aws-facts.md, section 5), but it resolves the template's
Refs, GetAtts and Subs, creates the EC2, ELBv2, ECS, ECR, IAM, Logs, S3 and Lambda resources,
and serves the real APIs to read them back. What it cannot do, and what the harness changes:

- CodeDeploy, CodeBuild and CodePipeline resources cannot be created: they are removed, with
  everything that refers to them (the pipeline's roles, the source-change rule) and the
  outputs that name them.
- Custom resources need their Lambda code run, which moto cannot do: the live-route guard is
  removed and the listeners get the answer the harness supplies (`live`), as the guard would.
- The service's DesiredCount becomes a literal: moto hands the Number parameter to ECS as a
  string and fails on arithmetic with it.
- The service names its task definition by Ref instead of by family: moto's change sets
  (`aws cloudformation deploy`) create resources without honouring DependsOn, and a family
  name alone gives moto no order.
Application Auto Scaling and CloudWatch alarms are skipped by moto itself with a warning.
"""

from __future__ import annotations

import json
from typing import Any

UNSUPPORTED_PREFIXES = ("AWS::CodeDeploy::", "AWS::CodeBuild::", "AWS::CodePipeline::",
                        "Custom::")
# The guard's answer at creation: production on blue, test on green.
AT_CREATION = {"Production": {"Ref": "TargetGroupBlue"}, "Test": {"Ref": "TargetGroupGreen"}}


def _refers_to(value: Any, names: set[str]) -> bool:
    text = json.dumps(value)
    return any(f'"{name}"' in text or f'"{name}.' in text or f"${{{name}" in text
               for name in names)


def _substitute_live_routes(value: Any, live: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if list(value) == ["Fn::GetAtt"] and value["Fn::GetAtt"][0] == "LiveRoutes":
            return live[value["Fn::GetAtt"][1]]
        return {k: _substitute_live_routes(v, live) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute_live_routes(v, live) for v in value]
    return value


def moto_ready(template: dict, desired_count: int, live: dict[str, Any] = AT_CREATION) -> dict:
    template = _substitute_live_routes(template, live)
    resources = template["Resources"]
    dropped = {name for name, resource in resources.items()
               if resource["Type"].startswith(UNSUPPORTED_PREFIXES)}
    while True:  # and whatever refers to something dropped, until nothing more goes
        more = {name for name, resource in resources.items()
                if name not in dropped and _refers_to(resource, dropped)}
        if not more:
            break
        dropped |= more
    for name in dropped:
        del resources[name]
    template["Outputs"] = {key: out for key, out in template["Outputs"].items()
                           if not _refers_to(out, dropped)}
    service = resources["Service"]["Properties"]
    service["DesiredCount"] = desired_count
    service["TaskDefinition"] = {"Ref": "TaskDefinition"}
    return template
