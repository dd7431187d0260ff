"""The test-traffic hook's role: write its logs, report its verdict, run inside the VPC."""

from __future__ import annotations

from typing import Any

from awacs import codedeploy, ec2
from awacs.aws import Allow, PolicyDocument, Statement

from .calls import OTHER, Call, Deployed
from .statements import write_logs

# Lambda manages the function's network interfaces with the execution role: the network
# actions of AWS's AWSLambdaVPCAccessExecutionRole, which grants them on "*"
# (policies/managed_policies.json holds a dated copy that the tests compare with).
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions
VPC_ACTIONS = [ec2.CreateNetworkInterface, ec2.DescribeNetworkInterfaces, ec2.DescribeSubnets,
               ec2.DeleteNetworkInterface, ec2.AssignPrivateIpAddresses,
               ec2.UnassignPrivateIpAddresses]


def report_hook_status(log_group_arn: Any, report: bool = True) -> PolicyDocument:
    """`report`: CodeDeploy's hooks report their verdict; ECS's return it."""
    return PolicyDocument(Version="2012-10-17", Statement=[
        write_logs(log_group_arn),
        *([Statement(Sid="ReportVerdict", Effect=Allow,
                     Action=[codedeploy.PutLifecycleEventHookExecutionStatus],
                     # This action has no resource-level scoping: it must be "*".
                     Resource=["*"])] if report else []),
        Statement(Sid="RunInVpc", Effect=Allow, Action=VPC_ACTIONS, Resource=["*"]),
    ])


HOOK_DOC = ("https://docs.aws.amazon.com/codedeploy/latest/userguide/"
            "reference-appspec-file-structure-hooks.html")
VPC_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html"
LOGS_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html"


def code_calls(d: Deployed) -> list[Call]:
    """The calls stacks/lambdas/hook_handler.py makes (for ECS none: it answers)."""
    if d.engine == "ecs":
        return []
    return [Call("codedeploy:PutLifecycleEventHookExecutionStatus", "*",
                 "report Succeeded or Failed to CodeDeploy", HOOK_DOC)]


def required_calls(d: Deployed) -> list[Call]:
    stream = d.log_stream_arn(d.hook_log_group, "2026/01/01/[$LATEST]0123abcd")
    # The calls Lambda makes with the role: the function's logs, and the network-interface
    # calls of AWS's AWSLambdaVPCAccessExecutionRole (tests compare this list with it).
    vpc = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
           "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
           "ec2:UnassignPrivateIpAddresses"]
    return code_calls(d) + [
        Call("logs:CreateLogStream", stream, "start the function's log stream", LOGS_DOC),
        Call("logs:PutLogEvents", stream, "log each verdict", LOGS_DOC),
    ] + [Call(action, "*", "attach the function to the VPC", VPC_DOC) for action in vpc]


def near_misses(d: Deployed) -> list[Call]:
    group = d.arn("codedeploy", f"deploymentgroup:{d.application or OTHER}/"
                                f"{d.deployment_group or OTHER}")
    return [
        Call("codedeploy:CreateDeployment", group, "starting deployments"),
        *([Call("codedeploy:PutLifecycleEventHookExecutionStatus", "*",
                "reporting to CodeDeploy, which an ECS hook never does")]
          if d.engine == "ecs" else []),
        Call("codedeploy:StopDeployment", "*", "stopping deployments"),
        Call("logs:PutLogEvents", d.log_stream_arn(OTHER, "x"), "another log group"),
        Call("ec2:AuthorizeSecurityGroupIngress",
             d.arn("ec2", "security-group/sg-0123456789abcdef0"), "opening ports"),
    ]
