"""The permission proof of a promotion: every role of every stack, each stack resolved in the
made-up deployment of its own account (policies.world), with the names the other stacks give
it: the environments' images in the delivery account's repository, each deploy role's
artifacts in the delivery stack's bucket, and each deploy role's near misses on the other
environments ("the staging role cannot touch prod")."""

from __future__ import annotations

from dataclasses import replace

from policies import codebuild, deploy_role, events, pipeline
from policies.calls import Deployed
from policies.world import ACCOUNT, World

from .permissions import RoleProof, deployed, prove_roles, role_tables
from .promotion import ACCOUNTS_FOLDER, DELIVERY_FOLDER, ENVIRONMENTS_FOLDER, build_promotion
from .settings import Settings


def prove_promotion(settings: Settings) -> list[RoleProof]:
    stacks = build_promotion(settings)
    delivery_account = settings.promotion.account or ACCOUNT
    delivery = stacks.delivery
    world = World(delivery.template.to_dict(), stack=delivery.names.names.resource_id,
                  account=delivery_account)
    handles = delivery.pipeline
    shared = {
        "delivery_account": delivery_account,
        "repository": world.physical_name(delivery.repository.title),
        "artifact_bucket": world.physical_name(handles.artifact_bucket.title),
        "pipeline": world.physical_name(handles.pipeline.title),
        "artifact_key": world.get_att(delivery.key.title, "Arn") if delivery.key else "",
    }
    # Each environment as deployed in its account, seen by the delivery stack.
    environments = {}
    proofs = []
    for e in stacks.environments:
        account = e.environment.account or delivery_account
        env_world = World(e.stack.document(), stack=e.stack.settings.resource_id,
                          account=account)
        names = replace(deployed(env_world, e.stack), account=account, **shared)
        environments[e.environment.name] = names
        proofs += prove_roles(env_world, role_tables(e.stack), lambda _, n=names: n,
                              f"{ENVIRONMENTS_FOLDER}/{e.environment.name}: ")

    def deploy_role_names(environment: str) -> Deployed:
        return replace(environments[environment], siblings=tuple(
            names for name, names in environments.items() if name != environment))

    deploy_roles = tuple(environments[e.environment.name].role_arn(e.names.deploy_role)
                         for e in stacks.environments)
    delivery_names = Deployed(
        source=settings.pipeline.source, stack_id=world.stack_id, cluster="", service="",
        task_family="", log_group="",
        build_log_group=world.physical_name(handles.build.log_group.title),
        build_project=world.physical_name(handles.build.project.title),
        application="", deployment_group="", deployment_config="", execution_role="",
        task_role="", account=delivery_account,
        connection_arn=_parameter(world, "ConnectionArn"),
        codecommit_repository=_parameter(world, "RepositoryName"),
        source_bucket=_parameter(world, "SourceBucket"),
        source_key=_parameter(world, "SourceObjectKey"),
        topic=(world.physical_name(delivery.approval_topic.title)
               if delivery.approval_topic is not None else ""),
        deploy_roles=deploy_roles, siblings=tuple(environments.values()), **shared)
    tables = {handles.build.role.title: codebuild, handles.role.title: pipeline}
    if handles.source_change_role is not None:
        tables[handles.source_change_role.title] = events
    by_role = {role.title: name for name, role in delivery.deploy_roles.items()}
    tables.update({title: deploy_role for title in by_role})
    proofs += prove_roles(
        world, tables,
        lambda role: deploy_role_names(by_role[role]) if role in by_role else delivery_names,
        f"{DELIVERY_FOLDER}: ")
    for account_stack in stacks.accounts:
        account_world = World(account_stack.template.to_dict(), stack="deploy-roles",
                              account=account_stack.account)
        by_role = {role.title: name for name, role in account_stack.deploy_roles.items()}
        proofs += prove_roles(account_world, {title: deploy_role for title in by_role},
                              lambda role: deploy_role_names(by_role[role]),
                              f"{ACCOUNTS_FOLDER}/{account_stack.account}: ")
    return proofs


def _parameter(world: World, name: str) -> str:
    return world.ref(name) if name in world.template.get("Parameters", {}) else ""
