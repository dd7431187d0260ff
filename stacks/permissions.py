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

from policies import (codebuild, codedeploy, events, hook, live_routes, pipeline, task,
                      task_execution)
from policies.calls import Call, Deployed
from policies.evaluator import ALLOW, Request, allowing_statements, decide, granted_actions
from policies.world import World, role_documents

from .settings import Settings
from .template import build_template

# Each role the template creates, by logical id -> the module that declares its calls.
ROLE_TABLES: dict[str, ModuleType] = {
    "TaskExecutionRole": task_execution,
    "TaskRole": task,
    "CodeDeployRole": codedeploy,
    "BuildRole": codebuild,
    "PipelineRole": pipeline,
    "SourceChangeRole": events,
    "TestTrafficHookRole": hook,
    "LiveRoutesRole": live_routes,
}


def managed_policies() -> dict[str, dict]:
    """Offline snapshot of the AWS managed policies we attach, by "/path/Name"."""
    text = files("policies").joinpath("managed_policies.json").read_text(encoding="utf-8")
    return json.loads(text)


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


def deployed(world: World, settings: Settings) -> Deployed:
    """The concrete names of the made-up deployment, for the role tables."""
    parameters = world.template["Parameters"]
    resources = world.template["Resources"]

    def name_of(logical_id: str) -> str:
        return world.physical_name(logical_id) if logical_id in resources else ""

    def parameter(name: str) -> str:
        return world.ref(name) if name in parameters else ""

    config = world.resolve(world.template["Resources"]["DeploymentGroup"]["Properties"]
                           ["DeploymentConfigName"])
    return Deployed(
        source=settings.pipeline.source,
        cluster=world.ref("Cluster"),
        service=world.get_att("Service", "Name"),
        task_family=world.resolve(world.template["Resources"]["TaskDefinition"]["Properties"]
                                  ["Family"]),
        repository=world.ref("Repository"),
        log_group=world.ref("LogGroup"),
        build_log_group=world.ref("BuildLogGroup"),
        artifact_bucket=world.ref("ArtifactBucket"),
        build_project=world.ref("BuildProject"),
        pipeline=world.ref("Pipeline"),
        application=world.ref("CodeDeployApplication"),
        deployment_group=world.ref("DeploymentGroup"),
        deployment_config=config,
        execution_role=world.ref("TaskExecutionRole"),
        task_role=world.ref("TaskRole"),
        connection_arn=parameter("ConnectionArn"),
        codecommit_repository=parameter("RepositoryName"),
        source_bucket=parameter("SourceBucket"),
        source_key=parameter("SourceObjectKey"),
        hook_log_group=name_of("TestTrafficHookLogGroup"),
        hook_function=name_of("TestTrafficHook"),
        alarms=tuple(world.physical_name(name) for name, r in resources.items()
                     if r["Type"] == "AWS::CloudWatch::Alarm"),
        topic=name_of("DeploymentTopic"),
        live_routes_log_group=name_of("LiveRoutesLogGroup"),
    )


def prove(settings: Settings) -> list[RoleProof]:
    template = json.loads(build_template(settings).to_json())
    world = World(template, stack=settings.resource_id)
    names = deployed(world, settings)
    managed = managed_policies()
    roles = [name for name, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role"]
    unknown = set(roles) - set(ROLE_TABLES)
    if unknown:
        raise LookupError(f"roles without a table of required calls: {sorted(unknown)}")
    proofs = []
    for role in roles:
        table = ROLE_TABLES[role]
        documents = tuple(role_documents(world, role, managed))
        proofs.append(RoleProof(
            role=role,
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
