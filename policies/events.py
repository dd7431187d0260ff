"""The EventBridge role that starts the pipeline when the source changes."""

from __future__ import annotations

from typing import Any

from awacs import codepipeline
from awacs.aws import Allow, PolicyDocument, Statement


def start_pipeline(pipeline_arn: Any) -> PolicyDocument:
    return PolicyDocument(Version="2012-10-17", Statement=[Statement(
        Effect=Allow, Action=[codepipeline.StartPipelineExecution], Resource=[pipeline_arn])])
