"""The composition root: settings in, one CloudFormation template out."""

from __future__ import annotations

import json
from dataclasses import dataclass

import yaml
from troposphere import Template, cloudwatch, encode_to_dict, iam, sns

from policies.unscoped import ON_EVERY_RESOURCE, REPORTED_BY_CFRIPPER

from .artifacts import APPSPEC_FILE, TASKDEF_FILE, buildspec
from .alarms import build_alarms
from .deployment import Deployment, build_deployment
from .ecs_engine import EcsEngine, build_ecs_engine
from .functions import shipped_minified
from .hooks import Hooks, build_hooks
from .load_balancer import LoadBalancing, build_load_balancing
from .log_bucket import LogBucket, build_log_bucket
from .naming import DeliveryNames, Names, names_for
from .network import Network, build_network
from .notifications import build_ecs_notifications, build_notifications
from .outputs import build_outputs
from .parameters import Parameters, add_parameters
from .pipeline import Pipeline, build_pipeline
from .scaling import build_scaling
from .security_groups import SecurityGroups, build_security_groups
from .service import EcsService, build_service
from .settings import Settings
from .waivers import DOCUMENTATION_ONLY_WAIVERS, UNSCOPED_WRITES, waive


@dataclass(frozen=True)
class Stack:
    """A built template and the typed handles of what is in it. Consumers reach resources
    through these handles (a handle's `title` is its logical id), never by a logical id
    typed again."""

    template: Template
    settings: Settings
    names: Names
    params: Parameters
    network: Network
    security_groups: SecurityGroups
    load_balancing: LoadBalancing
    service: EcsService
    alarms: tuple[cloudwatch.Alarm, ...]
    hooks: Hooks
    topic: sns.Topic | None
    deployment: Deployment | None  # engine codedeploy
    pipeline: Pipeline | None  # None in a promotion: the delivery stack's
    log_bucket: LogBucket | None
    engine: EcsEngine | None = None  # engine ecs

    def document(self) -> dict:
        """The template as plain data (long-form intrinsics)."""
        return self.template.to_dict()


def build_stack(settings: Settings, delivery: DeliveryNames | None = None) -> Stack:
    """A pure function of the settings: the same settings give the same template.

    With `delivery` the stack is one environment of a promotion: no pipeline, images from the
    delivery stack's repository (stacks/promotion.py)."""
    if settings.promotion is not None:
        raise ValueError("settings with [promotion] render several stacks: "
                         "stacks.promotion.build_promotion")
    engine_words = ("deployed by CodeDeploy" if settings.deployment.engine == "codedeploy"
                    else "deployed by ECS")
    pipeline_words = ("with its delivery pipeline" if delivery is None else
                      f"promoted to by the pipeline of {delivery.names.resource_id}")
    template = Template(Description=(
        f"Blue/green ECS Fargate service {settings.resource_id} {engine_words} "
        f"({settings.deployment.traffic} traffic shift) {pipeline_words}."))
    names = names_for(settings)
    params = add_parameters(template, settings, pipeline=delivery is None)
    log_bucket = build_log_bucket(template, settings, pipeline=delivery is None)
    network = build_network(template, settings, params, log_bucket)
    security_groups = build_security_groups(template, settings, names, network)
    load_balancing = build_load_balancing(template, settings, names, network,
                                          security_groups.load_balancer, params, log_bucket)
    topic = build_notifications(template, settings, names)
    alarms = build_alarms(template, settings, names, load_balancing, topic)
    hooks = build_hooks(template, settings, names, network, security_groups, load_balancing)
    engine = deployment = None
    if settings.deployment.engine == "ecs":
        engine = build_ecs_engine(template, settings, load_balancing, alarms, hooks)
    ecs_service = build_service(template, settings, names, network, security_groups,
                                load_balancing, params, engine, hooks, delivery)
    build_scaling(template, settings, ecs_service)
    if engine is None:
        deployment = build_deployment(template, settings, names, load_balancing, ecs_service,
                                      alarms, hooks, topic)
    else:
        build_ecs_notifications(template, settings, names, ecs_service, topic)
    pipeline = None
    if delivery is None:
        pipeline = build_pipeline(template, settings, names, params, ecs_service, deployment,
                                  hooks, log_bucket, engine,
                                  load_balancing.guard.function.function)
    build_outputs(template, settings, load_balancing, ecs_service, deployment, pipeline)
    waive_unscoped_actions(template)
    return Stack(template, settings, names, params, network, security_groups, load_balancing,
                 ecs_service, tuple(alarms), hooks, topic, deployment, pipeline, log_bucket,
                 engine)


def waive_unscoped_actions(template: Template) -> None:
    """A role that grants on "*" an action cfripper's wildcard-resource rule reports waives
    that rule. The actions are in the role's own policy beside the waiver, and their reasons
    in the one list of policies/unscoped.py, shown in the README's Permissions; every write
    action on "*" must be in that list."""
    for resource in template.resources.values():
        if not isinstance(resource, iam.Role):
            continue
        writes = sorted({action for policy in getattr(resource, "Policies", [])
                         for statement in encode_to_dict(policy.PolicyDocument)["Statement"]
                         if statement["Effect"] == "Allow"
                         and statement.get("Resource") in ("*", ["*"])
                         for action in statement["Action"]
                         if not action.split(":")[1].startswith(("Describe", "Get", "List"))})
        assert set(writes) <= set(ON_EVERY_RESOURCE), writes
        if set(writes) & REPORTED_BY_CFRIPPER:
            waive(resource, UNSCOPED_WRITES)


_INTRINSIC_KEYS = ("Ref", "Condition")


class _ReadableDumper(yaml.CSafeDumper if hasattr(yaml, "CSafeDumper") else yaml.SafeDumper):
    """YAML as people write CloudFormation: short-form intrinsics (!Ref, !GetAtt X.Y, !Sub),
    code and other multi-line text as literal blocks, keys sorted, no anchors or aliases
    (CloudFormation rejects them). libyaml's emitter when PyYAML has it: the same output,
    several times faster."""

    def ignore_aliases(self, data):
        return True


def _represent_dict(dumper, value: dict):
    if len(value) == 1:
        (key, argument), = value.items()
        if key in _INTRINSIC_KEYS or key.startswith("Fn::"):
            tag = "!" + key.removeprefix("Fn::")
            if tag == "!GetAtt" and isinstance(argument, list):
                argument = ".".join(argument)
            if isinstance(argument, list):
                return dumper.represent_sequence(tag, argument)
            if isinstance(argument, dict):
                return dumper.represent_mapping(tag, argument)
            return dumper.represent_scalar(tag, str(argument))
    return dumper.represent_mapping("tag:yaml.org,2002:map", sorted(value.items()))


def _represent_str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ReadableDumper.add_representer(dict, _represent_dict)
_ReadableDumper.add_representer(str, _represent_str)


def readable(stack: Stack, document: dict | None = None) -> str:
    """The readable rendering: YAML with short-form intrinsics and the inline code as written
    (byte-identical for identical settings). For reading, review and the snapshots."""
    return yaml.dump(stack.document() if document is None else document, Dumper=_ReadableDumper,
                     default_flow_style=False, allow_unicode=True, width=100, sort_keys=False)


def deployable(stack: Stack, document: dict | None = None) -> str:
    """The file to deploy: the readable template's document as compact JSON, with each inline
    function's code minified and the statement ids (Sid, documentation only: IAM decides
    nothing by them) left out of policies, and left out of Metadata the waivers that no tool
    reading this file honours (`DOCUMENTATION_ONLY_WAIVERS`), so that every accepted settings
    file fits the 51,200 bytes `aws cloudformation deploy --template-file` sends without an
    S3 bucket."""
    document = json.loads(json.dumps(stack.document() if document is None else document))
    for resource in document["Resources"].values():
        metadata = resource.get("Metadata", {})
        for key in DOCUMENTATION_ONLY_WAIVERS:
            metadata.pop(key, None)
        if "Metadata" in resource and not metadata:
            del resource["Metadata"]
        properties = resource.get("Properties", {})
        code = properties.get("Code", {})
        if "ZipFile" in code:
            code["ZipFile"] = shipped_minified(code["ZipFile"])
        for policy in [properties.get("PolicyDocument")] + [
                p["PolicyDocument"] for p in properties.get("Policies", [])]:
            for statement in (policy or {}).get("Statement", []):
                statement.pop("Sid", None)
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def render_artifacts(settings: Settings) -> dict[str, str]:
    """The pipeline's files as the build writes them: the same documents the template hands to
    CodeBuild (deploy-time values still ${...}), indented for reading."""
    if settings.promotion is not None:
        from .promotion import artifact_files, build_promotion
        return artifact_files(build_promotion(settings))
    pipeline = build_stack(settings).pipeline
    if pipeline.taskdef is None:  # engine ecs: the build writes imageDetail.json only
        return {"buildspec.yml": buildspec(settings.deployment.engine)}
    return {
        "buildspec.yml": buildspec(),
        TASKDEF_FILE: json.dumps(pipeline.taskdef, indent=2) + "\n",
        APPSPEC_FILE: json.dumps(pipeline.appspec, indent=2) + "\n",
    }
