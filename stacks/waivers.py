"""Scanner findings that are true of the design, each waived on its resource with its reason.

Security scanners read the template; a finding that the design accepts is waived where the
scanner and a reviewer read it, in the resource's `Metadata`:

- checkov: `Metadata.checkov.skip[{id, comment}]`, which checkov honours itself;
- cfripper: `Metadata.cfripper.skip{rule: reason}`, honoured through filters that `make scan`
  writes from it (cfripper has no Metadata suppression of its own);
- cfn-lint: `Metadata.cfn-lint.config.ignore_checks`, for a style hint we cannot follow;
- cfn-guard with AWS Control Tower's proactive-control rules: `Metadata.guard.SuppressedRules`,
  the convention of AWS's guard rules registry. The Control Tower rules do not read it and
  neither does the Control Tower hook in an account (it sees resource properties only), so a
  control that is turned on still fails the stack; `make scan` honours it, and the README says
  which controls our design cannot pass and which settings pass the others. Since no tool
  that reads the deployed template honours it, it is in the readable template only
  (template.yaml), like the waivers only the Terraform rendition needs.

The Terraform rendition carries the same waivers as a `//` comment on the resource
(stacks/terraform.py), since checkov reads no skips from `.tf.json` (bridgecrewio/checkov#4634).

A waiver's reason is specific: what the resource does and why the check's advice does not
apply (tests/test_waivers.py refuses generic ones).
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import BaseAWSObject


# Metadata keys that only documentation and `make scan` read: left out of the deployable
# template (stacks/template.py), where they would only spend bytes.
DOCUMENTATION_ONLY_WAIVERS = ("guard", "terraform")


@dataclass(frozen=True)
class Waiver:
    """`reason` is short on purpose: it is repeated on every resource it waives, inside a
    template body limited to 51,200 bytes. `terraform` holds checkov checks that only its
    Terraform checks raise: they go to the Terraform rendition's comments and the readable
    template, not the deployable one."""
    reason: str
    checkov: tuple[str, ...] = ()
    guard: tuple[str, ...] = ()
    cfripper: tuple[str, ...] = ()
    terraform: tuple[str, ...] = ()
    cfn_lint: tuple[str, ...] = ()


def waive(resource: BaseAWSObject, *waivers: Waiver) -> BaseAWSObject:
    """Record the waivers in the resource's Metadata, merged with any already there."""
    metadata = dict(resource.resource.get("Metadata", {}))
    for waiver in waivers:
        for check in waiver.checkov:
            skips = metadata.setdefault("checkov", {}).setdefault("skip", [])
            skips.append({"id": check, "comment": waiver.reason})
        for rule in waiver.cfripper:  # keyed by rule: cfripper's filters can look a key up
            metadata.setdefault("cfripper", {}).setdefault("skip", {})[rule] = waiver.reason
        for rule in waiver.guard:
            metadata.setdefault("guard", {}).setdefault("SuppressedRules", []).append(rule)
        for check in waiver.cfn_lint:
            config = metadata.setdefault("cfn-lint", {}).setdefault("config", {})
            config.setdefault("ignore_checks", []).append(check)
        for check in waiver.terraform:  # dropped from the deployable template
            skips = metadata.setdefault("terraform", {}).setdefault("skip", [])
            skips.append({"id": check, "comment": waiver.reason})
    resource.Metadata = metadata
    return resource


def waived(resource: dict, scanner: str) -> dict[str, str]:
    """The checks waived on a template resource for a scanner, with their reasons (cfn-guard's
    convention has no reason field: its rules map to an empty reason here)."""
    metadata = resource.get("Metadata", {})
    if scanner == "guard":
        return {rule: "" for rule in metadata.get("guard", {}).get("SuppressedRules", [])}
    if scanner == "cfn-lint":
        return {check: "" for check in
                metadata.get("cfn-lint", {}).get("config", {}).get("ignore_checks", [])}
    if scanner == "cfripper":
        return dict(metadata.get("cfripper", {}).get("skip", {}))
    return {skip["id"]: skip["comment"] for skip in metadata.get(scanner, {}).get("skip", [])}


# --- the catalogue ----------------------------------------------------------------------------
# Only findings the design accepts are here; gaps are closed by settings instead. The README's
# security posture table is generated from this list (tests/generated.py).

LAMBDA_CONCURRENCY = Waiver(
    "Runs once a deploy; reserving fails where the limit is 10",
    checkov=("CKV_AWS_115",))
LAMBDA_DEAD_LETTERS_GUARD = Waiver(
    "CloudFormation awaits it; a lost event fails the update",
    checkov=("CKV_AWS_116",))
LAMBDA_DEAD_LETTERS_HOOK = Waiver(
    "CodeDeploy awaits it and rolls back on timeout",
    checkov=("CKV_AWS_116",))
LAMBDA_ENVIRONMENT_PLAIN = Waiver(
    "Only the test URL and probe settings: no secrets",
    checkov=("CKV_AWS_173",))
GUARD_OUTSIDE_VPC = Waiver(
    "Calls only ELB and CloudFormation APIs, not the VPC",
    checkov=("CKV_AWS_117",), guard=("lambda_inside_vpc_check",))
HOOK_UNTRACED_UNSIGNED = Waiver(
    "Code ships in this configuration, reviewed with it; its log records every probe",
    terraform=("CKV_AWS_50", "CKV_AWS_272"))
HOOK_IN_A_LISTED_VPC = Waiver(
    "In the VPC: SubnetIds is the ServiceSubnetIds list parameter, unresolved by the rule",
    guard=("lambda_inside_vpc_check",))
HOOK_NETWORK_INTERFACES = Waiver(
    "Lambda's VPC actions: AWS grants them on * (README)",
    checkov=("CKV_AWS_111",))
LOGS_AWS_KEY = Waiver(
    "AWS-managed key; a CMK needs a key policy for logs",
    checkov=("CKV_AWS_158",), guard=("cloudwatch_log_group_encrypted_check",))
IMAGES_AWS_KEY = Waiver(
    "AES-256 by ECR; a CMK adds no access boundary here",
    checkov=("CKV_AWS_136",))
ARTIFACTS_AWS_KEY = Waiver(
    "SSE-S3, TLS-only, private; only this stack's roles read it",
    guard=("s3_bucket_default_encryption_kms_check",), terraform=("CKV_AWS_145",))
ARTIFACTS_NOT_REPLICATED = Waiver(
    "Artifacts are rebuilt from source by the next push; nothing to restore",
    terraform=("CKV_AWS_144",))
PIPELINE_ARTIFACTS_AWS_KEY = Waiver(
    "Artifacts stay in this stack's SSE-S3 bucket; a customer key is for cross-account",
    terraform=("CKV_AWS_219",))
BUILD_OUTPUT_AWS_KEY = Waiver(
    "Artifacts stay in this stack's SSE-S3 bucket; a customer key is for cross-account",
    terraform=("CKV_AWS_147",))
BUCKET_NO_OBJECT_LOCK = Waiver(
    "Objects expire by lifecycle; object lock would keep them and block stack deletion",
    guard=("s3_bucket_object_lock_enabled_check",))
BUCKET_NO_EVENTS = Waiver(
    "Nothing consumes this bucket's events; they are not a security control",
    guard=("s3_event_notifications_enabled_check",), terraform=("CKV2_AWS_62",))
PRIVILEGED_BUILD = Waiver(
    "docker build needs the Docker daemon: privileged mode; builds only this repository",
    guard=("codebuild_project_environment_privileged_check",), terraform=("CKV_AWS_316",))
ALARMS_READ_BY_CODEDEPLOY = Waiver(
    "CodeDeploy reads its state to roll back; notifications.enabled adds the topic as action",
    guard=("cloudwatch_alarm_action_check",))
PUBLIC_HTTPS = Waiver(
    "Public entry: HTTPS 443; 80 only redirects",
    checkov=("CKV_AWS_260",), cfripper=("EC2SecurityGroupOpenToWorldRule",))
PUBLIC_HTTP = Waiver(
    "Public entry; listeners.https = false: HTTP 80",
    checkov=("CKV_AWS_260",), cfripper=("EC2SecurityGroupOpenToWorldRule",))
PUBLIC_LOAD_BALANCER = Waiver(
    "Internet-facing: the service's public entry point",
    cfripper=("PublicELBCheckerRule",))
FROM_LOAD_BALANCER_ONLY = Waiver(
    "Open only to the load balancer's security group",
    checkov=("CKV_AWS_260",))
PLAIN_HTTP_BEHIND_THE_LOAD_BALANCER = Waiver(
    "TLS ends at the load balancer; tasks take HTTP from its security group only",
    terraform=("CKV_AWS_378",))
CERTIFICATE_PARAMETER = Waiver(
    "CertificateArn parameter, AllowedPattern: ACM ARNs only; the rule reads the Ref",
    guard=("elbv2_acm_certificate_required_check",))
HTTP_ONLY_PRODUCTION = Waiver(
    "listeners.https = false: no certificate, plain HTTP",
    checkov=("CKV_AWS_2", "CKV_AWS_103"), guard=("alb_http_to_https_redirection_check",))
HTTP_ONLY_TEST = Waiver(
    "listeners.https = false; only test_cidrs reach it",
    checkov=("CKV_AWS_2", "CKV_AWS_103"), guard=("alb_http_to_https_redirection_check",))
JOIN_FOR_CONTROL_TOWER = Waiver(
    "Fn::Join, not Fn::Sub: Control Tower's S3.PR.8 rule reads the objects' ARN only so",
    cfn_lint=("I1022",))
NO_DELETION_PROTECTION = Waiver(
    "load_balancer.deletion_protection is off, so the stack can be deleted; on for production",
    guard=("elbv2_deletion_protection_enabled_check",), terraform=("CKV_AWS_150",))
NO_WEB_ACL = Waiver(
    "load_balancer.web_acl is off: no web ACL was given (WebAclArn); on to attach yours",
    terraform=("CKV2_AWS_28",))
LOGS_SSE_S3_ONLY = Waiver(
    "SSE-S3: ELB access logs and S3 server access logs accept no other bucket encryption",
    guard=("s3_bucket_default_encryption_kms_check",), terraform=("CKV_AWS_145",))
LOG_BUCKET_NOT_LOGGED = Waiver(
    "The log bucket: logging itself would loop",
    checkov=("CKV_AWS_18",), guard=("s3_bucket_logging_enabled_check",))
ZONES_AT_DEPLOY_TIME = Waiver(
    "The region is chosen at deploy time: no zone list to pin; subnets take its first two",
    terraform=("CKV_AWS_394",))
LOGS_NOT_REPLICATED = Waiver(
    "Logs stay in their region; copying them to a log archive is the organisation's choice",
    terraform=("CKV_AWS_144",))
IMAGE_USER = Waiver(
    "service.user is empty: the image's own user runs, root for the bootstrap nginx on port "
    "80; set a non-root user with an image that runs unprivileged",
    guard=("ecs_task_definition_nonroot_user_check",))
WRITABLE_ROOT = Waiver(
    "service.read_only_root_filesystem is false: most images write outside /tmp (the "
    "bootstrap nginx writes its cache and pid); true mounts a writable /tmp",
    guard=("ecs_containers_readonly_access_check",))
NO_HTTPS_TO_REDIRECT_TO = Waiver(
    "listeners.https = false: no certificate, so no HTTPS listener to redirect HTTP to",
    terraform=("CKV2_AWS_20",))
YOUR_WEB_ACL = Waiver(
    "The web ACL is yours (WebAclArn): its rules, such as a Log4j rule group, are set there",
    terraform=("CKV2_AWS_76",))
TOPIC_AWS_KEY = Waiver(
    "The aws/sns key lets no service publish; events carry no secrets",
    checkov=("CKV_AWS_26",))
UNSCOPED_WRITES = Waiver(
    "AWS honours no narrower resource for its actions on * (README)",
    cfripper=("WildcardResourceRule",))
# A promotion's artifact key: AWS's default key policy statement, by which the account manages
# the key through IAM (without it the key can become unmanageable); the other accounts' deploy
# roles may only decrypt, through S3.
# https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
KEY_POLICY_DEFAULT = Waiver(
    "AWS's default key statement: the account manages the key through IAM",
    cfripper=("GenericResourceWildcardPolicyRule",),
    guard=("kms_create_grant_aws_service_check",))
