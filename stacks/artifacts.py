"""The files that travel through the pipeline: buildspec, taskdef.json, AppSpec.

taskdef.json is rendered from the stack's own TaskDefinition resource (the same object), turned
into the RegisterTaskDefinition API shape, with the image replaced by the `<IMAGE1_NAME>`
placeholder that the CodeDeployToECS action fills with the image the build pushed. Values only
known at deploy time (role ARNs, log group, region) stay CloudFormation `${...}` variables: the
template wraps the JSON in Fn::Sub and hands it to CodeBuild as an environment variable, so the
application repository needs no deployment files (the reference design's idea).
"""

from __future__ import annotations

import json
from importlib.resources import files
from textwrap import indent
from typing import Any, Iterable

from troposphere import ecs

from .intrinsics import SubVariables, is_intrinsic
from .naming import Names
from .settings import Settings

IMAGE_DETAIL_FILE = "imageDetail.json"
# CodePipeline's standard ECS action reads the images from this file (the Terraform rendition
# of engine ecs).
IMAGE_DEFINITIONS_FILE = "imagedefinitions.json"
TASKDEF_FILE = "taskdef.json"
APPSPEC_FILE = "appspec.json"
BUILD_OUTPUT_FILES = (IMAGE_DETAIL_FILE, TASKDEF_FILE, APPSPEC_FILE)

# The deploy action's Image1ContainerName holds the placeholder text without brackets.
IMAGE_PLACEHOLDER_NAME = "IMAGE1_NAME"
IMAGE_PLACEHOLDER = f"<{IMAGE_PLACEHOLDER_NAME}>"
TASK_DEFINITION_PLACEHOLDER = "<TASK_DEFINITION>"

# CloudFormation properties whose values are maps with data keys, not property names.
_MAP_PROPERTIES = {"Options", "DockerLabels", "SecretOptions"}

# The order CodeDeploy runs lifecycle hooks in (for the Hooks section of the AppSpec).
HOOK_EVENTS = ("BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic",
               "AfterAllowTraffic")


def build_script(name: str = "build.sh") -> str:
    """The build step (stacks/build.sh; stacks/build_environments.sh ends a promotion's), as shipped
    with the package."""
    return files("stacks").joinpath(name).read_text(encoding="utf-8")


def embedded_build_script(name: str = "build.sh") -> str:
    """The script without its comment lines and blank lines: the commands, for the buildspec
    (the template's size is limited; the comments stay in the file)."""
    return "".join(line for line in build_script(name).splitlines(keepends=True)
                   if line.strip() and not line.lstrip().startswith("#"))


# The shell expression that reads the image the build pushed out of imageDetail.json.
_IMAGE_FROM_DETAIL = ("$(python3 -c 'import json;"
                      f"print(json.load(open(\"{IMAGE_DETAIL_FILE}\"))[\"ImageURI\"])')")


def promotion_files(environment: str) -> tuple[str, str]:
    """An environment's taskdef.json and AppSpec in a promotion's build output."""
    return f"taskdef-{environment}.json", f"appspec-{environment}.json"


def buildspec(engine: str = "codedeploy", image_definitions: str | None = None,
              environments: tuple[str, ...] = ()) -> str:
    """The buildspec: one build phase that runs build.sh in its own bash, and the artifacts.

    A quoted heredoc passes the script unchanged, and its own bash keeps `set -e` out of
    CodeBuild's shell. ABORT stops the build at the first failure. With engine ecs the deploy
    stage reads the image from the exported variable IMAGE_URI (set in CodeBuild's shell,
    which runs every command of version 0.2 in one shell) and needs no files; with
    `image_definitions` (a container name: the Terraform rendition) the build also writes
    imagedefinitions.json for CodePipeline's ECS action. With `environments` (a promotion) the
    build writes each environment's files and exports IMAGE_URI for the approvals' summaries.
    """
    script = indent(embedded_build_script() + (embedded_build_script("build_environments.sh")
                                               if environments else ""), " " * 8).rstrip("\n")
    exported = "env:\n  exported-variables:\n    - IMAGE_URI\n"
    if environments:
        files = [IMAGE_DETAIL_FILE] + [f for e in environments for f in promotion_files(e)]
        artifacts = "".join(f"    - {name}\n" for name in files)
        head, tail = exported, f"artifacts:\n  files:\n{artifacts}"
    elif engine == "codedeploy":
        artifacts = "".join(f"    - {name}\n" for name in BUILD_OUTPUT_FILES)
        head, tail = "", f"artifacts:\n  files:\n{artifacts}"
    else:
        head, tail = exported, ""
        if image_definitions:
            tail = f"artifacts:\n  files:\n    - {IMAGE_DEFINITIONS_FILE}\n"
    return (
        "version: 0.2\n"
        f"{head}"
        "phases:\n"
        "  build:\n"
        "    on-failure: ABORT\n"
        "    commands:\n"
        "      - |\n"
        "        bash <<'BUILD'\n"
        f"{script}\n"
        "        BUILD\n"
        + (f"      - IMAGE_URI={_IMAGE_FROM_DETAIL}\n" if head else "")
        + (f"      - printf '[{{\"name\":\"{image_definitions}\",\"imageUri\":\"%s\"}}]' "
           f"\"$IMAGE_URI\" > {IMAGE_DEFINITIONS_FILE}\n" if image_definitions else "")
        + tail
    )


def taskdef_document(task_definition: ecs.TaskDefinition,
                     variables: SubVariables | None = None) -> dict:
    """The stack's task definition in RegisterTaskDefinition shape, image as placeholder.

    Intrinsics become `${...}` Fn::Sub variables: Ref X -> ${X}, GetAtt X.Y -> ${X.Y}, or
    what `variables` makes of them (another stack's values).
    """
    document = api_names(task_definition.to_dict()["Properties"])
    for container in document["containerDefinitions"]:
        container["image"] = IMAGE_PLACEHOLDER
    return (variables or SubVariables()).resolve(document)


def appspec_document(settings: Settings, names: Names,
                     hooks: Iterable[tuple[str, Any]] = ()) -> dict:
    """AppSpec 0.0 for an ECS blue/green deployment through CodeDeployToECS.

    `hooks` is (event, Lambda function name) pairs; the Hooks section appears only with some.
    """
    spec: dict[str, Any] = {
        "version": 0.0,
        "Resources": [{"TargetService": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "TaskDefinition": TASK_DEFINITION_PLACEHOLDER,
                "LoadBalancerInfo": {"ContainerName": names.container,
                                     "ContainerPort": settings.service.container_port},
            },
        }}],
    }
    hooks = sorted(hooks, key=lambda hook: HOOK_EVENTS.index(hook[0]))
    if hooks:
        spec["Hooks"] = [{event: SubVariables().resolve(function)} for event, function in hooks]
    return spec


def sub_json(document: dict) -> str:
    """Compact JSON for an Fn::Sub template (deterministic: keys keep the model's order)."""
    return json.dumps(document, separators=(",", ":"))


def api_names(value: Any, keep_keys: bool = False) -> Any:
    """CloudFormation property names -> API member names (PascalCase -> camelCase); values,
    intrinsics included, stay as they are."""
    if isinstance(value, dict) and not is_intrinsic(value):
        return {(key if keep_keys else key[0].lower() + key[1:]):
                api_names(item, keep_keys=key in _MAP_PROPERTIES)
                for key, item in value.items()}
    if isinstance(value, list):
        return [api_names(item) for item in value]
    return value
