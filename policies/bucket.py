"""Bucket policies."""

from __future__ import annotations

from typing import Any, Callable

from awacs import s3
from awacs.aws import (Allow, Bool, Condition, Deny, PolicyDocument, Principal, Statement,
                       StringEquals)


def deny_insecure_transport(bucket_arn: Any, objects_arn: Any) -> PolicyDocument:
    """Refuse every request that does not use TLS, whoever makes it."""
    return PolicyDocument(Version="2012-10-17", Statement=[Statement(
        Sid="DenyInsecureTransport",
        Effect=Deny,
        Principal=Principal("*"),
        Action=[s3.Action("*")],
        Resource=[bucket_arn, objects_arn],
        Condition=Condition(Bool("aws:SecureTransport", "false")),
    )])


# The services that write logs into the log bucket, each only under its own prefix.
ELB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"
S3_SERVER_ACCESS_LOGS = "logging.s3.amazonaws.com"
LOG_DELIVERY = "delivery.logs.amazonaws.com"  # VPC flow logs


def log_deliveries(bucket_arn: Any, objects_arn: Any, prefix_arn: Callable[[str], Any],
                   account: Any, *, load_balancer: bool, server_access: bool,
                   flow_logs: bool) -> PolicyDocument:
    """TLS only, and each log service may write under its own prefix of this account's logs.

    - ELB access logs: the service principal, valid in every region since 2025-09 (the ALB
      guide's document history: "the newer bucket policy is supported in all Regions").
    - S3 server access logs: AWS's statement, with aws:SourceAccount (the source bucket's ARN
      would make this policy and the artifact bucket depend on each other).
    - VPC flow logs to S3: AWS's AWSLogDeliveryWrite and AWSLogDeliveryAclCheck statements
      (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html).
    """
    from_account = StringEquals("aws:SourceAccount", account)
    statements = list(deny_insecure_transport(bucket_arn, objects_arn).Statement)
    if load_balancer:
        statements.append(Statement(
            Sid="LoadBalancerAccessLogs", Effect=Allow,
            Principal=Principal("Service", ELB_LOG_DELIVERY), Action=[s3.PutObject],
            Resource=[prefix_arn(f"{LOAD_BALANCER_PREFIX}/AWSLogs/${{AWS::AccountId}}/")]))
    if server_access:
        statements.append(Statement(
            Sid="ServerAccessLogs", Effect=Allow,
            Principal=Principal("Service", S3_SERVER_ACCESS_LOGS), Action=[s3.PutObject],
            Resource=[prefix_arn(f"{ARTIFACT_BUCKET_PREFIX}/")],
            Condition=Condition(from_account)))
    if flow_logs:
        statements += [
            Statement(
                Sid="FlowLogsWrite", Effect=Allow, Principal=Principal("Service", LOG_DELIVERY),
                Action=[s3.PutObject],
                Resource=[prefix_arn(f"{FLOW_LOGS_PREFIX}/AWSLogs/${{AWS::AccountId}}/")],
                Condition=Condition(StringEquals({
                    "aws:SourceAccount": account,
                    "s3:x-amz-acl": "bucket-owner-full-control"}))),
            Statement(
                Sid="FlowLogsAclCheck", Effect=Allow, Principal=Principal("Service", LOG_DELIVERY),
                Action=[s3.GetBucketAcl, s3.ListBucket], Resource=[bucket_arn],
                Condition=Condition(from_account)),
        ]
    return PolicyDocument(Version="2012-10-17", Statement=statements)


LOAD_BALANCER_PREFIX = "load-balancer"
ARTIFACT_BUCKET_PREFIX = "artifact-bucket"
FLOW_LOGS_PREFIX = "flow-logs"
