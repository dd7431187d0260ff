"""The CodePipeline role: move artifacts, start the build, register the task definition and
start the CodeDeploy deployment (with deployment.engine "ecs": run the release job and execute
its change set, with what CloudFormation then does in this role's name).

Fixes the reference's pitfalls: PassRole only for the two task roles and only to ECS tasks;
ecs:TagResource for the tags taskdef.json carries, only while registering a task definition;
CreateDeployment on the deployment group (not the application); bucket actions on the bucket
ARN and object actions on its objects.
"""

from __future__ import annotations

from typing import Any

from awacs import codebuild, codecommit, codeconnections, codedeploy, codestar_connections
from awacs import awslambda, cloudformation, ecs, iam, s3, sns, sts
from awacs.aws import Allow, Condition, PolicyDocument, Statement, StringEquals
from troposphere import Select, Split, Sub

from .calls import OTHER, PASSED_TO, Call, Deployed, artifact_key_calls
from .trust import ECS, ECS_TASKS


def artifact_access(bucket_arn: Any, objects_arn: Any, tagged: bool) -> list[Statement]:
    """The artifact bucket, as AWS's minimal CodePipeline service role policy grants it
    (https://docs.aws.amazon.com/codepipeline/latest/userguide/how-to-custom-role.html);
    the object tagging actions only with a source whose objects may carry tags (S3)."""
    tagging = [s3.GetObjectTagging, s3.GetObjectVersionTagging, s3.PutObjectTagging]
    return [
        Statement(Sid="ArtifactObjects", Effect=Allow,
                  Action=[s3.GetObject, s3.GetObjectVersion, s3.PutObject, s3.PutObjectAcl]
                  + (tagging if tagged else []),
                  Resource=[objects_arn]),
        Statement(Sid="ArtifactBucket", Effect=Allow,
                  Action=[s3.GetBucketVersioning, s3.GetBucketAcl, s3.GetBucketLocation],
                  Resource=[bucket_arn]),
    ]


def assume_deploy_roles(role_arns: list[Any]) -> Statement:
    """In a promotion the pipeline's role runs each environment's deployment as that
    environment's deploy role (policies/deploy_role.py), and deploys nothing itself."""
    return Statement(Sid="AssumeDeployRoles", Effect=Allow, Action=[sts.AssumeRole],
                     Resource=role_arns)


def notify_approvers(topic_arn: Any) -> Statement:
    """The pipeline's role publishes a manual approval's notification.
    https://docs.aws.amazon.com/codepipeline/latest/userguide/approvals-service-role-permissions.html"""
    return Statement(Sid="NotifyApprovers", Effect=Allow, Action=[sns.Publish],
                     Resource=[topic_arn])


def start_build(project_arn: Any) -> Statement:
    return Statement(Sid="StartBuild", Effect=Allow,
                     Action=[codebuild.StartBuild, codebuild.BatchGetBuilds],
                     Resource=[project_arn])


def run_release_job(function_arn: Any) -> Statement:
    """Engine ecs: invoke the stack's function, which prepares the release's change set.
    https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-Lambda.html"""
    return Statement(Sid="PrepareRelease", Effect=Allow, Action=[awslambda.InvokeFunction],
                     Resource=[function_arn])


def use_connection(connection_arn: Any) -> Statement:
    """UseConnection on the one connection, under both of its ARN prefixes.

    Older connections have codestar-connections ARNs, newer ones codeconnections ARNs, and the
    action's prefix must match the ARN's. The template cannot know which it will be given, so
    each prefix's action is granted on the same connection id. The connection is in this
    account and region: CodePipeline runs source actions in the pipeline's region.
    """
    connection = Select(5, Split(":", connection_arn))  # "connection/<id>"
    return Statement(
        Sid="UseConnection", Effect=Allow,
        Action=[codestar_connections.UseConnection, codeconnections.UseConnection],
        Resource=[Sub(f"arn:${{AWS::Partition}}:{prefix}:${{AWS::Region}}:${{AWS::AccountId}}:"
                      "${Connection}", Connection=connection)
                  for prefix in ("codestar-connections", "codeconnections")])


def read_codecommit(repository_arn: Any) -> Statement:
    return Statement(Sid="ReadCodeCommit", Effect=Allow,
                     Action=[codecommit.GetBranch, codecommit.GetCommit, codecommit.GetRepository,
                             codecommit.UploadArchive, codecommit.GetUploadArchiveStatus,
                             codecommit.CancelUploadArchive],
                     Resource=[repository_arn])


def read_s3_source(bucket_arn: Any, object_arn: Any) -> list[Statement]:
    """https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-S3.html"""
    return [
        Statement(Sid="SourceObject", Effect=Allow,
                  Action=[s3.GetObject, s3.GetObjectVersion, s3.GetObjectTagging,
                          s3.GetObjectVersionTagging], Resource=[object_arn]),
        Statement(Sid="SourceBucket", Effect=Allow,
                  Action=[s3.GetBucketVersioning, s3.GetBucketAcl, s3.GetBucketLocation],
                  Resource=[bucket_arn]),
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
        tag_registered_task_definition(task_definition_arn),
        pass_task_roles(task_role_arns),
    ]


def tag_registered_task_definition(task_definition_arn: Any) -> Statement:
    """ecs:TagResource for the tags a task definition carries, only while it is registered."""
    return Statement(Sid="TagTaskDefinition", Effect=Allow,
                     Action=[ecs.TagResource],
                     Resource=[task_definition_arn],
                     Condition=Condition(StringEquals("ecs:CreateAction",
                                                      "RegisterTaskDefinition")))


def pass_task_roles(task_role_arns: list[Any]) -> Statement:
    """The task roles, passed to ECS tasks only."""
    return Statement(Sid="PassTaskRoles", Effect=Allow,
                     Action=[iam.PassRole],
                     Resource=task_role_arns,
                     Condition=Condition(StringEquals("iam:PassedToService", ECS_TASKS)))


def release_by_change_set(stack_arn: Any, task_definition_arn: Any, service_arn: Any,
                          service_deployments_arn: Any, task_role_arns: list[Any],
                          ecs_role_arns: list[Any]) -> list[Statement]:
    """Engine ecs: execute the change set the stack's function prepared, and what CloudFormation
    then does with this role's credentials (the stack has no service role): replace the task
    definition and update the service, which runs the deployment; a rollback makes the same
    calls. The calls are the handlers' permissions in the AWS::ECS::TaskDefinition and
    AWS::ECS::Service resource schemas (tests compare them with cfn-lint's copy)."""
    return [
        Statement(Sid="ExecuteRelease", Effect=Allow,
                  Action=[cloudformation.DescribeStacks, cloudformation.DescribeChangeSet,
                          cloudformation.ExecuteChangeSet],
                  Resource=[stack_arn]),
        Statement(Sid="ReplaceTaskDefinition", Effect=Allow,
                  Action=[ecs.RegisterTaskDefinition, ecs.DescribeTaskDefinition,
                          ecs.DeregisterTaskDefinition],
                  # None of the three has resource-level scoping: it must be "*".
                  Resource=["*"]),
        tag_registered_task_definition(task_definition_arn),
        Statement(Sid="DeployService", Effect=Allow,
                  Action=[ecs.UpdateService, ecs.DescribeServices,
                          ecs.DescribeServiceDeployments, ecs.ListServiceDeployments,
                          ecs.StopServiceDeployment, ecs.ListTagsForResource,
                          ecs.TagResource, ecs.UntagResource],
                  Resource=[service_arn, service_deployments_arn]),
        Statement(Sid="ReadTaskRoles", Effect=Allow, Action=[iam.GetRole],
                  Resource=task_role_arns),
        pass_task_roles(task_role_arns),
        # UpdateService names the roles ECS assumes to move traffic and run the hook.
        Statement(Sid="PassEcsRoles", Effect=Allow,
                  Action=[iam.PassRole],
                  Resource=ecs_role_arns,
                  Condition=Condition(StringEquals("iam:PassedToService", ECS))),
    ]


def ecs_action_statements(task_definition_arn: Any, service_arn: Any,
                          task_role_arns: list[Any]) -> list[Statement]:
    """What CodePipeline's standard ECS deploy action does with this role (the Terraform
    rendition of engine ecs): register the service's task definition again with the new
    image, tagged, and update the service. The permissions of the action's page.
    https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECS.html"""
    return [
        Statement(Sid="RegisterTaskDefinition", Effect=Allow,
                  Action=[ecs.RegisterTaskDefinition, ecs.DescribeTaskDefinition],
                  # Neither has resource-level scoping: it must be "*".
                  Resource=["*"]),
        tag_registered_task_definition(task_definition_arn),
        Statement(Sid="UpdateService", Effect=Allow,
                  Action=[ecs.DescribeServices, ecs.UpdateService], Resource=[service_arn]),
        pass_task_roles(task_role_arns),
    ]


def pipeline_policy(statements: list[Statement]) -> PolicyDocument:
    return PolicyDocument(Version="2012-10-17", Statement=statements)


ROLE_DOC = "https://docs.aws.amazon.com/codepipeline/latest/userguide/security-iam.html"
ECS_DEPLOY_DOC = ("https://docs.aws.amazon.com/codepipeline/latest/userguide/"
                  "action-reference-ECSbluegreen.html")
CONNECTION_DOC = ("https://docs.aws.amazon.com/codepipeline/latest/userguide/"
                  "action-reference-CodestarConnectionSource.html")
CODECOMMIT_DOC = ("https://docs.aws.amazon.com/codepipeline/latest/userguide/"
                  "action-reference-CodeCommit.html")
S3_SOURCE_DOC = "https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-S3.html"
CODEBUILD_DOC = ("https://docs.aws.amazon.com/codepipeline/latest/userguide/"
                 "action-reference-CodeBuild.html")
TAGGING_DOC = ("https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"
               "supported-iam-actions-tagging.html")


def required_calls(d: Deployed) -> list[Call]:
    artifact = d.object_arn(d.artifact_bucket, f"{d.pipeline[:20]}/BuildOutpu/def5678")
    bucket = d.bucket_arn(d.artifact_bucket)
    calls = [Call(a, artifact, "store and read stage artifacts", ROLE_DOC)
             for a in ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject")]
    calls.append(Call("s3:PutObjectAcl", artifact,
                      "write artifacts as CodePipeline does (an ACL on upload)", ROLE_DOC))
    if d.source == "s3":
        calls += [Call(a, artifact, "carry the source object's tags into the artifact",
                       ROLE_DOC)
                  for a in ("s3:GetObjectTagging", "s3:GetObjectVersionTagging",
                            "s3:PutObjectTagging")]
    calls += [Call(a, bucket, "use the artifact bucket", ROLE_DOC)
              for a in ("s3:GetBucketVersioning", "s3:GetBucketAcl", "s3:GetBucketLocation")]
    calls += [Call(a, d.arn("codebuild", f"project/{d.build_project}"), "run the build",
                   CODEBUILD_DOC) for a in ("codebuild:StartBuild", "codebuild:BatchGetBuilds")]
    calls += _source_calls(d)
    if d.deploy_roles:  # a promotion's delivery stack
        return calls + _promotion_calls(d)
    deploy = {"codedeploy": code_deploy_calls, "ecs": _release_calls,
              ECS_ACTION: _ecs_action_calls}[d.engine]
    return calls + deploy(d)


ACTION_ROLE_DOC = ("https://docs.aws.amazon.com/codepipeline/latest/APIReference/"
                   "API_ActionDeclaration.html")


APPROVAL_DOC = ("https://docs.aws.amazon.com/codepipeline/latest/userguide/"
                "approvals-service-role-permissions.html")


def _promotion_calls(d: Deployed) -> list[Call]:
    return [Call("sts:AssumeRole", role, "run an environment's deployment as its deploy role",
                 ACTION_ROLE_DOC) for role in d.deploy_roles] + artifact_key_calls(
        d, ("kms:Decrypt", "kms:GenerateDataKey"), "read and write the encrypted artifacts") + (
        [Call("sns:Publish", d.arn("sns", d.topic), "tell the approvers a deployment waits",
              APPROVAL_DOC)] if d.topic else [])


def code_deploy_calls(d: Deployed) -> list[Call]:
    group = d.arn("codedeploy", f"deploymentgroup:{d.application}/{d.deployment_group}")
    application = d.arn("codedeploy", f"application:{d.application}")
    calls = [
        Call("codedeploy:CreateDeployment", group, "start the blue/green deployment",
             ECS_DEPLOY_DOC),
        Call("codedeploy:GetDeployment", group, "follow the deployment", ECS_DEPLOY_DOC),
        Call("codedeploy:GetApplication", application, "read the application",
             ECS_DEPLOY_DOC),
        Call("codedeploy:GetApplicationRevision", application, "read the revision",
             ECS_DEPLOY_DOC),
        Call("codedeploy:RegisterApplicationRevision", application, "record the AppSpec",
             ECS_DEPLOY_DOC),
        Call("codedeploy:GetDeploymentConfig",
             d.arn("codedeploy", f"deploymentconfig:{d.deployment_config}"),
             "read the traffic-shifting config", ECS_DEPLOY_DOC),
        Call("ecs:RegisterTaskDefinition", "*", "register taskdef.json with the new image",
             ECS_DEPLOY_DOC),
        Call("ecs:TagResource", d.arn("ecs", f"task-definition/{d.task_family}:7"),
             "apply the tags taskdef.json carries", TAGGING_DOC,
             {"ecs:CreateAction": "RegisterTaskDefinition"}),
    ]
    calls += [Call("iam:PassRole", d.role_arn(role), "name the task roles in taskdef.json",
                   ECS_DEPLOY_DOC, {PASSED_TO: "ecs-tasks.amazonaws.com"})
              for role in (d.execution_role, d.task_role)]
    return calls


LAMBDA_ACTION_DOC = ("https://docs.aws.amazon.com/codepipeline/latest/userguide/"
                     "action-reference-Lambda.html")
CFN_ACTION_DOC = ("https://docs.aws.amazon.com/codepipeline/latest/userguide/"
                  "action-reference-CloudFormation.html")
# The handler permissions of the resource types a release updates, as AWS publishes them in
# the CloudFormation resource schemas (tests compare with cfn-lint's copy).
SCHEMA_DOC = ("https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/"
              "resource-type-schema.html#schema-properties-handlers")


# Deployed.engine of the Terraform rendition of engine ecs: the standard ECS deploy action.
ECS_ACTION = "ecs-action"
ECS_ACTION_DOC = ("https://docs.aws.amazon.com/codepipeline/latest/userguide/"
                  "action-reference-ECS.html")


def _ecs_action_calls(d: Deployed) -> list[Call]:
    service = d.arn("ecs", f"service/{d.cluster}/{d.service}")
    calls = [
        Call("ecs:DescribeServices", service, "read the service's task definition",
             ECS_ACTION_DOC),
        Call("ecs:DescribeTaskDefinition", "*", "copy it", ECS_ACTION_DOC),
        Call("ecs:RegisterTaskDefinition", "*", "register it with the new image",
             ECS_ACTION_DOC),
        Call("ecs:TagResource", d.arn("ecs", f"task-definition/{d.task_family}:7"),
             "apply its tags", TAGGING_DOC, {"ecs:CreateAction": "RegisterTaskDefinition"}),
        Call("ecs:UpdateService", service, "deploy it", ECS_ACTION_DOC),
    ]
    return calls + [Call("iam:PassRole", d.role_arn(role), "name the task roles",
                         ECS_ACTION_DOC, {PASSED_TO: "ecs-tasks.amazonaws.com"})
                    for role in (d.execution_role, d.task_role)]


def _release_calls(d: Deployed) -> list[Call]:
    """Engine ecs: run the release job, execute its change set, and what CloudFormation does
    with this role's credentials: replace the task definition and update the service."""
    service = d.arn("ecs", f"service/{d.cluster}/{d.service}")
    deployment = d.arn("ecs", f"service-deployment/{d.cluster}/{d.service}/0123456789abcdef")
    family = d.arn("ecs", f"task-definition/{d.task_family}:7")
    calls = [
        Call("lambda:InvokeFunction", d.arn("lambda", f"function:{d.live_routes_function}"),
             "run the stack's function, which prepares the release", LAMBDA_ACTION_DOC),
        *[Call(f"cloudformation:{a}", d.stack_id, "execute the release's change set",
               CFN_ACTION_DOC)
          for a in ("DescribeStacks", "DescribeChangeSet", "ExecuteChangeSet")],
        *[Call(f"ecs:{a}", "*", "replace the task definition (no resource type)", SCHEMA_DOC)
          for a in ("RegisterTaskDefinition", "DescribeTaskDefinition",
                    "DeregisterTaskDefinition")],
        Call("ecs:TagResource", family, "tag the new task definition as it is registered",
             SCHEMA_DOC, {"ecs:CreateAction": "RegisterTaskDefinition"}),
        *[Call(f"ecs:{a}", service, "update the service: the deployment", SCHEMA_DOC)
          for a in ("UpdateService", "DescribeServices", "ListServiceDeployments",
                    "ListTagsForResource", "TagResource", "UntagResource")],
        *[Call(f"ecs:{a}", deployment, "follow (or stop) the service deployment", SCHEMA_DOC)
          for a in ("DescribeServiceDeployments", "StopServiceDeployment")],
    ]
    for role in (d.execution_role, d.task_role):
        calls += [Call("iam:GetRole", d.role_arn(role), "read the task roles", SCHEMA_DOC),
                  Call("iam:PassRole", d.role_arn(role), "name the task roles",
                       SCHEMA_DOC, {PASSED_TO: "ecs-tasks.amazonaws.com"})]
    calls += [Call("iam:PassRole", d.role_arn(role),
                   "name the roles ECS assumes in the service's deployment configuration",
                   SCHEMA_DOC, {PASSED_TO: "ecs.amazonaws.com"})
              for role in (d.infrastructure_role, d.hook_invoke_role) if role]
    return calls


def _source_calls(d: Deployed) -> list[Call]:
    if d.source == "connection":
        service = d.connection_arn.split(":")[2]  # codestar-connections or codeconnections
        return [Call(f"{service}:UseConnection", d.connection_arn,
                     "fetch the repository through the connection", CONNECTION_DOC)]
    if d.source == "codecommit":
        repository = d.arn("codecommit", d.codecommit_repository)
        return [Call(f"codecommit:{a}", repository, "fetch the branch", CODECOMMIT_DOC)
                for a in ("GetBranch", "GetCommit", "GetRepository", "UploadArchive",
                          "GetUploadArchiveStatus", "CancelUploadArchive")]
    source = d.object_arn(d.source_bucket, d.source_key)
    return [Call(f"s3:{a}", source, "read the source zip and its tags", S3_SOURCE_DOC)
            for a in ("GetObject", "GetObjectVersion", "GetObjectTagging",
                      "GetObjectVersionTagging")] + [
        Call(f"s3:{a}", d.bucket_arn(d.source_bucket), "check the source bucket",
             S3_SOURCE_DOC) for a in ("GetBucketVersioning", "GetBucketAcl", "GetBucketLocation")]


def near_misses(d: Deployed) -> list[Call]:
    family = d.arn("ecs", f"task-definition/{d.task_family}:7")
    release = [
        Call("ecs:UpdateService", d.arn("ecs", f"service/{d.cluster}/{OTHER}"),
             "deploying another service"),
        Call("ecs:DeleteService", d.arn("ecs", f"service/{d.cluster}/{d.service}"),
             "deleting the service"),
        Call("iam:PassRole", d.role_arn(d.infrastructure_role), "passing an ECS role to Lambda",
             context={PASSED_TO: "lambda.amazonaws.com"}),
        Call("cloudformation:ExecuteChangeSet",
             d.arn("cloudformation", f"stack/{OTHER}/0123abcd-0123-4567-89ab-0123456789ab"),
             "executing another stack's change set"),
        Call("cloudformation:UpdateStack", d.stack_id, "updating the stack around a release"),
        Call("cloudformation:CreateChangeSet", d.stack_id,
             "preparing a release itself (the stack's function does)"),
        Call("lambda:InvokeFunction", d.arn("lambda", f"function:{OTHER}"),
             "invoking another function"),
    ] if d.engine == "ecs" else [
        Call("ecs:UpdateService", d.arn("ecs", f"service/{d.cluster}/{OTHER}"),
             "deploying another service"),
        Call("cloudformation:ExecuteChangeSet", d.stack_id, "a release of a stack"),
    ] if d.engine == ECS_ACTION else [
        *[Call("codedeploy:CreateDeployment",
               s.arn("codedeploy", f"deploymentgroup:{s.application}/{s.deployment_group}"),
               f"deploying {s.application} itself, not as its deploy role")
          for s in d.siblings],
        Call("sts:AssumeRole", d.role_arn(OTHER), "assuming an unrelated role"),
        *([Call("kms:Decrypt", d.artifact_key, "decrypting outside S3")]
          if d.artifact_key else []),
    ] if d.deploy_roles else [
        Call("codedeploy:CreateDeployment",
             d.arn("codedeploy", f"deploymentgroup:{d.application}/{OTHER}"),
             "deploying another deployment group"),
    ]
    return release + [
        Call("iam:PassRole", d.role_arn(d.task_role), "passing a task role to Lambda",
             context={PASSED_TO: "lambda.amazonaws.com"}),
        Call("iam:PassRole", d.role_arn(OTHER), "passing an unrelated role to ECS tasks",
             context={PASSED_TO: "ecs-tasks.amazonaws.com"}),
        Call("iam:PassRole", d.role_arn(d.task_role), "passing without naming the service"),
        Call("s3:GetObject", d.object_arn(OTHER, "artifact.zip"), "objects of another bucket"),
        Call("s3:GetBucketVersioning", d.bucket_arn(OTHER), "another bucket"),
        Call("ecs:TagResource", family, "tagging outside a registration",
             context={"ecs:CreateAction": "CreateService"}),
        Call("ecs:TagResource", family, "tagging without a create action"),
        Call("ecs:TagResource", d.arn("ecs", f"cluster/{d.cluster}"),
             "tagging the cluster", context={"ecs:CreateAction": "RegisterTaskDefinition"}),
        Call("codebuild:StartBuild", d.arn("codebuild", f"project/{OTHER}"),
             "starting another project"),
    ]


def accepted_breadth(d: Deployed) -> dict[str, str]:
    """Grants no call needs in this deployment, and why they stay."""
    if d.source != "connection":
        return {}
    used = d.connection_arn.split(":")[2]
    unused = "codeconnections" if used == "codestar-connections" else "codestar-connections"
    return {f"{unused}:UseConnection": (
        "connection ARNs come with either prefix and the template cannot know which; this "
        f"grant names the same connection under the {unused} prefix")}
