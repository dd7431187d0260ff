"""The EventBridge role that starts the pipeline when the source changes."""

from __future__ import annotations

from typing import Any

from awacs import codepipeline
from awacs.aws import Allow, PolicyDocument, Statement

from .calls import OTHER, Call, Deployed


def start_pipeline(pipeline_arn: Any) -> PolicyDocument:
    return PolicyDocument(Version="2012-10-17", Statement=[Statement(
        Effect=Allow, Action=[codepipeline.StartPipelineExecution], Resource=[pipeline_arn])])


RULE_DOC = ("https://docs.aws.amazon.com/codepipeline/latest/userguide/"
            "pipelines-trigger-source-repo-changes-cfn.html")


def required_calls(d: Deployed) -> list[Call]:
    return [Call("codepipeline:StartPipelineExecution", d.arn("codepipeline", d.pipeline),
                 "start the pipeline when the source changes", RULE_DOC)]


def near_misses(d: Deployed) -> list[Call]:
    return [Call("codepipeline:StartPipelineExecution", d.arn("codepipeline", OTHER),
                 "starting another pipeline"),
            Call("codepipeline:StopPipelineExecution", d.arn("codepipeline", d.pipeline),
                 "stopping the pipeline")]
