"""Every scanner finding we waive carries a reason a reviewer would accept (stacks/waivers.py).

`make scan` runs the scanners themselves (they live in environments of their own); these tests
check what the template and the Terraform rendition say about the waivers.
"""

from __future__ import annotations

import json

import pytest

from stacks import waivers as catalogue
from stacks.terraform import render_terraform_files
from stacks.waivers import Waiver, waived
from variants import deployed, document, settings_for

WAIVERS = {name: value for name, value in vars(catalogue).items() if isinstance(value, Waiver)}
SCANNERS = ("checkov", "cfripper", "guard", "cfn-lint", "terraform")
# Reasons that explain nothing on their own.
GENERIC = ("by design", "not needed", "not applicable", "n/a", "false positive", "accepted",
           "ignore", "todo", "later", "not relevant", "suppress")


def _is_specific(reason: str) -> bool:
    text = reason.strip().lower().rstrip(".")
    return len(text) >= 25 and text not in GENERIC and not any(
        text == g or text.startswith(g + " ") and len(text) < len(g) + 15 for g in GENERIC)


@pytest.mark.parametrize("name", sorted(WAIVERS))
def test_every_catalogued_waiver_has_a_specific_reason_and_a_check(name):
    waiver = WAIVERS[name]
    assert _is_specific(waiver.reason), (name, waiver.reason)
    assert (waiver.checkov or waiver.guard or waiver.cfripper or waiver.terraform
            or waiver.cfn_lint), f"{name} waives nothing"


def test_the_reason_check_refuses_generic_reasons():
    for reason in ("", "   ", "by design", "False positive.", "accepted risk", "n/a"):
        assert not _is_specific(reason), reason


def _reasons() -> set[str]:
    return {w.reason for w in WAIVERS.values()}


def test_every_waiver_in_a_template_comes_with_its_reason(variant):
    """checkov's and cfripper's waivers carry the reason in the template; cfn-guard's and
    cfn-lint's conventions have no reason field, so each must be one the catalogue explains
    (the README's security posture table is generated from it)."""
    explained = {(scanner, check) for w in WAIVERS.values()
                 for scanner, checks in (("guard", w.guard), ("cfn-lint", w.cfn_lint))
                 for check in checks}
    for logical_id, resource in document(variant)["Resources"].items():
        for scanner in SCANNERS:
            for check, reason in waived(resource, scanner).items():
                if scanner in ("guard", "cfn-lint"):
                    assert (scanner, check) in explained, (logical_id, scanner, check)
                else:
                    assert _is_specific(reason), (logical_id, check, reason)
                    assert reason in _reasons(), (logical_id, check, reason)


def test_the_deployable_template_keeps_the_waivers_its_readers_honour(variant):
    """checkov, cfripper and cfn-lint read the deployed template's waivers; cfn-guard's
    Control Tower rules and hooks ignore Metadata and Terraform-only checks concern another
    file, so those stay in the readable template."""
    compact = json.loads(deployed(variant))["Resources"]
    for logical_id, resource in document(variant)["Resources"].items():
        for scanner in ("checkov", "cfripper", "cfn-lint"):
            assert waived(compact[logical_id], scanner) == waived(resource, scanner), logical_id
        for scanner in ("guard", "terraform"):
            assert waived(compact[logical_id], scanner) == {}, logical_id


@pytest.mark.parametrize("variant_name", ["default", "ecs-native"])
def test_roles_with_reported_actions_on_star_waive_the_wildcard_rule_and_only_they(
        variant_name):
    """cfripper's wildcard-resource rule passes reads and the actions its own list says accept
    only "*"; a role granting one of the others on "*" waives it (`make scan` checks the set
    against cfripper, both ways), and every write on "*" is one the README explains."""
    from policies.unscoped import ON_EVERY_RESOURCE, REPORTED_BY_CFRIPPER
    assert REPORTED_BY_CFRIPPER <= set(ON_EVERY_RESOURCE)
    roles = {}
    for logical_id, resource in document(variant_name)["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        roles[logical_id] = resource
        on_star = {action for policy in resource["Properties"].get("Policies", [])
                   for statement in policy["PolicyDocument"]["Statement"]
                   if statement["Effect"] == "Allow" and statement["Resource"] in ("*", ["*"])
                   for action in statement["Action"]}
        assert on_star <= set(ON_EVERY_RESOURCE), logical_id
        assert ("WildcardResourceRule" in waived(resource, "cfripper")) == bool(
            on_star & REPORTED_BY_CFRIPPER), logical_id
    assert "WildcardResourceRule" in waived(roles["PipelineRole"], "cfripper")
    # The hook reports to CodeDeploy on "*"; with ECS's engine it answers, and its network
    # actions are on cfripper's list of actions that accept only "*".
    assert ("WildcardResourceRule" in waived(roles["TestTrafficHookRole"], "cfripper")) == (
        variant_name == "default")


@pytest.mark.parametrize("variant_name", ["default", "http-only"])
def test_the_terraform_rendition_carries_the_same_waivers_as_comments(variant_name):
    main = json.loads(render_terraform_files(settings_for(variant_name))["terraform/main.tf.json"])
    resources = main["resource"]
    comment = resources["aws_lb_target_group"]["target_group_blue"]["//"]
    assert comment.startswith("checkov:skip=CKV_AWS_378:TLS ends at the load balancer")
    # A security group's inline rules become resources of their own, with the group's waivers.
    rules = resources["aws_vpc_security_group_ingress_rule"]
    assert "checkov:skip=CKV_AWS_260:" in rules["load_balancer_security_group_ingress_1"]["//"]
    for bodies in resources.values():
        for body in bodies.values():
            for line in body.get("//", "").splitlines():
                check, reason = line.removeprefix("checkov:skip=").split(":", 1)
                assert _is_specific(reason), (check, reason)


def test_every_variant_has_waivers(variant):
    """Waivers are on the resources that need them in every variant (a cheap net for a
    builder that stops calling waive)."""
    resources = document(variant)["Resources"]
    assert "CKV_AWS_158" in waived(resources["LogGroup"], "checkov")
    assert "PublicELBCheckerRule" in waived(resources["LoadBalancer"], "cfripper")
    https = settings_for(variant).listeners.https
    assert ("elbv2_acm_certificate_required_check" in waived(resources["ProductionListener"],
                                                              "guard")) == https


def _has(resource: dict | None, scanner: str, check: str) -> bool:
    return resource is not None and check in waived(resource, scanner)


def test_each_conditional_waiver_is_there_exactly_when_its_reason_holds(variant):
    """A waiver whose reason depends on the settings is present when, and only when, that
    reason is true (a builder that stops waiving, or waives regardless, fails here rather
    than only in `make scan`)."""
    s = settings_for(variant)
    r = document(variant)["Resources"]
    hooks_in_existing_vpc = s.hooks.enabled and s.network.mode == "existing"
    alarms_without_actions = s.alarms.enabled and not s.notifications.enabled
    expected = [
        ("Repository", "checkov", "CKV_AWS_136", True),
        ("LogBucket", "checkov", "CKV_AWS_18", "LogBucket" in r),
        ("TaskDefinition", "guard", "ecs_task_definition_nonroot_user_check", not s.service.user),
        ("TaskDefinition", "guard", "ecs_containers_readonly_access_check",
         not s.service.read_only_root_filesystem),
        ("LoadBalancer", "guard", "elbv2_deletion_protection_enabled_check",
         not s.load_balancer.deletion_protection),
        ("LoadBalancer", "terraform", "CKV2_AWS_28", not s.load_balancer.web_acl),
        ("LoadBalancer", "terraform", "CKV2_AWS_76", s.load_balancer.web_acl),
        ("LoadBalancer", "terraform", "CKV2_AWS_20", not s.listeners.https),
        ("TestTrafficHook", "guard", "lambda_inside_vpc_check", hooks_in_existing_vpc),
        ("DeploymentTopic", "checkov", "CKV_AWS_26", s.notifications.enabled),
        ("Blue5xxAlarm", "guard", "cloudwatch_alarm_action_check", alarms_without_actions),
        ("TestListener", "checkov", "CKV_AWS_2", not s.listeners.https),
        ("ProductionListener", "guard", "elbv2_acm_certificate_required_check",
         s.listeners.https),
    ]
    for logical_id, scanner, check, present in expected:
        assert _has(r.get(logical_id), scanner, check) == present, (logical_id, check)
