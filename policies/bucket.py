"""Bucket policies."""

from __future__ import annotations

from typing import Any

from awacs import s3
from awacs.aws import Bool, Condition, Deny, PolicyDocument, Principal, Statement


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
