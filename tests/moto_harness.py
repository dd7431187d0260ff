"""Turning a rendered template into one moto can create, and nothing more.

moto is no proof of AWS behaviour: it accepts much that AWS refuses. But it resolves the
template's Refs, GetAtts and Subs, creates the EC2, ELBv2, ECS, ECR, IAM, Logs, S3 and Lambda
resources, and serves the real APIs to read them back. What it cannot do, and what the harness changes:

- CodeDeploy, CodeBuild and CodePipeline resources cannot be created: they are removed, with
  everything that refers to them (the pipeline's roles, the source-change rule) and the
  outputs that name them.
- Custom resources need their Lambda code run, which moto cannot do: the live-route guard is
  removed and the listeners get the weights the caller passes (`answer`), which the tests
  obtain from the guard's real handler where it matters (tests/test_rehearsal.py).
- The service gets a literal DesiredCount (scaling.min): moto's ECS cannot create a service
  without one, where CloudFormation starts it with one task and the scalable target raises it.
- The service names its task definition by Ref instead of by family: moto's change sets
  (`aws cloudformation deploy`) create resources without honouring DependsOn, and a family
  name alone gives moto no order.
- moto's CloudFormation handler for listeners knows only a forward to one TargetGroupArn,
  where its ELBv2 API knows weighted forwards too: `weighted_forwards_in_moto` lets the
  handler pass a ForwardConfig through to the API's model (in this process only, so the
  rehearsal runs moto's server in a thread of this process).
- moto looks a flow log's S3 destination up as a bucket named by everything after the ARN's
  last colon, prefix included (`bucket/flow-logs/`), and fails; AWS takes a prefix there. The
  flow log gets the bucket's own ARN.
Application Auto Scaling and CloudWatch alarms are skipped by moto itself with a warning.

Two fixtures of the guard's tests live here too: a stand-in for the presigned URL a custom
resource answers to, and a load balancer with target groups in moto.
"""

from __future__ import annotations

import http.server
import json
import threading
from contextlib import contextmanager
from typing import Any, Iterator

import boto3

from stacks.intrinsics import Resolver
from stacks.live_routes import AT_CREATION_WEIGHTS

# The region of the in-process moto fixture (tests/conftest.py, `aws`).
MOTO_REGION = "us-east-1"
UNSUPPORTED_PREFIXES = ("AWS::CodeDeploy::", "AWS::CodeBuild::", "AWS::CodePipeline::",
                        "Custom::")
# The guard's answer at creation, before any listener exists: production on blue, test on green.
AT_CREATION = {key: str(weight) for key, weight in AT_CREATION_WEIGHTS.items()}


class _GuardAnswer(Resolver):
    """Put the guard's answer where the listeners read it; leave every other intrinsic."""

    def __init__(self, guard: str, answer: dict[str, str]):
        self.guard, self.answer = guard, answer

    def ref(self, name: str) -> Any:
        return {"Ref": name}

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id == self.guard:
            return int(self.answer[attribute])  # CloudFormation turns the string into a number
        return {"Fn::GetAtt": [logical_id, attribute]}

    def sub(self, template: str, variables: dict) -> Any:
        return {"Fn::Sub": [template, self.resolve(variables)] if variables else template}

    def join(self, separator: str, items: Any) -> Any:
        return {"Fn::Join": [separator, self.resolve(items)]}

    def function(self, name: str, argument: Any) -> Any:
        return {name: self.resolve(argument)}


def _refers_to(value: Any, names: set[str]) -> bool:
    text = json.dumps(value)
    return any(f'"{name}"' in text or f'"{name}.' in text or f"${{{name}" in text
               for name in names)


def moto_ready(template: dict, starting_count: int, answer: dict[str, str] = AT_CREATION,
               guard: str = "LiveRoutes") -> dict:
    template = _GuardAnswer(guard, answer).resolve(template)
    resources = template["Resources"]
    dropped = {name for name, resource in resources.items()
               if resource["Type"].startswith(UNSUPPORTED_PREFIXES)}
    for resource in resources.values():  # waiting for the guard: its answer is in place
        depends = resource.pop("DependsOn", [])
        kept = [d for d in ([depends] if isinstance(depends, str) else depends) if d != guard]
        if kept:
            resource["DependsOn"] = kept
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
    for resource in resources.values():
        if resource["Type"] == "AWS::EC2::FlowLog":
            destination = resource["Properties"]["LogDestination"]["Fn::Sub"]
            bucket = destination.removeprefix("${").split(".Arn}", 1)[0]
            resource["Properties"]["LogDestination"] = {"Fn::GetAtt": [bucket, "Arn"]}
    if "Service" in resources:  # (a promotion's delivery stack has none)
        service = resources["Service"]["Properties"]
        service["DesiredCount"] = starting_count
        service["TaskDefinition"] = {"Ref": "TaskDefinition"}
    return template


class _Deployed(Resolver):
    """A template's intrinsics as they resolve in a deployed stack: Ref of a resource is its
    physical id, Ref of a parameter its value; and, as CloudFormation hands custom resources
    their properties, every value a string."""

    def __init__(self, physical: dict[str, str], parameters: dict[str, str]):
        self.physical, self.parameters = physical, parameters

    def ref(self, name: str) -> str:
        return self.parameters[name] if name in self.parameters else self.physical[name]

    def resolve(self, value: Any) -> Any:
        resolved = super().resolve(value)
        if isinstance(resolved, bool):
            return str(resolved).lower()
        return str(resolved) if isinstance(resolved, (int, float)) else resolved


def guard_properties(template: dict, physical: dict[str, str], parameters: dict[str, str],
                     guard: str = "LiveRoutes") -> dict:
    """The guard's ResourceProperties as CloudFormation would send them for this template in
    the deployed stack (`physical`: logical id -> physical id)."""
    properties = dict(template["Resources"][guard]["Properties"])
    properties.pop("ServiceToken")
    properties.pop("ServiceTimeout", None)
    return _Deployed(physical, parameters).resolve(properties)


@contextmanager
def weighted_forwards_in_moto() -> Iterator[None]:
    from moto.elbv2.models import ELBv2Backend
    original = ELBv2Backend.convert_and_validate_properties

    def convert(self, properties: dict[str, Any]) -> list[dict[str, Any]]:
        weighted = [a for a in properties["DefaultActions"]
                    if a["Type"] == "forward" and "ForwardConfig" in a]
        if not weighted:
            return original(self, properties)
        return [dict(a, ForwardConfig={"TargetGroups": [
            {"TargetGroupArn": t["TargetGroupArn"], "Weight": int(t.get("Weight", 1))}
            for t in a["ForwardConfig"]["TargetGroups"]]}) for a in properties["DefaultActions"]]

    ELBv2Backend.convert_and_validate_properties = convert
    try:
        yield
    finally:
        ELBv2Backend.convert_and_validate_properties = original


@contextmanager
def presigned_url() -> Iterator[tuple[str, list[tuple[str, str | None, dict]]]]:
    """Where a custom resource PUTs its answer: an HTTP server on 127.0.0.1 standing in for
    CloudFormation's presigned S3 URL. Yields the URL and the list of what was PUT, as
    (path, Content-Type, JSON body)."""
    received: list[tuple[str, str | None, dict]] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.path, self.headers.get("Content-Type"), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/presigned?signature=x", received
    finally:
        httpd.shutdown()
        httpd.server_close()


def load_balancer_in_moto(region: str, groups: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """A load balancer in two subnets and IP target groups of these names, created in moto
    (inside `mock_aws`): the load balancer's ARN and each group's ARN by name."""
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24",
                                 AvailabilityZone=f"{region}{zone}")["Subnet"]["SubnetId"]
               for i, zone in enumerate("ab")]
    elbv2 = boto3.client("elbv2", region_name=region)
    load_balancer = elbv2.create_load_balancer(Name="lb", Subnets=subnets)["LoadBalancers"][0]
    arns = {name: elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc,
                                            TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
            for name in groups}
    return load_balancer["LoadBalancerArn"], arns
