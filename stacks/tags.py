"""Tags: `Environment` and `Application` come from the stack, not from each resource.

CloudFormation propagates the tags given to a stack (`aws cloudformation deploy --tags`) to
every resource in it that supports tags
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-resource-tags.html),
so repeating them on each resource only spent about 5 KB of the 51,200-byte template body.
Two resources keep them in the template: the task definition, whose tags are copied into the
pipeline's taskdef.json, and the service, whose tags ECS propagates to its tasks; for both, a
tag that changes after creation is a new revision or an UpdateService, so it must not depend
on how the stack was deployed.
"""

from __future__ import annotations

from troposphere import Tags

from .settings import Settings


def stack_tags(settings: Settings) -> dict[str, str]:
    """The tags to give the stack, which CloudFormation passes on to its resources."""
    return {"Application": settings.service.name, "Environment": settings.service.environment}


def standard_tags(settings: Settings) -> Tags:
    return Tags(**dict(sorted(stack_tags(settings).items())))


def name_tag(name: str) -> Tags:
    """A `Name` for the network resources, which the EC2 console lists by it."""
    return Tags(Name=name)
