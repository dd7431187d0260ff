"""Resource policies that let another account's roles use what the delivery stack of a
promotion owns (its artifacts, their key, its image repository), and the key's use through S3.

They name another account's role by the account (the principal) and the role's ARN (the
condition aws:PrincipalArn), not by the role as principal: IAM, KMS, S3 and ECR refuse a policy
whose principal does not exist yet ("Invalid principal", "Principal not found"), and with this
form the stacks of a promotion can be created in any order. The account principal only
delegates: the role also needs the grant in its own policy, which its own stack gives it.
(IAM: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn;
KMS: https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html)
"""

from __future__ import annotations

from typing import Any

from awacs import ecr, kms, s3
from awacs.aws import (Allow, ArnEquals, Condition, Policy, Principal, Statement,
                       StringEquals)
from troposphere import Sub

from .arn import arn


def account_root(account: str | None) -> Sub:
    """An account as a principal (None: this stack's)."""
    return arn("iam", "root", regional=False, account=account)


def role_in(account: str | None, name: str) -> Sub:
    """A role by its name, in an account (None: this stack's)."""
    return arn("iam", f"role/{name}", regional=False, account=account)


def by_account_and_arn(role_arns: dict[str, list[Any]]) -> tuple[Principal, Condition]:
    """{account: [role ARN, ...]} -> the accounts as principals, the roles as condition."""
    return (Principal("AWS", [account_root(account) for account in role_arns]),
            Condition(ArnEquals("aws:PrincipalArn",
                                [role for roles in role_arns.values() for role in roles])))


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
    principal, _ = by_account_and_arn(readers)
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
    principal, condition = by_account_and_arn(readers)
    return Statement(Sid="DeployRolesReadArtifacts", Effect=Allow, Principal=principal,
                     Action=[s3.GetObject, s3.GetObjectVersion], Resource=[objects_arn],
                     Condition=condition)


def pull_for_other_accounts(execution_roles: dict[str, list[Any]]) -> Policy:
    """The repository policy: the other accounts' task execution roles pull the images.
    https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html"""
    principal, condition = by_account_and_arn(execution_roles)
    return Policy(Version="2012-10-17", Statement=[Statement(
        Sid="ExecutionRolesPull", Effect=Allow, Principal=principal,
        Action=[ecr.BatchCheckLayerAvailability, ecr.GetDownloadUrlForLayer, ecr.BatchGetImage],
        Condition=condition)])
