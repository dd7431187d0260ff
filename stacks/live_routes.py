"""The live-route guard: listeners forward with the weights that are live, not the ones the
template named at creation.

CloudFormation compares templates, not live state: after an odd number of deployments
production is on the group the template calls green, and a stack update that touches a
listener would send the template's route again. The forwarding listeners therefore take the
weights of blue and green from a custom resource that reads the live listeners. Its
`ListenerInputs` are each listener's own properties except its default actions, derived from
the listener objects, so any change to a listener changes the guard's inputs and CloudFormation
asks it again first; when nothing changes, it and the listeners are left alone.

The guard refuses a stack update, before any listener changes, while a traffic shift is in flight
or when the production port would move (listeners.https changed); in a rollback it never
refuses and answers the live weights as they are, so a rollback always completes
(stacks/lambdas/guard_handler.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from troposphere import GetAtt, Ref, Template
from troposphere import elasticloadbalancingv2 as elb
from troposphere.cloudformation import AWSCustomObject

from policies.guard import read_listeners_and_stack

from .functions import InlineFunction, inline_function
from .naming import COLOURS, Names
from .settings import Settings
from .waivers import GUARD_OUTSIDE_VPC, LAMBDA_DEAD_LETTERS_GUARD

GUARD_MODULE = "guard_handler.py"
# Engine ecs: the same function also prepares the pipeline's releases.
RELEASING_GUARD_MODULE = GUARD_MODULE + "+guard_ecs.py"
ROUTES = ("Production", "Test")
# The guard's answer before any listener exists: production on blue, test on green (the
# handler's AT_CREATION; tests/test_live_routes.py checks that it answers exactly this).
AT_CREATION_WEIGHTS = {"ProductionBlue": 100, "ProductionGreen": 0, "TestBlue": 0,
                       "TestGreen": 100}


class LiveRoutesResource(AWSCustomObject):
    resource_type = "Custom::LiveRoutes"
    props = {"ServiceToken": (str, True), "ServiceTimeout": (int, False),
             "BlueTargetGroupArn": (str, True), "GreenTargetGroupArn": (str, True),
             "ListenerInputs": (dict, True)}


class EmptyDefaultGroupResource(AWSCustomObject):
    resource_type = "Custom::EmptyDefaultGroup"
    props = {"ServiceToken": (str, True), "ServiceTimeout": (int, False),
             "GroupId": (str, True)}


@dataclass(frozen=True)
class Guard:
    resource: LiveRoutesResource
    function: InlineFunction

    @property
    def resources(self) -> tuple:
        """Everything the guard adds to the template (the emptied default group has its own
        Terraform form: stacks/terraform.py)."""
        return (self.resource, self.function.function, self.function.role,
                self.function.log_group)


def listener_inputs(listener: elb.Listener, rule: elb.ListenerRule | None = None) -> dict:
    """Every property of the listener except its default actions, which the guard answers;
    with a rule (the route of engine ecs), also the rule's properties but its actions (which
    the guard answers) and its listener (above)."""
    inputs = {name: value for name, value in listener.properties.items()
              if name != "DefaultActions"}
    if rule is not None:
        inputs["Rule"] = {name: value for name, value in rule.properties.items()
                          if name not in ("Actions", "ListenerArn")}
    return inputs


def guard_listeners(template: Template, settings: Settings, names: Names, target_groups: dict,
                    listeners: dict[str, elb.Listener], default_group=None,
                    rules: dict[str, elb.ListenerRule] | None = None) -> Guard:
    """Add the guard and give each forwarding listener (by route) its weighted forward, or with
    `rules` (engine ecs, whose deployments rewrite rules) each route's rule. With
    `default_group` (a created VPC's default security group) the same function empties it: a
    function of its own would cost the template another role, log group and copy of the
    custom-resource plumbing."""
    function = inline_function(template, settings, "LiveRoutes", "LiveRoutesFunction",
                               names.live_routes,
                               GUARD_MODULE if rules is None else RELEASING_GUARD_MODULE,
                               "read-listeners",
                               partial(read_listeners_and_stack, default_group=default_group,
                                       ecs_engine=rules is not None),
                               waivers=(LAMBDA_DEAD_LETTERS_GUARD, GUARD_OUTSIDE_VPC),
                               Timeout=60)
    resource = template.add_resource(LiveRoutesResource(
        "LiveRoutes",
        ServiceToken=GetAtt(function.function, "Arn"),
        # Fail within two minutes instead of CloudFormation's hour if no answer comes.
        ServiceTimeout=120,
        **{f"{colour.capitalize()}TargetGroupArn": Ref(target_groups[colour])
           for colour in COLOURS},
        ListenerInputs={route: listener_inputs(listeners[route], (rules or {}).get(route))
                        for route in ROUTES},
    ))
    for route in ROUTES:
        if rules is None:
            listeners[route].DefaultActions = [weighted_forward(resource, route, target_groups)]
        else:
            rules[route].Actions = [weighted_forward(resource, route, target_groups,
                                                     elb.ListenerRuleAction)]
    if default_group is not None:
        template.add_resource(EmptyDefaultGroupResource(
            "EmptyDefaultSecurityGroup", ServiceToken=GetAtt(function.function, "Arn"),
            ServiceTimeout=120, GroupId=default_group))
    return Guard(resource, function)


def weighted_forward(guard: LiveRoutesResource, route: str, target_groups: dict,
                     action_type=elb.Action) -> elb.Action | elb.ListenerRuleAction:
    """Forward to both groups with the guard's weights: production blue 100 / green 0 at
    creation, as CodeDeploy itself writes routes (ECS needs a rule naming both groups). The
    weights arrive as strings, which CloudFormation accepts for integer properties as it does
    a Number parameter's Ref. `action_type`: a listener's action or a rule's."""
    return action_type(Type="forward", ForwardConfig=elb.ForwardConfig(TargetGroups=[
        elb.TargetGroupTuple(TargetGroupArn=Ref(target_groups[colour]),
                             Weight=GetAtt(guard, f"{route}{colour.capitalize()}"))
        for colour in COLOURS]))
