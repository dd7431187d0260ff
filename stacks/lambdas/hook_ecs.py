"""The end of the test-traffic hook with deployment.engine "ecs", appended to hook_handler.py:
ECS's lifecycle-hook contract. ECS invokes the function with an event that names the execution
(executionId) and its stage (lifecycleStage) and takes the verdict as the answer: hookStatus
SUCCEEDED or FAILED (FAILED, an error or no status roll the deployment back). The probing is
hook_handler.py's, with the same settings and budget; nothing is reported to CodeDeploy.
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/lambda-lifecycle-hooks.html"""
import json
import os
import time


def handler(event, context):
    status, detail = "FAILED", {}
    try:
        c = read_config(os.environ)  # noqa: F821 (hook_handler.py's)
        seconds = context.get_remaining_time_in_millis() / 1000 - SAFETY_SECONDS  # noqa: F821
        ok, attempts, failures = probe(c, time.monotonic() + seconds)  # noqa: F821
        status = "SUCCEEDED" if ok >= c["ratio"] * attempts else "FAILED"
        detail = {"successes": ok, "attempts": attempts, "failures": failures}
    except Exception as error:
        detail = {"error": repr(error)}
    print(json.dumps({"status": status, "stage": event.get("lifecycleStage"), **detail}))
    return {"hookStatus": status}
