"""The CodeBuild role: build the image, push it, write logs and build artifacts.

The reference gave this role `*` on `*`; with a privileged build running code from the
repository, anyone who could push to the branch became account administrator.
"""

from __future__ import annotations

from typing import Any

from awacs import ecr, logs, s3
from awacs.aws import Allow, PolicyDocument, Statement


def build_and_push_image(repository_arn: Any, log_group_arn: Any, artifact_bucket_arn: Any,
                         artifact_objects_arn: Any) -> PolicyDocument:
    return PolicyDocument(
        Version="2012-10-17",
        Statement=[
            Statement(
                Sid="EcrLogin",
                Effect=Allow,
                Action=[ecr.GetAuthorizationToken],
                # GetAuthorizationToken has no resource-level scoping: it must be "*".
                Resource=["*"],
            ),
            Statement(
                Sid="PushServiceImage",
                Effect=Allow,
                Action=[ecr.BatchCheckLayerAvailability, ecr.GetDownloadUrlForLayer,
                        ecr.BatchGetImage, ecr.InitiateLayerUpload, ecr.UploadLayerPart,
                        ecr.CompleteLayerUpload, ecr.PutImage,
                        # build.sh asks whether the commit's image exists before building it.
                        ecr.DescribeImages],
                Resource=[repository_arn],
            ),
            Statement(
                Sid="WriteBuildLogs",
                Effect=Allow,
                Action=[logs.CreateLogStream, logs.PutLogEvents],
                Resource=[log_group_arn],
            ),
            Statement(
                Sid="ReadSourceWriteBuildArtifacts",
                Effect=Allow,
                Action=[s3.GetObject, s3.GetObjectVersion, s3.PutObject],
                Resource=[artifact_objects_arn],
            ),
            Statement(
                Sid="LocateArtifactBucket",
                Effect=Allow,
                Action=[s3.GetBucketAcl, s3.GetBucketLocation],
                Resource=[artifact_bucket_arn],
            ),
        ],
    )
