"""Custom resource: the weights blue and green get on each forwarding listener (found by load
balancer and port); before the listeners exist, production blue 100 and test green 100.
An update is refused, before any listener changes, unless each route is settled on blue or
green and the production port stays; a rollback is never refused. Always answers.
The same function empties the created VPC's default security group (Custom::EmptyDefaultGroup):
nothing in the stack uses it, and its rules would admit whatever joined it later.
With deployment.engine "ecs" the function's code continues with guard_ecs.py."""
import json
import urllib.request

COLOURS = ("Blue", "Green")
AT_CREATION = {"Production": "Blue", "Test": "Green"}


class Refused(Exception):
    pass


def forward(listener, groups):
    """({colour: weight} of the listener's forward action or None, weight sent elsewhere)."""
    for action in listener["DefaultActions"]:
        if action["Type"] == "forward":
            targets = action.get("ForwardConfig", {}).get("TargetGroups") or [
                {"TargetGroupArn": action["TargetGroupArn"]}]
            weights = {t["TargetGroupArn"]: t.get("Weight", 1) for t in targets}
            return {c: weights.pop(groups[c], 0) for c in COLOURS}, sum(weights.values())
    return None, 0


def route_weights(route, candidates, groups, rollback):
    """The weights of a route from its listener: the first candidate that exists (an update
    reads it where it is now), or in a rollback the first that forwards."""
    found = [listener for listener in candidates if listener]
    weights, elsewhere = None, 0
    for listener in found if rollback else found[:1]:
        weights, elsewhere = forward(listener, groups)
        if weights:
            break
    live = [c for c in COLOURS if weights and weights[c] > 0]
    if not rollback:
        if found and not weights:
            raise Refused(f"{route} listener on port {found[0]['Port']} does not forward")
        if elsewhere:
            raise Refused(f"{route} listener forwards to a group neither blue nor green")
        if found and len(live) != 1:
            raise Refused(f"traffic shift in flight ({route}: {weights}); nothing changed: "
                          "update the stack after the deployment")
    if len(live) > 1:  # a rollback during a shift: leave it as it is
        return weights
    colour = live[0] if live else AT_CREATION[route]
    return {c: 100 if c == colour else 0 for c in COLOURS}  # as CodeDeploy writes it


def live_weights(elbv2, props, old=None, rollback=False):
    groups = {c: props[c + "TargetGroupArn"] for c in COLOURS}
    old, cache, data = old or {}, {}, {}

    def at(load_balancer, port):
        if load_balancer not in cache:
            pages = elbv2.get_paginator("describe_listeners").paginate(
                LoadBalancerArn=load_balancer)
            cache[load_balancer] = {str(x["Port"]): x for p in pages for x in p["Listeners"]}
        return cache[load_balancer].get(str(port))

    for route, now in props["ListenerInputs"].items():
        # (templates rendered before the inputs came from the listeners had <route>Port)
        before = old.get("ListenerInputs", {}).get(route) or {"Port": old.get(route + "Port")}
        moved = before["Port"] is not None and str(before["Port"]) != str(now["Port"])
        if route == "Production" and moved and not rollback:
            raise Refused(f"production listener would move from port {before['Port']} to "
                          f"{now['Port']} (listeners.https changed): deploy a new stack")
        candidates = [at(before.get("LoadBalancerArn", now["LoadBalancerArn"]), before["Port"]),
                      at(now["LoadBalancerArn"], now["Port"])]
        for colour, weight in route_weights(route, candidates, groups, rollback).items():
            data[route + colour] = str(weight)
    return data


def in_rollback(cloudformation, stack_id):
    """Whether the stack is rolling back; in doubt yes, so that a rollback is never refused."""
    try:
        (stack,) = cloudformation.describe_stacks(StackName=stack_id)["Stacks"]
        return "ROLLBACK" in stack["StackStatus"]
    except Exception as error:
        print(json.dumps({"stack status unknown": repr(error)}))
        return True


def empty_default_group(ec2, group_id):
    """Revoke the rules a VPC's default group is created with: all traffic from its own
    members, all egress (the created VPC has no IPv6). Revoking what is gone is no error."""
    for kind, peer in (("ingress", {"UserIdGroupPairs": [{"GroupId": group_id}]}),
                       ("egress", {"IpRanges": [{"CidrIp": "0.0.0.0/0"}]})):
        try:
            getattr(ec2, "revoke_security_group_" + kind)(
                GroupId=group_id, IpPermissions=[{"IpProtocol": "-1", **peer}])
        except Exception as error:
            if "InvalidPermission.NotFound" not in str(error):
                raise


def respond(event, status, data, reason, physical_id):
    body = json.dumps({
        "Status": status, "Reason": reason[:3000], "PhysicalResourceId": physical_id,
        "StackId": event["StackId"], "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"], "Data": data}).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                     headers={"Content-Type": ""})
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def client(service):
    import boto3
    from botocore.config import Config
    return boto3.client(service, config=Config(
        connect_timeout=5, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"}))


def handler(event, context, elbv2=None, cloudformation=None, ec2=None):
    physical_id = event.get("PhysicalResourceId") or event["LogicalResourceId"]
    status, data, reason, rollback = "FAILED", {}, "see the function's log", False
    try:
        if event.get("ResourceType") == "Custom::EmptyDefaultGroup":
            # Nothing to restore on Delete: the group goes with its VPC.
            if event["RequestType"] != "Delete":
                empty_default_group(ec2 or client("ec2"), event["ResourceProperties"]["GroupId"])
        elif event["RequestType"] != "Delete":
            if event["RequestType"] == "Update":
                rollback = in_rollback(cloudformation or client("cloudformation"),
                                       event["StackId"])
            data = live_weights(elbv2 or client("elbv2"), event["ResourceProperties"],
                                event.get("OldResourceProperties"), rollback)
        status, reason = "SUCCESS", "ok"
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
    print(json.dumps({"status": status, "reason": reason, "rollback": rollback, "data": data}))
    respond(event, status, data, reason, physical_id)
