"""Property tests: what the template must mean, for every variant.

Each test states one intent of the design (seed-design.md) and checks it on the rendered
template. Where a setting's value lands is checked in tests/test_every_setting.py; the size
limits in tests/test_size.py; the IAM documents in tests/test_iam.py.
"""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path

import pytest

from stacks.naming import names_for
from stacks.settings import RESOURCE_ID_MAX, SSL_POLICY_PATTERN, parse_settings
from variants import VARIANTS, rendered, settings_for

README = Path(__file__).resolve().parents[1] / "README.md"

ACCOUNT = "1" * 12  # a made-up account id for pattern tests


def resources(template, type_name):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == type_name}


def only(template, type_name):
    found = resources(template, type_name)
    assert len(found) == 1, f"expected one {type_name}, found {sorted(found)}"
    return next(iter(found.items()))


def props(template, logical_id):
    return template["Resources"][logical_id]["Properties"]


def ref(logical_id):
    return {"Ref": logical_id}


# --- syntax and partition ---------------------------------------------------------------------

def test_no_yaml_aliases(variant):
    """CloudFormation rejects YAML anchors and aliases."""
    assert not re.search(r"(^|[\s\[,])[&*]id\d+", rendered(variant), re.M)


def test_no_literal_aws_partition(variant):
    assert "arn:aws:" not in rendered(variant)


# --- names and tags -----------------------------------------------------------------------------

# (resource type, name property, AWS maximum length)
NAME_LIMITS = [
    ("AWS::ElasticLoadBalancingV2::TargetGroup", "Name", 32),
    ("AWS::ElasticLoadBalancingV2::LoadBalancer", "Name", 32),
    ("AWS::ECS::Cluster", "ClusterName", 255),
    ("AWS::ECS::Service", "ServiceName", 255),
    ("AWS::ECS::TaskDefinition", "Family", 255),
    ("AWS::ECR::Repository", "RepositoryName", 256),
    ("AWS::Logs::LogGroup", "LogGroupName", 512),
    ("AWS::EC2::SecurityGroup", "GroupName", 255),
    ("AWS::CodeDeploy::Application", "ApplicationName", 100),
    ("AWS::CodeDeploy::DeploymentGroup", "DeploymentGroupName", 100),
    ("AWS::CodeDeploy::DeploymentConfig", "DeploymentConfigName", 100),
    ("AWS::ApplicationAutoScaling::ScalingPolicy", "PolicyName", 256),
    ("AWS::Lambda::Function", "FunctionName", 64),
    ("AWS::CloudWatch::Alarm", "AlarmName", 255),
]


def test_every_physical_name_fits_its_limit(template):
    for type_name, prop, limit in NAME_LIMITS:
        for logical_id, resource in resources(template, type_name).items():
            name = resource["Properties"][prop]
            assert isinstance(name, str) and len(name) <= limit, (logical_id, name, limit)


def test_longest_allowed_names_still_fit():
    """The settings limit is what keeps names legal: at the limit, every name fits."""
    longest = parse_settings({"service": {"name": "a" * 12,
                                          "environment": "b" * (RESOURCE_ID_MAX - 13)}})
    assert len(longest.resource_id) == RESOURCE_ID_MAX
    for key, (value, limit) in names_for(longest).limits().items():
        assert len(value) <= limit, (key, value)


def test_only_the_task_definition_and_the_service_repeat_the_stack_tags(template, variant):
    """Every other resource gets Environment and Application from the stack's tags, which
    CloudFormation propagates (stacks/tags.py); these two keep them in the template because
    a tag change on them after creation is a new revision or an UpdateService."""
    settings = settings_for(variant)
    expected = {"Environment": settings.service.environment,
                "Application": settings.service.name}
    tagged = {}
    for logical_id, resource in template["Resources"].items():
        tags = {t["Key"]: t["Value"] for t in resource.get("Properties", {}).get("Tags", [])}
        if set(tags) - {"Name"}:
            tagged[logical_id] = tags
    assert tagged == {"TaskDefinition": expected, "Service": expected}


def test_the_deploy_command_gives_the_stack_its_tags():
    command = README.read_text(encoding="utf-8").split("aws cloudformation deploy \\\n", 1)[1]
    command = command.split("```", 1)[0]
    assert "--tags Application=webapp Environment=dev" in " ".join(command.split())


# --- load balancer, target groups, listeners ----------------------------------------------------

def test_blue_and_green_target_groups_differ_only_in_name(template):
    groups = resources(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert sorted(groups) == ["TargetGroupBlue", "TargetGroupGreen"]

    def without_identity(p):
        return {k: v for k, v in p.items() if k not in ("Name", "Tags")}

    blue, green = (groups[g]["Properties"] for g in ("TargetGroupBlue", "TargetGroupGreen"))
    assert without_identity(blue) == without_identity(green)
    assert blue["Name"].endswith("-blue") and green["Name"].endswith("-green")
    # Fargate tasks register by their awsvpc address.
    assert blue["TargetType"] == "ip" and blue["Protocol"] == "HTTP"
    assert blue["ProtocolVersion"] == "HTTP1" and blue["HealthCheckEnabled"] is True
    assert blue["HealthCheckTimeoutSeconds"] < blue["HealthCheckIntervalSeconds"]


def test_load_balancer_drops_invalid_headers(template):
    _, lb = only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    attributes = {a["Key"]: a["Value"] for a in lb["Properties"]["LoadBalancerAttributes"]}
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert lb["Properties"]["Scheme"] == "internet-facing"


def test_forwarding_listeners_take_their_weights_from_the_guard(codedeploy_template):
    """Both forwarding listeners forward to blue and green, with the weights the live-route
    guard answers (tests/test_live_routes.py); the deployment group routes through them."""
    template = codedeploy_template
    for route, listener in (("Production", "ProductionListener"), ("Test", "TestListener")):
        (action,) = props(template, listener)["DefaultActions"]
        assert action == {"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": ref(f"TargetGroup{colour}"),
             "Weight": {"Fn::GetAtt": ["LiveRoutes", f"{route}{colour}"]}}
            for colour in ("Blue", "Green")]}}
    (pair,) = props(template, "DeploymentGroup")["LoadBalancerInfo"]["TargetGroupPairInfoList"]
    assert pair["ProdTrafficRoute"] == {"ListenerArns": [ref("ProductionListener")]}
    assert pair["TestTrafficRoute"] == {"ListenerArns": [ref("TestListener")]}


@pytest.mark.parametrize("policy", ["ELBSecurityPolicy-2016-08",
                                    "ELBSecurityPolicy-TLS-1-1-2017-01",
                                    "ELBSecurityPolicy-TLS13-1-0-2021-06",
                                    "ELBSecurityPolicy-FS-2018-06"])
def test_ssl_policy_pattern_refuses_tls_1_0_and_1_1(policy):
    """Policies that still accept TLS 1.0 or 1.1, as AWS lists them:
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
    """
    assert not re.match(SSL_POLICY_PATTERN, policy)


# --- security groups ------------------------------------------------------------------------------

def _ingress_rules(template):
    """Every ingress rule: (group logical id, rule) from inline rules and rule resources."""
    rules = []
    for name, group in resources(template, "AWS::EC2::SecurityGroup").items():
        rules += [(name, rule) for rule in group["Properties"].get("SecurityGroupIngress", [])]
    for rule in resources(template, "AWS::EC2::SecurityGroupIngress").values():
        group = rule["Properties"]["GroupId"]["Fn::GetAtt"][0]
        rules.append((group, rule["Properties"]))
    return rules


def _nat_sources(template):
    """The /32 of each NAT address, as the template writes it."""
    return [{"Fn::Sub": f"${{{name}}}/32"} for name in sorted(template["Resources"])
            if template["Resources"][name]["Type"] == "AWS::EC2::EIP"]


def test_test_listener_is_never_open_to_the_world(template, variant):
    test_port = settings_for(variant).listeners.test_port
    for group, rule in _ingress_rules(template):
        if group == "LoadBalancerSecurityGroup" and rule["FromPort"] <= test_port <= rule["ToPort"]:
            assert "CidrIpv6" not in rule
            if isinstance(rule["CidrIp"], dict):  # a NAT gateway's own address
                assert rule["CidrIp"] in _nat_sources(template)
            else:
                assert ipaddress.ip_network(rule["CidrIp"]).prefixlen > 0


def test_load_balancer_admits_exactly_its_listener_ports(template, variant):
    settings = settings_for(variant)
    listener_ports = {r["Properties"]["Port"] for r in resources(
        template, "AWS::ElasticLoadBalancingV2::Listener").values()}
    world = sorted(rule["FromPort"] for group, rule in _ingress_rules(template)
                   if group == "LoadBalancerSecurityGroup" and rule.get("CidrIp") == "0.0.0.0/0")
    assert set(world) == listener_ports - {settings.listeners.test_port}
    test_sources = [rule["CidrIp"] for group, rule in _ingress_rules(template)
                    if group == "LoadBalancerSecurityGroup"
                    and rule["FromPort"] == settings.listeners.test_port]
    # The configured networks, and the NAT addresses the test-traffic hook comes from.
    expected = list(settings.listeners.test_cidrs)
    if settings.hooks.enabled:
        expected += _nat_sources(template)
    assert sorted(map(str, test_sources)) == sorted(map(str, expected))
    for _, rule in _ingress_rules(template):
        assert rule["IpProtocol"] == "tcp" and rule["FromPort"] == rule["ToPort"]


def test_tasks_admit_only_the_load_balancer(template):
    task_rules = [rule for group, rule in _ingress_rules(template)
                  if group == "ServiceSecurityGroup"]
    (rule,) = task_rules
    assert rule["SourceSecurityGroupId"] == {"Fn::GetAtt": ["LoadBalancerSecurityGroup",
                                                            "GroupId"]}
    assert "CidrIp" not in rule


def test_load_balancer_egress_only_to_the_tasks(template, variant):
    port = settings_for(variant).service.container_port
    egress = props(template, "LoadBalancerSecurityGroup")["SecurityGroupEgress"]
    assert [(r["FromPort"], r["ToPort"], r["DestinationSecurityGroupId"]) for r in egress] == [
        (port, port, {"Fn::GetAtt": ["ServiceSecurityGroup", "GroupId"]})]


# --- ECS ----------------------------------------------------------------------------------------

def test_service_is_code_deploy_with_family_only_task_definition(codedeploy_template):
    template = codedeploy_template
    service = template["Resources"]["Service"]
    p = service["Properties"]
    assert p["DeploymentController"] == {"Type": "CODE_DEPLOY"}
    family = props(template, "TaskDefinition")["Family"]
    # A plain family name: no Ref, no revision, so stack updates never touch it.
    assert p["TaskDefinition"] == family and ":" not in family
    # Created after the listeners, or creation fails ("target group ... does not have an
    # associated load balancer"), and after the task definition its family names.
    assert set(service["DependsOn"]) >= {"TaskDefinition", "ProductionListener", "TestListener"}
    assert p["LoadBalancers"][0]["TargetGroupArn"] == ref("TargetGroupBlue")
    assert p["LaunchType"] == "FARGATE" and p["SchedulingStrategy"] == "REPLICA"
    assert "DeploymentConfiguration" not in p  # no circuit breaker/alarms with CODE_DEPLOY
    # No DesiredCount: CloudFormation would send it on every update and reset what auto
    # scaling set; without it, a service starts with 1 and an update keeps the count
    # (CloudFormation's behaviour as aws-cdk#13130 quotes it); the scalable target's minimum
    # sets the size.
    assert "DesiredCount" not in p


def test_first_deployment_runs_healthy_tasks(codedeploy_template):
    template = codedeploy_template
    image = template["Parameters"]["BootstrapImage"]
    assert re.match(image["AllowedPattern"], image["Default"])
    container = props(template, "TaskDefinition")["ContainerDefinitions"][0]
    assert container["Image"] == ref("BootstrapImage")
    _, target = only(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert target["Properties"]["MinCapacity"] >= 1


def test_task_definition_roles_and_logs(template):
    p = props(template, "TaskDefinition")
    assert p["RequiresCompatibilities"] == ["FARGATE"] and p["NetworkMode"] == "awsvpc"
    assert p["ExecutionRoleArn"] == {"Fn::GetAtt": ["TaskExecutionRole", "Arn"]}
    assert p["TaskRoleArn"] == {"Fn::GetAtt": ["TaskRole", "Arn"]}
    (container,) = p["ContainerDefinitions"]
    assert container["Essential"] is True
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    assert container["LogConfiguration"]["Options"]["awslogs-group"] == ref("LogGroup")


def test_tasks_run_in_private_subnets_of_a_created_network(template, variant):
    if settings_for(variant).network.mode != "create":
        pytest.skip("existing network")
    vpc = props(template, "Service")["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert vpc["Subnets"] == [ref("PrivateSubnet1"), ref("PrivateSubnet2")]


def test_cluster_and_repository(template):
    _, cluster = only(template, "AWS::ECS::Cluster")
    assert {"Name": "containerInsights", "Value": "enabled"} in \
        cluster["Properties"]["ClusterSettings"]
    for _, group in resources(template, "AWS::Logs::LogGroup").items():
        assert group["Properties"].get("RetentionInDays", "never") != 0  # CloudFormation: 0 fails
    repo = props(template, "Repository")
    assert repo["ImageTagMutability"] == "IMMUTABLE"
    assert repo["ImageScanningConfiguration"] == {"ScanOnPush": True}
    rules = json.loads(repo["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
    keep = [r for r in rules if r["selection"]["tagStatus"] == "any"]
    # ECR requires the "any" rule to have the lowest priority (highest number).
    assert keep[0]["rulePriority"] == max(r["rulePriority"] for r in rules)


def test_auto_scaling_targets_the_service_by_cluster_and_service(template):
    _, target = only(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    p = target["Properties"]
    assert p["ResourceId"] == {"Fn::Join": ["/", [
        "service", ref("Cluster"), {"Fn::GetAtt": ["Service", "Name"]}]]}
    assert p["ScalableDimension"] == "ecs:service:DesiredCount"


# --- CodeDeploy -----------------------------------------------------------------------------------

def test_deployment_group_is_blue_green_with_rollback(codedeploy_template):
    template = codedeploy_template
    _, app = only(template, "AWS::CodeDeploy::Application")
    assert app["Properties"]["ComputePlatform"] == "ECS"
    p = props(template, "DeploymentGroup")
    assert p["DeploymentStyle"] == {"DeploymentType": "BLUE_GREEN",
                                    "DeploymentOption": "WITH_TRAFFIC_CONTROL"}
    rollback = p["AutoRollbackConfiguration"]
    assert rollback["Enabled"] is True
    assert {"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"} <= set(rollback["Events"])
    assert p["ECSServices"] == [{"ClusterName": ref("Cluster"),
                                 "ServiceName": {"Fn::GetAtt": ["Service", "Name"]}}]
    (pair,) = p["LoadBalancerInfo"]["TargetGroupPairInfoList"]
    assert pair["TargetGroups"] == [
        {"Name": {"Fn::GetAtt": ["TargetGroupBlue", "TargetGroupName"]}},
        {"Name": {"Fn::GetAtt": ["TargetGroupGreen", "TargetGroupName"]}}]


def test_custom_deployment_config_names_carry_their_values(template):
    """A named custom config cannot change in place: its values are in its name, so a change
    replaces it instead of failing the update."""
    for _, config in resources(template, "AWS::CodeDeploy::DeploymentConfig").items():
        p = config["Properties"]
        kind = p["TrafficRoutingConfig"]["Type"]
        step = list(p["TrafficRoutingConfig"][kind].values())
        assert all(f"{value}" in p["DeploymentConfigName"] for value in step)


# --- IAM ------------------------------------------------------------------------------------------

def _trusted_services(role):
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == ["sts:AssumeRole"]
    return statement["Principal"]["Service"]


def test_codedeploy_role_uses_the_ecs_managed_policy_with_the_right_path(codedeploy_template):
    template = codedeploy_template
    role = template["Resources"]["CodeDeployRole"]
    assert _trusted_services(role) == ["codedeploy.amazonaws.com"]
    assert role["Properties"]["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSCodeDeployRoleForECS"}]
    assert props(template, "DeploymentGroup")["ServiceRoleArn"] == {
        "Fn::GetAtt": ["CodeDeployRole", "Arn"]}


def test_task_roles_trust_ecs_tasks_and_the_task_role_starts_empty(template):
    for name in ("TaskExecutionRole", "TaskRole"):
        role = template["Resources"][name]
        assert _trusted_services(role) == ["ecs-tasks.amazonaws.com"]
        assert "ManagedPolicyArns" not in role["Properties"]
    assert "Policies" not in props(template, "TaskRole")


# --- parameters, network, outputs ------------------------------------------------------------------

def test_every_parameter_is_constrained_and_described(template):
    for name, parameter in template["Parameters"].items():
        assert parameter.get("Description"), name
        kind = parameter["Type"]
        if kind == "String":
            assert parameter.get("AllowedPattern") or parameter.get("AllowedValues"), name
            assert "MaxLength" in parameter, name
        elif kind == "Number":
            assert "MinValue" in parameter and "MaxValue" in parameter, name
        else:  # AWS-specific types are validated by CloudFormation against the account
            assert kind.startswith(("AWS::", "List<AWS::")), name


def test_certificate_pattern_accepts_every_partition_and_nothing_else(template):
    if "CertificateArn" not in template["Parameters"]:
        pytest.skip("no HTTPS")
    pattern = template["Parameters"]["CertificateArn"]["AllowedPattern"]
    uuid = "0123abcd-0123-4567-89ab-0123456789ab"
    for partition in ("aws", "aws-cn", "aws-us-gov"):
        assert re.match(pattern, f"arn:{partition}:acm:eu-west-1:{ACCOUNT}:certificate/{uuid}")
    for bad in ("", f"arn:aws:iam::{ACCOUNT}:role/x", f"certificate/{uuid}",
                f"arn:aws:acm:eu-west-1:12345:certificate/{uuid}"):
        assert not re.match(pattern, bad)


def test_existing_network_comes_from_parameters(template, variant):
    settings = settings_for(variant)
    if settings.network.mode != "existing":
        pytest.skip("created network")
    assert template["Parameters"]["VpcId"]["Type"] == "AWS::EC2::VPC::Id"
    for name in ("LoadBalancerSubnetIds", "ServiceSubnetIds"):
        assert template["Parameters"][name]["Type"] == "List<AWS::EC2::Subnet::Id>"
    assert sorted(template["Rules"]) == ["LoadBalancerSubnetsInVpc", "ServiceSubnetsInVpc"]
    assert props(template, "LoadBalancer")["Subnets"] == ref("LoadBalancerSubnetIds")


def test_created_network_spans_two_zones_with_private_tasks(template, variant):
    settings = settings_for(variant)
    if settings.network.mode != "create":
        pytest.skip("existing network")
    subnets = resources(template, "AWS::EC2::Subnet")
    assert sorted(subnets) == ["PrivateSubnet1", "PrivateSubnet2", "PublicSubnet1",
                               "PublicSubnet2"]
    zones = {name: s["Properties"]["AvailabilityZone"] for name, s in subnets.items()}
    assert zones["PublicSubnet1"] != zones["PublicSubnet2"]
    assert zones["PrivateSubnet1"] != zones["PrivateSubnet2"]
    cidrs = [ipaddress.ip_network(s["Properties"]["CidrBlock"]) for s in subnets.values()]
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1:])
    assert props(template, "LoadBalancer")["Subnets"] == [ref("PublicSubnet1"),
                                                          ref("PublicSubnet2")]
    nats = resources(template, "AWS::EC2::NatGateway")
    # Each private subnet routes to the internet through a NAT gateway, never directly.
    tables = {a["Properties"]["SubnetId"]["Ref"]: a["Properties"]["RouteTableId"]["Ref"]
              for a in resources(template, "AWS::EC2::SubnetRouteTableAssociation").values()}
    for zone in (1, 2):
        routes = [r["Properties"] for r in resources(template, "AWS::EC2::Route").values()
                  if r["Properties"]["RouteTableId"] == ref(tables[f"PrivateSubnet{zone}"])]
        assert [r["NatGatewayId"]["Ref"] in nats for r in routes] == [True]


def test_public_routes_wait_for_the_gateway_attachment(template, variant):
    """AWS's DependsOn page: an Elastic IP address and a route through an internet gateway
    must wait for the VPC-gateway attachment, or their creation can fail.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-dependson.html
    """
    if settings_for(variant).network.mode != "create":
        pytest.skip("existing network")
    (attachment,) = resources(template, "AWS::EC2::VPCGatewayAttachment")
    gateway_routes = [r for r in resources(template, "AWS::EC2::Route").values()
                      if "GatewayId" in r["Properties"]]
    assert gateway_routes and all(r.get("DependsOn") == attachment for r in gateway_routes)
    for address in resources(template, "AWS::EC2::EIP").values():
        assert address.get("DependsOn") == attachment


def test_outputs(template, variant):
    expected = {"ProductionUrl", "TestUrl", "LoadBalancerDnsName", "ClusterName",
                "ServiceName", "TaskFamily", "RepositoryUri", "BlueTargetGroupName",
                "GreenTargetGroupName", "PipelineName", "PipelineConsoleUrl",
                "ArtifactBucketName"}
    if settings_for(variant).deployment.engine == "codedeploy":
        expected |= {"CodeDeployApplication", "DeploymentGroup"}
    assert set(template["Outputs"]) == expected
    assert "Export" not in json.dumps(template["Outputs"])


def test_variants_cover_the_required_cases():
    kinds = {(s.listeners.https, s.network.mode, s.deployment.traffic,
              bool(s.deployment.approval_wait_minutes))
             for s in map(settings_for, VARIANTS)}
    assert any(not https for https, *_ in kinds)
    assert {mode for _, mode, _, _ in kinds} == {"create", "existing"}
    assert {traffic for _, _, traffic, _ in kinds} == {"all-at-once", "canary", "linear"}
    assert any(approval for *_, approval in kinds)
