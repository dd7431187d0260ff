"""A promotion ([promotion] and [environments.<name>]): the settings, the stacks it renders,
what the pipeline does with them, the permissions across accounts, and a moto rehearsal of the
stacks in the delivery account.

Expected values come from outside the code under test where one exists: the environments'
own templates (the role names, log groups, task definitions the delivery stack must match),
cfn-lint, the permission evaluator on the rendered policies, and moto's CloudFormation.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import boto3
import pytest
import yaml
from cfnlint.api import ManualArgs, lint
from moto.core import DEFAULT_ACCOUNT_ID

from moto_harness import MOTO_REGION, moto_ready
from policies.evaluator import ALLOW, Request, decide
from policies.world import World
from stacks.artifacts import buildspec
from stacks.deploy_command import DIRECT_UPLOAD_LIMIT
from stacks.intrinsics import load_template
from stacks.promotion import build_promotion
from stacks.promotion_proof import prove_promotion
from stacks.settings import ENVIRONMENTS_MAX, RESOURCE_ID_MAX, SettingsError, parse_settings
from stacks.template import build_stack, deployable
from test_pipeline import install_stubs
from variants import LARGEST, PROMOTIONS

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / ".cfnlintrc.yaml").read_text())
EXAMPLE = PROMOTIONS["promotion"]
DELIVERY_ACCOUNT = EXAMPLE["promotion"]["account"]
PROD_ACCOUNT = EXAMPLE["environments"]["prod"]["account"]


def promotion(data: dict | None = None):
    return build_promotion(parse_settings(EXAMPLE if data is None else data))


@pytest.fixture(scope="module")
def example():
    return promotion()


def resources_of(template, kind: str) -> dict[str, dict]:
    document = template.to_dict()
    return {name: r for name, r in document["Resources"].items() if r["Type"] == kind}


# --- settings ----------------------------------------------------------------------------------

BASE = '[promotion]\norder = ["dev", "staging", "prod"]\n'


@pytest.mark.parametrize("text, key", [
    (BASE + "[environments.prod.scaling]\nminn = 4\n", "environments.prod.scaling.minn"),
    (BASE + "[environments.prod.scaling]\nmin = 0\n", "environments.prod.scaling.min"),
    ('[scaling]\nmax = 3\n' + BASE + "[environments.staging.scaling]\nmin = 4\n",
     "environments.staging.scaling.max"),
    (BASE + "[environments.prod.deployment]\ntraffic = \"fast\"\n",
     "environments.prod.deployment.traffic"),
    (BASE + "[environments.prod]\nregion = \"eu-west-1\"\n", "environments.prod.region"),
    (BASE + "[environments.prod.pipeline]\nsource = \"s3\"\n",
     "environments.prod.pipeline.source"),
    (BASE + "[environments.prod.service]\nname = \"other\"\n", "environments.prod.service.name"),
    (BASE + "[environments.prod.service]\nkeep_images = 9\n",
     "environments.prod.service.keep_images"),
    (BASE + "[environments.prod.service]\nenvironment = \"x\"\n",
     "environments.prod.service.environment"),
    (BASE + "[environments.prod]\napproval = \"yes\"\n", "environments.prod.approval"),
    (BASE + 'account = "111122223333"\n[environments.prod]\naccount = "4444"\n',
     "environments.prod.account"),
    (BASE + "[environments.prod]\naccount = \"444455556666\"\n", "promotion.account"),
    (BASE + "[environments.qa]\napproval = true\n", "environments.qa"),
    (BASE + "[environments.prod.deployment]\nengine = \"ecs\"\n",
     "environments.prod.deployment.engine"),
    (BASE + "[environments.prod.hooks]\nenabled = false\nrequests = 5\n",
     "environments.prod.hooks.requests"),
    ('[service]\nenvironment = "prod"\n' + BASE, "service.environment"),
    ('[promotion]\norder = ["dev"]\n', "promotion.order"),
    ('[promotion]\norder = ["dev", "dev"]\n', "promotion.order"),
    ('[promotion]\norder = ["dev", "delivery"]\n', "promotion.order"),
    ('[promotion]\norder = ["dev", "deploy-roles"]\n', "promotion.order"),
    # the repository is named after the application: ECR wants 2 characters at least
    ('[service]\nname = "x"\n' + BASE, "service.name"),
    ('[promotion]\norder = ["dev", "prod"]\nregion = "x"\n', "promotion.region"),
    ("[environments.prod]\napproval = true\n", "promotion.order"),
    ("[promotion]\n", "promotion.order"),
    ('service = "x"\n' + BASE, "service"),
    (BASE + "[environments.prod]\nscaling = 4\n", "environments.prod.scaling"),
    (BASE.replace('"prod"]', '"prod", "prod-1", "prod1"]'), "promotion.order"),
    (BASE.replace('"dev", "staging", "prod"', '"a", "b", "c", "d", "e", "f", "g"'),
     "promotion.order"),
    (BASE + "[environments.dev.deployment]\nengine = \"ecs\"\n",
     "environments.dev.deployment.engine"),
    ('[service]\nname = "a-long-application"\n'
     '[promotion]\norder = ["dev", "production"]\n', "promotion.order"),
    ('[service]\nname = "a-long-application"\n'
     '[promotion]\norder = ["production", "dev"]\n', "promotion.order"),
])
def test_every_problem_names_the_environment_and_the_dotted_key(text, key):
    with pytest.raises(SettingsError) as raised:
        parse_settings(tomllib.loads(text))
    assert [p.key for p in raised.value.problems] == [key], str(raised.value)


def test_an_environment_is_the_top_level_with_its_overrides():
    settings = parse_settings(EXAMPLE)
    by_name = {e.name: e for e in settings.promotion.environments}
    assert list(by_name) == EXAMPLE["promotion"]["order"]
    prod, staging, dev = by_name["prod"].settings, by_name["staging"].settings, by_name["dev"]
    assert (prod.scaling.min, prod.scaling.max) == (4, 20)
    assert prod.deployment.traffic == "canary" and staging.deployment.traffic == "all-at-once"
    # Overrides do not leak into other environments; the top level reaches every one.
    assert staging.scaling.min == 1 and dev.settings.network.nat_gateways == 1
    assert staging.network.nat_gateways == 2
    assert {e.settings.listeners.test_cidrs for e in by_name.values()} == {("203.0.113.0/24",)}
    assert [e.settings.resource_id for e in by_name.values()] == [
        "shop-dev", "shop-staging", "shop-prod"]
    assert [(e.account, e.approval) for e in by_name.values()] == [
        (None, False), (None, True), (PROD_ACCOUNT, True)]


def test_rules_relating_keys_apply_to_each_environment_with_its_overrides():
    """A top level that no environment uses as it is is not refused; a problem every
    environment has with a top-level value is reported once, as written; one that an
    environment has with a value it inherits says where the value comes from."""
    every_one_overrides = BASE + '[network]\nmode = "existing"\n' + "".join(
        f'[environments.{name}.network]\nmode = "create"\n' for name in ("dev", "staging", "prod"))
    assert parse_settings(tomllib.loads(every_one_overrides)).promotion
    with pytest.raises(SettingsError) as raised:
        parse_settings(tomllib.loads('[scaling]\nmin = 5\nmax = 3\n' + BASE))
    assert [str(p) for p in raised.value.problems] == [
        "scaling.max = 3: must be at least scaling.min (5)"]
    with pytest.raises(SettingsError) as raised:
        parse_settings(tomllib.loads('[alarms]\nresponse_time_seconds = 2.0\n' + BASE
                                     + "[environments.prod.alarms]\nenabled = false\n"))
    problem, = raised.value.problems
    assert problem.key == "environments.prod.alarms.response_time_seconds"
    assert problem.message.endswith("(the value comes from the top level's "
                                    "alarms.response_time_seconds)")


def test_an_override_beats_the_top_level_in_its_environment_only():
    data = {**EXAMPLE, "scaling": {"min": 2, "max": 10}}
    by_name = {e.name: e.settings for e in parse_settings(data).promotion.environments}
    assert {name: (s.scaling.min, s.scaling.max) for name, s in by_name.items()} == {
        "dev": (2, 10), "staging": (2, 10), "prod": (4, 20)}


def test_environments_in_one_other_account_share_its_stack():
    data = {**EXAMPLE, "environments": {**EXAMPLE["environments"],
                                        "staging": {"account": PROD_ACCOUNT}}}
    stacks = promotion(data)
    account, = stacks.accounts
    assert account.account == PROD_ACCOUNT
    assert sorted(account.deploy_roles) == ["prod", "staging"]
    assert [r.folder for r in stacks.in_deploy_order()].count(f"accounts/{PROD_ACCOUNT}") == 1


def test_the_delivery_account_named_again_is_the_same_account():
    data = {**EXAMPLE, "environments": {**EXAMPLE["environments"],
                                        "staging": {"account": DELIVERY_ACCOUNT}}}
    settings = parse_settings(data)
    assert [e.cross_account for e in settings.promotion.environments] == [False, False, True]


def test_without_a_promotion_nothing_changes():
    assert parse_settings({}).promotion is None
    with pytest.raises(ValueError, match="build_promotion"):
        build_stack(parse_settings(EXAMPLE))


# --- the stacks --------------------------------------------------------------------------------

def test_template_writes_every_stack_in_its_folder_and_the_commands_in_order(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "stacks", "template", "--config",
         str(ROOT / "examples" / "promotion.toml"), "--output", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, check=True)
    folders = [f"accounts/{PROD_ACCOUNT}", "environments/dev", "environments/staging",
               "environments/prod", "delivery"]
    assert result.stdout.split() == [str(tmp_path / folder / name) for folder in folders
                                     for name in ("template.yaml", "template.json")]
    stacks = [line.split()[1] for line in result.stderr.splitlines() if "--stack-name" in line]
    assert stacks == ["shop-deploy-roles", "shop-dev", "shop-staging", "shop-prod",
                      "shop-delivery"]
    accounts = [line for line in result.stderr.splitlines() if line.startswith("# ")][1:]
    assert [line.rsplit(" ", 1)[-1] for line in accounts] == [
        PROD_ACCOUNT, DELIVERY_ACCOUNT, DELIVERY_ACCOUNT, PROD_ACCOUNT, DELIVERY_ACCOUNT]
    for folder in folders:
        compact = (tmp_path / folder / "template.json").read_text()
        assert len(compact.encode()) <= DIRECT_UPLOAD_LIMIT, folder
        assert "--s3-bucket" not in result.stderr
        matches = lint(compact, config=ManualArgs(regions=CONFIG["regions"],
                                                  include_checks=CONFIG["include_checks"]))
        assert [f"{m.rule.id} {m.message}" for m in matches] == [], folder


def test_the_same_settings_give_the_same_files():
    first, second = promotion(), promotion()
    for a, b in zip(first.in_deploy_order(), second.in_deploy_order()):
        assert deployable(None, a.template.to_dict()) == deployable(None, b.template.to_dict())


def test_an_environment_stack_has_no_pipeline_and_pulls_from_the_delivery_repository(example):
    for e in example.environments:
        document = e.stack.document()
        kinds = {r["Type"] for r in document["Resources"].values()}
        assert not kinds & {"AWS::CodePipeline::Pipeline", "AWS::CodeBuild::Project",
                            "AWS::ECR::Repository"}
        assert "AWS::CodeDeploy::DeploymentGroup" in kinds
        assert not {"ConnectionArn", "RepositoryId", "BranchName"} & set(document["Parameters"])
        world = World(document, account=e.environment.account or DELIVERY_ACCOUNT)
        policy = world.resolve(document["Resources"]["TaskExecutionRole"]["Properties"][
            "Policies"][0]["PolicyDocument"])
        pull = next(s for s in policy["Statement"] if s["Sid"] == "PullServiceImage")
        assert pull["Resource"] == [f"arn:aws:ecr:eu-west-1:{DELIVERY_ACCOUNT}:repository/shop"]


def test_the_pipeline_builds_once_then_deploys_environment_by_environment(example):
    pipeline = next(iter(resources_of(example.delivery.template,
                                      "AWS::CodePipeline::Pipeline").values()))
    stages = pipeline["Properties"]["Stages"]
    assert [s["Name"] for s in stages] == ["Source", "Build", "dev", "staging", "prod"]
    assert [a["ActionTypeId"]["Provider"] for s in stages[:2] for a in s["Actions"]] == [
        "CodeStarSourceConnection", "CodeBuild"]
    for stage, e in zip(stages[2:], example.environments):
        actions = {a["Name"]: a for a in stage["Actions"]}
        assert list(actions) == (["Approve", "Deploy"] if e.environment.approval else ["Deploy"])
        deploy = actions["Deploy"]
        assert deploy["ActionTypeId"]["Provider"] == "CodeDeployToECS"
        assert deploy["RunOrder"] == len(actions)  # after the approval
        assert deploy["Configuration"]["ApplicationName"] == e.names.codedeploy_application
        # The names the environment's own stack gives its application and group.
        environment = e.stack.document()["Resources"]
        assert deploy["Configuration"]["DeploymentGroupName"] == environment[
            "DeploymentGroup"]["Properties"]["DeploymentGroupName"]
        role = World({"Resources": {}}, account=DELIVERY_ACCOUNT).resolve(deploy["RoleArn"])
        assert role == (f"arn:aws:iam::{e.environment.account or DELIVERY_ACCOUNT}:role/"
                        f"{e.names.deploy_role}")
        if e.environment.approval:
            # the approval before the deployment, which waits for it
            assert actions["Approve"]["RunOrder"] < deploy["RunOrder"]
            summary = actions["Approve"]["Configuration"]["CustomData"]
            assert "#{BuildVariables.IMAGE_URI}" in summary
            assert "#{SourceVariables.CommitId}" in summary
            before = example.environments[example.environments.index(e) - 1]
            assert summary.endswith(f"to {e.environment.name}; it runs in "
                                    f"{before.environment.name}.")


def test_every_file_a_deploy_action_reads_is_one_the_build_writes(example):
    build = next(iter(resources_of(example.delivery.template,
                                   "AWS::CodeBuild::Project").values()))
    spec = yaml.safe_load(build["Properties"]["Source"]["BuildSpec"])
    written = set(spec["artifacts"]["files"])
    assert "IMAGE_URI" in spec["env"]["exported-variables"]
    pipeline = next(iter(resources_of(example.delivery.template,
                                      "AWS::CodePipeline::Pipeline").values()))
    read = {action["Configuration"][key] for stage in pipeline["Properties"]["Stages"][2:]
            for action in stage["Actions"] if action["Name"] == "Deploy"
            for key in ("TaskDefinitionTemplatePath", "AppSpecTemplatePath")}
    assert read | {"imageDetail.json"} == written


def _variables(example) -> dict:
    build = next(iter(resources_of(example.delivery.template,
                                   "AWS::CodeBuild::Project").values()))
    return {v["Name"]: v["Value"] for v in build["Properties"]["Environment"][
        "EnvironmentVariables"]}


def test_each_taskdef_is_the_environment_stacks_task_definition(example):
    """What the delivery stack hands the build, resolved in the delivery account, equals the
    task definition the environment's stack registers, resolved in its own account: the same
    role ARNs, log group and region (only the image differs)."""
    variables = _variables(example)
    assert variables["ENVIRONMENTS"] == "dev staging prod"
    delivery = World(example.delivery.template.to_dict(), account=DELIVERY_ACCOUNT)
    for index, e in enumerate(example.environments, start=1):
        taskdef = json.loads(delivery.resolve(variables[f"TASKDEF_JSON_{index}"]))
        appspec = json.loads(delivery.resolve(variables[f"APPSPEC_JSON_{index}"]))
        own = e.stack.document()
        world = World(own, account=e.environment.account or DELIVERY_ACCOUNT)
        properties = world.resolve(own["Resources"]["TaskDefinition"]["Properties"])
        assert taskdef["executionRoleArn"] == properties["ExecutionRoleArn"]
        assert taskdef["taskRoleArn"] == properties["TaskRoleArn"]
        container, = taskdef["containerDefinitions"]
        own_container, = properties["ContainerDefinitions"]
        assert container["logConfiguration"]["options"] == own_container[
            "LogConfiguration"]["Options"]
        assert container["image"] == "<IMAGE1_NAME>"
        assert (taskdef["family"], taskdef["cpu"], taskdef["memory"]) == (
            properties["Family"], properties["Cpu"], properties["Memory"])
        hook = own["Resources"]["TestTrafficHook"]["Properties"]["FunctionName"]
        assert appspec["Hooks"] == [{"AfterAllowTestTraffic": hook}]
        assert appspec["Resources"][0]["TargetService"]["Properties"]["LoadBalancerInfo"] == {
            "ContainerName": own_container["Name"],
            "ContainerPort": own_container["PortMappings"][0]["ContainerPort"]}


# --- the build ---------------------------------------------------------------------------------

DIGEST = "sha256:" + "ab" * 32
COMMIT = "0123456789abcdef0123456789abcdef01234567"
STUB_AWS = """#!/bin/sh
echo "aws $*" >> "$CALLS"
case "$*" in
  *"imageTag=$COMMIT --query imageDetails[0].imageDigest"*) printf '%s\\n' "$DIGEST" ;;
  *"--query imageDetails[0].imageDigest"*) echo "ImageNotFoundException" >&2; exit 254 ;;
  "ecr describe-images"*) echo "ImageNotFoundException" >&2; exit 254 ;;
  "ecr get-login-password"*) echo not-a-real-password ;;
esac
"""


def run_promotion_build(tmp_path: Path, digest: str) -> tuple[subprocess.CompletedProcess,
                                                               Path, dict]:
    """Every command of the build phase in one shell, as CodeBuild runs them (version 0.2),
    stopping at the first that fails (the phase's on-failure: ABORT), with the delivery
    stack's variables resolved; then the exported IMAGE_URI written to `exported`."""
    example = promotion()
    stubs = install_stubs(tmp_path, STUB_AWS)
    work = tmp_path / "src"
    work.mkdir()
    world = World(example.delivery.template.to_dict(), account=DELIVERY_ACCOUNT)
    variables = {name: world.resolve(value) for name, value in _variables(example).items()}
    environment = {"PATH": f"{stubs}:/usr/bin:/bin", "CALLS": str(tmp_path / "calls"),
                   "DIGEST": digest, "COMMIT": COMMIT,
                   "CODEBUILD_RESOLVED_SOURCE_VERSION": COMMIT,
                   "AWS_DEFAULT_REGION": "eu-west-1", **variables}
    commands = yaml.safe_load(buildspec(environments=("dev", "staging", "prod")))[
        "phases"]["build"]["commands"]
    script = "\n".join(["set -e"] + commands + ['printf %s "$IMAGE_URI" > exported'])
    result = subprocess.run(["bash", "-c", script], cwd=work, env=environment,
                            capture_output=True, text=True, timeout=60)
    return result, work, variables


def test_the_build_names_the_image_by_digest_and_writes_each_environments_files(tmp_path):
    result, work, variables = run_promotion_build(tmp_path, DIGEST)
    assert result.returncode == 0, result.stderr
    repository = variables["REPOSITORY_URI"]
    assert json.loads((work / "imageDetail.json").read_text()) == {
        "ImageURI": f"{repository}@{DIGEST}"}
    for index, name in enumerate(("dev", "staging", "prod"), start=1):
        assert (work / f"taskdef-{name}.json").read_text() == variables[
            f"TASKDEF_JSON_{index}"] + "\n"
        assert (work / f"appspec-{name}.json").read_text() == variables[
            f"APPSPEC_JSON_{index}"] + "\n"


@pytest.mark.parametrize("digest", ["None", "sha256:abc", "sha256:" + "AB" * 32])
def test_the_build_fails_without_a_digest(tmp_path, digest):
    result, work, _ = run_promotion_build(tmp_path, digest)
    assert result.returncode != 0
    assert "No digest" in result.stderr


# --- permissions -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def proofs():
    return {proof.role: proof for proof in prove_promotion(parse_settings(EXAMPLE))}


def test_every_role_of_every_stack_grants_exactly_what_its_service_needs(proofs, example):
    roles = {f"{r.folder}: {name}" for r in example.in_deploy_order()
             for name in resources_of(r.template, "AWS::IAM::Role")}
    assert set(proofs) == roles
    for proof in proofs.values():
        assert proof.ok, (proof.role, proof.missing, proof.leaks, proof.unexplained_grants)


@pytest.mark.parametrize("role, others", [
    ("delivery: DeployRoleDev", ("shop-staging", "shop-prod")),
    ("delivery: DeployRoleStaging", ("shop-dev", "shop-prod")),
    (f"accounts/{PROD_ACCOUNT}: DeployRoleProd", ("shop-dev", "shop-staging")),
])
def test_a_deploy_role_cannot_touch_another_environment(proofs, role, others):
    near = [v for v in proofs[role].near_misses]
    for other in others:
        touching = [v for v in near if other in v.call.resource]
        assert {v.call.action for v in touching} >= {
            "codedeploy:CreateDeployment", "codedeploy:RegisterApplicationRevision",
            "ecs:TagResource", "iam:PassRole"}
        assert all(v.decision != ALLOW for v in touching), role
    # Its own environment, beyond the deployment: writing artifacts, the key outside S3,
    # the service around CodeDeploy.
    own = {(v.call.action, v.call.context.get("kms:ViaService")) for v in near
           if not any(other in v.call.resource for other in others)}
    assert own >= {("s3:PutObject", None), ("kms:Decrypt", None), ("ecs:UpdateService", None),
                   ("codedeploy:GetDeploymentConfig", None)}
    assert all(v.decision != ALLOW for v in near), role


def test_the_pipeline_role_deploys_only_as_the_deploy_roles(proofs):
    proof = proofs["delivery: PipelineRole"]
    assumed = {v.call.resource for v in proof.required if v.call.action == "sts:AssumeRole"}
    assert assumed == {f"arn:aws:iam::{DELIVERY_ACCOUNT}:role/shop-dev-deploy",
                       f"arn:aws:iam::{DELIVERY_ACCOUNT}:role/shop-staging-deploy",
                       f"arn:aws:iam::{PROD_ACCOUNT}:role/shop-prod-deploy"}
    direct = [v for v in proof.near_misses if v.call.action == "codedeploy:CreateDeployment"]
    assert len(direct) == 3 and all(v.decision != ALLOW for v in direct)


def _named_roles(template) -> dict[str, str]:
    return {r["Properties"]["RoleName"]: name
            for name, r in resources_of(template, "AWS::IAM::Role").items()
            if "RoleName" in r["Properties"]}


VIA_S3 = {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}


def _admitted(policy: dict, world: World, action: str, principal_arn: str,
              context: dict | None = None) -> bool:
    """Whether a resource policy's Allow statements admit this role for this action: its
    account among the principals, and the statement's conditions met (in `context`, S3 using
    the key by default)."""
    account = principal_arn.split(":")[4]
    context = {"aws:PrincipalArn": principal_arn, **(VIA_S3 if context is None else context)}
    for statement in world.resolve(policy)["Statement"]:
        principals = statement.get("Principal", {})
        principals = principals.get("AWS", []) if isinstance(principals, dict) else []
        if statement["Effect"] != "Allow" or \
                f"arn:aws:iam::{account}:root" not in principals:
            continue
        single = {**statement, "Resource": "*"}
        if decide([{"Statement": [single]}], Request(action, "*", context)) == ALLOW:
            return True
    return False


def _cross_account_policies(example) -> dict:
    delivery = example.delivery.template.to_dict()["Resources"]
    bucket = next(r for r in delivery.values() if r["Type"] == "AWS::S3::BucketPolicy"
                  and r["Properties"]["Bucket"] == {"Ref": "ArtifactBucket"})
    return {"key": delivery["ArtifactKey"]["Properties"]["KeyPolicy"],
            "bucket": bucket["Properties"]["PolicyDocument"],
            "repository": delivery["Repository"]["Properties"]["RepositoryPolicyText"]}


def test_the_other_accounts_roles_and_only_they_may_use_the_artifacts_and_images(example):
    """The key policy, the bucket policy and the repository policy admit the prod account's
    deploy role (key, bucket) and task execution role (images), by the names prod's own
    stacks give those roles, and no other role of that account."""
    world = World(example.delivery.template.to_dict(), account=DELIVERY_ACCOUNT)
    prod = next(e for e in example.environments if e.environment.name == "prod")
    deploy_role, = [name for name in _named_roles(example.accounts[0].template)]
    execution_role = next(name for name in _named_roles(prod.stack.template)
                          if name.endswith("-task-execution"))
    arn = f"arn:aws:iam::{PROD_ACCOUNT}:role/"
    policies = _cross_account_policies(example)
    for policy, action, admitted in (
            (policies["key"], "kms:Decrypt", deploy_role),
            (policies["bucket"], "s3:GetObject", deploy_role),
            (policies["repository"], "ecr:BatchGetImage", execution_role)):
        assert _admitted(policy, world, action, arn + admitted), (action, admitted)
        for other in ("shop-prod-task", "admin", deploy_role if admitted != deploy_role
                      else execution_role):
            assert not _admitted(policy, world, action, arn + other), (action, other)
    # The key only through S3.
    assert not _admitted(policies["key"], world, "kms:Decrypt", arn + deploy_role, {})


# What another account's role may do with each, and nothing more: read the artifacts a
# CodeDeployToECS action consumes (the cross-account guide); pull, as ECR's example repository
# policy for pulling from another account lists it.
# https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-create-cross-account.html
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html
OTHER_ACCOUNTS_MAY = {
    "key": {"kms:Decrypt"},
    "bucket": {"s3:GetObject", "s3:GetObjectVersion"},
    "repository": {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                   "ecr:BatchCheckLayerAvailability"},
}


def test_other_accounts_get_only_what_their_deployments_read(example):
    world = World(example.delivery.template.to_dict(), account=DELIVERY_ACCOUNT)
    prod_root = f"arn:aws:iam::{PROD_ACCOUNT}:root"
    for name, policy in _cross_account_policies(example).items():
        granted = {action for statement in world.resolve(policy)["Statement"]
                   if statement["Effect"] == "Allow"
                   and prod_root in statement.get("Principal", {}).get("AWS", [])
                   for action in statement["Action"]}
        assert granted == OTHER_ACCOUNTS_MAY[name], name


def test_the_key_stays_manageable_by_its_own_account(example):
    """AWS's default key policy statement: the key's account manages it through IAM (without
    it KMS refuses a policy that would lock the account out, and the delivery account's own
    roles could not use the key through their IAM policies).
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"""
    world = World(example.delivery.template.to_dict(), account=DELIVERY_ACCOUNT)
    statements = world.resolve(_cross_account_policies(example)["key"])["Statement"]
    assert {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{DELIVERY_ACCOUNT}:root"]},
            "Action": ["kms:*"], "Resource": ["*"]} in [
        {k: v for k, v in s.items() if k != "Sid"} for s in statements]


def test_what_another_account_reads_is_encrypted_with_the_shared_key(example):
    """The pipeline's artifact store, the bucket's default and the build's output all use the
    key another account may decrypt: anything under S3's own key (aws/s3) it could not read.
    The key rotates (Control Tower's KMS.PR.1). Without another account none of it: SSE-S3."""
    resources = example.delivery.template.to_dict()["Resources"]
    key = {"Fn::GetAtt": ["ArtifactKey", "Arn"]}
    assert resources["ArtifactKey"]["Properties"]["EnableKeyRotation"] is True
    assert resources["Pipeline"]["Properties"]["ArtifactStore"]["EncryptionKey"] == {
        "Id": key, "Type": "KMS"}
    assert resources["BuildProject"]["Properties"]["EncryptionKey"] == key
    rule, = resources["ArtifactBucket"]["Properties"]["BucketEncryption"][
        "ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms",
                                                     "KMSMasterKeyID": key}
    # The delivery stack's log bucket takes the artifact bucket's access logs only.
    log_policy = resources["LogBucketPolicy"]["Properties"]["PolicyDocument"]
    assert sorted(s["Sid"] for s in log_policy["Statement"]) == [
        "DenyInsecureTransport", "ServerAccessLogs"]


def test_a_deploy_role_elsewhere_trusts_the_pipeline_role_by_its_name(example):
    pipeline_role = _named_roles(example.delivery.template)
    name, = [n for n, logical in pipeline_role.items() if logical == "PipelineRole"]
    world = World({"Resources": {}}, account=PROD_ACCOUNT)
    for role in resources_of(example.accounts[0].template, "AWS::IAM::Role").values():
        trust = world.resolve(role["Properties"]["AssumeRolePolicyDocument"])
        statement, = trust["Statement"]
        assert statement["Action"] == ["sts:AssumeRole"]
        assert statement["Principal"] == {"AWS": [f"arn:aws:iam::{DELIVERY_ACCOUNT}:root"]}
        assert statement["Condition"] == {"ArnEquals": {"aws:PrincipalArn": [
            f"arn:aws:iam::{DELIVERY_ACCOUNT}:role/{name}"]}}


def test_same_account_promotion_keeps_sse_s3_and_needs_no_account_stack():
    data = {**EXAMPLE, "environments": {**EXAMPLE["environments"],
                                        "prod": {"approval": True}}}
    data["promotion"] = {"order": EXAMPLE["promotion"]["order"]}
    stacks = promotion(data)
    assert stacks.accounts == ()
    assert stacks.delivery.key is None
    delivery = stacks.delivery.template.to_dict()["Resources"]
    assert "RepositoryPolicyText" not in delivery["Repository"]["Properties"]
    assert "BucketName" not in delivery["ArtifactBucket"]["Properties"]
    assert set(stacks.delivery.deploy_roles) == {"dev", "staging", "prod"}
    proofs = prove_promotion(parse_settings(data))
    assert all(p.ok for p in proofs), [p.role for p in proofs if not p.ok]


# --- moto rehearsal ----------------------------------------------------------------------------

REGION = MOTO_REGION


def test_rehearsal_creates_the_delivery_account_stacks_and_they_fit_together(aws):
    """In moto's CloudFormation, in the delivery account: dev and staging, then the delivery
    stack. The roles the environments create are the roles the delivery stack's taskdef.json
    names, its deploy roles exist with their policies, and the pipeline has one stage per
    environment."""
    from test_moto_deploy import parameters_for

    # The delivery account is the account the stacks are created in: moto's.
    stacks = promotion({**EXAMPLE, "promotion": {**EXAMPLE["promotion"],
                                                  "account": DEFAULT_ACCOUNT_ID}})
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    created = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for rendered in stacks.in_deploy_order():
            if rendered.account is not None:  # another account: not this rehearsal's
                continue
            template = load_template(deployable(None, rendered.template.to_dict()))
            environment = next((e for e in stacks.environments
                                if e.stack.settings.resource_id == rendered.stack_name), None)
            body = moto_ready(template, environment.stack.settings.scaling.min
                              if environment else 0)
            cloudformation.create_stack(
                StackName=rendered.stack_name, TemplateBody=json.dumps(body),
                Capabilities=["CAPABILITY_NAMED_IAM"],
                Parameters=[{"ParameterKey": k, "ParameterValue": v}
                            for k, v in parameters_for(template).items()])
            stack = cloudformation.describe_stacks(StackName=rendered.stack_name)["Stacks"][0]
            assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
            created[rendered.stack_name] = {
                r["LogicalResourceId"]: r["PhysicalResourceId"] for r in
                cloudformation.list_stack_resources(StackName=rendered.stack_name)[
                    "StackResourceSummaries"]}
    assert list(created) == ["shop-dev", "shop-staging", "shop-delivery"]
    iam = boto3.client("iam")
    world = World(stacks.delivery.template.to_dict(), account=DEFAULT_ACCOUNT_ID)
    variables = _variables(stacks)
    for index, name in enumerate(("dev", "staging"), start=1):
        taskdef = json.loads(world.resolve(variables[f"TASKDEF_JSON_{index}"]))
        for key, logical in (("executionRoleArn", "TaskExecutionRole"),
                             ("taskRoleArn", "TaskRole")):
            role = iam.get_role(RoleName=created[f"shop-{name}"][logical])["Role"]
            assert role["Arn"] == taskdef[key]
        deploy = iam.get_role(RoleName=f"shop-{name}-deploy")["Role"]
        assert deploy["AssumeRolePolicyDocument"]["Statement"][0]["Condition"] == {
            "ArnEquals": {"aws:PrincipalArn": [
                f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/shop-delivery-pipeline"]}}
        assert iam.list_role_policies(RoleName=f"shop-{name}-deploy")["PolicyNames"] == [
            f"deploy-{name}"]
    # moto creates no pipeline or build from a template (tests/moto_harness.py): the key,
    # the bucket and the repository are what the other account's roles use.
    assert {"ArtifactKey", "ArtifactBucket", "Repository", "DeployRoleDev",
            "DeployRoleStaging"} <= set(created["shop-delivery"])
    bucket = created["shop-delivery"]["ArtifactBucket"]
    assert bucket == f"shop-artifacts-{DEFAULT_ACCOUNT_ID}-{REGION}"
    encryption = boto3.client("s3").get_bucket_encryption(Bucket=bucket)[
        "ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    # (moto's describe_key cannot read a key policy given as an object, as CloudFormation
    # gives it; list_keys reads no policy.)
    key, = [k["KeyArn"] for k in boto3.client("kms").list_keys()["Keys"]
            if k["KeyId"] == created["shop-delivery"]["ArtifactKey"]]
    assert encryption == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}
    # (moto's CloudFormation sets no repository policy; its text is checked above.)
    repository, = boto3.client("ecr").describe_repositories(repositoryNames=["shop"])[
        "repositories"]
    assert repository["imageTagMutability"] == "IMMUTABLE"


# --- the other commands ------------------------------------------------------------------------

def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stacks", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_plan_adds_each_environments_deployment_after_the_build():
    from stacks.timeline import APPROVAL_TIMEOUT_SECONDS, plan, promotion_steps
    settings = parse_settings(EXAMPLE)
    steps = promotion_steps(settings)
    assert (steps[0].name, steps[0].seconds) == (
        "build", settings.pipeline.build_timeout_minutes * 60)
    expected = []
    for e in settings.promotion.environments:
        if e.approval:
            expected.append((f"{e.name}: approval", APPROVAL_TIMEOUT_SECONDS, True))
        expected.append((f"{e.name}: deployment", plan(e.settings).until_old_tasks_gone,
                         False))
    assert [(s.name, s.seconds, s.person) for s in steps[1:]] == expected
    # prod's canary, 60 minutes' wait: a deployment longer than the others'
    assert expected[-1][1] > 3600 > expected[0][1]
    output = run_cli("plan", "--config", str(ROOT / "examples" / "promotion.toml")).stdout
    assert output.count("deployment of shop-") == 3


def test_check_artifacts_and_diagram_write_per_stack_and_terraform_refuses(tmp_path):
    config = str(ROOT / "examples" / "promotion.toml")
    check = run_cli("check", config)
    assert check.returncode == 0
    assert check.stdout.count("template.json") == 5 and "--s3-bucket" not in check.stdout
    assert run_cli("artifacts", "--config", config, "--output",
                   str(tmp_path / "a")).returncode == 0
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(
        ["buildspec.yml"] + [f"{kind}-{e}.json" for e in ("dev", "staging", "prod")
                             for kind in ("taskdef", "appspec")])
    # The files as the build writes them: what the delivery stack hands it.
    example = promotion()
    build = next(iter(resources_of(example.delivery.template,
                                   "AWS::CodeBuild::Project").values()))
    assert (tmp_path / "a" / "buildspec.yml").read_text() == build["Properties"]["Source"][
        "BuildSpec"]
    variables = _variables(example)
    for index, name in enumerate(("dev", "staging", "prod"), start=1):
        for kind in ("taskdef", "appspec"):
            written = json.loads((tmp_path / "a" / f"{kind}-{name}.json").read_text())
            handed = variables[f"{kind.upper()}_JSON_{index}"]
            assert written == json.loads(handed["Fn::Sub"] if isinstance(handed, dict)
                                         else handed), (kind, name)
    diagram = run_cli("diagram", "--config", config, "--output", str(tmp_path / "d"))
    assert diagram.returncode == 0
    assert (tmp_path / "d" / "environments" / "prod" / "diagram.mmd").exists()
    assert "assumed by shop-delivery-pipeline" in (
        tmp_path / "d" / "accounts" / PROD_ACCOUNT / "diagram.mmd").read_text()
    # Each folder's picture is of its own stack.
    import pydot
    for rendered in promotion().in_deploy_order():
        graph, = pydot.graph_from_dot_file(str(tmp_path / "d" / rendered.folder /
                                               "diagram.dot"))
        drawn = {node.get_name().strip('"') for node in graph.get_nodes()} - {"node", "graph"}
        assert drawn and drawn <= set(rendered.template.resources), rendered.folder
    terraform = run_cli("terraform", "--config", config, "--output", str(tmp_path / "t"))
    assert terraform.returncode == 2 and "[promotion]" in terraform.stderr
    assert not (tmp_path / "t").exists()


def test_the_readme_names_what_cannot_differ_by_environment():
    from stacks.settings import DELIVERY_WIDE
    section = (ROOT / "README.md").read_text().split("## Promotion across environments")[1]
    section = section.split("\n## ")[0]
    for key in DELIVERY_WIDE:
        assert f"`{key}`" in section or f"`[{key}]`" in section, key


def largest_promotion(elsewhere: bool = True) -> dict:
    """The largest settings (tests/variants.py LARGEST) promoted through the most
    environments, each with the longest name the resource id allows and approved; each in an
    account of its own (the key, the policies naming them: the largest account stacks), or
    all in the delivery account (every deploy role in the delivery stack: its largest)."""
    data = {section: dict(values) for section, values in LARGEST.items()}
    service = {key: value for key, value in data["service"].items() if key != "environment"}
    data["service"] = service
    longest = RESOURCE_ID_MAX - 1 - len(service["name"])
    order = [f"e{index}".ljust(longest, "x") for index in range(ENVIRONMENTS_MAX)]
    data["promotion"] = {"order": order, "account": DELIVERY_ACCOUNT}
    data["environments"] = {name: {"approval": True, **({"account": f"{444455556660 + index}"}
                                                       if elsewhere else {})}
                            for index, name in enumerate(order)}
    return data


@pytest.mark.parametrize("elsewhere", [True, False])
def test_the_largest_promotion_deploys_without_a_bucket(elsewhere):
    stacks = promotion(largest_promotion(elsewhere))
    assert len(stacks.environments) == ENVIRONMENTS_MAX
    assert len(stacks.accounts) == (ENVIRONMENTS_MAX if elsewhere else 0)
    sizes = {r.folder: len(deployable(None, r.template.to_dict()).encode())
             for r in stacks.in_deploy_order()}
    assert max(sizes.values()) <= DIRECT_UPLOAD_LIMIT, sizes


def test_every_delivery_name_fits_its_limit():
    """With the longest service.name (one-letter environments leave it all the room)."""
    from stacks.naming import delivery_names
    longest = RESOURCE_ID_MAX - 2
    settings = parse_settings({"service": {"name": "a" * longest},
                               "promotion": {"order": ["a", "b"], "account": DELIVERY_ACCOUNT},
                               "environments": {"b": {"account": PROD_ACCOUNT}}})
    assert len(settings.service.name) == longest
    for key, (value, limit) in delivery_names(settings).limits().items():
        assert len(value) <= limit, (key, value)


@pytest.mark.parametrize("source, revision", [
    # The source actions' output variables: CommitId for a connection and CodeCommit,
    # VersionId for S3 (CodePipeline's action reference, "Output variables").
    ("connection", "CommitId"), ("codecommit", "CommitId"), ("s3", "VersionId")])
def test_an_approval_names_the_image_and_the_source_revision(source, revision):
    stacks = promotion({**EXAMPLE, "pipeline": {"source": source}})
    pipeline = stacks.delivery.template.to_dict()["Resources"]["Pipeline"]["Properties"]
    approvals = [action for stage in pipeline["Stages"] for action in stage["Actions"]
                 if action["Name"] == "Approve"]
    assert len(approvals) == 2
    for approval in approvals:
        summary = approval["Configuration"]["CustomData"]
        assert f"#{{SourceVariables.{revision}}}" in summary
        assert "#{BuildVariables.IMAGE_URI}" in summary


def test_the_build_exports_the_image_it_names(tmp_path):
    """The exported IMAGE_URI (the approvals' summary) is the image imageDetail.json names."""
    result, work, _ = run_promotion_build(tmp_path, DIGEST)
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(buildspec(environments=("dev",)))["env"]["exported-variables"] == [
        "IMAGE_URI"]
    assert (work / "exported").read_text() == json.loads(
        (work / "imageDetail.json").read_text())["ImageURI"]
    assert (work / "exported").read_text().endswith(f"@{DIGEST}")


@pytest.mark.parametrize("names", [("dev", "staging", "prod"),
                                   ("approval", "preapproval", "prod")])
def test_plan_counts_every_step_but_the_approvals(names):
    """Whatever the environments are called (one may well be called "approval")."""
    from stacks.timeline import _duration, plan, render_promotion
    data = {**EXAMPLE, "promotion": {**EXAMPLE["promotion"], "order": list(names)},
            "environments": {new: EXAMPLE["environments"][old]
                             for old, new in zip(("dev", "staging", "prod"), names)}}
    settings = parse_settings(data)
    total = settings.pipeline.build_timeout_minutes * 60 + sum(
        plan(e.settings).until_old_tasks_gone for e in settings.promotion.environments)
    assert f"without waiting for approvals: {_duration(total)} from push" in \
        render_promotion(settings)


def test_a_newer_push_replaces_one_waiting_to_be_promoted(example):
    """SUPERSEDED: a push that reaches an environment's stage while an older one holds it
    (deploying, or waiting for approval) waits at the entrance and replaces any push waiting
    there before it, so each approval is for the newest image that passed the stages before.
    https://docs.aws.amazon.com/codepipeline/latest/userguide/concepts-how-it-works.html"""
    pipeline = example.delivery.template.to_dict()["Resources"]["Pipeline"]["Properties"]
    assert pipeline["ExecutionMode"] == "SUPERSEDED"


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("## Promotion across environments")[1].split("\n## ")[0]


def test_the_readme_documents_every_promotion_key_and_the_planned_timeline():
    from stacks.settings import ENVIRONMENT_KEYS, PROMOTION_KEYS
    section = _readme_section()
    for key in PROMOTION_KEYS:
        assert f"| `promotion.{key}` |" in section, key
    for key in ENVIRONMENT_KEYS:
        assert f"| `environments.<name>.{key}` |" in section, key
    planned = run_cli("plan", "--config", str(ROOT / "examples" / "promotion.toml")).stdout
    block = section.split("```text\n")[1].split("```")[0]
    assert block and all(line in planned.splitlines() for line in block.splitlines())


def test_the_promotion_stacks_logical_ids_are_stable(example):
    """Logical IDs are public API (renaming one replaces a live resource): the delivery and
    account stacks' are stated here, as the snapshot states the single stack's."""
    assert sorted(example.delivery.template.resources) == [
        "ApprovalTopic", "ArtifactBucket", "ArtifactBucketPolicy", "ArtifactKey",
        "BuildLogGroup", "BuildProject",
        "BuildRole", "DeployRoleDev", "DeployRoleStaging", "LogBucket", "LogBucketPolicy",
        "Pipeline", "PipelineRole", "Repository"]
    assert sorted(example.accounts[0].template.resources) == ["DeployRoleProd"]
    assert sorted(example.accounts[0].template.outputs) == ["DeployRoleArnProd"]


def test_the_delivery_stacks_own_roles_name_its_account_as_deployed(example):
    """In the delivery stack, its own account is AWS::AccountId, never the configured id: the
    roles there trust the pipeline role of the account they are in."""
    for role in ("DeployRoleDev", "DeployRoleStaging"):
        trust = example.delivery.template.to_dict()["Resources"][role]["Properties"][
            "AssumeRolePolicyDocument"]
        assert DELIVERY_ACCOUNT not in json.dumps(trust)
        assert "${AWS::AccountId}" in json.dumps(trust)


def test_approvers_are_told_when_notifications_are_on(example, proofs):
    """notifications.enabled at the top level: the delivery stack's topic is named in every
    approval, and the pipeline role may publish to it (the proof's required call); off: no
    topic."""
    resources = example.delivery.template.to_dict()["Resources"]
    assert resources["ApprovalTopic"]["Properties"]["TopicName"] == "shop-delivery-approvals"
    approvals = [action for stage in resources["Pipeline"]["Properties"]["Stages"]
                 for action in stage["Actions"] if action["Name"] == "Approve"]
    assert [a["Configuration"]["NotificationArn"] for a in approvals] == [
        {"Ref": "ApprovalTopic"}] * 2
    published = [v for v in proofs["delivery: PipelineRole"].required
                 if v.call.action == "sns:Publish"]
    assert [v.call.resource for v in published] == [
        f"arn:aws:sns:eu-west-1:{DELIVERY_ACCOUNT}:shop-delivery-approvals"]
    assert published[0].decision == ALLOW
    for quiet in ({**EXAMPLE, "notifications": {"enabled": False}},
                  # nothing to approve: nothing to tell
                  {**EXAMPLE, "environments": {name: {k: v for k, v in table.items()
                                                      if k != "approval"}
                                               for name, table in
                                               EXAMPLE["environments"].items()}}):
        resources = promotion(quiet).delivery.template.to_dict()["Resources"]
        assert "ApprovalTopic" not in resources
        assert "sns:" not in json.dumps(resources["PipelineRole"])


def test_the_deploy_commands_are_numbered_described_and_tagged(tmp_path):
    result = run_cli("template", "--config", str(ROOT / "examples" / "promotion.toml"),
                     "--output", str(tmp_path))
    steps = [line for line in result.stderr.splitlines() if line[:2] == "# " and ". " in line]
    assert steps == [
        f"# 1. the deploy roles the pipeline assumes there, in account {PROD_ACCOUNT}",
        f"# 2. the dev environment's service, in account {DELIVERY_ACCOUNT}",
        f"# 3. the staging environment's service, in account {DELIVERY_ACCOUNT}",
        f"# 4. the prod environment's service, in account {PROD_ACCOUNT}",
        "# 5. the delivery stack (its pipeline starts at once and promotes the first build), "
        f"in account {DELIVERY_ACCOUNT}"]
    tags = [line.split("--tags ")[1].rstrip(" \\") for line in result.stderr.splitlines()
            if "--tags" in line]
    assert tags == ["Application=shop Environment=delivery", "Application=shop Environment=dev",
                    "Application=shop Environment=staging", "Application=shop Environment=prod",
                    "Application=shop Environment=delivery"]


def test_account_stacks_in_order_of_appearance_and_their_outputs(example):
    data = {**EXAMPLE, "environments": {**EXAMPLE["environments"],
                                        "dev": {"account": "999988887777"}}}
    stacks = promotion(data)
    assert [a.account for a in stacks.accounts] == ["999988887777", PROD_ACCOUNT]
    outputs = example.accounts[0].template.to_dict()["Outputs"]
    assert outputs == {"DeployRoleArnProd": {
        "Description": "Role the pipeline deploys prod as",
        "Value": {"Fn::GetAtt": ["DeployRoleProd", "Arn"]}}}


def test_the_key_is_deleted_with_the_stack_after_the_shortest_wait(example):
    """KMS waits 7 to 30 days before deleting a key; the artifacts it encrypts are rebuilt by
    the next push, so the shortest (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html)."""
    key = example.delivery.template.to_dict()["Resources"]["ArtifactKey"]
    assert (key["DeletionPolicy"], key["Properties"]["PendingWindowInDays"]) == ("Delete", 7)


def test_the_real_aws_cli_accepts_every_printed_command(tmp_path, endpoint):
    """Each command as printed, placeholders filled, run by the AWS CLI against moto's
    CloudFormation (--no-execute-changeset): every option exists, --no-fail-on-empty-changeset
    included (each command is run after every change, so a stack without one is no error)."""
    from test_ecosystem import run_printed
    result = run_cli("template", "--config", str(ROOT / "examples" / "promotion.toml"),
                     "--output", str(tmp_path))
    blocks = result.stderr.split("\naws ")[1:]
    assert len(blocks) == 5
    for block in blocks:
        assert "--no-fail-on-empty-changeset" in run_printed("aws " + block, endpoint)


def test_the_readme_deploy_order_is_the_printed_one(tmp_path):
    printed = run_cli("template", "--config", str(ROOT / "examples" / "promotion.toml"),
                      "--output", "build", cwd=tmp_path).stderr
    block = _readme_section().split("**Deploy order.**")[1].split("```sh\n")[1].split("```")[0]
    pairs = [(line.split("--template-file ")[1].split()[0],
              next_line.split("--stack-name ")[1].split()[0])
             for line, next_line in zip(block.splitlines(), block.splitlines()[1:])
             if "--template-file" in line]
    assert len(pairs) == 3
    order = [line.split("--template-file ")[1].split()[0]
             for line in printed.splitlines() if "--template-file" in line]
    for path, stack in pairs:
        assert f"--template-file {path} \\\n    --stack-name {stack} \\" in printed
    assert [order.index(path) for path, _ in pairs] == sorted(order.index(p) for p, _ in pairs)


def test_a_toml_date_is_shown_as_written():
    with pytest.raises(SettingsError) as raised:
        parse_settings(tomllib.loads(BASE + "[environments.prod]\napproval = 1979-05-27\n"))
    assert str(raised.value) == "environments.prod.approval = \"1979-05-27\": must be true or false"
