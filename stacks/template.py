"""The composition root: settings in, one CloudFormation template out."""

from __future__ import annotations

import json
from dataclasses import dataclass

import cfn_flip
import yaml
from cfn_flip.yaml_dumper import get_dumper
from cfn_flip.yaml_dumper import map_representer as cfn_map_representer
from cfn_tools.literal import LiteralString
from cfn_tools.odict import ODict
from troposphere import Template

from .artifacts import APPSPEC_FILE, TASKDEF_FILE, buildspec
from .alarms import build_alarms
from .deployment import build_deployment
from .hooks import build_hooks
from .load_balancer import build_load_balancing
from .naming import names_for
from .network import build_network
from .notifications import build_notifications
from .outputs import build_outputs
from .parameters import add_parameters
from .pipeline import Pipeline, build_pipeline
from .scaling import build_scaling
from .security_groups import build_security_groups
from .service import build_service
from .settings import Settings


@dataclass(frozen=True)
class Stack:
    template: Template
    pipeline: Pipeline


def build_stack(settings: Settings) -> Stack:
    """A pure function of the settings: the same settings give the same template."""
    template = Template(Description=(
        f"Blue/green ECS Fargate service {settings.resource_id} deployed by CodeDeploy "
        f"({settings.deployment.traffic} traffic shift) with its delivery pipeline."))
    names = names_for(settings)
    params = add_parameters(template, settings)
    network = build_network(template, settings, params)
    security_groups = build_security_groups(template, settings, names, network)
    load_balancing = build_load_balancing(template, settings, names, network,
                                          security_groups.load_balancer, params)
    ecs_service = build_service(template, settings, names, network, security_groups,
                                load_balancing, params)
    build_scaling(template, settings, ecs_service)
    alarms = build_alarms(template, settings, names, load_balancing)
    hooks = build_hooks(template, settings, names, network, security_groups, load_balancing)
    topic = build_notifications(template, settings, names)
    deployment = build_deployment(template, settings, names, load_balancing, ecs_service,
                                  alarms, hooks, topic)
    pipeline = build_pipeline(template, settings, names, params, ecs_service, deployment,
                              hooks)
    build_outputs(template, settings, load_balancing, ecs_service, deployment, pipeline)
    return Stack(template, pipeline)


def build_template(settings: Settings) -> Template:
    return build_stack(settings).template


class _CompactDumper(get_dumper(clean_up=False, long_form=False)):
    """cfn-flip's YAML (short-form intrinsics, literal blocks) with PyYAML's own sequence
    indentation and small plain mappings inline (`{Key: Environment, Value: dev}`): the same
    document in fewer bytes, for the 51,200-byte direct-upload limit."""

    def increase_indent(self, flow=False, indentless=False):
        return yaml.Dumper.increase_indent(self, flow, indentless)


def _small_plain_mapping(value) -> bool:
    return len(value) <= 3 and all(
        isinstance(v, (str, int, float, bool)) and not isinstance(v, LiteralString)
        for v in value.values())


def _represent_mapping(dumper, value):
    if len(value) == 1 and (next(iter(value)) in ("Ref", "Condition")
                            or next(iter(value)).startswith("Fn::")):
        return cfn_map_representer(dumper, value)  # short-form intrinsics: !Ref, !Sub ...
    return dumper.represent_mapping("tag:yaml.org,2002:map", ODict(value.items()),
                                    flow_style=True if _small_plain_mapping(value) else False)


_CompactDumper.add_representer(ODict, _represent_mapping)


def render_template(settings: Settings) -> str:
    """The template as YAML text (byte-identical for identical settings).

    Collections of plain values are written inline (`Action: [ecr:PutImage, ...]`).
    """
    data, _ = cfn_flip.load(build_template(settings).to_json())
    return yaml.dump(cfn_flip.cfn_literal_parser(data), Dumper=_CompactDumper,
                     default_flow_style=None, allow_unicode=True, width=100, sort_keys=True)


def render_artifacts(settings: Settings) -> dict[str, str]:
    """The pipeline's files as the build writes them: the same documents the template hands to
    CodeBuild (deploy-time values still ${...}), indented for reading."""
    pipeline = build_stack(settings).pipeline
    return {
        "buildspec.yml": buildspec(),
        TASKDEF_FILE: json.dumps(pipeline.taskdef, indent=2) + "\n",
        APPSPEC_FILE: json.dumps(pipeline.appspec, indent=2) + "\n",
    }
