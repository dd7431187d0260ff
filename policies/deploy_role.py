"""A promotion's deploy role, one per environment: the role the pipeline's CodeDeployToECS
action runs as, in the environment's account. It may do exactly that environment's deployment
and read the pipeline's artifacts; the pipeline's role may only assume it.
https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-create-cross-account.html
"""

from __future__ import annotations

from typing import Any

from awacs import s3, sts
from awacs.aws import Allow, Policy, PolicyDocument, Statement

from .calls import OTHER, PASSED_TO, Call, Deployed, artifact_key_calls
from .cross_account import by_account_and_arn, decrypt_artifacts
from .pipeline import code_deploy_calls, deploy_to_ecs

DEPLOY_DOC = ("https://docs.aws.amazon.com/codepipeline/latest/userguide/"
              "pipelines-create-cross-account.html")


def trusted_by_pipeline(pipeline_account: str | None, pipeline_role: Any) -> Policy:
    """The deploy role's trust: the pipeline's role only, by its account and its ARN as
    condition (also in the pipeline's own stack, where naming the role itself would make
    the role and the pipeline role refer to each other)."""
    principal, condition = by_account_and_arn({pipeline_account: [pipeline_role]})
    return Policy(Version="2012-10-17", Statement=[Statement(
        Effect=Allow, Principal=principal, Action=[sts.AssumeRole], Condition=condition)])


def deploy_environment(application_arn: Any, deployment_group_arn: Any,
                       deployment_config_arn: Any, task_definition_arn: Any,
                       task_role_arns: list[Any], artifact_objects_arn: Any,
                       key_arns: list[Any]) -> PolicyDocument:
    """One environment's deployment and nothing else: the CodeDeployToECS action's calls on
    this environment's application, group, task family and task roles, and reading the
    pipeline's artifacts (taskdef, AppSpec, image) with the key that encrypts them."""
    statements = deploy_to_ecs(application_arn, deployment_group_arn, deployment_config_arn,
                               task_definition_arn, task_role_arns)
    statements.append(Statement(Sid="ReadArtifacts", Effect=Allow,
                                Action=[s3.GetObject, s3.GetObjectVersion],
                                Resource=[artifact_objects_arn]))
    if key_arns:
        statements.append(decrypt_artifacts(key_arns))
    return PolicyDocument(Version="2012-10-17", Statement=statements)


# S3 uses the key on the caller's behalf: kms:GenerateDataKey to write an object, kms:Decrypt
# to read one (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html),
# with kms:ViaService naming S3 in the region.
VIA_S3 = "s3.${AWS::Region}.amazonaws.com"


def required_calls(d: Deployed) -> list[Call]:
    artifact = d.object_arn(d.artifact_bucket, f"{d.pipeline[:20]}/BuildOutpu/def5678")
    return code_deploy_calls(d) + [
        Call(action, artifact, "the deploy action reads taskdef.json, the AppSpec and "
             "imageDetail.json", DEPLOY_DOC)
        for action in ("s3:GetObject", "s3:GetObjectVersion")
    ] + artifact_key_calls(d, ("kms:Decrypt",), "read the artifacts the key encrypts")


def near_misses(d: Deployed) -> list[Call]:
    """Another environment's deployment, by any of its calls ("the staging role cannot touch
    prod"), and anything beyond reading the artifacts."""
    calls = []
    for other in d.siblings:
        group = other.arn("codedeploy",
                          f"deploymentgroup:{other.application}/{other.deployment_group}")
        calls += [
            Call("codedeploy:CreateDeployment", group, f"deploying {other.application}"),
            Call("codedeploy:RegisterApplicationRevision",
                 other.arn("codedeploy", f"application:{other.application}"),
                 f"recording a revision of {other.application}"),
            Call("ecs:TagResource", other.arn("ecs", f"task-definition/{other.task_family}:7"),
                 f"tagging {other.task_family}'s task definitions",
                 context={"ecs:CreateAction": "RegisterTaskDefinition"}),
            *[Call("iam:PassRole", other.role_arn(role), f"passing {role} to ECS tasks",
                   context={PASSED_TO: "ecs-tasks.amazonaws.com"})
              for role in (other.execution_role, other.task_role)],
        ]
    artifact = d.object_arn(d.artifact_bucket, f"{d.pipeline[:20]}/BuildOutpu/def5678")
    calls += [
        Call("codedeploy:CreateDeployment",
             d.arn("codedeploy", f"deploymentgroup:{d.application}/{OTHER}"),
             "deploying another deployment group"),
        Call("s3:PutObject", artifact, "writing the pipeline's artifacts"),
        Call("codedeploy:GetDeploymentConfig", d.arn("codedeploy", f"deploymentconfig:{OTHER}"),
             "reading another deployment config"),
        Call("s3:GetObject", d.object_arn(OTHER, "artifact.zip"), "objects of another bucket"),
        Call("ecs:UpdateService", d.arn("ecs", f"service/{d.cluster}/{d.service}"),
             "deploying around CodeDeploy"),
    ]
    if d.artifact_key:
        calls.append(Call("kms:Decrypt", d.artifact_key, "decrypting outside S3"))
    return calls
