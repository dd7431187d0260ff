"""Statements several roles share."""

from __future__ import annotations

from typing import Any

from awacs import ecr, logs
from awacs.aws import Allow, Statement


def ecr_login() -> Statement:
    # GetAuthorizationToken has no resource-level scoping: it must be "*".
    return Statement(Sid="EcrLogin", Effect=Allow, Action=[ecr.GetAuthorizationToken],
                     Resource=["*"])


def write_logs(log_group_arn: Any, sid: str = "WriteLogs") -> Statement:
    """Create streams in, and write to, one log group (its GetAtt Arn ends in ":*", which
    covers its streams)."""
    return Statement(Sid=sid, Effect=Allow, Action=[logs.CreateLogStream, logs.PutLogEvents],
                     Resource=[log_group_arn])
