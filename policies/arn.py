"""The one place ARNs are spelled: always partition-aware, never a literal partition."""

from __future__ import annotations

from troposphere import Sub


def aws_managed_policy(path_and_name: str) -> Sub:
    """ARN of an AWS managed policy, e.g. "service-role/AmazonECSTaskExecutionRolePolicy".

    The path matters: a wrong one fails only at deploy time, and cfn-lint does not notice.
    """
    return Sub(f"arn:${{AWS::Partition}}:iam::aws:policy/{path_and_name}")


def arn(service: str, resource: str, *, regional: bool = True, in_account: bool = True,
        account: str | None = None) -> Sub:
    """ARN of a resource in this stack's partition, region and account (or in `account`, the
    12-digit id of another one).

    `resource` may hold Sub variables of its own, e.g. "codecommit" and "${RepositoryName}".
    """
    region = "${AWS::Region}" if regional else ""
    account = (account or "${AWS::AccountId}") if in_account else ""
    return Sub(f"arn:${{AWS::Partition}}:{service}:{region}:{account}:{resource}")
