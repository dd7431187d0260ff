"""CodeDeploy hook: Succeeded when SUCCESS_RATIO of REQUESTS requests to each of PATHS on
TEST_URL answer 2xx/3xx within LATENCY_BUDGET_MS, else Failed (a rollback). Always reports.
With deployment.engine "ecs" the function's code continues with hook_ecs.py."""
import json
import os
import ssl
import time
import urllib.error
import urllib.request
from fractions import Fraction

# The report to CodeDeploy: at most REPORT_ATTEMPTS tries of CONNECT_SECONDS + READ_SECONDS
# each (with standard-mode backoff of at most 1 s between them here), started while
# SAFETY_SECONDS are left.
CONNECT_SECONDS, READ_SECONDS, REPORT_ATTEMPTS = 2, 3, 2
SAFETY_SECONDS = 12


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # judge the application's own answer


# With listeners.https the test listener serves the production certificate, which names the
# service's domain, not the load balancer's DNS name the probe calls, and may be imported or
# from a private CA: the probe checks the new tasks' answers, sends no secret, and does not
# verify the certificate.
_UNVERIFIED = ssl.create_default_context()
_UNVERIFIED.check_hostname = False
_UNVERIFIED.verify_mode = ssl.CERT_NONE
_OPENER = urllib.request.build_opener(_NoRedirect,
                                      urllib.request.HTTPSHandler(context=_UNVERIFIED))


def read_config(env):
    c = {"url": env["TEST_URL"].rstrip("/"), "requests": int(env["REQUESTS"]),
         "paths": [p.strip() for p in env["PATHS"].split(",") if p.strip()],
         # exact: 14 of 25 meets 0.56, which float arithmetic would miss
         "ratio": Fraction(env["SUCCESS_RATIO"]),
         "budget": int(env["LATENCY_BUDGET_MS"]) / 1000}
    if not c["paths"] or c["requests"] < 1 or not 0 < c["ratio"] <= 1:
        raise ValueError(f"bad configuration: {c}")
    return c


def probe(c, deadline):
    """(successes, attempts, failure counts by path and reason)."""
    successes, attempts, failures = 0, 0, {}
    for path in c["paths"]:
        for _ in range(c["requests"]):
            attempts += 1
            left = deadline - time.monotonic()
            why = _get(c["url"] + path, min(c["budget"], left)) if left > 0 else "out of time"
            if why is None:
                successes += 1
            else:
                failures[f"{path}: {why}"] = failures.get(f"{path}: {why}", 0) + 1
    return successes, attempts, failures


def _get(url, timeout):
    """None for a 2xx/3xx answer within `timeout`, else why not."""
    start = time.monotonic()
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except Exception as error:  # refused, reset, timed out
        return type(error).__name__
    if time.monotonic() - start > timeout:
        return "slow"
    return None if 200 <= status < 400 else f"HTTP {status}"


def codedeploy_client():
    import boto3
    from botocore.config import Config
    return boto3.client("codedeploy", config=Config(
        connect_timeout=CONNECT_SECONDS, read_timeout=READ_SECONDS,
        retries={"total_max_attempts": REPORT_ATTEMPTS, "mode": "standard"}))


def handler(event, context, codedeploy=None):
    status, detail = "Failed", {}
    try:
        codedeploy = codedeploy or codedeploy_client()  # before probing: ready to report
        c = read_config(os.environ)
        seconds = context.get_remaining_time_in_millis() / 1000 - SAFETY_SECONDS
        ok, attempts, failures = probe(c, time.monotonic() + seconds)
        status = "Succeeded" if ok >= c["ratio"] * attempts else "Failed"
        detail = {"successes": ok, "attempts": attempts, "failures": failures}
    except Exception as error:
        detail = {"error": repr(error)}
    finally:
        print(json.dumps({"status": status, **detail}))
        (codedeploy or codedeploy_client()).put_lifecycle_event_hook_execution_status(
            deploymentId=event["DeploymentId"],
            lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
            status=status)
    return {"status": status}
