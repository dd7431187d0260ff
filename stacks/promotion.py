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

from troposphere import GetAtt, Output, Ref, Sub, Template, codepipeline, ecr, iam, kms, s3, sns

from policies.arn import arn
from policies.cross_account import (artifact_key_policy, encrypt_artifacts,
                                    pull_for_other_accounts, role_in)
from policies.deploy_role import deploy_environment, trusted_by_pipeline
from policies.pipeline import (artifact_access, assume_deploy_roles, notify_approvers,
                               pipeline_policy, start_build)
from policies.trust import CODEPIPELINE, assumed_by
from policies.world import NAME_PROPERTIES

from .artifacts import IMAGE_PLACEHOLDER_NAME, appspec_document, promotion_files, taskdef_document
from .intrinsics import SubVariables, Unresolvable
from .log_bucket import build_log_bucket
from .notifications import notification_topic
from .naming import DELIVERY, DeliveryNames, Names, delivery_names
from .outputs import pipeline_outputs
from .parameters import add_source_parameters
from .pipeline import (BUILD_NAMESPACE, BUILD_OUTPUT, SOURCE_NAMESPACE, Build, Pipeline,
                       action_type, add_pipeline, artifact_bucket, build_project, build_stage,
                       source_action, start_on_change, sub_variable)
from .service import add_repository
from .settings import DEPLOY_ROLES, Environment, Settings, environment_title
from .tags import stack_tags
from .template import Stack, build_stack, waive_unscoped_actions
from .waivers import KEY_POLICY_DEFAULT, waive

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
        return _FromDelivery(self.stack, self.environment.account).resolve(
            _as_data(self.stack.deployment.config_name))


@dataclass(frozen=True)
class Delivery:
    template: Template
    names: DeliveryNames
    repository: ecr.Repository
    key: kms.Key | None
    pipeline: Pipeline
    deploy_roles: dict[str, iam.Role]  # the environments in the delivery account, by name
    approval_topic: sns.Topic | None  # with notifications.enabled and an approval


@dataclass(frozen=True)
class AccountStack:
    account: str
    template: Template
    deploy_roles: dict[str, iam.Role]  # by environment name


@dataclass(frozen=True)
class Rendered:
    """One stack to deploy: its folder, its stack name, its account (None: the delivery
    account), its tags, and what it is, in words."""

    folder: str
    stack_name: str
    template: Template
    account: str | None
    tags: dict[str, str]
    description: str


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
        # The account stacks belong to the delivery: they exist for its pipeline.
        delivery_tags = {"Application": name, "Environment": DELIVERY}
        rendered = [Rendered(f"{ACCOUNTS_FOLDER}/{a.account}", account_stack_name(name),
                             a.template, a.account, delivery_tags,
                             "the deploy roles the pipeline assumes there")
                    for a in self.accounts]
        rendered += [Rendered(f"{ENVIRONMENTS_FOLDER}/{e.environment.name}",
                              e.stack.settings.resource_id, e.stack.template,
                              e.environment.account, stack_tags(e.stack.settings),
                              f"the {e.environment.name} environment's service")
                     for e in self.environments]
        rendered.append(Rendered(DELIVERY_FOLDER, self.delivery.names.names.resource_id,
                                 self.delivery.template, None, delivery_tags,
                                 "the delivery stack (its pipeline starts at once and "
                                 "promotes the first build)"))
        return rendered


def account_stack_name(name: str) -> str:
    return f"{name}-{DEPLOY_ROLES}"


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
    taskdef = taskdef_document(stack.service.task_definition,
                               _FromDelivery(stack, environment.account))
    appspec = appspec_document(stack.settings, stack.names, stack.hooks.events)
    return EnvironmentStack(environment, stack, taskdef, appspec)


class _FromDelivery(SubVariables):
    """An environment stack's values as Fn::Sub text of the delivery stack: its resources by
    their fixed names, its roles' ARNs in its account; the region and partition are the
    delivery stack's own (a promotion is in one region)."""

    def __init__(self, stack: Stack, account: str | None):
        self.document = stack.document()
        self.account = account

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
        return role_in(self.account, role_name).data["Fn::Sub"]


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
    return prefix + environment_title(environment)


def _account_stack(settings: Settings, delivery: DeliveryNames, account: str,
                   environments: list[EnvironmentStack]) -> AccountStack:
    names = [e.environment.name for e in environments]
    template = Template(Description=(
        f"Deploy roles of {settings.service.name} in account {account}: the pipeline of "
        f"{delivery.names.resource_id} (account {delivery.account}) assumes them to deploy "
        f"{', '.join(names)}."))
    objects_arn = arn("s3", f"{delivery.artifact_bucket}/*", regional=False, in_account=False)
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


@dataclass(frozen=True)
class _Elsewhere:
    """The environments in other accounts, as the delivery stack's resource policies name
    them: {account: [role ARN, ...]} of their deploy roles and of their task execution
    roles."""

    deploy_roles: dict[str, list]
    execution_roles: dict[str, list]

    @classmethod
    def of(cls, environments: tuple[EnvironmentStack, ...]) -> "_Elsewhere":
        deploy_roles: dict[str, list] = {}
        execution_roles: dict[str, list] = {}
        for e in environments:
            account = e.environment.account
            if account is not None:
                deploy_roles.setdefault(account, []).append(
                    role_in(account, e.names.deploy_role))
                execution_roles.setdefault(account, []).append(
                    role_in(account, e.names.task_execution_role))
        return cls(deploy_roles, execution_roles)


def _delivery_stack(settings: Settings, delivery: DeliveryNames,
                    environments: tuple[EnvironmentStack, ...]) -> Delivery:
    order = " -> ".join(e.environment.name for e in environments)
    template = Template(Description=(
        f"Delivery of {settings.service.name}: one image built per push and promoted by "
        f"digest through {order}."))
    params = add_source_parameters(template, settings)
    elsewhere = _Elsewhere.of(environments)
    key = _artifact_key(template, delivery, elsewhere) if elsewhere.deploy_roles else None
    bucket = artifact_bucket(template, settings,
                             build_log_bucket(template, settings, service=False), key,
                             name=delivery.artifact_bucket if key is not None else None,
                             readers=elsewhere.deploy_roles)
    objects_arn = Sub(f"${{{bucket.title}.Arn}}/*")
    repository = add_repository(
        template, settings, delivery.repository,
        **({"RepositoryPolicyText": pull_for_other_accounts(elsewhere.execution_roles)}
           if elsewhere.execution_roles else {}))
    build = build_project(template, settings, delivery.names, repository,
                          _deployment_files(environments), GetAtt(bucket, "Arn"),
                          objects_arn, key, tuple(e.environment.name for e in environments))
    key_arns = [GetAtt(key, "Arn")] if key is not None else []
    deploy_roles = {e.environment.name: _deploy_role(template, e, delivery, objects_arn,
                                                     key_arns)
                    for e in environments if not e.environment.cross_account}
    topic = None
    if settings.notifications.enabled and any(e.environment.approval for e in environments):
        topic = notification_topic(template, "ApprovalTopic", delivery.approval_topic,
                                   "deployments waiting for approval")
    handles = _pipeline(template, settings, delivery, environments, params, bucket, key,
                        build, topic)
    waive_unscoped_actions(template)
    for name, value, description in pipeline_outputs(handles) + [
            ("RepositoryUri", GetAtt(repository, "RepositoryUri"), "Image repository"),
            *([("ArtifactKeyArn", GetAtt(key, "Arn"), "Key of the pipeline artifacts")]
              if key is not None else [])]:
        template.add_output(Output(name, Value=value, Description=description))
    return Delivery(template, delivery, repository, key, handles, deploy_roles, topic)


def _artifact_key(template: Template, delivery: DeliveryNames,
                  elsewhere: _Elsewhere) -> kms.Key:
    """The customer-managed key of the artifacts, which the other accounts' deploy roles may
    use: SSE-S3's key cannot be shared across accounts."""
    return template.add_resource(waive(kms.Key(
        "ArtifactKey",
        Description=f"Pipeline artifacts of {delivery.names.resource_id}, read by the deploy "
                    "roles of other accounts",
        EnableKeyRotation=True,
        KeyPolicy=artifact_key_policy(elsewhere.deploy_roles),
        # Deleted with the stack, after KMS's shortest wait: the artifacts it encrypts are
        # rebuilt by the next push, and the retained bucket expires them.
        DeletionPolicy="Delete", UpdateReplacePolicy="Delete", PendingWindowInDays=7,
    ), KEY_POLICY_DEFAULT))


def _deployment_files(environments: tuple[EnvironmentStack, ...]) -> dict:
    """Each environment's taskdef.json and AppSpec for the build's environment, by position
    (stacks/build_environments.sh)."""
    variables = {}
    for index, e in enumerate(environments, start=1):
        variables[f"TASKDEF_JSON_{index}"] = sub_variable(e.taskdef)
        variables[f"APPSPEC_JSON_{index}"] = sub_variable(e.appspec)
    return variables


def _pipeline(template: Template, settings: Settings, delivery: DeliveryNames,
              environments: tuple[EnvironmentStack, ...], params: dict, bucket: s3.Bucket,
              key: kms.Key | None, build: Build, topic: sns.Topic | None) -> Pipeline:
    """Source, Build, then a stage per environment; the pipeline's role may only assume the
    deploy roles to deploy (and tell approvers on `topic`)."""
    role_arns = [role_in(e.environment.account, e.names.deploy_role) for e in environments]
    source, source_statements, change_event = source_action(settings, params)
    objects_arn = Sub(f"${{{bucket.title}.Arn}}/*")
    role = template.add_resource(iam.Role(
        "PipelineRole",
        RoleName=delivery.pipeline_role,
        AssumeRolePolicyDocument=assumed_by(CODEPIPELINE),
        Policies=[iam.Policy(PolicyName="build-and-promote", PolicyDocument=pipeline_policy(
            artifact_access(GetAtt(bucket, "Arn"), objects_arn,
                            tagged=settings.pipeline.source == "s3")
            + source_statements
            + [start_build(GetAtt(build.project, "Arn"))]
            + ([encrypt_artifacts(GetAtt(key, "Arn"))] if key is not None else [])
            + ([notify_approvers(Ref(topic))] if topic is not None else [])
            + [assume_deploy_roles(role_arns)]))],
    ))
    stages = [codepipeline.Stages(Name="Source", Actions=[source]),
              build_stage(build.project, exports=True)]
    previous = None
    for e, role_arn in zip(environments, role_arns):
        stages.append(codepipeline.Stages(
            Name=e.environment.name,
            Actions=_environment_actions(settings, e, role_arn, previous, topic)))
        previous = e.environment.name
    pipeline = add_pipeline(template, delivery.names, role, bucket, key, stages)
    source_change_role = None
    if change_event is not None:
        source_change_role = start_on_change(template, settings, delivery.names, pipeline,
                                             change_event)
    return Pipeline(pipeline, role, bucket, build, source_change_role, taskdef=None,
                    appspec=None)


def _environment_actions(settings: Settings, environment: EnvironmentStack, role_arn,
                         previous: str | None,
                         topic: sns.Topic | None) -> list[codepipeline.Actions]:
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
                f"#{{{SOURCE_NAMESPACE}.{revision}}}) to {name}{tested}."),
                **({"NotificationArn": Ref(topic)} if topic is not None else {})},
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
