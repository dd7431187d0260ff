"""Custom resource: the group each listener (by load balancer and port) sends all traffic to;
blue/green before they exist. A shift in flight fails the update. Always answers."""
import json
import urllib.request

ROUTES = {"Production": ("ProductionPort", "BlueTargetGroupArn"),
          "Test": ("TestPort", "GreenTargetGroupArn")}


class InFlight(Exception):
    pass


def forward_target(actions):
    (action,) = [a for a in actions if a["Type"] == "forward"]
    groups = action.get("ForwardConfig", {}).get("TargetGroups") or [
        {"TargetGroupArn": action["TargetGroupArn"]}]
    weights = {g["TargetGroupArn"]: g.get("Weight", 1) for g in groups}
    live = [arn for arn, weight in weights.items() if weight > 0]
    if len(live) != 1:
        raise InFlight(f"a traffic shift is in flight (weights {sorted(weights.values())}); "
                       "update the stack after the deployment")
    return live[0]


def live_routes(elbv2, props):
    listeners = {}
    for page in elbv2.get_paginator("describe_listeners").paginate(
            LoadBalancerArn=props["LoadBalancerArn"]):
        listeners.update({str(item["Port"]): item for item in page["Listeners"]})
    routes = {}
    for route, (port, default) in ROUTES.items():
        listener = listeners.get(str(props[port]))
        target = forward_target(listener["DefaultActions"]) if listener else props[default]
        if target not in (props["BlueTargetGroupArn"], props["GreenTargetGroupArn"]):
            raise ValueError(f"{route} forwards to {target}, neither blue nor green")
        routes[route] = target
    return routes


def respond(event, status, data, reason, physical_id):
    body = json.dumps({
        "Status": status, "Reason": reason[:3000], "PhysicalResourceId": physical_id,
        "StackId": event["StackId"], "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"], "Data": data}).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                     headers={"Content-Type": ""})
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def handler(event, context, elbv2=None):
    physical_id = event.get("PhysicalResourceId") or event["LogicalResourceId"]
    status, data, reason = "FAILED", {}, "see the function's log"
    try:
        if event["RequestType"] != "Delete":
            if elbv2 is None:
                import boto3
                from botocore.config import Config
                elbv2 = boto3.client("elbv2", config=Config(
                    connect_timeout=5, read_timeout=10, retries={"max_attempts": 3}))
            data = live_routes(elbv2, event["ResourceProperties"])
        status, reason = "SUCCESS", "ok"
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
    print(json.dumps({"status": status, "reason": reason, "data": data}))
    respond(event, status, data, reason, physical_id)
