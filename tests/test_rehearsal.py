"""A deploy rehearsal: moto_server on 127.0.0.1, the real AWS CLI, the rendered template.

1. deploy the default template (as tests/moto_harness.py makes it creatable by moto);
2. check listeners, target groups and security groups through the CLI;
3. swap production to green as CodeDeploy does (a weighted 100/0 forward);
4. render an update that changes the TLS policy, with the guard's answer for the live state
   (moto cannot run the guard's Lambda, so the harness runs the guard's own resolver against
   moto and hands its answer to the listeners, as CloudFormation would);
5. deploy it, and confirm production still forwards to the live group;
6. `ecs-bluegreen status` reads the swap back;
7. and, for contrast, an update with the creation-time routes (no guard) moves production.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID

from conftest import load_template
from moto_harness import moto_ready
from stacks.lambdas.live_routes import live_routes
from stacks.settings import parse_settings
from stacks.template import render_template

BIN = Path(sys.executable).parent
REGION = "us-east-1"
STACK = "rehearsal"
NEW_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
ENV = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true"}
ENV.pop("AWS_PROFILE", None)


@pytest.fixture(scope="module")
def endpoint():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("moto_server did not start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def run_aws(endpoint: str, *args: str) -> str:
    result = subprocess.run([str(BIN / "aws"), "--endpoint-url", endpoint, "--region", REGION,
                             "--output", "json", *args], env=ENV, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def aws(endpoint: str, *args: str) -> dict:
    output = run_aws(endpoint, *args)
    return json.loads(output) if output.strip() else {}


def deploy(endpoint: str, template: dict, tmp_path: Path, parameters: dict[str, str]) -> None:
    path = tmp_path / f"template-{time.monotonic_ns()}.json"
    path.write_text(json.dumps(template))
    run_aws(endpoint, "cloudformation", "deploy", "--template-file", str(path), "--stack-name",
        STACK, "--capabilities", "CAPABILITY_IAM", "--parameter-overrides",
        *[f"{k}={v}" for k, v in parameters.items()])


def routes(endpoint: str) -> dict[int, dict]:
    (lb,) = aws(endpoint, "elbv2", "describe-load-balancers")["LoadBalancers"]
    listeners = aws(endpoint, "elbv2", "describe-listeners", "--load-balancer-arn",
                    lb["LoadBalancerArn"])["Listeners"]
    return {item["Port"]: item for item in listeners}


def forwarded_to(listener: dict, groups: dict[str, str]) -> str:
    (action,) = listener["DefaultActions"]
    targets = action.get("ForwardConfig", {}).get("TargetGroups") or [
        {"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}]
    live = [t["TargetGroupArn"] for t in targets if t.get("Weight", 1) > 0]
    (arn,) = live
    return groups[arn]


def test_rehearsal(endpoint, tmp_path):
    started = time.monotonic()
    certificate = aws(endpoint, "acm", "request-certificate", "--domain-name",
                      "app.example.com")["CertificateArn"]
    parameters = {
        "CertificateArn": certificate,
        "ConnectionArn": f"arn:aws:codeconnections:{REGION}:{DEFAULT_ACCOUNT_ID}:connection/"
                         "0123abcd-0123-4567-89ab-0123456789ab",
        "RepositoryId": "example/webapp",
    }
    settings = parse_settings({})
    deploy(endpoint, moto_ready(load_template(render_template(settings)),
                                settings.service.desired_count), tmp_path, parameters)

    # 2. What was created, through the CLI.
    groups = {g["TargetGroupArn"]: g["TargetGroupName"]
              for g in aws(endpoint, "elbv2", "describe-target-groups")["TargetGroups"]}
    assert sorted(groups.values()) == ["webapp-dev-blue", "webapp-dev-green"]
    listeners = routes(endpoint)
    assert sorted(listeners) == [80, 443, 8080]
    assert forwarded_to(listeners[443], groups) == "webapp-dev-blue"
    assert forwarded_to(listeners[8080], groups) == "webapp-dev-green"
    assert listeners[443]["SslPolicy"] == settings.listeners.ssl_policy
    (lb_group,) = aws(endpoint, "ec2", "describe-security-groups", "--filters",
                      "Name=group-name,Values=webapp-dev-lb-sg")["SecurityGroups"]
    world = {(p["FromPort"], r["CidrIp"]) for p in lb_group["IpPermissions"]
             for r in p.get("IpRanges", [])}
    assert {(80, "0.0.0.0/0"), (443, "0.0.0.0/0")} <= world
    assert all(cidr.endswith("/32") for port, cidr in world if port == 8080)  # NAT only

    # 3. CodeDeploy's swap: production to green, test to blue, as weighted forwards.
    arn = {name: a for a, name in groups.items()}
    for port, live, idle in ((443, "webapp-dev-green", "webapp-dev-blue"),
                             (8080, "webapp-dev-blue", "webapp-dev-green")):
        aws(endpoint, "elbv2", "modify-listener", "--listener-arn",
            listeners[port]["ListenerArn"], "--default-actions", json.dumps([{
                "Type": "forward", "ForwardConfig": {"TargetGroups": [
                    {"TargetGroupArn": arn[live], "Weight": 100},
                    {"TargetGroupArn": arn[idle], "Weight": 0}]}}]))

    # 4. The guard's answer for the live state, from its own resolver.
    elbv2 = boto3.client("elbv2", endpoint_url=endpoint, region_name=REGION,
                         aws_access_key_id="testing", aws_secret_access_key="testing")
    (lb,) = elbv2.describe_load_balancers()["LoadBalancers"]
    answer = live_routes(elbv2, {
        "LoadBalancerArn": lb["LoadBalancerArn"], "ProductionPort": "443", "TestPort": "8080",
        "BlueTargetGroupArn": arn["webapp-dev-blue"],
        "GreenTargetGroupArn": arn["webapp-dev-green"]})
    assert answer == {"Production": arn["webapp-dev-green"], "Test": arn["webapp-dev-blue"]}

    # 5. An update that touches the production listener.
    changed = parse_settings({"listeners": {"ssl_policy": NEW_POLICY}})
    deploy(endpoint, moto_ready(load_template(render_template(changed)),
                                changed.service.desired_count, live=answer),
           tmp_path, parameters)
    listeners = routes(endpoint)
    assert listeners[443]["SslPolicy"] == NEW_POLICY  # the update did reach the listener
    assert forwarded_to(listeners[443], groups) == "webapp-dev-green"  # and kept the route
    assert forwarded_to(listeners[8080], groups) == "webapp-dev-blue"

    # 6. The status command reads the swap back.
    status = subprocess.run([sys.executable, "-m", "stacks", "status", "--stack", STACK,
                             "--region", REGION, "--endpoint-url", endpoint],
                            env=ENV, capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stderr
    lines = dict(line.split(":", 1) for line in status.stdout.splitlines())
    assert lines["production"].split()[0] == "green"
    assert lines["test"].split()[0] == "blue"
    assert "targets healthy" in lines["blue"]

    # 7. The hazard the guard prevents: the same kind of update with the template's creation
    # routes (what a listener without the guard would carry) moves production to blue.
    deploy(endpoint, moto_ready(load_template(render_template(settings)),
                                settings.service.desired_count), tmp_path, parameters)
    assert forwarded_to(routes(endpoint)[443], groups) == "webapp-dev-blue"
    assert time.monotonic() - started < 60


def test_status_of_a_missing_stack_is_an_error(endpoint):
    result = subprocess.run([sys.executable, "-m", "stacks", "status", "--stack", "nope",
                             "--region", REGION, "--endpoint-url", endpoint],
                            env=ENV, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("error: --stack nope: ")
    assert "Traceback" not in result.stderr
