"""The infrastructure role ECS assumes to move traffic (deployment.engine "ecs").

AWS's AmazonECSInfrastructureRolePolicyForLoadBalancers is attached, as the ECS guide asks:
AWS maintains it as the engine evolves (v6 since 2026-02-12), so a deployment never fails on a
permission ECS started to need. It allows its writes on every listener, rule and target group of
the account; explicit denies narrow them to this stack's two routes and two groups, as the
CodeDeploy role's denies narrow its managed policy to our hook and topic.
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AmazonECSInfrastructureRolePolicyForLoadBalancers.html
"""

from __future__ import annotations

from awacs import elasticloadbalancing as elb
from awacs.aws import Deny, PolicyDocument, Statement

from .arn import aws_managed_policy
from .calls import OTHER, Call, Deployed

MANAGED_POLICY = "AmazonECSInfrastructureRolePolicyForLoadBalancers"
ROLE_DOC = ("https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"
            "AmazonECSInfrastructureRolePolicyForLoadBalancers.html")
BLUE_GREEN_DOC = ("https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"
                  "blue-green-permissions.html")


def load_balancers_managed_policy():
    return aws_managed_policy(MANAGED_POLICY)


def only_our_routes(rule_arns: list, listener_arns: list, target_group_arns: list
                    ) -> PolicyDocument:
    """A deny that keeps the managed policy's writes on this stack's rules, listeners and
    target groups (each action's resource type is one of the three, so one list serves)."""
    return PolicyDocument(Version="2012-10-17", Statement=[
        Statement(Sid="OnlyOurRoutesAndGroups", Effect=Deny,
                  Action=[elb.ModifyRule, elb.ModifyListener, elb.RegisterTargets,
                          elb.DeregisterTargets],
                  NotResource=rule_arns + listener_arns + target_group_arns)])


def required_calls(d: Deployed) -> list[Call]:
    production_rule, test_rule = d.route_arns[:2]
    blue, green = d.target_group_arns
    return [
        Call("elasticloadbalancing:DescribeListeners", "*", "read the listeners", ROLE_DOC),
        Call("elasticloadbalancing:DescribeRules", "*", "read the routes' rules", ROLE_DOC),
        Call("elasticloadbalancing:DescribeTargetGroups", "*", "find blue and green",
             ROLE_DOC),
        Call("elasticloadbalancing:DescribeTargetHealth", "*",
             "wait for the new tasks to be healthy", ROLE_DOC),
        Call("elasticloadbalancing:ModifyRule", production_rule,
             "shift production traffic between the groups", ROLE_DOC),
        Call("elasticloadbalancing:ModifyRule", test_rule,
             "shift test traffic between the groups", ROLE_DOC),
        *[Call(f"elasticloadbalancing:{action}", group,
               "register the new tasks, deregister the old ones", ROLE_DOC)
          for group in (blue, green) for action in ("RegisterTargets", "DeregisterTargets")],
    ]


def near_misses(d: Deployed) -> list[Call]:
    other = d.arn("elasticloadbalancing", f"listener-rule/app/{OTHER}/0123/4567/89ab")
    return [
        Call("elasticloadbalancing:ModifyRule", other, "rewriting another service's rule"),
        Call("elasticloadbalancing:ModifyListener", d.arn(
            "elasticloadbalancing", f"listener/app/{OTHER}/0123/4567"),
            "rewriting another load balancer's listener"),
        Call("elasticloadbalancing:RegisterTargets", d.arn(
            "elasticloadbalancing", f"targetgroup/{OTHER}/0123456789abcdef"),
            "registering targets in another group"),
        Call("elasticloadbalancing:DeleteRule", d.route_arns[0], "deleting a route"),
        Call("ecs:UpdateService", d.arn("ecs", f"service/{d.cluster}/{d.service}"),
             "changing the service"),
    ]


# What the managed policy grants beyond the calls above, and why that breadth is accepted.
MANAGED_BREADTH = {
    "elasticloadbalancing:ModifyListener": (
        "managed policy: ECS rewrites a listener only for a Network Load Balancer; "
        "OnlyOurRoutesAndGroups keeps it on this stack's two listeners"),
}


def accepted_breadth(d: Deployed) -> dict[str, str]:
    return MANAGED_BREADTH
