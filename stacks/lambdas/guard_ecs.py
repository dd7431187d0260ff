"""The end of the stack's function with deployment.engine "ecs", appended to guard_handler.py:
its routes are listener rules (ECS shifts traffic by rewriting rules), and it prepares the
pipeline's releases (CodePipeline jobs): the change set of the deployed template with the job's
parameter set to the build's image and every other parameter kept, refused (and deleted) unless
CloudFormation accepts it and it changes exactly the resources the job expects. The pipeline's
next action executes it."""
import json


# The priority of each route's rule (stacks/load_balancer.py ROUTE_RULE_PRIORITY).
ROUTE_RULE = "1"
# How long a release waits for its change set: at most 45 s, within the function's 60 s
# timeout (stacks/live_routes.py), with time left to report to CodePipeline.
WAIT_SECONDS, WAIT_ATTEMPTS = 3, 15


class RouteRules:
    """Elastic Load Balancing as the guard reads it: each listener forwards as its route's rule
    does, or as its default action while it has no such rule (a stack that moves from the
    CodeDeploy engine, whose routes were the listeners, keeps their live weights)."""

    def __init__(self, elbv2):
        self.elbv2 = elbv2

    def get_paginator(self, name):  # describe_listeners: the one call the guard pages
        return self

    def paginate(self, **kwargs):
        for page in self.elbv2.get_paginator("describe_listeners").paginate(**kwargs):
            for listener in page["Listeners"]:
                for rule in self.elbv2.describe_rules(
                        ListenerArn=listener["ListenerArn"])["Rules"]:
                    if rule["Priority"] == ROUTE_RULE:
                        listener["DefaultActions"] = rule["Actions"]
            yield page


listener_weights = live_weights  # noqa: F821 (guard_handler.py's)


def live_weights(elbv2, props, old=None, rollback=False):
    # An update from a template whose routes were listeners (the CodeDeploy engine's).
    before = old and (old.get("ListenerInputs") or {"Production": {}})
    if before and not rollback and not all("Rule" in i for i in before.values()):
        # The listeners' routes would become rules: production would answer 404 between
        # the listener's update and its rule's creation.
        raise Refused(  # noqa: F821 (guard_handler.py's)
            "deployment.engine changed from codedeploy to ecs on a live stack: deploy the new "
            "engine as a new stack and move traffic to it")
    return listener_weights(RouteRules(elbv2), props, old, rollback)


def prepare_release(cloudformation, job):
    todo = json.loads(job["data"]["actionConfiguration"]["configuration"]["UserParameters"])
    names = {"StackName": todo["Stack"], "ChangeSetName": todo["ChangeSet"]}
    (stack,) = cloudformation.describe_stacks(StackName=todo["Stack"])["Stacks"]
    # The deployed template itself, not a copy: a stack update made in the meantime turns the
    # change set obsolete (the pipeline's action fails) instead of being undone by it.
    cloudformation.create_change_set(
        **names, ChangeSetType="UPDATE", UsePreviousTemplate=True,
        Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
                    for p in stack["Parameters"] if p["ParameterKey"] != todo["Parameter"]]
        + [{"ParameterKey": todo["Parameter"], "ParameterValue": todo["Image"]}])
    try:
        # "FAILED" for, e.g., "The submitted information didn't contain changes": the stack
        # runs the image already (a re-run of a released commit).
        cloudformation.get_waiter("change_set_create_complete").wait(
            **names, WaiterConfig={"Delay": WAIT_SECONDS, "MaxAttempts": WAIT_ATTEMPTS})
        changes = cloudformation.describe_change_set(**names)["Changes"]
        changed = sorted({c["ResourceChange"]["LogicalResourceId"] for c in changes})
        if changed != todo["Expect"]:
            raise Refused(f"it would change {changed}, not just {todo['Expect']}")  # noqa: F821
    except Exception as error:
        try:
            cloudformation.delete_change_set(**names)
        except Exception as kept:  # e.g. one still being created: never executed, it stays
            print(json.dumps({"change set kept": repr(kept)}))
        # A waiter's error says only "terminal failure state"; CloudFormation's reason is in
        # the change set it last read.
        reason = (getattr(error, "last_response", None) or {}).get("StatusReason") or error
        raise Refused(f"no release of {todo['Image']}: {reason}") from None  # noqa: F821


guard = handler  # noqa: F821 (guard_handler.py's)


def handler(event, context, elbv2=None, cloudformation=None, ec2=None, codepipeline=None):
    if "CodePipeline.job" not in event:
        return guard(event, context, elbv2, cloudformation, ec2)
    cloudformation = cloudformation or client("cloudformation")  # noqa: F821
    job = event["CodePipeline.job"]
    codepipeline = codepipeline or client("codepipeline")  # noqa: F821
    try:
        prepare_release(cloudformation, job)
        codepipeline.put_job_success_result(jobId=job["id"])
        print(json.dumps({"release": "ready"}))
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
        print(json.dumps({"release": "refused", "reason": reason}))
        codepipeline.put_job_failure_result(jobId=job["id"], failureDetails={
            "type": "JobFailed", "message": reason[:4999]})
