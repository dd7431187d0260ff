"""A promotion: build an image once, then deploy that very image (by its digest) through the
environments in order, with a person's approval before the environments that ask for one.

The composition root of `[promotion]` settings renders:

- one service stack per environment: everything a single stack has (load balancer, service,
  CodeDeploy, guard, alarms, hooks) but the pipeline; its images come from the delivery stack's
  repository, and its task roles have names the delivery stack can write into its taskdef.json;
- the delivery stack: the image repository, the artifact bucket, the build, the pipeline
  (source, build, then one stage per environment: an optional manual approval and the
  CodeDeployToECS action run as that environment's deploy role), and the deploy roles of the
  environments in its own account. With environments in other accounts the artifacts are
  encrypted with a customer-managed key those accounts' deploy roles may use, and the
  repository lets their task execution roles pull;
- for each other account, a small stack of its environments' deploy roles, which the
  delivery stack's pipeline role may assume.

A deploy role may do exactly one environment's deployment: its application and deployment
group, its task family and task roles, and read the pipeline's artifacts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from troposphere import GetAtt, Output, Ref, Sub, Template, codepipeline, ecr, iam, kms

from policies.arn import arn
from policies.promotion import (artifact_key_policy, assume_deploy_roles, deploy_environment,
                                encrypt_artifacts, pull_for_other_accounts, role_in,
                                trusted_by_pipeline)
from policies.pipeline import artifact_access, pipeline_policy, start_build
from policies.trust import CODEPIPELINE, assumed_by
from policies.world import NAME_PROPERTIES

from .artifacts import IMAGE_PLACEHOLDER_NAME, appspec_document, promotion_files, taskdef_document
from .intrinsics import SubVariables, Unresolvable
from .log_bucket import build_log_bucket
from .naming import DELIVERY, DeliveryNames, Names, delivery_names
from .outputs import pipeline_outputs
from .parameters import add_source_parameters
from .pipeline import (BUILD_NAMESPACE, BUILD_OUTPUT, SOURCE_NAMESPACE, SOURCE_OUTPUT, Pipeline,
                       action_type, artifact_bucket, build_project, source_action,
                       start_on_change, sub_variable)
from .service import add_repository
from .settings import Environment, Settings
from .tags import stack_tags
from .template import Stack, build_stack, waive_unscoped_actions
from .waivers import KEY_POLICY_DEFAULT, PIPELINE_ARTIFACTS_AWS_KEY, waive

# Where each stack's files go, under the output directory.
DELIVERY_FOLDER = DELIVERY
ENVIRONMENTS_FOLDER = "environments"
ACCOUNTS_FOLDER = "accounts"

# The source action's variable that names what was built, by pipeline.source.
SOURCE_REVISION = {"connection": "CommitId", "codecommit": "CommitId", "s3": "VersionId"}


@dataclass(frozen=True)
class EnvironmentStack:
    """One environment's service stack, and its deployment files as the delivery stack
    writes them (Fn::Sub text: the region and partition are the delivery stack's)."""

    environment: Environment
    stack: Stack
    taskdef: dict
    appspec: dict

    @property
    def names(self) -> Names:
        return self.stack.names

    @property
    def deployment_config(self) -> str:
        return _FromDelivery(self).resolve(_as_data(self.stack.deployment.config_name))


@dataclass(frozen=True)
class Delivery:
    template: Template
    names: DeliveryNames
    repository: ecr.Repository
    key: kms.Key | None
    pipeline: Pipeline
    deploy_roles: dict[str, iam.Role]  # the environments in the delivery account, by name


@dataclass(frozen=True)
class AccountStack:
    account: str
    template: Template
    deploy_roles: dict[str, iam.Role]  # by environment name


@dataclass(frozen=True)
class Rendered:
    """One stack to deploy: its folder, its stack name, its account (None: the delivery
    account) and its tags."""

    folder: str
    stack_name: str
    template: Template
    account: str | None
    tags: dict[str, str]


@dataclass(frozen=True)
class PromotionStacks:
    settings: Settings
    delivery: Delivery
    environments: tuple[EnvironmentStack, ...]
    accounts: tuple[AccountStack, ...]

    def in_deploy_order(self) -> list[Rendered]:
        """The stacks in the order to create them: each other account's roles (nothing
        refers to them until a deployment), the environments (each starts on the bootstrap
        image), then the delivery stack, whose pipeline starts at once and deploys through
        them."""
        name = self.settings.service.name
        rendered = [Rendered(f"{ACCOUNTS_FOLDER}/{a.account}", account_stack_name(name),
                             a.template, a.account,
                             {"Application": name, "Environment": DELIVERY})
                    for a in self.accounts]
        rendered += [Rendered(f"{ENVIRONMENTS_FOLDER}/{e.environment.name}",
                              e.stack.settings.resource_id, e.stack.template,
                              e.environment.account, stack_tags(e.stack.settings))
                     for e in self.environments]
        rendered.append(Rendered(DELIVERY_FOLDER, self.delivery.names.names.resource_id,
                                 self.delivery.template, None,
                                 {"Application": name, "Environment": DELIVERY}))
        return rendered


def account_stack_name(name: str) -> str:
    return f"{name}-deploy-roles"


def build_promotion(settings: Settings) -> PromotionStacks:
    """A pure function of the settings, like build_stack."""
    promotion = settings.promotion
    delivery = delivery_names(settings)
    environments = tuple(_environment_stack(e, delivery) for e in promotion.environments)
    accounts = tuple(_account_stack(settings, delivery, account,
                                    [e for e in environments if e.environment.account == account])
                     for account in promotion.accounts)
    return PromotionStacks(settings, _delivery_stack(settings, delivery, environments),
                           environments, accounts)


def _environment_stack(environment: Environment, delivery: DeliveryNames) -> EnvironmentStack:
    stack = build_stack(environment.settings, delivery)
    partial = EnvironmentStack(environment, stack, {}, {})
    taskdef = taskdef_document(stack.service.task_definition, _FromDelivery(partial))
    appspec = appspec_document(stack.settings, stack.names, stack.hooks.events)
    return EnvironmentStack(environment, stack, taskdef, appspec)


class _FromDelivery(SubVariables):
    """An environment stack's values as Fn::Sub text of the delivery stack: its resources by
    their fixed names, its roles' ARNs in its account; the region and partition are the
    delivery stack's own (a promotion is in one region)."""

    def __init__(self, environment: EnvironmentStack):
        self.document = environment.stack.template.to_dict()
        self.account = environment.environment.account

    def ref(self, name: str) -> str:
        if name in ("AWS::Region", "AWS::Partition", "AWS::URLSuffix"):
            return f"${{{name}}}"
        if name == "AWS::AccountId":
            return self.account or "${AWS::AccountId}"
        resource = self.document["Resources"].get(name)
        name_property = NAME_PROPERTIES.get(resource["Type"]) if resource else None
        value = resource.get("Properties", {}).get(name_property) if resource else None
        if not isinstance(value, str):
            raise Unresolvable(f"Ref {name}: no fixed name the delivery stack can use")
        return self.literal(value)

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource = self.document["Resources"].get(logical_id, {})
        role_name = resource.get("Properties", {}).get("RoleName")
        if resource.get("Type") != "AWS::IAM::Role" or attribute != "Arn" or not role_name:
            raise Unresolvable(f"Fn::GetAtt {logical_id}.{attribute}: not a named role's ARN")
        return f"arn:${{AWS::Partition}}:iam::{self.account or '${AWS::AccountId}'}:role/" \
               f"{role_name}"


def _as_data(value):
    return value if isinstance(value, str) else value.to_dict()


def _deploy_role(template: Template, environment: EnvironmentStack, delivery: DeliveryNames,
                 objects_arn, key_arns: list) -> iam.Role:
    """The role one environment's deploy action runs as, in that environment's account (in
    the delivery stack for the delivery account's environments)."""
    names = environment.names
    pipeline_account = delivery.account if environment.environment.cross_account else None
    return template.add_resource(iam.Role(
        _title("DeployRole", environment.environment.name),
        RoleName=names.deploy_role,
        AssumeRolePolicyDocument=trusted_by_pipeline(
            pipeline_account, role_in(pipeline_account, delivery.pipeline_role)),
        Policies=[iam.Policy(PolicyName=f"deploy-{environment.environment.name}",
                             PolicyDocument=deploy_environment(
            application_arn=arn("codedeploy", f"application:{names.codedeploy_application}"),
            deployment_group_arn=arn("codedeploy", f"deploymentgroup:"
                                     f"{names.codedeploy_application}/{names.deployment_group}"),
            deployment_config_arn=arn("codedeploy",
                                      f"deploymentconfig:{environment.deployment_config}"),
            task_definition_arn=arn("ecs", f"task-definition/{names.task_family}:*"),
            task_role_arns=[role_in(None, names.task_execution_role),
                            role_in(None, names.task_role)],
            artifact_objects_arn=objects_arn, key_arns=key_arns))],
    ))


def _title(prefix: str, environment: str) -> str:
    """A logical id for an environment's resource: "DeployRole" + "EuProd"."""
    return prefix + "".join(part.capitalize() for part in environment.split("-"))


def _account_stack(settings: Settings, delivery: DeliveryNames, account: str,
                   environments: list[EnvironmentStack]) -> AccountStack:
    names = [e.environment.name for e in environments]
    template = Template(Description=(
        f"Deploy roles of {settings.service.name} in account {account}: the pipeline of "
        f"{delivery.names.resource_id} (account {delivery.account}) assumes them to deploy "
        f"{', '.join(names)}."))
    objects_arn = Sub(f"arn:${{AWS::Partition}}:s3:::{delivery.artifact_bucket}/*")
    # The key's id is made when the delivery stack is created: any key of the delivery
    # account, used through S3; its key policy is what names these roles.
    key_arns = [arn("kms", "key/*", account=delivery.account)]
    roles = {e.environment.name: _deploy_role(template, e, delivery, objects_arn, key_arns)
             for e in environments}
    waive_unscoped_actions(template)
    for environment, role in roles.items():
        template.add_output(Output(_title("DeployRoleArn", environment),
                                   Value=GetAtt(role, "Arn"),
                                   Description=f"Role the pipeline deploys {environment} as"))
    return AccountStack(account, template, roles)


def _delivery_stack(settings: Settings, delivery: DeliveryNames,
                    environments: tuple[EnvironmentStack, ...]) -> Delivery:
    names = delivery.names
    order = " -> ".join(e.environment.name for e in environments)
    template = Template(Description=(
        f"Delivery of {settings.service.name}: one image built per push and promoted by "
        f"digest through {order}."))
    params = add_source_parameters(template, settings)
    elsewhere = [e for e in environments if e.environment.cross_account]
    deploy_roles_elsewhere: dict[str, list] = {}
    pulls_elsewhere: dict[str, list] = {}
    for e in elsewhere:
        account = e.environment.account
        deploy_roles_elsewhere.setdefault(account, []).append(
            role_in(account, e.names.deploy_role))
        pulls_elsewhere.setdefault(account, []).append(
            role_in(account, e.names.task_execution_role))

    key = None
    if elsewhere:
        key = template.add_resource(waive(kms.Key(
            "ArtifactKey",
            Description=f"Pipeline artifacts of {names.resource_id}, read by the deploy roles "
                        "of other accounts",
            EnableKeyRotation=True,
            KeyPolicy=artifact_key_policy(deploy_roles_elsewhere),
            # Deleted with the stack, after KMS's shortest wait: the artifacts it encrypts are
            # rebuilt by the next push, and the retained bucket expires them.
            DeletionPolicy="Delete", UpdateReplacePolicy="Delete", PendingWindowInDays=7,
        ), KEY_POLICY_DEFAULT))
    log_bucket = build_log_bucket(template, settings, service=False)
    bucket = artifact_bucket(template, settings, log_bucket, key,
                             name=delivery.artifact_bucket if elsewhere else None,
                             readers=deploy_roles_elsewhere)
    bucket_arn = GetAtt(bucket, "Arn")
    objects_arn = Sub(f"${{{bucket.title}.Arn}}/*")
    repository = add_repository(
        template, settings, delivery.repository,
        **({"RepositoryPolicyText": pull_for_other_accounts(pulls_elsewhere)}
           if pulls_elsewhere else {}))

    variables = {}
    for index, e in enumerate(environments, start=1):
        variables[f"TASKDEF_JSON_{index}"] = sub_variable(e.taskdef)
        variables[f"APPSPEC_JSON_{index}"] = sub_variable(e.appspec)
    build = build_project(template, settings, names, repository, variables, bucket_arn,
                          objects_arn, key, tuple(e.environment.name for e in environments))

    key_arns = [GetAtt(key, "Arn")] if key is not None else []
    deploy_roles = {e.environment.name: _deploy_role(template, e, delivery, objects_arn,
                                                     key_arns)
                    for e in environments if not e.environment.cross_account}
    role_arns = [role_in(e.environment.account, e.names.deploy_role) for e in environments]
    source, source_statements, change_event = source_action(settings, params)
    role = template.add_resource(iam.Role(
        "PipelineRole",
        RoleName=delivery.pipeline_role,
        AssumeRolePolicyDocument=assumed_by(CODEPIPELINE),
        Policies=[iam.Policy(PolicyName="build-and-promote", PolicyDocument=pipeline_policy(
            artifact_access(bucket_arn, objects_arn, tagged=settings.pipeline.source == "s3")
            + source_statements
            + [start_build(GetAtt(build.project, "Arn"))]
            + ([encrypt_artifacts(GetAtt(key, "Arn"))] if key is not None else [])
            + [assume_deploy_roles(role_arns)]))],
    ))
    store = codepipeline.ArtifactStore(Type="S3", Location=Ref(bucket))
    if key is not None:
        # The key's ARN, not an alias: other accounts find the key only by its ARN.
        store.EncryptionKey = codepipeline.EncryptionKey(Id=GetAtt(key, "Arn"), Type="KMS")
    stages = [
        codepipeline.Stages(Name="Source", Actions=[source]),
        codepipeline.Stages(Name="Build", Actions=[codepipeline.Actions(
            Name="BuildImage",
            ActionTypeId=action_type("Build", "CodeBuild"),
            Configuration={"ProjectName": Ref(build.project)},
            InputArtifacts=[codepipeline.InputArtifacts(Name=SOURCE_OUTPUT)],
            OutputArtifacts=[codepipeline.OutputArtifacts(Name=BUILD_OUTPUT)],
            Namespace=BUILD_NAMESPACE,
            RunOrder=1,
        )]),
    ]
    previous = None
    for e, role_arn in zip(environments, role_arns):
        stages.append(codepipeline.Stages(
            Name=e.environment.name,
            Actions=_environment_actions(settings, e, role_arn, previous)))
        previous = e.environment.name
    pipeline = template.add_resource(waive(codepipeline.Pipeline(
        "Pipeline",
        Name=names.pipeline,
        PipelineType="V2",
        # A newer push overtakes one still waiting between stages (an approval included);
        # a running deployment is never interrupted.
        ExecutionMode="SUPERSEDED",
        RoleArn=GetAtt(role, "Arn"),
        ArtifactStore=store,
        Stages=stages,
    ), *(() if key is not None else (PIPELINE_ARTIFACTS_AWS_KEY,))))
    source_change_role = None
    if change_event is not None:
        source_change_role = start_on_change(template, settings, names, pipeline, change_event)
    waive_unscoped_actions(template)
    handles = Pipeline(pipeline, role, bucket, build, source_change_role, None, None)
    for name, value, description in pipeline_outputs(handles) + [
            ("RepositoryUri", GetAtt(repository, "RepositoryUri"), "Image repository"),
            *([("ArtifactKeyArn", GetAtt(key, "Arn"), "Key of the pipeline artifacts")]
              if key is not None else [])]:
        template.add_output(Output(name, Value=value, Description=description))
    return Delivery(template, delivery, repository, key, handles, deploy_roles)


def _environment_actions(settings: Settings, environment: EnvironmentStack, role_arn,
                         previous: str | None) -> list[codepipeline.Actions]:
    """An optional approval, then the deployment of the build's image as the environment's
    deploy role. CodePipeline runs a stage only when the one before succeeded, so a failed
    or rolled-back deployment stops the promotion there."""
    name, names = environment.environment.name, environment.names
    taskdef_file, appspec_file = promotion_files(name)
    actions = []
    if environment.environment.approval:
        revision = SOURCE_REVISION[settings.pipeline.source]
        tested = f"; it runs in {previous}" if previous else ""
        actions.append(codepipeline.Actions(
            Name="Approve",
            ActionTypeId=action_type("Approval", "Manual"),
            Configuration={"CustomData": (
                f"Deploy #{{{BUILD_NAMESPACE}.IMAGE_URI}} (source {revision} "
                f"#{{{SOURCE_NAMESPACE}.{revision}}}) to {name}{tested}.")},
            RunOrder=1,
        ))
    actions.append(codepipeline.Actions(
        Name="Deploy",
        ActionTypeId=action_type("Deploy", "CodeDeployToECS"),
        Configuration={
            "ApplicationName": names.codedeploy_application,
            "DeploymentGroupName": names.deployment_group,
            "TaskDefinitionTemplateArtifact": BUILD_OUTPUT,
            "TaskDefinitionTemplatePath": taskdef_file,
            "AppSpecTemplateArtifact": BUILD_OUTPUT,
            "AppSpecTemplatePath": appspec_file,
            "Image1ArtifactName": BUILD_OUTPUT,
            "Image1ContainerName": IMAGE_PLACEHOLDER_NAME,
        },
        InputArtifacts=[codepipeline.InputArtifacts(Name=BUILD_OUTPUT)],
        RoleArn=role_arn,
        RunOrder=len(actions) + 1,
    ))
    return actions


def template_files(stacks: PromotionStacks, readable_name: str,
                   deployable_name: str) -> dict[str, str]:
    """Each stack's two renderings, in its folder, in deploy order."""
    from .template import deployable, readable
    files = {}
    for rendered in stacks.in_deploy_order():
        document = rendered.template.to_dict()
        files[f"{rendered.folder}/{readable_name}"] = readable(None, document)
        files[f"{rendered.folder}/{deployable_name}"] = deployable(None, document)
    return files


def describe(rendered: Rendered) -> str:
    """What a stack is, for the deploy order."""
    kind = rendered.folder.split("/")[0]
    if kind == ACCOUNTS_FOLDER:
        return "the deploy roles the pipeline assumes there"
    if kind == ENVIRONMENTS_FOLDER:
        return f"the {rendered.folder.split('/')[1]} environment's service"
    return "the delivery stack (its pipeline starts at once and promotes the first build)"


def artifact_files(stacks: PromotionStacks) -> dict[str, str]:
    """The buildspec and each environment's taskdef.json and AppSpec, as the build writes
    them (deploy-time values still ${...})."""
    from .artifacts import buildspec
    files = {"buildspec.yml": buildspec(environments=tuple(
        e.environment.name for e in stacks.environments))}
    for e in stacks.environments:
        taskdef_file, appspec_file = promotion_files(e.environment.name)
        files[taskdef_file] = json.dumps(e.taskdef, indent=2) + "\n"
        files[appspec_file] = json.dumps(e.appspec, indent=2) + "\n"
    return files


def diagram_files(stacks: PromotionStacks) -> dict[str, str]:
    """Each stack's picture, in its folder."""
    from .diagram import dot, graph, mermaid
    files = {}
    for rendered in stacks.in_deploy_order():
        g = graph(rendered.template.to_dict())
        files[f"{rendered.folder}/diagram.mmd"] = mermaid(g)
        files[f"{rendered.folder}/diagram.dot"] = dot(g)
    return files
