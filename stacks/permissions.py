"""The permission proof: every role of a rendered template, against the calls it must allow.

For each IAM role the template creates, the role module's table (policies/<role>.py) lists the
calls its AWS service makes on our behalf and near misses that must stay denied. The rendered
policies are resolved in a made-up deployment (policies.world), AWS managed policies come from
an offline snapshot, and policies.evaluator decides every call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from types import ModuleType

from policies import (codebuild, codedeploy, ecs_hook_invoke, ecs_infrastructure, events,
                      guard, hook, pipeline, task, task_execution)
from policies.calls import Call, Deployed
from policies.evaluator import ALLOW, Request, allowing_statements, decide, granted_actions
from policies.world import World, role_documents

from .settings import Settings
from .pipeline import Pipeline
from .template import Stack, build_stack


def published_policies() -> dict[str, dict]:
    """Dated copies of the AWS managed policies we attach or follow, by "/path/Name": each
    with its version, last edit, the page that publishes it and its document."""
    text = files("policies").joinpath("managed_policies.json").read_text(encoding="utf-8")
    return json.loads(text)


def managed_policies() -> dict[str, dict]:
    """The documents of those policies, by "/path/Name"."""
    return {name: policy["document"] for name, policy in published_policies().items()}


@dataclass(frozen=True)
class Verdict:
    call: Call
    decision: str
    granted_by: tuple[str, ...]  # Sids (or "managed") of the statements that allow it


@dataclass(frozen=True)
class RoleProof:
    role: str
    documents: tuple[dict, ...]
    required: tuple[Verdict, ...]
    near_misses: tuple[Verdict, ...]
    breadth: dict[str, str]

    @property
    def missing(self) -> list[Call]:
        return [v.call for v in self.required if v.decision != ALLOW]

    @property
    def leaks(self) -> list[Call]:
        return [v.call for v in self.near_misses if v.decision == ALLOW]

    @property
    def granted_actions(self) -> set[str]:
        return granted_actions(self.documents)

    @property
    def required_actions(self) -> set[str]:
        return {v.call.action for v in self.required}

    @property
    def unexplained_grants(self) -> set[str]:
        return self.granted_actions - self.required_actions - set(self.breadth)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.leaks or self.unexplained_grants)


def role_tables(stack: Stack) -> dict[str, ModuleType]:
    """Each role the stack creates, by logical id -> the module that declares its calls."""
    tables = {
        stack.service.execution_role: task_execution,
        stack.service.task_role: task,
        stack.load_balancing.guard.function.role: guard,
    }
    if stack.pipeline is not None:
        tables.update(pipeline_tables(stack.pipeline))
    if stack.deployment is not None:
        tables[stack.deployment.role] = codedeploy
    if stack.engine is not None:
        tables[stack.engine.infrastructure_role] = ecs_infrastructure
        if stack.engine.hook_role is not None:
            tables[stack.engine.hook_role] = ecs_hook_invoke
    if stack.hooks.inline is not None:
        tables[stack.hooks.inline.role] = hook
    return {role.title: table for role, table in tables.items()}


def pipeline_tables(handles: Pipeline) -> dict:
    tables = {handles.build.role: codebuild, handles.role: pipeline}
    if handles.source_change_role is not None:
        tables[handles.source_change_role] = events
    return tables


def deployed(world: World, stack: Stack) -> Deployed:
    """The concrete names of the made-up deployment, for the role tables."""
    def name(resource) -> str:
        return world.physical_name(resource.title) if resource is not None else ""

    def parameter(name: str) -> str:
        return world.ref(name) if name in stack.params.source else ""

    svc, pipe, hooks, dep, engine = (stack.service, stack.pipeline, stack.hooks,
                                     stack.deployment, stack.engine)
    return Deployed(
        source=stack.settings.pipeline.source,
        stack_id=world.stack_id,
        cluster=world.ref(svc.cluster.title),
        service=world.get_att(svc.service.title, "Name"),
        task_family=world.resolve(svc.task_definition.Family),
        repository=name(svc.repository),
        log_group=world.ref(svc.log_group.title),
        build_log_group=name(pipe.build.log_group if pipe else None),
        artifact_bucket=name(pipe.artifact_bucket if pipe else None),
        build_project=name(pipe.build.project if pipe else None),
        pipeline=name(pipe.pipeline if pipe else None),
        application=name(dep.application if dep else None),
        deployment_group=name(dep.deployment_group if dep else None),
        deployment_config=world.resolve(
            dep.deployment_group.to_dict()["Properties"]["DeploymentConfigName"]) if dep else "",
        execution_role=name(svc.execution_role),
        task_role=name(svc.task_role),
        connection_arn=parameter("ConnectionArn"),
        codecommit_repository=parameter("RepositoryName"),
        source_bucket=parameter("SourceBucket"),
        source_key=parameter("SourceObjectKey"),
        hook_log_group=name(hooks.inline.log_group if hooks.inline else None),
        hook_function=name(hooks.function),
        alarms=tuple(world.physical_name(alarm.title) for alarm in stack.alarms),
        topic=name(stack.topic),
        live_routes_log_group=name(stack.load_balancing.guard.function.log_group),
        default_group=(world.resolve(stack.network.default_security_group.to_dict())
                       if stack.network.default_security_group is not None else ""),
        engine=stack.settings.deployment.engine,
        live_routes_function=name(stack.load_balancing.guard.function.function),
        infrastructure_role=name(engine.infrastructure_role if engine else None),
        hook_invoke_role=name(engine.hook_role if engine else None),
        route_arns=tuple(world.ref(resource.title) for resource in (
            *(stack.load_balancing.rules or {}).values(),
            *stack.load_balancing.forwarding_listeners)),
        target_group_arns=tuple(world.ref(group.title)
                                for group in stack.load_balancing.target_groups.values()),
    )


def prove(settings: Settings) -> list[RoleProof]:
    if settings.promotion is not None:
        from .promotion_proof import prove_promotion
        return prove_promotion(settings)
    stack = build_stack(settings)
    world = World(stack.document(), stack=settings.resource_id)
    return prove_roles(world, role_tables(stack), lambda _: deployed(world, stack))


def prove_roles(world: World, tables: dict[str, ModuleType], names_for,
                label: str = "") -> list[RoleProof]:
    """Every role of the world's template against its table; `names_for(role)` gives the
    deployed names the table reads; `label` prefixes the role names (a promotion's stack)."""
    template = world.template
    managed = managed_policies()
    roles = [name for name, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role"]
    unknown = set(roles) - set(tables)
    if unknown:
        raise LookupError(f"roles without a table of required calls: {sorted(unknown)}")
    proofs = []
    for role in roles:
        table = tables[role]
        names = names_for(role)
        documents = tuple(role_documents(world, role, managed))
        proofs.append(RoleProof(
            role=label + role,
            documents=documents,
            required=tuple(_verdict(documents, c) for c in table.required_calls(names)),
            near_misses=tuple(_verdict(documents, c) for c in table.near_misses(names)),
            # Grants beyond the calls, each explained by the role's module.
            breadth=getattr(table, "accepted_breadth", lambda _: {})(names),
        ))
    return proofs


def _verdict(documents: tuple[dict, ...], call: Call) -> Verdict:
    request = Request(call.action, call.resource, call.context)
    granted_by = tuple(s.get("Sid", "managed") for s in allowing_statements(documents, request))
    return Verdict(call, decide(documents, request), granted_by)


def report(proofs: list[RoleProof]) -> str:
    """Per role, each required permission with its reason and the statement that grants it."""
    lines = []
    for proof in proofs:
        lines.append(f"{proof.role}: {'ok' if proof.ok else 'PROBLEMS'}")
        for verdict in proof.required:
            call = verdict.call
            mark = "allowed" if verdict.decision == ALLOW else verdict.decision.upper()
            context = "".join(f" [{k}={v}]" for k, v in call.context.items())
            lines.append(f"  {mark:<14} {call.action} on {call.resource}{context}")
            lines.append(f"  {'':<14} why: {call.why}"
                         + (f" (by {', '.join(verdict.granted_by)})" if verdict.granted_by
                            else ""))
        for action, reason in sorted(proof.breadth.items()):
            lines.append(f"  {'broader':<14} {action}: {reason}")
        for call in proof.leaks:
            lines.append(f"  {'LEAK':<14} {call.action} on {call.resource}: {call.why}")
        for action in sorted(proof.unexplained_grants):
            lines.append(f"  {'UNEXPLAINED':<14} {action} is granted but no call needs it")
        if not proof.required and not proof.breadth:
            lines.append("  (no permissions)")
    return "\n".join(lines) + "\n"
