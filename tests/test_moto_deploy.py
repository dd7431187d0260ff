"""Smoke deploys against moto's CloudFormation, in process (no network, no AWS account).

Reads the listener routes and security group rules back through boto3. What moto cannot do,
and how the harness works around it, is listed in tests/moto_harness.py.
"""

from __future__ import annotations

import json
import warnings

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from conftest import load_template
from moto_harness import moto_ready
from variants import rendered, settings_for

REGION = "us-east-1"
CONNECTION = {
    "ConnectionArn": f"arn:aws:codeconnections:{REGION}:{DEFAULT_ACCOUNT_ID}:connection/"
                     "0123abcd-0123-4567-89ab-0123456789ab",
    "RepositoryId": "example/webapp",
}


def deploy(variant: str, parameters: dict[str, str]) -> None:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "no moto support for ..." warnings
        cloudformation.create_stack(
            StackName="smoke", TemplateBody=json.dumps(moto_ready(
                load_template(rendered(variant)), settings_for(variant).service.desired_count)),
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
