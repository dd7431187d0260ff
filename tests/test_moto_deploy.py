"""Smoke deploys against moto's CloudFormation, in process (no network, no AWS account).

moto is no proof of AWS behaviour (aws-facts.md, section 5), but it resolves every Ref, GetAtt
and Sub of the template, creates the EC2, ELBv2, ECS, ECR, IAM and Logs resources, and lets the
test read back the listeners and security groups through the real boto3 API.

What the harness changes, and why (each is a moto limitation, not a template choice):
- CodeDeploy, CodeBuild and CodePipeline resources, everything that refers to them (the
  pipeline's roles, the source-change rule) and the outputs that name them are removed: moto's
  CloudFormation cannot create them.
- The service's DesiredCount becomes a literal: moto hands the Number parameter to ECS as a
  string and fails on arithmetic with it.
moto returns no stack outputs for this template, so outputs are checked by the property tests.
Application Auto Scaling resources are skipped by moto itself with a warning.
"""

from __future__ import annotations

import json
import warnings

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from conftest import load_template
from variants import rendered, settings_for

REGION = "us-east-1"
CONNECTION = {
    "ConnectionArn": f"arn:aws:codeconnections:{REGION}:{DEFAULT_ACCOUNT_ID}:connection/"
                     "0123abcd-0123-4567-89ab-0123456789ab",
    "RepositoryId": "example/webapp",
}
UNSUPPORTED_PREFIXES = ("AWS::CodeDeploy::", "AWS::CodeBuild::", "AWS::CodePipeline::")


def _refers_to(value, names: set[str]) -> bool:
    text = json.dumps(value)
    return any(f'"{name}"' in text or f'"{name}.' in text or f"${{{name}" in text
               for name in names)


def moto_ready(variant: str) -> dict:
    template = load_template(rendered(variant))
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
    service = template["Resources"]["Service"]["Properties"]
    service["DesiredCount"] = settings_for(variant).service.desired_count
    return template


def deploy(variant: str, parameters: dict[str, str]) -> None:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "no moto support for ..." warnings
        cloudformation.create_stack(
            StackName="smoke", TemplateBody=json.dumps(moto_ready(variant)),
            Capabilities=["CAPABILITY_IAM"],
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    stack = cloudformation.describe_stacks(StackName="smoke")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")


def listener_routes() -> dict[int, tuple[str, str]]:
    """Port -> (protocol, name of the forward target group or redirect)."""
    elb = boto3.client("elbv2", region_name=REGION)
    (lb,) = elb.describe_load_balancers()["LoadBalancers"]
    names = {tg["TargetGroupArn"]: tg["TargetGroupName"]
             for tg in elb.describe_target_groups()["TargetGroups"]}
    routes = {}
    for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
        (action,) = listener["DefaultActions"]
        target = names[action["TargetGroupArn"]] if action["Type"] == "forward" else "redirect"
        routes[listener["Port"]] = (listener["Protocol"], target)
    return routes


@pytest.fixture
def aws(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def test_default_template_deploys_with_https_routes(aws):
    certificate = boto3.client("acm", region_name=REGION).request_certificate(
        DomainName="app.example.com")["CertificateArn"]
    deploy("default", {"CertificateArn": certificate, **CONNECTION})
    assert listener_routes() == {
        443: ("HTTPS", "webapp-dev-blue"),
        80: ("HTTP", "redirect"),
        8080: ("HTTP", "webapp-dev-green"),
    }
    ecs = boto3.client("ecs", region_name=REGION)
    (service,) = ecs.describe_services(cluster="webapp-dev", services=["webapp-dev"])["services"]
    # moto keeps little of a CODE_DEPLOY service (no load balancer binding, launch type EC2);
    # the property tests check those properties.
    assert service["status"] == "ACTIVE"


def test_http_only_template_deploys(aws):
    deploy("http-only", CONNECTION)
    assert listener_routes() == {80: ("HTTP", "webapp-trial-blue"),
                                 8080: ("HTTP", "webapp-trial-green")}


def test_existing_vpc_template_deploys_and_admits_only_test_cidrs(aws):
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24",
                                 AvailabilityZone=f"{REGION}{zone}")["Subnet"]["SubnetId"]
               for i, zone in enumerate("abab")]
    certificate = boto3.client("acm", region_name=REGION).request_certificate(
        DomainName="app.example.com")["CertificateArn"]
    deploy("existing-vpc", {"CertificateArn": certificate, "VpcId": vpc,
                            "LoadBalancerSubnetIds": ",".join(subnets[:2]),
                            "ServiceSubnetIds": ",".join(subnets[2:]), **CONNECTION})
    (group,) = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["webapp-staging-lb-sg"]}])["SecurityGroups"]
    sources = {(rule["FromPort"], r["CidrIp"]) for rule in group["IpPermissions"]
               for r in rule["IpRanges"]}
    assert sources == {(80, "0.0.0.0/0"), (443, "0.0.0.0/0"), (8080, "10.0.0.0/8")}
