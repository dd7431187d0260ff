"""The task role: the application's own AWS permissions. It starts with none; add what the
application calls, scoped to its resources."""

from __future__ import annotations

from .calls import OTHER, Call, Deployed


def required_calls(d: Deployed) -> list[Call]:
    return []


def near_misses(d: Deployed) -> list[Call]:
    return [
        Call("s3:GetObject", d.object_arn(d.artifact_bucket, "anything"),
             "the pipeline's artifacts are none of the application's business"),
        Call("ecr:GetAuthorizationToken", "*", "the execution role pulls images, not the task"),
        Call("iam:PassRole", d.role_arn(OTHER), "no role passing from inside a task",
             context={"iam:PassedToService": "ecs-tasks.amazonaws.com"}),
    ]
