"""CodeDeploy: the application, the traffic-shifting config and the blue/green deployment group."""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import GetAtt, Ref, Template, cloudwatch, codedeploy, iam, sns

from policies.codedeploy import ecs_blue_green_managed_policy, only_our_hooks_and_topic
from policies.trust import CODEDEPLOY, assumed_by

from .hooks import Hooks
from .intrinsics import SubVariables
from .load_balancer import LoadBalancing
from .naming import COLOURS, Names
from .notifications import TRIGGER_EVENTS
from .service import EcsService
from .settings import DeploymentSettings, Settings

# CodeDeploy's own ECS configs: (type, percent, minutes) -> name. A matching setting uses the
# predefined config instead of creating a copy of it.
PREDEFINED_CONFIGS = {
    ("TimeBasedCanary", 10, 5): "CodeDeployDefault.ECSCanary10Percent5Minutes",
    ("TimeBasedCanary", 10, 15): "CodeDeployDefault.ECSCanary10Percent15Minutes",
    ("TimeBasedLinear", 10, 1): "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
    ("TimeBasedLinear", 10, 3): "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
}
ALL_AT_ONCE = "CodeDeployDefault.ECSAllAtOnce"
ROUTING_TYPES = {"canary": "TimeBasedCanary", "linear": "TimeBasedLinear"}

# DEPLOYMENT_FAILURE rolls back a failed deployment (a hook reporting Failed included);
# DEPLOYMENT_STOP_ON_REQUEST one an operator stops (aws deploy stop-deployment), even after
# production has moved; DEPLOYMENT_STOP_ON_ALARM one during which an alarm fires.
ROLLBACK_EVENTS = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]
ALARM_ROLLBACK = "DEPLOYMENT_STOP_ON_ALARM"


@dataclass(frozen=True)
class Deployment:
    application: codedeploy.Application
    deployment_group: codedeploy.DeploymentGroup
    config_name: object  # a predefined name, or Ref to our custom config
    role: iam.Role

    @property
    def config_name_in_sub(self) -> str:
        """The config name as Fn::Sub text: literal, or the custom config's ${LogicalId}."""
        name = self.config_name if isinstance(self.config_name, str) else self.config_name.to_dict()
        return SubVariables().resolve(name)


def build_deployment(template: Template, settings: Settings, names: Names,
                     load_balancing: LoadBalancing, ecs_service: EcsService,
                     alarms: list[cloudwatch.Alarm], hooks: Hooks,
                     topic: sns.Topic | None) -> Deployment:
    role = template.add_resource(iam.Role(
        "CodeDeployRole",
        AssumeRolePolicyDocument=assumed_by(CODEDEPLOY),
        ManagedPolicyArns=[ecs_blue_green_managed_policy()],
        # The managed policy may invoke any function and publish to any topic; these denies
        # narrow it to our hook and our topic.
        Policies=[iam.Policy(PolicyName="only-our-hooks-and-topic",
                             PolicyDocument=only_our_hooks_and_topic(
                                 [GetAtt(hooks.function, "Arn")] if hooks.function else [],
                                 [Ref(topic)] if topic else []))],
    ))
    application = template.add_resource(codedeploy.Application(
        "CodeDeployApplication",
        ApplicationName=names.codedeploy_application,
        ComputePlatform="ECS",
    ))
    config_name = _deployment_config(template, settings.deployment, names)
    dep = settings.deployment
    if dep.approval_wait_minutes:
        # Production moves only after an operator's ContinueDeployment; without one, the
        # deployment stops at the end of the window and production never leaves blue.
        ready = codedeploy.DeploymentReadyOption(ActionOnTimeout="STOP_DEPLOYMENT",
                                                 WaitTimeInMinutes=dep.approval_wait_minutes)
    else:
        ready = codedeploy.DeploymentReadyOption(ActionOnTimeout="CONTINUE_DEPLOYMENT",
                                                 WaitTimeInMinutes=0)
    group = template.add_resource(codedeploy.DeploymentGroup(
        "DeploymentGroup",
        ApplicationName=Ref(application),
        DeploymentGroupName=names.deployment_group,
        ServiceRoleArn=GetAtt(role, "Arn"),
        DeploymentConfigName=config_name,
        DeploymentStyle=codedeploy.DeploymentStyle(DeploymentType="BLUE_GREEN",
                                                   DeploymentOption="WITH_TRAFFIC_CONTROL"),
        ECSServices=[codedeploy.ECSService(ClusterName=Ref(ecs_service.cluster),
                                           ServiceName=GetAtt(ecs_service.service, "Name"))],
        LoadBalancerInfo=codedeploy.LoadBalancerInfo(TargetGroupPairInfoList=[
            codedeploy.TargetGroupPairInfo(
                # By name, blue first: blue serves production until the first deployment.
                TargetGroups=[codedeploy.TargetGroupInfo(
                    Name=GetAtt(load_balancing.target_groups[colour], "TargetGroupName"))
                    for colour in COLOURS],
                ProdTrafficRoute=codedeploy.TrafficRoute(
                    ListenerArns=[Ref(load_balancing.production_listener)]),
                TestTrafficRoute=codedeploy.TrafficRoute(
                    ListenerArns=[Ref(load_balancing.test_listener)]),
            )]),
        BlueGreenDeploymentConfiguration=codedeploy.BlueGreenDeploymentConfiguration(
            DeploymentReadyOption=ready,
            TerminateBlueInstancesOnDeploymentSuccess=codedeploy.BlueInstanceTerminationOption(
                Action="TERMINATE",
                TerminationWaitTimeInMinutes=dep.termination_wait_minutes),
        ),
        AutoRollbackConfiguration=codedeploy.AutoRollbackConfiguration(
            Enabled=True, Events=ROLLBACK_EVENTS + ([ALARM_ROLLBACK] if alarms else [])),
        **({"AlarmConfiguration": codedeploy.AlarmConfiguration(
            Enabled=True,
            # An alarm CodeDeploy cannot read stops the deployment rather than being ignored.
            IgnorePollAlarmFailure=False,
            Alarms=[codedeploy.Alarm(Name=Ref(alarm)) for alarm in alarms])}
           if alarms else {}),
        **({"TriggerConfigurations": [codedeploy.TriggerConfig(
            TriggerName="deployment-events", TriggerTargetArn=Ref(topic),
            TriggerEvents=TRIGGER_EVENTS)]} if topic else {}),
    ))
    return Deployment(application, group, config_name, role)


def routing(dep: DeploymentSettings) -> tuple[str, int, int]:
    """(CodeDeploy traffic routing type, percent, minutes); AllAtOnce has no steps."""
    if dep.traffic == "all-at-once":
        return ("AllAtOnce", 100, 0)
    return (ROUTING_TYPES[dep.traffic], dep.step_percent, dep.step_minutes)


def _deployment_config(template: Template, dep: DeploymentSettings, names: Names):
    kind, percent, minutes = routing(dep)
    if kind == "AllAtOnce":
        return ALL_AT_ONCE
    if (kind, percent, minutes) in PREDEFINED_CONFIGS:
        return PREDEFINED_CONFIGS[(kind, percent, minutes)]
    if kind == "TimeBasedCanary":
        step = {"TimeBasedCanary": codedeploy.TimeBasedCanary(
            CanaryPercentage=percent, CanaryInterval=minutes)}
    else:
        step = {"TimeBasedLinear": codedeploy.TimeBasedLinear(
            LinearPercentage=percent, LinearInterval=minutes)}
    config = template.add_resource(codedeploy.DeploymentConfig(
        "DeploymentConfig",
        DeploymentConfigName=names.deployment_config(dep.traffic, percent, minutes),
        ComputePlatform="ECS",
        TrafficRoutingConfig=codedeploy.TrafficRoutingConfig(Type=kind, **step),
    ))
    return Ref(config)
