"""The Terraform rendition: Terraform itself says it is valid, and it means what the settings
say.

`terraform validate` runs for real over every variant, when the Terraform binary and an offline
copy of the hashicorp/aws provider are on the machine (the project's machine image has
Terraform 1.11 and a filesystem mirror of hashicorp/aws 5.100.0; elsewhere the test is skipped
and says why). The rendition asks for `~> 6.0`, so what is validated is a copy adjusted for
5.100.0, exactly as `adjusted_for_mirror` lists: the version constraint, and the region data
source's attribute (`region` in 6.x, `name` in 5.x). Every variant is a module of one root
configuration, so Terraform loads the provider's schema once.

The checks of meaning compare the rendition with the settings and with AWS's semantics, not
with the CloudFormation template it was translated from: the deployment group, the
listeners' routes, the service, and the IAM documents, which are evaluated call by call. And
the rendition follows every setting: moving one setting alone changes in Terraform every
resource it changes in CloudFormation, so a translation that writes a constant fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

from policies.evaluator import Request, decide
from policies.world import World
from stacks.functions import handler_source
from stacks.settings import Settings, SettingsError, documented_keys, parse_settings
from stacks.template import build_stack
from stacks.terraform import TYPES, Untranslated, snake, translate
from test_every_setting import PREDEFINED, _expected_routing
from variants import VARIANTS, settings_for, stack_for

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = Path(__file__).parent / "snapshots" / "default.tf.json"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
# Where Terraform's offline provider copies are kept, in order of preference.
MIRRORS = [os.environ.get("TF_PLUGIN_MIRROR", ""), "/opt/tf-plugins",
           "/usr/share/terraform/plugins", str(Path.home() / ".terraform.d/plugins"),
           str(Path.home() / ".local/share/terraform/plugins")]
MIRROR_PROVIDER = "registry.terraform.io/hashicorp/aws"


@cache
def rendition(variant: str) -> tuple[dict[str, dict], dict[str, bytes]]:
    return translate(stack_for(variant))


def tf(variant: str) -> dict:
    return rendition(variant)[0]["main.tf.json"]


def tf_resources(variant: str, tf_type: str) -> dict[str, dict]:
    return tf(variant)["resource"].get(tf_type, {})


# --- terraform validate ------------------------------------------------------------------------

def _mirror() -> tuple[str, str] | None:
    """(mirror directory, newest aws provider version in it), or None."""
    for directory in filter(None, MIRRORS):
        versions = Path(directory) / MIRROR_PROVIDER
        if versions.is_dir():
            found = sorted((v.name for v in versions.iterdir()),
                           key=lambda v: tuple(int(p) for p in re.findall(r"\d+", v)))
            if found:
                return directory, found[-1]
    return None


# ECS's own engine in hashicorp/aws 6.x: blocks 5.x does not have, checked against the 6.x
# schema instead (test_the_ecs_engine_blocks_fit_the_6x_schema).
ECS_ENGINE_BLOCKS = ("deployment_configuration",)
ECS_ENGINE_LOAD_BALANCER_BLOCKS = ("advanced_configuration",)


def adjusted_for_mirror(files: dict[str, dict], version: str) -> dict[str, dict]:
    """The rendition as provider `version` (5.x) reads it; every change is listed here."""
    text = json.dumps(files)
    if version.startswith("5."):
        text = re.sub(r'"(~> 6\.0|>= 6\.21, < 7\.0)"', f'"{version}"', text)
        # aws_region: `region` since 6.0, `name` before.
        text = text.replace("data.aws_region.current.region", "data.aws_region.current.name")
    adjusted = json.loads(text)
    if version.startswith("5."):
        services = adjusted["main.tf.json"]["resource"].get("aws_ecs_service", {})
        for service in services.values():
            for block in ECS_ENGINE_BLOCKS:
                service.pop(block, None)
            for block in ECS_ENGINE_LOAD_BALANCER_BLOCKS:
                service["load_balancer"].pop(block, None)
    return adjusted


def _placeholder(variable: dict) -> object:
    """A value a variable's own validation accepts, for the module call."""
    if variable["type"] == "list(string)":
        return ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
    condition = variable["validation"][0]["condition"] if variable["validation"] else ""
    examples = ["vpc-0123456789abcdef0", "example/webapp", "webapp", "releases/app.zip",
                "example-bucket",
                "arn:aws:acm:eu-west-1:111122223333:certificate/0123abcd-0123-4567-89ab-0123456789ab",
                "arn:aws:codeconnections:eu-west-1:111122223333:connection/"
                "0123abcd-0123-4567-89ab-0123456789ab",
                "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/webapp/"
                "0123abcd-0123-4567-89ab-0123456789ab"]
    pattern = re.search(r'regex\("((?:[^"\\]|\\.)*)"', condition)
    if pattern:
        regex = json.loads(f'"{pattern.group(1)}"')
        return next(e for e in examples if re.search(regex, e))
    return examples[0]


@pytest.fixture(scope="session")
def validated(tmp_path_factory) -> dict:
    """`terraform validate -json` over every variant, each a module of one root."""
    terraform = shutil.which("terraform")
    mirror = _mirror()
    if not terraform or not mirror:
        pytest.skip("terraform validate needs the terraform binary and an offline mirror of "
                    f"{MIRROR_PROVIDER} (looked in: {', '.join(filter(None, MIRRORS))})")
    directory, version = mirror
    root = tmp_path_factory.mktemp("terraform")
    modules = {}
    for variant in sorted(VARIANTS):
        files, packages = rendition(variant)
        module = root / variant
        module.mkdir()
        for name, body in adjusted_for_mirror(files, version).items():
            (module / name).write_text(json.dumps(body, indent=1))
        for name, data in packages.items():
            (module / name).write_bytes(data)
        required = {name: _placeholder(v) for name, v in
                    files["variables.tf.json"]["variable"].items() if "default" not in v}
        modules[f"variant_{snake(variant.replace('-', '_'))}"] = {"source": f"./{variant}",
                                                                  **required}
    (root / "main.tf.json").write_text(json.dumps({"module": modules}, indent=1))
    rc = root / "terraformrc"
    rc.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{directory}"\n'
                  '  }\n  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n')
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "TF_IN_AUTOMATION": "1",
           "CHECKPOINT_DISABLE": "1"}
    init = subprocess.run([terraform, "init", "-backend=false", "-input=false", "-no-color"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert init.returncode == 0, init.stdout + init.stderr
    result = subprocess.run([terraform, "validate", "-json", "-no-color"], cwd=root, env=env,
                            capture_output=True, text=True, timeout=300)
    return {"version": version, **json.loads(result.stdout)}


def test_terraform_validate_accepts_every_variant(validated):
    problems = [f"{d['severity']}: {d['summary']}: {d.get('detail', '')} "
                f"({d.get('range', {}).get('filename')})"
                for d in validated["diagnostics"] if d["severity"] == "error"]
    assert validated["valid"] and problems == [], "\n".join(problems)


def test_terraform_validate_would_catch_a_wrong_attribute(tmp_path):
    """The check above is live: a made-up attribute in the default rendition is an error."""
    terraform, mirror = shutil.which("terraform"), _mirror()
    if not terraform or not mirror:
        pytest.skip("no terraform binary or provider mirror")
    files, packages = rendition("default")
    files = adjusted_for_mirror(files, mirror[1])
    files["main.tf.json"]["resource"]["aws_ecs_cluster"]["cluster"]["no_such_attribute"] = 1
    for name, body in files.items():
        (tmp_path / name).write_text(json.dumps(body))
    for name, data in packages.items():
        (tmp_path / name).write_bytes(data)
    rc = tmp_path / "terraformrc"
    rc.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror[0]}"\n'
                  '  }\n  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n')
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "CHECKPOINT_DISABLE": "1"}
    subprocess.run([terraform, "init", "-backend=false", "-input=false"], cwd=tmp_path,
                   env=env, capture_output=True, timeout=300, check=True)
    result = subprocess.run([terraform, "validate", "-json"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert not json.loads(result.stdout)["valid"]
    assert "no_such_attribute" in result.stdout


def test_the_rendition_asks_for_a_current_provider():
    assert tf("default")["terraform"]["required_providers"] == {
        "aws": {"source": "hashicorp/aws", "version": "~> 6.0"}}


# --- nothing is dropped --------------------------------------------------------------------------

def test_a_property_the_translator_does_not_map_fails_the_translation():
    stack = build_stack(parse_settings({}))
    stack.load_balancing.load_balancer.IpAddressType = "dualstack"
    with pytest.raises(Untranslated, match="LoadBalancer .*IpAddressType"):
        translate(stack)


def test_a_nested_property_the_translator_does_not_map_fails_the_translation():
    from troposphere import ecs
    stack = build_stack(parse_settings({}))
    (container,) = stack.service.task_definition.ContainerDefinitions
    stack.service.task_definition.EphemeralStorage = ecs.EphemeralStorage(SizeInGiB=30)
    with pytest.raises(Untranslated, match="EphemeralStorage"):
        translate(stack)
    assert container


def test_an_unknown_target_group_attribute_fails_the_translation():
    from troposphere import elasticloadbalancingv2 as elb
    stack = build_stack(parse_settings({}))
    blue = stack.load_balancing.target_groups["blue"]
    blue.TargetGroupAttributes = blue.TargetGroupAttributes + [
        elb.TargetGroupAttribute(Key="stickiness.enabled", Value="true")]
    with pytest.raises(Untranslated, match="stickiness.enabled"):
        translate(stack)


# --- what it means ---------------------------------------------------------------------------------

def test_deployment_group_means_what_the_settings_say(codedeploy_variant):
    variant = codedeploy_variant
    settings = settings_for(variant)
    (group,) = tf_resources(variant, "aws_codedeploy_deployment_group").values()
    assert group["deployment_style"] == {"deployment_option": "WITH_TRAFFIC_CONTROL",
                                         "deployment_type": "BLUE_GREEN"}
    blue_green = group["blue_green_deployment_config"]
    assert blue_green["terminate_blue_instances_on_deployment_success"] == {
        "action": "TERMINATE",
        "termination_wait_time_in_minutes": settings.deployment.termination_wait_minutes}
    wait = settings.deployment.approval_wait_minutes
    assert blue_green["deployment_ready_option"] == (
        {"action_on_timeout": "STOP_DEPLOYMENT", "wait_time_in_minutes": wait} if wait else
        {"action_on_timeout": "CONTINUE_DEPLOYMENT", "wait_time_in_minutes": 0})
    events = set(group["auto_rollback_configuration"]["events"])
    assert {"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"} <= events
    assert ("DEPLOYMENT_STOP_ON_ALARM" in events) == settings.alarms.enabled
    assert ("alarm_configuration" in group) == settings.alarms.enabled
    routing = _expected_routing(settings)
    if routing in PREDEFINED:
        assert group["deployment_config_name"] == PREDEFINED[routing]
    else:
        (config,) = tf_resources(variant, "aws_codedeploy_deployment_config").values()
        kind = "time_based_canary" if routing[0] == "canary" else "time_based_linear"
        assert config["traffic_routing_config"][kind] == {"percentage": routing[1],
                                                          "interval": routing[2]}
        assert group["deployment_config_name"] == (
            "${aws_codedeploy_deployment_config.deployment_config.deployment_config_name}")


def test_routes_start_on_blue_and_green_and_are_left_to_the_engine(variant):
    """Production on blue and test on green at creation, then owned by the deployment engine:
    CodeDeploy rewrites the listeners, ECS the listeners' rules (ignore_changes either way)."""
    settings = settings_for(variant)
    listeners = {b["port"]: b for b in tf_resources(variant, "aws_lb_listener").values()}
    rules = {r["listener_arn"]: r for r in tf_resources(variant, "aws_lb_listener_rule").values()}
    production = 443 if settings.listeners.https else 80
    expected_ports = {production, settings.listeners.test_port} | (
        {80} if settings.listeners.https else set())
    assert set(listeners) == expected_ports
    for port, live in ((production, "blue"), (settings.listeners.test_port, "green")):
        route, owned = listeners[port], "default_action"
        if settings.deployment.engine == "ecs":
            assert route["default_action"]["type"] == "fixed-response"
            (name,) = [n for n, b in tf_resources(variant, "aws_lb_listener").items()
                       if b["port"] == port]
            route, owned = rules[f"${{aws_lb_listener.{name}.arn}}"], "action"
            assert route["condition"] == {"path_pattern": {"values": ["/*"]}}
        action = route[owned]
        weights = {t["arn"]: t["weight"] for t in action["forward"]["target_group"]}
        assert weights == {f"${{aws_lb_target_group.target_group_{c}.arn}}": 100 if c == live
                           else 0 for c in ("blue", "green")}
        assert route["lifecycle"] == {"ignore_changes": [owned]}
    assert (rules != {}) == (settings.deployment.engine == "ecs")
    if settings.listeners.https:
        assert listeners[443]["ssl_policy"] == settings.listeners.ssl_policy
        assert listeners[80]["default_action"]["redirect"]["status_code"] == "HTTP_301"


def test_the_service_starts_at_the_minimum_and_lets_the_engine_and_scaling_own_it(variant):
    settings = settings_for(variant)
    (service,) = tf_resources(variant, "aws_ecs_service").values()
    assert service["desired_count"] == settings.scaling.min  # Terraform's default would be 0
    assert set(service["lifecycle"]["ignore_changes"]) == {"task_definition", "load_balancer",
                                                           "desired_count"}
    assert {"aws_lb_listener.production_listener", "aws_lb_listener.test_listener"} <= set(
        service["depends_on"])
    if settings.deployment.engine == "codedeploy":
        assert service["deployment_controller"] == {"type": "CODE_DEPLOY"}
        assert service["task_definition"] == settings.resource_id  # family only
        return
    assert service["deployment_controller"] == {"type": "ECS"}
    assert service["task_definition"] == "${aws_ecs_task_definition.task_definition.arn}"
    advanced = service["load_balancer"]["advanced_configuration"]
    assert advanced == {
        "alternate_target_group_arn": "${aws_lb_target_group.target_group_green.arn}",
        "production_listener_rule": "${aws_lb_listener_rule.production_listener_rule.arn}",
        "test_listener_rule": "${aws_lb_listener_rule.test_listener_rule.arn}",
        "role_arn": "${aws_iam_role.ecs_infrastructure_role.arn}"}
    deployment = service["deployment_configuration"]
    cfn = stack_for(variant).document()["Resources"]["Service"]["Properties"][
        "DeploymentConfiguration"]
    assert deployment["strategy"] == cfn["Strategy"]
    assert deployment["bake_time_in_minutes"] == str(settings.deployment.termination_wait_minutes)
    assert ("alarms" in service) == settings.alarms.enabled
    stages = {stage for hook in deployment.get("lifecycle_hook", [])
              for stage in hook["lifecycle_stages"]}
    assert ("POST_TEST_TRAFFIC_SHIFT" in stages) == (settings.hooks.enabled or bool(
        settings.deployment.approval_wait_minutes))
    # Releases: CodePipeline's standard ECS action, from the build's imagedefinitions.json.
    (pipeline,) = tf_resources(variant, "aws_codepipeline").values()
    (deploy,) = [s for s in pipeline["stage"] if s["name"] == "Deploy"]
    (action,) = deploy["action"]
    assert (action["provider"], action["configuration"]["FileName"]) == (
        "ECS", "imagedefinitions.json")
    (project,) = tf_resources(variant, "aws_codebuild_project").values()
    assert "imagedefinitions.json" in project["source"]["buildspec"]


def _check_block(value, fields: dict, path: str) -> None:
    """`value` (a Terraform block, or a list of them) against a schema copy's `fields`."""
    if isinstance(value, list):
        for item in value:
            _check_block(item, fields, path)
        return
    assert set(value) <= set(fields), (path, set(value) - set(fields))
    for name, field in fields.items():
        if field.get("required"):
            assert name in value, (path, name)
        if name not in value:
            continue
        item = value[name]
        if "block" in field or "set" in field:
            _check_block(item, field.get("block") or field["set"], f"{path}.{name}")
            continue
        kind = field["type"]
        if kind == "nullable_int":
            assert isinstance(item, str) and field["min"] <= int(item) <= field["max"], \
                (path, name, item)
        elif kind == "number":
            assert isinstance(item, (int, float)) and field["min"] <= item <= field["max"], \
                (path, name, item)
        elif kind == "bool":
            assert isinstance(item, bool), (path, name)
        elif kind == "list":
            assert isinstance(item, list) and item, (path, name)
            assert set(item) <= set(field.get("enum", item)), (path, name, item)
        else:  # string, arn
            assert isinstance(item, str), (path, name)
            assert item in field.get("enum", [item]), (path, name, item)
            if kind == "arn":
                assert item.startswith("${") and item.endswith(".arn}"), (path, name)


def _check_ecs_engine_blocks(service: dict) -> None:
    schema = json.loads((ROOT / "tests/reference/aws_ecs_service_6.json").read_text())
    _check_block(service["deployment_configuration"], schema["deployment_configuration"],
                 "deployment_configuration")
    _check_block(service["load_balancer"]["advanced_configuration"],
                 schema["advanced_configuration"], "advanced_configuration")
    if "alarms" in service:
        _check_block(service["alarms"], schema["alarms"], "alarms")


def test_the_ecs_engine_blocks_fit_the_6x_schema(ecs_variant):
    """What `terraform validate` cannot check offline (no 6.x provider here): each block of
    ECS's engine against the provider's 6.x schema, copied in tests/reference; and the
    rendition asks for a provider that has them (linear and canary: 6.21.0)."""
    (service,) = tf_resources(ecs_variant, "aws_ecs_service").values()
    _check_ecs_engine_blocks(service)
    assert tf(ecs_variant)["terraform"]["required_providers"]["aws"]["version"] == \
        ">= 6.21, < 7.0"


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(strategy_x="BLUE_GREEN"),  # no such attribute
    lambda d: d.update(bake_time_in_minutes=30),  # a number where the schema wants a string
    lambda d: d.update(bake_time_in_minutes="2000"),  # beyond 1440
    lambda d: d["lifecycle_hook"][0].update(lifecycle_stages=["AFTER_ALLOW_TEST_TRAFFIC"]),
], ids=["attribute", "type", "range", "enum"])
def test_a_block_that_breaks_the_6x_schema_is_caught(mutate):
    import copy
    (service,) = copy.deepcopy(tf_resources("ecs-canary", "aws_ecs_service")).values()
    _check_ecs_engine_blocks(service)
    mutate(service["deployment_configuration"])
    with pytest.raises(AssertionError):
        _check_ecs_engine_blocks(service)


def test_the_lambda_packages_hold_the_tested_handlers(variant):
    import io
    import zipfile
    functions, packages = tf_resources(variant, "aws_lambda_function"), rendition(variant)[1]
    modules = {"test_traffic_hook": "hook_handler.py" if settings_for(
        variant).deployment.engine == "codedeploy" else "hook_handler.py+hook_ecs.py"}
    for name, function in functions.items():
        package = function["filename"].rsplit("/", 1)[1]
        with zipfile.ZipFile(io.BytesIO(packages[package])) as archive:
            assert archive.namelist() == ["index.py"]
            assert archive.read("index.py").decode() == handler_source(modules[name])
        assert function["handler"] == "index.handler"


class _Deployment(World):
    """Terraform references resolved to the same made-up deployment as policies.world."""

    def __init__(self, variant: str):
        stack = stack_for(variant)
        super().__init__(stack.document(), stack=stack.settings.resource_id)
        object.__setattr__(self, "by_address", {
            f"{TYPES[r['Type']][0]}.{snake(name)}": name
            for name, r in self.template["Resources"].items() if r["Type"] in TYPES})

    def terraform(self, text: str) -> str:
        from stacks.terraform import ATTRIBUTES
        attributes = {tf: cfn for cfn, tf in ATTRIBUTES.items()}

        def value(match: re.Match) -> str:
            expression = match.group(1)
            if expression.startswith("data.aws_partition"):
                return self.ref("AWS::Partition")
            if expression.startswith("data.aws_region"):
                return self.ref("AWS::Region")
            if expression.startswith("data.aws_caller_identity"):
                return self.ref("AWS::AccountId")
            if expression.startswith("var."):
                (name,) = [p for p in self.template["Parameters"]
                           if snake(p) == expression[4:]]
                return self.ref(name)
            if expression.startswith("local."):
                return self._local(expression[6:])
            address, attribute = expression.rsplit(".", 1)
            logical_id = self.by_address[address]
            kind = self.template["Resources"][logical_id]["Type"]
            if attribute == TYPES[kind][1] and attribute != "arn":
                return self.ref(logical_id)
            arn = self.get_att(logical_id, attributes[attribute])
            # CloudFormation's log group Arn ends in ":*"; Terraform's does not.
            return arn.removesuffix(":*") if kind == "AWS::Logs::LogGroup" else arn
        return re.sub(r"\$\{([^}]+)\}", value, text).replace("$${", "${")

    def _local(self, name: str) -> str:
        (parameter, index) = re.fullmatch(r"(.+)_part_(\d+)", name).groups()
        (cfn,) = [p for p in self.template["Parameters"] if snake(p) == parameter]
        return self.ref(cfn).split(":")[int(index)]


def test_iam_documents_decide_every_call_as_the_stacks_do(variant):
    """Each role's Terraform policies, resolved in the same made-up deployment, allow every
    call the role's table requires and deny every near miss: the same decisions as the
    CloudFormation policies (the proof in tests/test_iam.py)."""
    from stacks.permissions import managed_policies, prove
    deployment = _Deployment(variant)
    policies = tf_resources(variant, "aws_iam_role_policy").values()
    attachments = tf_resources(variant, "aws_iam_role_policy_attachment").values()
    managed = managed_policies()
    roles = tf_resources(variant, "aws_iam_role")
    guard = stack_for(variant).load_balancing.guard.function.role.title
    ecs_engine = settings_for(variant).deployment.engine == "ecs"
    for proof in prove(settings_for(variant)):
        if proof.role == guard:  # the guard is CloudFormation's alone (ignore_changes here)
            assert snake(proof.role) not in roles
            continue
        if ecs_engine and proof.role == "PipelineRole":
            # Terraform's releases: the standard ECS action, not a stack's change set.
            proof = _pipeline_role_with_the_ecs_action(variant)
        role = f"${{aws_iam_role.{snake(proof.role)}.id}}"
        documents = [json.loads(deployment.terraform(p["policy"])) for p in policies
                     if p["role"] == role]
        documents += [managed[deployment.terraform(a["policy_arn"]).split(":policy", 1)[1]]
                      for a in attachments if a["role"] == role]
        for verdict in proof.required + proof.near_misses:
            call = verdict.call
            assert decide(documents, Request(call.action, call.resource, call.context)) == \
                verdict.decision, (proof.role, call)


def _pipeline_role_with_the_ecs_action(variant: str):
    """The pipeline role's proof with the calls of CodePipeline's ECS action in place of a
    release's (policies/pipeline.py ECS_ACTION)."""
    from dataclasses import replace
    from policies import pipeline
    from policies.evaluator import ALLOW, IMPLICIT_DENY
    from stacks.permissions import RoleProof, Verdict, deployed
    stack = stack_for(variant)
    names = replace(deployed(World(stack.document(), stack=stack.settings.resource_id), stack),
                    engine=pipeline.ECS_ACTION)
    return RoleProof("PipelineRole", (), tuple(Verdict(c, ALLOW, ()) for c in
                                               pipeline.required_calls(names)),
                     tuple(Verdict(c, IMPLICIT_DENY, ()) for c in pipeline.near_misses(names)),
                     {})


# --- the one snapshot -------------------------------------------------------------------------------

def test_terraform_snapshot():
    """A last net for accidental changes; regenerate on purpose with `make snapshots`."""
    actual = json.dumps(rendition("default")[0], indent=1, sort_keys=True) + "\n"
    side = SNAPSHOT.with_name(SNAPSHOT.name + ".actual")
    if UPDATE:
        SNAPSHOT.write_text(actual, encoding="utf-8")
        side.unlink(missing_ok=True)
        return
    if not SNAPSHOT.exists() or SNAPSHOT.read_text(encoding="utf-8") != actual:
        side.write_text(actual, encoding="utf-8")
        pytest.fail(f"the Terraform rendition differs from its snapshot: diff {SNAPSHOT} {side};"
                    " `make snapshots` if intended")
    side.unlink(missing_ok=True)


def test_terraform_command_writes_the_configuration_and_the_packages(tmp_path):
    result = subprocess.run([os.sys.executable, "-m", "stacks", "terraform", "--output",
                             str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "terraform").iterdir())
    assert written == ["main.tf.json", "outputs.tf.json", "test_traffic_hook.zip",
                       "variables.tf.json", "versions.tf.json"]
    main = json.loads((tmp_path / "terraform" / "main.tf.json").read_text())
    assert main == rendition("default")[0]["main.tf.json"]


# --- the rendition follows every setting --------------------------------------------------------

SETTING_KEYS = [doc.key for doc in documented_keys()]


def _without(raw: dict, key: str) -> dict:
    """The settings file `raw` with `key` left at its default."""
    section, name = key.split(".")
    copy = {s: dict(values) for s, values in raw.items()}
    copy.get(section, {}).pop(name, None)
    return copy


def _owned(resources: dict[str, dict], logical_ids: list[str]) -> dict[str, dict]:
    """Terraform resources by the CloudFormation resource they come from: the longest logical
    id whose snake-case name is the resource's name or its prefix."""
    owners = sorted((snake(i) for i in logical_ids), key=len, reverse=True)
    owned: dict[str, dict] = {}
    for tf_type, bodies in resources.items():
        for name, body in bodies.items():
            owner = next(o for o in owners if name == o or name.startswith(o + "_"))
            owned.setdefault(owner, {})[f"{tf_type}.{name}"] = body
    return owned


@pytest.mark.parametrize("key", SETTING_KEYS)
def test_the_rendition_follows_every_setting(key):
    """The translation could read a property and still write a constant: validate passes and
    the meaning checks above cover some properties only. So each setting is moved on its own
    (a variant that sets it, against the same file with it at its default), and every
    CloudFormation resource, parameter and output that changes must change in Terraform too."""
    section, name = key.split(".")
    default_value = getattr(getattr(Settings(), section), name)
    pairs = []
    for variant, raw in VARIANTS.items():
        if getattr(getattr(settings_for(variant), section), name) != default_value:
            try:
                pairs.append((stack_for(variant), build_stack(parse_settings(_without(raw, key)))))
            except SettingsError:
                continue  # the default does not fit with the variant's other settings
            break
    assert pairs, f"no variant sets {key} in a way that can be reverted on its own"
    (moved, default), = pairs
    before, after = default.document(), moved.document()
    assert before != after, f"{key} changes nothing in the template"
    (tf_before, packages_before), (tf_after, packages_after) = translate(default), translate(moved)
    ids = sorted(set(before["Resources"]) | set(after["Resources"]))
    owned_before = _owned(tf_before["main.tf.json"]["resource"], ids)
    owned_after = _owned(tf_after["main.tf.json"]["resource"], ids)
    cfn_only = {r.title for r in moved.load_balancing.guard.resources}
    unfollowed = [i for i in ids if i not in cfn_only
                  and before["Resources"].get(i) != after["Resources"].get(i)
                  and owned_before.get(snake(i)) == owned_after.get(snake(i))
                  # a function's code is its package beside the configuration
                  and packages_before.get(f"{snake(i)}.zip") == packages_after.get(
                      f"{snake(i)}.zip")]
    for part, tf_file in (("Parameters", "variables.tf.json"), ("Outputs", "outputs.tf.json")):
        if before.get(part) != after.get(part) and tf_before[tf_file] == tf_after[tf_file]:
            unfollowed.append(part)
    assert unfollowed == [], f"{key} changes these in CloudFormation but not in Terraform"


def test_the_rendition_keeps_the_logs_and_the_empty_default_group():
    """What the scanner issue added means the same in Terraform: access logs into the log
    bucket under the load balancer's prefix, the artifact bucket's server access logs, the
    VPC's flow logs under theirs, and the created VPC's default group without rules."""
    resources = tf("default")["resource"]
    (lb,) = resources["aws_lb"].values()
    assert lb["access_logs"] == {"enabled": True,
                                 "bucket": "${aws_s3_bucket.log_bucket.bucket}",
                                 "prefix": "load-balancer"}
    assert lb["enable_deletion_protection"] is False
    (logging,) = resources["aws_s3_bucket_logging"].values()
    assert logging["bucket"] == "${aws_s3_bucket.artifact_bucket.id}"
    assert logging["target_bucket"] == "${aws_s3_bucket.log_bucket.bucket}"
    (flow_log,) = resources["aws_flow_log"].values()
    assert flow_log["vpc_id"] == "${aws_vpc.vpc.id}" and flow_log["traffic_type"] == "ALL"
    assert flow_log["log_destination"] == "${aws_s3_bucket.log_bucket.arn}/flow-logs/"
    assert resources["aws_default_security_group"] == {
        "empty_default_security_group": {"vpc_id": "${aws_vpc.vpc.id}"}}
