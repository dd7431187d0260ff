"""The live-route guard: the resolver against moto's ELBv2, the custom-resource protocol against
a real HTTP server on 127.0.0.1, and the template wiring."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from stacks.lambdas import live_routes as guard
from stacks.live_routes import guard_source
from variants import settings_for

ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-1"


@pytest.fixture
def elb(monkeypatch):
    """A load balancer with blue, green and an unrelated target group, in moto."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24",
                                     AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"]
                   for i, z in enumerate("ab")]
        client = boto3.client("elbv2", region_name=REGION)
        lb = client.create_load_balancer(Name="lb", Subnets=subnets)["LoadBalancers"][0]
        groups = {name: client.create_target_group(
            Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")[
            "TargetGroups"][0]["TargetGroupArn"] for name in ("blue", "green", "other")}
        props = {"LoadBalancerArn": lb["LoadBalancerArn"], "ProductionPort": "443",
                 "TestPort": "8080", "BlueTargetGroupArn": groups["blue"],
                 "GreenTargetGroupArn": groups["green"]}
        yield client, props, groups


def listener(client, props, port, action):
    return client.create_listener(LoadBalancerArn=props["LoadBalancerArn"], Protocol="HTTP",
                                  Port=port, DefaultActions=[action])["Listeners"][0]


def forward(arn):
    return {"Type": "forward", "TargetGroupArn": arn}


def weighted(*pairs):
    return {"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": arn, "Weight": weight} for arn, weight in pairs]}}


def test_no_listeners_yet_means_blue_and_green(elb):
    client, props, groups = elb
    assert guard.live_routes(client, props) == {"Production": groups["blue"],
                                                "Test": groups["green"]}


def test_plain_forwards_as_created(elb):
    client, props, groups = elb
    listener(client, props, 443, forward(groups["blue"]))
    listener(client, props, 8080, forward(groups["green"]))
    assert guard.live_routes(client, props) == {"Production": groups["blue"],
                                                "Test": groups["green"]}


def test_after_a_plain_swap(elb):
    client, props, groups = elb
    listener(client, props, 443, forward(groups["green"]))
    listener(client, props, 8080, forward(groups["blue"]))
    assert guard.live_routes(client, props) == {"Production": groups["green"],
                                                "Test": groups["blue"]}


@pytest.mark.parametrize("order", ["live-first", "idle-first"])
def test_after_a_weighted_swap_in_either_order(elb, order):
    client, props, groups = elb
    pairs = [(groups["green"], 100), (groups["blue"], 0)]
    if order == "idle-first":
        pairs.reverse()
    production = listener(client, props, 443, forward(groups["blue"]))
    client.modify_listener(ListenerArn=production["ListenerArn"],
                           DefaultActions=[weighted(*pairs)])
    listener(client, props, 8080, weighted(*reversed([(g, 100 - w) for g, w in pairs])))
    assert guard.live_routes(client, props) == {"Production": groups["green"],
                                                "Test": groups["blue"]}


def test_a_shift_in_flight_fails_with_a_message(elb):
    client, props, groups = elb
    listener(client, props, 443, weighted((groups["blue"], 90), (groups["green"], 10)))
    with pytest.raises(guard.InFlight, match="traffic shift is in flight.*after the deployment"):
        guard.live_routes(client, props)


def test_a_listener_on_another_port_is_ignored(elb):
    client, props, groups = elb
    listener(client, props, 9090, forward(groups["other"]))
    listener(client, props, 80, {"Type": "redirect", "RedirectConfig": {
        "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}})
    listener(client, props, 8080, forward(groups["blue"]))
    assert guard.live_routes(client, props) == {"Production": groups["blue"],
                                                "Test": groups["blue"]}


def test_a_route_to_an_unknown_group_fails(elb):
    client, props, groups = elb
    listener(client, props, 443, forward(groups["other"]))
    with pytest.raises(ValueError, match="neither blue nor green"):
        guard.live_routes(client, props)


# --- the custom-resource protocol ----------------------------------------------------------

class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_PUT(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((self.path, self.headers.get("Content-Type"),
                                   json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def response_url():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _Receiver.received = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}/presigned?signature=x"
    httpd.shutdown()


def event(url, request_type, props, physical_id=None):
    value = {"RequestType": request_type, "ResponseURL": url, "StackId": "stack-id",
             "RequestId": "request-1", "LogicalResourceId": "LiveRoutes",
             "ResourceType": "Custom::LiveRoutes", "ResourceProperties": props}
    if physical_id:
        value["PhysicalResourceId"] = physical_id
    return value


def test_success_is_put_to_the_presigned_url(elb, response_url):
    client, props, groups = elb
    guard.handler(event(response_url, "Create", props), None, elbv2=client)
    ((path, content_type, body),) = _Receiver.received
    assert path == "/presigned?signature=x" and content_type == ""
    assert body["Status"] == "SUCCESS"
    assert body["Data"] == {"Production": groups["blue"], "Test": groups["green"]}
    assert (body["StackId"], body["RequestId"], body["LogicalResourceId"]) == (
        "stack-id", "request-1", "LiveRoutes")
    assert body["PhysicalResourceId"] == "LiveRoutes"


def test_failure_is_put_with_the_reason_and_the_same_physical_id(elb, response_url):
    client, props, groups = elb
    listener(client, props, 443, weighted((groups["blue"], 50), (groups["green"], 50)))
    guard.handler(event(response_url, "Update", props, physical_id="LiveRoutes"), None,
                  elbv2=client)
    ((_, _, body),) = _Receiver.received
    assert body["Status"] == "FAILED" and "in flight" in body["Reason"]
    assert body["PhysicalResourceId"] == "LiveRoutes"


def test_a_handler_exception_still_answers_failed(response_url):
    class Broken:
        def get_paginator(self, name):
            raise RuntimeError("the API is down")
    guard.handler(event(response_url, "Update", {"LoadBalancerArn": "x"}, "LiveRoutes"), None,
                  elbv2=Broken())
    ((_, _, body),) = _Receiver.received
    assert body["Status"] == "FAILED" and "the API is down" in body["Reason"]


def test_delete_succeeds_without_reading_anything(response_url):
    guard.handler(event(response_url, "Delete", {}, "LiveRoutes"), None, elbv2=object())
    ((_, _, body),) = _Receiver.received
    assert body["Status"] == "SUCCESS" and body["PhysicalResourceId"] == "LiveRoutes"


# --- the template ------------------------------------------------------------------------------

def test_listeners_take_their_targets_from_the_guard(template):
    resources = template["Resources"]
    assert resources["ProductionListener"]["Properties"]["DefaultActions"] == [
        {"Type": "forward", "TargetGroupArn": {"Fn::GetAtt": ["LiveRoutes", "Production"]}}]
    assert resources["TestListener"]["Properties"]["DefaultActions"] == [
        {"Type": "forward", "TargetGroupArn": {"Fn::GetAtt": ["LiveRoutes", "Test"]}}]


def test_guard_properties_hold_every_listener_input(template, variant):
    settings = settings_for(variant)
    guard_resource = template["Resources"]["LiveRoutes"]
    p = guard_resource["Properties"]
    assert guard_resource["Type"] == "Custom::LiveRoutes"
    assert p["ServiceToken"] == {"Fn::GetAtt": ["LiveRoutesFunction", "Arn"]}
    assert 0 < p["ServiceTimeout"] <= 300  # an answer, or a failure, within minutes
    assert p["LoadBalancerArn"] == {"Ref": "LoadBalancer"}  # not the listeners
    assert p["BlueTargetGroupArn"] == {"Ref": "TargetGroupBlue"}
    assert p["GreenTargetGroupArn"] == {"Ref": "TargetGroupGreen"}
    https = settings.listeners.https
    assert p["ProductionPort"] == ("443" if https else "80")
    assert p["TestPort"] == str(settings.listeners.test_port)
    listeners = {name: r["Properties"] for name, r in template["Resources"].items()
                 if name in ("ProductionListener", "TestListener")}
    inputs = p["ListenerInputs"]
    assert inputs["ProductionProtocol"] == listeners["ProductionListener"]["Protocol"]
    assert inputs["TestProtocol"] == listeners["TestListener"]["Protocol"]
    assert inputs["Tags"] == listeners["ProductionListener"]["Tags"]
    if https:
        assert inputs["CertificateArn"] == {"Ref": "CertificateArn"}
        assert inputs["SslPolicy"] == listeners["ProductionListener"]["SslPolicy"]
    # Nothing in the guard refers to a listener: it finds them by port.
    assert "Listener" not in json.dumps({k: v for k, v in p.items() if k != "ListenerInputs"})


def test_embedded_guard_is_the_tested_module(template):
    code = template["Resources"]["LiveRoutesFunction"]["Properties"]["Code"]["ZipFile"]
    assert code == guard_source() == (ROOT / "stacks/lambdas/live_routes.py").read_text()


def test_status_names_the_live_colour_or_the_shares_of_a_shift():
    from stacks.status import describe_route
    assert describe_route({"green": 100, "blue": 0}) == "green"
    assert describe_route({"blue": 1}) == "blue"
    assert describe_route({"blue": 90, "green": 10}) == "shifting (blue 90, green 10)"
