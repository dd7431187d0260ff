"""The two functions whose code we own, run against moto with IAM enforcement on, under exactly
their role's rendered policy.

moto decides each request with its own policy evaluator (not ours), signed with credentials of
the role assumed in moto. Any AccessDenied fails the test, and the calls each handler made,
recorded from botocore, are the calls its table says its code needs: so the table of required
calls (policies/hook.py, policies/guard.py) is checked against what the code really does.

Two gaps of moto are filled here, and only here: moto checks most actions against the
resource "*", so its CloudFormation responses are taught the resource a DescribeStacks names
(the stack's ARN, the resource our policy scopes to) and its EC2 responses the security group
a rule change names; and moto has no
PutLifecycleEventHookExecutionStatus, so a minimal one answers after moto has authorised it.
"""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws, settings as moto_settings
from moto.cloudformation.responses import CloudFormationResponse
from moto.codedeploy.responses import CodeDeployResponse
from moto.ec2.responses import EC2Response
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.responses import ActionResult

from moto_harness import load_balancer_in_moto, presigned_url
from policies import hook as hook_table
from policies import guard as guard_table
from policies.world import World
from stacks.lambdas import guard_handler as guard
from stacks.lambdas import hook_handler as hook
from variants import stack_for

REGION = "us-east-1"
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}


class Recorder:
    """The IAM actions a set of boto3 clients asked for, in order, and the errors they got."""

    def __init__(self):
        self.actions: list[str] = []
        self.errors: list[tuple[str, str]] = []

    def client(self, service: str, credentials: dict):
        client = boto3.client(service, region_name=REGION,
                              aws_access_key_id=credentials["AccessKeyId"],
                              aws_secret_access_key=credentials["SecretAccessKey"],
                              aws_session_token=credentials["SessionToken"])
        prefix = client.meta.service_model.signing_name
        client.meta.events.register(
            "before-call.*.*", lambda model, **_: self.actions.append(f"{prefix}:{model.name}"))
        client.meta.events.register("after-call.*.*", lambda model, parsed, **_: (
            self.errors.append((f"{prefix}:{model.name}", parsed["Error"].get("Code")))
            if "Error" in parsed else None))
        return client


@pytest.fixture
def aws(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setattr(CloudFormationResponse, "_determine_resource",
                        lambda self: self._get_param("StackName") or "*", raising=False)

    def security_group(self):
        group = self._get_param("GroupId")
        return (f"arn:aws:ec2:{self.region}:{self.current_account}:security-group/{group}"
                if group else "*")
    monkeypatch.setattr(EC2Response, "_determine_resource", security_group, raising=False)

    def put_status(self):
        return ActionResult({"lifecycleEventHookExecutionId": self._get_param(
            "lifecycleEventHookExecutionId")})
    monkeypatch.setattr(CodeDeployResponse, "put_lifecycle_event_hook_execution_status",
                        put_status, raising=False)
    with mock_aws():
        yield


def enforce(monkeypatch) -> None:
    """From now on moto authorises every request against the caller's policies (the set-up
    before it ran as moto's unrestricted default user)."""
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)


def assume(role_logical_id: str, stack, world: World) -> dict:
    """A role in moto holding exactly the rendered policies of `role_logical_id`, resolved for
    moto's account and region, and credentials to act as it."""
    iam = boto3.client("iam", region_name=REGION)
    name = f"{role_logical_id}-under-test"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))[
        "Role"]["Arn"]
    role = stack.document()["Resources"][role_logical_id]["Properties"]
    for policy in role.get("Policies", []):
        iam.put_role_policy(RoleName=name, PolicyName=policy["PolicyName"],
                            PolicyDocument=json.dumps(world.resolve(policy["PolicyDocument"])))
    assert "ManagedPolicyArns" not in role
    return boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=arn, RoleSessionName="handler-under-test")["Credentials"]


def moto_world(stack, stack_id: str, default_group: str = "") -> World:
    """Intrinsics resolved for moto's account and region (the roles' resources must match the
    ARNs moto sees), and the default security group of a VPC made in moto."""
    from moto.core import DEFAULT_ACCOUNT_ID

    class MotoWorld(World):
        def ref(self, name):
            pseudo = {"AWS::AccountId": DEFAULT_ACCOUNT_ID, "AWS::Region": REGION,
                      "AWS::StackId": stack_id}
            return pseudo.get(name) or super().ref(name)

        def get_att(self, logical_id, attribute):
            if attribute == "DefaultSecurityGroup" and default_group:
                return default_group
            return super().get_att(logical_id, attribute).replace(
                "111122223333", DEFAULT_ACCOUNT_ID).replace("eu-west-1", REGION)

    return MotoWorld(stack.document(), stack=stack.settings.resource_id)


def code_actions(calls) -> set[str]:
    return {call.action for call in calls}


def test_the_guard_needs_exactly_its_table_and_is_allowed_it(aws, monkeypatch):
    stack = stack_for("default")
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    stack_id = cloudformation.create_stack(StackName="webapp-dev", TemplateBody=json.dumps(
        {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}))["StackId"]
    load_balancer, groups = load_balancer_in_moto(REGION, ("Blue", "Green"))
    elbv2 = boto3.client("elbv2", region_name=REGION)
    elbv2.create_listener(LoadBalancerArn=load_balancer, Protocol="HTTP", Port=443,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": groups["Green"]}])
    world = moto_world(stack, stack_id)
    credentials = assume(stack.load_balancing.guard.function.role.title, stack, world)
    enforce(monkeypatch)

    recorder = Recorder()
    properties = {f"{c}TargetGroupArn": arn for c, arn in groups.items()}
    properties["ListenerInputs"] = {
        route: {"LoadBalancerArn": load_balancer, "Port": port}
        for route, port in (("Production", "443"), ("Test", "8080"))}
    with presigned_url() as (url, received):
        guard.handler({"RequestType": "Update", "StackId": stack_id, "RequestId": "r",
                       "LogicalResourceId": "LiveRoutes", "PhysicalResourceId": "LiveRoutes",
                       "ResponseURL": url, "ResourceProperties": properties,
                       "OldResourceProperties": properties},
                      None, elbv2=recorder.client("elbv2", credentials),
                      cloudformation=recorder.client("cloudformation", credentials))
    ((_, _, body),) = received
    assert body["Status"] == "SUCCESS", body["Reason"]
    # The stack is not rolling back: the guard learnt that from DescribeStacks, allowed.
    assert body["Data"]["ProductionGreen"] == "100"
    assert recorder.errors == []
    assert set(recorder.actions) == code_actions(
        guard_table.listener_calls(_deployed(world, stack)))


def _deployed(world, stack):
    from stacks.permissions import deployed
    return deployed(world, stack)


def _default_group_rules(ec2, group_id: str) -> tuple[list, list]:
    (group,) = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    return group["IpPermissions"], group["IpPermissionsEgress"]


def test_the_guard_empties_the_default_group_with_exactly_its_table(aws, monkeypatch):
    """A created VPC's default group comes with "all traffic from its members" and "all
    egress"; the function revokes both under its role, and a second run (a stack update) finds
    nothing left and still succeeds."""
    stack = stack_for("default")
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    (group,) = ec2.describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"]
    group_id = group["GroupId"]
    # AWS creates the default group with both rules; moto only with the egress one.
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group_id}]}])
    ingress, egress = _default_group_rules(ec2, group_id)
    assert ingress and egress
    other = ec2.create_security_group(GroupName="other", Description="x", VpcId=vpc)["GroupId"]
    world = moto_world(stack, "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
                       default_group=group_id)
    credentials = assume(stack.load_balancing.guard.function.role.title, stack, world)
    enforce(monkeypatch)
    recorder = Recorder()
    client = recorder.client("ec2", credentials)
    for request in ("Create", "Update"):
        with presigned_url() as (url, received):
            guard.handler({"RequestType": request, "ResourceType": "Custom::EmptyDefaultGroup",
                           "StackId": "s", "RequestId": "r",
                           "LogicalResourceId": "EmptyDefaultSecurityGroup",
                           "ResponseURL": url, "ResourceProperties": {"GroupId": group_id}},
                          None, ec2=client)
        ((_, _, body),) = received
        assert body["Status"] == "SUCCESS", body["Reason"]
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", float("inf"))
    assert _default_group_rules(ec2, group_id) == ([], [])
    assert set(recorder.actions) == code_actions(
        guard_table.default_group_calls(_deployed(world, stack)))
    assert recorder.errors in ([], [("ec2:RevokeSecurityGroupIngress", "InvalidPermission.NotFound"),
                                    ("ec2:RevokeSecurityGroupEgress", "InvalidPermission.NotFound")])
    # and no other group: moto, with its own evaluator, refuses
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    with pytest.raises(client.exceptions.ClientError, match="UnauthorizedOperation|AccessDenied"):
        client.revoke_security_group_egress(GroupId=other, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


def test_the_guard_is_denied_another_stack(aws, monkeypatch):
    """The scoping is real: moto, deciding with its own evaluator, refuses a DescribeStacks on
    any stack but the guard's own."""
    stack = stack_for("default")
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    template = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
    own = cloudformation.create_stack(StackName="own", TemplateBody=template)["StackId"]
    other = cloudformation.create_stack(StackName="other", TemplateBody=template)["StackId"]
    credentials = assume(stack.load_balancing.guard.function.role.title, stack,
                         moto_world(stack, own))
    enforce(monkeypatch)
    client = Recorder().client("cloudformation", credentials)
    assert client.describe_stacks(StackName=own)["Stacks"][0]["StackId"] == own
    with pytest.raises(client.exceptions.ClientError, match="AccessDenied"):
        client.describe_stacks(StackName=other)


def test_the_hook_needs_exactly_its_table_and_is_allowed_it(aws, monkeypatch):
    stack = stack_for("default")
    world = moto_world(stack, "arn:aws:cloudformation:us-east-1:123456789012:stack/x/y")
    credentials = assume(stack.hooks.inline.role.title, stack, world)
    enforce(monkeypatch)
    for key, value in {"TEST_URL": "http://127.0.0.1:9", "PATHS": "/", "REQUESTS": "1",
                       "SUCCESS_RATIO": "1.0", "LATENCY_BUDGET_MS": "100"}.items():
        monkeypatch.setenv(key, value)
    recorder = Recorder()

    class Context:
        def get_remaining_time_in_millis(self):
            return 30_000

    result = hook.handler({"DeploymentId": "d-EXAMPLE", "LifecycleEventHookExecutionId": "e"},
                          Context(), codedeploy=recorder.client("codedeploy", credentials))
    assert result == {"status": "Failed"}  # nothing answers on port 9; the report went out
    assert recorder.errors == []
    assert set(recorder.actions) == code_actions(hook_table.code_calls(_deployed(world, stack)))


def test_the_ecs_engines_function_needs_exactly_its_table_and_is_allowed_it(aws, monkeypatch):
    """With ECS's engine the same function (continued by guard_ecs.py) reads the routes' rules
    and prepares releases, under its role's rendered policy. moto computes no change set's
    Changes, so the release is refused (and its change set deleted): every release call but
    the success report is made, and allowed."""
    from moto.codepipeline.responses import CodePipelineResponse
    from shipped import handler_module
    from stacks.live_routes import RELEASING_GUARD_MODULE
    reports = []
    for name in ("put_job_success_result", "put_job_failure_result"):
        monkeypatch.setattr(CodePipelineResponse, name,
                            lambda self, name=name: reports.append(name) or ActionResult({}),
                            raising=False)
    # AWS authorises a stack's calls on its ARN, named or not; moto on the StackName given,
    # and its CreateChangeSet finds a stack by name only: the job names it, moto authorises
    # the ARN.
    def stack_arn(self):
        name = self._get_param("StackName")
        found = [s.stack_id for s in self.cloudformation_backend.stacks.values()
                 if s.name == name]
        return found[0] if found else name or "*"
    monkeypatch.setattr(CloudFormationResponse, "_determine_resource", stack_arn,
                        raising=False)
    stack = stack_for("ecs-native")
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    stack_id = cloudformation.create_stack(
        StackName="webapp-prod", Parameters=[{"ParameterKey": "Image", "ParameterValue": "a"}],
        TemplateBody=json.dumps({"Parameters": {"Image": {"Type": "String"}}, "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic",
                      "Properties": {"DisplayName": {"Ref": "Image"}}}}}))["StackId"]
    load_balancer, groups = load_balancer_in_moto(REGION, ("Blue", "Green"))
    elbv2 = boto3.client("elbv2", region_name=REGION)
    listener = elbv2.create_listener(
        LoadBalancerArn=load_balancer, Protocol="HTTP", Port=443,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {
            "StatusCode": "404"}}])["Listeners"][0]["ListenerArn"]
    elbv2.create_rule(ListenerArn=listener, Priority=1, Conditions=[
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}], Actions=[
        {"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": groups["Blue"], "Weight": 0},
            {"TargetGroupArn": groups["Green"], "Weight": 100}]}}])
    world = moto_world(stack, stack_id)
    credentials = assume(stack.load_balancing.guard.function.role.title, stack, world)
    enforce(monkeypatch)
    function = handler_module(RELEASING_GUARD_MODULE, "module")
    table = _deployed(world, stack)

    recorder = Recorder()
    properties = {f"{c}TargetGroupArn": arn for c, arn in groups.items()}
    properties["ListenerInputs"] = {
        route: {"LoadBalancerArn": load_balancer, "Port": port, "Rule": {"Priority": "1"}}
        for route, port in (("Production", "443"), ("Test", "8080"))}
    with presigned_url() as (url, received):
        function.handler({"RequestType": "Update", "StackId": stack_id, "RequestId": "r",
                          "LogicalResourceId": "LiveRoutes",
                          "PhysicalResourceId": "LiveRoutes", "ResponseURL": url,
                          "ResourceProperties": properties,
                          "OldResourceProperties": properties},
                         None, elbv2=recorder.client("elbv2", credentials),
                         cloudformation=recorder.client("cloudformation", credentials))
    ((_, _, body),) = received
    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["Data"]["ProductionGreen"] == "100"  # the rule's weights
    assert recorder.errors == []
    assert set(recorder.actions) == code_actions(guard_table.listener_calls(table))

    release = Recorder()
    job = {"CodePipeline.job": {"id": "job-1", "data": {"actionConfiguration": {
        "configuration": {"UserParameters": json.dumps({
            "Stack": "webapp-prod", "ChangeSet": "release-1", "Parameter": "Image", "Image": "b",
            "Expect": ["Service", "TaskDefinition"]})}}}}}

    class Context:
        def get_remaining_time_in_millis(self):
            return 60_000
    function.handler(job, Context(), cloudformation=release.client("cloudformation", credentials),
                     codepipeline=release.client("codepipeline", credentials))
    assert release.errors == [] and reports == ["put_job_failure_result"]
    assert set(release.actions) == code_actions(guard_table.release_calls(table)) - {
        "codepipeline:PutJobSuccessResult"}
