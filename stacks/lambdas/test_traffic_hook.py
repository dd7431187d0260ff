"""CodeDeploy hook: test the replacement tasks through the test listener before the shift.

Sends REQUESTS requests to each of PATHS on TEST_URL; reports Succeeded when at least
SUCCESS_RATIO of them answer 2xx/3xx within LATENCY_BUDGET_MS, else Failed (a rollback).
It always reports: errors, timeouts and bad configuration end in Failed, and probing stops
SAFETY_SECONDS before the Lambda timeout.
"""
import json
import os
import time
import urllib.error
import urllib.request

SAFETY_SECONDS = 10


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # judge the application's own answer


_OPENER = urllib.request.build_opener(_NoRedirect)


def read_config(env):
    config = {
        "url": env["TEST_URL"].rstrip("/"),
        "paths": [p.strip() for p in env["PATHS"].split(",") if p.strip()],
        "requests": int(env["REQUESTS"]),
        "ratio": float(env["SUCCESS_RATIO"]),
        "budget": int(env["LATENCY_BUDGET_MS"]) / 1000,
    }
    if not config["paths"] or config["requests"] < 1 or not 0 < config["ratio"] <= 1:
        raise ValueError(f"bad configuration: {config}")
    return config


def probe(config, deadline):
    """(successes, attempts, failure counts by reason) over every path."""
    successes, attempts, failures = 0, 0, {}
    for path in config["paths"]:
        for _ in range(config["requests"]):
            attempts += 1
            left = deadline - time.monotonic()
            why = _request(config["url"] + path, min(config["budget"], left)) \
                if left > 0 else "out of time"
            if why is None:
                successes += 1
            else:
                failures[f"{path}: {why}"] = failures.get(f"{path}: {why}", 0) + 1
    return successes, attempts, failures


def _request(url, timeout):
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


def handler(event, context, codedeploy=None):
    status, detail = "Failed", {}
    try:
        config = read_config(os.environ)
        seconds = context.get_remaining_time_in_millis() / 1000 - SAFETY_SECONDS
        successes, attempts, failures = probe(config, time.monotonic() + seconds)
        status = "Succeeded" if successes >= config["ratio"] * attempts else "Failed"
        detail = {"successes": successes, "attempts": attempts, "failures": failures}
    except Exception as error:
        detail = {"error": repr(error)}
    finally:
        print(json.dumps({"status": status, **detail}))
        if codedeploy is None:
            import boto3
            codedeploy = boto3.client("codedeploy")
        codedeploy.put_lifecycle_event_hook_execution_status(
            deploymentId=event["DeploymentId"],
            lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
            status=status)
    return {"status": status}
