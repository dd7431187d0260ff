"""The exact `aws cloudformation deploy` command for a rendered template.

Derived from the template itself, not re-typed: every parameter without a default is passed
(with a placeholder in <...> for a value only the user has), parameters with defaults are left
out, the capabilities follow the resources (IAM roles without names: CAPABILITY_IAM), the tags
are the stack's (stacks/tags.py), and --s3-bucket appears when the file is over what the
command sends directly. `ecs-bluegreen template` prints it on standard error, so that scripts
reading the written paths on standard output are not disturbed.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from .settings import Settings
from .tags import stack_tags

if TYPE_CHECKING:
    from .promotion import Rendered

# A template body sent without an S3 bucket may be at most this many bytes
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
DIRECT_UPLOAD_LIMIT = 51_200

# What to write for a value only the user has, by parameter.
PLACEHOLDERS = {
    "CertificateArn": "<arn-of-your-acm-certificate>",
    "ConnectionArn": "<arn-of-your-connection>",
    "RepositoryId": "<owner>/<repository>",
    "RepositoryName": "<codecommit-repository>",
    "SourceBucket": "<source-bucket>",
    "SourceObjectKey": "<key-of-the-zip>",
    "VpcId": "<vpc-id>",
    "LoadBalancerSubnetIds": "<public-subnet-a>,<public-subnet-b>",
    "ServiceSubnetIds": "<private-subnet-a>,<private-subnet-b>",
    "WebAclArn": "<arn-of-your-regional-web-acl>",
    "Image": "<image-that-passes-the-health-check>",
}
# Parameters to pass when the stack is created only (the pipeline owns them afterwards).
CREATION_ONLY = {"Image": "creation only: leave Image out of later deploys (the pipeline's "
                          "releases set it, and deploy keeps it)"}


def required_parameters(template: dict) -> list[str]:
    """The parameters without a default, in the template's order."""
    return [name for name, parameter in template.get("Parameters", {}).items()
            if "Default" not in parameter]


def capabilities(template: dict) -> list[str]:
    roles = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    named = any("RoleName" in r.get("Properties", {}) for r in roles)
    return ["CAPABILITY_NAMED_IAM"] if named else ["CAPABILITY_IAM"] if roles else []


def deploy_command(stack_name: str, tags: dict[str, str], template: dict, template_file: Path,
                   size: int, every_time: bool = False) -> list[str]:
    """The command as its arguments; `every_time`: one of several run after every change, so
    a stack without changes is no failure (`deploy` fails on an empty change set by
    default)."""
    command = ["aws", "cloudformation", "deploy", "--template-file", str(template_file),
               "--stack-name", stack_name]
    if every_time:
        command.append("--no-fail-on-empty-changeset")
    if size > DIRECT_UPLOAD_LIMIT:
        command += ["--s3-bucket", "<bucket-in-the-stacks-region>"]
    if capabilities(template):
        command += ["--capabilities", *capabilities(template)]
    command += ["--tags", *(f"{key}={value}" for key, value in tags.items())]
    required = required_parameters(template)
    if required:
        command += ["--parameter-overrides",
                    *(f"{name}={PLACEHOLDERS.get(name, f'<{name}>')}" for name in required)]
    return command


def render(settings: Settings, template: dict, template_file: Path, size: int) -> str:
    """The command as a shell snippet to copy, one option a line (and one parameter a line),
    with its notes."""
    return "# deploy with:\n" + snippet(settings.resource_id, stack_tags(settings), template,
                                        template_file, size)


def render_promotion(stacks: list[tuple[Rendered, dict, Path, int]],
                     delivery_account: str | None) -> str:
    """A promotion's commands in the order to run them, each naming its account: (the stack,
    its template as data, its file, the file's size) each."""
    lines = ["# deploy in this order (each with credentials of the account named):"]
    for number, (rendered, template, path, size) in enumerate(stacks, start=1):
        account = rendered.account or delivery_account
        lines.append(f"# {number}. {rendered.description}, in "
                     + (f"account {account}" if account else "the delivery account"))
        lines.append(snippet(rendered.stack_name, rendered.tags, template, path, size,
                             every_time=True).rstrip("\n"))
    return "\n".join(lines) + "\n"


def snippet(stack_name: str, tags: dict[str, str], template: dict, template_file: Path,
            size: int, every_time: bool = False) -> str:
    groups: list[list[str]] = []
    for word in deploy_command(stack_name, tags, template, template_file, size, every_time):
        if word.startswith("--") or not groups:
            groups.append([])
        # Placeholders stay readable (the user replaces them); the rest is quoted for a shell.
        groups[-1].append(word if "<" in word else shlex.quote(word))
    lines = []
    for group in groups:
        if group[0] == "--parameter-overrides":
            lines += [group[0]] + [f"    {value}" for value in group[1:]]
        else:
            lines.append(" ".join(group))
    notes = [f"# {name}: {note}" for name, note in CREATION_ONLY.items()
             if name in required_parameters(template)]
    if size > DIRECT_UPLOAD_LIMIT:
        notes.append(f"# --s3-bucket: {template_file.name} is {size:,} bytes, over the "
                     f"{DIRECT_UPLOAD_LIMIT:,} the command sends without a bucket")
    return "\n".join([" \\\n    ".join(lines), *notes]) + "\n"
