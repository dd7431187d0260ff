"""Least privilege, proven: every role allows exactly what its AWS service calls.

Per role and variant: every required call is allowed, every near miss is denied, and the
granted actions equal the required ones plus the explained breadth. The tables themselves are
checked against policy_sentry's offline IAM database, the rendered policies against parliament,
and the managed-policy ARNs against moto's snapshot of AWS managed policies.
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

from policies.evaluator import ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, Request, decide
from stacks.permissions import ROLE_TABLES, managed_policies, prove
from variants import VARIANTS, settings_for

ROOT = Path(__file__).resolve().parent.parent


@cache
def proofs(variant: str):
    return {p.role: p for p in prove(settings_for(variant))}


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


def test_every_role_of_every_variant_has_a_table():
    roles = {role for variant in VARIANTS for role in proofs(variant)}
    assert roles == set(ROLE_TABLES)


def test_codedeploy_relies_on_the_managed_policy_for_these_calls():
    """Which grants of AWSCodeDeployRoleForECS we rely on, and the breadth we accept."""
    proof = proofs("default")["CodeDeployRole"]
    assert all(v.granted_by == ("managed",) for v in proof.required)
    assert proof.required_actions == {
        "ecs:DescribeServices", "ecs:CreateTaskSet", "ecs:UpdateServicePrimaryTaskSet",
        "ecs:DeleteTaskSet", "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:DescribeRules", "elasticloadbalancing:ModifyRule",
        "iam:PassRole", "lambda:InvokeFunction", "cloudwatch:DescribeAlarms"}
    assert set(proof.breadth) == proof.granted_actions - proof.required_actions


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


# --- parliament over the policies we render ---------------------------------------------------

# Actions granted on "*", each for a documented reason:
RESOURCE_STAR_ALLOWED = {
    # no resource-level scoping
    "ecr:GetAuthorizationToken",
    # AWS documents it on "*" for the CodeDeployToECS action
    "ecs:RegisterTaskDefinition",
    # Lambda manages a VPC function's network interfaces with its role and checks these on
    # "*" when the function is created (policies/hook.py)
    "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
    # Elastic Load Balancing's Describe actions have no resource-level scoping
    "elasticloadbalancing:DescribeListeners",
}


def test_parliament_finds_nothing_but_documented_resource_star(variant):
    managed = list(managed_policies().values())
    for role, proof in proofs(variant).items():
        for document in proof.documents:
            if document in managed:
                continue  # AWS's own policy, reviewed in the CodeDeploy test above
            for finding in analyze_policy_string(json.dumps(document)).findings:
                assert finding.issue == "RESOURCE_STAR", (role, finding.issue, finding.detail)
                assert set(finding.detail) <= RESOURCE_STAR_ALLOWED, (role, finding.detail)


# --- managed policies ------------------------------------------------------------------------

@cache
def _aws_managed() -> dict[str, dict]:
    return {f"{p['Path']}{name}": p for name, p in json.loads(aws_managed_policies_data).items()}


def test_every_managed_policy_arn_exists_with_that_exact_path(template):
    for resource in template["Resources"].values():
        for policy_arn in resource.get("Properties", {}).get("ManagedPolicyArns", []):
            text = policy_arn["Fn::Sub"]
            assert text.startswith("arn:${AWS::Partition}:iam::aws:policy/")
            path_and_name = "/" + text.split(":policy/", 1)[1]
            assert path_and_name in _aws_managed(), path_and_name


def test_offline_snapshot_matches_moto():
    for path_and_name, document in managed_policies().items():
        assert _aws_managed()[path_and_name]["Document"] == document


def test_a_wrong_managed_policy_path_would_be_caught():
    assert "/service-role/AWSCodeDeployRoleForECS" not in _aws_managed()
    assert "/AWSCodeDeployRoleForECS" in _aws_managed()


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
