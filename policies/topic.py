"""The deployment topic's resource policy (engine ecs): EventBridge publishes our rule's events."""

from __future__ import annotations

from typing import Any

from awacs import sns
from awacs.aws import Allow, ArnEquals, Condition, PolicyDocument, Principal, Statement

EVENTS_PRINCIPAL = "events.amazonaws.com"


def publish_from_rule(topic_arn: Any, rule_arn: Any) -> PolicyDocument:
    """Only our rule, by aws:SourceArn: EventBridge rules of other stacks cannot use the topic.
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
    """
    return PolicyDocument(Version="2012-10-17", Statement=[Statement(
        Sid="PublishDeploymentEvents", Effect=Allow,
        Principal=Principal("Service", EVENTS_PRINCIPAL), Action=[sns.Publish],
        Resource=[topic_arn], Condition=Condition(ArnEquals("aws:SourceArn", rule_arn)))])
