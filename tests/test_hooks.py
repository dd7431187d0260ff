"""Deployments that check themselves: the test-traffic hook, alarms and notifications.

The hook handler runs against a real HTTP server on 127.0.0.1, and its call to CodeDeploy is
checked with botocore's Stubber; the template properties state the wiring.
"""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from stacks.hooks import hook_source
from stacks.lambdas import test_traffic_hook as hook
from variants import settings_for

ROOT = Path(__file__).resolve().parent.parent
EVENT = {"DeploymentId": "d-EXAMPLE111", "LifecycleEventHookExecutionId": "eyJ-example"}


class _Handler(http.server.BaseHTTPRequestHandler):
    calls = {"/flaky": 0}

    def do_GET(self):
        if self.path == "/slow":
            time.sleep(0.5)
        if self.path == "/flaky":  # every fifth request fails
            _Handler.calls["/flaky"] += 1
            code = 500 if _Handler.calls["/flaky"] % 5 == 0 else 200
        else:
            code = {"/ok": 200, "/slow": 200, "/error": 503, "/moved": 301}.get(self.path, 404)
        self.send_response(code)
        if code == 301:
            self.send_header("Location", "/ok")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class Context:
    def __init__(self, remaining_ms=60_000):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self):
        return self.remaining_ms


def run_hook(monkeypatch, url, paths, requests=4, ratio="1.0", budget_ms="300",
             remaining_ms=60_000, expected_status=None):
    for key, value in {"TEST_URL": url, "PATHS": paths, "REQUESTS": str(requests),
                       "SUCCESS_RATIO": ratio, "LATENCY_BUDGET_MS": budget_ms}.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("codedeploy", region_name="eu-west-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    stubber = Stubber(client)
    result = {}

    def expect(status):
        stubber.add_response("put_lifecycle_event_hook_execution_status",
                             {"lifecycleEventHookExecutionId": EVENT[
                                 "LifecycleEventHookExecutionId"]},
                             {"deploymentId": EVENT["DeploymentId"],
                              "lifecycleEventHookExecutionId": EVENT[
                                  "LifecycleEventHookExecutionId"],
                              "status": status})
    expect(expected_status)
    with stubber:
        start = time.monotonic()
        result = hook.handler(EVENT, Context(remaining_ms), codedeploy=client)
        result["seconds"] = time.monotonic() - start
        stubber.assert_no_pending_responses()
    return result


def test_all_good_succeeds(monkeypatch, server):
    result = run_hook(monkeypatch, server, "/ok", expected_status="Succeeded")
    assert result["status"] == "Succeeded"


def test_redirects_count_as_answers(monkeypatch, server):
    assert run_hook(monkeypatch, server, "/moved", expected_status="Succeeded")["status"] \
        == "Succeeded"


def test_5xx_fails(monkeypatch, server):
    assert run_hook(monkeypatch, server, "/ok,/error", expected_status="Failed")["status"] \
        == "Failed"


def test_slow_responses_fail(monkeypatch, server):
    result = run_hook(monkeypatch, server, "/slow", requests=2, budget_ms="100",
                      expected_status="Failed")
    assert result["status"] == "Failed"


def test_connection_refused_fails(monkeypatch):
    with __import__("socket").socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_hook(monkeypatch, f"http://127.0.0.1:{port}", "/", expected_status="Failed")
    assert result["status"] == "Failed"


def test_success_ratio_just_above_and_just_below(monkeypatch, server):
    # /flaky fails one request in five: 16 of 20 succeed = 0.8.
    _Handler.calls["/flaky"] = 0
    assert run_hook(monkeypatch, server, "/flaky", requests=20, ratio="0.8",
                    expected_status="Succeeded")["status"] == "Succeeded"
    _Handler.calls["/flaky"] = 0
    assert run_hook(monkeypatch, server, "/flaky", requests=20, ratio="0.81",
                    expected_status="Failed")["status"] == "Failed"


def test_bad_configuration_still_reports_failed(monkeypatch, server):
    result = run_hook(monkeypatch, server, "", expected_status="Failed")
    assert result["status"] == "Failed"
    monkeypatch.delenv("REQUESTS")
    assert hook.handler(EVENT, Context(), codedeploy=_Reporter())["status"] == "Failed"


class _Reporter:
    def put_lifecycle_event_hook_execution_status(self, **kwargs):
        self.kwargs = kwargs


def test_finishes_inside_its_timeout(monkeypatch, server):
    """With little time left it stops probing and reports, instead of hanging."""
    result = run_hook(monkeypatch, server, "/slow", requests=50, budget_ms="1000",
                      remaining_ms=(hook.SAFETY_SECONDS + 1) * 1000, expected_status="Failed")
    assert result["status"] == "Failed" and result["seconds"] < 3


def test_embedded_code_is_the_tested_module(template):
    if "TestTrafficHook" not in template["Resources"]:
        pytest.skip("hooks disabled")
    code = template["Resources"]["TestTrafficHook"]["Properties"]["Code"]["ZipFile"]
    assert code == hook_source() == (ROOT / "stacks/lambdas/test_traffic_hook.py").read_text()


# --- the template -----------------------------------------------------------------------------

def test_hook_reaches_the_test_listener_through_nat(template, variant):
    """The traffic path: hook in the task subnets -> their NAT -> the NAT's address admitted on
    the test port of the load balancer -> the test listener."""
    settings = settings_for(variant)
    resources = template["Resources"]
    if not settings.hooks.enabled:
        assert "TestTrafficHook" not in resources
        return
    function = resources["TestTrafficHook"]["Properties"]
    service_network = resources["Service"]["Properties"]["NetworkConfiguration"][
        "AwsvpcConfiguration"]
    assert function["VpcConfig"]["SubnetIds"] == service_network["Subnets"]
    port = settings.listeners.test_port
    egress = resources["TestTrafficHookSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    assert {(r["FromPort"], r["CidrIp"]) for r in egress} == {(port, "0.0.0.0/0"),
                                                              (443, "0.0.0.0/0")}
    assert function["Environment"]["Variables"]["TEST_URL"] == {
        "Fn::Sub": f"http://${{LoadBalancer.DNSName}}:{port}"}
    if settings.network.mode == "existing":
        return  # listeners.test_cidrs must hold the NAT addresses (settings insist)
    admitted = {r["Properties"]["CidrIp"]["Fn::Sub"] for name, r in resources.items()
                if name.startswith("TestListenerIngressFromNat")}
    tables = {a["Properties"]["SubnetId"]["Ref"]: a["Properties"]["RouteTableId"]["Ref"]
              for a in resources.values() if a["Type"] == "AWS::EC2::SubnetRouteTableAssociation"}
    for subnet in function["VpcConfig"]["SubnetIds"]:
        (route,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::EC2::Route"
                    and r["Properties"]["RouteTableId"] == {"Ref": tables[subnet["Ref"]]}]
        nat = resources[route["NatGatewayId"]["Ref"]]["Properties"]
        address = nat["AllocationId"]["Fn::GetAtt"][0]
        assert f"${{{address}}}/32" in admitted
    listener_ports = [r["Properties"]["Port"] for r in resources.values()
                      if r["Type"] == "AWS::ElasticLoadBalancingV2::Listener"]
    assert port in listener_ports


def test_hook_settings_reach_the_function(template, variant):
    settings = settings_for(variant)
    if not settings.hooks.enabled:
        pytest.skip("hooks disabled")
    function = template["Resources"]["TestTrafficHook"]["Properties"]
    variables = function["Environment"]["Variables"]
    assert variables["PATHS"] == ",".join(settings.hooks.paths
                                          or [settings.service.health_check_path])
    assert variables["REQUESTS"] == str(settings.hooks.requests)
    assert float(variables["SUCCESS_RATIO"]) == settings.hooks.success_ratio
    assert function["Timeout"] == settings.hooks.timeout_seconds
    assert function["Handler"] == "index.handler"
    assert function["FunctionName"].startswith("CodeDeployHook_")


def test_alarms_per_target_group_wired_to_rollback(template, variant):
    settings = settings_for(variant)
    resources = template["Resources"]
    alarms = {name: r["Properties"] for name, r in resources.items()
              if r["Type"] == "AWS::CloudWatch::Alarm"}
    group = resources["DeploymentGroup"]["Properties"]
    events = group["AutoRollbackConfiguration"]["Events"]
    if not settings.alarms.enabled:
        assert alarms == {} and "AlarmConfiguration" not in group
        assert "DEPLOYMENT_STOP_ON_ALARM" not in events
        return
    assert "DEPLOYMENT_STOP_ON_ALARM" in events
    configuration = group["AlarmConfiguration"]
    assert configuration["Enabled"] is True and configuration["IgnorePollAlarmFailure"] is False
    assert sorted(a["Name"]["Ref"] for a in configuration["Alarms"]) == sorted(alarms)
    by_group = {}
    for alarm in alarms.values():
        dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        target_group = dimensions["TargetGroup"]["Fn::GetAtt"][0]
        by_group.setdefault(target_group, set()).add(alarm["MetricName"])
        assert dimensions["LoadBalancer"] == {"Fn::GetAtt": ["LoadBalancer",
                                                             "LoadBalancerFullName"]}
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["EvaluationPeriods"] == settings.alarms.evaluation_periods
    metrics = {"HTTPCode_Target_5XX_Count", "UnHealthyHostCount", "TargetResponseTime"}
    assert by_group == {"TargetGroupBlue": metrics, "TargetGroupGreen": metrics}
    latency = [a for a in alarms.values() if a["MetricName"] == "TargetResponseTime"]
    assert {a["ExtendedStatistic"] for a in latency} == {settings.alarms.response_time_percentile}
    assert {a["Threshold"] for a in latency} == {settings.alarms.response_time_seconds}


def test_notifications(template, variant):
    settings = settings_for(variant)
    group = template["Resources"]["DeploymentGroup"]["Properties"]
    if not settings.notifications.enabled:
        assert "TriggerConfigurations" not in group and "DeploymentTopic" not in \
            template["Resources"]
        return
    (trigger,) = group["TriggerConfigurations"]
    assert trigger["TriggerTargetArn"] == {"Ref": "DeploymentTopic"}
    assert {"DeploymentStart", "DeploymentSuccess", "DeploymentFailure", "DeploymentStop",
            "DeploymentRollback"} <= set(trigger["TriggerEvents"])
    assert template["Conditions"]["HasNotificationEmail"]
    assert template["Parameters"]["NotificationEmail"]["Default"] == ""


def test_codedeploy_may_invoke_only_our_hook(template, variant):
    settings = settings_for(variant)
    role = template["Resources"]["CodeDeployRole"]["Properties"]
    (policy,) = role["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert statements["OnlyOurHooks"]["Effect"] == "Deny"
    if settings.hooks.enabled:
        assert statements["OnlyOurHooks"]["NotResource"] == [
            {"Fn::GetAtt": ["TestTrafficHook", "Arn"]}]
    else:
        assert statements["OnlyOurHooks"]["Resource"] == ["*"]


def test_variants_cover_checks_on_and_off():
    from variants import VARIANTS
    kinds = {(settings_for(v).hooks.enabled, settings_for(v).alarms.enabled,
              settings_for(v).notifications.enabled) for v in VARIANTS}
    assert (True, True, False) in kinds and (False, False, False) in kinds
    assert any(notify for *_, notify in kinds)
