"""The CodePipeline role: move artifacts, start the build, register the task definition and
start the CodeDeploy deployment.

Fixes the reference's pitfalls: PassRole only for the two task roles and only to ECS tasks;
ecs:TagResource for the tags taskdef.json carries, only while registering a task definition;
CreateDeployment on the deployment group (not the application); bucket actions on the bucket
ARN and object actions on its objects.
"""

from __future__ import annotations

from typing import Any

from awacs import codebuild, codecommit, codeconnections, codedeploy, codestar_connections
from awacs import ecs, iam, s3
from awacs.aws import Allow, Condition, PolicyDocument, Statement, StringEquals

from .trust import ECS_TASKS


def artifact_access(bucket_arn: Any, objects_arn: Any) -> list[Statement]:
    return [
        Statement(Sid="ArtifactObjects", Effect=Allow,
                  Action=[s3.GetObject, s3.GetObjectVersion, s3.PutObject],
                  Resource=[objects_arn]),
        Statement(Sid="ArtifactBucket", Effect=Allow,
                  Action=[s3.GetBucketVersioning, s3.GetBucketLocation, s3.ListBucket],
                  Resource=[bucket_arn]),
    ]


def start_build(project_arn: Any) -> Statement:
    return Statement(Sid="StartBuild", Effect=Allow,
                     Action=[codebuild.StartBuild, codebuild.BatchGetBuilds],
                     Resource=[project_arn])


def use_connection(connection_arn: Any) -> Statement:
    # Older connections have codestar-connections ARNs, newer ones codeconnections ARNs; the
    # action's prefix must match the ARN's, so both are granted on the one connection.
    return Statement(Sid="UseConnection", Effect=Allow,
                     Action=[codestar_connections.UseConnection,
                             codeconnections.UseConnection],
                     Resource=[connection_arn])


def read_codecommit(repository_arn: Any) -> Statement:
    return Statement(Sid="ReadCodeCommit", Effect=Allow,
                     Action=[codecommit.GetBranch, codecommit.GetCommit,
                             codecommit.UploadArchive, codecommit.GetUploadArchiveStatus,
                             codecommit.CancelUploadArchive],
                     Resource=[repository_arn])


def read_s3_source(bucket_arn: Any, object_arn: Any) -> list[Statement]:
    return [
        Statement(Sid="SourceObject", Effect=Allow,
                  Action=[s3.GetObject, s3.GetObjectVersion], Resource=[object_arn]),
        Statement(Sid="SourceBucket", Effect=Allow,
                  Action=[s3.GetBucketVersioning], Resource=[bucket_arn]),
    ]


def deploy_to_ecs(application_arn: Any, deployment_group_arn: Any,
                  deployment_config_arn: Any, task_definition_arn: Any,
                  task_role_arns: list[Any]) -> list[Statement]:
    """What the CodeDeployToECS action does with this role.

    https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECSbluegreen.html
    """
    return [
        Statement(Sid="CreateDeployment", Effect=Allow,
                  Action=[codedeploy.CreateDeployment, codedeploy.GetDeployment],
                  Resource=[deployment_group_arn]),
        Statement(Sid="RegisterRevision", Effect=Allow,
                  Action=[codedeploy.GetApplication, codedeploy.GetApplicationRevision,
                          codedeploy.RegisterApplicationRevision],
                  Resource=[application_arn]),
        Statement(Sid="ReadDeploymentConfig", Effect=Allow,
                  Action=[codedeploy.GetDeploymentConfig],
                  Resource=[deployment_config_arn]),
        Statement(Sid="RegisterTaskDefinition", Effect=Allow,
                  Action=[ecs.RegisterTaskDefinition],
                  # RegisterTaskDefinition has no resource-level scoping: it must be "*".
                  Resource=["*"]),
        Statement(Sid="TagTaskDefinition", Effect=Allow,
                  Action=[ecs.TagResource],
                  Resource=[task_definition_arn],
                  # Only the tags taskdef.json carries, while it is being registered.
                  Condition=Condition(StringEquals("ecs:CreateAction",
                                                   "RegisterTaskDefinition"))),
        Statement(Sid="PassTaskRoles", Effect=Allow,
                  Action=[iam.PassRole],
                  Resource=task_role_arns,
                  Condition=Condition(StringEquals("iam:PassedToService", ECS_TASKS))),
    ]


def pipeline_policy(statements: list[Statement]) -> PolicyDocument:
    return PolicyDocument(Version="2012-10-17", Statement=statements)
