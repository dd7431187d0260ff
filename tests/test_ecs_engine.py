"""ECS's own blue/green engine (deployment.engine "ecs"): what the settings refuse, what the
template means, how the stack's function reads rule routes and prepares releases, and the
update sequence (creation, a release, a later stack update) rehearsed in moto's server with the
real AWS CLI.

moto cannot run an ECS blue/green deployment (no lifecycle stages, no hook invocation, no bake
time, no alarm rollback), computes no change set's Changes and does not carry a replaced task
definition's new ARN on to the service; what it does check: the template creates, the change set
of a release carries the new image and keeps every other parameter, executing it registers the
stack's task definition with the new image, and a stack update made the way
`aws cloudformation deploy` makes it keeps the image. The rest is checked against
AWS's own descriptions: the resource schemas in cfn-lint, botocore's models, the ECS guide.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from math import floor
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from moto_harness import AT_CREATION, guard_properties, moto_ready, presigned_url
from policies.world import World
from shipped import FORMS, handler_module
from stacks.ecs_engine import APPROVAL_STAGE, BEFORE_SHIFT_STAGE, TEST_HOOK_STAGE
from stacks.intrinsics import load_template
from stacks.live_routes import RELEASING_GUARD_MODULE
from stacks.load_balancer import ROUTE_RULE_PRIORITY
from stacks.parameters import DEFAULT_BOOTSTRAP_IMAGE, IMAGE_PARAMETER
from stacks.permissions import prove
from stacks.pipeline import CHANGE_SET_NAME
from stacks.settings import ECS_MAX_TOTAL_MINUTES, SettingsError, parse_settings
from stacks.template import build_stack, deployable
from test_rehearsal import ENV, REGION, aws, client, run_aws
from variants import settings_for, stack_for

def problems(data: dict) -> dict[str, str]:
    with pytest.raises(SettingsError) as error:
        parse_settings(data)
    return {p.key: str(p) for p in error.value.problems}


def ecs(**deployment) -> dict:
    return {"deployment": {"engine": "ecs", **deployment}}


# --- settings ---------------------------------------------------------------------------------

def test_engine_is_codedeploy_unless_asked():
    assert parse_settings({}).deployment.engine == "codedeploy"
    assert "engine" in problems({"deployment": {"engine": "ecs-native"}})["deployment.engine"]


def test_a_linear_step_below_three_percent_is_refused_only_for_ecs():
    """ECS's LINEAR StepPercent is 3 to 100 (cfn-lint's AWS::ECS::Service schema)."""
    assert parse_settings({"deployment": {"traffic": "linear", "percent": 2}})
    found = problems(ecs(traffic="linear", percent=2))
    assert "at least 3 percent" in found["deployment.percent"]
    assert parse_settings(ecs(traffic="linear", percent=3))
    assert parse_settings(ecs(traffic="canary", percent=1))  # CanaryPercent from 0.1


@pytest.mark.parametrize("key", ["interval_minutes", "termination_wait_minutes"])
def test_bake_times_beyond_a_day_are_refused_only_for_ecs(key):
    """ECS's bake times are 0 to 1440 minutes; CodeDeploy's waits go to 2880."""
    data = {"traffic": "canary", key: 1441}
    assert parse_settings({"deployment": data})
    found = problems(ecs(**data))
    assert f"deployment.{key}" in found and "1440" in found[f"deployment.{key}"]
    assert parse_settings(ecs(traffic="canary", **{key: 1440}))


def _aws_steps(step_percent: float) -> int:
    """The ECS guide's count of linear steps: 100/StepPercent - 1 when it divides evenly,
    else floor(100/StepPercent)."""
    steps = 100 / step_percent
    return int(steps) - 1 if steps == int(steps) else floor(steps)


@pytest.mark.parametrize("percent", [3, 7, 10, 25, 33, 50, 99])
def test_linear_steps_are_counted_as_aws_counts_them(percent):
    settings = parse_settings(ecs(traffic="linear", percent=percent, interval_minutes=1))
    assert settings.deployment.ecs_steps == _aws_steps(percent)


def test_a_canarys_bake_counts_once_and_the_error_names_the_bakes():
    """Canary: BakeTimeInMinutes + CanaryBakeTimeInMinutes (the resource schema's formula).
    Without an approval window the bakes between steps make it long, and the error says so."""
    fits = ecs(traffic="canary", interval_minutes=1440, termination_wait_minutes=540)
    assert parse_settings(fits).deployment.ecs_total_minutes == ECS_MAX_TOTAL_MINUTES
    found = problems(ecs(traffic="canary", interval_minutes=1440, termination_wait_minutes=541))
    assert list(found) == ["deployment.interval_minutes"]
    assert "1 bake(s)" in found["deployment.interval_minutes"]
    found = problems(ecs(traffic="linear", percent=3, interval_minutes=61))  # 32 bakes
    assert "deployment.interval_minutes = 61" in found["deployment.interval_minutes"]


def test_a_deployment_longer_than_cloudformation_waits_is_refused():
    """CloudFormation refuses linear and canary configurations whose bake times add up to more
    than 33 hours; here the approval window counts too, as the stack update waits for it."""
    # 10 % linear: 9 bakes of 200 minutes + 1 = 1801; with 180 minutes' approval 1981.
    fits = ecs(traffic="linear", percent=10, interval_minutes=200, termination_wait_minutes=1,
               approval_wait_minutes=179)
    assert parse_settings(fits).deployment.ecs_total_minutes == ECS_MAX_TOTAL_MINUTES
    found = problems({**fits, "deployment": {**fits["deployment"],
                                             "approval_wait_minutes": 180}})
    message = found["deployment.approval_wait_minutes"]
    assert "33" in message and "1981 minutes" in message and "9 bake(s)" in message


# --- the template -----------------------------------------------------------------------------

def props(template: dict, logical_id: str) -> dict:
    return template["Resources"][logical_id]["Properties"]


def test_the_service_is_deployed_by_ecs_from_the_stacks_own_task_definition(ecs_template):
    service = props(ecs_template, "Service")
    assert service["DeploymentController"] == {"Type": "ECS"}
    assert service["TaskDefinition"] == {"Ref": "TaskDefinition"}
    (container,) = props(ecs_template, "TaskDefinition")["ContainerDefinitions"]
    assert container["Image"] == {"Ref": IMAGE_PARAMETER}
    # No default: no stack update can fall back to an older image (see the rehearsal below).
    image = ecs_template["Parameters"][IMAGE_PARAMETER]
    assert "Default" not in image and "BootstrapImage" not in ecs_template["Parameters"]
    assert "DesiredCount" not in service
    assert not [r for r in ecs_template["Resources"].values()
                if r["Type"].startswith("AWS::CodeDeploy::")]


def test_both_routes_are_rules_that_name_both_groups_with_the_guards_weights(ecs_template):
    """ECS refuses a rule that does not name both groups ("Both targetGroup and
    alternateTargetGroup must be associated with the productionListenerRule or
    testListenerRule")."""
    service = props(ecs_template, "Service")
    (binding,) = service["LoadBalancers"]
    advanced = binding["AdvancedConfiguration"]
    assert binding["TargetGroupArn"] == {"Ref": "TargetGroupBlue"}
    assert advanced["AlternateTargetGroupArn"] == {"Ref": "TargetGroupGreen"}
    assert advanced["RoleArn"] == {"Fn::GetAtt": ["EcsInfrastructureRole", "Arn"]}
    for route, listener in (("Production", "ProductionListener"), ("Test", "TestListener")):
        rule = props(ecs_template, advanced[f"{route}ListenerRule"]["Ref"])
        assert rule["ListenerArn"] == {"Ref": listener}
        assert rule["Priority"] == ROUTE_RULE_PRIORITY
        assert rule["Conditions"] == [{"Field": "path-pattern",
                                       "PathPatternConfig": {"Values": ["/*"]}}]
        assert rule["Actions"] == [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": {"Ref": f"TargetGroup{colour}"},
             "Weight": {"Fn::GetAtt": ["LiveRoutes", f"{route}{colour}"]}}
            for colour in ("Blue", "Green")]}}]
        # What no rule matches (nothing: the rule matches every path) gets a 404; the
        # listener waits for the guard, which refuses a change of engine first.
        listener_props = props(ecs_template, listener)
        assert [a["Type"] for a in listener_props["DefaultActions"]] == ["fixed-response"]
        assert ecs_template["Resources"][listener]["DependsOn"] == "LiveRoutes"


def test_the_deployment_configuration_follows_the_settings():
    for variant, strategy, steps in (
            ("ecs-native", "BLUE_GREEN", {}),
            ("ecs-canary", "CANARY", {"CanaryConfiguration": {
                "CanaryPercent": 10, "CanaryBakeTimeInMinutes": 15}}),
            ("ecs-linear-without-checks", "LINEAR", {"LinearConfiguration": {
                "StepPercent": 25, "StepBakeTimeInMinutes": 3}})):
        settings = settings_for(variant)
        configuration = props(stack_for(variant).document(), "Service")[
            "DeploymentConfiguration"]
        assert configuration["Strategy"] == strategy
        assert configuration["BakeTimeInMinutes"] == settings.deployment.termination_wait_minutes
        for key in ("CanaryConfiguration", "LinearConfiguration"):
            assert configuration.get(key) == steps.get(key)


def test_the_hook_runs_after_test_traffic_moves_and_the_approval_pauses_there():
    configuration = props(stack_for("ecs-canary").document(), "Service")[
        "DeploymentConfiguration"]
    lambda_hook, pause = configuration["LifecycleHooks"]
    assert lambda_hook == {
        "TargetType": "AWS_LAMBDA", "HookTargetArn": {"Fn::GetAtt": ["TestTrafficHook", "Arn"]},
        "RoleArn": {"Fn::GetAtt": ["EcsHookRole", "Arn"]},
        # hooks.before_allow_traffic: again before each production step
        "LifecycleStages": [TEST_HOOK_STAGE, BEFORE_SHIFT_STAGE]}
    assert pause == {"TargetType": "PAUSE", "LifecycleStages": [APPROVAL_STAGE],
                     "TimeoutConfiguration": {"Action": "ROLLBACK", "TimeoutInMinutes": 120}}
    # ECS refuses PAUSE hooks at the two traffic-shift stages (the resource schema says so).
    assert APPROVAL_STAGE not in ("TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT")
    assert configuration["Alarms"]["Enable"] and configuration["Alarms"]["Rollback"]
    # Without hooks or approval, no lifecycle hooks and no hook role at all.
    plain = stack_for("ecs-linear-without-checks").document()
    assert "LifecycleHooks" not in props(plain, "Service")["DeploymentConfiguration"]
    assert "EcsHookRole" not in plain["Resources"]


def test_the_service_is_created_after_the_hook_can_reach_the_test_listener():
    """Creating the service is its first deployment, which runs the hook: the load balancer
    must admit the hook's NAT addresses by then."""
    template = stack_for("ecs-native").document()
    nat_rules = [name for name in template["Resources"]
                 if name.startswith("TestListenerIngressFromNat")]
    assert nat_rules and set(nat_rules) <= set(template["Resources"]["Service"]["DependsOn"])


def test_the_roles_ecs_assumes_trust_ecs_alone_and_reach_only_this_stack(ecs_template):
    infrastructure = props(ecs_template, "EcsInfrastructureRole")
    assert infrastructure["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": ["ecs.amazonaws.com"]}
    assert infrastructure["ManagedPolicyArns"] == [{"Fn::Sub": (
        "arn:${AWS::Partition}:iam::aws:policy/"
        "AmazonECSInfrastructureRolePolicyForLoadBalancers")}]
    (deny,) = infrastructure["Policies"][0]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert sorted(deny["NotResource"], key=json.dumps) == sorted(
        [{"Ref": r} for r in ("ProductionListenerRule", "TestListenerRule", "ProductionListener",
                              "TestListener", "TargetGroupBlue", "TargetGroupGreen")],
        key=json.dumps)
    if "EcsHookRole" in ecs_template["Resources"]:
        (allow,) = props(ecs_template, "EcsHookRole")["Policies"][0]["PolicyDocument"][
            "Statement"]
        assert allow["Action"] == ["lambda:InvokeFunction"]
        assert allow["Resource"] == [{"Fn::GetAtt": ["TestTrafficHook", "Arn"]}]


def test_the_cli_renders_the_example_and_it_fits(tmp_path):
    from stacks.cli import main
    assert main(["template", "--config", "examples/ecs-native.toml",
                 "--output", str(tmp_path)]) == 0
    assert len((tmp_path / "template.json").read_bytes()) <= 51_200


# --- IAM, against AWS's published handler permissions ------------------------------------------

def _handler_permissions(resource_type: str, handler: str) -> set[str]:
    import cfnlint
    schemas = Path(cfnlint.__file__).parent / "data/schemas"
    index = json.loads((schemas / "providers/us-east-1.json").read_text())
    schema = json.loads((schemas / f"resources/{index[resource_type]}.json").read_text())
    return set(schema["handlers"][handler]["permissions"])


def test_a_release_grants_what_cloudformation_needs_to_replace_and_deploy(ecs_variant):
    """A release is a stack update made with the pipeline role's credentials (the stack has no
    service role): it creates the new task definition, updates the service and deletes the old
    task definition. Every permission AWS lists for those handlers is a required call of the
    pipeline role, and is allowed."""
    needed = (_handler_permissions("AWS::ECS::TaskDefinition", "create")
              | _handler_permissions("AWS::ECS::TaskDefinition", "delete")
              | _handler_permissions("AWS::ECS::Service", "update"))
    (pipeline,) = [p for p in prove(settings_for(ecs_variant)) if p.role == "PipelineRole"]
    assert needed <= pipeline.required_actions
    assert pipeline.missing == [] and pipeline.leaks == []


def test_the_release_job_waits_within_its_functions_timeout():
    """The job must report before Lambda stops the function, or CodePipeline waits for it
    until the action times out: the change set wait, and a margin to report."""
    template = stack_for("ecs-native").document()
    timeout = props(template, "LiveRoutesFunction")["Timeout"]
    function = handler_module(RELEASING_GUARD_MODULE, "module")
    assert function.WAIT_SECONDS * function.WAIT_ATTEMPTS <= timeout - 15


def test_the_release_job_and_its_change_set_are_named_alike():
    template = stack_for("ecs-native").document()
    (deploy,) = [s for s in props(template, "Pipeline")["Stages"] if s["Name"] == "Deploy"]
    prepare, release = deploy["Actions"]
    assert prepare["ActionTypeId"]["Provider"] == "Lambda" and prepare["RunOrder"] == 1
    assert prepare["Configuration"]["FunctionName"] == {"Ref": "LiveRoutesFunction"}
    world = World(template, stack="webapp-prod")
    job = json.loads(world.resolve(prepare["Configuration"]["UserParameters"]))
    assert job == {"Stack": world.stack_id, "ChangeSet": CHANGE_SET_NAME,
                   "Parameter": IMAGE_PARAMETER, "Image": "#{BuildVariables.IMAGE_URI}",
                   "Expect": ["Service", "TaskDefinition"]}
    assert release["ActionTypeId"] == {"Category": "Deploy", "Owner": "AWS",
                                       "Provider": "CloudFormation", "Version": "1"}
    assert release["Configuration"] == {"ActionMode": "CHANGE_SET_EXECUTE",
                                        "StackName": {"Ref": "AWS::StackName"},
                                        "ChangeSetName": CHANGE_SET_NAME}
    assert release["RunOrder"] == 2
    (build,) = [s for s in props(template, "Pipeline")["Stages"] if s["Name"] == "Build"]
    assert build["Actions"][0]["Namespace"] == "BuildVariables"
    spec = props(template, "BuildProject")["Source"]["BuildSpec"]
    assert "exported-variables:\n    - IMAGE_URI" in spec and "artifacts:" not in spec


def test_the_build_exports_the_image_it_wrote(tmp_path):
    """The buildspec's last command reads imageDetail.json into IMAGE_URI, as CodeBuild runs
    it: in the shell of the build's commands."""
    spec = props(stack_for("ecs-native").document(), "BuildProject")["Source"]["BuildSpec"]
    import yaml
    command = yaml.safe_load(spec)["phases"]["build"]["commands"][-1]
    image = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/webapp-prod:0123abcd"
    (tmp_path / "imageDetail.json").write_text(json.dumps({"ImageURI": image}))
    result = subprocess.run(["bash", "-c", f"{command}; printf %s \"$IMAGE_URI\""],
                            cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout == image


# --- the stack's function: rule routes, engine changes, releases --------------------------------

@pytest.fixture(params=FORMS)
def function(request):
    return handler_module(RELEASING_GUARD_MODULE, request.param)


class _Elbv2:
    """Elastic Load Balancing as the function reads it: listeners, and each one's rules."""

    def __init__(self, listeners: dict[str, dict], rules: dict[str, list[dict]]):
        self.listeners, self.rules = listeners, rules

    def get_paginator(self, name):
        assert name == "describe_listeners"
        listeners = self.listeners

        class Pages:
            def paginate(self, LoadBalancerArn):
                return [{"Listeners": [json.loads(json.dumps(item))
                                       for item in listeners.values()]}]
        return Pages()

    def describe_rules(self, ListenerArn):
        return {"Rules": self.rules.get(ListenerArn, []) + [
            {"Priority": "default", "IsDefault": True, "Actions": [{"Type": "fixed-response"}]}]}


def _rule_world(production: dict[str, int], with_rules: bool = True):
    groups = {"Blue": "arn:blue", "Green": "arn:green"}

    def forward(weights):
        return [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": groups[c], "Weight": w} for c, w in weights.items()]}}]
    listeners = {port: {"ListenerArn": f"arn:listener/{port}", "Port": port,
                        "DefaultActions": [{"Type": "fixed-response"}] if with_rules
                        else forward(weights)}
                 for port, weights in ((443, production), (8080, {"Blue": 0, "Green": 100}))}
    rules = {f"arn:listener/{port}": [{"Priority": "1", "IsDefault": False,
                                       "Actions": forward(weights)}]
             for port, weights in ((443, production), (8080, {"Blue": 0, "Green": 100}))
             } if with_rules else {}
    inputs = {route: {"LoadBalancerArn": "arn:lb", "Port": str(port),
                      **({"Rule": {"Priority": "1"}} if with_rules else {})}
              for route, port in (("Production", 443), ("Test", 8080))}
    props = {"BlueTargetGroupArn": "arn:blue", "GreenTargetGroupArn": "arn:green",
             "ListenerInputs": inputs}
    return _Elbv2(listeners, rules), props


class _Stack:
    """CloudFormation as the function asks it whether an update is a rollback."""

    def __init__(self, status: str):
        self.status = status

    def describe_stacks(self, StackName):
        return {"Stacks": [{"StackStatus": self.status}]}


def ask(function, elbv2, props, old=None, status="UPDATE_IN_PROGRESS") -> dict:
    """The function's answer to CloudFormation's Create (no `old`) or Update request."""
    with presigned_url() as (url, received):
        function.handler({"RequestType": "Update" if old else "Create",
                          "StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/s/1",
                          "RequestId": "r", "LogicalResourceId": "LiveRoutes",
                          "PhysicalResourceId": "LiveRoutes", "ResponseURL": url,
                          "ResourceProperties": props,
                          **({"OldResourceProperties": old} if old else {})},
                         None, elbv2=elbv2, cloudformation=_Stack(status))
    ((_, _, body),) = received
    return body


def test_the_function_reads_the_weights_of_the_rules_not_the_listeners(function):
    elbv2, props = _rule_world({"Blue": 0, "Green": 100})
    answer = ask(function, elbv2, props, old=props)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {"ProductionBlue": "0", "ProductionGreen": "100",
                              "TestBlue": "0", "TestGreen": "100"}
    elbv2, props = _rule_world({"Blue": 90, "Green": 10})  # ECS's linear shift in flight
    refused = ask(function, elbv2, props, old=props)
    assert refused["Status"] == "FAILED" and "in flight" in refused["Reason"]


def test_a_change_of_engine_on_a_live_stack_is_refused_but_never_a_rollback(function):
    """From a template whose routes were listeners (the CodeDeploy engine's) to rules: the
    listener's default action would stop forwarding before the rule exists."""
    elbv2, _ = _rule_world({"Blue": 100, "Green": 0}, with_rules=False)
    _, codedeploy_era = _rule_world({"Blue": 100, "Green": 0}, with_rules=False)
    _, ecs_era = _rule_world({"Blue": 100, "Green": 0})
    refused = ask(function, elbv2, ecs_era, old=codedeploy_era)
    assert refused["Status"] == "FAILED"
    assert "engine changed from codedeploy to ecs" in refused["Reason"]
    # In a rollback it answers the live weights, read from the listeners while no rule exists.
    rollback = ask(function, elbv2, ecs_era, old=codedeploy_era,
                   status="UPDATE_ROLLBACK_IN_PROGRESS")
    assert rollback["Status"] == "SUCCESS" and rollback["Data"]["ProductionBlue"] == "100"
    created = ask(function, elbv2, ecs_era)
    assert created["Status"] == "SUCCESS" and created["Data"]["TestGreen"] == "100"


def test_a_change_set_still_being_created_fails_the_job_with_its_own_reason(function, capsys,
                                                                             monkeypatch):
    """The wait runs out; deleting a change set that is still being created fails too, and
    the job's report keeps the first reason."""
    cloudformation = boto3.client("cloudformation", region_name=REGION,
                                  aws_access_key_id="x", aws_secret_access_key="x")
    names = {"StackName": "webapp-prod", "ChangeSetName": "release-1"}
    stub = Stubber(cloudformation)
    stub.add_response("describe_stacks", {"Stacks": [{
        "StackName": "webapp-prod", "CreationTime": "2026-01-01T00:00:00Z",
        "StackStatus": "UPDATE_COMPLETE", "Parameters": []}]})
    stub.add_response("create_change_set", {"Id": "cs"})
    for _ in range(handler_module(RELEASING_GUARD_MODULE, "module").WAIT_ATTEMPTS):
        stub.add_response("describe_change_set", {"Status": "CREATE_IN_PROGRESS"}, names)
    stub.add_client_error("delete_change_set", "InvalidChangeSetStatus",
                          "cannot delete a change set being created")
    import botocore.waiter
    monkeypatch.setattr(botocore.waiter.time, "sleep", lambda seconds: None)
    reason = _run_job(function, cloudformation, stub, False, capsys)["reason"]
    assert "Max attempts exceeded" in reason and "being created" not in reason


@pytest.mark.parametrize("form", FORMS)
def test_the_way_back_to_codedeploy_is_refused_too(form):
    """The CodeDeploy engine's function (guard_handler.py alone) reads the listeners, which
    answer 404 while the routes are rules: "does not forward", before any listener changes."""
    codedeploy_guard = handler_module("guard_handler.py", form)
    elbv2, ecs_era = _rule_world({"Blue": 0, "Green": 100})
    codedeploy_era = {**ecs_era, "ListenerInputs": {
        route: {k: v for k, v in inputs.items() if k != "Rule"}
        for route, inputs in ecs_era["ListenerInputs"].items()}}
    refused = ask(codedeploy_guard, elbv2, codedeploy_era, old=ecs_era)
    assert refused["Status"] == "FAILED" and "does not forward" in refused["Reason"]


def _job(image: str = "repo:b", expect=("Service", "TaskDefinition")) -> dict:
    return {"CodePipeline.job": {"id": "job-1", "data": {"actionConfiguration": {
        "configuration": {"UserParameters": json.dumps({
            "Stack": "webapp-prod", "ChangeSet": "release-1", "Parameter": "Image",
            "Image": image, "Expect": list(expect)})}}}}}


def _stubbed_release(changes: list[str] | None, status: str = "CREATE_COMPLETE",
                     reason: str = ""):
    cloudformation = boto3.client("cloudformation", region_name=REGION,
                                  aws_access_key_id="x", aws_secret_access_key="x")
    names = {"StackName": "webapp-prod", "ChangeSetName": "release-1"}
    stubber = Stubber(cloudformation)
    stubber.add_response("describe_stacks", {"Stacks": [{
        "StackName": "webapp-prod", "CreationTime": "2026-01-01T00:00:00Z",
        "StackStatus": "UPDATE_COMPLETE", "Parameters": [
            {"ParameterKey": "Image", "ParameterValue": "repo:a"},
            {"ParameterKey": "CertificateArn", "ParameterValue": "arn:cert"}]}]},
        {"StackName": "webapp-prod"})
    stubber.add_response("create_change_set", {"Id": "cs"}, {
        **names, "ChangeSetType": "UPDATE", "UsePreviousTemplate": True,
        "Capabilities": ["CAPABILITY_IAM"],
        "Parameters": [{"ParameterKey": "CertificateArn", "UsePreviousValue": True},
                       {"ParameterKey": "Image", "ParameterValue": "repo:b"}]})
    stubber.add_response("describe_change_set", {"Status": status, "StatusReason": reason,
                                                 "Changes": []}, names)
    if status == "CREATE_COMPLETE":
        stubber.add_response("describe_change_set", {"Changes": [
            {"Type": "Resource", "ResourceChange": {"LogicalResourceId": name}}
            for name in changes]}, names)
    if changes != ["Service", "TaskDefinition"]:
        stubber.add_response("delete_change_set", {}, names)
    return cloudformation, stubber


class _Context:
    def get_remaining_time_in_millis(self):
        return 60_000


def _run_job(function, cloudformation, cfn_stub, succeeds: bool, capsys) -> dict:
    """The job through the function, CloudFormation stubbed; the pipeline must get exactly one
    report, success or failure. Returns the function's last log line."""
    from botocore.stub import ANY
    codepipeline = boto3.client("codepipeline", region_name=REGION, aws_access_key_id="x",
                                aws_secret_access_key="x")
    pipe_stub = Stubber(codepipeline)
    if succeeds:
        pipe_stub.add_response("put_job_success_result", {}, {"jobId": "job-1"})
    else:
        pipe_stub.add_response("put_job_failure_result", {}, {
            "jobId": "job-1", "failureDetails": {"type": "JobFailed", "message": ANY}})
    with cfn_stub, pipe_stub:
        function.handler(_job(), _Context(), cloudformation=cloudformation,
                         codepipeline=codepipeline)
        cfn_stub.assert_no_pending_responses()
        pipe_stub.assert_no_pending_responses()
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.parametrize("changes, succeeds", [
    (["Service", "TaskDefinition"], True),
    (["Service", "TaskDefinition", "ProductionListener"], False),  # a pending template change
])
def test_a_release_is_prepared_only_when_it_changes_exactly_the_image(function, changes,
                                                                     succeeds, capsys):
    cloudformation, cfn_stub = _stubbed_release(changes)
    log = _run_job(function, cloudformation, cfn_stub, succeeds, capsys)
    assert log["release"] == ("ready" if succeeds else "refused")
    if not succeeds:
        assert "ProductionListener" in log["reason"]


def test_a_release_of_the_image_already_running_fails_the_job_and_leaves_no_change_set(
        function, capsys):
    reason = "The submitted information didn't contain changes."
    cloudformation, cfn_stub = _stubbed_release(None, status="FAILED", reason=reason)
    assert "contain changes" in _run_job(function, cloudformation, cfn_stub, False,
                                         capsys)["reason"]


# --- the update sequence, rehearsed ------------------------------------------------------------

STACK = "ecs-rehearsal"
OLD_IMAGE, NEW_IMAGE = DEFAULT_BOOTSTRAP_IMAGE, "public.ecr.aws/docker/library/nginx:1.27"


class _ComputedChanges:
    """moto's CloudFormation with one gap filled: moto computes no Changes for a change set.
    For a change of the Image parameter alone CloudFormation reports the task definition
    (replaced: its container definitions changed) and the service (its TaskDefinition Ref)."""

    def __init__(self, cloudformation):
        self.cloudformation = cloudformation

    def __getattr__(self, name):
        return getattr(self.cloudformation, name)

    def describe_change_set(self, **names):
        found = self.cloudformation.describe_change_set(**names)
        changed = {p["ParameterKey"]: p.get("ParameterValue") for p in found["Parameters"]}
        stack = self.cloudformation.describe_stacks(StackName=names["StackName"])["Stacks"][0]
        before = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
        if changed != before and set(changed) == set(before):
            assert {k for k in changed if changed[k] != before[k]} == {IMAGE_PARAMETER}
            found["Changes"] = [{"Type": "Resource", "ResourceChange": {
                "LogicalResourceId": name}} for name in ("TaskDefinition", "Service")]
        return found


def _deploy(endpoint, tmp_path, settings, answer, parameters: dict[str, str]) -> dict:
    """`aws cloudformation deploy`, as the README's command runs it."""
    template = load_template(deployable(build_stack(settings)))
    path = tmp_path / f"template-{time.monotonic_ns()}.json"
    path.write_text(json.dumps(moto_ready(template, settings.scaling.min, answer)))
    run_aws(endpoint, "cloudformation", "deploy", "--template-file", str(path),
            "--stack-name", STACK, "--capabilities", "CAPABILITY_IAM",
            "--parameter-overrides", *[f"{k}={v}" for k, v in parameters.items()])
    return template


def _image_and_revision(endpoint) -> tuple[str, str]:
    """The stack's Image and the task definition it registered. (moto re-registers a task
    definition whose parameter changed but loses its containers in doing so, and does not
    carry the new ARN on to the service as CloudFormation does: the image the container runs
    is the template's Ref to Image, checked above.)"""
    cloudformation = client(endpoint, "cloudformation")
    (stack,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    resources = cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    (arn,) = [r["PhysicalResourceId"] for r in resources
              if r["LogicalResourceId"] == "TaskDefinition"]
    image = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}[
        IMAGE_PARAMETER]
    return image, arn


def _production_weights(endpoint) -> dict[str, int]:
    elbv2 = client(endpoint, "elbv2")
    colours = {g["TargetGroupArn"]: g["TargetGroupName"].rsplit("-", 1)[1]
               for g in elbv2.describe_target_groups()["TargetGroups"]}
    (lb,) = elbv2.describe_load_balancers()["LoadBalancers"]
    (listener,) = [item for item in elbv2.describe_listeners(
        LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"] if item["Port"] == 443]
    (rule,) = [r for r in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
               if r["Priority"] == str(ROUTE_RULE_PRIORITY)]
    (action,) = rule["Actions"]
    return {colours[t["TargetGroupArn"]]: t["Weight"]
            for t in action["ForwardConfig"]["TargetGroups"]}


def test_a_release_deploys_the_new_image_and_no_stack_update_brings_the_old_one_back(
        endpoint, tmp_path):
    from moto.core import DEFAULT_ACCOUNT_ID
    certificate = aws(endpoint, "acm", "request-certificate", "--domain-name",
                      "app.example.com")["CertificateArn"]
    parameters = {"CertificateArn": certificate,
                  "ConnectionArn": f"arn:aws:codeconnections:{REGION}:{DEFAULT_ACCOUNT_ID}:"
                                   "connection/0123abcd-0123-4567-89ab-0123456789ab",
                  "RepositoryId": "example/webapp"}
    settings = settings_for("ecs-native")

    # 1. Creation names the first image (the README's command passes Image=... once).
    _deploy(endpoint, tmp_path, settings, AT_CREATION, {**parameters, "Image": OLD_IMAGE})
    image, first_revision = _image_and_revision(endpoint)
    assert image == OLD_IMAGE and first_revision.endswith(":1")
    assert _production_weights(endpoint) == {"blue": 100, "green": 0}

    # 2. ECS's first release moved production to green (as ECS rewrites the rule).
    elbv2 = client(endpoint, "elbv2")
    groups = {g["TargetGroupName"].rsplit("-", 1)[1]: g["TargetGroupArn"]
              for g in elbv2.describe_target_groups()["TargetGroups"]}
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in client(
        endpoint, "cloudformation").list_stack_resources(StackName=STACK)[
        "StackResourceSummaries"]}
    elbv2.modify_rule(RuleArn=physical["ProductionListenerRule"], Actions=[{
        "Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": groups["blue"], "Weight": 0},
            {"TargetGroupArn": groups["green"], "Weight": 100}]}}])

    # 3. The pipeline's release: the stack's function prepares the change set...
    function = handler_module(RELEASING_GUARD_MODULE, "minified")
    job = _job(NEW_IMAGE)
    job["CodePipeline.job"]["data"]["actionConfiguration"]["configuration"][
        "UserParameters"] = json.dumps({**json.loads(job["CodePipeline.job"]["data"][
            "actionConfiguration"]["configuration"]["UserParameters"]), "Stack": STACK})
    reported = []

    class Pipeline:
        def put_job_success_result(self, **kwargs):
            reported.append(("success", kwargs))

        def put_job_failure_result(self, **kwargs):
            reported.append(("failure", kwargs))
    function.handler(job, _Context(),
                     cloudformation=_ComputedChanges(client(endpoint, "cloudformation")),
                     codepipeline=Pipeline())
    assert reported == [("success", {"jobId": "job-1"})]
    # ... and CloudFormation's action executes it: the stack update is the deployment.
    run_aws(endpoint, "cloudformation", "execute-change-set", "--stack-name", STACK,
            "--change-set-name", "release-1")
    stack = aws(endpoint, "cloudformation", "describe-stacks", "--stack-name", STACK)[
        "Stacks"][0]
    values = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert values[IMAGE_PARAMETER] == NEW_IMAGE
    assert {k: values[k] for k in parameters} == parameters  # every other value kept
    image, released = _image_and_revision(endpoint)
    assert image == NEW_IMAGE and released != first_revision  # a new task definition
    assert _production_weights(endpoint) == {"blue": 0, "green": 100}  # rules untouched

    # 4. A later stack update by its owner (the README's command, without Image), one that
    #    touches the production route: the image stays, and so does the live route.
    changed = parse_settings({
        "service": {"name": "webapp", "environment": "prod"},
        "deployment": {"engine": "ecs", "termination_wait_minutes": 30}, "scaling": {"min": 2},
        "listeners": {"test_cidrs": ["203.0.113.0/24"],
                      "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"}})
    created = load_template(deployable(build_stack(settings)))
    new = guard_properties(load_template(deployable(build_stack(changed))), physical,
                           {**parameters, "Image": NEW_IMAGE})
    old = guard_properties(created, physical, {**parameters, "Image": NEW_IMAGE})
    with presigned_url() as (url, received):
        function.handler({"RequestType": "Update", "StackId": stack["StackId"],
                          "RequestId": "r", "LogicalResourceId": "LiveRoutes",
                          "PhysicalResourceId": "LiveRoutes", "ResponseURL": url,
                          "ResourceProperties": new, "OldResourceProperties": old},
                         None, elbv2=elbv2, cloudformation=client(endpoint, "cloudformation"))
    ((_, _, answer),) = received
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    _deploy(endpoint, tmp_path, changed, answer["Data"], parameters)
    # The image stays, and the task definition with it: the update deploys nothing.
    assert _image_and_revision(endpoint) == (NEW_IMAGE, released)
    assert _production_weights(endpoint) == {"blue": 0, "green": 100}
    (listener,) = [item for item in elbv2.describe_listeners(
        ListenerArns=[physical["ProductionListener"]])["Listeners"]]
    assert listener["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"

    # 5. An update that names no Image and does not keep the previous one is refused: the
    #    parameter has no default to fall back to.
    result = subprocess.run(
        [str(Path(sys.executable).parent / "aws"), "--endpoint-url", endpoint, "--region",
         REGION, "cloudformation", "update-stack", "--stack-name", STACK,
         "--use-previous-template", "--capabilities", "CAPABILITY_IAM", "--parameters",
         *[f"ParameterKey={k},UsePreviousValue=true" for k in parameters]],
        env=ENV, capture_output=True, text=True, timeout=120)
    # (AWS: "Parameters: [Image] must have values"; moto: "Missing parameter Image". What
    # moto's stack reads like after its refusal is not AWS's and is not checked.)
    assert result.returncode != 0 and f"parameter {IMAGE_PARAMETER}" in result.stderr


# --- status -----------------------------------------------------------------------------------

def test_status_reads_the_rules_and_the_last_service_deployment():
    """`ecs-bluegreen status` for ECS's engine: the routes are the rules (a shift in flight
    shows its shares), and the last service deployment with its lifecycle stage (where an
    approval waits). Responses shaped by botocore's models (Stubber validates them)."""
    from stacks.status import read_status
    arn = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:"
    physical = {"TargetGroupBlue": f"{arn}targetgroup/webapp-prod-blue/1",
                "TargetGroupGreen": f"{arn}targetgroup/webapp-prod-green/2",
                "ProductionListener": f"{arn}listener/app/webapp-prod/1/1",
                "TestListener": f"{arn}listener/app/webapp-prod/1/2",
                "ProductionListenerRule": f"{arn}listener-rule/app/webapp-prod/1/1/1",
                "TestListenerRule": f"{arn}listener-rule/app/webapp-prod/1/2/1",
                "Cluster": "webapp-prod", "Service": "arn:aws:ecs:eu-west-1:111122223333:"
                                                     "service/webapp-prod/webapp-prod"}
    clients = {name: boto3.client(name, region_name=REGION, aws_access_key_id="x",
                                  aws_secret_access_key="x")
               for name in ("cloudformation", "elbv2", "ecs")}
    stubs = {name: Stubber(c) for name, c in clients.items()}
    stubs["cloudformation"].add_response("list_stack_resources", {"StackResourceSummaries": [
        {"LogicalResourceId": k, "PhysicalResourceId": v, "ResourceType": "x",
         "LastUpdatedTimestamp": "2026-01-01T00:00:00Z", "ResourceStatus": "CREATE_COMPLETE"}
        for k, v in physical.items()]}, {"StackName": "webapp-prod"})
    stubs["elbv2"].add_response("describe_listeners", {"Listeners": [
        {"ListenerArn": physical["ProductionListener"], "Port": 443,
         "DefaultActions": [{"Type": "fixed-response"}]},
        {"ListenerArn": physical["TestListener"], "Port": 8080,
         "DefaultActions": [{"Type": "fixed-response"}]}]})

    def forward(blue, green):
        return [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": physical["TargetGroupBlue"], "Weight": blue},
            {"TargetGroupArn": physical["TargetGroupGreen"], "Weight": green}]}}]
    stubs["elbv2"].add_response("describe_rules", {"Rules": [
        {"RuleArn": physical["ProductionListenerRule"], "Actions": forward(90, 10)},
        {"RuleArn": physical["TestListenerRule"], "Actions": forward(0, 100)}]})
    for colour in ("Blue", "Green"):
        stubs["elbv2"].add_response("describe_target_health", {"TargetHealthDescriptions": [
            {"TargetHealth": {"State": "healthy"}}]},
            {"TargetGroupArn": physical[f"TargetGroup{colour}"]})
    deployment = ("arn:aws:ecs:eu-west-1:111122223333:service-deployment/webapp-prod/"
                  "webapp-prod/abc")
    stubs["ecs"].add_response("list_service_deployments", {"serviceDeployments": [
        {"serviceDeploymentArn": deployment.replace("abc", "old"),
         "createdAt": "2026-01-01T00:00:00Z"}], "nextToken": "page-2"},
        {"cluster": "webapp-prod", "service": physical["Service"]})
    stubs["ecs"].add_response("list_service_deployments", {"serviceDeployments": [
        {"serviceDeploymentArn": deployment, "createdAt": "2026-01-02T00:00:00Z"},
        {"serviceDeploymentArn": deployment.replace("abc", "older"),
         "createdAt": "2025-12-31T00:00:00Z"}]},
        {"cluster": "webapp-prod", "service": physical["Service"], "nextToken": "page-2"})
    stubs["ecs"].add_response("describe_service_deployments", {"serviceDeployments": [
        {"serviceDeploymentArn": deployment, "status": "IN_PROGRESS",
         "lifecycleStage": "PRODUCTION_TRAFFIC_SHIFT",
         "createdAt": "2026-01-02T00:00:00Z"}]},
        {"serviceDeploymentArns": [deployment]})

    class Session:
        def client(self, service, endpoint_url=None):
            return clients[service]
    for stub in stubs.values():
        stub.activate()
    text = read_status("webapp-prod", Session(), None)
    lines = dict(line.split(":", 1) for line in text.splitlines())
    assert lines["production"].strip() == "shifting (blue 90, green 10) (port 443)"
    assert lines["test"].strip() == "green (port 8080)"
    assert lines["deployment"].split()[:4] == ["abc", "IN_PROGRESS", "at",
                                               "PRODUCTION_TRAFFIC_SHIFT"]
    for stub in stubs.values():
        stub.assert_no_pending_responses()
