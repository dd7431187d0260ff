"""The live-route guard: its reading of the listeners against moto's ELBv2, the rollback sequence,
the custom-resource protocol against a real HTTP server on 127.0.0.1, and the template wiring.

The handler runs as CloudFormation invokes it: an event with ResourceProperties (every value a
string, as CloudFormation passes them), OldResourceProperties on updates, and a presigned URL
to PUT the answer to. Whether a request is part of a rollback comes from the stack's status,
here from botocore's Stubber in place of CloudFormation.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from moto_harness import load_balancer_in_moto, presigned_url
from shipped import FORMS, handler_module
from stacks.functions import handler_source
from stacks.lambdas import guard_handler as guard
from stacks.live_routes import AT_CREATION_WEIGHTS, GUARD_MODULE, ROUTES
from variants import ROOT, VARIANTS, settings_for, stack_for

REGION = "eu-west-1"
STACK_ID = f"arn:aws:cloudformation:{REGION}:123456789012:stack/webapp-dev/0123abcd"
CREATION = {"ProductionBlue": "100", "ProductionGreen": "0", "TestBlue": "0",
            "TestGreen": "100"}


@pytest.fixture
def elb(monkeypatch):
    """A load balancer with blue, green and an unrelated target group, in moto."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        load_balancer, groups = load_balancer_in_moto(REGION, ("blue", "green", "other"))
        client = boto3.client("elbv2", region_name=REGION)
        yield client, properties(load_balancer, groups), groups


def properties(load_balancer: str, groups: dict, production: int = 443,
               test: int = 8080) -> dict:
    """ResourceProperties as CloudFormation sends them: every value a string."""
    return {"BlueTargetGroupArn": groups["blue"], "GreenTargetGroupArn": groups["green"],
            "ListenerInputs": {
                "Production": {"LoadBalancerArn": load_balancer, "Port": str(production),
                               "Protocol": "HTTPS" if production == 443 else "HTTP"},
                "Test": {"LoadBalancerArn": load_balancer, "Port": str(test),
                         "Protocol": "HTTP"}}}


def listener(client, props, port, action):
    load_balancer = props["ListenerInputs"]["Production"]["LoadBalancerArn"]
    return client.create_listener(LoadBalancerArn=load_balancer, Protocol="HTTP",
                                  Port=port, DefaultActions=[action])["Listeners"][0]


def forward(arn):
    return {"Type": "forward", "TargetGroupArn": arn}


def weighted(*pairs):
    return {"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": arn, "Weight": weight} for arn, weight in pairs]}}


REDIRECT = {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443",
                                                   "StatusCode": "HTTP_301"}}


def answer(production: str, test: str) -> dict:
    """The guard's Data for routes settled on one colour each."""
    return {f"{route}{colour}": "100" if colour.lower() == live else "0"
            for route, live in (("Production", production), ("Test", test))
            for colour in ("Blue", "Green")}


# --- reading the live routes -----------------------------------------------------------------------

def test_no_listeners_yet_means_production_blue_and_test_green(elb):
    client, props, _ = elb
    assert guard.live_weights(client, props) == CREATION == answer("blue", "green")
    # what the template and the Terraform rendition assume the guard answers at creation
    assert CREATION == {key: str(weight) for key, weight in AT_CREATION_WEIGHTS.items()}


def test_plain_forwards_as_created(elb):
    client, props, groups = elb
    listener(client, props, 443, forward(groups["blue"]))
    listener(client, props, 8080, forward(groups["green"]))
    assert guard.live_weights(client, props, props) == answer("blue", "green")


def test_after_a_plain_swap(elb):
    client, props, groups = elb
    listener(client, props, 443, forward(groups["green"]))
    listener(client, props, 8080, forward(groups["blue"]))
    assert guard.live_weights(client, props, props) == answer("green", "blue")


@pytest.mark.parametrize("order", ["live-first", "idle-first"])
def test_after_a_weighted_swap_in_either_order(elb, order):
    """CodeDeploy leaves the routes as weighted forwards: new group 100, old group 0."""
    client, props, groups = elb
    pairs = [(groups["green"], 100), (groups["blue"], 0)]
    if order == "idle-first":
        pairs.reverse()
    listener(client, props, 443, weighted(*pairs))
    listener(client, props, 8080, weighted(*reversed([(g, 100 - w) for g, w in pairs])))
    assert guard.live_weights(client, props, props) == answer("green", "blue")


def test_a_shift_in_flight_refuses_an_update_and_is_kept_by_a_rollback(elb):
    client, props, groups = elb
    listener(client, props, 443, weighted((groups["blue"], 90), (groups["green"], 10)))
    listener(client, props, 8080, forward(groups["green"]))
    with pytest.raises(guard.Refused, match="traffic shift in flight.*nothing changed"):
        guard.live_weights(client, props, props)
    # A rollback never refuses: the listener gets the weights it has now.
    assert guard.live_weights(client, props, props, rollback=True) == {
        "ProductionBlue": "90", "ProductionGreen": "10", "TestBlue": "0", "TestGreen": "100"}


def test_listeners_on_other_ports_are_ignored(elb):
    client, props, groups = elb
    listener(client, props, 9090, forward(groups["other"]))
    listener(client, props, 80, REDIRECT)
    listener(client, props, 8080, forward(groups["blue"]))
    assert guard.live_weights(client, props) == answer("blue", "blue")


def test_a_route_to_an_unknown_group_refuses_an_update(elb):
    client, props, groups = elb
    listener(client, props, 443, forward(groups["other"]))
    with pytest.raises(guard.Refused, match="neither blue nor green"):
        guard.live_weights(client, props, props)
    assert guard.live_weights(client, props, props, rollback=True)["ProductionBlue"] == "100"


def test_a_listener_that_does_not_forward_refuses_an_update(elb):
    """A production listener turned into a fixed response (a maintenance page, say) must not
    silently be pointed back at blue."""
    client, props, _ = elb
    listener(client, props, 443, {"Type": "fixed-response", "FixedResponseConfig": {
        "StatusCode": "503", "ContentType": "text/plain", "MessageBody": "maintenance"}})
    with pytest.raises(guard.Refused, match="Production listener on port 443 does not forward"):
        guard.live_weights(client, props, props)


def test_switching_https_is_refused_and_its_rollback_reads_the_right_listener(elb):
    """listeners.https false -> true moves production from 80 to 443 while the redirect
    listener would take 80: refused before any listener changes. The rollback request (new
    and old properties swapped) skips the listener that does not forward."""
    client, http_only, groups = elb
    https = {**http_only, "ListenerInputs": {**http_only["ListenerInputs"],
                                             "Production": {**http_only["ListenerInputs"][
                                                 "Production"], "Port": "443"}}}
    http_only["ListenerInputs"]["Production"]["Port"] = "80"
    listener(client, http_only, 80, weighted((groups["green"], 100), (groups["blue"], 0)))
    listener(client, http_only, 8080, forward(groups["blue"]))
    with pytest.raises(guard.Refused, match="would move from port 80 to 443.*new stack"):
        guard.live_weights(client, https, http_only)
    assert guard.live_weights(client, http_only, https, rollback=True) == answer("green", "blue")


def test_an_https_stack_switching_off_is_refused_too(elb):
    client, https, groups = elb
    http_only = json.loads(json.dumps(https))
    http_only["ListenerInputs"]["Production"]["Port"] = "80"
    listener(client, https, 443, forward(groups["blue"]))
    listener(client, https, 80, REDIRECT)
    with pytest.raises(guard.Refused, match="would move from port 443 to 80"):
        guard.live_weights(client, http_only, https)
    # Its rollback: the failed update's port (80) holds only the redirect; 443 is read.
    assert guard.live_weights(client, https, http_only, rollback=True) == answer("blue",
                                                                               "green")


def test_a_new_test_port_is_read_where_the_listener_still_is(elb):
    """An update that moves the test listener: the guard runs first, so the listener is
    still on the old port, forwarding to blue after a swap; green would be wrong."""
    client, old, groups = elb
    new = json.loads(json.dumps(old))
    new["ListenerInputs"]["Test"]["Port"] = "9443"
    listener(client, old, 443, forward(groups["green"]))
    listener(client, old, 8080, forward(groups["blue"]))
    assert guard.live_weights(client, new, old) == answer("green", "blue")


def test_properties_of_templates_rendered_before_the_derived_inputs(elb):
    """An upgrade: the stack's previous guard had ProductionPort/TestPort properties."""
    client, props, groups = elb
    old = {"LoadBalancerArn": props["ListenerInputs"]["Test"]["LoadBalancerArn"],
           "ProductionPort": "443", "TestPort": "8080", "BlueTargetGroupArn": groups["blue"],
           "GreenTargetGroupArn": groups["green"], "ListenerInputs": {"Tags": []}}
    listener(client, props, 443, forward(groups["green"]))
    listener(client, props, 8080, forward(groups["blue"]))
    assert guard.live_weights(client, props, old) == answer("green", "blue")


# --- rollback or not --------------------------------------------------------------------------------

def stack_status(status: str | None):
    """A CloudFormation client whose DescribeStacks answers `status` (None: an error)."""
    client = boto3.client("cloudformation", region_name=REGION, aws_access_key_id="x",
                          aws_secret_access_key="x")
    stubber = Stubber(client)
    if status is None:
        stubber.add_client_error("describe_stacks", "Throttling", "Rate exceeded")
    else:
        stubber.add_response("describe_stacks", {"Stacks": [{
            "StackName": "webapp-dev", "StackId": STACK_ID, "StackStatus": status,
            "CreationTime": "2026-01-01T00:00:00Z"}]}, {"StackName": STACK_ID})
    stubber.activate()
    return client


@pytest.mark.parametrize("status, rollback", [
    ("UPDATE_IN_PROGRESS", False), ("UPDATE_ROLLBACK_IN_PROGRESS", True),
    ("UPDATE_ROLLBACK_FAILED", True), (None, True)])
def test_a_rollback_is_told_by_the_stack_status_and_assumed_in_doubt(status, rollback):
    assert guard.in_rollback(stack_status(status), STACK_ID) is rollback


# --- the custom-resource protocol -------------------------------------------------------------------

class Answers:
    """The answers PUT to the presigned URL."""

    def __init__(self, url: str, received: list):
        self.url, self.received = url, received

    def last(self) -> dict:
        ((_, _, body),) = self.received
        self.received.clear()
        return body


@pytest.fixture
def answers():
    with presigned_url() as (url, received):
        yield Answers(url, received)


def event(url, request_type, props, old=None, physical_id=None):
    value = {"RequestType": request_type, "ResponseURL": url, "StackId": STACK_ID,
             "RequestId": "request-1", "LogicalResourceId": "LiveRoutes",
             "ResourceType": "Custom::LiveRoutes", "ResourceProperties": props}
    if old is not None:
        value["OldResourceProperties"] = old
    if physical_id:
        value["PhysicalResourceId"] = physical_id
    return value


@pytest.fixture(params=FORMS)
def shipped(request):
    """The guard as either template ships it: the module itself, or minified."""
    return handler_module(GUARD_MODULE, request.param)


def test_create_puts_success_to_the_presigned_url(elb, answers, shipped):
    client, props, _ = elb
    shipped.handler(event(answers.url, "Create", props), None, elbv2=client)
    ((path, content_type, body),) = answers.received
    assert path == "/presigned?signature=x" and content_type == ""
    assert body["Status"] == "SUCCESS" and body["Data"] == CREATION
    assert (body["StackId"], body["RequestId"], body["LogicalResourceId"]) == (
        STACK_ID, "request-1", "LiveRoutes")
    assert body["PhysicalResourceId"] == "LiveRoutes"


def test_the_rollback_sequence_of_an_update_during_a_shift(elb, answers, shipped):
    """1. The update arrives while a canary is at 10 %: refused, FAILED, nothing changed.
    2. CloudFormation rolls back and sends the guard an Update with the properties swapped:
       answered SUCCESS with the live weights, so the rollback completes and keeps the shift.
    Without the rollback rule, step 2 would fail the same way and strand the stack in
    UPDATE_ROLLBACK_FAILED."""
    client, before, groups = elb
    after = json.loads(json.dumps(before))
    after["ListenerInputs"]["Production"]["SslPolicy"] = "ELBSecurityPolicy-TLS13-1-3-2021-06"
    listener(client, before, 443, weighted((groups["blue"], 90), (groups["green"], 10)))
    listener(client, before, 8080, forward(groups["green"]))
    shipped.handler(event(answers.url, "Update", after, before, "LiveRoutes"), None,
                    elbv2=client, cloudformation=stack_status("UPDATE_IN_PROGRESS"))
    body = answers.last()
    assert body["Status"] == "FAILED" and "in flight" in body["Reason"]
    assert body["PhysicalResourceId"] == "LiveRoutes"
    shipped.handler(event(answers.url, "Update", before, after, "LiveRoutes"), None,
                    elbv2=client, cloudformation=stack_status("UPDATE_ROLLBACK_IN_PROGRESS"))
    body = answers.last()
    assert body["Status"] == "SUCCESS" and body["PhysicalResourceId"] == "LiveRoutes"
    assert (body["Data"]["ProductionBlue"], body["Data"]["ProductionGreen"]) == ("90", "10")


def test_a_handler_exception_still_answers_failed(answers, shipped):
    class Broken:
        def get_paginator(self, name):
            raise RuntimeError("the API is down")
    props = {"BlueTargetGroupArn": "b", "GreenTargetGroupArn": "g", "ListenerInputs": {
        "Production": {"LoadBalancerArn": "x", "Port": "443"}}}
    shipped.handler(event(answers.url, "Create", props), None, elbv2=Broken())
    body = answers.last()
    assert body["Status"] == "FAILED" and "the API is down" in body["Reason"]


def test_delete_succeeds_without_reading_anything(answers, shipped):
    shipped.handler(event(answers.url, "Delete", {}, physical_id="LiveRoutes"), None,
                  elbv2=object(), cloudformation=object())
    body = answers.last()
    assert body["Status"] == "SUCCESS" and body["PhysicalResourceId"] == "LiveRoutes"


# --- the template -------------------------------------------------------------------------------

@pytest.mark.parametrize("variant_name", sorted(VARIANTS))
def test_guard_inputs_are_every_listener_property_but_the_default_actions(variant_name):
    """Derived, not listed: any property a forwarding listener has, the guard has too, so a
    change to it makes CloudFormation ask the guard again before the listener is updated."""
    stack = stack_for(variant_name)
    document = stack.document()["Resources"]
    guard_resource = document[stack.load_balancing.guard.resource.title]
    assert guard_resource["Type"] == "Custom::LiveRoutes"
    inputs = guard_resource["Properties"]["ListenerInputs"]
    listeners = {"Production": stack.load_balancing.production_listener,
                 "Test": stack.load_balancing.test_listener}
    assert sorted(inputs) == sorted(ROUTES)
    rules = stack.load_balancing.rules  # engine ecs: the routes are rules of the listeners
    for route, handle in listeners.items():
        properties = dict(document[handle.title]["Properties"])
        assert properties.pop("DefaultActions")
        route_handle = handle
        if rules is not None:
            rule = dict(document[rules[route].title]["Properties"])
            assert rule.pop("ListenerArn") == {"Ref": handle.title}
            assert rule.pop("Actions")
            properties["Rule"] = rule
            route_handle = rules[route]
        assert inputs[route] == properties, route
        # The route's weights are the guard's answer for this route.
        (action,) = document[route_handle.title]["Properties"][
            "Actions" if rules is not None else "DefaultActions"]
        assert [t["Weight"] for t in action["ForwardConfig"]["TargetGroups"]] == [
            {"Fn::GetAtt": [stack.load_balancing.guard.resource.title, f"{route}{colour}"]}
            for colour in ("Blue", "Green")]


def test_a_property_added_to_a_listener_reaches_the_guard():
    """The mechanism itself: a listener built with one more property (mutual TLS here)
    carries it into the guard's inputs without anyone listing it."""
    from troposphere import Template
    from troposphere import elasticloadbalancingv2 as elb_types

    from stacks.live_routes import guard_listeners
    from stacks.naming import names_for
    from stacks.settings import parse_settings

    settings = parse_settings({})
    template = Template()
    groups = {c: template.add_resource(elb_types.TargetGroup(f"Group{c}")) for c in
              ("blue", "green")}
    production = elb_types.Listener("P", Port=443, Protocol="HTTPS", LoadBalancerArn="lb",
                                    MutualAuthentication=elb_types.MutualAuthentication(
                                        Mode="verify", TrustStoreArn="trust-store"))
    test = elb_types.Listener("T", Port=8080, Protocol="HTTP", LoadBalancerArn="lb")
    resource = guard_listeners(template, settings, names_for(settings), groups,
                               {"Production": production, "Test": test}).resource
    inputs = resource.to_dict()["Properties"]["ListenerInputs"]
    assert inputs["Production"]["MutualAuthentication"] == {"Mode": "verify",
                                                            "TrustStoreArn": "trust-store"}


def test_the_redirect_listener_waits_for_the_guard(template):
    """When listeners.https changes on a live stack, the guard's refusal must come before
    the redirect listener collides with the production listener on port 80."""
    redirect = template["Resources"].get("HttpRedirectListener")
    if redirect is None:
        pytest.skip("no HTTPS")
    assert redirect["DependsOn"] == "LiveRoutes"


def test_the_guard_answers_within_minutes_and_may_read_only(template):
    p = template["Resources"]["LiveRoutes"]["Properties"]
    assert p["ServiceToken"] == {"Fn::GetAtt": ["LiveRoutesFunction", "Arn"]}
    assert 0 < p["ServiceTimeout"] <= 300  # an answer, or a failure, within minutes
    function = template["Resources"]["LiveRoutesFunction"]["Properties"]
    assert function["Timeout"] < p["ServiceTimeout"]


def test_embedded_guard_is_the_tested_module(template, variant):
    code = template["Resources"]["LiveRoutesFunction"]["Properties"]["Code"]["ZipFile"]
    module = guard.__loader__.get_source(guard.__name__)
    if settings_for(variant).deployment.engine == "ecs":  # continued by guard_ecs.py
        module += "\n\n" + (ROOT / "stacks/lambdas/guard_ecs.py").read_text()
    else:
        assert code == handler_source(GUARD_MODULE)
    assert code == module


def test_status_names_the_live_colour_or_the_shares_of_a_shift():
    from stacks.status import describe_route
    assert describe_route({"green": 100, "blue": 0}) == "green"
    assert describe_route({"blue": 1}) == "blue"
    assert describe_route({"blue": 90, "green": 10}) == "shifting (blue 90, green 10)"
