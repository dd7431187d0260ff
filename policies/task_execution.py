"""The task execution role: what ECS itself needs to start our tasks.

A scoped inline policy instead of the managed AmazonECSTaskExecutionRolePolicy, which grants
ECR pulls and log writes on every repository and log group in the account.
"""

from __future__ import annotations

from typing import Any

from awacs import ecr, logs
from awacs.aws import Allow, PolicyDocument, Statement


def pull_image_and_write_logs(repository_arn: Any, log_group_arn: Any) -> PolicyDocument:
    """Pull the service's image from its ECR repository and write its awslogs stream.

    `log_group_arn` is the log group's GetAtt Arn, which ends in ":*" and so covers its streams.
    Images from public registries (the bootstrap image) need no permission.
    """
    return PolicyDocument(
        Version="2012-10-17",
        Statement=[
            Statement(
                Sid="EcrLogin",
                Effect=Allow,
                Action=[ecr.GetAuthorizationToken],
                # GetAuthorizationToken has no resource-level scoping: it must be "*".
                Resource=["*"],
            ),
            Statement(
                Sid="PullServiceImage",
                Effect=Allow,
                Action=[ecr.BatchCheckLayerAvailability, ecr.GetDownloadUrlForLayer,
                        ecr.BatchGetImage],
                Resource=[repository_arn],
            ),
            Statement(
                Sid="WriteContainerLogs",
                Effect=Allow,
                Action=[logs.CreateLogStream, logs.PutLogEvents],
                Resource=[log_group_arn],
            ),
        ],
    )
