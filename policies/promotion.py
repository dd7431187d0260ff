"""Policies of a promotion: the pipeline's deploy roles, one per environment, and what the
delivery stack's artifacts, key and image repository let other accounts do.

Resource policies name another account's role by the account (the principal) and the role's
ARN (the condition aws:PrincipalArn), not by the role as principal: IAM, KMS, S3 and ECR refuse
a policy whose principal does not exist yet ("Invalid principal", "Principal not found"), and
with this form the stacks of a promotion can be created in any order. The account principal
only delegates: the role also needs the grant in its own policy, which the other account's
stack gives it. (IAM: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn;
KMS: https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html)
"""

from __future__ import annotations

from typing import Any

from awacs import ecr, kms, s3, sts
from awacs.aws import (Allow, ArnEquals, Condition, Policy, PolicyDocument, Principal,
                       Statement, StringEquals)
from troposphere import Sub

from .arn import arn
from .calls import OTHER, PASSED_TO, Call, Deployed, artifact_key_calls
from .pipeline import _code_deploy_calls, deploy_to_ecs

DEPLOY_DOC = ("https://docs.aws.amazon.com/codepipeline/latest/userguide/"
              "pipelines-create-cross-account.html")


def account_root(account: str | None) -> Sub:
    """An account as a principal (None: this stack's)."""
    return Sub(f"arn:${{AWS::Partition}}:iam::{account or '${AWS::AccountId}'}:root")


def role_in(account: str | None, name: str) -> Sub:
    return arn("iam", f"role/{name}", regional=False, account=account)


def _principals(role_arns: dict[str, list[Any]]) -> tuple[Principal, Condition]:
    """{account: [role ARN, ...]} -> the accounts as principals, the roles as condition."""
    return (Principal("AWS", [account_root(account) for account in role_arns]),
            Condition(ArnEquals("aws:PrincipalArn",
                                [role for roles in role_arns.values() for role in roles])))


def trusted_by_pipeline(pipeline_account: str | None, pipeline_role: Any) -> Policy:
    """The deploy role's trust: the pipeline's role only, by its account and its ARN as
    condition (also in the pipeline's own stack, where naming the role itself would make
    the role and the pipeline role refer to each other)."""
    principal, condition = _principals({pipeline_account: [pipeline_role]})
    return Policy(Version="2012-10-17", Statement=[Statement(
        Effect=Allow, Principal=principal, Action=[sts.AssumeRole], Condition=condition)])


def assume_deploy_roles(role_arns: list[Any]) -> Statement:
    """The pipeline's role runs each environment's deployment as that environment's role."""
    return Statement(Sid="AssumeDeployRoles", Effect=Allow, Action=[sts.AssumeRole],
                     Resource=role_arns)


def deploy_environment(application_arn: Any, deployment_group_arn: Any,
                       deployment_config_arn: Any, task_definition_arn: Any,
                       task_role_arns: list[Any], artifact_objects_arn: Any,
                       key_arns: list[Any]) -> PolicyDocument:
    """One environment's deployment and nothing else: the CodeDeployToECS action's calls on
    this environment's application, group, task family and task roles, and reading the
    pipeline's artifacts (taskdef, AppSpec, image) with the key that encrypts them."""
    statements = deploy_to_ecs(application_arn, deployment_group_arn, deployment_config_arn,
                               task_definition_arn, task_role_arns)
    statements.append(Statement(Sid="ReadArtifacts", Effect=Allow,
                                Action=[s3.GetObject, s3.GetObjectVersion],
                                Resource=[artifact_objects_arn]))
    if key_arns:
        statements.append(decrypt_artifacts(key_arns))
    return PolicyDocument(Version="2012-10-17", Statement=statements)


# S3 uses the key on the caller's behalf: kms:GenerateDataKey to write an object, kms:Decrypt
# to read one (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html),
# with kms:ViaService naming S3 in the region.
VIA_S3 = "s3.${AWS::Region}.amazonaws.com"


def decrypt_artifacts(key_arns: list[Any]) -> Statement:
    """Read what the key encrypts, through S3 only."""
    return Statement(Sid="DecryptArtifacts", Effect=Allow, Action=[kms.Decrypt],
                     Resource=key_arns,
                     Condition=Condition(StringEquals("kms:ViaService", Sub(VIA_S3))))


def encrypt_artifacts(key_arn: Any) -> Statement:
    """The pipeline and the build write artifacts under the key and read them, through S3."""
    return Statement(Sid="EncryptArtifacts", Effect=Allow,
                     Action=[kms.Decrypt, kms.GenerateDataKey], Resource=[key_arn],
                     Condition=Condition(StringEquals("kms:ViaService", Sub(VIA_S3))))


def artifact_key_policy(readers: dict[str, list[Any]]) -> Policy:
    """The artifact key: this account administers it through IAM (the key policy's default
    statement), and the other accounts' deploy roles may decrypt.
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"""
    principal, _ = _principals(readers)
    roles = [role for account_roles in readers.values() for role in account_roles]
    return Policy(Version="2012-10-17", Statement=[
        Statement(Sid="AccountAdministersThroughIam", Effect=Allow,
                  Principal=Principal("AWS", [account_root(None)]),
                  Action=[kms.Action("*")], Resource=["*"]),
        Statement(Sid="DeployRolesDecrypt", Effect=Allow, Principal=principal,
                  Action=[kms.Decrypt], Resource=["*"],
                  Condition=Condition([ArnEquals("aws:PrincipalArn", roles),
                                       StringEquals("kms:ViaService", Sub(VIA_S3))])),
    ])


def artifacts_for_other_accounts(objects_arn: Any, readers: dict[str, list[Any]]) -> Statement:
    """The other accounts' deploy roles read the artifacts their deployment consumes."""
    principal, condition = _principals(readers)
    return Statement(Sid="DeployRolesReadArtifacts", Effect=Allow, Principal=principal,
                     Action=[s3.GetObject, s3.GetObjectVersion], Resource=[objects_arn],
                     Condition=condition)


def pull_for_other_accounts(execution_roles: dict[str, list[Any]]) -> Policy:
    """The repository policy: the other accounts' task execution roles pull the images.
    https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html"""
    principal, condition = _principals(execution_roles)
    return Policy(Version="2012-10-17", Statement=[Statement(
        Sid="ExecutionRolesPull", Effect=Allow, Principal=principal,
        Action=[ecr.BatchCheckLayerAvailability, ecr.GetDownloadUrlForLayer, ecr.BatchGetImage],
        Condition=condition)])


# --- the permission proof's table of a deploy role (stacks/permissions.py) --------------------

def required_calls(d: Deployed) -> list[Call]:
    artifact = d.object_arn(d.artifact_bucket, f"{d.pipeline[:20]}/BuildOutpu/def5678")
    return _code_deploy_calls(d) + [
        Call(action, artifact, "the deploy action reads taskdef.json, the AppSpec and "
             "imageDetail.json", DEPLOY_DOC)
        for action in ("s3:GetObject", "s3:GetObjectVersion")
    ] + artifact_key_calls(d, ("kms:Decrypt",), "read the artifacts the key encrypts")


def near_misses(d: Deployed) -> list[Call]:
    """Another environment's deployment, by any of its calls ("the staging role cannot touch
    prod"), and anything beyond reading the artifacts."""
    calls = []
    for other in d.siblings:
        group = other.arn("codedeploy",
                          f"deploymentgroup:{other.application}/{other.deployment_group}")
        calls += [
            Call("codedeploy:CreateDeployment", group, f"deploying {other.application}"),
            Call("codedeploy:RegisterApplicationRevision",
                 other.arn("codedeploy", f"application:{other.application}"),
                 f"recording a revision of {other.application}"),
            Call("ecs:TagResource", other.arn("ecs", f"task-definition/{other.task_family}:7"),
                 f"tagging {other.task_family}'s task definitions",
                 context={"ecs:CreateAction": "RegisterTaskDefinition"}),
            *[Call("iam:PassRole", other.role_arn(role), f"passing {role} to ECS tasks",
                   context={PASSED_TO: "ecs-tasks.amazonaws.com"})
              for role in (other.execution_role, other.task_role)],
        ]
    artifact = d.object_arn(d.artifact_bucket, f"{d.pipeline[:20]}/BuildOutpu/def5678")
    calls += [
        Call("codedeploy:CreateDeployment",
             d.arn("codedeploy", f"deploymentgroup:{d.application}/{OTHER}"),
             "deploying another deployment group"),
        Call("s3:PutObject", artifact, "writing the pipeline's artifacts"),
        Call("s3:GetObject", d.object_arn(OTHER, "artifact.zip"), "objects of another bucket"),
        Call("ecs:UpdateService", d.arn("ecs", f"service/{d.cluster}/{d.service}"),
             "deploying around CodeDeploy"),
    ]
    if d.artifact_key:
        calls.append(Call("kms:Decrypt", d.artifact_key, "decrypting outside S3"))
    return calls
