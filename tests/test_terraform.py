"""The Terraform rendition: valid Terraform JSON, and the same system as the CloudFormation one.

`terraform validate` is not run here (Terraform is not on the package registries this project
may use); the GitHub workflow runs it. Here a structural checker proves the JSON is well formed
Terraform: every resource has a type and a name, every reference points at something declared,
every variable used is declared. The parity test compares the two renditions fact by fact.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path

import pytest

from stacks.terraform import CFN_ONLY, TYPES, render_terraform, snake
from variants import VARIANTS, settings_for
from conftest import load_template
from variants import rendered

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@cache
def terraform(variant: str) -> dict[str, dict]:
    return render_terraform(settings_for(variant))


def cfn(variant: str) -> dict:
    return load_template(rendered(variant))


def tf_resources(variant: str, tf_type: str) -> dict[str, dict]:
    return terraform(variant)["main.tf.json"]["resource"].get(tf_type, {})


# --- the structural checker ------------------------------------------------------------------

def interpolations(value):
    """Every ${...} expression in the strings of a JSON value ($${ is a literal)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from interpolations(item)
    elif isinstance(value, list):
        for item in value:
            yield from interpolations(item)
    elif isinstance(value, str):
        index = 0
        while (start := value.find("${", index)) != -1:
            if start > 0 and value[start - 1] == "$":
                index = start + 2
                continue
            depth, end = 0, start + 1
            while end < len(value):
                depth += {"{": 1, "}": -1}.get(value[end], 0)
                if depth == 0:
                    break
                end += 1
            yield value[start + 2:end]
            index = end + 1


def check_terraform(files: dict[str, dict]) -> list[str]:
    problems = []
    main = files["main.tf.json"]
    providers = main["terraform"]["required_providers"]
    if providers.get("aws", {}).get("source") != "hashicorp/aws":
        problems.append("no hashicorp/aws provider")
    resources = {f"{kind}.{name}" for kind, items in main["resource"].items() for name in items}
    data = {f"data.{kind}.{name}" for kind, items in main.get("data", {}).items()
            for name in items}
    variables = set(files["variables.tf.json"]["variable"])
    local_names = set(main.get("locals", {}))
    for kind, items in main["resource"].items():
        if not NAME.match(kind):
            problems.append(f"bad resource type {kind}")
        for name, body in items.items():
            if not NAME.match(name) or not isinstance(body, dict):
                problems.append(f"bad resource {kind}.{name}")
            for dependency in body.get("depends_on", []):
                if dependency not in resources:
                    problems.append(f"{kind}.{name} depends on undeclared {dependency}")
    for expression in interpolations(files):
        stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)  # ignore string literals
        for match in re.finditer(r"(?<![\w.])(data\.)?([a-z][a-z0-9_]*)\.([a-z0-9_]+)",
                                 stripped):
            prefix, first, second = match.groups()
            if prefix:
                if f"data.{first}.{second}" not in data:
                    problems.append(f"undeclared data.{first}.{second}")
            elif first == "var":
                if second not in variables:
                    problems.append(f"undeclared variable {second}")
            elif first == "local":
                if second not in local_names:
                    problems.append(f"undeclared local {second}")
            elif first.startswith("aws_"):
                if f"{first}.{second}" not in resources:
                    problems.append(f"undeclared resource {first}.{second}")
            elif first != "path":
                problems.append(f"unknown reference {match.group(0)} in {expression}")
    return problems


def test_terraform_json_is_structurally_valid(variant):
    assert check_terraform(terraform(variant)) == []


def test_the_checker_catches_a_dangling_reference():
    files = json.loads(json.dumps(terraform("default")))
    files["main.tf.json"]["resource"]["aws_ecs_cluster"]["cluster"]["name"] = \
        "${aws_ecs_cluster.missing.name}"
    files["outputs.tf.json"]["output"]["x"] = {"value": "${var.missing}"}
    assert check_terraform(files) == ["undeclared resource aws_ecs_cluster.missing",
                                      "undeclared variable missing"]


def test_no_quoted_literal_inside_an_encoded_document(variant):
    """IAM documents and container definitions are JSON strings: an expression in them must
    not need quotes, which the encoding would escape."""
    main = terraform(variant)["main.tf.json"]["resource"]
    encoded = [p["policy"] for p in main.get("aws_iam_role_policy", {}).values()] + [
        b["container_definitions"] for b in main["aws_ecs_task_definition"].values()]
    for text in encoded:
        for expression in interpolations(text):
            assert '"' not in expression and "\\" not in expression, expression


def test_provider_is_a_current_major():
    providers = terraform("default")["main.tf.json"]["terraform"]["required_providers"]
    assert providers["aws"] == {"source": "hashicorp/aws", "version": "~> 6.0"}


def test_variables_mirror_the_parameters(variant):
    parameters = cfn(variant).get("Parameters", {})
    variables = terraform(variant)["variables.tf.json"]["variable"]
    assert set(variables) == {snake(name) for name in parameters}
    for name, parameter in parameters.items():
        variable = variables[snake(name)]
        assert variable["description"] == parameter["Description"]
        if "AllowedPattern" in parameter:
            (validation,) = variable["validation"]
            assert json.dumps(parameter["AllowedPattern"]) in validation["condition"]


# --- parity -----------------------------------------------------------------------------------

# CloudFormation types whose Terraform counterpart is one resource of the mapped type.
ONE_TO_ONE = {cfn_type: tf_type for cfn_type, (tf_type, _) in TYPES.items()
              if cfn_type != "AWS::EC2::SecurityGroupIngress"}


def test_the_same_number_of_each_kind(variant):
    resources = {n: r for n, r in cfn(variant)["Resources"].items() if n not in CFN_ONLY}
    for cfn_type, tf_type in ONE_TO_ONE.items():
        expected = sum(r["Type"] == cfn_type for r in resources.values())
        assert len(tf_resources(variant, tf_type)) == expected, cfn_type
    # Ingress: inline rules and rule resources in CloudFormation, rule resources in Terraform.
    inline = sum(len(r["Properties"].get("SecurityGroupIngress", []))
                 for r in resources.values() if r["Type"] == "AWS::EC2::SecurityGroup")
    separate = sum(r["Type"] == "AWS::EC2::SecurityGroupIngress" for r in resources.values())
    assert len(tf_resources(variant, "aws_vpc_security_group_ingress_rule")) == \
        inline + separate
    # Every inline policy and managed attachment of every role.
    policies = sum(len(r["Properties"].get("Policies", [])) for r in resources.values()
                   if r["Type"] == "AWS::IAM::Role")
    assert len(tf_resources(variant, "aws_iam_role_policy")) == policies


def test_listeners_ports_protocols_tls_and_routes(variant):
    resources = cfn(variant)["Resources"]
    cfn_listeners = {r["Properties"]["Port"]: r["Properties"] for r in resources.values()
                     if r["Type"] == "AWS::ElasticLoadBalancingV2::Listener"}
    tf_listeners = {b["port"]: b for b in tf_resources(variant, "aws_lb_listener").values()}
    assert set(cfn_listeners) == set(tf_listeners)
    for port, p in cfn_listeners.items():
        b = tf_listeners[port]
        assert b["protocol"] == p["Protocol"] and b.get("ssl_policy") == p.get("SslPolicy")
    production = resources["ProductionListener"]["Properties"]["Port"]
    test_port = resources["TestListener"]["Properties"]["Port"]
    assert tf_listeners[production]["default_action"]["target_group_arn"] == \
        "${aws_lb_target_group.target_group_blue.arn}"
    assert tf_listeners[test_port]["default_action"]["target_group_arn"] == \
        "${aws_lb_target_group.target_group_green.arn}"
    for port in (production, test_port):  # CodeDeploy owns them after the first deployment
        assert tf_listeners[port]["lifecycle"] == {"ignore_changes": ["default_action"]}


def test_target_groups_health_checks_and_deregistration(variant):
    for colour in ("Blue", "Green"):
        p = cfn(variant)["Resources"][f"TargetGroup{colour}"]["Properties"]
        b = tf_resources(variant, "aws_lb_target_group")[f"target_group_{colour.lower()}"]
        hc = b["health_check"]
        assert (b["name"], b["port"], b["protocol"], b["target_type"]) == (
            p["Name"], p["Port"], p["Protocol"], p["TargetType"])
        assert (hc["path"], hc["interval"], hc["timeout"], hc["healthy_threshold"],
                hc["unhealthy_threshold"], hc["matcher"]) == (
            p["HealthCheckPath"], p["HealthCheckIntervalSeconds"],
            p["HealthCheckTimeoutSeconds"], p["HealthyThresholdCount"],
            p["UnhealthyThresholdCount"], p["Matcher"]["HttpCode"])
        assert b["deregistration_delay"] == p["TargetGroupAttributes"][0]["Value"]


def test_deployment_group_and_config(variant):
    resources = cfn(variant)["Resources"]
    p = resources["DeploymentGroup"]["Properties"]
    (b,) = tf_resources(variant, "aws_codedeploy_deployment_group").values()
    assert b["auto_rollback_configuration"]["events"] == p["AutoRollbackConfiguration"]["Events"]
    ready = b["blue_green_deployment_config"]["deployment_ready_option"]
    assert (ready["action_on_timeout"], ready["wait_time_in_minutes"]) == tuple(
        p["BlueGreenDeploymentConfiguration"]["DeploymentReadyOption"].values())
    terminate = b["blue_green_deployment_config"][
        "terminate_blue_instances_on_deployment_success"]
    assert terminate["termination_wait_time_in_minutes"] == p[
        "BlueGreenDeploymentConfiguration"]["TerminateBlueInstancesOnDeploymentSuccess"][
        "TerminationWaitTimeInMinutes"]
    assert b["deployment_style"] == {"deployment_option": "WITH_TRAFFIC_CONTROL",
                                     "deployment_type": "BLUE_GREEN"}
    config = p["DeploymentConfigName"]
    if isinstance(config, str):
        assert b["deployment_config_name"] == config
    else:
        (custom,) = tf_resources(variant, "aws_codedeploy_deployment_config").values()
        routing = resources["DeploymentConfig"]["Properties"]["TrafficRoutingConfig"]
        kind = routing["Type"]
        block = custom["traffic_routing_config"][
            "time_based_canary" if kind == "TimeBasedCanary" else "time_based_linear"]
        values = list(routing[kind].values())
        assert sorted([block["interval"], block["percentage"]]) == sorted(values)
    assert ("alarm_configuration" in b) == ("AlarmConfiguration" in p)


def _actions(documents) -> set[str]:
    return {action for document in documents for statement in document["Statement"]
            if statement["Effect"] == "Allow" for action in statement["Action"]}


def test_the_same_iam_actions_per_role(variant):
    resources = cfn(variant)["Resources"]
    policies = tf_resources(variant, "aws_iam_role_policy").values()
    for name, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Role" or name in CFN_ONLY:
            continue
        expected = _actions(p["PolicyDocument"] for p in resource["Properties"].get(
            "Policies", []))
        role = f"${{aws_iam_role.{snake(name)}.id}}"
        actual = _actions(json.loads(p["policy"]) for p in policies if p["role"] == role)
        assert actual == expected, name


def test_service_lets_codedeploy_and_scaling_own_their_parts(variant):
    (service,) = tf_resources(variant, "aws_ecs_service").values()
    assert service["deployment_controller"] == {"type": "CODE_DEPLOY"}
    assert set(service["lifecycle"]["ignore_changes"]) == {"task_definition", "load_balancer",
                                                           "desired_count"}
    assert service["task_definition"] == settings_for(variant).resource_id  # family only
    assert {"aws_lb_listener.production_listener", "aws_lb_listener.test_listener"} <= set(
        service["depends_on"])


def test_iam_documents_are_the_stacks_documents_with_terraform_references():
    policy = next(p for p in tf_resources("default", "aws_iam_role_policy").values()
                  if p["name"] == "pull-image-and-write-logs")
    document = json.loads(policy["policy"])
    resources = {r for s in document["Statement"] for r in s["Resource"]}
    assert resources == {"*", "${aws_ecr_repository.repository.arn}",
                         "${aws_cloudwatch_log_group.log_group.arn}:*"}


# --- snapshots ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_terraform_snapshot(name):
    stored = SNAPSHOTS / f"{name}.tf.json"
    actual = json.dumps(terraform(name), indent=1, sort_keys=True) + "\n"
    side = stored.with_name(stored.name + ".actual")
    if UPDATE:
        stored.write_text(actual, encoding="utf-8")
        side.unlink(missing_ok=True)
        return
    if not stored.exists() or stored.read_text(encoding="utf-8") != actual:
        side.write_text(actual, encoding="utf-8")
        pytest.fail(f"{name} Terraform differs from its snapshot: diff {stored} {side}; "
                    "`make snapshots` if intended")
    side.unlink(missing_ok=True)


def test_terraform_command_writes_the_three_files(tmp_path):
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "stacks", "terraform", "--output",
                             str(tmp_path)], cwd=Path(__file__).parent.parent,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "terraform").iterdir())
    assert written == ["main.tf.json", "outputs.tf.json", "variables.tf.json"]
    main = json.loads((tmp_path / "terraform" / "main.tf.json").read_text())
    assert main == terraform("default")["main.tf.json"]
