"""The same system as a Terraform configuration (JSON syntax), for teams on Terraform.

The CloudFormation builders make every decision once; this module translates their rendered
template, resource by resource, into hashicorp/aws resources: intrinsics become Terraform
references (through the project's one intrinsic resolver), Parameters become variables with the
same validation, and the IAM documents are the same awacs-built documents with Terraform
references in place of Ref/GetAtt/Sub.

Nothing is dropped silently: every converter reads the CloudFormation properties through a
`Tracked` view, and a property (at any depth) that no converter read fails the translation with
`Untranslated`, naming the resource and the property.

Where Terraform has what CloudFormation lacks, it is used: the listeners and the service
`ignore_changes` what CodeDeploy and auto scaling own after the first deployment, so the
live-route guard (a CloudFormation custom resource) is not needed and not rendered. The inline
Lambda code becomes zip files beside the configuration (stored, not compressed, with fixed
timestamps, so that the same settings give the same bytes).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any, Callable

from troposphere import encode_to_dict

from .artifacts import api_names, buildspec
from .pipeline import deploy_with_ecs_action, ecs_deploy_action, release_statement_ids
from .intrinsics import Resolver, Unresolvable
from .live_routes import AT_CREATION_WEIGHTS
from .settings import Settings
from .tags import stack_tags
from .template import Stack, build_stack
from .waivers import ZONES_AT_DEPLOY_TIME, waived

AWS_PROVIDER = {"source": "hashicorp/aws", "version": "~> 6.0"}
# ECS's own engine: deployment_configuration and advanced_configuration since 6.4.0, linear and
# canary since 6.21.0 (the provider's CHANGELOG).
AWS_PROVIDER_ECS_ENGINE = {"source": "hashicorp/aws", "version": ">= 6.21, < 7.0"}

PSEUDO = {
    "AWS::Region": "data.aws_region.current.region",
    "AWS::AccountId": "data.aws_caller_identity.current.account_id",
    "AWS::Partition": "data.aws_partition.current.partition",
    "AWS::URLSuffix": "data.aws_partition.current.dns_suffix",
}

# CloudFormation type -> (Terraform type, attribute that Ref returns)
TYPES = {
    "AWS::EC2::VPC": ("aws_vpc", "id"),
    "AWS::EC2::InternetGateway": ("aws_internet_gateway", "id"),
    "AWS::EC2::VPCGatewayAttachment": ("aws_internet_gateway_attachment", "id"),
    "AWS::EC2::Subnet": ("aws_subnet", "id"),
    "AWS::EC2::RouteTable": ("aws_route_table", "id"),
    "AWS::EC2::Route": ("aws_route", "id"),
    "AWS::EC2::SubnetRouteTableAssociation": ("aws_route_table_association", "id"),
    "AWS::EC2::EIP": ("aws_eip", "public_ip"),
    "AWS::EC2::NatGateway": ("aws_nat_gateway", "id"),
    "AWS::EC2::SecurityGroup": ("aws_security_group", "id"),
    "AWS::EC2::SecurityGroupIngress": ("aws_vpc_security_group_ingress_rule", "id"),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ("aws_lb", "arn"),
    "AWS::ElasticLoadBalancingV2::TargetGroup": ("aws_lb_target_group", "arn"),
    "AWS::ElasticLoadBalancingV2::Listener": ("aws_lb_listener", "arn"),
    "AWS::ElasticLoadBalancingV2::ListenerRule": ("aws_lb_listener_rule", "arn"),
    "AWS::ECS::Cluster": ("aws_ecs_cluster", "name"),
    "AWS::ECS::TaskDefinition": ("aws_ecs_task_definition", "arn"),
    "AWS::ECS::Service": ("aws_ecs_service", "id"),  # Ref: the service's ARN
    "AWS::Logs::LogGroup": ("aws_cloudwatch_log_group", "name"),
    "AWS::ECR::Repository": ("aws_ecr_repository", "name"),
    "AWS::IAM::Role": ("aws_iam_role", "name"),
    "AWS::ApplicationAutoScaling::ScalableTarget": ("aws_appautoscaling_target", "id"),
    "AWS::ApplicationAutoScaling::ScalingPolicy": ("aws_appautoscaling_policy", "arn"),
    "AWS::CodeDeploy::Application": ("aws_codedeploy_app", "name"),
    "AWS::CodeDeploy::DeploymentConfig": ("aws_codedeploy_deployment_config",
                                          "deployment_config_name"),
    "AWS::CodeDeploy::DeploymentGroup": ("aws_codedeploy_deployment_group",
                                         "deployment_group_name"),
    "AWS::CloudWatch::Alarm": ("aws_cloudwatch_metric_alarm", "alarm_name"),
    "AWS::Lambda::Function": ("aws_lambda_function", "function_name"),
    "AWS::SNS::Topic": ("aws_sns_topic", "arn"),
    "AWS::S3::Bucket": ("aws_s3_bucket", "bucket"),
    "AWS::S3::BucketPolicy": ("aws_s3_bucket_policy", "id"),
    "AWS::CodeBuild::Project": ("aws_codebuild_project", "name"),
    "AWS::CodePipeline::Pipeline": ("aws_codepipeline", "name"),
    "AWS::Events::Rule": ("aws_cloudwatch_event_rule", "name"),
    "AWS::SNS::TopicPolicy": ("aws_sns_topic_policy", "id"),
    "AWS::EC2::FlowLog": ("aws_flow_log", "id"),
    "AWS::WAFv2::WebACLAssociation": ("aws_wafv2_web_acl_association", "id"),
    "Custom::EmptyDefaultGroup": ("aws_default_security_group", "id"),
}

# Fn::GetAtt attribute -> Terraform attribute (the same for every type that has it).
ATTRIBUTES = {"Arn": "arn", "GroupId": "id", "DNSName": "dns_name", "TargetGroupName": "name",
              "TargetGroupFullName": "arn_suffix", "LoadBalancerFullName": "arn_suffix",
              "AllocationId": "allocation_id", "RepositoryUri": "repository_url",
              "Name": "name"}


class Untranslated(ValueError):
    """A CloudFormation resource or property the translator has no Terraform form for."""


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def literal(text: str) -> str:
    """A plain string as a Terraform template string: ${ and %{ escaped."""
    return text.replace("${", "$${").replace("%{", "%%{")


class Tracked(dict):
    """A read-only view of CloudFormation properties that records which keys were read, at any
    depth, so that an unread (untranslated) property can be reported."""

    def __init__(self, data: dict, path: str, read: set[str]):
        super().__init__({key: _track(value, f"{path}.{key}", read)
                          for key, value in data.items()})
        self.path, self.read = path, read

    def __getitem__(self, key):
        self.read.add(f"{self.path}.{key}")
        return super().__getitem__(key)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def items(self):
        return [(key, self[key]) for key in self]

    def values(self):
        return [self[key] for key in self]


def _track(value: Any, path: str, read: set[str]) -> Any:
    if isinstance(value, dict):
        return Tracked(value, path, read)
    if isinstance(value, list):
        return [_track(item, f"{path}[]", read) for item in value]
    return value


def _paths(value: Any, path: str) -> set[str]:
    """Every key path of a value, list items as []."""
    if isinstance(value, dict):
        return {p for key, item in value.items()
                for p in ({f"{path}.{key}"} | _paths(item, f"{path}.{key}"))}
    if isinstance(value, list):
        return {p for item in value for p in _paths(item, f"{path}[]")}
    return set()


class Translator(Resolver):
    """Intrinsics as Terraform: Ref and GetAtt become references, literal text is escaped."""

    def __init__(self, template: dict):
        self.template = template
        self.resources: dict[str, dict[str, dict]] = {}
        self.data: dict[str, dict[str, dict]] = {}
        # Expressions with string literals live here: inside a JSON-encoded IAM document their
        # quotes would be escaped.
        self.locals: dict[str, str] = {}
        self.files: dict[str, bytes] = {}

    # --- references ---------------------------------------------------------------------------
    def address(self, logical_id: str) -> str:
        kind = self.template["Resources"][logical_id]["Type"]
        return f"{TYPES[kind][0]}.{snake(logical_id)}"

    def expression(self, name: str) -> str:
        """Ref as a Terraform expression (without ${})."""
        if name in PSEUDO:
            self._pseudo_data()
            return PSEUDO[name]
        if name in self.template.get("Parameters", {}):
            return f"var.{snake(name)}"
        kind = self.template["Resources"][name]["Type"]
        return f"{self.address(name)}.{TYPES[kind][1]}"

    def ref(self, name: str) -> str:
        return "${" + self.expression(name) + "}"

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self.template["Resources"][logical_id]["Type"]
        if attribute not in ATTRIBUTES:
            raise Unresolvable(f"Fn::GetAtt {logical_id}.{attribute}")
        text = f"${{{self.address(logical_id)}.{ATTRIBUTES[attribute]}}}"
        # CloudFormation's log group Arn ends in ":*" (its streams); Terraform's does not.
        return text + ":*" if kind == "AWS::Logs::LogGroup" and attribute == "Arn" else text

    def literal(self, text: str) -> str:
        return literal(text)

    def resolve(self, value: Any) -> Any:
        return self.literal(value) if isinstance(value, str) else super().resolve(value)

    def function(self, name: str, argument: Any) -> Any:
        if name == "Fn::Select":
            index, items = argument
            if list(items) == ["Fn::GetAZs"] and items["Fn::GetAZs"] == "":
                self.data.setdefault("aws_availability_zones", {"available": {
                    "state": "available",
                    "//": f"checkov:skip=CKV_AWS_394:{ZONES_AT_DEPLOY_TIME.reason}"}})
                return f"${{data.aws_availability_zones.available.names[{index}]}}"
            if list(items) == ["Fn::Split"]:
                separator, text = items["Fn::Split"]
                expression = self.resolve(text)[2:-1]  # a whole ${...}
                local = f"{expression.split('.')[-1]}_part_{index}"
                self.locals[local] = (f"${{element(split({json.dumps(separator)}, "
                                      f"{expression}), {index})}}")
                return f"${{local.{local}}}"
        raise Unresolvable(name)

    def _pseudo_data(self) -> None:
        self.data.setdefault("aws_region", {"current": {}})
        self.data.setdefault("aws_caller_identity", {"current": {}})
        self.data.setdefault("aws_partition", {"current": {}})

    def val(self, value: Any) -> Any:
        """A property value with its intrinsics as Terraform (a short name for converters)."""
        return self.resolve(value)

    def policy(self, document: dict) -> str:
        """An IAM document (the same awacs-built one the stack uses) as a Terraform string."""
        return json.dumps(self.resolve(document), separators=(",", ":"))

    # --- output ------------------------------------------------------------------------------
    def add(self, tf_type: str, name: str, body: dict) -> None:
        if body.get("tags") == {}:  # most resources take their tags from default_tags
            del body["tags"]
        self.resources.setdefault(tf_type, {})[name] = body


def tags(t: Translator, properties: dict) -> dict:
    return {tag["Key"]: t.val(tag["Value"]) for tag in properties.get("Tags", [])}


def read_all(value: Any) -> None:
    """Mark a property translated as a whole, by its meaning rather than its structure."""
    for item in (value.values() if isinstance(value, dict) else
                 value if isinstance(value, list) else ()):
        read_all(item)


def key_values(properties: dict, name: str, mapped: set[str]) -> dict:
    """A Key/Value list property (LoadBalancerAttributes, ...) as a dict; a key the converter
    does not map is untranslated, not dropped."""
    values = {item["Key"]: item["Value"] for item in properties.get(name, [])}
    unknown = set(values) - mapped
    if unknown:
        raise Untranslated(f"{name} {sorted(unknown)}")
    return values


def _omit_none(body: dict) -> dict:
    return {k: v for k, v in body.items() if v is not None and v != [] and v != {}}


# --- one converter per CloudFormation type ------------------------------------------------------
# Each takes (translator, logical id, properties, resource) and adds Terraform resources.

def _vpc(t, n, p, r):
    t.add("aws_vpc", snake(n), {"cidr_block": p["CidrBlock"],
                               "enable_dns_hostnames": p["EnableDnsHostnames"],
                               "enable_dns_support": p["EnableDnsSupport"], "tags": tags(t, p)})


def _simple(tf_type: str, mapping: dict[str, str]) -> Callable:
    def convert(t, n, p, r):
        body = {tf: t.val(p[cfn]) for cfn, tf in mapping.items() if cfn in p}
        if "Tags" in p:
            body["tags"] = tags(t, p)
        t.add(tf_type, snake(n), body)
    return convert


def _security_group(t, n, p, r):
    t.add("aws_security_group", snake(n), _omit_none({
        "name": p.get("GroupName"), "description": p["GroupDescription"],
        "vpc_id": t.val(p["VpcId"]), "tags": tags(t, p)}))
    group = f"${{aws_security_group.{snake(n)}.id}}"
    for index, rule in enumerate(p.get("SecurityGroupIngress", []), start=1):
        _rule(t, "ingress", f"{snake(n)}_ingress_{index}", group, rule)
    egress = p.get("SecurityGroupEgress")
    if egress is None:  # CloudFormation's default egress; Terraform's groups have none
        egress = [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0", "Description": "All egress"}]
    for index, rule in enumerate(egress, start=1):
        _rule(t, "egress", f"{snake(n)}_egress_{index}", group, rule)


def _rule(t, direction: str, name: str, group: str, rule: dict) -> None:
    body = {"security_group_id": group, "ip_protocol": rule["IpProtocol"],
            "description": rule.get("Description")}
    if rule["IpProtocol"] != "-1":
        body.update(from_port=rule["FromPort"], to_port=rule["ToPort"])
    if "CidrIp" in rule:
        body["cidr_ipv4"] = t.val(rule["CidrIp"])
    peer = rule.get("SourceSecurityGroupId") or rule.get("DestinationSecurityGroupId")
    if peer is not None:
        body["referenced_security_group_id"] = t.val(peer)
    t.add(f"aws_vpc_security_group_{direction}_rule", name, _omit_none(body))


def _ingress(t, n, p, r):
    _rule(t, "ingress", snake(n), t.val(p["GroupId"]), p)


def _load_balancer(t, n, p, r):
    attributes = key_values(p, "LoadBalancerAttributes", {
        "routing.http.drop_invalid_header_fields.enabled", "deletion_protection.enabled",
        "access_logs.s3.enabled", "access_logs.s3.bucket", "access_logs.s3.prefix"})
    access_logs = ({"access_logs": {"enabled": True,
                                    "bucket": t.val(attributes["access_logs.s3.bucket"]),
                                    "prefix": attributes["access_logs.s3.prefix"]}}
                   if attributes.get("access_logs.s3.enabled") == "true" else {})
    t.add("aws_lb", snake(n), {
        "name": p["Name"], "internal": p["Scheme"] == "internal",
        "load_balancer_type": p["Type"], "subnets": t.val(p["Subnets"]),
        "security_groups": t.val(p["SecurityGroups"]),
        "drop_invalid_header_fields":
            attributes.get("routing.http.drop_invalid_header_fields.enabled") == "true",
        "enable_deletion_protection":
            attributes.get("deletion_protection.enabled") == "true",
        **access_logs, "tags": tags(t, p)})


def _target_group(t, n, p, r):
    attributes = key_values(p, "TargetGroupAttributes", {"deregistration_delay.timeout_seconds"})
    t.add("aws_lb_target_group", snake(n), {
        "name": p["Name"], "port": p["Port"], "protocol": p["Protocol"],
        "protocol_version": p["ProtocolVersion"], "target_type": p["TargetType"],
        "vpc_id": t.val(p["VpcId"]),
        "deregistration_delay": attributes["deregistration_delay.timeout_seconds"],
        "health_check": {
            "enabled": p["HealthCheckEnabled"], "path": p["HealthCheckPath"],
            "interval": p["HealthCheckIntervalSeconds"],
            "timeout": p["HealthCheckTimeoutSeconds"],
            "healthy_threshold": p["HealthyThresholdCount"],
            "unhealthy_threshold": p["UnhealthyThresholdCount"],
            "matcher": p["Matcher"]["HttpCode"]},
        "tags": tags(t, p)})


def _weighted_forward(t, action) -> dict:
    """A weighted forward: the guard's weights as it answers at creation, written once, then
    owned by the deployment engine (ignore_changes)."""
    assert action["Type"] == "forward"
    groups = []
    for target in action["ForwardConfig"]["TargetGroups"]:
        weight = target["Weight"]
        if isinstance(weight, dict):  # the guard's answer
            weight = AT_CREATION_WEIGHTS[weight["Fn::GetAtt"][1]]
        groups.append({"arn": t.val(target["TargetGroupArn"]), "weight": weight})
    return {"type": "forward", "forward": {"target_group": groups}}


def _listener(t, n, p, r):
    (action,) = p["DefaultActions"]
    ignore = []
    if action["Type"] == "redirect":
        redirect = action["RedirectConfig"]
        default = {"type": "redirect", "redirect": {
            "protocol": redirect["Protocol"], "port": redirect["Port"],
            "status_code": redirect["StatusCode"]}}
    elif action["Type"] == "fixed-response":  # engine ecs: its rule is the route
        fixed = action["FixedResponseConfig"]
        default = {"type": "fixed-response", "fixed_response": {
            "status_code": fixed["StatusCode"], "content_type": fixed["ContentType"]}}
    else:
        default = _weighted_forward(t, action)
        # CodeDeploy owns the route after the first deployment.
        ignore = ["default_action"]
    body = _omit_none({
        "load_balancer_arn": t.val(p["LoadBalancerArn"]), "port": p["Port"],
        "protocol": p["Protocol"], "ssl_policy": p.get("SslPolicy"),
        "certificate_arn": t.val(p["Certificates"][0]["CertificateArn"])
        if "Certificates" in p else None,
        "default_action": default, "tags": tags(t, p)})
    if ignore:
        body["lifecycle"] = {"ignore_changes": ignore}
    t.add("aws_lb_listener", snake(n), body)


def _listener_rule(t, n, p, r):
    (action,) = p["Actions"]
    (condition,) = p["Conditions"]
    t.add("aws_lb_listener_rule", snake(n), {
        "listener_arn": t.val(p["ListenerArn"]), "priority": p["Priority"],
        "condition": {"path_pattern": {
            "values": condition["PathPatternConfig"]["Values"]}} if condition[
                "Field"] == "path-pattern" else None,
        "action": _weighted_forward(t, action),
        # ECS rewrites the weights on every deployment (terraform-provider-aws#45678): a plan
        # must not put them back.
        "lifecycle": {"ignore_changes": ["action"]}})


def _cluster(t, n, p, r):
    t.add("aws_ecs_cluster", snake(n), {
        "name": p["ClusterName"],
        "setting": [{"name": s["Name"], "value": s["Value"]} for s in p["ClusterSettings"]],
        "tags": tags(t, p)})


def _log_group(t, n, p, r):
    t.add("aws_cloudwatch_log_group", snake(n), _omit_none({
        "name": p["LogGroupName"], "retention_in_days": p.get("RetentionInDays"),
        "tags": tags(t, p)}))


def _repository(t, n, p, r):
    t.add("aws_ecr_repository", snake(n), {
        "name": p["RepositoryName"], "image_tag_mutability": p["ImageTagMutability"],
        "image_scanning_configuration": {
            "scan_on_push": p["ImageScanningConfiguration"]["ScanOnPush"]},
        "tags": tags(t, p)})
    t.add("aws_ecr_lifecycle_policy", snake(n), {
        "repository": f"${{aws_ecr_repository.{snake(n)}.name}}",
        "policy": literal(p["LifecyclePolicy"]["LifecyclePolicyText"])})


def _role(t, n, p, r):
    t.add("aws_iam_role", snake(n), {
        "assume_role_policy": t.policy(p["AssumeRolePolicyDocument"]),
        "tags": tags(t, p)})
    role = f"${{aws_iam_role.{snake(n)}.id}}"
    for policy in p.get("Policies", []):
        t.add("aws_iam_role_policy", f"{snake(n)}_{snake(policy['PolicyName'].replace('-', '_'))}",
              {"name": policy["PolicyName"], "role": role,
               "policy": t.policy(policy["PolicyDocument"])})
    for index, arn in enumerate(p.get("ManagedPolicyArns", []), start=1):
        t.add("aws_iam_role_policy_attachment", f"{snake(n)}_managed_{index}",
              {"role": role, "policy_arn": t.val(arn)})


def _task_definition(t, n, p, r):
    # The same PascalCase -> API mapping as taskdef.json.
    containers = t.val(api_names(p["ContainerDefinitions"]))
    t.add("aws_ecs_task_definition", snake(n), {
        "family": p["Family"], "requires_compatibilities": p["RequiresCompatibilities"],
        "network_mode": p["NetworkMode"], "cpu": p["Cpu"], "memory": p["Memory"],
        "execution_role_arn": t.val(p["ExecutionRoleArn"]),
        "task_role_arn": t.val(p["TaskRoleArn"]),
        "runtime_platform": {
            "operating_system_family": p["RuntimePlatform"]["OperatingSystemFamily"],
            "cpu_architecture": p["RuntimePlatform"]["CpuArchitecture"]},
        "container_definitions": json.dumps(containers, separators=(",", ":")),
        **({"volume": [{"name": v["Name"]} for v in p["Volumes"]]} if "Volumes" in p else {}),
        "tags": tags(t, p)})


def _service(t, n, p, r):
    (lb,) = p["LoadBalancers"]
    vpc = p["NetworkConfiguration"]["AwsvpcConfiguration"]
    # CloudFormation starts the service with one task and the scalable target raises it to
    # its minimum; Terraform's default is 0, so the service starts at the minimum itself.
    (target,) = [res["Properties"] for res in t.template["Resources"].values()
                 if res["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"]
    ecs_engine = p["DeploymentController"]["Type"] == "ECS"
    binding = {"target_group_arn": t.val(lb["TargetGroupArn"]),
               "container_name": lb["ContainerName"], "container_port": lb["ContainerPort"]}
    body = {
        "name": p["ServiceName"], "cluster": t.val(p["Cluster"]),
        "task_definition": t.val(p["TaskDefinition"]), "desired_count": target["MinCapacity"],
        "launch_type": p["LaunchType"], "platform_version": p["PlatformVersion"],
        "scheduling_strategy": p["SchedulingStrategy"],
        "deployment_controller": {"type": p["DeploymentController"]["Type"]},
        "health_check_grace_period_seconds": p["HealthCheckGracePeriodSeconds"],
        "load_balancer": binding,
        "network_configuration": {"subnets": t.val(vpc["Subnets"]),
                                  "security_groups": t.val(vpc["SecurityGroups"]),
                                  "assign_public_ip": vpc["AssignPublicIp"] == "ENABLED"},
        "enable_ecs_managed_tags": p["EnableECSManagedTags"],
        "propagate_tags": p["PropagateTags"], "tags": tags(t, p),
        "depends_on": [t.address(d) for d in r.get("DependsOn", [])],
        # The deployment engine owns the running task definition and the load balancer
        # binding (CodeDeploy's task sets; ECS swaps the groups on each deployment), and
        # auto scaling owns the desired count.
        "lifecycle": {"ignore_changes": ["task_definition", "load_balancer", "desired_count"]},
    }
    if ecs_engine:
        body.update(_ecs_deployment(t, p["DeploymentConfiguration"]))
        advanced = lb["AdvancedConfiguration"]
        binding["advanced_configuration"] = {
            "alternate_target_group_arn": t.val(advanced["AlternateTargetGroupArn"]),
            "production_listener_rule": t.val(advanced["ProductionListenerRule"]),
            "test_listener_rule": t.val(advanced["TestListenerRule"]),
            "role_arn": t.val(advanced["RoleArn"])}
    t.add("aws_ecs_service", snake(n), body)


def _ecs_deployment(t, configuration) -> dict:
    """ECS's own engine in hashicorp/aws 6.x (tests/reference/aws_ecs_service_6.json): the
    strategy and its steps, the lifecycle hooks, and the alarms (a block of its own)."""
    deployment = {"strategy": configuration["Strategy"],
                  # a nullable number: a string in Terraform's schema
                  "bake_time_in_minutes": str(configuration["BakeTimeInMinutes"])}
    if "CanaryConfiguration" in configuration:
        canary = configuration["CanaryConfiguration"]
        deployment["canary_configuration"] = {
            "canary_percent": canary["CanaryPercent"],
            "canary_bake_time_in_minutes": str(canary["CanaryBakeTimeInMinutes"])}
    if "LinearConfiguration" in configuration:
        linear = configuration["LinearConfiguration"]
        deployment["linear_configuration"] = {
            "step_percent": linear["StepPercent"],
            "step_bake_time_in_minutes": str(linear["StepBakeTimeInMinutes"])}
    hooks = []
    for hook in configuration.get("LifecycleHooks", []):
        block = {"target_type": hook["TargetType"], "lifecycle_stages": hook["LifecycleStages"]}
        if "HookTargetArn" in hook:
            block.update(hook_target_arn=t.val(hook["HookTargetArn"]),
                         role_arn=t.val(hook["RoleArn"]))
        if "TimeoutConfiguration" in hook:
            timeout = hook["TimeoutConfiguration"]
            block["timeout_configuration"] = {"action": timeout["Action"],
                                              "timeout_in_minutes": timeout["TimeoutInMinutes"]}
        hooks.append(block)
    if hooks:
        deployment["lifecycle_hook"] = hooks
    body = {"deployment_configuration": deployment}
    if "Alarms" in configuration:
        alarms = configuration["Alarms"]
        body["alarms"] = {"alarm_names": t.val(alarms["AlarmNames"]),
                          "enable": alarms["Enable"], "rollback": alarms["Rollback"]}
    return body


def _scalable_target(t, n, p, r):
    t.add("aws_appautoscaling_target", snake(n), {
        "service_namespace": p["ServiceNamespace"], "scalable_dimension": p["ScalableDimension"],
        "resource_id": t.val(p["ResourceId"]), "min_capacity": p["MinCapacity"],
        "max_capacity": p["MaxCapacity"], "tags": tags(t, p)})


def _scaling_policy(t, n, p, r):
    target = snake(p["ScalingTargetId"]["Ref"])
    config = p["TargetTrackingScalingPolicyConfiguration"]
    t.add("aws_appautoscaling_policy", snake(n), {
        "name": p["PolicyName"], "policy_type": p["PolicyType"],
        "resource_id": f"${{aws_appautoscaling_target.{target}.resource_id}}",
        "scalable_dimension": f"${{aws_appautoscaling_target.{target}.scalable_dimension}}",
        "service_namespace": f"${{aws_appautoscaling_target.{target}.service_namespace}}",
        "target_tracking_scaling_policy_configuration": {
            "target_value": config["TargetValue"],
            "scale_in_cooldown": config["ScaleInCooldown"],
            "scale_out_cooldown": config["ScaleOutCooldown"],
            "predefined_metric_specification": {"predefined_metric_type": config[
                "PredefinedMetricSpecification"]["PredefinedMetricType"]}}})


def _deployment_config(t, n, p, r):
    routing = p["TrafficRoutingConfig"]
    kind = routing["Type"]
    body = {"type": kind}
    if kind == "TimeBasedCanary":
        body["time_based_canary"] = {"interval": routing[kind]["CanaryInterval"],
                                     "percentage": routing[kind]["CanaryPercentage"]}
    elif kind == "TimeBasedLinear":
        body["time_based_linear"] = {"interval": routing[kind]["LinearInterval"],
                                     "percentage": routing[kind]["LinearPercentage"]}
    t.add("aws_codedeploy_deployment_config", snake(n), {
        "deployment_config_name": p["DeploymentConfigName"],
        "compute_platform": p["ComputePlatform"], "traffic_routing_config": body})


def _deployment_group(t, n, p, r):
    (pair,) = p["LoadBalancerInfo"]["TargetGroupPairInfoList"]
    blue_green = p["BlueGreenDeploymentConfiguration"]
    ready = blue_green["DeploymentReadyOption"]
    terminate = blue_green["TerminateBlueInstancesOnDeploymentSuccess"]
    (service,) = p["ECSServices"]
    body = {
        "app_name": t.val(p["ApplicationName"]),
        "deployment_group_name": p["DeploymentGroupName"],
        "service_role_arn": t.val(p["ServiceRoleArn"]),
        "deployment_config_name": t.val(p["DeploymentConfigName"]),
        "deployment_style": {"deployment_option": p["DeploymentStyle"]["DeploymentOption"],
                             "deployment_type": p["DeploymentStyle"]["DeploymentType"]},
        "ecs_service": {"cluster_name": t.val(service["ClusterName"]),
                        "service_name": t.val(service["ServiceName"])},
        "load_balancer_info": {"target_group_pair_info": {
            "prod_traffic_route": {"listener_arns": t.val(
                pair["ProdTrafficRoute"]["ListenerArns"])},
            "test_traffic_route": {"listener_arns": t.val(
                pair["TestTrafficRoute"]["ListenerArns"])},
            "target_group": [{"name": t.val(g["Name"])} for g in pair["TargetGroups"]]}},
        "blue_green_deployment_config": {
            "deployment_ready_option": {"action_on_timeout": ready["ActionOnTimeout"],
                                        "wait_time_in_minutes": ready["WaitTimeInMinutes"]},
            "terminate_blue_instances_on_deployment_success": {
                "action": terminate["Action"],
                "termination_wait_time_in_minutes": terminate["TerminationWaitTimeInMinutes"]}},
        "auto_rollback_configuration": {
            "enabled": p["AutoRollbackConfiguration"]["Enabled"],
            "events": p["AutoRollbackConfiguration"]["Events"]},
        "tags": tags(t, p)}
    if "AlarmConfiguration" in p:
        alarms = p["AlarmConfiguration"]
        body["alarm_configuration"] = {
            "alarms": [t.val(a["Name"]) for a in alarms["Alarms"]],
            "enabled": alarms["Enabled"],
            "ignore_poll_alarm_failure": alarms["IgnorePollAlarmFailure"]}
    for trigger in p.get("TriggerConfigurations", []):
        body.setdefault("trigger_configuration", []).append({
            "trigger_name": trigger["TriggerName"], "trigger_events": trigger["TriggerEvents"],
            "trigger_target_arn": t.val(trigger["TriggerTargetArn"])})
    t.add("aws_codedeploy_deployment_group", snake(n), body)


def _alarm(t, n, p, r):
    statistic = ({"extended_statistic": p["ExtendedStatistic"]} if "ExtendedStatistic" in p
                 else {"statistic": p["Statistic"]})
    t.add("aws_cloudwatch_metric_alarm", snake(n), {
        "alarm_name": p["AlarmName"],
        "namespace": p["Namespace"], "metric_name": p["MetricName"],
        "dimensions": {d["Name"]: t.val(d["Value"]) for d in p["Dimensions"]},
        "period": p["Period"], "evaluation_periods": p["EvaluationPeriods"],
        "threshold": p["Threshold"], "comparison_operator": p["ComparisonOperator"],
        "treat_missing_data": p["TreatMissingData"], **statistic,
        **({"alarm_actions": t.val(p["AlarmActions"])} if "AlarmActions" in p else {}),
        "tags": tags(t, p)})


def _function(t, n, p, r):
    name = snake(n)
    package = f"{name}.zip"
    t.files[package] = zip_package(p["Code"]["ZipFile"])
    body = {
        "function_name": p["FunctionName"], "runtime": p["Runtime"], "handler": p["Handler"],
        "role": t.val(p["Role"]), "timeout": p["Timeout"], "memory_size": p["MemorySize"],
        "filename": f"${{path.module}}/{package}",
        "source_code_hash": f'${{filebase64sha256("${{path.module}}/{package}")}}',
        "logging_config": {"log_format": "Text",
                           "log_group": t.val(p["LoggingConfig"]["LogGroup"])},
        "tags": tags(t, p)}
    if "VpcConfig" in p:
        body["vpc_config"] = {"subnet_ids": t.val(p["VpcConfig"]["SubnetIds"]),
                              "security_group_ids": t.val(p["VpcConfig"]["SecurityGroupIds"])}
    if "Environment" in p:
        body["environment"] = {"variables": t.val(p["Environment"]["Variables"])}
    t.add("aws_lambda_function", name, body)


def zip_package(source: str) -> bytes:
    """The Lambda package: index.py holding `source`, stored with a fixed timestamp and mode so
    that the bytes depend on the source alone."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        info = zipfile.ZipInfo("index.py", date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        archive.writestr(info, source.encode("utf-8"))
    return buffer.getvalue()


def _topic(t, n, p, r):
    t.add("aws_sns_topic", snake(n), {"name": p["TopicName"], "tags": tags(t, p)})
    read_all(p["Subscription"])  # the e-mail subscription below, under the same condition
    t.add("aws_sns_topic_subscription", snake(n), {
        "count": '${var.notification_email == "" ? 0 : 1}',
        "topic_arn": f"${{aws_sns_topic.{snake(n)}.arn}}", "protocol": "email",
        "endpoint": "${var.notification_email}"})


def _empty_default_group(t, n, p, r):
    """Terraform's own way: it adopts the VPC's default group and removes every rule not
    written here, so a body without rules empties it (what the guard function does in
    CloudFormation)."""
    vpc, attribute = p["GroupId"]["Fn::GetAtt"]
    if attribute != "DefaultSecurityGroup":
        raise Untranslated(f"{n}: GroupId {vpc}.{attribute}")
    t.add("aws_default_security_group", snake(n), {"vpc_id": f"${{aws_vpc.{snake(vpc)}.id}}"})
    read_all(p)


def _flow_log(t, n, p, r):
    if p["ResourceType"] != "VPC":
        raise Untranslated(f"{n}: flow logs of a {p['ResourceType']}")
    t.add("aws_flow_log", snake(n), {
        "vpc_id": t.val(p["ResourceId"]), "traffic_type": p["TrafficType"],
        "log_destination_type": p["LogDestinationType"],
        "log_destination": t.val(p["LogDestination"])})


BUCKET_PREFIXES = {"ArtifactBucket": "artifacts-", "LogBucket": "logs-"}


def _bucket(t, n, p, r):
    name = snake(n)
    bucket = f"${{aws_s3_bucket.{name}.id}}"
    (rule,) = p["LifecycleConfiguration"]["Rules"]
    t.add("aws_s3_bucket", name, {"bucket_prefix": BUCKET_PREFIXES[n], "tags": tags(t, p),
                                  # DeletionPolicy Retain: Terraform keeps it on destroy too.
                                  "lifecycle": {"prevent_destroy": True}})
    t.add("aws_s3_bucket_versioning", name, {"bucket": bucket, "versioning_configuration": {
        "status": p["VersioningConfiguration"]["Status"]}})
    (sse,) = p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    t.add("aws_s3_bucket_server_side_encryption_configuration", name, {
        "bucket": bucket, "rule": {"apply_server_side_encryption_by_default": {
            "sse_algorithm": sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"]}}})
    block = p["PublicAccessBlockConfiguration"]
    t.add("aws_s3_bucket_public_access_block", name, {
        "bucket": bucket, "block_public_acls": block["BlockPublicAcls"],
        "block_public_policy": block["BlockPublicPolicy"],
        "ignore_public_acls": block["IgnorePublicAcls"],
        "restrict_public_buckets": block["RestrictPublicBuckets"]})
    (ownership,) = p["OwnershipControls"]["Rules"]
    t.add("aws_s3_bucket_ownership_controls", name, {"bucket": bucket, "rule": {
        "object_ownership": ownership["ObjectOwnership"]}})
    expiry = ({"expiration": {"days": rule["ExpirationInDays"]},
               "noncurrent_version_expiration": {
                   "noncurrent_days": rule["NoncurrentVersionExpiration"]["NoncurrentDays"]}}
              if "ExpirationInDays" in rule else {})
    t.add("aws_s3_bucket_lifecycle_configuration", name, {"bucket": bucket, "rule": {
        "id": rule.get("Id", "expire"), "status": rule["Status"], "filter": {}, **expiry,
        "abort_incomplete_multipart_upload": {
            "days_after_initiation": rule["AbortIncompleteMultipartUpload"][
                "DaysAfterInitiation"]}}})
    if "LoggingConfiguration" in p:
        logging = p["LoggingConfiguration"]
        t.add("aws_s3_bucket_logging", name, {
            "bucket": bucket, "target_bucket": t.val(logging["DestinationBucketName"]),
            "target_prefix": logging["LogFilePrefix"]})


def _bucket_policy(t, n, p, r):
    t.add("aws_s3_bucket_policy", snake(n), {
        "bucket": t.val(p["Bucket"]), "policy": t.policy(p["PolicyDocument"])})


def _project(t, n, p, r):
    environment = p["Environment"]
    t.add("aws_codebuild_project", snake(n), {
        "name": p["Name"], "service_role": t.val(p["ServiceRole"]),
        "build_timeout": p["TimeoutInMinutes"],
        "artifacts": {"type": p["Artifacts"]["Type"]},
        "source": {"type": p["Source"]["Type"], "buildspec": literal(p["Source"]["BuildSpec"])},
        "environment": {
            "compute_type": environment["ComputeType"], "image": environment["Image"],
            "type": environment["Type"], "privileged_mode": environment["PrivilegedMode"],
            "image_pull_credentials_type": environment["ImagePullCredentialsType"],
            "environment_variable": [{"name": v["Name"], "type": v["Type"],
                                      "value": t.val(v["Value"])}
                                     for v in environment["EnvironmentVariables"]]},
        "cache": {"type": p["Cache"]["Type"], "modes": p["Cache"]["Modes"]},
        "logs_config": {"cloudwatch_logs": {
            "status": p["LogsConfig"]["CloudWatchLogs"]["Status"],
            "group_name": t.val(p["LogsConfig"]["CloudWatchLogs"]["GroupName"])}},
        "tags": tags(t, p)})


def _pipeline(t, n, p, r):
    stages = []
    for stage in p["Stages"]:
        actions = []
        for action in stage["Actions"]:
            kind = action["ActionTypeId"]
            actions.append(_omit_none({
                "name": action["Name"], "category": kind["Category"], "owner": kind["Owner"],
                "provider": kind["Provider"], "version": kind["Version"],
                "configuration": {k: t.val(v) for k, v in action["Configuration"].items()},
                "input_artifacts": [a["Name"] for a in action.get("InputArtifacts", [])],
                "output_artifacts": [a["Name"] for a in action.get("OutputArtifacts", [])],
                "namespace": action.get("Namespace"), "run_order": action.get("RunOrder")}))
        stages.append({"name": stage["Name"], "action": actions})
    t.add("aws_codepipeline", snake(n), {
        "name": p["Name"], "pipeline_type": p["PipelineType"],
        "execution_mode": p["ExecutionMode"], "role_arn": t.val(p["RoleArn"]),
        "artifact_store": {"type": p["ArtifactStore"]["Type"],
                           "location": t.val(p["ArtifactStore"]["Location"])},
        "stage": stages, "tags": tags(t, p)})


def _rule_resource(t, n, p, r):
    t.add("aws_cloudwatch_event_rule", snake(n), {
        "description": p.get("Description", ""), "state": p["State"],
        "event_pattern": json.dumps(t.val(p["EventPattern"]), separators=(",", ":")),
        "tags": tags(t, p)})
    for target in p["Targets"]:
        t.add("aws_cloudwatch_event_target", f"{snake(n)}_{snake(target['Id'])}", _omit_none({
            "rule": f"${{aws_cloudwatch_event_rule.{snake(n)}.name}}",
            "target_id": target["Id"], "arn": t.val(target["Arn"]),
            "role_arn": t.val(target["RoleArn"]) if "RoleArn" in target else None}))


def _topic_policy(t, n, p, r):
    (topic,) = p["Topics"]
    t.add("aws_sns_topic_policy", snake(n), {"arn": t.val(topic),
                                              "policy": t.policy(p["PolicyDocument"])})


CONVERTERS: dict[str, Callable] = {
    "AWS::EC2::VPC": _vpc,
    "AWS::EC2::InternetGateway": _simple("aws_internet_gateway", {}),
    "AWS::EC2::VPCGatewayAttachment": _simple("aws_internet_gateway_attachment", {
        "InternetGatewayId": "internet_gateway_id", "VpcId": "vpc_id"}),
    "AWS::EC2::Subnet": _simple("aws_subnet", {
        "VpcId": "vpc_id", "CidrBlock": "cidr_block", "AvailabilityZone": "availability_zone",
        "MapPublicIpOnLaunch": "map_public_ip_on_launch"}),
    "AWS::EC2::RouteTable": _simple("aws_route_table", {"VpcId": "vpc_id"}),
    "AWS::EC2::Route": _simple("aws_route", {
        "RouteTableId": "route_table_id", "DestinationCidrBlock": "destination_cidr_block",
        "GatewayId": "gateway_id", "NatGatewayId": "nat_gateway_id"}),
    "AWS::EC2::SubnetRouteTableAssociation": _simple("aws_route_table_association", {
        "SubnetId": "subnet_id", "RouteTableId": "route_table_id"}),
    "AWS::EC2::EIP": _simple("aws_eip", {"Domain": "domain"}),
    "AWS::EC2::NatGateway": _simple("aws_nat_gateway", {
        "AllocationId": "allocation_id", "SubnetId": "subnet_id"}),
    "AWS::EC2::SecurityGroup": _security_group,
    "AWS::EC2::SecurityGroupIngress": _ingress,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": _load_balancer,
    "AWS::ElasticLoadBalancingV2::TargetGroup": _target_group,
    "AWS::ElasticLoadBalancingV2::Listener": _listener,
    "AWS::ElasticLoadBalancingV2::ListenerRule": _listener_rule,
    "AWS::ECS::Cluster": _cluster,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::ECR::Repository": _repository,
    "AWS::IAM::Role": _role,
    "AWS::ECS::TaskDefinition": _task_definition,
    "AWS::ECS::Service": _service,
    "AWS::ApplicationAutoScaling::ScalableTarget": _scalable_target,
    "AWS::ApplicationAutoScaling::ScalingPolicy": _scaling_policy,
    "AWS::CodeDeploy::Application": _simple("aws_codedeploy_app", {
        "ApplicationName": "name", "ComputePlatform": "compute_platform"}),
    "AWS::CodeDeploy::DeploymentConfig": _deployment_config,
    "AWS::CodeDeploy::DeploymentGroup": _deployment_group,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::Lambda::Function": _function,
    "AWS::SNS::Topic": _topic,
    "AWS::S3::Bucket": _bucket,
    "AWS::S3::BucketPolicy": _bucket_policy,
    "AWS::CodeBuild::Project": _project,
    "AWS::CodePipeline::Pipeline": _pipeline,
    "AWS::Events::Rule": _rule_resource,
    "AWS::SNS::TopicPolicy": _topic_policy,
    "AWS::EC2::FlowLog": _flow_log,
    "Custom::EmptyDefaultGroup": _empty_default_group,
    "AWS::WAFv2::WebACLAssociation": _simple("aws_wafv2_web_acl_association", {
        "ResourceArn": "resource_arn", "WebACLArn": "web_acl_arn"}),
}

# Resource attributes with a Terraform meaning (DependsOn) or none needed (the policies:
# prevent_destroy is set by the bucket's converter, log groups are deleted with the stack).
RESOURCE_ATTRIBUTES = {"Type", "Properties", "DependsOn", "DeletionPolicy",
                       "UpdateReplacePolicy", "Metadata"}
# Metadata is read only for the scanners' waivers (stacks/waivers.py); anything else in it
# would have no Terraform form.
WAIVER_METADATA = {"checkov", "cfripper", "guard", "cfn-lint", "terraform"}


def _variable(name: str, parameter: dict) -> dict:
    kind = parameter["Type"]
    variable = {"description": parameter.get("Description", name)}
    reference = f"var.{snake(name)}"
    validations = []
    if kind == "Number":
        variable["type"] = "number"
        low, high = parameter["MinValue"], parameter["MaxValue"]
        validations.append((f"{reference} >= {low} && {reference} <= {high}",
                            f"{name} must be from {low} to {high}."))
    elif kind.startswith("List<"):
        variable["type"] = "list(string)"
        validations.append((f'alltrue([for s in {reference} : can(regex("^subnet-", s))])',
                            f"{name} must be subnet ids."))
    else:
        variable["type"] = "string"
        pattern = parameter.get("AllowedPattern") or ("^vpc-" if kind == "AWS::EC2::VPC::Id"
                                                      else None)
        if pattern:
            validations.append((f"can(regex({json.dumps(pattern)}, {reference}))",
                                f"{name} {parameter.get('ConstraintDescription', 'is invalid')}."))
    if "Default" in parameter:
        variable["default"] = (float(parameter["Default"]) if kind == "Number"
                               else parameter["Default"])
        if kind == "Number" and variable["default"].is_integer():
            variable["default"] = int(variable["default"])
    variable["validation"] = [{"condition": "${" + literal(c) + "}", "error_message": m}
                              for c, m in validations]
    return variable


def for_terraform(stack: Stack) -> dict:
    """The template the rendition translates: the stack's own, except where Terraform has no
    counterpart. With ECS's engine a release is a CloudFormation stack update (a change set the
    stack's function prepares); Terraform has no stack to update, so its pipeline deploys the
    way Terraform users deploy ECS from CodePipeline: the build writes imagedefinitions.json,
    CodePipeline's standard ECS action registers the service's task definition with the new
    image and updates the service, which ECS deploys with the same strategy, hooks and
    alarms. The pipeline role grants that action's documented permissions instead of the
    release's (policies/pipeline.py deploy_with_ecs_action)."""
    template = stack.document()
    if stack.engine is None:
        return template
    resources = template["Resources"]
    pipeline = resources[stack.pipeline.pipeline.title]["Properties"]
    for stage in pipeline["Stages"]:
        if stage["Name"] == "Build":  # no exported variable is read
            for action in stage["Actions"]:
                action.pop("Namespace", None)
        if stage["Name"] == "Deploy":
            stage["Actions"] = [ecs_deploy_action(stack)]
    project = resources[stack.pipeline.project.title]["Properties"]
    if stack.settings.pipeline.buildspec == "inline":
        project["Source"]["BuildSpec"] = buildspec(stack.settings.deployment.engine,
                                                   image_definitions=stack.names.container)
    # The image is the first one only: releases change the service, not the variable.
    template["Parameters"][stack.params.image.title]["Description"] = (
        "Image the service starts with (it must pass the health check); the pipeline "
        "releases the next ones.")
    (policy,) = resources[stack.pipeline.role.title]["Properties"]["Policies"]
    release = release_statement_ids()
    kept = [statement for statement in policy["PolicyDocument"]["Statement"]
            if statement.get("Sid") not in release]
    policy["PolicyDocument"]["Statement"] = kept + [encode_to_dict(statement) for statement
                                                    in deploy_with_ecs_action(stack)]
    return template


def translate(stack: Stack) -> tuple[dict[str, dict], dict[str, bytes]]:
    """(main/variables/outputs .tf.json as dicts, the Lambda packages by file name)."""
    template = for_terraform(stack)
    t = Translator(template)
    cfn_only = {r.title for r in stack.load_balancing.guard.resources}
    for logical_id, resource in template["Resources"].items():
        if logical_id in cfn_only:
            continue
        kind = resource["Type"]
        if kind not in CONVERTERS:
            raise Untranslated(f"{logical_id}: no Terraform form for {kind}")
        unknown = (set(resource) - RESOURCE_ATTRIBUTES
                   | {f"Metadata.{key}" for key in resource.get("Metadata", {})
                      if key not in WAIVER_METADATA})
        if unknown:
            raise Untranslated(f"{logical_id}: {sorted(unknown)}")
        before = {(kind_, name) for kind_, bodies in t.resources.items() for name in bodies}
        read: set[str] = set()
        properties = Tracked(resource.get("Properties", {}), "", read)
        try:
            CONVERTERS[kind](t, logical_id, properties, resource)
        except Unresolvable as error:
            raise Untranslated(f"{logical_id}: {error}") from None
        unread = _paths(resource.get("Properties", {}), "") - read
        if unread:
            raise Untranslated(f"{logical_id} ({kind}): properties not translated: "
                               + ", ".join(sorted(p.lstrip(".") for p in unread)))
        body = t.resources[TYPES[kind][0]][snake(logical_id)]
        skips = {**waived(resource, "checkov"), **waived(resource, "terraform")}
        if skips:
            # On every Terraform resource this one became (a group's rules are resources of
            # their own). checkov reads no skips from .tf.json (bridgecrewio/checkov#4634):
            # `make scan` reads these comments.
            comment = "\n".join(f"checkov:skip={check}:{reason}"
                                for check, reason in sorted(skips.items()))
            for kind_, bodies in t.resources.items():
                for name, made in bodies.items():
                    if (kind_, name) not in before:
                        made["//"] = comment
        depends = resource.get("DependsOn", [])
        depends = [depends] if isinstance(depends, str) else depends
        depends = [d for d in depends if d not in cfn_only]
        if depends and "depends_on" not in body:
            body["depends_on"] = [t.address(d) for d in depends]
    variables = {snake(name): _variable(name, parameter)
                 for name, parameter in template.get("Parameters", {}).items()}
    outputs = {snake(name): {"description": output["Description"],
                             "value": t.val(output["Value"])}
               for name, output in template["Outputs"].items()}
    provider = AWS_PROVIDER if stack.engine is None else AWS_PROVIDER_ECS_ENGINE
    main = {"terraform": {"required_providers": {"aws": provider}},
            # What the stack's tags do in CloudFormation (stacks/tags.py).
            "provider": {"aws": {"default_tags": {"tags": stack_tags(stack.settings)}}},
            "data": t.data, "resource": t.resources}
    if t.locals:
        main["locals"] = t.locals
    # required_version in a file of its own: checkov's terraform_json parser fails on the whole
    # file that holds it (bridgecrewio/checkov#7454), and here that file holds nothing else.
    return ({"main.tf.json": main, "versions.tf.json": {"terraform": {"required_version": ">= 1.6"}},
             "variables.tf.json": {"variable": variables},
             "outputs.tf.json": {"output": outputs}}, t.files)


def render_terraform_files(settings: Settings) -> dict[str, str | bytes]:
    documents, packages = translate(build_stack(settings))
    files: dict[str, str | bytes] = {
        f"terraform/{name}": json.dumps(body, indent=2, sort_keys=True) + "\n"
        for name, body in documents.items()}
    files.update({f"terraform/{name}": data for name, data in packages.items()})
    return files
