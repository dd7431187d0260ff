"""ECS's own blue/green engine (deployment.engine "ecs"): the deployment configuration the
service carries and the two roles ECS assumes, one to move traffic, one to run our hook.

The same settings mean what they mean for CodeDeploy (the README's settings reference says where
a value means something else): traffic all-at-once, canary or linear is the strategy BLUE_GREEN,
CANARY or LINEAR; interval_minutes the bake time after a canary or linear step;
termination_wait_minutes the bake time after the shift (the old tasks stay, and an alarm still
rolls back); approval_wait_minutes a PAUSE hook after test traffic moves. The test-traffic hook
runs after test traffic moves (and, with hooks.before_allow_traffic, before every production
step). Stage names and limits: the AWS::ECS::Service resource schema (cfn-lint's copy) and
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import GetAtt, Ref, Template, cloudwatch, ecs, iam

from policies.ecs_hook_invoke import invoke_our_hook
from policies.ecs_infrastructure import load_balancers_managed_policy, only_our_routes
from policies.trust import ECS, assumed_by

from .hooks import Hooks
from .load_balancer import LoadBalancing
from .naming import COLOURS
from .settings import Settings

STRATEGIES = {"all-at-once": "BLUE_GREEN", "canary": "CANARY", "linear": "LINEAR"}
# The hook's stage: test traffic is on the new tasks, production on the old ones.
TEST_HOOK_STAGE = "POST_TEST_TRAFFIC_SHIFT"
# hooks.before_allow_traffic: before production moves (for canary and linear, before each step).
BEFORE_SHIFT_STAGE = "PRE_PRODUCTION_TRAFFIC_SHIFT"
# The approval: a PAUSE hook at the hook's stage, so production moves only after both the
# hook's SUCCEEDED and an operator's continue. (PAUSE hooks are refused at TEST_TRAFFIC_SHIFT
# and PRODUCTION_TRAFFIC_SHIFT, and one at PRE_PRODUCTION_TRAFFIC_SHIFT would pause before every
# step of a canary or linear deployment.)
APPROVAL_STAGE = "POST_TEST_TRAFFIC_SHIFT"


@dataclass(frozen=True)
class EcsEngine:
    infrastructure_role: iam.Role
    hook_role: iam.Role | None
    configuration: ecs.DeploymentConfiguration

    @property
    def roles(self) -> tuple[iam.Role, ...]:
        return (self.infrastructure_role,) + ((self.hook_role,) if self.hook_role else ())


def build_ecs_engine(template: Template, settings: Settings, load_balancing: LoadBalancing,
                     alarms: list[cloudwatch.Alarm], hooks: Hooks) -> EcsEngine:
    lb = load_balancing
    infrastructure_role = template.add_resource(iam.Role(
        "EcsInfrastructureRole",
        AssumeRolePolicyDocument=assumed_by(ECS),
        ManagedPolicyArns=[load_balancers_managed_policy()],
        Policies=[iam.Policy(PolicyName="only-our-routes", PolicyDocument=only_our_routes(
            [Ref(rule) for rule in lb.rules.values()],
            [Ref(listener) for listener in lb.forwarding_listeners],
            [Ref(lb.target_groups[colour]) for colour in COLOURS]))],
    ))
    hook_role = None
    lifecycle_hooks = []
    if hooks.function is not None:
        hook_role = template.add_resource(iam.Role(
            "EcsHookRole",
            AssumeRolePolicyDocument=assumed_by(ECS),
            Policies=[iam.Policy(PolicyName="invoke-our-hook", PolicyDocument=invoke_our_hook(
                GetAtt(hooks.function, "Arn")))],
        ))
        stages = [TEST_HOOK_STAGE] + (
            [BEFORE_SHIFT_STAGE] if settings.hooks.before_allow_traffic else [])
        lifecycle_hooks.append(ecs.DeploymentLifecycleHook(
            TargetType="AWS_LAMBDA", HookTargetArn=GetAtt(hooks.function, "Arn"),
            RoleArn=GetAtt(hook_role, "Arn"), LifecycleStages=stages))
    dep = settings.deployment
    if dep.approval_wait_minutes:
        # Without `aws ecs continue-service-deployment` in the window, the deployment rolls
        # back and production never leaves the old tasks (CodeDeploy's STOP_DEPLOYMENT).
        lifecycle_hooks.append(ecs.DeploymentLifecycleHook(
            TargetType="PAUSE", LifecycleStages=[APPROVAL_STAGE],
            TimeoutConfiguration=ecs.HookTimeoutConfig(
                Action="ROLLBACK", TimeoutInMinutes=dep.approval_wait_minutes)))
    strategy = STRATEGIES[dep.traffic]
    steps = {}
    if strategy == "CANARY":
        steps["CanaryConfiguration"] = ecs.CanaryConfiguration(
            CanaryPercent=dep.step_percent, CanaryBakeTimeInMinutes=dep.step_minutes)
    elif strategy == "LINEAR":
        steps["LinearConfiguration"] = ecs.LinearConfiguration(
            StepPercent=dep.step_percent, StepBakeTimeInMinutes=dep.step_minutes)
    configuration = ecs.DeploymentConfiguration(
        Strategy=strategy,
        BakeTimeInMinutes=dep.termination_wait_minutes,
        **steps,
        # alarms.enabled = false leaves them out: no alarm rollback.
        **({"Alarms": ecs.DeploymentAlarms(AlarmNames=[Ref(alarm) for alarm in alarms],
                                            Enable=True, Rollback=True)} if alarms else {}),
        **({"LifecycleHooks": lifecycle_hooks} if lifecycle_hooks else {}),
    )
    return EcsEngine(infrastructure_role, hook_role, configuration)


def advanced_configuration(load_balancing: LoadBalancing,
                           engine: EcsEngine) -> ecs.AdvancedConfiguration:
    """Blue is the service's target group and green the alternate; both routes are rules."""
    lb = load_balancing
    return ecs.AdvancedConfiguration(
        AlternateTargetGroupArn=Ref(lb.target_groups[COLOURS[1]]),
        ProductionListenerRule=Ref(lb.rules["Production"]),
        TestListenerRule=Ref(lb.rules["Test"]),
        RoleArn=GetAtt(engine.infrastructure_role, "Arn"))
