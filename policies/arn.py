"""The one place ARNs are spelled: always partition-aware, never a literal partition."""

from __future__ import annotations

from troposphere import Sub


def aws_managed_policy(path_and_name: str) -> Sub:
    """ARN of an AWS managed policy, e.g. "service-role/AmazonECSTaskExecutionRolePolicy".

    The path matters: a wrong one fails only at deploy time, and cfn-lint does not notice.
    """
    return Sub(f"arn:${{AWS::Partition}}:iam::aws:policy/{path_and_name}")
