"""The delivery pipeline: Source -> Build (CodeBuild) -> Deploy.

A push to the branch builds an image tagged with its commit id, pushes it to the service's
repository, and hands imageDetail.json, taskdef.json and the AppSpec to the CodeDeployToECS
action, which registers the task definition with the new image and starts a blue/green
deployment.

With deployment.engine "ecs" the stack itself names the image (its Image parameter), so a
release is a stack update: the stack's own function (the live-route guard's, invoked by the
pipeline) prepares a change set of the deployed template with Image set to the build's image
(every other parameter kept) and checks that it changes only the task definition and the
service, and the CloudFormation action executes it. CloudFormation
waits for ECS's deployment, and an ECS rollback fails the stack update and so the pipeline.
No stack update can bring an older image back: the image is a stack parameter without a
default, which `aws cloudformation deploy` keeps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from troposphere import (GetAtt, Join, Ref, Sub, Template, awslambda, codebuild, codepipeline,
                         ecr, events, iam, kms, logs, s3)

from policies.arn import arn
from policies.bucket import ARTIFACT_BUCKET_PREFIX, deny_insecure_transport
from policies.codebuild import build_and_push_image
from policies.events import start_pipeline
from policies.pipeline import (artifact_access, deploy_to_ecs, ecs_action_statements,
                               pipeline_policy, read_codecommit, read_s3_source,
                               release_by_change_set, run_release_job, start_build,
                               use_connection)
from policies.cross_account import artifacts_for_other_accounts, encrypt_artifacts
from policies.trust import CODEBUILD, CODEPIPELINE, EVENTS, assumed_by

from .artifacts import (APPSPEC_FILE, IMAGE_DEFINITIONS_FILE, IMAGE_PLACEHOLDER_NAME,
                        TASKDEF_FILE, appspec_document, buildspec, sub_json, taskdef_document)
from .deployment import Deployment
from .ecs_engine import EcsEngine
from .functions import log_group as make_log_group
from .hooks import Hooks
from .naming import Names
from .parameters import Parameters
from .service import EcsService
from .buckets import private_bucket
from .log_bucket import LogBucket
from .settings import Settings
from .waivers import (ARTIFACTS_AWS_KEY, ARTIFACTS_NOT_REPLICATED, BUCKET_NO_EVENTS,
                      BUCKET_NO_OBJECT_LOCK, BUILD_OUTPUT_AWS_KEY, JOIN_FOR_CONTROL_TOWER,
                      PIPELINE_ARTIFACTS_AWS_KEY, PRIVILEGED_BUILD, waive)

SOURCE_OUTPUT, BUILD_OUTPUT = "SourceOutput", "BuildOutput"
# Engine ecs: the change set of one pipeline execution, named in both Deploy actions, and the
# build's exported variables (IMAGE_URI), published under BUILD_NAMESPACE.
CHANGE_SET_NAME = "release-#{codepipeline.PipelineExecutionId}"
BUILD_NAMESPACE = "BuildVariables"
# The source action's variables (CommitId, ...) are published under this namespace.
SOURCE_NAMESPACE = "SourceVariables"


@dataclass(frozen=True)
class Build:
    project: codebuild.Project
    role: iam.Role
    log_group: logs.LogGroup


@dataclass(frozen=True)
class Pipeline:
    pipeline: codepipeline.Pipeline
    role: iam.Role
    artifact_bucket: s3.Bucket
    build: Build
    source_change_role: iam.Role | None  # the EventBridge rule's, for CodeCommit and S3
    taskdef: dict | None  # taskdef.json as handed to the build, ${...} filled by CloudFormation
    appspec: dict | None  # (neither with engine ecs)

    @property
    def project(self) -> codebuild.Project:
        return self.build.project


def build_pipeline(template: Template, settings: Settings, names: Names, params: Parameters,
                   ecs_service: EcsService, deployment: Deployment | None, hooks: Hooks,
                   log_bucket: LogBucket | None, engine: EcsEngine | None = None,
                   stack_function: awslambda.Function | None = None) -> Pipeline:
    """With `engine` (deployment.engine "ecs"), `stack_function` prepares the releases."""
    bucket = artifact_bucket(template, settings, log_bucket)
    bucket_arn = GetAtt(bucket, "Arn")
    objects_arn = Sub(f"${{{bucket.title}.Arn}}/*")
    taskdef = appspec = None
    if engine is None:
        taskdef = taskdef_document(ecs_service.task_definition)
        appspec = appspec_document(settings, names, hooks.events)
    variables = {}
    if taskdef is not None:
        # Rendered from the stack's own task definition; CloudFormation fills in the role
        # ARNs, log group and region.
        variables = {"TASKDEF_JSON": sub_variable(taskdef), "APPSPEC_JSON": sub_variable(appspec)}
    build = build_project(template, settings, names, ecs_service.repository, variables,
                          bucket_arn, objects_arn)
    project = build.project

    action, source_statements, change_event = source_action(settings, params.source)
    task_roles = [GetAtt(ecs_service.execution_role, "Arn"),
                  GetAtt(ecs_service.task_role, "Arn")]
    if engine is None:
        deploy_statements = deploy_to_ecs(
            application_arn=arn("codedeploy", f"application:{names.codedeploy_application}"),
            deployment_group_arn=arn(
                "codedeploy",
                f"deploymentgroup:{names.codedeploy_application}/{names.deployment_group}"),
            deployment_config_arn=arn(
                "codedeploy", f"deploymentconfig:{deployment.config_name_in_sub}"),
            task_definition_arn=arn("ecs", f"task-definition/{names.task_family}:*"),
            task_role_arns=task_roles)
        deploy_actions = [_code_deploy_action(deployment)]
    else:
        deploy_statements = [run_release_job(GetAtt(stack_function, "Arn"))
                             ] + release_by_change_set(
            stack_arn=STACK_ARN,
            task_definition_arn=arn("ecs", f"task-definition/{names.task_family}:*"),
            service_arn=arn("ecs", f"service/{names.cluster}/{names.service}"),
            service_deployments_arn=arn(
                "ecs", f"service-deployment/{names.cluster}/{names.service}/*"),
            task_role_arns=task_roles,
            ecs_role_arns=[GetAtt(role, "Arn") for role in engine.roles])
        deploy_actions = _release_actions(stack_function, ecs_service, params)
    role = template.add_resource(iam.Role(
        "PipelineRole",
        AssumeRolePolicyDocument=assumed_by(CODEPIPELINE),
        Policies=[iam.Policy(PolicyName="build-and-deploy", PolicyDocument=pipeline_policy(
            artifact_access(bucket_arn, objects_arn, tagged=settings.pipeline.source == "s3")
            + source_statements
            + [start_build(GetAtt(project, "Arn"))]
            + deploy_statements,
        ))],
    ))
    pipeline = add_pipeline(template, names, role, bucket, None, [
        codepipeline.Stages(Name="Source", Actions=[action]),
        build_stage(project, exports=engine is not None),
        codepipeline.Stages(Name="Deploy", Actions=deploy_actions),
    ])
    source_change_role = None
    if change_event is not None:
        source_change_role = start_on_change(template, settings, names, pipeline, change_event)
    return Pipeline(pipeline, role, bucket, build, source_change_role, taskdef, appspec)


def add_pipeline(template: Template, names: Names, role: iam.Role, bucket: s3.Bucket,
                 key: kms.Key | None, stages: list) -> codepipeline.Pipeline:
    """The pipeline; its artifacts encrypted with `key` when given (a promotion with other
    accounts: the key's ARN, not an alias, which other accounts cannot resolve)."""
    store = codepipeline.ArtifactStore(Type="S3", Location=Ref(bucket))
    if key is not None:
        store.EncryptionKey = codepipeline.EncryptionKey(Id=GetAtt(key, "Arn"), Type="KMS")
    return template.add_resource(waive(codepipeline.Pipeline(
        "Pipeline",
        Name=names.pipeline,
        PipelineType="V2",
        # A newer push waiting at a stage's entrance replaces an older one waiting there (in a
        # promotion: at an environment that a deployment or an approval occupies); a stage
        # in progress is never interrupted.
        ExecutionMode="SUPERSEDED",
        RoleArn=GetAtt(role, "Arn"),
        ArtifactStore=store,
        Stages=stages,
    ), *(() if key is not None else (PIPELINE_ARTIFACTS_AWS_KEY,))))


def build_stage(project: codebuild.Project, exports: bool) -> codepipeline.Stages:
    """Build the image; with `exports` its variables (IMAGE_URI) under BUILD_NAMESPACE."""
    return codepipeline.Stages(Name="Build", Actions=[codepipeline.Actions(
        Name="BuildImage",
        ActionTypeId=action_type("Build", "CodeBuild"),
        Configuration={"ProjectName": Ref(project)},
        InputArtifacts=[codepipeline.InputArtifacts(Name=SOURCE_OUTPUT)],
        OutputArtifacts=[codepipeline.OutputArtifacts(Name=BUILD_OUTPUT)],
        **({"Namespace": BUILD_NAMESPACE} if exports else {}),
        RunOrder=1,
    )])


def ecs_deploy_action(stack) -> dict:
    """CodePipeline's standard ECS deploy action (the Terraform rendition's release, engine
    ecs): imagedefinitions.json names the container's new image.
    https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECS.html"""
    return codepipeline.Actions(
        Name="Release",
        ActionTypeId=action_type("Deploy", "ECS"),
        Configuration={"ClusterName": Ref(stack.service.cluster),
                       "ServiceName": GetAtt(stack.service.service, "Name"),
                       "FileName": IMAGE_DEFINITIONS_FILE},
        InputArtifacts=[codepipeline.InputArtifacts(Name=BUILD_OUTPUT)],
        RunOrder=1,
    ).to_dict()


def deploy_with_ecs_action(stack) -> list:
    names = stack.names
    return ecs_action_statements(
        task_definition_arn=arn("ecs", f"task-definition/{names.task_family}:*"),
        service_arn=arn("ecs", f"service/{names.cluster}/{names.service}"),
        task_role_arns=[GetAtt(stack.service.execution_role, "Arn"),
                        GetAtt(stack.service.task_role, "Arn")])


def release_statement_ids() -> set[str]:
    """The Sids of the release's statements in the pipeline role (engine ecs)."""
    return {s.Sid for s in [run_release_job("*")] + release_by_change_set(
        "*", "*", "*", "*", ["*"], ["*"])}


# This stack, by the ARN CloudFormation gives it (its name and any id).
STACK_ARN = arn("cloudformation", "stack/${AWS::StackName}/*")


def _code_deploy_action(deployment: Deployment) -> codepipeline.Actions:
    return codepipeline.Actions(
        Name="BlueGreenDeploy",
        ActionTypeId=action_type("Deploy", "CodeDeployToECS"),
        Configuration={
            "ApplicationName": Ref(deployment.application),
            "DeploymentGroupName": Ref(deployment.deployment_group),
            "TaskDefinitionTemplateArtifact": BUILD_OUTPUT,
            "TaskDefinitionTemplatePath": TASKDEF_FILE,
            "AppSpecTemplateArtifact": BUILD_OUTPUT,
            "AppSpecTemplatePath": APPSPEC_FILE,
            "Image1ArtifactName": BUILD_OUTPUT,
            "Image1ContainerName": IMAGE_PLACEHOLDER_NAME,
        },
        InputArtifacts=[codepipeline.InputArtifacts(Name=BUILD_OUTPUT)],
        RunOrder=1,
    )


def _release_actions(stack_function: awslambda.Function, ecs_service: EcsService,
                     params: Parameters) -> list[codepipeline.Actions]:
    """Prepare the change set (the stack's function), then execute it: CloudFormation's action
    waits for the stack update, so for the ECS deployment, and fails when it rolls back."""
    # The stack by its id: the function's grants name that ARN exactly.
    release = {"Stack": "${AWS::StackId}", "ChangeSet": CHANGE_SET_NAME,
               "Parameter": params.image.title, "Image": f"#{{{BUILD_NAMESPACE}.IMAGE_URI}}",
               # What a release changes: the replaced task definition and the service.
               "Expect": sorted((ecs_service.task_definition.title,
                                 ecs_service.service.title))}
    return [
        codepipeline.Actions(
            Name="PrepareRelease",
            ActionTypeId=action_type("Invoke", "Lambda"),
            Configuration={"FunctionName": Ref(stack_function),
                           "UserParameters": Sub(json.dumps(release, separators=(",", ":")))},
            RunOrder=1,
        ),
        codepipeline.Actions(
            Name="Release",
            ActionTypeId=action_type("Deploy", "CloudFormation"),
            Configuration={"ActionMode": "CHANGE_SET_EXECUTE",
                           "StackName": Ref("AWS::StackName"),
                           "ChangeSetName": CHANGE_SET_NAME},
            RunOrder=2,
        ),
    ]


def action_type(category: str, provider: str) -> codepipeline.ActionTypeId:
    return codepipeline.ActionTypeId(Category=category, Owner="AWS", Provider=provider,
                                     Version="1")


def source_action(settings: Settings, p: dict):
    """(source action, pipeline role statements, EventBridge pattern that starts the pipeline
    or None when the source detects changes itself)."""
    kind = settings.pipeline.source
    if kind == "connection":
        provider = "CodeStarSourceConnection"
        configuration = {
            "ConnectionArn": Ref(p["ConnectionArn"]),
            "FullRepositoryId": Ref(p["RepositoryId"]),
            "BranchName": Ref(p["BranchName"]),
            "OutputArtifactFormat": "CODE_ZIP",
            "DetectChanges": "true",
        }
        statements = [use_connection(Ref(p["ConnectionArn"]))]
        change_event = None
    elif kind == "codecommit":
        provider = "CodeCommit"
        repository_arn = arn("codecommit", "${RepositoryName}")
        configuration = {
            "RepositoryName": Ref(p["RepositoryName"]),
            "BranchName": Ref(p["BranchName"]),
            "PollForSourceChanges": "false",  # the EventBridge rule starts the pipeline
        }
        statements = [read_codecommit(repository_arn)]
        change_event = {
            "source": ["aws.codecommit"],
            "detail-type": ["CodeCommit Repository State Change"],
            "resources": [repository_arn],
            "detail": {"event": ["referenceCreated", "referenceUpdated"],
                       "referenceType": ["branch"], "referenceName": [Ref(p["BranchName"])]},
        }
    else:
        provider = "S3"
        configuration = {
            "S3Bucket": Ref(p["SourceBucket"]),
            "S3ObjectKey": Ref(p["SourceObjectKey"]),
            "PollForSourceChanges": "false",  # the EventBridge rule starts the pipeline
        }
        statements = read_s3_source(arn("s3", "${SourceBucket}", regional=False,
                                        in_account=False),
                                    arn("s3", "${SourceBucket}/${SourceObjectKey}",
                                        regional=False, in_account=False))
        change_event = {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {"bucket": {"name": [Ref(p["SourceBucket"])]},
                       "object": {"key": [Ref(p["SourceObjectKey"])]}},
        }
    action = codepipeline.Actions(
        Name="Source",
        ActionTypeId=action_type("Source", provider),
        Configuration=configuration,
        OutputArtifacts=[codepipeline.OutputArtifacts(Name=SOURCE_OUTPUT)],
        Namespace=SOURCE_NAMESPACE,
        RunOrder=1,
    )
    return action, statements, change_event


def start_on_change(template: Template, settings: Settings, names: Names,
                     pipeline: codepipeline.Pipeline, pattern: dict) -> iam.Role:
    pipeline_arn = arn("codepipeline", names.pipeline)
    role = template.add_resource(iam.Role(
        "SourceChangeRole",
        AssumeRolePolicyDocument=assumed_by(EVENTS),
        Policies=[iam.Policy(PolicyName="start-pipeline",
                             PolicyDocument=start_pipeline(pipeline_arn))],
    ))
    template.add_resource(events.Rule(
        "SourceChangeRule",
        EventPattern=pattern,
        State="ENABLED",
        Targets=[events.Target(Id="Pipeline", Arn=pipeline_arn, RoleArn=GetAtt(role, "Arn"))],
        DependsOn=pipeline.title,
    ))
    return role


def artifact_bucket(template: Template, settings: Settings, log_bucket: LogBucket | None,
                    key: kms.Key | None = None, name: str | None = None,
                    readers: dict[str, list] | None = None) -> s3.Bucket:
    """The pipeline's artifacts. In a promotion with other accounts: named (`name`, Fn::Sub
    text), encrypted with `key`, and readable by the deploy roles of `readers` ({account:
    [role ARN, ...]})."""
    bucket = template.add_resource(waive(private_bucket(
        "ArtifactBucket", settings.pipeline.artifact_retention_days, "ExpireOldArtifacts",
        # Who read or wrote the artifacts that get deployed.
        **({"LoggingConfiguration": s3.LoggingConfiguration(
            DestinationBucketName=Ref(log_bucket.bucket),
            LogFilePrefix=f"{ARTIFACT_BUCKET_PREFIX}/")}
           if settings.load_balancer.access_logs and log_bucket is not None else {}),
        **({"BucketName": Sub(name)} if name else {}),
    ), *(() if key else (ARTIFACTS_AWS_KEY,)), ARTIFACTS_NOT_REPLICATED,
        BUCKET_NO_OBJECT_LOCK, BUCKET_NO_EVENTS))
    if key is not None:
        # The deploy roles of other accounts read artifacts only under a key their account
        # may use; SSE-S3's key cannot be shared.
        bucket.BucketEncryption = s3.BucketEncryption(ServerSideEncryptionConfiguration=[
            s3.ServerSideEncryptionRule(
                BucketKeyEnabled=True,
                ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(
                    SSEAlgorithm="aws:kms", KMSMasterKeyID=GetAtt(key, "Arn")))])
    objects = Join("", [GetAtt(bucket, "Arn"), "/*"])
    policy = deny_insecure_transport(GetAtt(bucket, "Arn"), objects)
    if readers:
        policy.Statement.append(artifacts_for_other_accounts(objects, readers))
    template.add_resource(waive(s3.BucketPolicy(
        "ArtifactBucketPolicy",
        Bucket=Ref(bucket),
        # Join, not Sub: Control Tower's TLS-only rule (S3.PR.8) recognises the objects'
        # ARN only in this form.
        PolicyDocument=policy,
    ), JOIN_FOR_CONTROL_TOWER))
    return bucket


def sub_variable(document: dict):
    """A document for the build's environment: compact JSON, through Fn::Sub when it holds
    deploy-time values."""
    text = sub_json(document)
    return Sub(text) if "${" in text else text


def build_project(template: Template, settings: Settings, names: Names,
                  repository: ecr.Repository, variables: dict, bucket_arn, objects_arn,
                  key: kms.Key | None = None, environments: tuple[str, ...] = ()) -> Build:
    """The image build, with `variables` (taskdef.json and AppSpec documents) in its
    environment. In a promotion, `environments` names each environment's files and `key`
    encrypts what the build writes (another account's deploy role must read it)."""
    log_group = make_log_group(template, settings, "BuildLogGroup", names.build_log_group)
    statements = build_and_push_image(GetAtt(repository, "Arn"), GetAtt(log_group, "Arn"),
                                      bucket_arn, objects_arn)
    if key is not None:
        statements.Statement.append(encrypt_artifacts(GetAtt(key, "Arn")))
    role = template.add_resource(iam.Role(
        "BuildRole",
        AssumeRolePolicyDocument=assumed_by(CODEBUILD),
        Policies=[iam.Policy(PolicyName="build-and-push-image", PolicyDocument=statements)],
    ))
    variables = {
        "REPOSITORY_URI": GetAtt(repository, "RepositoryUri"),
        "DOCKERFILE": settings.pipeline.dockerfile,
        "BUILD_CONTEXT": settings.pipeline.build_context,
        **({"ENVIRONMENTS": " ".join(environments)} if environments else {}),
        **variables,
    }
    inline = settings.pipeline.buildspec == "inline"
    project = template.add_resource(waive(codebuild.Project(
        "BuildProject",
        Name=names.build_project,
        ServiceRole=GetAtt(role, "Arn"),
        Source=codebuild.Source(
            Type="CODEPIPELINE",
            BuildSpec=buildspec(settings.deployment.engine, environments=environments)
            if inline else settings.pipeline.buildspec),
        Artifacts=codebuild.Artifacts(Type="CODEPIPELINE"),
        Environment=codebuild.Environment(
            Type="LINUX_CONTAINER",
            ComputeType=settings.pipeline.compute_type,
            Image=settings.pipeline.build_image,
            ImagePullCredentialsType="CODEBUILD",
            PrivilegedMode=True,  # docker build needs the Docker daemon
            EnvironmentVariables=[codebuild.EnvironmentVariable(Name=name, Type="PLAINTEXT",
                                                                Value=value)
                                  for name, value in variables.items()],
        ),
        Cache=codebuild.ProjectCache(Type="LOCAL", Modes=["LOCAL_DOCKER_LAYER_CACHE"]),
        TimeoutInMinutes=settings.pipeline.build_timeout_minutes,
        LogsConfig=codebuild.LogsConfig(CloudWatchLogs=codebuild.CloudWatchLogs(
            Status="ENABLED", GroupName=Ref(log_group))),
        **({"EncryptionKey": GetAtt(key, "Arn")} if key is not None else {}),
    ), PRIVILEGED_BUILD, *(() if key is not None else (BUILD_OUTPUT_AWS_KEY,))))
    return Build(project, role, log_group)
