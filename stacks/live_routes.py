"""The live-route guard: listeners forward to the group that is live, not the one the template
named at creation.

CloudFormation compares templates, not live state: after an odd number of deployments
production is on the group the template calls green, and a stack update that touches a
listener would send the template's route again. The listeners therefore take their forward
target from a custom resource that reads the live routes; its properties hold every input that
can change a listener, so it reads them again before any listener update, and is left alone
(with its last answer) when nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from troposphere import AWSObject, GetAtt, Ref, Template

from policies.live_routes import read_listeners

from .functions import handler_source, inline_function
from .naming import BLUE, GREEN, Names
from .settings import Settings

GUARD_MODULE = "live_routes.py"


class LiveRoutesResource(AWSObject):
    resource_type = "Custom::LiveRoutes"
    props = {"ServiceToken": (str, True), "ServiceTimeout": (int, False),
             "LoadBalancerArn": (str, True), "ProductionPort": (str, True),
             "TestPort": (str, True), "BlueTargetGroupArn": (str, True),
             "GreenTargetGroupArn": (str, True), "ListenerInputs": (dict, True)}


@dataclass(frozen=True)
class LiveRoutes:
    production: Any  # GetAtt of the group production forwards to now
    test: Any


def guard_source() -> str:
    """The handler module, byte for byte as tested."""
    return handler_source(GUARD_MODULE)


def build_live_routes(template: Template, settings: Settings, names: Names, load_balancer,
                      target_groups: dict, production_port: int,
                      listener_inputs: dict[str, Any]) -> LiveRoutes:
    function = inline_function(template, settings, "LiveRoutes", "LiveRoutesFunction",
                               names.live_routes, GUARD_MODULE, "read-listeners",
                               read_listeners, Timeout=60)
    resource = template.add_resource(LiveRoutesResource(
        "LiveRoutes",
        ServiceToken=GetAtt(function, "Arn"),
        # Fail within two minutes instead of CloudFormation's hour if no answer comes.
        ServiceTimeout=120,
        LoadBalancerArn=Ref(load_balancer),
        ProductionPort=str(production_port),
        TestPort=str(settings.listeners.test_port),
        BlueTargetGroupArn=Ref(target_groups[BLUE]),
        GreenTargetGroupArn=Ref(target_groups[GREEN]),
        ListenerInputs=listener_inputs,
    ))
    return LiveRoutes(production=GetAtt(resource, "Production"), test=GetAtt(resource, "Test"))
