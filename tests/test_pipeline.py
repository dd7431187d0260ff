"""The delivery pipeline: what the build writes, what the deploy action reads, and the roles.

The build step is executed for real (bash in a temporary directory, with `docker` and `aws`
replaced by stubs on PATH), and its files are checked against what the project renders.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
import yaml
from botocore.validate import ParamValidator

from policies.unscoped import ON_EVERY_RESOURCE
from stacks.intrinsics import Resolver, load_template
from stacks.artifacts import (APPSPEC_FILE, BUILD_OUTPUT_FILES, IMAGE_DETAIL_FILE,
                              IMAGE_PLACEHOLDER, TASKDEF_FILE, build_script, buildspec,
                              embedded_build_script)
from variants import VARIANTS, document, rendered, settings_for

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "1" * 12  # made up
REGION = "eu-west-1"
REPOSITORY_URI = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/webapp-dev"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
# What CloudFormation would put into the ${...} of the rendered documents.
DEPLOY_TIME = {
    "TaskExecutionRole.Arn": f"arn:aws:iam::{ACCOUNT}:role/stack-TaskExecutionRole-X",
    "TaskRole.Arn": f"arn:aws:iam::{ACCOUNT}:role/stack-TaskRole-X",
    "LogGroup": "webapp-dev",
    "AWS::Region": REGION,
}


class _DeployTime(Resolver):
    """Fn::Sub as CloudFormation evaluates it, with DEPLOY_TIME's values."""

    def __init__(self, values: dict[str, str]):
        self.values = values

    def ref(self, name: str) -> str:
        return self.values[name]

    def get_att(self, logical_id: str, attribute: str) -> str:
        return self.values[f"{logical_id}.{attribute}"]


def resolve_sub(text: str, values: dict[str, str]) -> str:
    """Fn::Sub text as CloudFormation evaluates it: ${Name} -> value, ${!Literal} -> ${Literal}."""
    return _DeployTime(values).sub(text, {})


def build_variables(template: dict) -> dict[str, object]:
    environment = template["Resources"]["BuildProject"]["Properties"]["Environment"]
    return {v["Name"]: v["Value"] for v in environment["EnvironmentVariables"]}


def rendered_taskdef(template: dict) -> dict:
    value = build_variables(template)["TASKDEF_JSON"]
    return json.loads(resolve_sub(value["Fn::Sub"], DEPLOY_TIME))


def rendered_appspec(template: dict) -> dict:
    value = build_variables(template)["APPSPEC_JSON"]
    return json.loads(value if isinstance(value, str) else resolve_sub(value["Fn::Sub"], {}))


def deploy_action(template: dict) -> dict:
    stages = template["Resources"]["Pipeline"]["Properties"]["Stages"]
    return {stage["Name"]: stage["Actions"] for stage in stages}


# --- taskdef.json and the AppSpec -------------------------------------------------------------

def test_taskdef_is_a_valid_register_task_definition_request(codedeploy_template):
    template = codedeploy_template
    taskdef = rendered_taskdef(template)
    (container,) = taskdef["containerDefinitions"]
    assert container["image"] == IMAGE_PLACEHOLDER
    container["image"] = f"{REPOSITORY_URI}:0123456789ab"  # what the deploy action does
    shape = botocore.session.get_session().get_service_model("ecs") \
        .operation_model("RegisterTaskDefinition").input_shape
    report = ParamValidator().validate(taskdef, shape)
    assert not report.has_errors(), report.generate_report()


def test_taskdef_is_the_stacks_task_definition(codedeploy_template):
    """Same family, size, roles, container, port and logs as the TaskDefinition resource."""
    template = codedeploy_template
    resource = template["Resources"]["TaskDefinition"]["Properties"]
    taskdef = rendered_taskdef(template)
    assert taskdef["family"] == resource["Family"]
    assert (taskdef["cpu"], taskdef["memory"]) == (resource["Cpu"], resource["Memory"])
    assert taskdef["executionRoleArn"] == DEPLOY_TIME["TaskExecutionRole.Arn"]
    assert taskdef["taskRoleArn"] == DEPLOY_TIME["TaskRole.Arn"]
    (container,) = taskdef["containerDefinitions"]
    (stack_container,) = resource["ContainerDefinitions"]
    assert container["name"] == stack_container["Name"]
    assert container["portMappings"] == [{"containerPort": m["ContainerPort"], "protocol": "tcp"}
                                         for m in stack_container["PortMappings"]]
    assert container["logConfiguration"]["options"] == {
        "awslogs-group": DEPLOY_TIME["LogGroup"],  # the stack's Ref LogGroup
        "awslogs-region": REGION,
        "awslogs-stream-prefix": stack_container["Name"]}
    assert {t["key"]: t["value"] for t in taskdef["tags"]} == {
        t["Key"]: t["Value"] for t in resource["Tags"]}


def test_appspec_names_the_placeholder_container_and_port(codedeploy_template,
                                                          codedeploy_variant):
    template = codedeploy_template
    variant = codedeploy_variant
    settings = settings_for(variant)
    appspec = rendered_appspec(template)
    assert appspec["version"] == 0.0
    (resource,) = appspec["Resources"]
    target = resource["TargetService"]
    assert target["Type"] == "AWS::ECS::Service"
    assert target["Properties"] == {
        "TaskDefinition": "<TASK_DEFINITION>",
        "LoadBalancerInfo": {"ContainerName": settings.resource_id,
                             "ContainerPort": settings.service.container_port}}
    hooks = settings.hooks
    if hooks.enabled:
        events = ["AfterAllowTestTraffic"] + (["BeforeAllowTraffic"]
                                              if hooks.before_allow_traffic else [])
        assert appspec["Hooks"] == [{e: f"CodeDeployHook_{settings.resource_id}-test-traffic"}
                                    for e in events]
    else:
        assert "Hooks" not in appspec


# --- the buildspec and the build step -----------------------------------------------------------

def test_buildspec_is_valid_yaml_with_one_aborting_build_phase_and_the_three_artifacts():
    spec = yaml.safe_load(buildspec())
    assert spec["version"] == 0.2
    assert list(spec["phases"]) == ["build"]
    assert spec["phases"]["build"]["on-failure"] == "ABORT"
    assert spec["artifacts"]["files"] == list(BUILD_OUTPUT_FILES)
    (command,) = spec["phases"]["build"]["commands"]
    assert command == f"bash <<'BUILD'\n{embedded_build_script()}BUILD\n"
    # The embedded commands are build.sh's own lines, in order, less comments and blanks.
    kept = [line for line in build_script().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
    assert embedded_build_script().splitlines() == kept


def test_inline_buildspec_is_the_generated_one(template, variant):
    source = template["Resources"]["BuildProject"]["Properties"]["Source"]
    settings = settings_for(variant)
    expected = settings.pipeline.buildspec
    assert source["BuildSpec"] == (buildspec(settings.deployment.engine) if expected == "inline"
                                   else expected)


def _shellcheck() -> str:
    return str(Path(sys.executable).parent / "shellcheck")


def test_build_script_passes_shellcheck(tmp_path):
    command = yaml.safe_load(buildspec())["phases"]["build"]["commands"][0]
    wrapper = tmp_path / "buildspec-command.sh"
    wrapper.write_text("#!/usr/bin/env bash\n" + command)
    for script in (ROOT / "stacks" / "build.sh", wrapper):
        result = subprocess.run([_shellcheck(), "--severity=style", str(script)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout


STUB_AWS = """#!/bin/sh
echo "aws $*" >> "$CALLS"
case "$1 $2" in
  "ecr describe-images")
    [ -n "$IMAGE_EXISTS" ] && exit 0
    echo "ImageNotFoundException" >&2; exit 254 ;;
  "ecr get-login-password") echo not-a-real-password ;;
esac
"""
STUB_DOCKER = """#!/bin/sh
echo "docker $*" >> "$CALLS"
[ "$1" = login ] && cat > /dev/null
exit 0
"""


def install_stubs(tmp_path: Path, aws: str = STUB_AWS) -> Path:
    """`aws` and `docker` stand-ins that record their calls in $CALLS; their directory."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, text in (("aws", aws), ("docker", STUB_DOCKER)):
        (stubs / name).write_text(text)
        (stubs / name).chmod(0o755)
    return stubs


def run_buildspec(tmp_path: Path, template: dict, **overrides: str):
    """Run the buildspec's build command as CodeBuild would, in a fresh work directory."""
    stubs = install_stubs(tmp_path)
    work = tmp_path / "src"
    work.mkdir()
    variables = build_variables(template)
    environment = {
        "PATH": f"{stubs}:/usr/bin:/bin",
        "CALLS": str(tmp_path / "calls"),
        "CODEBUILD_RESOLVED_SOURCE_VERSION": COMMIT,
        "AWS_DEFAULT_REGION": REGION,
        "REPOSITORY_URI": REPOSITORY_URI,
        "DOCKERFILE": variables["DOCKERFILE"],
        "BUILD_CONTEXT": variables["BUILD_CONTEXT"],
        "TASKDEF_JSON": resolve_sub(variables["TASKDEF_JSON"]["Fn::Sub"], DEPLOY_TIME),
        "APPSPEC_JSON": json.dumps(rendered_appspec(template)),
        **overrides,
    }
    command = yaml.safe_load(buildspec())["phases"]["build"]["commands"][0]
    result = subprocess.run(["bash", "-c", command], cwd=work, env=environment,
                            capture_output=True, text=True, timeout=60)
    calls = (tmp_path / "calls").read_text().splitlines() if (tmp_path / "calls").exists() \
        else []
    return result, work, calls


def test_build_pushes_the_commit_tagged_image_and_writes_the_three_files(
        tmp_path, codedeploy_template, codedeploy_variant):
    template = codedeploy_template
    variant = codedeploy_variant
    result, work, calls = run_buildspec(tmp_path, template)
    assert result.returncode == 0, result.stderr
    image = f"{REPOSITORY_URI}:{COMMIT}"  # the whole commit id
    settings = settings_for(variant)
    assert calls[0] == (f"aws ecr describe-images --repository-name webapp-dev "
                        f"--image-ids imageTag={COMMIT}")
    # The two sides of the login pipe run at once, in either order.
    assert sorted(calls[1:3]) == [
        f"aws ecr get-login-password --region {REGION}",
        f"docker login --username AWS --password-stdin {REPOSITORY_URI.split('/')[0]}"]
    assert calls[3:] == [
        f"docker build --file {settings.pipeline.dockerfile} --tag {image} "
        f"{settings.pipeline.build_context}",
        f"docker push {image}",
    ]
    assert sorted(p.name for p in work.iterdir()) == sorted(BUILD_OUTPUT_FILES)
    assert json.loads((work / IMAGE_DETAIL_FILE).read_text()) == {"ImageURI": image}
    assert json.loads((work / TASKDEF_FILE).read_text()) == rendered_taskdef(template)
    assert json.loads((work / APPSPEC_FILE).read_text()) == rendered_appspec(template)


def test_build_reuses_an_existing_image_for_the_same_commit(tmp_path, codedeploy_template):
    template = codedeploy_template
    result, work, calls = run_buildspec(tmp_path, template, IMAGE_EXISTS="1")
    assert result.returncode == 0, result.stderr
    assert not any(call.startswith("docker") for call in calls)
    assert json.loads((work / IMAGE_DETAIL_FILE).read_text()) == {
        "ImageURI": f"{REPOSITORY_URI}:{COMMIT}"}


def test_build_without_a_revision_fails_and_writes_nothing(tmp_path, codedeploy_template):
    template = codedeploy_template
    result, work, calls = run_buildspec(tmp_path, template, CODEBUILD_RESOLVED_SOURCE_VERSION="")
    assert result.returncode != 0
    assert "resolved no source revision" in result.stderr
    assert list(work.iterdir()) == [] and calls == []


def _tag_for(tmp_path, template, revision: str) -> str:
    tmp_path.mkdir()
    result, work, _ = run_buildspec(tmp_path, template,
                                    CODEBUILD_RESOLVED_SOURCE_VERSION=revision)
    assert result.returncode == 0, result.stderr
    return json.loads((work / IMAGE_DETAIL_FILE).read_text())["ImageURI"].rsplit(":", 1)[1]


# Docker's tag grammar: https://docs.docker.com/reference/cli/docker/image/tag/
DOCKER_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


@pytest.mark.parametrize("first, second", [
    # S3 version ids (the source's revision) that share their first 12 characters: the tag
    # must still tell them apart, or the build skips the push and redeploys the old image.
    ("3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo",
     "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUp"),
    ("Tc7dNGw2FYJBWQjLJdZzJ3YDYR7ZjS9u", "Tc7dNGw2FYJBWQjLJdZzJ3YDYR7ZjS9v"),
    ("3/L4kqtJl+4", "3_L4kqtJl_4"),  # different ids that one character mapping would merge
], ids=["url-unsafe", "tag-safe", "mapping-collision"])
def test_every_revision_gets_its_own_valid_tag(tmp_path, first, second):
    template = document("default")
    tags = [_tag_for(tmp_path / name, template, revision)
            for name, revision in (("a", first), ("b", second))]
    assert tags[0] != tags[1]
    assert all(DOCKER_TAG.fullmatch(tag) for tag in tags)


# --- the pipeline as the deploy action sees it ---------------------------------------------

def test_deploy_action_reads_exactly_what_the_build_writes(codedeploy_template):
    template = codedeploy_template
    stages = deploy_action(template)
    assert list(stages) == ["Source", "Build", "Deploy"]
    (build,) = stages["Build"]
    (deploy,) = stages["Deploy"]
    assert deploy["ActionTypeId"] == {"Category": "Deploy", "Owner": "AWS",
                                      "Provider": "CodeDeployToECS", "Version": "1"}
    assert build["ActionTypeId"]["Provider"] == "CodeBuild"
    config = deploy["Configuration"]
    assert set(config) == {"ApplicationName", "DeploymentGroupName",
                           "TaskDefinitionTemplateArtifact", "TaskDefinitionTemplatePath",
                           "AppSpecTemplateArtifact", "AppSpecTemplatePath",
                           "Image1ArtifactName", "Image1ContainerName"}
    (build_output,) = build["OutputArtifacts"]
    assert deploy["InputArtifacts"] == [build_output]
    for key in ("TaskDefinitionTemplateArtifact", "AppSpecTemplateArtifact", "Image1ArtifactName"):
        assert config[key] == build_output["Name"]
    assert config["TaskDefinitionTemplatePath"] == TASKDEF_FILE
    assert config["AppSpecTemplatePath"] == APPSPEC_FILE
    # The image artifact must be imageDetail.json, the file the build writes.
    assert IMAGE_DETAIL_FILE in yaml.safe_load(buildspec())["artifacts"]["files"]
    # The container-name key holds the placeholder text of the taskdef, without brackets.
    assert f"<{config['Image1ContainerName']}>" == IMAGE_PLACEHOLDER
    assert config["ApplicationName"] == {"Ref": "CodeDeployApplication"}
    assert config["DeploymentGroupName"] == {"Ref": "DeploymentGroup"}
    assert template["Resources"]["Pipeline"]["Properties"]["PipelineType"] == "V2"


def test_no_mutable_latest_tag_anywhere_in_the_deployment_path(codedeploy_template):
    template = codedeploy_template
    text = json.dumps(template) + buildspec()
    assert not re.search(r":latest\b", text)
    assert "latest" not in json.dumps(rendered_taskdef(template))


SOURCES = {
    "connection": ("CodeStarSourceConnection", {"ConnectionArn", "FullRepositoryId",
                                                "BranchName", "OutputArtifactFormat",
                                                "DetectChanges"}),
    "codecommit": ("CodeCommit", {"RepositoryName", "BranchName", "PollForSourceChanges"}),
    "s3": ("S3", {"S3Bucket", "S3ObjectKey", "PollForSourceChanges"}),
}


def test_source_action_matches_the_setting(template, variant):
    kind = settings_for(variant).pipeline.source
    provider, keys = SOURCES[kind]
    (source,) = deploy_action(template)["Source"]
    assert source["ActionTypeId"] == {"Category": "Source", "Owner": "AWS",
                                      "Provider": provider, "Version": "1"}
    assert set(source["Configuration"]) == keys
    # Sources without change detection of their own are started by an EventBridge rule.
    has_rule = "SourceChangeRule" in template["Resources"]
    assert has_rule == (kind != "connection")


def test_every_source_variant_is_covered():
    assert {settings_for(v).pipeline.source for v in VARIANTS} == set(SOURCES)


# --- the artifact bucket ---------------------------------------------------------------------

def test_artifact_bucket_is_private_encrypted_versioned_tls_only_and_expiring(template, variant):
    days = settings_for(variant).pipeline.artifact_retention_days
    resource = template["Resources"]["ArtifactBucket"]
    bucket = resource["Properties"]
    assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True}
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    (lifecycle,) = bucket["LifecycleConfiguration"]["Rules"]
    assert lifecycle["ExpirationInDays"] == days
    assert lifecycle["NoncurrentVersionExpiration"] == {"NoncurrentDays": days}
    policy = template["Resources"]["ArtifactBucketPolicy"]["Properties"]["PolicyDocument"]
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # The objects' ARN as a Join: the form Control Tower's S3.PR.8 rule recognises.
    assert deny["Resource"] == [{"Fn::GetAtt": ["ArtifactBucket", "Arn"]},
                                {"Fn::Join": ["", [{"Fn::GetAtt": ["ArtifactBucket", "Arn"]},
                                                   "/*"]]}]


def test_build_project(template, variant):
    settings = settings_for(variant).pipeline
    project = template["Resources"]["BuildProject"]["Properties"]
    environment = project["Environment"]
    assert environment["PrivilegedMode"] is True
    assert environment["Type"] == "LINUX_CONTAINER"
    assert environment["ComputeType"] == settings.compute_type
    assert environment["Image"] == settings.build_image
    assert project["Source"]["Type"] == project["Artifacts"]["Type"] == "CODEPIPELINE"
    assert project["Cache"] == {"Type": "LOCAL", "Modes": ["LOCAL_DOCKER_LAYER_CACHE"]}
    assert project["TimeoutInMinutes"] == settings.build_timeout_minutes
    assert project["LogsConfig"]["CloudWatchLogs"]["GroupName"] == {"Ref": "BuildLogGroup"}


# --- the CLI ------------------------------------------------------------------------------------

def test_artifacts_command_writes_the_three_files(tmp_path):
    result = subprocess.run([sys.executable, "-m", "stacks", "artifacts", "--output",
                             str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["appspec.json", "buildspec.yml",
                                                         "taskdef.json"]
    assert (tmp_path / "buildspec.yml").read_text() == buildspec()
    template = load_template(rendered("default"))
    taskdef = json.loads(resolve_sub((tmp_path / "taskdef.json").read_text(), DEPLOY_TIME))
    assert taskdef == rendered_taskdef(template)
    assert json.loads((tmp_path / "appspec.json").read_text()) == rendered_appspec(template)


def test_artifacts_command_refuses_bad_settings(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[pipeline]\nsource = "github"\n')
    result = subprocess.run([sys.executable, "-m", "stacks", "artifacts", "--config",
                             str(config), "--output", str(tmp_path / "out")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("error: pipeline.source = \"github\": ")
    assert not (tmp_path / "out").exists()


@pytest.fixture(autouse=True)
def _no_aws_credentials_leak(monkeypatch):
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)


# --- IAM of the pipeline and the build ---------------------------------------------------------



def allow_statements(template: dict):
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                if statement["Effect"] == "Allow":
                    yield name, statement


def grants(template: dict, role: str) -> dict[str, dict]:
    """action -> the statement that grants it, for one role."""
    return {action: statement for name, statement in allow_statements(template) if name == role
            for action in statement["Action"]}


def test_no_wildcard_actions_and_star_only_where_unscoped(template):
    for role, statement in allow_statements(template):
        for action in statement["Action"]:
            assert "*" not in action, (role, action)
        if "*" in statement["Resource"]:
            assert set(statement["Action"]) <= set(ON_EVERY_RESOURCE), (role, statement)


def test_pass_role_only_for_the_task_roles_and_only_to_ecs_tasks(codedeploy_template):
    template = codedeploy_template
    passes = [(role, s) for role, s in allow_statements(template) if "iam:PassRole" in s["Action"]]
    assert [role for role, _ in passes] == ["PipelineRole"]
    (_, statement) = passes[0]
    assert statement["Action"] == ["iam:PassRole"]
    assert statement["Resource"] == [{"Fn::GetAtt": ["TaskExecutionRole", "Arn"]},
                                     {"Fn::GetAtt": ["TaskRole", "Arn"]}]
    assert statement["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}


def test_pipeline_deploys_through_the_deployment_group_not_the_application(
        codedeploy_template, codedeploy_variant):
    template = codedeploy_template
    variant = codedeploy_variant
    resource_id = settings_for(variant).resource_id
    role = grants(template, "PipelineRole")
    assert role["codedeploy:CreateDeployment"]["Resource"] == [{"Fn::Sub": (
        "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:"
        f"deploymentgroup:{resource_id}/{resource_id}")}]
    assert role["codedeploy:RegisterApplicationRevision"]["Resource"] == [{"Fn::Sub": (
        "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:"
        f"application:{resource_id}")}]
    tag = role["ecs:TagResource"]
    assert tag["Condition"] == {"StringEquals": {"ecs:CreateAction": "RegisterTaskDefinition"}}
    assert tag["Resource"] == [{"Fn::Sub": (
        "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:"
        f"task-definition/{resource_id}:*")}]
    config = role["codedeploy:GetDeploymentConfig"]["Resource"][0]["Fn::Sub"]
    name = props_of(template, "DeploymentGroup")["DeploymentConfigName"]
    assert config.endswith("deploymentconfig:" + (
        name if isinstance(name, str) else "${DeploymentConfig}"))


def props_of(template: dict, logical_id: str) -> dict:
    return template["Resources"][logical_id]["Properties"]


def test_bucket_actions_on_the_bucket_and_object_actions_on_its_objects(template):
    bucket = {"Fn::GetAtt": ["ArtifactBucket", "Arn"]}
    objects = {"Fn::Sub": "${ArtifactBucket.Arn}/*"}
    for role in ("PipelineRole", "BuildRole"):
        for action, statement in grants(template, role).items():
            if not action.startswith("s3:") or statement.get("Sid", "").startswith("Source"):
                continue
            expected = bucket if action.startswith(("s3:GetBucket", "s3:ListBucket")) \
                else objects
            assert statement["Resource"] == [expected], (role, action)


def test_build_role_pushes_only_to_the_service_repository(template):
    role = grants(template, "BuildRole")
    push = {"ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
            "ecr:PutImage", "ecr:BatchCheckLayerAvailability"}
    assert push <= set(role)
    for action in push:
        assert role[action]["Resource"] == [{"Fn::GetAtt": ["Repository", "Arn"]}]
    assert role["logs:PutLogEvents"]["Resource"] == [{"Fn::GetAtt": ["BuildLogGroup", "Arn"]}]


def test_source_permissions_match_the_source(template, variant):
    kind = settings_for(variant).pipeline.source
    role = grants(template, "PipelineRole")
    if kind == "connection":
        # The one connection, under each ARN prefix, in this account and region.
        statement = [s for name, s in allow_statements(template)
                     if name == "PipelineRole" and s.get("Sid") == "UseConnection"][0]
        assert statement["Action"] == ["codestar-connections:UseConnection",
                                       "codeconnections:UseConnection"]
        connection = {"Connection": {"Fn::Select": [
            5, {"Fn::Split": [":", {"Ref": "ConnectionArn"}]}]}}
        assert statement["Resource"] == [
            {"Fn::Sub": [f"arn:${{AWS::Partition}}:{prefix}:${{AWS::Region}}:"
                         "${AWS::AccountId}:${Connection}", connection]}
            for prefix in ("codestar-connections", "codeconnections")]
    elif kind == "codecommit":
        assert role["codecommit:GetBranch"]["Resource"] == [{"Fn::Sub": (
            "arn:${AWS::Partition}:codecommit:${AWS::Region}:${AWS::AccountId}:"
            "${RepositoryName}")}]
    else:
        by_sid = {s.get("Sid"): s for name, s in allow_statements(template)
                  if name == "PipelineRole"}
        assert by_sid["SourceObject"]["Action"][:2] == ["s3:GetObject", "s3:GetObjectVersion"]
        assert by_sid["SourceObject"]["Resource"] == [
            {"Fn::Sub": "arn:${AWS::Partition}:s3:::${SourceBucket}/${SourceObjectKey}"}]
        assert by_sid["SourceBucket"]["Resource"] == [
            {"Fn::Sub": "arn:${AWS::Partition}:s3:::${SourceBucket}"}]
    starts = grants(template, "SourceChangeRole") if kind != "connection" else {}
    if starts:
        assert starts["codepipeline:StartPipelineExecution"]["Resource"] == [{"Fn::Sub": (
            "arn:${AWS::Partition}:codepipeline:${AWS::Region}:${AWS::AccountId}:"
            f"{settings_for(variant).resource_id}")}]
