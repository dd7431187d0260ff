"""Every setting reaches the resource properties it should.

One check per settings key. The keys come from the settings model's field list, so a new
setting without a check fails `test_every_setting_has_a_check`; every check runs on every
variant and compares the template with that variant's own value; and every key takes a value
other than its default in some variant (`test_every_setting_is_moved_by_some_variant`), so a
builder that hard-codes a default fails here, not only in a snapshot.

Resources are found by what AWS calls them (types, metric names, the deploy action's
provider), not by this project's logical ids where that can be avoided.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Callable

import pytest

from policies.world import World
from stacks.intrinsics import load_template
from stacks.settings import Settings, documented_keys, parse_settings
from stacks.template import build_stack, readable
from variants import VARIANTS, settings_for

CHECKS: dict[str, Callable[[Settings, dict], None]] = {}


def check(key: str):
    def register(function):
        CHECKS[key] = function
        return function
    return register


def of_type(t: dict, kind: str) -> list[dict]:
    return [r["Properties"] for r in t["Resources"].values() if r["Type"] == kind]


def one(t: dict, kind: str) -> dict:
    (found,) = of_type(t, kind)
    return found


def target_groups(t: dict) -> list[dict]:
    groups = of_type(t, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert len(groups) == 2
    return groups


def listeners(t: dict) -> dict[int, dict]:
    return {p["Port"]: p for p in of_type(t, "AWS::ElasticLoadBalancingV2::Listener")}


def deploy_group(t: dict) -> dict:
    return one(t, "AWS::CodeDeploy::DeploymentGroup")


def ecs_engine(t: dict) -> bool:
    """Whether ECS deploys the service itself (deployment.engine "ecs")."""
    return one(t, "AWS::ECS::Service")["DeploymentController"]["Type"] == "ECS"


def ecs_deployment(t: dict) -> dict:
    return one(t, "AWS::ECS::Service")["DeploymentConfiguration"]


def ecs_hooks(t: dict, target_type: str) -> list[dict]:
    return [h for h in ecs_deployment(t).get("LifecycleHooks", [])
            if h["TargetType"] == target_type]


def build_variables(t: dict) -> dict:
    project = one(t, "AWS::CodeBuild::Project")
    return {v["Name"]: v["Value"] for v in project["Environment"]["EnvironmentVariables"]}


def build_document(t: dict, name: str) -> dict | None:
    """taskdef.json or the AppSpec as the build writes it, with deploy-time values filled in
    for a made-up deployment; None with ECS's engine, whose build writes neither."""
    if ecs_engine(t):
        assert name not in build_variables(t)
        return None
    return json.loads(World(t).resolve(build_variables(t)[name]))


def taskdef_container(t: dict) -> dict | None:
    taskdef = build_document(t, "TASKDEF_JSON")
    return taskdef["containerDefinitions"][0] if taskdef else None


def container(t: dict) -> dict:
    (found,) = one(t, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    return found


def alarms_of(t: dict, metric: str) -> list[dict]:
    return [a for a in of_type(t, "AWS::CloudWatch::Alarm") if a["MetricName"] == metric]


def hook_function(t: dict) -> dict | None:
    """The function the AppSpec (ECS: the service's lifecycle hooks) names as a hook, if any."""
    if ecs_engine(t):
        ids = {h["HookTargetArn"]["Fn::GetAtt"][0] for h in ecs_hooks(t, "AWS_LAMBDA")}
        assert len(ids) <= 1
        return t["Resources"][ids.pop()]["Properties"] if ids else None
    appspec = build_document(t, "APPSPEC_JSON")
    names = {name for hook in appspec.get("Hooks", []) for name in hook.values()}
    functions = [f for f in of_type(t, "AWS::Lambda::Function") if f["FunctionName"] in names]
    assert len(functions) == len(names) <= 1
    return functions[0] if functions else None


def taggable(t: dict) -> list[dict]:
    """Resources that carry the stack's tags in the template (not only a Name)."""
    return [r["Properties"] for r in t["Resources"].values()
            if {tag["Key"] for tag in r.get("Properties", {}).get("Tags", [])} - {"Name"}]


def tag(properties: dict, key: str) -> str:
    return {item["Key"]: item["Value"] for item in properties["Tags"]}[key]


def ingress(t: dict) -> list[dict]:
    rules = [rule for group in of_type(t, "AWS::EC2::SecurityGroup")
             for rule in group.get("SecurityGroupIngress", [])]
    return rules + of_type(t, "AWS::EC2::SecurityGroupIngress")


# --- [service] ------------------------------------------------------------------------------

@check("service.name")
def _(s, t):
    assert {tag(p, "Application") for p in taggable(t)} == {s.service.name}
    assert one(t, "AWS::ECS::Cluster")["ClusterName"].startswith(s.service.name + "-")


@check("service.environment")
def _(s, t):
    assert {tag(p, "Environment") for p in taggable(t)} == {s.service.environment}
    resource_id = f"{s.service.name}-{s.service.environment}"
    for kind, prop in (("AWS::ECS::Cluster", "ClusterName"), ("AWS::ECS::Service", "ServiceName"),
                       ("AWS::ECS::TaskDefinition", "Family"),
                       ("AWS::ElasticLoadBalancingV2::LoadBalancer", "Name"),
                       ("AWS::ECR::Repository", "RepositoryName"),
                       *(() if ecs_engine(t) else
                         (("AWS::CodeDeploy::Application", "ApplicationName"),))):
        assert one(t, kind)[prop] == resource_id, kind
    assert sorted(g["Name"] for g in target_groups(t)) == [f"{resource_id}-blue",
                                                           f"{resource_id}-green"]


@check("service.container_port")
def _(s, t):
    port = s.service.container_port
    assert {g["Port"] for g in target_groups(t)} == {port}
    assert container(t)["PortMappings"] == [{"ContainerPort": port, "Protocol": "tcp"}]
    assert one(t, "AWS::ECS::Service")["LoadBalancers"][0]["ContainerPort"] == port
    if not ecs_engine(t):
        (mapping,) = taskdef_container(t)["portMappings"]
        assert mapping["containerPort"] == port
        (target,) = build_document(t, "APPSPEC_JSON")["Resources"]
        assert target["TargetService"]["Properties"]["LoadBalancerInfo"]["ContainerPort"] == port
    # The tasks admit the port from the load balancer, and nothing else.
    (task_rule,) = [r for r in ingress(t) if "SourceSecurityGroupId" in r]
    assert (task_rule["FromPort"], task_rule["ToPort"]) == (port, port)


@check("service.cpu")
def _(s, t):
    assert one(t, "AWS::ECS::TaskDefinition")["Cpu"] == str(s.service.cpu)
    assert (build_document(t, "TASKDEF_JSON") or {"cpu": str(s.service.cpu)})["cpu"] == \
        str(s.service.cpu)


@check("service.memory")
def _(s, t):
    assert one(t, "AWS::ECS::TaskDefinition")["Memory"] == str(s.service.memory)
    assert (build_document(t, "TASKDEF_JSON") or {"memory": str(s.service.memory)})[
        "memory"] == str(s.service.memory)


@check("service.health_check_path")
def _(s, t):
    assert {g["HealthCheckPath"] for g in target_groups(t)} == {s.service.health_check_path}
    function = hook_function(t)
    if function and not s.hooks.paths:
        assert function["Environment"]["Variables"]["PATHS"] == s.service.health_check_path


@check("service.health_check_grace_seconds")
def _(s, t):
    service = one(t, "AWS::ECS::Service")
    assert service["HealthCheckGracePeriodSeconds"] == s.service.health_check_grace_seconds


@check("service.log_retention_days")
def _(s, t):
    groups = of_type(t, "AWS::Logs::LogGroup")
    assert len(groups) >= 3  # the service's, the build's and the guard's at least
    days = {g.get("RetentionInDays") for g in groups}
    assert days == ({s.service.log_retention_days} if s.service.log_retention_days else {None})
    if "LogBucket" in t["Resources"]:  # the log bucket keeps its logs as long
        (rule,) = t["Resources"]["LogBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
        kept = (rule.get("ExpirationInDays"),
                rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays"))
        retention = s.service.log_retention_days or None
        assert kept == (retention, retention)


@check("service.user")
def _(s, t):
    (container,) = one(t, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    assert container.get("User") == (s.service.user or None)
    if not ecs_engine(t):
        assert taskdef_container(t).get("user") == (s.service.user or None)


@check("service.read_only_root_filesystem")
def _(s, t):
    task = one(t, "AWS::ECS::TaskDefinition")
    (container,) = task["ContainerDefinitions"]
    # With ECS's engine the build writes no taskdef.json: the stack's own task definition runs.
    taskdef = build_document(t, "TASKDEF_JSON")
    if s.service.read_only_root_filesystem:
        assert container["ReadonlyRootFilesystem"] is True
        # the one writable place: /tmp on a task volume (ephemeral storage on Fargate)
        (mount,) = container["MountPoints"]
        assert mount["ContainerPath"] == "/tmp"
        assert task["Volumes"] == [{"Name": mount["SourceVolume"]}]
        if taskdef:
            assert taskdef["containerDefinitions"][0]["readonlyRootFilesystem"] is True
            assert taskdef["volumes"] == [{"name": mount["SourceVolume"]}]
    else:
        assert "ReadonlyRootFilesystem" not in container and "Volumes" not in task
        assert "volumes" not in (taskdef or {})


@check("service.keep_images")
def _(s, t):
    policy = json.loads(one(t, "AWS::ECR::Repository")["LifecyclePolicy"]["LifecyclePolicyText"])
    counts = [r["selection"]["countNumber"] for r in policy["rules"]
              if r["selection"]["countType"] == "imageCountMoreThan"]
    assert counts == [s.service.keep_images]


@check("service.entry_point")
def _(s, t):
    assert container(t).get("EntryPoint", []) == list(s.service.entry_point)
    if not ecs_engine(t):
        assert taskdef_container(t).get("entryPoint", []) == list(s.service.entry_point)


# --- [health_check] ---------------------------------------------------------------------------

@check("health_check.interval_seconds")
def _(s, t):
    assert {g["HealthCheckIntervalSeconds"] for g in target_groups(t)} == {
        s.health_check.interval_seconds}


@check("health_check.timeout_seconds")
def _(s, t):
    assert {g["HealthCheckTimeoutSeconds"] for g in target_groups(t)} == {
        s.health_check.timeout_seconds}


@check("health_check.healthy_threshold")
def _(s, t):
    assert {g["HealthyThresholdCount"] for g in target_groups(t)} == {
        s.health_check.healthy_threshold}


@check("health_check.unhealthy_threshold")
def _(s, t):
    assert {g["UnhealthyThresholdCount"] for g in target_groups(t)} == {
        s.health_check.unhealthy_threshold}


@check("health_check.success_codes")
def _(s, t):
    assert [g["Matcher"] for g in target_groups(t)] == [
        {"HttpCode": s.health_check.success_codes}] * 2


@check("health_check.deregistration_delay_seconds")
def _(s, t):
    for group in target_groups(t):
        attributes = {a["Key"]: a["Value"] for a in group["TargetGroupAttributes"]}
        assert attributes["deregistration_delay.timeout_seconds"] == str(
            s.health_check.deregistration_delay_seconds)


# --- [listeners] ------------------------------------------------------------------------------

@check("listeners.https")
def _(s, t):
    ports = listeners(t)
    if s.listeners.https:
        assert ports[443]["Protocol"] == "HTTPS"
        assert ports[443]["Certificates"] == [{"CertificateArn": {"Ref": "CertificateArn"}}]
        assert ports[80]["DefaultActions"] == [{"Type": "redirect", "RedirectConfig": {
            "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
        assert "CertificateArn" in t["Parameters"]
    else:
        assert 443 not in ports and ports[80]["Protocol"] == "HTTP"
        # Production is port 80 itself: its default action (ECS: its rule) forwards.
        actions = ports[80]["DefaultActions"]
        if ecs_engine(t):
            (actions,) = [r["Actions"] for r in of_type(
                t, "AWS::ElasticLoadBalancingV2::ListenerRule")
                if r["ListenerArn"] == {"Ref": _logical_id(t, ports[80])}]
        assert actions[0]["Type"] == "forward"
        assert "CertificateArn" not in t["Parameters"]
    scheme = "https" if s.listeners.https else "http"
    assert t["Outputs"]["ProductionUrl"]["Value"]["Fn::Sub"].startswith(f"{scheme}://")


@check("listeners.test_port")
def _(s, t):
    port = s.listeners.test_port
    if ecs_engine(t):  # the test route is a rule of the test listener
        rule = one(t, "AWS::ECS::Service")["LoadBalancers"][0]["AdvancedConfiguration"][
            "TestListenerRule"]
        test_routes = [t["Resources"][rule["Ref"]]["Properties"]["ListenerArn"]]
    else:
        route = deploy_group(t)["LoadBalancerInfo"]["TargetGroupPairInfoList"][0]
        test_routes = route["TestTrafficRoute"]["ListenerArns"]
    (test_listener,) = [p for p in of_type(t, "AWS::ElasticLoadBalancingV2::Listener")
                        if {"Ref": _logical_id(t, p)} in test_routes]
    assert test_listener["Port"] == port
    # TLS with the production certificate when there is one (listeners.https).
    assert test_listener["Protocol"] == ("HTTPS" if s.listeners.https else "HTTP")
    assert test_listener.get("Certificates") == (
        [{"CertificateArn": {"Ref": "CertificateArn"}}] if s.listeners.https else None)
    assert all(rule["FromPort"] == rule["ToPort"] == port for rule in ingress(t)
               if rule.get("Description") in ("Testers", "Test-traffic hook via NAT"))
    assert t["Outputs"]["TestUrl"]["Value"]["Fn::Sub"].endswith(f":{port}/")
    function = hook_function(t)
    if function:
        assert function["Environment"]["Variables"]["TEST_URL"]["Fn::Sub"].endswith(f":{port}")


def _logical_id(t: dict, properties: dict) -> str:
    (name,) = [n for n, r in t["Resources"].items() if r.get("Properties") is properties]
    return name


@check("listeners.test_cidrs")
def _(s, t):
    sources = sorted(rule["CidrIp"] for rule in ingress(t)
                     if rule["FromPort"] == s.listeners.test_port
                     and isinstance(rule.get("CidrIp"), str))
    assert sources == sorted(s.listeners.test_cidrs)
    for cidr in sources:
        assert ipaddress.ip_network(cidr).prefixlen > 0


@check("listeners.ssl_policy")
def _(s, t):
    policies = {p.get("SslPolicy") for p in listeners(t).values()} - {None}
    assert policies == ({s.listeners.ssl_policy} if s.listeners.https else set())


# --- [load_balancer] --------------------------------------------------------------------------
# Where the services write, as AWS documents their keys: an ALB's access logs go to
# bucket/prefix/AWSLogs/<account>/elasticloadbalancing/..., a VPC's flow logs to
# bucket/prefix/AWSLogs/<account>/vpcflowlogs/..., S3 server access logs to bucket/<prefix>.

def lb_attributes(t: dict) -> dict:
    return {a["Key"]: a["Value"] for a in
            one(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")["LoadBalancerAttributes"]}


def log_statements(t: dict) -> list[dict]:
    return [s for p in of_type(t, "AWS::S3::BucketPolicy") if p["Bucket"] == {"Ref": "LogBucket"}
            for s in p["PolicyDocument"]["Statement"]]


FROM_THIS_ACCOUNT = {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_the_log_bucket_policy_is_tls_only_and_each_writer_is_as_aws_documents(variant, template):
    """TLS only, in the form Control Tower's S3.PR.8 reads; S3 server access logs with
    aws:SourceAccount (the S3 user guide's statement); flow logs with AWS's two statements and
    their conditions (VPC user guide, flow logs to S3). No other principal may write."""
    statements = log_statements(template)
    if not statements:
        assert "LogBucket" not in template["Resources"]
        return
    deny = [s for s in statements if s["Effect"] == "Deny"]
    assert deny == [{"Action": ["s3:*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                     "Effect": "Deny", "Principal": "*", "Sid": "DenyInsecureTransport",
                     "Resource": [{"Fn::GetAtt": ["LogBucket", "Arn"]},
                                  {"Fn::Join": ["", [{"Fn::GetAtt": ["LogBucket", "Arn"]},
                                                     "/*"]]}]}]
    by_sid = {s["Sid"]: s for s in statements if s["Effect"] == "Allow"}
    if "ServerAccessLogs" in by_sid:
        assert by_sid["ServerAccessLogs"]["Condition"] == {"StringEquals": FROM_THIS_ACCOUNT}
    if "FlowLogsWrite" in by_sid:
        assert by_sid["FlowLogsWrite"]["Condition"] == {"StringEquals": {
            **FROM_THIS_ACCOUNT, "s3:x-amz-acl": "bucket-owner-full-control"}}
        check = by_sid["FlowLogsAclCheck"]
        assert check["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
        assert sorted(check["Action"]) == ["s3:GetBucketAcl", "s3:ListBucket"]
        assert check["Resource"] == [{"Fn::GetAtt": ["LogBucket", "Arn"]}]
        assert check["Condition"] == {"StringEquals": FROM_THIS_ACCOUNT}
    writers = {s["Principal"]["Service"] for s in by_sid.values()}
    assert writers <= {"logdelivery.elasticloadbalancing.amazonaws.com",
                       "logging.s3.amazonaws.com", "delivery.logs.amazonaws.com"}


def log_writers(t: dict) -> dict[str, list]:
    """Service principal -> the resources the log bucket's policy lets it write."""
    policies = [p for p in of_type(t, "AWS::S3::BucketPolicy")
                if p["Bucket"] == {"Ref": "LogBucket"}]
    return {s["Principal"]["Service"]: s["Resource"]
            for p in policies for s in p["PolicyDocument"]["Statement"]
            if s["Effect"] == "Allow" and s["Action"] == ["s3:PutObject"]}


@check("load_balancer.access_logs")
def _(s, t):
    attributes, writers = lb_attributes(t), log_writers(t)
    artifacts = t["Resources"]["ArtifactBucket"]["Properties"]
    if s.load_balancer.access_logs:
        assert attributes["access_logs.s3.enabled"] == "true"
        assert attributes["access_logs.s3.bucket"] == {"Ref": "LogBucket"}
        prefix = attributes["access_logs.s3.prefix"]
        assert writers["logdelivery.elasticloadbalancing.amazonaws.com"] == [
            {"Fn::Sub": f"${{LogBucket.Arn}}/{prefix}/AWSLogs/${{AWS::AccountId}}/*"}]
        logging = artifacts["LoggingConfiguration"]
        assert logging["DestinationBucketName"] == {"Ref": "LogBucket"}
        assert writers["logging.s3.amazonaws.com"] == [
            {"Fn::Sub": f"${{LogBucket.Arn}}/{logging['LogFilePrefix']}*"}]
    else:
        assert not any(k.startswith("access_logs.") for k in attributes)
        assert "LoggingConfiguration" not in artifacts
        assert not {"logdelivery.elasticloadbalancing.amazonaws.com",
                    "logging.s3.amazonaws.com"} & set(writers)


@check("load_balancer.deletion_protection")
def _(s, t):
    assert (lb_attributes(t).get("deletion_protection.enabled") == "true") == \
        s.load_balancer.deletion_protection


@check("load_balancer.web_acl")
def _(s, t):
    associations = of_type(t, "AWS::WAFv2::WebACLAssociation")
    if s.load_balancer.web_acl:
        assert associations == [{"ResourceArn": {"Ref": "LoadBalancer"},
                                 "WebACLArn": {"Ref": "WebAclArn"}}]
        assert t["Parameters"]["WebAclArn"]["AllowedPattern"].find(":regional/webacl/") > 0
    else:
        assert associations == [] and "WebAclArn" not in t["Parameters"]


# --- [deployment] -----------------------------------------------------------------------------

# CodeDeploy's predefined ECS configs, by (type, percent, minutes), as AWS names them:
# https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
PREDEFINED = {
    ("all-at-once", None, None): "CodeDeployDefault.ECSAllAtOnce",
    ("canary", 10, 5): "CodeDeployDefault.ECSCanary10Percent5Minutes",
    ("canary", 10, 15): "CodeDeployDefault.ECSCanary10Percent15Minutes",
    ("linear", 10, 1): "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
    ("linear", 10, 3): "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
}


# ECS's strategies (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/
# deployment-type-blue-green.html, ...-linear.html, ...-canary.html) as the settings name them.
STRATEGIES = {"BLUE_GREEN": "all-at-once", "CANARY": "canary", "LINEAR": "linear"}


def _routing(t: dict) -> tuple:
    """(traffic, percent, minutes) that the template's deployment config means."""
    if ecs_engine(t):
        config = ecs_deployment(t)
        traffic = STRATEGIES[config["Strategy"]]
        if traffic == "canary":
            step = config["CanaryConfiguration"]
            return (traffic, step["CanaryPercent"], step["CanaryBakeTimeInMinutes"])
        if traffic == "linear":
            step = config["LinearConfiguration"]
            return (traffic, step["StepPercent"], step["StepBakeTimeInMinutes"])
        assert not {"CanaryConfiguration", "LinearConfiguration"} & set(config)
        return (traffic, None, None)
    name = deploy_group(t)["DeploymentConfigName"]
    if isinstance(name, str):
        (key,) = [k for k, v in PREDEFINED.items() if v == name]
        return key
    config = one(t, "AWS::CodeDeploy::DeploymentConfig")["TrafficRoutingConfig"]
    kind = config["Type"]
    step = config[kind]
    if kind == "TimeBasedCanary":
        return ("canary", step["CanaryPercentage"], step["CanaryInterval"])
    return ("linear", step["LinearPercentage"], step["LinearInterval"])


def _expected_routing(s: Settings) -> tuple:
    d = s.deployment
    if d.traffic == "all-at-once":
        return ("all-at-once", None, None)
    # Documented defaults of percent and interval_minutes: 10 and 5.
    return (d.traffic, 10 if d.percent is None else d.percent,
            5 if d.interval_minutes is None else d.interval_minutes)


@check("deployment.traffic")
def _(s, t):
    assert _routing(t)[0] == s.deployment.traffic


@check("deployment.percent")
def _(s, t):
    assert _routing(t)[1] == _expected_routing(s)[1]


@check("deployment.interval_minutes")
def _(s, t):
    assert _routing(t)[2] == _expected_routing(s)[2]


@check("deployment.engine")
def _(s, t):
    service = one(t, "AWS::ECS::Service")
    codedeploy = [r for r in t["Resources"].values() if r["Type"].startswith("AWS::CodeDeploy::")]
    if s.deployment.engine == "ecs":
        assert service["DeploymentController"] == {"Type": "ECS"}
        assert service["TaskDefinition"] == {"Ref": "TaskDefinition"}
        assert codedeploy == []
        # Production and test are listener rules that name both groups (ECS refuses others).
        advanced = service["LoadBalancers"][0]["AdvancedConfiguration"]
        groups = {service["LoadBalancers"][0]["TargetGroupArn"]["Ref"],
                  advanced["AlternateTargetGroupArn"]["Ref"]}
        for route in ("ProductionListenerRule", "TestListenerRule"):
            rule = t["Resources"][advanced[route]["Ref"]]
            assert rule["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule"
            (action,) = rule["Properties"]["Actions"]
            assert {g["TargetGroupArn"]["Ref"] for g in
                    action["ForwardConfig"]["TargetGroups"]} == groups
    else:
        assert service["DeploymentController"] == {"Type": "CODE_DEPLOY"}
        assert {r["Type"] for r in codedeploy} >= {"AWS::CodeDeploy::Application",
                                                   "AWS::CodeDeploy::DeploymentGroup"}
        assert "DeploymentConfiguration" not in service


@check("deployment.termination_wait_minutes")
def _(s, t):
    if ecs_engine(t):
        assert ecs_deployment(t)["BakeTimeInMinutes"] == s.deployment.termination_wait_minutes
        return
    terminate = deploy_group(t)["BlueGreenDeploymentConfiguration"][
        "TerminateBlueInstancesOnDeploymentSuccess"]
    assert terminate == {"Action": "TERMINATE",
                         "TerminationWaitTimeInMinutes": s.deployment.termination_wait_minutes}


@check("deployment.approval_wait_minutes")
def _(s, t):
    if ecs_engine(t):
        pauses = ecs_hooks(t, "PAUSE")
        minutes = s.deployment.approval_wait_minutes
        # After test traffic moves, before production does; without an operator's continue
        # within the window, the deployment rolls back.
        assert pauses == ([{"TargetType": "PAUSE", "LifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                            "TimeoutConfiguration": {"Action": "ROLLBACK",
                                                     "TimeoutInMinutes": minutes}}]
                          if minutes else [])
        return
    ready = deploy_group(t)["BlueGreenDeploymentConfiguration"]["DeploymentReadyOption"]
    minutes = s.deployment.approval_wait_minutes
    # A wait applies only with STOP_DEPLOYMENT; CONTINUE_DEPLOYMENT shifts at once.
    assert ready == ({"ActionOnTimeout": "STOP_DEPLOYMENT", "WaitTimeInMinutes": minutes}
                     if minutes else
                     {"ActionOnTimeout": "CONTINUE_DEPLOYMENT", "WaitTimeInMinutes": 0})


# --- [scaling] --------------------------------------------------------------------------------

def _policies(t: dict) -> dict[str, dict]:
    return {p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
        "PredefinedMetricType"]: p["TargetTrackingScalingPolicyConfiguration"]
        for p in of_type(t, "AWS::ApplicationAutoScaling::ScalingPolicy")}


@check("scaling.min")
def _(s, t):
    assert one(t, "AWS::ApplicationAutoScaling::ScalableTarget")["MinCapacity"] == s.scaling.min
    # The service's size is the scalable target's: no DesiredCount for updates to reset.
    assert "DesiredCount" not in one(t, "AWS::ECS::Service")


@check("scaling.max")
def _(s, t):
    assert one(t, "AWS::ApplicationAutoScaling::ScalableTarget")["MaxCapacity"] == s.scaling.max


@check("scaling.cpu_target")
def _(s, t):
    assert _policies(t)["ECSServiceAverageCPUUtilization"]["TargetValue"] == s.scaling.cpu_target


@check("scaling.memory_target")
def _(s, t):
    assert _policies(t)["ECSServiceAverageMemoryUtilization"]["TargetValue"] == \
        s.scaling.memory_target


@check("scaling.scale_in_cooldown_seconds")
def _(s, t):
    assert {p["ScaleInCooldown"] for p in _policies(t).values()} == {
        s.scaling.scale_in_cooldown_seconds}


@check("scaling.scale_out_cooldown_seconds")
def _(s, t):
    assert {p["ScaleOutCooldown"] for p in _policies(t).values()} == {
        s.scaling.scale_out_cooldown_seconds}


# --- [network] --------------------------------------------------------------------------------

@check("network.mode")
def _(s, t):
    created = s.network.mode == "create"
    assert bool(of_type(t, "AWS::EC2::VPC")) == created
    assert ("VpcId" in t["Parameters"]) == (not created)
    assert ("ServiceSubnetIds" in t["Parameters"]) == (not created)
    # A created VPC's default security group is emptied by the guard's function (by its
    # GetAtt, the group AWS made with the VPC); an existing VPC's is not ours to change.
    emptied = of_type(t, "Custom::EmptyDefaultGroup")
    assert emptied == ([{"ServiceToken": {"Fn::GetAtt": ["LiveRoutesFunction", "Arn"]},
                         "ServiceTimeout": 120,
                         "GroupId": {"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]}}]
                       if created else [])


@check("network.vpc_cidr")
def _(s, t):
    if s.network.mode != "create":
        return
    vpc = ipaddress.ip_network(one(t, "AWS::EC2::VPC")["CidrBlock"])
    assert vpc == ipaddress.ip_network(s.network.vpc_cidr)
    subnets = [ipaddress.ip_network(p["CidrBlock"]) for p in of_type(t, "AWS::EC2::Subnet")]
    assert len(subnets) == 4 and all(subnet.subnet_of(vpc) for subnet in subnets)


@check("network.nat_gateways")
def _(s, t):
    expected = s.network.nat_gateways if s.network.mode == "create" else 0
    assert len(of_type(t, "AWS::EC2::NatGateway")) == expected


@check("network.task_egress")
def _(s, t):
    (group,) = [g for g in of_type(t, "AWS::EC2::SecurityGroup")
                if g["GroupName"].endswith("-service-sg")]
    (rule,) = group["SecurityGroupEgress"]
    assert rule["CidrIp"] == "0.0.0.0/0"
    if s.network.task_egress == "all":
        assert rule["IpProtocol"] == "-1"
    else:  # HTTPS only
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)


@check("network.flow_logs")
def _(s, t):
    flow_logs = of_type(t, "AWS::EC2::FlowLog")
    if s.network.mode == "create" and s.network.flow_logs:
        (flow_log,) = flow_logs
        assert flow_log["ResourceId"] == {"Ref": "Vpc"} and flow_log["ResourceType"] == "VPC"
        assert flow_log["TrafficType"] == "ALL" and flow_log["LogDestinationType"] == "s3"
        destination = flow_log["LogDestination"]["Fn::Sub"]
        assert destination.startswith("${LogBucket.Arn}/")
        assert log_writers(t)["delivery.logs.amazonaws.com"] == [
            {"Fn::Sub": f"{destination}AWSLogs/${{AWS::AccountId}}/*"}]
    else:
        assert flow_logs == [] and "delivery.logs.amazonaws.com" not in log_writers(t)


@check("network.assign_public_ip")
def _(s, t):
    network = one(t, "AWS::ECS::Service")["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == ("ENABLED" if s.network.assign_public_ip else "DISABLED")


# --- [pipeline] -------------------------------------------------------------------------------

def _actions(t: dict) -> dict[str, dict]:
    return {stage["Name"]: action for stage in one(t, "AWS::CodePipeline::Pipeline")["Stages"]
            for action in stage["Actions"]}


# The source action providers, as CodePipeline names them.
PROVIDERS = {"connection": "CodeStarSourceConnection", "codecommit": "CodeCommit", "s3": "S3"}


@check("pipeline.source")
def _(s, t):
    assert _actions(t)["Source"]["ActionTypeId"]["Provider"] == PROVIDERS[s.pipeline.source]


@check("pipeline.branch")
def _(s, t):
    if s.pipeline.source == "s3":
        assert "BranchName" not in t["Parameters"]
    else:
        assert t["Parameters"]["BranchName"]["Default"] == s.pipeline.branch
        assert _actions(t)["Source"]["Configuration"]["BranchName"] == {"Ref": "BranchName"}


@check("pipeline.buildspec")
def _(s, t):
    spec = one(t, "AWS::CodeBuild::Project")["Source"]["BuildSpec"]
    if s.pipeline.buildspec == "inline":
        assert spec.startswith("version: 0.2\n")
    else:
        assert spec == s.pipeline.buildspec


@check("pipeline.dockerfile")
def _(s, t):
    assert build_variables(t)["DOCKERFILE"] == s.pipeline.dockerfile


@check("pipeline.build_context")
def _(s, t):
    assert build_variables(t)["BUILD_CONTEXT"] == s.pipeline.build_context


@check("pipeline.compute_type")
def _(s, t):
    assert one(t, "AWS::CodeBuild::Project")["Environment"]["ComputeType"] == \
        s.pipeline.compute_type


@check("pipeline.build_image")
def _(s, t):
    assert one(t, "AWS::CodeBuild::Project")["Environment"]["Image"] == s.pipeline.build_image


@check("pipeline.build_timeout_minutes")
def _(s, t):
    assert one(t, "AWS::CodeBuild::Project")["TimeoutInMinutes"] == \
        s.pipeline.build_timeout_minutes


@check("pipeline.artifact_retention_days")
def _(s, t):
    (rule,) = t["Resources"]["ArtifactBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    days = s.pipeline.artifact_retention_days
    assert (rule["ExpirationInDays"], rule["NoncurrentVersionExpiration"]["NoncurrentDays"]) \
        == (days, days)


# --- [alarms] ---------------------------------------------------------------------------------

# The Application Load Balancer metrics the alarms watch (AWS/ApplicationELB).
FIVE_XX, UNHEALTHY, LATENCY = ("HTTPCode_Target_5XX_Count", "UnHealthyHostCount",
                               "TargetResponseTime")


@check("alarms.enabled")
def _(s, t):
    alarms = of_type(t, "AWS::CloudWatch::Alarm")
    if ecs_engine(t):
        configured = ecs_deployment(t).get("Alarms")
        if s.alarms.enabled:
            assert sorted(a["MetricName"] for a in alarms) == sorted([FIVE_XX, UNHEALTHY,
                                                                      LATENCY] * 2)
            assert configured["Enable"] is True and configured["Rollback"] is True
            assert len({a["Ref"] for a in configured["AlarmNames"]}) == 6
        else:
            assert alarms == [] and configured is None
        return
    group = deploy_group(t)
    events = group["AutoRollbackConfiguration"]["Events"]
    if s.alarms.enabled:
        # Three kinds, for each of the two target groups.
        assert sorted(a["MetricName"] for a in alarms) == sorted([FIVE_XX, UNHEALTHY,
                                                                  LATENCY] * 2)
        assert "DEPLOYMENT_STOP_ON_ALARM" in events
        assert len(group["AlarmConfiguration"]["Alarms"]) == 6
    else:
        assert alarms == [] and "AlarmConfiguration" not in group
        assert "DEPLOYMENT_STOP_ON_ALARM" not in events


@check("alarms.target_5xx_count")
def _(s, t):
    assert {a["Threshold"] for a in alarms_of(t, FIVE_XX)} <= {float(s.alarms.target_5xx_count)}


@check("alarms.unhealthy_hosts")
def _(s, t):
    assert {a["Threshold"] for a in alarms_of(t, UNHEALTHY)} <= {float(s.alarms.unhealthy_hosts)}


@check("alarms.response_time_percentile")
def _(s, t):
    assert {a["ExtendedStatistic"] for a in alarms_of(t, LATENCY)} <= {
        s.alarms.response_time_percentile}


@check("alarms.response_time_seconds")
def _(s, t):
    assert {a["Threshold"] for a in alarms_of(t, LATENCY)} <= {s.alarms.response_time_seconds}


@check("alarms.period_seconds")
def _(s, t):
    assert {a["Period"] for a in of_type(t, "AWS::CloudWatch::Alarm")} <= {
        s.alarms.period_seconds}


@check("alarms.evaluation_periods")
def _(s, t):
    assert {a["EvaluationPeriods"] for a in of_type(t, "AWS::CloudWatch::Alarm")} <= {
        s.alarms.evaluation_periods}


# --- [hooks] ----------------------------------------------------------------------------------

# ECS's lifecycle stages that stand for CodeDeploy's hook events: after test traffic moves,
# and before production traffic moves.
ECS_STAGES = {"POST_TEST_TRAFFIC_SHIFT": "AfterAllowTestTraffic",
              "PRE_PRODUCTION_TRAFFIC_SHIFT": "BeforeAllowTraffic"}


def _hook_events(t: dict) -> list[str]:
    if ecs_engine(t):
        return [ECS_STAGES[stage] for hook in ecs_hooks(t, "AWS_LAMBDA")
                for stage in hook["LifecycleStages"]]
    return [event for hook in build_document(t, "APPSPEC_JSON").get("Hooks", [])
            for event in hook]


def _hook_variable(t: dict, name: str) -> str | None:
    function = hook_function(t)
    return function["Environment"]["Variables"][name] if function else None


@check("hooks.enabled")
def _(s, t):
    assert (hook_function(t) is not None) == s.hooks.enabled
    assert ("AfterAllowTestTraffic" in _hook_events(t)) == s.hooks.enabled


@check("hooks.before_allow_traffic")
def _(s, t):
    assert ("BeforeAllowTraffic" in _hook_events(t)) == (s.hooks.enabled and
                                                         s.hooks.before_allow_traffic)


@check("hooks.paths")
def _(s, t):
    if s.hooks.enabled:
        paths = list(s.hooks.paths) or [s.service.health_check_path]
        assert _hook_variable(t, "PATHS").split(",") == paths


@check("hooks.requests")
def _(s, t):
    if s.hooks.enabled:
        assert _hook_variable(t, "REQUESTS") == str(s.hooks.requests)


@check("hooks.success_ratio")
def _(s, t):
    if s.hooks.enabled:
        assert float(_hook_variable(t, "SUCCESS_RATIO")) == s.hooks.success_ratio


@check("hooks.latency_budget_ms")
def _(s, t):
    if s.hooks.enabled:
        assert _hook_variable(t, "LATENCY_BUDGET_MS") == str(s.hooks.latency_budget_ms)


@check("hooks.timeout_seconds")
def _(s, t):
    if s.hooks.enabled:
        assert hook_function(t)["Timeout"] == s.hooks.timeout_seconds


# --- [notifications] --------------------------------------------------------------------------

@check("notifications.enabled")
def _(s, t):
    topics = of_type(t, "AWS::SNS::Topic")
    if ecs_engine(t):
        rules = [r for r in of_type(t, "AWS::Events::Rule")
                 if r["EventPattern"]["source"] == ["aws.ecs"]]
        if s.notifications.enabled:
            (topic,) = topics
            (rule,) = rules
            # ECS's deployment events of this service, to the topic.
            assert rule["EventPattern"]["detail-type"] == ["ECS Deployment State Change"]
            assert rule["EventPattern"]["resources"] == [{"Ref": "Service"}]
            (target,) = rule["Targets"]
            assert target["Arn"]["Ref"] in t["Resources"]
            assert "NotificationEmail" in t["Parameters"]
        else:
            assert topics == [] and rules == [] and "NotificationEmail" not in t["Parameters"]
        return
    triggers = deploy_group(t).get("TriggerConfigurations", [])
    if s.notifications.enabled:
        (topic,) = topics
        (trigger,) = triggers
        assert trigger["TriggerTargetArn"]["Ref"] in t["Resources"]
        assert {"DeploymentStart", "DeploymentSuccess", "DeploymentFailure",
                "DeploymentRollback"} <= set(trigger["TriggerEvents"])
        assert "NotificationEmail" in t["Parameters"]
    else:
        assert topics == [] and triggers == [] and "NotificationEmail" not in t["Parameters"]


# --- the tests --------------------------------------------------------------------------------

KEYS = [doc.key for doc in documented_keys()]


def test_every_setting_has_a_check():
    assert sorted(CHECKS) == sorted(KEYS), "add a check for each new setting"


def _value(settings: Settings, key: str):
    section, name = key.split(".")
    return getattr(getattr(settings, section), name)


DEFAULTS = Settings()


@pytest.mark.parametrize("key", KEYS)
def test_every_setting_is_moved_by_some_variant(key):
    moved = [v for v in VARIANTS if _value(settings_for(v), key) != _value(DEFAULTS, key)]
    assert moved, f"no variant sets {key} to anything but its default"


@pytest.mark.parametrize("key", KEYS)
def test_setting_reaches_its_properties(key, variant, template):
    CHECKS[key](settings_for(variant), template)


def test_the_hook_probes_the_health_check_path_when_no_paths_are_given():
    """A fallback no variant reaches (hooks on, no hooks.paths, a health-check path of its
    own), built here with exactly that."""
    settings = parse_settings({"service": {"health_check_path": "/status"}})
    template = load_template(readable(build_stack(settings)))
    assert _hook_variable(template, "PATHS") == "/status"
