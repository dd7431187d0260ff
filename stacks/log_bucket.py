"""The log bucket: load balancer access logs, the artifact bucket's server access logs and the
created VPC's flow logs, each under its own prefix, kept as long as the CloudWatch logs."""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import GetAtt, Join, Ref, Sub, Template, s3

from policies.bucket import log_deliveries

from .buckets import private_bucket
from .settings import Settings
from .waivers import (BUCKET_NO_EVENTS, BUCKET_NO_OBJECT_LOCK, JOIN_FOR_CONTROL_TOWER,
                      LOG_BUCKET_NOT_LOGGED, LOGS_NOT_REPLICATED, LOGS_SSE_S3_ONLY, waive)


@dataclass(frozen=True)
class LogBucket:
    bucket: s3.Bucket
    policy: s3.BucketPolicy

    def under(self, prefix: str) -> Sub:
        """The ARN of a prefix of the bucket, the form log destinations take."""
        return _under(self.bucket, prefix)


def _under(bucket: s3.Bucket, prefix: str) -> Sub:
    return Sub(f"${{{bucket.title}.Arn}}/{prefix}")


def wants_log_bucket(settings: Settings) -> bool:
    return settings.load_balancer.access_logs or flow_logs(settings)


def flow_logs(settings: Settings) -> bool:
    return settings.network.mode == "create" and settings.network.flow_logs


def build_log_bucket(template: Template, settings: Settings, *, service: bool = True,
                     pipeline: bool = True) -> LogBucket | None:
    """The logs of the service (load balancer, flow logs) and of the pipeline (the artifact
    bucket's server access logs); in a promotion each stack holds one of the two."""
    load_balancer = service and settings.load_balancer.access_logs
    server_access = pipeline and settings.load_balancer.access_logs
    network = service and flow_logs(settings)
    if not (load_balancer or server_access or network):
        return None
    # Kept as long as the CloudWatch logs (service.log_retention_days = 0: forever).
    bucket = template.add_resource(waive(
        private_bucket("LogBucket", settings.service.log_retention_days),
        LOGS_SSE_S3_ONLY, LOG_BUCKET_NOT_LOGGED, LOGS_NOT_REPLICATED, BUCKET_NO_OBJECT_LOCK,
        BUCKET_NO_EVENTS))
    policy = template.add_resource(waive(s3.BucketPolicy(
        "LogBucketPolicy",
        Bucket=Ref(bucket),
        PolicyDocument=log_deliveries(
            GetAtt(bucket, "Arn"), Join("", [GetAtt(bucket, "Arn"), "/*"]),
            lambda prefix: _under(bucket, f"{prefix}*"), Ref("AWS::AccountId"),
            load_balancer=load_balancer, server_access=server_access, flow_logs=network),
    ), JOIN_FOR_CONTROL_TOWER))
    return LogBucket(bucket, policy)
