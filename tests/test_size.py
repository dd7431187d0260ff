"""The deploy command works for every settings file that validation accepts.

`aws cloudformation deploy --template-file` sends the template body directly when no
`--s3-bucket` is given, and CloudFormation accepts at most 51,200 bytes that way
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
The deployable rendering (compact JSON, minified inline code) of the largest accepted settings
file must fit with the CodeDeploy engine (the default), and the default must leave at least 5 KB
for features to come. ECS's own engine costs more (listener rules, the roles ECS assumes, the
release job, the forward-access grants of a release): its examples fit, its largest settings
files do not, and `ecs-bluegreen template` then says to add --s3-bucket. These are size
assertions, not timing ones; `make bench` prints the numbers.

`LARGEST` (tests/variants.py) claims to be the largest: every text and list at its bound,
every number at its largest, every choice at the option that renders most. The claims are
checked against the settings model here, so a new or widened setting that could make a larger
template fails a test until the largest variant covers it.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from typing import Annotated, Any, Literal, get_args, get_origin

import pytest

from stacks.functions import shipped_minified
from stacks.intrinsics import load_template
from stacks.settings import (COMPUTE_TYPES, ENTRY_POINT_CHARS_MAX, FARGATE_MEMORY,
                             HOOK_PATHS_CHARS_MAX, LOG_RETENTION_DAYS, RESOURCE_ID_MAX, SECTIONS,
                             SettingsError, key_types, parse_settings)
from stacks.template import deployable, build_stack
from stacks.waivers import DOCUMENTATION_ONLY_WAIVERS
from variants import (CODEDEPLOY_VARIANTS, ECS_VARIANTS, LARGEST, LARGEST_ECS,
                      deployed, document, settings_for)

DIRECT_UPLOAD_LIMIT = 51_200
DEFAULT_HEADROOM = 5 * 1024


def size(variant: str) -> int:
    return len(deployed(variant).encode())


def test_the_largest_accepted_settings_fit_the_direct_upload_limit():
    assert size("largest") <= DIRECT_UPLOAD_LIMIT


def test_every_variant_fits(variant):
    if variant == "largest-ecs":
        pytest.skip("over the limit on purpose: test_the_largest_ecs_settings_need_a_bucket")
    assert size(variant) <= DIRECT_UPLOAD_LIMIT


def test_the_default_leaves_room_for_features():
    assert size("default") <= DIRECT_UPLOAD_LIMIT - DEFAULT_HEADROOM


def test_no_variant_is_larger_than_the_largest_of_its_engine():
    assert max(CODEDEPLOY_VARIANTS, key=size) == "largest"
    assert max(ECS_VARIANTS, key=size) == "largest-ecs"


# The most ECS's engine adds over the CodeDeploy engine for the same settings; a larger gap is
# a regression to look at (the README's comparison quotes the cost).
ECS_ENGINE_COST = 2_600


def test_the_largest_ecs_settings_need_a_bucket_and_the_cli_says_so(tmp_path, capsys):
    """Over the direct limit, within what --s3-bucket allows (1 MB); the CLI writes the files
    and says what the deploy command needs. A file that fits gets no note."""
    from stacks.cli import main
    assert DIRECT_UPLOAD_LIMIT < size("largest-ecs") <= size("largest") + ECS_ENGINE_COST
    config = tmp_path / "largest-ecs.toml"
    # JSON scalars and arrays are TOML's too.
    config.write_text("".join(f"[{section}]\n" + "".join(
        f"{key} = {json.dumps(value)}\n" for key, value in keys.items())
        for section, keys in LARGEST_ECS.items()))
    assert main(["template", "--config", str(config), "--output", str(tmp_path / "out")]) == 0
    note = capsys.readouterr().err
    assert f"template.json is {size('largest-ecs'):,} bytes" in note
    assert "--s3-bucket" in note
    assert (tmp_path / "out/template.json").read_text() == deployed("largest-ecs")
    assert main(["template", "--output", str(tmp_path / "default")]) == 0
    assert "--s3-bucket" not in capsys.readouterr().err


# --- the largest is the largest -------------------------------------------------------------------

# Values that cannot reach the field's own bound, and why.
BELOW_THE_BOUND = {
    # Together at most RESOURCE_ID_MAX with the hyphen (target group names); checked below.
    "service.name", "service.environment",
    # Codes are 3 characters and ranges 7, joined by commas: 4a + 8b - 1 characters, so 31
    # is the longest the pattern allows within 32.
    "health_check.success_codes",
}


def _fields():
    for section, struct in SECTIONS.items():
        for name, annotation in key_types(struct).items():
            yield f"{section}.{name}", annotation


def _bound(annotation, name: str) -> Any:
    """The key's own bound `name` (max_length, le, ge): on the key, not on its list items."""
    while get_origin(annotation) is Annotated:
        annotation, *metas = get_args(annotation)
        for meta in metas:
            if getattr(meta, name, None) is not None:
                return getattr(meta, name)
    for argument in get_args(annotation):  # an optional number
        if get_origin(argument) is Annotated:
            return _bound(argument, name)
    return None


def _base(annotation) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _largest(key: str) -> Any:
    section, name = key.split(".")
    return LARGEST[section].get(name)  # a choice LARGEST leaves at its default: None


@pytest.mark.parametrize("key, annotation", list(_fields()), ids=[k for k, _ in _fields()])
def test_the_largest_variant_puts_each_setting_at_its_bound(key, annotation):
    value, base = _largest(key), _base(annotation)
    if key in BELOW_THE_BOUND:
        return
    if base is str:
        bound = _bound(annotation, "max_length")
        assert bound is not None or key in ("network.vpc_cidr", "pipeline.compute_type"), (
            f"{key}: every text setting needs a bound (max_length)")
        if key == "pipeline.buildspec":  # the inline buildspec is longer than any path
            assert value == "inline"
        elif key == "network.vpc_cidr":  # a /24 (the smallest VPC) renders the longest CIDR
            assert value.endswith("/24") and len(value) >= len("100.100.100.0/24")
        elif key == "pipeline.compute_type":
            assert value == max(COMPUTE_TYPES, key=len)
        else:
            assert len(value) == bound, key
    elif get_origin(base) is tuple:
        assert _bound(annotation, "max_length") is not None, f"{key}: every list needs a bound"
        assert len(value) == _bound(annotation, "max_length"), key
    elif base is bool or get_origin(base) is Literal:
        pass  # choices: test_each_choice_of_the_largest_variant_renders_the_most
    elif base is float:
        # Two decimals at most: the longest rendering within the bounds.
        low, high = (round(_bound(annotation, b) * 100) for b in ("ge", "le"))
        assert len(str(value)) == max(len(str(c / 100)) for c in range(low, high + 1)), key
    elif key == "service.cpu":
        assert value == max(FARGATE_MEMORY)
    elif key == "service.memory":
        assert value == max(FARGATE_MEMORY[max(FARGATE_MEMORY)])
    elif key == "service.log_retention_days":
        assert value == max(LOG_RETENTION_DAYS)
    else:
        assert _bound(annotation, "le") is not None, f"{key}: every number needs a maximum"
        assert value == _bound(annotation, "le"), key


def test_the_largest_names_and_texts_together():
    settings = settings_for("largest")
    assert len(settings.resource_id) == RESOURCE_ID_MAX
    assert sum(map(len, settings.service.entry_point)) == ENTRY_POINT_CHARS_MAX
    assert sum(map(len, settings.hooks.paths)) == HOOK_PATHS_CHARS_MAX
    # CIDRs of the documentation ranges are at most 17 characters ("198.51.100.255/32").
    assert all(len(cidr) == 17 for cidr in settings.listeners.test_cidrs)


# What JSON escapes (a quote, a backslash, a control character) or writes as more than one
# byte (\u escapes of anything outside ASCII) would make a text longer in the template than
# its bound counts. No text setting may accept them.
ESCAPED = ['"', "\\", "\x01", "\t", "\u00e9", "\U0001F600"]


def _texts():
    sample = settings_for("everything-created")
    for key, annotation in _fields():
        base = _base(annotation)
        if base is str or (get_origin(base) is tuple and _base(get_args(base)[0]) is str):
            section, name = key.split(".")
            value = getattr(getattr(sample, section), name)
            yield key, (value[0] if isinstance(value, tuple) else value), base is not str


@pytest.mark.parametrize("key, sample, listed", list(_texts()), ids=[k for k, *_ in _texts()])
@pytest.mark.parametrize("character", ESCAPED, ids=[repr(c) for c in ESCAPED])
def test_no_text_setting_accepts_a_character_json_escapes(key, sample, listed, character):
    section, name = key.split(".")
    value = sample[:1] + character + sample[1:]
    with pytest.raises(SettingsError) as refused:
        parse_settings({section: {name: [value] if listed else value}})
    assert any(problem.startswith(key) for problem in map(str, refused.value.problems))


def test_the_largest_entry_point_is_made_of_what_grows():
    """Fn::Sub needs a literal "${a}" written "${!a}" in taskdef.json: the one text that
    renders longer than its characters, by one per variable, and a variable takes at least
    four characters."""
    assert all(re.fullmatch(r"(\$\{[^}]\})+", part)
               for part in settings_for("largest").service.entry_point)


def _with(section: str, key: str, value: Any) -> dict:
    """LARGEST with one choice changed, and the keys the new choice excludes removed."""
    data = copy.deepcopy(LARGEST)
    data[section][key] = value
    if (section, key, value) == ("network", "mode", "existing"):
        for excluded in ("vpc_cidr", "nat_gateways", "flow_logs"):
            data["network"].pop(excluded)
    if (section, key, value) == ("pipeline", "source", "s3"):
        data["pipeline"].pop("branch")
    if (section, key, value) == ("deployment", "traffic", "all-at-once"):
        for excluded in ("percent", "interval_minutes"):
            data["deployment"].pop(excluded)
    if (section, key, value) == ("network", "assign_public_ip", True):
        data["network"] = {"mode": "existing", "assign_public_ip": True}
        data["hooks"] = {"enabled": False}  # no public address for the hook: refused with hooks
    # Settings a choice ignores are refused beside it (settings.IGNORED_UNLESS).
    if (section, key, value) == ("listeners", "https", False):
        data["listeners"].pop("ssl_policy")
    if key == "enabled" and value is False:
        data[section] = {"enabled": False}
    return data


def _choices():
    for key, annotation in _fields():
        section, name = key.split(".")
        base = _base(annotation)
        if base is bool:
            options = (True, False)
        elif get_origin(base) is Literal:
            options = get_args(base)
        elif key == "network.nat_gateways":
            options = (1, 2)
        else:
            continue
        for option in options:
            # The other engine has its own largest (LARGEST_ECS, tested above).
            if key != "deployment.engine" and option != LARGEST[section][name]:
                yield section, name, option


@pytest.mark.parametrize("section, key, option", list(_choices()),
                         ids=[f"{s}.{k}={o}" for s, k, o in _choices()])
def test_each_choice_of_the_largest_variant_renders_the_most(section, key, option):
    other = deployable(build_stack(parse_settings(_with(section, key, option))))
    assert len(other.encode()) <= size("largest")


# --- the deployable rendering is the readable one -------------------------------------------------

def _without_sids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_sids(v) for k, v in value.items()
                if not (k == "Sid" and "Effect" in value)}
    if isinstance(value, list):
        return [_without_sids(v) for v in value]
    return value


def test_deployable_is_the_readable_template_with_minified_code_and_no_sids(variant):
    """...and without the waivers only the Terraform rendition reads (stacks/waivers.py)."""
    readable = copy.deepcopy(document(variant))  # the cached one is shared by other tests
    compact = load_template(deployed(variant))
    for resource in readable["Resources"].values():
        code = resource.get("Properties", {}).get("Code", {})
        if "ZipFile" in code:
            code["ZipFile"] = shipped_minified(code["ZipFile"])
        for key in DOCUMENTATION_ONLY_WAIVERS:
            resource.get("Metadata", {}).pop(key, None)
        if resource.get("Metadata") == {}:
            del resource["Metadata"]
    assert compact == _without_sids(readable)
    assert "\n" not in deployed(variant) and ": " not in deployed(variant)[:200]


def test_sids_are_documentation_only():
    """IAM decides on Effect, Action, Resource, Principal and Condition; the Sid is "an
    optional identifier that you provide for the policy statement".
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html
    The offline evaluator, which never reads a Sid, decides every required call and near miss
    of the default template the same way on the documents without Sids."""
    from policies.evaluator import Request, decide
    from stacks.permissions import prove
    for proof in prove(settings_for("default")):
        stripped = tuple(_without_sids(d) for d in proof.documents)
        for verdict in proof.required + proof.near_misses:
            call = verdict.call
            assert decide(stripped, Request(call.action, call.resource, call.context)) == \
                verdict.decision


@pytest.mark.parametrize("module", ["guard_handler.py", "hook_handler.py",
                                    "guard_handler.py+guard_ecs.py",
                                    "hook_handler.py+hook_ecs.py"])
def test_the_shipped_minified_code_is_current_and_keeps_the_entry_point(module):
    """The committed *.min.py is python-minifier's output for the module as it is now (run
    `make generated` after changing a handler); Lambda calls `index.handler`."""
    from generated import minified_handlers
    from stacks.functions import handler_source
    source = handler_source(module)
    shipped = shipped_minified(source)
    (expected,) = [code for path, code in minified_handlers().items()
                   if path.name == module.replace(".py", "") + ".min.py"]
    assert shipped == expected, "run `make generated`"
    tree = ast.parse(shipped)
    handlers = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "handler"]
    # One per part that defines it: a continuing part's handler (the last) is the entry point.
    parts = [handler_source(part) for part in module.split("+")]
    assert len(handlers) == sum("\ndef handler(" in part for part in parts) >= 1
    assert len(shipped) < len(source) * 0.75
