"""Optional deployment notifications: an SNS topic the deployment group reports to (engine
ecs: an EventBridge rule forwards ECS's deployment events to it)."""

from __future__ import annotations

from troposphere import Equals, GetAtt, If, Not, Parameter, Ref, Template, events, sns

from policies.topic import publish_from_rule

from .naming import Names
from .settings import Settings
from .waivers import TOPIC_AWS_KEY, waive

TRIGGER_EVENTS = ["DeploymentStart", "DeploymentSuccess", "DeploymentFailure",
                  "DeploymentStop", "DeploymentRollback", "DeploymentReady"]


def build_notifications(template: Template, settings: Settings,
                        names: Names) -> sns.Topic | None:
    if not settings.notifications.enabled:
        return None
    return notification_topic(template, "DeploymentTopic", names.notification_topic,
                              "deployments")


def notification_topic(template: Template, title: str, name: str, about: str) -> sns.Topic:
    """A topic, and the NotificationEmail parameter that may subscribe an address to it."""
    email = template.add_parameter(Parameter(
        "NotificationEmail", Type="String", Default="", MaxLength=254,
        AllowedPattern=r"^$|^[^\s@]+@[^\s@]+\.[^\s@]+$",
        ConstraintDescription="must be an email address, or empty",
        Description=f"Address told about {about} (it must confirm the subscription); "
                    "empty for none."))
    has_email = template.add_condition("HasNotificationEmail",
                                       Not(Equals(Ref(email), "")))
    # Not encrypted with the AWS-managed SNS key: its key policy does not let CodeDeploy (or
    # CodePipeline) publish. These events carry no secrets.
    return template.add_resource(waive(sns.Topic(
        title,
        TopicName=name,
        Subscription=If(has_email, [sns.Subscription(Protocol="email", Endpoint=Ref(email))],
                        Ref("AWS::NoValue")),
    ), TOPIC_AWS_KEY))


def build_ecs_notifications(template: Template, settings: Settings, names: Names, ecs_service,
                            topic: sns.Topic | None) -> None:
    """Engine ecs: ECS tells EventBridge about each service deployment (in progress, completed,
    failed, rollbacks included), and a rule forwards those of our service to the topic.
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html
    """
    if topic is None:
        return
    rule = template.add_resource(events.Rule(
        "DeploymentEventsRule",
        EventPattern={"source": ["aws.ecs"], "detail-type": ["ECS Deployment State Change"],
                      "resources": [Ref(ecs_service.service)]},
        State="ENABLED",
        Targets=[events.Target(Id="DeploymentTopic", Arn=Ref(topic))],
    ))
    template.add_resource(sns.TopicPolicy(
        "DeploymentTopicPolicy",
        Topics=[Ref(topic)],
        PolicyDocument=publish_from_rule(Ref(topic), GetAtt(rule, "Arn")),
    ))
