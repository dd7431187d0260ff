"""The task execution role: what ECS itself needs to start our tasks.

A scoped inline policy instead of the managed AmazonECSTaskExecutionRolePolicy, which grants
ECR pulls and log writes on every repository and log group in the account.
"""

from __future__ import annotations

from typing import Any

from awacs import ecr
from awacs.aws import Allow, PolicyDocument, Statement

from .calls import OTHER, Call, Deployed
from .statements import ecr_login, write_logs


def pull_image_and_write_logs(repository_arn: Any, log_group_arn: Any) -> PolicyDocument:
    """Pull the service's image from its ECR repository and write its awslogs stream.

    `log_group_arn` is the log group's GetAtt Arn, which ends in ":*" and so covers its streams.
    Images from public registries (the bootstrap image) need no permission.
    """
    return PolicyDocument(
        Version="2012-10-17",
        Statement=[
            ecr_login(),
            Statement(
                Sid="PullServiceImage",
                Effect=Allow,
                Action=[ecr.BatchCheckLayerAvailability, ecr.GetDownloadUrlForLayer,
                        ecr.BatchGetImage],
                Resource=[repository_arn],
            ),
            write_logs(log_group_arn, sid="WriteContainerLogs"),
        ],
    )


ROLE_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html"
AWSLOGS_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html"


def required_calls(d: Deployed) -> list[Call]:
    stream = d.log_stream_arn(d.log_group, f"{d.task_family}/{d.task_family}/0123abcd")
    pull = [Call(action, d.repository_arn, "pull the service image from its repository",
                 ROLE_DOC)
            for action in ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
                           "ecr:BatchGetImage")]
    return [
        Call("ecr:GetAuthorizationToken", "*", "log in to ECR before pulling", ROLE_DOC),
        *pull,
        Call("logs:CreateLogStream", stream, "start the container's awslogs stream",
             AWSLOGS_DOC),
        Call("logs:PutLogEvents", stream, "ship the container's output", AWSLOGS_DOC),
    ]


def near_misses(d: Deployed) -> list[Call]:
    other_repository = d.arn("ecr", f"repository/{OTHER}")
    return [
        Call("ecr:BatchGetImage", other_repository, "another repository's images"),
        Call("ecr:PutImage", d.repository_arn, "pushing is the build's job, not the task's"),
        Call("logs:PutLogEvents", d.log_stream_arn(OTHER, "stream"), "another log group"),
        Call("logs:DeleteLogGroup", d.arn("logs", f"log-group:{d.log_group}"),
             "deleting its own logs"),
    ]
