"""A deploy rehearsal: moto's server on 127.0.0.1, the real AWS CLI, the deployable template, and
the live-route guard's real handler asked the way CloudFormation asks it.

moto cannot run a custom resource's Lambda, so this test plays CloudFormation's part for the
guard: before each update it sends the handler the Update request CloudFormation would send
(the new and old properties, resolved in the deployed stack, every value a string; a presigned
URL served on 127.0.0.1 for the answer), and the deploy then carries the handler's answer where
the listeners read it (tests/moto_harness.py). At creation no listener exists yet and the guard
answers production blue, test green. CodeDeploy's swaps are made as CodeDeploy makes them: a
weighted forward written with `aws elbv2 modify-listener`. Deploys and swaps go through the
CLI; the many reads of the listeners go through boto3, which is quicker to start.

1. deploy the default template; listeners, target groups and security groups through the CLI;
2. swap production to green as CodeDeploy does;
3. an update that changes the TLS policy: the guard answers the live routes, the update keeps
   production on green; `ecs-bluegreen status` reads the swap back;
4. a canary in flight: the guard refuses the update (nothing changes), and the rollback that
   follows is answered with the live weights, so the rollback's listener update keeps the
   canary where it was;
5. for contrast, an update carrying the creation-time answer moves production to blue.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
from moto.core import DEFAULT_ACCOUNT_ID

from moto_harness import AT_CREATION, guard_properties, moto_ready, presigned_url
from stacks.intrinsics import load_template
from stacks.lambdas import guard_handler as guard
from stacks.settings import parse_settings
from stacks.template import build_stack, deployable

BIN = Path(sys.executable).parent
REGION = "us-east-1"
STACK = "rehearsal"
NEW_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
ENV = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true"}
ENV.pop("AWS_PROFILE", None)


def run_aws(endpoint: str, *args: str) -> str:
    result = subprocess.run([str(BIN / "aws"), "--endpoint-url", endpoint, "--region", REGION,
                             "--output", "json", *args], env=ENV, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def aws(endpoint: str, *args: str) -> dict:
    output = run_aws(endpoint, *args)
    return json.loads(output) if output.strip() else {}


def client(endpoint: str, service: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


class _RollingBack:
    """CloudFormation during a rollback, as far as the guard asks (moto's stacks never
    report a rollback in progress)."""

    def describe_stacks(self, StackName):
        return {"Stacks": [{"StackStatus": "UPDATE_ROLLBACK_IN_PROGRESS"}]}


class Rehearsal:
    def __init__(self, endpoint: str, tmp_path: Path, parameters: dict[str, str]):
        self.endpoint, self.tmp_path, self.parameters = endpoint, tmp_path, parameters
        self.deployed_template: dict | None = None

    def template(self, settings) -> dict:
        return load_template(deployable(build_stack(settings)))

    def deploy(self, settings, answer: dict[str, str]) -> None:
        template = self.template(settings)
        path = self.tmp_path / f"template-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(moto_ready(template, settings.scaling.min, answer)))
        run_aws(self.endpoint, "cloudformation", "deploy", "--template-file", str(path),
                "--stack-name", STACK, "--capabilities", "CAPABILITY_IAM",
                "--parameter-overrides", *[f"{k}={v}" for k, v in self.parameters.items()])
        self.deployed_template = template

    def physical_ids(self) -> dict[str, str]:
        pages = client(self.endpoint, "cloudformation").get_paginator(
            "list_stack_resources").paginate(StackName=STACK)
        return {r["LogicalResourceId"]: r["PhysicalResourceId"]
                for page in pages for r in page["StackResourceSummaries"]}

    def ask_guard(self, new_settings, old_template: dict, cloudformation=None) -> dict:
        """The guard's real handler, asked for an Update as CloudFormation would ask it."""
        physical = self.physical_ids()
        new = guard_properties(self.template(new_settings), physical, self.parameters)
        old = guard_properties(old_template, physical, self.parameters)
        stack_id = client(self.endpoint, "cloudformation").describe_stacks(
            StackName=STACK)["Stacks"][0]["StackId"]
        with presigned_url() as (url, received):
            guard.handler({"RequestType": "Update", "StackId": stack_id,
                           "RequestId": "rehearsal", "LogicalResourceId": "LiveRoutes",
                           "PhysicalResourceId": "LiveRoutes", "ResponseURL": url,
                           "ResourceProperties": new, "OldResourceProperties": old},
                          None, elbv2=client(self.endpoint, "elbv2"),
                          cloudformation=cloudformation or client(self.endpoint,
                                                                  "cloudformation"))
        ((_, _, body),) = received
        return body

    def routes(self) -> dict[int, dict]:
        elbv2 = client(self.endpoint, "elbv2")
        (lb,) = elbv2.describe_load_balancers()["LoadBalancers"]
        listeners = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        return {item["Port"]: item for item in listeners}

    def groups(self) -> dict[str, str]:
        return {g["TargetGroupArn"]: g["TargetGroupName"].rsplit("-", 1)[1] for g in
                client(self.endpoint, "elbv2").describe_target_groups()["TargetGroups"]}

    def weights(self, port: int) -> dict[str, int]:
        """colour -> weight on the listener at `port`."""
        (action,) = self.routes()[port]["DefaultActions"]
        targets = action.get("ForwardConfig", {}).get("TargetGroups") or [
            {"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}]
        groups = self.groups()
        return {groups[t["TargetGroupArn"]]: t.get("Weight", 1) for t in targets}

    def shift(self, port: int, weights: dict[str, int]) -> None:
        """Rewrite a listener as CodeDeploy does: a weighted forward to both groups."""
        arns = {colour: arn for arn, colour in self.groups().items()}
        aws(self.endpoint, "elbv2", "modify-listener", "--listener-arn",
            self.routes()[port]["ListenerArn"], "--default-actions", json.dumps([{
                "Type": "forward", "ForwardConfig": {"TargetGroups": [
                    {"TargetGroupArn": arns[c], "Weight": w} for c, w in weights.items()]}}]))


def test_rehearsal(endpoint, tmp_path):
    certificate = aws(endpoint, "acm", "request-certificate", "--domain-name",
                      "app.example.com")["CertificateArn"]
    rehearsal = Rehearsal(endpoint, tmp_path, {
        "CertificateArn": certificate,
        "ConnectionArn": f"arn:aws:codeconnections:{REGION}:{DEFAULT_ACCOUNT_ID}:connection/"
                         "0123abcd-0123-4567-89ab-0123456789ab",
        "RepositoryId": "example/webapp"})
    settings = parse_settings({})

    # 1. Creation: production on blue, test on green, the test port only from NAT addresses.
    rehearsal.deploy(settings, AT_CREATION)
    created = rehearsal.deployed_template
    assert sorted(rehearsal.groups().values()) == ["blue", "green"]
    assert sorted(rehearsal.routes()) == [80, 443, 8080]
    assert rehearsal.weights(443) == {"blue": 100, "green": 0}
    assert rehearsal.weights(8080) == {"blue": 0, "green": 100}
    assert rehearsal.routes()[443]["SslPolicy"] == settings.listeners.ssl_policy
    (lb_group,) = aws(endpoint, "ec2", "describe-security-groups", "--filters",
                      "Name=group-name,Values=webapp-dev-lb-sg")["SecurityGroups"]
    world = {(p["FromPort"], r["CidrIp"]) for p in lb_group["IpPermissions"]
             for r in p.get("IpRanges", [])}
    assert {(80, "0.0.0.0/0"), (443, "0.0.0.0/0")} <= world
    assert all(cidr.endswith("/32") for port, cidr in world if port == 8080)  # NAT only

    # 2. CodeDeploy's swap: production to green, test to blue.
    rehearsal.shift(443, {"green": 100, "blue": 0})
    rehearsal.shift(8080, {"blue": 100, "green": 0})

    # 3. An update that touches the production listener, with the guard's real answer.
    changed = parse_settings({"listeners": {"ssl_policy": NEW_POLICY}})
    answer = rehearsal.ask_guard(changed, created)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    rehearsal.deploy(changed, answer["Data"])
    assert rehearsal.routes()[443]["SslPolicy"] == NEW_POLICY  # the update reached it
    assert rehearsal.weights(443) == {"green": 100, "blue": 0}  # and kept the route
    assert rehearsal.weights(8080) == {"blue": 100, "green": 0}
    status = subprocess.run([sys.executable, "-m", "stacks", "status", "--stack", STACK,
                             "--region", REGION, "--endpoint-url", endpoint],
                            env=ENV, capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stderr
    lines = dict(line.split(":", 1) for line in status.stdout.splitlines())
    assert lines["production"].split()[0] == "green"
    assert lines["test"].split()[0] == "blue"
    assert "targets healthy" in lines["blue"]

    # 4. A canary in flight: 10 % on blue (the new tasks this time).
    rehearsal.shift(443, {"green": 90, "blue": 10})
    refused = rehearsal.ask_guard(settings, rehearsal.deployed_template)
    assert refused["Status"] == "FAILED" and "in flight" in refused["Reason"]
    assert rehearsal.weights(443) == {"green": 90, "blue": 10}  # nothing changed
    rollback = rehearsal.ask_guard(changed, rehearsal.template(settings),
                                   cloudformation=_RollingBack())
    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    rehearsal.deploy(changed, rollback["Data"])  # the rollback's listener update
    assert rehearsal.weights(443) == {"green": 90, "blue": 10}

    # 5. The hazard the guard prevents: the creation-time answer moves production back.
    rehearsal.shift(443, {"green": 100, "blue": 0})
    rehearsal.deploy(settings, AT_CREATION)
    assert rehearsal.weights(443) == {"blue": 100, "green": 0}


def test_status_of_a_missing_stack_is_an_error(endpoint):
    result = subprocess.run([sys.executable, "-m", "stacks", "status", "--stack", "nope",
                             "--region", REGION, "--endpoint-url", endpoint],
                            env=ENV, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("error: --stack nope: ")
    assert "Traceback" not in result.stderr
