"""The CodeBuild role: build the image, push it, write logs and build artifacts.

The reference gave this role `*` on `*`; with a privileged build running code from the
repository, anyone who could push to the branch became account administrator.
"""

from __future__ import annotations

from typing import Any

from awacs import ecr, s3
from awacs.aws import Allow, PolicyDocument, Statement

from .calls import OTHER, PASSED_TO, Call, Deployed, artifact_key_calls
from .statements import ecr_login, write_logs


def build_and_push_image(repository_arn: Any, log_group_arn: Any, artifact_bucket_arn: Any,
                         artifact_objects_arn: Any) -> PolicyDocument:
    return PolicyDocument(
        Version="2012-10-17",
        Statement=[
            ecr_login(),
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
            write_logs(log_group_arn, sid="WriteBuildLogs"),
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


ROLE_DOC = "https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html"
PUSH_DOC = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html"
CACHE_DOC = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-pull-iam.html"


def required_calls(d: Deployed) -> list[Call]:
    stream = d.log_stream_arn(d.build_log_group, "0123abcd-0123-4567-89ab-0123456789ab")
    source = d.object_arn(d.artifact_bucket, f"{d.pipeline[:20]}/SourceOutp/abc1234")
    output = d.object_arn(d.artifact_bucket, f"{d.pipeline[:20]}/BuildOutpu/def5678")
    push = [Call(action, d.repository_arn, "push the commit's image", PUSH_DOC)
            for action in ("ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload",
                           "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage")]
    return [
        Call("ecr:GetAuthorizationToken", "*", "docker login to ECR", PUSH_DOC),
        *push,
        Call("ecr:BatchGetImage", d.repository_arn, "reuse layers of earlier images",
             CACHE_DOC),
        Call("ecr:GetDownloadUrlForLayer", d.repository_arn, "reuse layers of earlier images",
             CACHE_DOC),
        Call("ecr:DescribeImages", d.repository_arn,
             "build.sh skips the build when the commit's image exists", PUSH_DOC),
        Call("logs:CreateLogStream", stream, "start the build's log stream", ROLE_DOC),
        Call("logs:PutLogEvents", stream, "write the build log", ROLE_DOC),
        Call("s3:GetObject", source, "read the source artifact", ROLE_DOC),
        Call("s3:GetObjectVersion", source, "read the source artifact", ROLE_DOC),
        Call("s3:PutObject", output, "write the build artifact", ROLE_DOC),
        Call("s3:GetBucketAcl", d.bucket_arn(d.artifact_bucket), "check the artifact bucket",
             ROLE_DOC),
        Call("s3:GetBucketLocation", d.bucket_arn(d.artifact_bucket),
             "find the artifact bucket's region", ROLE_DOC),
        *artifact_key_calls(d, ("kms:Decrypt", "kms:GenerateDataKey"),
                            "read the source and write the build output under the key"),
    ]


def near_misses(d: Deployed) -> list[Call]:
    return [
        Call("ecr:PutImage", d.arn("ecr", f"repository/{OTHER}"), "pushing to another repository"),
        Call("ecr:BatchDeleteImage", d.repository_arn, "deleting released images"),
        Call("s3:GetObject", d.object_arn(OTHER, "secrets.zip"), "objects of another bucket"),
        Call("s3:DeleteObject", d.object_arn(d.artifact_bucket, "x"), "deleting artifacts"),
        Call("iam:PassRole", d.role_arn(d.execution_role), "any role passing",
             context={PASSED_TO: "ecs-tasks.amazonaws.com"}),
        Call("logs:PutLogEvents", d.log_stream_arn(d.log_group, "forged"),
             "writing into the service's logs"),
        Call("ecs:UpdateService", d.arn("ecs", f"service/{d.cluster}/{d.service}"),
             "deploying around the pipeline"),
    ]
