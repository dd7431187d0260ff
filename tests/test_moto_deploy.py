"""Every variant's deployable template, created in moto's CloudFormation in process (no network,
no AWS account), and its listener routes and security group rules read back through boto3.

What moto cannot do, and how the harness works around it, is listed in tests/moto_harness.py.
"""

from __future__ import annotations

import json
import warnings

import boto3
from moto.core import DEFAULT_ACCOUNT_ID

from moto_harness import MOTO_REGION, moto_ready
from stacks.intrinsics import load_template
from stacks.parameters import DEFAULT_BOOTSTRAP_IMAGE
from variants import deployed, settings_for

REGION = MOTO_REGION


def parameters_for(template: dict) -> dict[str, str]:
    """A value for every parameter without a default, made in moto where it must exist."""
    values = {}
    required = {n for n, p in template["Parameters"].items() if "Default" not in p}
    if "CertificateArn" in required:
        values["CertificateArn"] = boto3.client("acm", region_name=REGION).request_certificate(
            DomainName="app.example.com")["CertificateArn"]
    if "WebAclArn" in required:
        values["WebAclArn"] = boto3.client("wafv2", region_name=REGION).create_web_acl(
            Name="webapp", Scope="REGIONAL", DefaultAction={"Allow": {}},
            VisibilityConfig={"SampledRequestsEnabled": False,
                              "CloudWatchMetricsEnabled": False,
                              "MetricName": "webapp"})["Summary"]["ARN"]
    if "VpcId" in required:
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24",
                                     AvailabilityZone=f"{REGION}{zone}")["Subnet"]["SubnetId"]
                   for i, zone in enumerate("abab")]
        values.update(VpcId=vpc, LoadBalancerSubnetIds=",".join(subnets[:2]),
                      ServiceSubnetIds=",".join(subnets[2:]))
    examples = {
        "ConnectionArn": f"arn:aws:codeconnections:{REGION}:{DEFAULT_ACCOUNT_ID}:connection/"
                         "0123abcd-0123-4567-89ab-0123456789ab",
        "RepositoryId": "example/webapp", "RepositoryName": "webapp",
        "SourceBucket": "example-webapp-source", "SourceObjectKey": "releases/webapp.zip",
        # Engine ecs: the image the service is created with (then the pipeline's).
        "Image": DEFAULT_BOOTSTRAP_IMAGE}
    values.update({name: examples[name] for name in required - set(values)})
    return values


def deploy(variant: str) -> None:
    template = load_template(deployed(variant))
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "no moto support for ..." warnings
        cloudformation.create_stack(
            StackName="smoke", TemplateBody=json.dumps(moto_ready(
                template, settings_for(variant).scaling.min)),
            Capabilities=["CAPABILITY_IAM"],
            Parameters=[{"ParameterKey": k, "ParameterValue": v}
                        for k, v in parameters_for(template).items()])
    stack = cloudformation.describe_stacks(StackName="smoke")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")


def listener_routes() -> dict[int, tuple[str, object]]:
    """Port -> (protocol, {colour: weight} of the forward, or "redirect")."""
    elb = boto3.client("elbv2", region_name=REGION)
    (lb,) = elb.describe_load_balancers()["LoadBalancers"]
    colours = {tg["TargetGroupArn"]: tg["TargetGroupName"].rsplit("-", 1)[1]
               for tg in elb.describe_target_groups()["TargetGroups"]}
    routes = {}
    for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
        (action,) = listener["DefaultActions"]
        # Engine ecs: the route is the listener's rule that matches every request.
        rules = [r for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
                 if not r["IsDefault"]]
        if rules:
            ((rule,),) = (rules,)
            (condition,) = rule["Conditions"]
            assert (condition["Field"], condition["PathPatternConfig"]["Values"]) == (
                "path-pattern", ["/*"])
            (action,) = rule["Actions"]
        target = ({colours[t["TargetGroupArn"]]: t["Weight"]
                   for t in action["ForwardConfig"]["TargetGroups"]}
                  if action["Type"] == "forward" else "redirect")
        routes[listener["Port"]] = (listener["Protocol"], target)
    return routes


def test_every_variant_deploys_with_production_on_blue_and_test_on_green(aws, variant):
    settings = settings_for(variant)
    deploy(variant)
    routes = listener_routes()
    production = 443 if settings.listeners.https else 80
    assert routes[production] == ("HTTPS" if settings.listeners.https else "HTTP",
                                  {"blue": 100, "green": 0})
    assert routes[settings.listeners.test_port] == ("HTTPS" if settings.listeners.https else "HTTP",
                                                    {"blue": 0, "green": 100})
    if settings.listeners.https:
        assert routes[80] == ("HTTP", "redirect")
    ecs = boto3.client("ecs", region_name=REGION)
    (service,) = ecs.describe_services(cluster=settings.resource_id,
                                       services=[settings.resource_id])["services"]
    # moto keeps little of a CODE_DEPLOY service (no load balancer binding, launch type EC2);
    # the property tests check those properties.
    assert service["status"] == "ACTIVE"


def test_existing_vpc_admits_only_the_test_cidrs(aws):
    deploy("existing-vpc")
    ec2 = boto3.client("ec2", region_name=REGION)
    (group,) = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["webapp-staging-lb-sg"]}])["SecurityGroups"]
    sources = {(rule["FromPort"], r["CidrIp"]) for rule in group["IpPermissions"]
               for r in rule["IpRanges"]}
    test_port = settings_for("existing-vpc").listeners.test_port
    assert sources == {(80, "0.0.0.0/0"), (443, "0.0.0.0/0")} | {
        (test_port, cidr) for cidr in settings_for("existing-vpc").listeners.test_cidrs}
