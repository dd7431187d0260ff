"""Deployments that check themselves: the test-traffic hook, alarms and notifications.

The hook handler runs against a real HTTP server on 127.0.0.1, as imported and as the
deployable template ships it (minified); its call to CodeDeploy is checked with botocore's
Stubber, and its bounded report against a CodeDeploy endpoint that never answers. The template
properties state the wiring.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from shipped import FORMS, handler_module
from stacks.hooks import hook_source
from stacks.lambdas import hook_handler as readable_hook
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
        elif self.path.startswith("/ok-after-"):  # the first N requests fail
            _Handler.calls[self.path] = _Handler.calls.get(self.path, 0) + 1
            code = 200 if _Handler.calls[self.path] > int(self.path.rsplit("-", 1)[1]) else 503
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


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for the service's domain, not for the address the probe calls, signed
    by nobody: what a test listener with an imported certificate serves."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "app.example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("app.example.com")]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    cert, private = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert, private


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    import ssl
    cert, key = _self_signed(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


# The two contracts the one probing serves: CodeDeploy's hook (reports its verdict) and ECS's
# lifecycle hook (returns it; the module continued by hook_ecs.py).
CONTRACTS = {"codedeploy": "hook_handler.py", "ecs": "hook_handler.py+hook_ecs.py"}
# ECS's lifecycle-hook event, as the ECS guide shows it
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/lambda-lifecycle-hooks.html).
ECS_EVENT = {
    "executionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
    "lifecycleStage": "POST_TEST_TRAFFIC_SHIFT",
    "resourceArn": "arn:aws:ecs:eu-west-1:111122223333:service-deployment/webapp-dev/"
                   "webapp-dev/EXAMPLE",
    "executionDetails": {
        "serviceArn": "arn:aws:ecs:eu-west-1:111122223333:service/webapp-dev/webapp-dev",
        "targetServiceRevisionArn": "arn:aws:ecs:eu-west-1:111122223333:service-revision/"
                                    "webapp-dev/webapp-dev/EXAMPLE",
        "testTrafficWeights": {}, "productionTrafficWeights": {}},
}


@pytest.fixture(params=[(contract, form) for contract in CONTRACTS for form in FORMS],
                ids=lambda p: "-".join(p))
def hook(request):
    contract, form = request.param
    module = handler_module(CONTRACTS[contract], form)
    module.contract = contract
    return module


@pytest.fixture(params=FORMS)
def reporting_hook(request):
    """CodeDeploy's contract only: the report and its client."""
    return handler_module(CONTRACTS["codedeploy"], request.param)


class Context:
    def __init__(self, remaining_ms=60_000):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self):
        return self.remaining_ms


def configure(monkeypatch, url, paths, requests=4, ratio="1.0", budget_ms="300"):
    for key, value in {"TEST_URL": url, "PATHS": paths, "REQUESTS": str(requests),
                       "SUCCESS_RATIO": ratio, "LATENCY_BUDGET_MS": budget_ms}.items():
        monkeypatch.setenv(key, value)


def run_hook(hook, monkeypatch, capsys, url, paths, expected_status, remaining_ms=60_000,
             **config):
    """Run the handler; return its logged verdict. The stubbed CodeDeploy client fails the
    test unless it receives exactly one report with `expected_status`."""
    configure(monkeypatch, url, paths, **config)
    client = boto3.client("codedeploy", region_name="eu-west-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_response("put_lifecycle_event_hook_execution_status",
                         {"lifecycleEventHookExecutionId": EVENT[
                             "LifecycleEventHookExecutionId"]},
                         {"deploymentId": EVENT["DeploymentId"],
                          "lifecycleEventHookExecutionId": EVENT[
                              "LifecycleEventHookExecutionId"],
                          "status": expected_status})
    capsys.readouterr()
    if getattr(hook, "contract", "codedeploy") == "ecs":
        # ECS takes the verdict as the answer; nothing may be reported to CodeDeploy.
        result = hook.handler(ECS_EVENT, Context(remaining_ms))
        assert result == {"hookStatus": expected_status.upper()}
        log = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert log["stage"] == ECS_EVENT["lifecycleStage"]
        log["status"] = log["status"].capitalize()
        return log
    with stubber:
        result = hook.handler(EVENT, Context(remaining_ms), codedeploy=client)
        stubber.assert_no_pending_responses()
    assert result == {"status": expected_status}
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_all_good_succeeds(hook, monkeypatch, capsys, server):
    log = run_hook(hook, monkeypatch, capsys, server, "/ok", "Succeeded")
    assert (log["successes"], log["attempts"]) == (4, 4)


def test_probes_an_https_test_listener_whatever_its_certificate_names(hook, monkeypatch,
                                                                       capsys, tls_server):
    """With listeners.https the test listener serves the production certificate: issued for
    the service's domain (here self-signed for app.example.com), called by the load
    balancer's address. The probe judges the tasks' answers, not the certificate."""
    log = run_hook(hook, monkeypatch, capsys, tls_server, "/ok,/error", "Failed")
    assert (log["successes"], log["attempts"]) == (4, 8)


def test_redirects_count_as_answers(hook, monkeypatch, capsys, server):
    run_hook(hook, monkeypatch, capsys, server, "/moved", "Succeeded")


def test_5xx_fails(hook, monkeypatch, capsys, server):
    log = run_hook(hook, monkeypatch, capsys, server, "/ok,/error", "Failed")
    assert log["failures"] == {"/error: HTTP 503": 4}


def test_slow_responses_fail(hook, monkeypatch, capsys, server):
    log = run_hook(hook, monkeypatch, capsys, server, "/slow", "Failed", requests=2,
                   budget_ms="100")
    assert log["successes"] == 0


def test_connection_refused_fails(hook, monkeypatch, capsys):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = run_hook(hook, monkeypatch, capsys, f"http://127.0.0.1:{port}", "/", "Failed")
    assert log["successes"] == 0


def test_success_ratio_just_above_and_just_below(hook, monkeypatch, capsys, server):
    # /flaky fails one request in five: 16 of 20 succeed = 0.8.
    _Handler.calls["/flaky"] = 0
    run_hook(hook, monkeypatch, capsys, server, "/flaky", "Succeeded", requests=20,
             ratio="0.8")
    _Handler.calls["/flaky"] = 0
    run_hook(hook, monkeypatch, capsys, server, "/flaky", "Failed", requests=20, ratio="0.81")


def test_the_ratio_is_compared_exactly(hook, monkeypatch, capsys, server):
    """14 of 25 is exactly 0.56; in floating point 0.56 * 25 is 14.000000000000002, and a
    float comparison would call a passing deployment failed (and roll it back)."""
    assert 0.56 * 25 > 14
    path = "/ok-after-11"  # 11 failures, then successes: 14 of 25
    _Handler.calls.pop(path, None)
    log = run_hook(hook, monkeypatch, capsys, server, path, "Succeeded", requests=25,
                   ratio="0.56")
    assert (log["successes"], log["attempts"]) == (14, 25)
    _Handler.calls.pop(path, None)
    run_hook(hook, monkeypatch, capsys, server, path, "Failed", requests=25, ratio="0.57")


def test_bad_configuration_still_reports_failed(hook, monkeypatch, capsys, server):
    log = run_hook(hook, monkeypatch, capsys, server, "", "Failed")
    assert "bad configuration" in log["error"]


def test_stops_probing_in_time_to_report(hook, monkeypatch, capsys, server):
    """With one second left before its reserve, the hook does not start the 50 slow
    requests it was asked for: the rest are counted "out of time" and the report goes out."""
    log = run_hook(hook, monkeypatch, capsys, server, "/slow", "Failed", requests=50,
                   budget_ms="1000",
                   remaining_ms=(readable_hook.SAFETY_SECONDS + 1) * 1000)
    assert log["failures"].get("/slow: out of time", 0) >= 40


def test_the_report_fits_in_the_reserve(monkeypatch):
    """The reserve kept for the report covers the worst case of the client the hook builds:
    every attempt timing out on connect and read, plus standard mode's backoff between
    attempts (at most 1 s before the second attempt)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    config = readable_hook.codedeploy_client().meta.config
    attempts = config.retries["total_max_attempts"]
    worst = attempts * (config.connect_timeout + config.read_timeout) + (attempts - 1) * 1
    assert config.retries["mode"] == "standard"
    assert worst < readable_hook.SAFETY_SECONDS


class _Silent(http.server.BaseHTTPRequestHandler):
    """A CodeDeploy endpoint that accepts the request and never answers."""
    requests = 0

    def do_POST(self):
        _Silent.requests += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(30)

    def log_message(self, *args):
        pass


def test_an_endpoint_that_never_answers_costs_a_bounded_number_of_attempts(
        reporting_hook, monkeypatch, capsys, server):
    """The real client, as the handler builds it, against a stalled endpoint: it gives up
    after its attempts instead of botocore's default of 60 s reads and more retries."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Silent)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _Silent.requests = 0
    endpoint = f"http://127.0.0.1:{httpd.server_address[1]}"
    for key, value in {"AWS_ENDPOINT_URL_CODEDEPLOY": endpoint, "AWS_DEFAULT_REGION": "eu-west-1",
                       "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}.items():
        monkeypatch.setenv(key, value)
    configure(monkeypatch, server, "/ok", requests=1)
    try:
        with pytest.raises(Exception, match="Read timeout"):
            reporting_hook.handler(EVENT, Context())
    finally:
        httpd.shutdown()
    assert _Silent.requests == readable_hook.REPORT_ATTEMPTS


def test_the_client_is_made_once_and_before_any_probe(reporting_hook, monkeypatch, capsys,
                                                      server):
    """Making the client can take seconds (credentials, endpoint resolution); made in the
    `finally`, it would eat the reserve kept for the report."""
    probes_when_made = []
    client = boto3.client("codedeploy", region_name="eu-west-1", aws_access_key_id="x",
                          aws_secret_access_key="x")

    def make_client(service, **kwargs):  # boto3.client, as the handler calls it
        assert service == "codedeploy"
        probes_when_made.append(sum(_Handler.calls.values()))
        return client

    stubber = Stubber(client)
    stubber.add_response("put_lifecycle_event_hook_execution_status",
                         {"lifecycleEventHookExecutionId": EVENT[
                             "LifecycleEventHookExecutionId"]})
    monkeypatch.setattr(boto3, "client", make_client)
    configure(monkeypatch, server, "/ok-after-0", requests=3)
    _Handler.calls.pop("/ok-after-0", None)
    with stubber:
        assert reporting_hook.handler(EVENT, Context()) == {"status": "Succeeded"}
    assert _Handler.calls["/ok-after-0"] == 3  # the probes were counted
    assert probes_when_made == [sum(_Handler.calls.values()) - 3]


@pytest.mark.parametrize("form", FORMS)
def test_the_ecs_hook_answers_without_any_aws_client(form, monkeypatch, capsys, server):
    """ECS takes the verdict as the function's answer: no client, no report, no call that
    could fail or need a permission (its role has none but its logs: policies/hook.py)."""
    def no_client(*args, **kwargs):
        raise AssertionError("an ECS hook makes no AWS call")
    monkeypatch.setattr(boto3, "client", no_client)
    configure(monkeypatch, server, "/ok,/error", requests=2)
    ecs_hook = handler_module(CONTRACTS["ecs"], form)
    assert ecs_hook.handler(ECS_EVENT, Context()) == {"hookStatus": "FAILED"}
    configure(monkeypatch, server, "/ok", requests=2)
    assert ecs_hook.handler(ECS_EVENT, Context()) == {"hookStatus": "SUCCEEDED"}
    monkeypatch.setenv("REQUESTS", "zero")  # a bad configuration fails, never raises
    assert ecs_hook.handler(ECS_EVENT, Context()) == {"hookStatus": "FAILED"}


def test_embedded_code_is_the_tested_module(template, variant):
    if "TestTrafficHook" not in template["Resources"]:
        pytest.skip("hooks disabled")
    code = template["Resources"]["TestTrafficHook"]["Properties"]["Code"]["ZipFile"]
    module = (ROOT / "stacks/lambdas/hook_handler.py").read_text()
    if settings_for(variant).deployment.engine == "ecs":  # continued by ECS's contract
        module += "\n\n" + (ROOT / "stacks/lambdas/hook_ecs.py").read_text()
    else:
        assert code == hook_source()
    assert code == module


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
    # Lambda never gives its interfaces public addresses: the tasks' subnets must have NAT.
    assert service_network["AssignPublicIp"] == "DISABLED"
    port = settings.listeners.test_port
    egress = resources["TestTrafficHookSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    # HTTPS to AWS for CodeDeploy's report; an ECS hook answers and calls no API.
    assert {(r["FromPort"], r["CidrIp"]) for r in egress} == {(port, "0.0.0.0/0")} | (
        {(443, "0.0.0.0/0")} if settings.deployment.engine == "codedeploy" else set())
    assert function["Environment"]["Variables"]["TEST_URL"] == {
        "Fn::Sub": f"{'https' if settings.listeners.https else 'http'}"
                   f"://${{LoadBalancer.DNSName}}:{port}"}
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


def test_the_hook_is_named_for_the_limited_managed_policy(template):
    if "TestTrafficHook" not in template["Resources"]:
        pytest.skip("hooks disabled")
    function = template["Resources"]["TestTrafficHook"]["Properties"]
    # AWSCodeDeployRoleForECSLimited invokes only functions named CodeDeployHook_*.
    assert function["FunctionName"].startswith("CodeDeployHook_")
    assert function["Handler"] == "index.handler"


def test_alarms_watch_both_target_groups(template, variant):
    settings = settings_for(variant)
    resources = template["Resources"]
    alarms = {name: r["Properties"] for name, r in resources.items()
              if r["Type"] == "AWS::CloudWatch::Alarm"}
    if not settings.alarms.enabled:
        return
    if settings.deployment.engine == "ecs":
        configuration = resources["Service"]["Properties"]["DeploymentConfiguration"]["Alarms"]
        # ECS watches them during the deployment and its bake time, and rolls back on one.
        assert configuration["Enable"] is True and configuration["Rollback"] is True
        assert sorted(a["Ref"] for a in configuration["AlarmNames"]) == sorted(alarms)
    else:
        group = resources["DeploymentGroup"]["Properties"]
        configuration = group["AlarmConfiguration"]
        # An alarm CodeDeploy cannot read stops the deployment rather than being ignored.
        assert configuration["Enabled"] is True
        assert configuration["IgnorePollAlarmFailure"] is False
        assert sorted(a["Name"]["Ref"] for a in configuration["Alarms"]) == sorted(alarms)
    by_group = {}
    for alarm in alarms.values():
        dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        target_group = dimensions["TargetGroup"]["Fn::GetAtt"]
        assert target_group[1] == "TargetGroupFullName"  # the metric dimension's form
        by_group.setdefault(target_group[0], set()).add(alarm["MetricName"])
        assert dimensions["LoadBalancer"] == {"Fn::GetAtt": ["LoadBalancer",
                                                             "LoadBalancerFullName"]}
        assert alarm["Namespace"] == "AWS/ApplicationELB"
        # The idle group has no traffic and no targets: no data is no alarm.
        assert alarm["TreatMissingData"] == "notBreaching"
    metrics = {"HTTPCode_Target_5XX_Count", "UnHealthyHostCount", "TargetResponseTime"}
    assert by_group == {"TargetGroupBlue": metrics, "TargetGroupGreen": metrics}


def test_codedeploy_may_invoke_only_our_hook_in_any_version(codedeploy_template, codedeploy_variant):
    template = codedeploy_template
    variant = codedeploy_variant
    settings = settings_for(variant)
    role = template["Resources"]["CodeDeployRole"]["Properties"]
    (policy,) = role["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert statements["OnlyOurHooks"]["Effect"] == "Deny"
    if settings.hooks.enabled:
        assert statements["OnlyOurHooks"]["NotResource"] == [
            {"Fn::GetAtt": ["TestTrafficHook", "Arn"]},
            {"Fn::Sub": "${TestTrafficHook.Arn}:*"}]  # versions and aliases
    else:
        assert statements["OnlyOurHooks"]["Resource"] == ["*"]


def test_variants_cover_checks_on_and_off():
    from variants import VARIANTS
    kinds = {(settings_for(v).hooks.enabled, settings_for(v).alarms.enabled,
              settings_for(v).notifications.enabled) for v in VARIANTS}
    assert (True, True, False) in kinds and (False, False, False) in kinds
    assert any(notify for *_, notify in kinds)
