"""Optional deployment notifications: an SNS topic the deployment group reports to."""

from __future__ import annotations

from troposphere import Equals, If, Not, Parameter, Ref, Template, sns

from .naming import Names
from .settings import Settings
from .waivers import TOPIC_AWS_KEY, waive

TRIGGER_EVENTS = ["DeploymentStart", "DeploymentSuccess", "DeploymentFailure",
                  "DeploymentStop", "DeploymentRollback", "DeploymentReady"]


def build_notifications(template: Template, settings: Settings,
                        names: Names) -> sns.Topic | None:
    if not settings.notifications.enabled:
        return None
    email = template.add_parameter(Parameter(
        "NotificationEmail", Type="String", Default="", MaxLength=254,
        AllowedPattern=r"^$|^[^\s@]+@[^\s@]+\.[^\s@]+$",
        ConstraintDescription="must be an email address, or empty",
        Description="Address told about deployments (it must confirm the subscription); "
                    "empty for none."))
    has_email = template.add_condition("HasNotificationEmail",
                                       Not(Equals(Ref(email), "")))
    # Not encrypted with the AWS-managed SNS key: its key policy does not let CodeDeploy
    # publish. Deployment events carry no secrets.
    return template.add_resource(waive(sns.Topic(
        "DeploymentTopic",
        TopicName=names.notification_topic,
        Subscription=If(has_email, [sns.Subscription(Protocol="email", Endpoint=Ref(email))],
                        Ref("AWS::NoValue")),
    ), TOPIC_AWS_KEY))
