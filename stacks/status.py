"""`ecs-bluegreen status`: which colour serves production and test, how healthy each group is,
and how the last deployment went, read from a deployed stack (either engine: CodeDeploy's
deployment group, or with ECS's own engine the routes' listener rules and the service's last
service deployment)."""

from __future__ import annotations

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from .naming import COLOURS

ROUTES = (("production", "ProductionListener"), ("test", "TestListener"))
# Engine ecs: each route is a rule of its listener.
RULES = {"ProductionListener": "ProductionListenerRule", "TestListener": "TestListenerRule"}


def describe_route(weights: dict[str, int]) -> str:
    """The colour with all the weight, or the shares while a shift is in flight."""
    live = [colour for colour, weight in weights.items() if weight > 0]
    if len(live) == 1:
        return live[0]
    shares = ", ".join(f"{c} {w}" for c, w in sorted(weights.items()))
    return f"shifting ({shares})"


def read_status(stack: str, session: boto3.session.Session, endpoint_url: str | None) -> str:
    def client(service: str):
        return session.client(service, endpoint_url=endpoint_url)

    pages = client("cloudformation").get_paginator("list_stack_resources").paginate(
        StackName=stack)
    physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId")
                for page in pages for r in page["StackResourceSummaries"]}
    groups = {colour: physical[f"TargetGroup{colour.capitalize()}"] for colour in COLOURS}
    colour_of = {arn: colour for colour, arn in groups.items()}
    elbv2 = client("elbv2")
    listeners = elbv2.describe_listeners(
        ListenerArns=[physical[logical] for _, logical in ROUTES])["Listeners"]
    by_arn = {item["ListenerArn"]: item for item in listeners}
    ecs_engine = all(rule in physical for rule in RULES.values())
    rules = {}
    if ecs_engine:
        rules = {r["RuleArn"]: r for r in elbv2.describe_rules(
            RuleArns=[physical[rule] for rule in RULES.values()])["Rules"]}
    lines = []
    for name, logical in ROUTES:
        listener = by_arn[physical[logical]]
        actions = (rules[physical[RULES[logical]]]["Actions"] if ecs_engine
                   else listener["DefaultActions"])
        route = describe_route(_weights(actions, colour_of))
        lines.append(f"{name + ':':<12} {route} (port {listener['Port']})")
    for colour, arn in groups.items():
        states = [t["TargetHealth"]["State"] for t in elbv2.describe_target_health(
            TargetGroupArn=arn)["TargetHealthDescriptions"]]
        lines.append(f"{colour + ':':<12} {states.count('healthy')} of {len(states)} "
                     "targets healthy")
    last = (_last_service_deployment(client, physical) if ecs_engine
            else _last_deployment(client, physical))
    lines.append(f"{'deployment:':<12} {last}")
    return "\n".join(lines) + "\n"


def _weights(actions: list[dict], colour_of: dict[str, str]) -> dict[str, int]:
    (action,) = [a for a in actions if a["Type"] == "forward"]
    groups = action.get("ForwardConfig", {}).get("TargetGroups") or [
        {"TargetGroupArn": action["TargetGroupArn"]}]
    return {colour_of.get(g["TargetGroupArn"], g["TargetGroupArn"]): g.get("Weight", 1)
            for g in groups}


def _last_deployment(client, physical: dict[str, str]) -> str:
    application = physical.get("CodeDeployApplication")
    group = physical.get("DeploymentGroup")
    if not application or not group:
        return "unknown (no CodeDeploy deployment group in the stack)"
    try:
        codedeploy = client("codedeploy")
        ids = codedeploy.list_deployments(applicationName=application,
                                          deploymentGroupName=group).get("deployments", [])
        if not ids:
            return "none yet"
        info = codedeploy.get_deployment(deploymentId=ids[0])["deploymentInfo"]
        return f"{info['deploymentId']} {info['status']} (created {info.get('createTime')})"
    except (ClientError, BotoCoreError) as error:
        return f"unknown ({error})"


def _last_service_deployment(client, physical: dict[str, str]) -> str:
    """ECS's engine: the service's newest service deployment, its status and, while it runs,
    its lifecycle stage (a PAUSE hook waits at POST_TEST_TRAFFIC_SHIFT for an approval)."""
    try:
        ecs = client("ecs")
        found, token = [], {}
        while True:  # pages (botocore has no paginator for it), in no documented order
            page = ecs.list_service_deployments(cluster=physical["Cluster"],
                                                service=physical["Service"], **token)
            found += page.get("serviceDeployments", [])
            if not page.get("nextToken"):
                break
            token = {"nextToken": page["nextToken"]}
        if not found:
            return "none yet"
        newest = max(found, key=lambda brief: brief["createdAt"])
        (deployment,) = ecs.describe_service_deployments(
            serviceDeploymentArns=[newest["serviceDeploymentArn"]])["serviceDeployments"]
        stage = deployment.get("lifecycleStage")
        return (f"{deployment['serviceDeploymentArn'].rsplit('/', 1)[-1]} "
                f"{deployment['status']}" + (f" at {stage}" if stage else "")
                + f" (created {deployment.get('createdAt')})")
    except (ClientError, BotoCoreError) as error:
        return f"unknown ({error})"
