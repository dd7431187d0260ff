"""`ecs-bluegreen`: render the blue/green template from a settings file."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from .settings import Settings, SettingsError, load_settings
from .template import render_artifacts, render_template

EXIT_BAD_SETTINGS = 2
TEMPLATE_FILE = "template.yaml"
# A template body sent without an S3 bucket may be at most this many bytes.
DIRECT_UPLOAD_LIMIT = 51_200


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "status":
        return _status(args)
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    if args.command == "iam":
        return _iam(settings, args.check)
    files = RENDERERS[args.command](settings)
    try:
        written = write_files(args.output, files)
    except OSError as exc:
        print(f"error: --output: cannot write {exc.filename or args.output}: {exc.strerror}",
              file=sys.stderr)
        return 1
    for path in written:
        print(path)
    template = files.get(TEMPLATE_FILE)
    if template is not None and len(template.encode()) > DIRECT_UPLOAD_LIMIT:
        print(f"warning: {TEMPLATE_FILE} is {len(template.encode()):,} bytes, over the "
              f"{DIRECT_UPLOAD_LIMIT:,} that `aws cloudformation deploy --template-file` sends "
              "directly: add --s3-bucket <bucket> to the deploy command", file=sys.stderr)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecs-bluegreen",
        description="Render a CloudFormation template for blue/green deployment of an ECS "
                    "Fargate service with CodeDeploy.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validated = ("Settings are validated first; on any problem nothing is written and the exit "
                 "status is 2.")
    template = commands.add_parser(
        "template", help="write the CloudFormation template",
        description=f"Write DIR/{TEMPLATE_FILE}. {validated}")
    artifacts = commands.add_parser(
        "artifacts", help="write the pipeline's buildspec, taskdef.json and AppSpec to inspect",
        description="Write DIR/buildspec.yml, DIR/taskdef.json and DIR/appspec.json as the "
                    "pipeline uses them. In taskdef.json, ${...} are filled in by "
                    "CloudFormation (role ARNs, log group, region) and <IMAGE1_NAME> by the "
                    "deploy action (the image the build pushed). Commit buildspec.yml to the "
                    f"application repository when pipeline.buildspec names a path. {validated}")
    iam = commands.add_parser(
        "iam", help="show every permission each role grants, with the reason it is needed",
        description="For each IAM role of the template: every call its AWS service makes on "
                    "our behalf, whether the rendered policies allow it (decided offline for a "
                    "made-up account and region), and why it is needed; grants beyond those "
                    "calls with the reason they stay; near misses that are wrongly allowed.")
    _add_config(iam)
    iam.add_argument("--check", action="store_true",
                     help="exit 1 unless every required call is allowed, every near miss is "
                          "denied and every grant is explained")
    status = commands.add_parser(
        "status", help="show which colour serves production and test in a deployed stack",
        description="Read a deployed stack: which target group (colour) the production and "
                    "test listeners forward to, healthy targets per group, and the last "
                    "CodeDeploy deployment. Uses the usual AWS credentials and region.")
    status.add_argument("--stack", required=True, metavar="NAME", help="the stack's name")
    status.add_argument("--region", metavar="REGION", help="AWS region (default: from the "
                                                           "environment or profile)")
    status.add_argument("--endpoint-url", metavar="URL",
                        help="AWS endpoint to use instead of the default (e.g. a local test "
                             "server)")
    terraform = commands.add_parser(
        "terraform", help="write the same system as a Terraform configuration (JSON syntax)",
        description="Write DIR/terraform/main.tf.json, variables.tf.json and outputs.tf.json, "
                    "translated from the CloudFormation template of the same settings. "
                    f"{validated}")
    for command, default in ((template, "build"), (artifacts, "build/artifacts"),
                             (terraform, "build")):
        _add_config(command)
        command.add_argument("--output", type=Path, default=Path(default), metavar="DIR",
                             help=f"output directory (default: {default})")
    return parser


def _add_config(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", type=Path, metavar="FILE",
                         help="settings file (TOML); default: built-in defaults")


def _status(args) -> int:
    import boto3  # only this command talks to AWS
    from botocore.exceptions import BotoCoreError, ClientError

    from .status import read_status

    try:
        session = boto3.session.Session(region_name=args.region)
        sys.stdout.write(read_status(args.stack, session, args.endpoint_url))
    except (ClientError, BotoCoreError, KeyError) as error:
        print(f"error: --stack {args.stack}: {error}", file=sys.stderr)
        return 1
    return 0


def _iam(settings: Settings, check: bool) -> int:
    from .permissions import prove, report  # the evaluator is only needed here

    proofs = prove(settings)
    sys.stdout.write(report(proofs))
    if check and not all(proof.ok for proof in proofs):
        print("error: some roles do not grant exactly what their services need",
              file=sys.stderr)
        return 1
    return 0


def _template_files(settings: Settings) -> dict[str, str]:
    return {TEMPLATE_FILE: render_template(settings)}


def _terraform_files(settings: Settings) -> dict[str, str]:
    from .terraform import render_terraform_files
    return render_terraform_files(settings)


RENDERERS = {"template": _template_files, "artifacts": render_artifacts,
             "terraform": _terraform_files}


def write_files(directory: Path, files: dict[str, str]) -> list[Path]:
    """Write every file or none: each goes to a temporary file first, then is renamed."""
    staged = []
    try:
        for name, text in files.items():
            final = directory / name
            final.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            staged.append((Path(temporary), final))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, final in staged:
        os.chmod(temporary, 0o644)
        os.replace(temporary, final)
    return [final for _, final in staged]
