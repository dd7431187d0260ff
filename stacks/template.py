"""The composition root: settings in, one CloudFormation template out."""

from __future__ import annotations

import json
from dataclasses import dataclass

from troposphere import Template

from .artifacts import APPSPEC_FILE, TASKDEF_FILE, buildspec
from .deployment import build_deployment
from .load_balancer import build_load_balancing
from .naming import names_for
from .network import build_network
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
    deployment = build_deployment(template, settings, names, load_balancing, ecs_service)
    pipeline = build_pipeline(template, settings, names, params, ecs_service, deployment)
    build_outputs(template, settings, load_balancing, ecs_service, deployment, pipeline)
    return Stack(template, pipeline)


def build_template(settings: Settings) -> Template:
    return build_stack(settings).template


def render_template(settings: Settings) -> str:
    """The template as YAML text (byte-identical for identical settings)."""
    return build_template(settings).to_yaml()


def render_artifacts(settings: Settings) -> dict[str, str]:
    """The pipeline's files as the build writes them: the same documents the template hands to
    CodeBuild (deploy-time values still ${...}), indented for reading."""
    pipeline = build_stack(settings).pipeline
    return {
        "buildspec.yml": buildspec(),
        TASKDEF_FILE: json.dumps(pipeline.taskdef, indent=2) + "\n",
        APPSPEC_FILE: json.dumps(pipeline.appspec, indent=2) + "\n",
    }
