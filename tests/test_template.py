"""Property tests: what the template must mean, for every variant.

Each test states one intent of the design (seed-design.md) and checks it on the rendered
template, so that a change which breaks the intent fails here with a readable message.
"""

from __future__ import annotations

import ipaddress
import json
import re

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from stacks.naming import names_for
from stacks.settings import RESOURCE_ID_MAX, SSL_POLICY_PATTERN
from variants import VARIANTS, rendered, settings_for

TEMPLATE_BODY_LIMIT = 51_200  # bytes, `aws cloudformation deploy --template-file` without S3
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


# --- size, partition, determinism ---------------------------------------------------------

def test_default_template_fits_the_direct_upload_limit():
    """The default deploys with `aws cloudformation deploy --template-file` and no bucket;
    other variants are measured by `make bench`, and the CLI warns when one is over."""
    assert len(rendered("default").encode()) <= TEMPLATE_BODY_LIMIT


def test_no_yaml_aliases(variant):
    """CloudFormation rejects YAML anchors and aliases."""
    assert not re.search(r"(^|[\s\[,])[&*]id\d+", rendered(variant), re.M)


def test_no_literal_aws_partition(variant):
    assert "arn:aws:" not in rendered(variant)


def test_rendering_is_deterministic(variant):
    from stacks.template import render_template
    assert render_template(settings_for(variant)) == render_template(settings_for(variant))


# --- names and tags -----------------------------------------------------------------------

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
]


def test_every_physical_name_fits_its_limit(template):
    for type_name, prop, limit in NAME_LIMITS:
        for logical_id, resource in resources(template, type_name).items():
            name = resource["Properties"][prop]
            assert isinstance(name, str) and len(name) <= limit, (logical_id, name, limit)


def test_longest_allowed_names_still_fit():
    """The settings limit is what keeps names legal: at the limit, every name fits."""
    from stacks.settings import parse_settings
    longest = parse_settings({"service": {"name": "a" * 12,
                                          "environment": "b" * (RESOURCE_ID_MAX - 13)}})
    assert len(longest.resource_id) == RESOURCE_ID_MAX
    for key, (value, limit) in names_for(longest).limits().items():
        assert len(value) <= limit, (key, value)


def test_every_taggable_resource_is_tagged(template, variant):
    settings = settings_for(variant)
    expected = {"Environment": settings.service.environment,
                "Application": settings.service.name}
    for logical_id, resource in template["Resources"].items():
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource["Type"])
        if "Tags" not in schema.schema.get("properties", {}):
            continue
        tags = {t["Key"]: t["Value"] for t in resource["Properties"].get("Tags", [])}
        assert expected.items() <= tags.items(), logical_id


# --- load balancer, target groups, listeners ------------------------------------------------

def test_blue_and_green_target_groups_differ_only_in_name(template, variant):
    settings = settings_for(variant)
    hc = settings.health_check
    groups = resources(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert sorted(groups) == ["TargetGroupBlue", "TargetGroupGreen"]

    def without_identity(p):
        return {k: v for k, v in p.items() if k not in ("Name", "Tags")}

    blue, green = (groups[g]["Properties"] for g in ("TargetGroupBlue", "TargetGroupGreen"))
    assert without_identity(blue) == without_identity(green)
    assert blue["Name"].endswith("-blue") and green["Name"].endswith("-green")
    assert blue["TargetType"] == "ip" and blue["Protocol"] == "HTTP"
    assert blue["ProtocolVersion"] == "HTTP1"
    assert blue["Port"] == settings.service.container_port
    assert blue["HealthCheckPath"] == settings.service.health_check_path
    assert blue["HealthCheckIntervalSeconds"] == hc.interval_seconds
    assert blue["HealthCheckTimeoutSeconds"] == hc.timeout_seconds
    assert blue["HealthCheckTimeoutSeconds"] < blue["HealthCheckIntervalSeconds"]
    assert blue["HealthyThresholdCount"] == hc.healthy_threshold
    assert blue["UnhealthyThresholdCount"] == hc.unhealthy_threshold
    assert blue["Matcher"] == {"HttpCode": hc.success_codes}
    assert blue["TargetGroupAttributes"] == [{
        "Key": "deregistration_delay.timeout_seconds",
        "Value": str(hc.deregistration_delay_seconds)}]


def test_load_balancer_drops_invalid_headers(template):
    _, lb = only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    attributes = {a["Key"]: a["Value"] for a in lb["Properties"]["LoadBalancerAttributes"]}
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert lb["Properties"]["Scheme"] == "internet-facing"


def _listeners(template):
    return {p["Port"]: p for p in (r["Properties"] for r in resources(
        template, "AWS::ElasticLoadBalancingV2::Listener").values())}


def test_production_forwards_to_blue_and_test_to_green(template, variant):
    """At creation the live-route guard answers blue for production and green for test
    (tests/test_live_routes.py); the listeners forward to its answer."""
    settings = settings_for(variant)
    production = props(template, "ProductionListener")
    test = props(template, "TestListener")
    assert production["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": {
        "Fn::GetAtt": ["LiveRoutes", "Production"]}}]
    assert test["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": {
        "Fn::GetAtt": ["LiveRoutes", "Test"]}}]
    guard = props(template, "LiveRoutes")
    assert (guard["BlueTargetGroupArn"], guard["GreenTargetGroupArn"]) == (
        ref("TargetGroupBlue"), ref("TargetGroupGreen"))
    assert guard["ProductionPort"] == str(production["Port"])
    assert test["Port"] == settings.listeners.test_port and test["Protocol"] == "HTTP"


def test_https_listeners(template, variant):
    settings = settings_for(variant)
    listeners = _listeners(template)
    if settings.listeners.https:
        assert sorted(listeners) == sorted([80, 443, settings.listeners.test_port])
        production = listeners[443]
        assert production["Protocol"] == "HTTPS"
        assert production["Certificates"] == [{"CertificateArn": ref("CertificateArn")}]
        assert re.match(SSL_POLICY_PATTERN, production["SslPolicy"])
        assert listeners[80]["DefaultActions"] == [{"Type": "redirect", "RedirectConfig": {
            "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
        assert "CertificateArn" in template["Parameters"]
    else:
        assert sorted(listeners) == sorted([80, settings.listeners.test_port])
        assert listeners[80]["Protocol"] == "HTTP"
        assert "Certificates" not in listeners[80]
        assert "CertificateArn" not in template["Parameters"]


@pytest.mark.parametrize("policy", ["ELBSecurityPolicy-2016-08",
                                    "ELBSecurityPolicy-TLS-1-1-2017-01",
                                    "ELBSecurityPolicy-TLS13-1-0-2021-06",
                                    "ELBSecurityPolicy-FS-2018-06"])
def test_ssl_policy_pattern_refuses_tls_1_0_and_1_1(policy):
    assert not re.match(SSL_POLICY_PATTERN, policy)


# --- security groups ----------------------------------------------------------------------

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
    for _, rule in _ingress_rules(template):
        if rule["FromPort"] <= test_port <= rule["ToPort"]:
            assert "CidrIpv6" not in rule
            if isinstance(rule["CidrIp"], dict):  # a NAT gateway's own address
                assert rule["CidrIp"] in _nat_sources(template)
            else:
                assert ipaddress.ip_network(rule["CidrIp"]).prefixlen > 0


def test_load_balancer_admits_exactly_its_listener_ports(template, variant):
    settings = settings_for(variant)
    world = sorted(rule["FromPort"] for group, rule in _ingress_rules(template)
                   if group == "LoadBalancerSecurityGroup" and rule.get("CidrIp") == "0.0.0.0/0")
    assert world == ([80, 443] if settings.listeners.https else [80])
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


def test_tasks_admit_only_the_load_balancer(template, variant):
    port = settings_for(variant).service.container_port
    task_rules = [rule for group, rule in _ingress_rules(template)
                  if group == "ServiceSecurityGroup"]
    assert task_rules == [{
        "GroupId": {"Fn::GetAtt": ["ServiceSecurityGroup", "GroupId"]},
        "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
        "SourceSecurityGroupId": {"Fn::GetAtt": ["LoadBalancerSecurityGroup", "GroupId"]},
        "Description": "From the load balancer"}]


def test_load_balancer_egress_only_to_the_tasks(template, variant):
    port = settings_for(variant).service.container_port
    egress = props(template, "LoadBalancerSecurityGroup")["SecurityGroupEgress"]
    assert [(r["FromPort"], r["ToPort"], r["DestinationSecurityGroupId"]) for r in egress] == [
        (port, port, {"Fn::GetAtt": ["ServiceSecurityGroup", "GroupId"]})]


# --- ECS ------------------------------------------------------------------------------------

def test_service_is_code_deploy_with_family_only_task_definition(template, variant):
    settings = settings_for(variant)
    service = template["Resources"]["Service"]
    p = service["Properties"]
    assert p["DeploymentController"] == {"Type": "CODE_DEPLOY"}
    family = props(template, "TaskDefinition")["Family"]
    # A plain family name: no Ref, no revision, so stack updates never touch it.
    assert p["TaskDefinition"] == family and ":" not in family
    assert set(service["DependsOn"]) >= {"TaskDefinition", "ProductionListener", "TestListener"}
    assert p["LoadBalancers"] == [{"ContainerName": settings.resource_id,
                                   "ContainerPort": settings.service.container_port,
                                   "TargetGroupArn": ref("TargetGroupBlue")}]
    assert p["LaunchType"] == "FARGATE" and p["SchedulingStrategy"] == "REPLICA"
    assert p["DesiredCount"] == ref("DesiredCount")
    assert p["HealthCheckGracePeriodSeconds"] == settings.service.health_check_grace_seconds
    assert "DeploymentConfiguration" not in p  # no circuit breaker/alarms with CODE_DEPLOY


def test_first_deployment_runs_healthy_tasks(template, variant):
    settings = settings_for(variant)
    desired = template["Parameters"]["DesiredCount"]
    assert int(desired["MinValue"]) >= 1
    assert int(desired["Default"]) == settings.service.desired_count >= 1
    image = template["Parameters"]["BootstrapImage"]
    assert re.match(image["AllowedPattern"], image["Default"])
    container = props(template, "TaskDefinition")["ContainerDefinitions"][0]
    assert container["Image"] == ref("BootstrapImage")


def test_task_definition(template, variant):
    settings = settings_for(variant)
    p = props(template, "TaskDefinition")
    assert p["RequiresCompatibilities"] == ["FARGATE"] and p["NetworkMode"] == "awsvpc"
    assert (p["Cpu"], p["Memory"]) == (str(settings.service.cpu), str(settings.service.memory))
    assert p["ExecutionRoleArn"] == {"Fn::GetAtt": ["TaskExecutionRole", "Arn"]}
    assert p["TaskRoleArn"] == {"Fn::GetAtt": ["TaskRole", "Arn"]}
    (container,) = p["ContainerDefinitions"]
    assert container["Name"] == settings.resource_id and container["Essential"] is True
    assert container["PortMappings"] == [{"ContainerPort": settings.service.container_port,
                                          "Protocol": "tcp"}]
    assert container["LogConfiguration"] == {"LogDriver": "awslogs", "Options": {
        "awslogs-group": ref("LogGroup"), "awslogs-region": ref("AWS::Region"),
        "awslogs-stream-prefix": settings.resource_id}}


def test_tasks_get_public_ips_only_when_asked(template, variant):
    settings = settings_for(variant)
    vpc = props(template, "Service")["NetworkConfiguration"]["AwsvpcConfiguration"]
    expected = "ENABLED" if settings.network.assign_public_ip else "DISABLED"
    assert vpc["AssignPublicIp"] == expected
    if settings.network.mode == "create":
        assert vpc["Subnets"] == [ref("PrivateSubnet1"), ref("PrivateSubnet2")]


def test_cluster_logs_and_repository(template, variant):
    settings = settings_for(variant)
    _, cluster = only(template, "AWS::ECS::Cluster")
    assert {"Name": "containerInsights", "Value": "enabled"} in \
        cluster["Properties"]["ClusterSettings"]
    log_group = props(template, "LogGroup")
    assert log_group.get("RetentionInDays", "never") != 0
    if settings.service.log_retention_days:
        assert log_group["RetentionInDays"] == settings.service.log_retention_days
    repo = props(template, "Repository")
    assert repo["ImageTagMutability"] == "IMMUTABLE"
    assert repo["ImageScanningConfiguration"] == {"ScanOnPush": True}
    rules = json.loads(repo["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
    keep = [r for r in rules if r["selection"]["tagStatus"] == "any"]
    assert [r["selection"]["countNumber"] for r in keep] == [settings.service.keep_images]
    # ECR requires the "any" rule to have the lowest priority (highest number).
    assert keep[0]["rulePriority"] == max(r["rulePriority"] for r in rules)


def test_auto_scaling_targets_the_service_by_cluster_and_service(template, variant):
    scaling = settings_for(variant).scaling
    _, target = only(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    p = target["Properties"]
    assert p["ResourceId"] == {"Fn::Join": ["/", [
        "service", ref("Cluster"), {"Fn::GetAtt": ["Service", "Name"]}]]}
    assert (p["MinCapacity"], p["MaxCapacity"]) == (scaling.min, scaling.max)
    assert p["ScalableDimension"] == "ecs:service:DesiredCount"
    policies = {r["Properties"]["TargetTrackingScalingPolicyConfiguration"]
                ["PredefinedMetricSpecification"]["PredefinedMetricType"]:
                r["Properties"]["TargetTrackingScalingPolicyConfiguration"]
                for r in resources(template, "AWS::ApplicationAutoScaling::ScalingPolicy").values()}
    assert {k: v["TargetValue"] for k, v in policies.items()} == {
        "ECSServiceAverageCPUUtilization": scaling.cpu_target,
        "ECSServiceAverageMemoryUtilization": scaling.memory_target}
    for config in policies.values():
        assert config["ScaleInCooldown"] == scaling.scale_in_cooldown_seconds
        assert config["ScaleOutCooldown"] == scaling.scale_out_cooldown_seconds


# --- CodeDeploy -----------------------------------------------------------------------------

def test_deployment_group_is_blue_green_with_rollback(template, variant):
    dep = settings_for(variant).deployment
    _, app = only(template, "AWS::CodeDeploy::Application")
    assert app["Properties"]["ComputePlatform"] == "ECS"
    p = props(template, "DeploymentGroup")
    assert p["DeploymentStyle"] == {"DeploymentType": "BLUE_GREEN",
                                    "DeploymentOption": "WITH_TRAFFIC_CONTROL"}
    alarms = settings_for(variant).alarms
    assert p["AutoRollbackConfiguration"] == {
        "Enabled": True, "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]
        + (["DEPLOYMENT_STOP_ON_ALARM"] if alarms.enabled else [])}
    assert p["ECSServices"] == [{"ClusterName": ref("Cluster"),
                                 "ServiceName": {"Fn::GetAtt": ["Service", "Name"]}}]
    (pair,) = p["LoadBalancerInfo"]["TargetGroupPairInfoList"]
    assert pair["TargetGroups"] == [
        {"Name": {"Fn::GetAtt": ["TargetGroupBlue", "TargetGroupName"]}},
        {"Name": {"Fn::GetAtt": ["TargetGroupGreen", "TargetGroupName"]}}]
    assert pair["ProdTrafficRoute"] == {"ListenerArns": [ref("ProductionListener")]}
    assert pair["TestTrafficRoute"] == {"ListenerArns": [ref("TestListener")]}
    blue_green = p["BlueGreenDeploymentConfiguration"]
    assert blue_green["TerminateBlueInstancesOnDeploymentSuccess"] == {
        "Action": "TERMINATE", "TerminationWaitTimeInMinutes": dep.termination_wait_minutes}
    if dep.approval_wait_minutes:
        assert blue_green["DeploymentReadyOption"] == {
            "ActionOnTimeout": "STOP_DEPLOYMENT", "WaitTimeInMinutes": dep.approval_wait_minutes}
    else:
        assert blue_green["DeploymentReadyOption"] == {
            "ActionOnTimeout": "CONTINUE_DEPLOYMENT", "WaitTimeInMinutes": 0}


PREDEFINED = {
    "CodeDeployDefault.ECSAllAtOnce": ("all-at-once", None, None),
    "CodeDeployDefault.ECSCanary10Percent5Minutes": ("canary", 10, 5),
    "CodeDeployDefault.ECSCanary10Percent15Minutes": ("canary", 10, 15),
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": ("linear", 10, 1),
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": ("linear", 10, 3),
}


def test_deployment_config_matches_the_traffic_setting(template, variant):
    dep = settings_for(variant).deployment
    config_name = props(template, "DeploymentGroup")["DeploymentConfigName"]
    if isinstance(config_name, str):
        traffic, percent, minutes = PREDEFINED[config_name]
        assert "DeploymentConfig" not in template["Resources"]
    else:
        assert config_name == ref("DeploymentConfig")
        config = props(template, "DeploymentConfig")
        assert config["ComputePlatform"] == "ECS"
        routing = config["TrafficRoutingConfig"]
        traffic = {"TimeBasedCanary": "canary", "TimeBasedLinear": "linear"}[routing["Type"]]
        step = routing[routing["Type"]]
        percent, minutes = (step["CanaryPercentage"], step["CanaryInterval"]) \
            if traffic == "canary" else (step["LinearPercentage"], step["LinearInterval"])
        # The values are part of the name, so a change replaces the config cleanly.
        assert config["DeploymentConfigName"].endswith(f"-{traffic}-{percent}pct-{minutes}min")
    assert traffic == dep.traffic
    if traffic != "all-at-once":
        assert (percent, minutes) == (dep.step_percent, dep.step_minutes)


# --- IAM ------------------------------------------------------------------------------------

def _trusted_services(role):
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == ["sts:AssumeRole"]
    return statement["Principal"]["Service"]


def test_codedeploy_role_uses_the_ecs_managed_policy_with_the_right_path(template):
    role = template["Resources"]["CodeDeployRole"]
    assert _trusted_services(role) == ["codedeploy.amazonaws.com"]
    assert role["Properties"]["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSCodeDeployRoleForECS"}]
    assert props(template, "DeploymentGroup")["ServiceRoleArn"] == {
        "Fn::GetAtt": ["CodeDeployRole", "Arn"]}


def test_task_roles_trust_ecs_tasks_and_grant_no_wildcards_but_ecr_login(template):
    for name in ("TaskExecutionRole", "TaskRole"):
        role = template["Resources"][name]
        assert _trusted_services(role) == ["ecs-tasks.amazonaws.com"]
        assert "ManagedPolicyArns" not in role["Properties"]
    assert "Policies" not in props(template, "TaskRole")
    (policy,) = props(template, "TaskExecutionRole")["Policies"]
    grants = {action: statement["Resource"] for statement in policy["PolicyDocument"]["Statement"]
              for action in statement["Action"]}
    assert grants == {
        "ecr:GetAuthorizationToken": ["*"],  # no resource-level scoping exists
        "ecr:BatchCheckLayerAvailability": [{"Fn::GetAtt": ["Repository", "Arn"]}],
        "ecr:GetDownloadUrlForLayer": [{"Fn::GetAtt": ["Repository", "Arn"]}],
        "ecr:BatchGetImage": [{"Fn::GetAtt": ["Repository", "Arn"]}],
        "logs:CreateLogStream": [{"Fn::GetAtt": ["LogGroup", "Arn"]}],
        "logs:PutLogEvents": [{"Fn::GetAtt": ["LogGroup", "Arn"]}],
    }


# --- parameters, network, outputs ------------------------------------------------------------

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


def test_certificate_pattern_accepts_every_partition_and_nothing_else():
    pattern = load_parameter("default", "CertificateArn")["AllowedPattern"]
    uuid = "0123abcd-0123-4567-89ab-0123456789ab"
    for partition in ("aws", "aws-cn", "aws-us-gov"):
        assert re.match(pattern, f"arn:{partition}:acm:eu-west-1:{ACCOUNT}:certificate/{uuid}")
    for bad in ("", f"arn:aws:iam::{ACCOUNT}:role/x", f"certificate/{uuid}",
                f"arn:aws:acm:eu-west-1:12345:certificate/{uuid}"):
        assert not re.match(pattern, bad)


def load_parameter(variant, name):
    from conftest import load_template
    return load_template(rendered(variant))["Parameters"][name]


def test_existing_network_comes_from_parameters(template, variant):
    settings = settings_for(variant)
    if settings.network.mode != "existing":
        pytest.skip("created network")
    assert template["Parameters"]["VpcId"]["Type"] == "AWS::EC2::VPC::Id"
    for name in ("LoadBalancerSubnetIds", "ServiceSubnetIds"):
        assert template["Parameters"][name]["Type"] == "List<AWS::EC2::Subnet::Id>"
    assert not resources(template, "AWS::EC2::VPC")
    assert sorted(template["Rules"]) == ["LoadBalancerSubnetsInVpc", "ServiceSubnetsInVpc"]
    assert props(template, "LoadBalancer")["Subnets"] == ref("LoadBalancerSubnetIds")


def test_created_network_spans_two_zones_with_private_tasks(template, variant):
    settings = settings_for(variant)
    if settings.network.mode != "create":
        pytest.skip("existing network")
    for name in ("VpcId", "LoadBalancerSubnetIds", "ServiceSubnetIds"):
        assert name not in template["Parameters"]
    subnets = resources(template, "AWS::EC2::Subnet")
    assert sorted(subnets) == ["PrivateSubnet1", "PrivateSubnet2", "PublicSubnet1",
                               "PublicSubnet2"]
    zones = {name: s["Properties"]["AvailabilityZone"] for name, s in subnets.items()}
    assert zones["PublicSubnet1"] != zones["PublicSubnet2"]
    assert zones["PrivateSubnet1"] != zones["PrivateSubnet2"]
    vpc = ipaddress.ip_network(settings.network.vpc_cidr)
    cidrs = [ipaddress.ip_network(s["Properties"]["CidrBlock"]) for s in subnets.values()]
    assert all(c.subnet_of(vpc) for c in cidrs)
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1:])
    assert props(template, "LoadBalancer")["Subnets"] == [ref("PublicSubnet1"),
                                                          ref("PublicSubnet2")]
    nats = resources(template, "AWS::EC2::NatGateway")
    assert len(nats) == settings.network.nat_gateways
    # Each private subnet routes to the internet through a NAT gateway, never directly.
    tables = {a["Properties"]["SubnetId"]["Ref"]: a["Properties"]["RouteTableId"]["Ref"]
              for a in resources(template, "AWS::EC2::SubnetRouteTableAssociation").values()}
    for zone in (1, 2):
        routes = [r["Properties"] for r in resources(template, "AWS::EC2::Route").values()
                  if r["Properties"]["RouteTableId"] == ref(tables[f"PrivateSubnet{zone}"])]
        assert [r["NatGatewayId"]["Ref"] in nats for r in routes] == [True]


def test_outputs(template, variant):
    settings = settings_for(variant)
    expected = {"ProductionUrl", "TestUrl", "LoadBalancerDnsName", "ClusterName",
                "ServiceName", "TaskFamily", "RepositoryUri", "CodeDeployApplication",
                "DeploymentGroup", "BlueTargetGroupName", "GreenTargetGroupName",
                "PipelineName", "PipelineConsoleUrl", "ArtifactBucketName"}
    assert set(template["Outputs"]) == expected
    scheme = "https" if settings.listeners.https else "http"
    assert template["Outputs"]["ProductionUrl"]["Value"] == {
        "Fn::Sub": f"{scheme}://${{LoadBalancer.DNSName}}/"}
    assert "Export" not in json.dumps(template["Outputs"])


def test_variants_cover_the_required_cases():
    kinds = {(s.listeners.https, s.network.mode, s.deployment.traffic,
              bool(s.deployment.approval_wait_minutes))
             for s in map(settings_for, VARIANTS)}
    assert any(not https for https, *_ in kinds)
    assert {mode for _, mode, _, _ in kinds} == {"create", "existing"}
    assert {traffic for _, _, traffic, _ in kinds} == {"all-at-once", "canary", "linear"}
    assert any(approval for *_, approval in kinds)
