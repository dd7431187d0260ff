"""`ecs-bluegreen`: render the blue/green template from a settings file."""

from __future__ import annotations

import argparse
import errno
import functools
import json
import os
import sys
import tempfile
from pathlib import Path

from .deploy_command import DIRECT_UPLOAD_LIMIT
from .settings import Settings, SettingsError, load_settings
from .template import build_stack, deployable, readable, render_artifacts

# Exit statuses, the same for every command (and argparse's own 2 for bad arguments).
EXIT_OK, EXIT_FAILURE, EXIT_BAD_SETTINGS = 0, 1, 2
EXIT_CODES = ("exit status: 0 when it did what was asked; 1 when it could not (a file that "
              "cannot be written, an AWS error, problems found by iam --check); 2 for bad "
              "input (a settings file or an argument), and then nothing is written.")
TEMPLATE_FILE = "template.yaml"  # for reading and review
DEPLOY_FILE = "template.json"  # the same template, compact: the one to deploy


def run() -> None:
    """The `ecs-bluegreen` command: main(), then exit without the interpreter's teardown.

    Tearing down troposphere's and awacs's modules and the template built frees a great many
    objects: about 45 ms of a 200 ms command, measured with `make bench`. Nothing needs that
    teardown: files are closed when written and no atexit handler of ours exists; only the
    standard streams need flushing.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "status":
        return _status(args)
    if args.command == "check":
        return _check(args.files)
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    if args.command == "iam":
        return _iam(settings, args.check)
    if args.command == "plan":
        from .timeline import render as timeline, render_promotion
        sys.stdout.write(timeline(settings) if settings.promotion is None
                         else render_promotion(settings))
        return EXIT_OK
    if args.command == "terraform" and settings.promotion is not None:
        print("error: --config: settings with [promotion] render CloudFormation only (one "
              "stack per environment, the delivery stack, the account stacks); the Terraform "
              "rendition is of one stack: remove [promotion] and [environments.*] for it",
              file=sys.stderr)
        return EXIT_BAD_SETTINGS
    files = RENDERERS[args.command](settings)
    try:
        written = write_files(args.output, files)
    except OSError as exc:
        print(f"error: --output: cannot write {exc.filename or args.output}: {exc.strerror}",
              file=sys.stderr)
        return 1
    for path in written:
        print(path)
    if args.command == "template":
        # On standard error: scripts read the written paths on standard output.
        sys.stderr.write(_deploy_commands(settings, files, args.output))
    return EXIT_OK


def _deploy_commands(settings: Settings, files: dict[str, str], output: Path) -> str:
    from .deploy_command import render, render_promotion
    if settings.promotion is None:
        compact = files[DEPLOY_FILE]
        return render(settings, json.loads(compact), output / DEPLOY_FILE,
                      len(compact.encode()))
    stacks = []
    for rendered in _promotion(settings).in_deploy_order():
        compact = files[f"{rendered.folder}/{DEPLOY_FILE}"]
        stacks.append((rendered, json.loads(compact), output / rendered.folder / DEPLOY_FILE,
                       len(compact.encode())))
    return render_promotion(stacks, settings.promotion.account)


@functools.cache
def _promotion(settings: Settings):
    """A promotion's stacks, built once per command (the files and the commands both read
    them)."""
    from .promotion import build_promotion
    return build_promotion(settings)


def _check(paths: list[Path]) -> int:
    """Validate settings files and render each one's template, writing nothing: for
    pre-commit (.pre-commit-hooks.yaml) and CI in application repositories."""
    status = EXIT_OK
    for path in paths:
        try:
            settings = load_settings(path)
        except SettingsError as exc:
            for problem in exc.problems:
                # (load_settings names a file it cannot read as --config's value)
                text = problem.message if problem.key in ("--config", str(path)) else problem
                print(f"error: {path}: {text}", file=sys.stderr)
            status = EXIT_BAD_SETTINGS
            continue
        sizes = []
        for name, text in _template_files(settings).items():
            if name.endswith(DEPLOY_FILE):
                size = len(text.encode())
                bucket = "" if size <= DIRECT_UPLOAD_LIMIT else ", deploy with --s3-bucket"
                sizes.append(f"{name} {size:,} bytes{bucket}")
        print(f"{path}: ok ({'; '.join(sizes)})")
    return status


class _Version(argparse.Action):
    """--version, read from the installed package only when asked."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        from importlib.metadata import version
        print(f"{parser.prog} {version('ecs-bluegreen')}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecs-bluegreen",
        description="Render a CloudFormation template for blue/green deployment of an ECS "
                    "Fargate service, by CodeDeploy or by ECS's own engine.",
        epilog=EXIT_CODES)
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validated = ("Settings are validated first; on any problem nothing is written and the exit "
                 "status is 2.")
    template = commands.add_parser(
        "template", help="write the CloudFormation template",
        description=f"Write DIR/{DEPLOY_FILE}, the template to deploy (compact JSON; with "
                    f"deployment.engine codedeploy at most {DIRECT_UPLOAD_LIMIT:,} bytes for "
                    "every accepted settings file), and "
                    f"DIR/{TEMPLATE_FILE}, the same template as YAML to read and review. "
                    "Then print on standard error the `aws cloudformation deploy` command for "
                    "it: stack name, capabilities, tags, every parameter without a default "
                    "(placeholders in <...>), and --s3-bucket when the file needs it. "
                    f"{validated}",
        epilog=EXIT_CODES)
    check = commands.add_parser(
        "check", help="validate settings files and render their templates, writing nothing",
        description="For each settings file: validate it and render its template in memory; "
                    "print `FILE: ok` with the deployable size, or each problem naming the "
                    "file and the key. For pre-commit (.pre-commit-hooks.yaml) and CI.",
        epilog=EXIT_CODES)
    check.add_argument("files", nargs="+", type=Path, metavar="FILE",
                       help="a TOML settings file")
    artifacts = commands.add_parser(
        "artifacts", help="write the pipeline's buildspec, taskdef.json and AppSpec to inspect",
        description="Write DIR/buildspec.yml, DIR/taskdef.json and DIR/appspec.json as the "
                    "pipeline uses them (with deployment.engine ecs only buildspec.yml: the "
                    "stack's own task definition is deployed). In taskdef.json, ${...} are "
                    "filled in by "
                    "CloudFormation (role ARNs, log group, region) and <IMAGE1_NAME> by the "
                    "deploy action (the image the build pushed). Commit buildspec.yml to the "
                    f"application repository when pipeline.buildspec names a path. {validated}",
        epilog=EXIT_CODES)
    iam = commands.add_parser(
        "iam", help="show every permission each role grants, with the reason it is needed",
        description="For each IAM role of the template: every call its AWS service makes on "
                    "our behalf, whether the rendered policies allow it (decided offline for a "
                    "made-up account and region), and why it is needed; grants beyond those "
                    "calls with the reason they stay; near misses that are wrongly allowed.",
        epilog=EXIT_CODES)
    _add_config(iam)
    iam.add_argument("--check", action="store_true",
                     help="exit 1 unless every required call is allowed, every near miss is "
                          "denied and every grant is explained")
    plan = commands.add_parser(
        "plan", help="print the modelled timeline of one deployment",
        description="The timeline of one deployment with these settings, each phase at the "
                    "longest the settings allow: the new tasks' health checks, the "
                    "test-traffic hook, the approval window, each production traffic step, "
                    "the old tasks' wait and drain; the time until production is all on the "
                    "new tasks and until the old tasks are gone; and when a rollback is "
                    "possible. The README's timeline table is made from the same numbers. "
                    f"{validated}",
        epilog=EXIT_CODES)
    _add_config(plan)
    status = commands.add_parser(
        "status", help="show which colour serves production and test in a deployed stack",
        description="Read a deployed stack: which target group (colour) the production and "
                    "test routes forward to, healthy targets per group, and the last "
                    "deployment (CodeDeploy's, or with ECS's own engine the last service "
                    "deployment and its lifecycle stage). Uses the usual AWS credentials and "
                    "region.",
        epilog=EXIT_CODES)
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
                    f"{validated}",
        epilog=EXIT_CODES)
    diagram = commands.add_parser(
        "diagram", help="write a picture of the system, drawn from the template",
        description="Write DIR/diagram.mmd (Mermaid: GitHub renders it in Markdown) and "
                    "DIR/diagram.dot (Graphviz: dot -Tsvg), drawn from the rendered "
                    "template: the load balancer, listeners, rules and target groups, the "
                    "service and its task definition, the deployment engine, alarms, "
                    "functions, the pipeline and its build, and the role each one uses (with "
                    "the service that assumes it); each arrow is a reference in the "
                    f"template, labelled with its property. {validated}",
        epilog=EXIT_CODES)
    for command, default in ((template, "build"), (artifacts, "build/artifacts"),
                             (terraform, "build"), (diagram, "build")):
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
    if settings.promotion is not None:
        from .promotion import template_files
        return template_files(_promotion(settings), TEMPLATE_FILE, DEPLOY_FILE)
    stack = build_stack(settings)
    document = stack.document()
    return {TEMPLATE_FILE: readable(stack, document), DEPLOY_FILE: deployable(stack, document)}


def _terraform_files(settings: Settings) -> dict[str, str]:
    from .terraform import render_terraform_files
    return render_terraform_files(settings)


def _diagram_files(settings: Settings) -> dict[str, str]:
    from .diagram import render_diagram_files
    return render_diagram_files(settings)


RENDERERS = {"template": _template_files, "artifacts": render_artifacts,
             "terraform": _terraform_files, "diagram": _diagram_files}


def write_files(directory: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Write every file or none.

    Each file goes to a temporary file beside its target first; only when all are written are
    they renamed over their targets. If anything fails, targets already replaced get their old
    bytes back, new ones and new directories are removed, no temporary file stays, and the
    OSError names the target (never a temporary name).
    """
    targets = [directory / name for name in files]
    for target in targets:
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(target))
    created: list[Path] = []  # directories this call made, deepest last
    staged: list[tuple[Path, Path]] = []
    previous: dict[Path, bytes | None] = {}
    replaced: list[Path] = []
    try:
        for target, text in zip(targets, files.values()):
            for parent in reversed([target.parent, *target.parent.parents]):
                if not parent.exists():
                    _fail_as(target, parent.mkdir)
                    created.append(parent)
            handle, temporary = _fail_as(target, tempfile.mkstemp, dir=target.parent,
                                         prefix=f".{target.name}.")
            staged.append((Path(temporary), target))
            data = text if isinstance(text, bytes) else text.encode("utf-8")
            with os.fdopen(handle, "wb") as stream:
                _fail_as(target, stream.write, data)
            os.chmod(temporary, 0o644)
        for _, target in staged:
            previous[target] = target.read_bytes() if target.exists() else None
        for temporary, target in staged:
            _fail_as(target, os.replace, temporary, target)
            replaced.append(target)
    except BaseException:
        for target in reversed(replaced):
            _restore(target, previous[target])
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        for made in reversed(created):
            if made.exists() and not any(made.iterdir()):
                made.rmdir()
        raise
    return targets


def _fail_as(target: Path, call, *args, **kwargs):
    """call(*args, **kwargs); an OSError it raises names `target`, the file the user asked
    for, instead of a temporary name."""
    try:
        return call(*args, **kwargs)
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(target)) from error


def _restore(target: Path, old: bytes | None) -> None:
    """Put back what `target` held before (best effort: the original error is what counts)."""
    temporary = None
    try:
        if old is None:
            target.unlink(missing_ok=True)
        else:
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            with os.fdopen(handle, "wb") as stream:
                stream.write(old)
            os.replace(temporary, target)
    except OSError:
        if temporary:
            Path(temporary).unlink(missing_ok=True)
