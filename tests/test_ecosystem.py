"""Around the template: the deploy command `template` prints, `--version`, the exit statuses,
`check` and the pre-commit hooks, settings files with a byte-order mark, and settings that the
chosen options would ignore.

The printed command is compared with the rendered template's own Parameters (every one
without a default, none with one) for every variant, and the real AWS CLI runs it against
moto's server (a change set, not executed), so an option the CLI does not know fails here.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stacks.deploy_command import DIRECT_UPLOAD_LIMIT, render
from stacks.intrinsics import load_template
from stacks.settings import IGNORED_UNLESS, SettingsError, load_settings, parse_settings
from stacks.tags import stack_tags
from variants import EXAMPLES, ROOT, VARIANTS, deployed, settings_for

CLI = [sys.executable, "-m", "stacks"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          timeout=120)


def command_words(snippet: str) -> list[str]:
    """The printed snippet as the shell would split it (comments and continuations out)."""
    lines = [line for line in snippet.splitlines() if not line.startswith("#")]
    return shlex.split(" ".join(line.rstrip("\\") for line in lines).replace("<", "\\<")
                       .replace(">", "\\>"))


def options(words: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for word in words[3:]:
        if word.startswith("--"):
            current = found.setdefault(word, [])
        else:
            current.append(word)
    return found


# --- the deploy command ------------------------------------------------------------------------

def test_the_printed_command_passes_exactly_the_parameters_without_a_default(variant):
    template = load_template(deployed(variant))
    size = len(deployed(variant).encode())
    words = command_words(render(settings_for(variant), template, Path("build/template.json"),
                                 size))
    assert words[:3] == ["aws", "cloudformation", "deploy"]
    found = options(words)
    passed = {value.split("=", 1)[0] for value in found.get("--parameter-overrides", [])}
    assert passed == {name for name, p in template["Parameters"].items() if "Default" not in p}
    assert found["--template-file"] == ["build/template.json"]
    assert found["--stack-name"] == [settings_for(variant).resource_id]
    assert found["--capabilities"] == ["CAPABILITY_IAM"]  # roles without names
    assert found["--tags"] == [f"{k}={v}" for k, v in stack_tags(settings_for(variant)).items()]
    assert ("--s3-bucket" in found) == (size > DIRECT_UPLOAD_LIMIT)
    for value in found.get("--parameter-overrides", []):
        assert re.fullmatch(r"\w+=<[^<>]+>(/<[^<>]+>|,<[^<>]+>)?", value), value


def test_the_cli_prints_it_on_standard_error_and_only_the_paths_on_standard_output(tmp_path):
    result = run("template", "--config", str(EXAMPLES / "ecs-canary.toml"),
                 "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "template.yaml"),
                                     str(tmp_path / "template.json")]
    found = options(command_words(result.stderr))
    assert found["--template-file"] == [str(tmp_path / "template.json")]
    # ECS's engine: Image at creation, and a note that says so
    assert any(v.startswith("Image=") for v in found["--parameter-overrides"])
    assert "# Image: creation only" in result.stderr


def test_the_real_aws_cli_accepts_the_printed_command(tmp_path, endpoint):
    """The command as printed, placeholders replaced by values of their kind, run by the AWS
    CLI against moto's CloudFormation (--no-execute-changeset): the CLI knows every option and
    takes the parameters' syntax. (moto does not refuse a change set that lacks a required
    parameter: the test above compares the command with the template for that.)"""
    result = run("template", "--config", str(EXAMPLES / "existing-vpc.toml"),
                 "--output", str(tmp_path))
    run_printed(result.stderr, endpoint)


# A value of its kind for each placeholder the printed commands may hold.
PLACEHOLDER_VALUES = {
    "<vpc-id>": "vpc-0123456789abcdef0",
    "<public-subnet-a>,<public-subnet-b>": "subnet-0a,subnet-0b",
    "<private-subnet-a>,<private-subnet-b>": "subnet-0c,subnet-0d",
    "<arn-of-your-acm-certificate>": "arn:aws:acm:us-east-1:123456789012:certificate/"
                                     "0123abcd-0123-4567-89ab-0123456789ab",
    "<codecommit-repository>": "webapp",
    "<arn-of-your-connection>": "arn:aws:codeconnections:us-east-1:123456789012:"
                                "connection/0123abcd-0123-4567-89ab-0123456789ab",
    "<owner>/<repository>": "example/webapp"}


def run_printed(snippet: str, endpoint: str) -> list[str]:
    """One printed command, placeholders filled, run by the real AWS CLI against moto's
    server with --no-execute-changeset; its words as printed."""
    from test_rehearsal import ENV, REGION
    words = command_words(snippet)
    words = [next((w.replace(k, v) for k, v in PLACEHOLDER_VALUES.items() if k in w), w)
             for w in words]
    assert not [w for w in words if "<" in w], words
    aws = str(Path(sys.executable).parent / "aws")
    done = subprocess.run([aws, "--endpoint-url", endpoint, "--region", REGION, *words[1:],
                           "--no-execute-changeset"], env=ENV, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Changeset created successfully" in done.stdout
    return words


def test_a_template_over_the_limit_gets_a_bucket_in_its_command(tmp_path):
    settings = settings_for("largest-ecs")
    snippet = render(settings, load_template(deployed("largest-ecs")), Path("t.json"),
                     len(deployed("largest-ecs").encode()))
    assert options(command_words(snippet))["--s3-bucket"] == ["<bucket-in-the-stacks-region>"]
    assert f"t.json is {len(deployed('largest-ecs').encode()):,} bytes" in snippet


# --- --version, exit statuses, check --------------------------------------------------------------

def test_version_is_the_packages():
    metadata = configparser.ConfigParser()
    metadata.read(ROOT / "setup.cfg")
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout == f"ecs-bluegreen {metadata['metadata']['version']}\n"


@pytest.mark.parametrize("command", ["template", "check", "artifacts", "iam", "plan",
                                     "diagram", "status", "terraform"])
def test_every_command_documents_its_exit_statuses(command):
    text = " ".join(run(command, "--help").stdout.split())
    assert "exit status: 0 when it did what was asked; 1 when it could not" in text
    assert "2 for bad input" in text


def test_bad_arguments_exit_2():
    assert run("template", "--no-such-option").returncode == 2
    assert run("no-such-command").returncode == 2


def test_check_validates_each_file_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[service]\nname = "Web_App"\n')
    before = sorted(ROOT.rglob("build/*")) if (ROOT / "build").exists() else []
    result = run("check", str(EXAMPLES / "canary.toml"), str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{EXAMPLES / 'canary.toml'}: ok (template.json " in result.stdout
    assert result.stderr.startswith(f"error: {bad}: service.name = \"Web_App\"")
    assert sorted(tmp_path.iterdir()) == [bad]  # nothing written
    assert (sorted(ROOT.rglob("build/*")) if (ROOT / "build").exists() else []) == before
    ok = run("check", *(str(p) for p in sorted(EXAMPLES.glob("*.toml"))))
    assert ok.returncode == 0 and ok.stdout.count(": ok (") == len(list(EXAMPLES.glob("*.toml")))


# --- settings files ------------------------------------------------------------------------------

def test_a_byte_order_mark_is_read_not_refused(tmp_path):
    text = (EXAMPLES / "canary.toml").read_text(encoding="utf-8")
    plain, marked = tmp_path / "plain.toml", tmp_path / "marked.toml"
    plain.write_text(text, encoding="utf-8")
    marked.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_settings(marked) == load_settings(plain)
    marked.write_bytes(b"\xef\xbb\xbf" + b"[service]\nname = \xff\n")  # still not UTF-8
    with pytest.raises(SettingsError, match="not valid UTF-8"):
        load_settings(marked)


def _example_value(key: str):
    """A valid value of `key` other than its default."""
    return {"listeners.ssl_policy": "ELBSecurityPolicy-TLS13-1-3-2021-06",
            "hooks.requests": 3, "hooks.paths": ["/ready"], "hooks.timeout_seconds": 90,
            "hooks.before_allow_traffic": True, "alarms.unhealthy_hosts": 3,
            "alarms.period_seconds": 300}[key]


@pytest.mark.parametrize("key", ["listeners.ssl_policy", "hooks.requests", "hooks.paths",
                                 "hooks.timeout_seconds", "hooks.before_allow_traffic",
                                 "alarms.unhealthy_hosts", "alarms.period_seconds"])
def test_a_setting_the_options_ignore_is_an_error_naming_both_keys(key, tmp_path):
    (prefix, switch, off), = [entry for entry in IGNORED_UNLESS if key.startswith(entry[0])]
    section, name = key.split(".")
    switch_section, switch_name = switch.split(".")
    data = {section: {name: _example_value(key)}}
    data.setdefault(switch_section, {})[switch_name] = off
    with pytest.raises(SettingsError) as error:
        parse_settings(data)
    (problem,) = error.value.problems
    assert problem.key == key and switch in problem.message
    # with the switch on, the same value is fine
    data[switch_section][switch_name] = not off
    assert parse_settings(data)
    # and the command says so, exits 2 and writes nothing
    config = tmp_path / "s.toml"
    config.write_text("".join(f"[{s}]\n" + "".join(f"{k} = {json.dumps(v)}\n"
                                                   for k, v in keys.items())
                              for s, keys in {**data, switch_section: {
                                  **data[switch_section], switch_name: off}}.items()))
    result = run("template", "--config", str(config), "--output", str(tmp_path / "out"))
    assert result.returncode == 2 and key in result.stderr and switch in result.stderr
    assert not (tmp_path / "out").exists()


def test_no_variant_sets_a_setting_its_options_ignore():
    for variant in VARIANTS:
        settings_for(variant)  # parse_settings refuses them


# --- pre-commit ----------------------------------------------------------------------------------

def test_the_pre_commit_hook_for_application_repositories_runs_check():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "ecs-bluegreen-check" and hook["language"] == "python"
    assert hook["entry"] == "ecs-bluegreen check"  # the console script setup.cfg installs
    assert re.search(hook["files"], "deploy/ecs-bluegreen.toml")
    assert re.search(hook["files"], "ecs-bluegreen-prod.toml")
    assert not re.search(hook["files"], "pyproject.toml")
    metadata = configparser.ConfigParser()
    metadata.read(ROOT / "setup.cfg")
    assert "ecs-bluegreen = " in metadata["options.entry_points"]["console_scripts"]


def test_this_repositorys_pre_commit_hooks_name_what_exists():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    local = [h for repo in config["repos"] if repo["repo"] == "local" for h in repo["hooks"]]
    makefile = (ROOT / "Makefile").read_text()
    for hook in local:
        program, *arguments = hook["entry"].split()
        if program == "make":
            assert re.search(rf"^{arguments[0]}:", makefile, re.M), hook["id"]
        else:
            assert program.startswith(".venv/bin/"), hook["id"]
            if program.endswith("python") and arguments[0] == "-m":
                __import__(arguments[1])  # installed by make test
            elif program.endswith("python"):
                assert (ROOT / arguments[0]).exists(), hook["id"]
    assert {h["id"] for h in local} == {"pyflakes", "settings-examples", "generated",
                                        "cfn-lint-examples"}


def test_the_generated_check_fails_on_a_stale_file(tmp_path, monkeypatch):
    import generated
    assert generated.main(["--check"]) == 0
    readme = tmp_path / "README.md"
    readme.write_text(generated.README.read_text().replace("| `engine` |", "| `engin` |"))
    monkeypatch.setattr(generated, "README", readme)
    assert generated.main(["--check"]) == 1
    assert "| `engin` |" in readme.read_text()  # --check writes nothing


# --- plan ------------------------------------------------------------------------------------------

def test_the_default_timeline_adds_up_as_the_settings_say():
    from stacks.timeline import plan
    timeline = plan(parse_settings({}))
    # A new target "must pass one health check to be considered healthy" (the ALB guide's
    # target group health checks): one 10 s interval at most; the hook's 60 s; all at once;
    # 5 min kept; 30 s drain.
    assert [(p.name, p.seconds) for p in timeline.phases] == [
        ("new tasks healthy", 10), ("test-traffic hook", 60), ("production traffic shift", 0),
        ("old tasks kept", 300), ("old tasks drain", 30)]
    assert (timeline.to_full_traffic, timeline.until_old_tasks_gone) == (70, 400)
    assert timeline.alarm_detection == 120  # two 60-second periods


@pytest.mark.parametrize("engine, percent, minutes, last_step_minutes", [
    # CodeDeploy: ten equal steps, the first at once (CodeDeployDefault.ECSLinear10Percent...)
    ("codedeploy", 10, 5, 45),
    ("codedeploy", 25, 2, 6),
    # ECS: a bake after each step but the last: 100/25 - 1 = 3 bakes; floor(100/30) = 3
    ("ecs", 25, 3, 9),
    ("ecs", 30, 3, 9),
    ("ecs", 10, 1, 9),
])
def test_linear_steps_follow_each_engines_rule(engine, percent, minutes, last_step_minutes):
    from stacks.timeline import traffic_steps
    settings = parse_settings({"deployment": {"engine": engine, "traffic": "linear",
                                              "percent": percent,
                                              "interval_minutes": minutes}})
    steps = traffic_steps(settings)
    assert steps[-1] == (last_step_minutes * 60, 100)
    assert [share for _, share in steps] == sorted(share for _, share in steps)


def test_the_hook_before_production_runs_once_or_before_each_step():
    """CodeDeploy's BeforeAllowTraffic runs once; ECS's PRE_PRODUCTION_TRAFFIC_SHIFT "is
    invoked before every traffic shift step" (the AWS::ECS::Service schema): the first run
    before the shift, the next before the canary's second step, inside the shift."""
    from stacks.timeline import plan
    for engine, shift in (("codedeploy", 5 * 60), ("ecs", 5 * 60 + 30)):
        timeline = plan(parse_settings({
            "deployment": {"engine": engine, "traffic": "canary"},
            "hooks": {"before_allow_traffic": True, "timeout_seconds": 30}}))
        phases = {p.name: p.seconds for p in timeline.phases}
        assert phases["hook again before production moves"] == 30
        assert phases["production traffic shift"] == shift


def test_plan_prints_the_timeline_and_refuses_bad_settings(tmp_path):
    result = run("plan", "--config", str(EXAMPLES / "approval-wait.toml"))
    assert result.returncode == 0, result.stderr
    assert "approval window" in result.stdout and "old tasks gone: +2 h 31 min 40 s" in \
        result.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("[deployment]\napproval_wait_minutes = -1\n")
    assert run("plan", "--config", str(bad)).returncode == 2


# --- diagram ---------------------------------------------------------------------------------------

def _references_in(value, names: set[str]) -> set[str]:
    """Every logical id of `names` that a Ref, Fn::GetAtt or Fn::Sub in `value` names, found by
    text (a different method from the diagram's walk)."""
    text = json.dumps(value)
    return {n for n in names if f'{{"Ref": "{n}"}}' in text or f'["{n}", ' in text
            or f"${{{n}}}" in text or f"${{{n}." in text}


@pytest.mark.parametrize("variant_name", ["default", "ecs-canary", "existing-vpc"])
def test_the_diagram_draws_every_reference_between_the_resources_it_shows(variant_name):
    from stacks.diagram import SHOWN, graph
    template = load_template(deployed(variant_name))
    resources = template["Resources"]
    g = graph(template)
    assert set(g.nodes) == {n for n, r in resources.items() if r["Type"] in SHOWN}
    drawn = {(source, target) for source, target, _ in g.edges}
    for name in g.nodes:
        if resources[name]["Type"] == "AWS::IAM::Role":
            assert not [e for e in drawn if e[0] == name]  # permissions are not structure
            continue
        expected = _references_in(resources[name].get("Properties", {}),
                                  set(g.nodes) - {name})
        assert {t for s, t in drawn if s == name} - expected <= {"TaskDefinition"}, name
        assert expected <= {t for s, t in drawn if s == name}, name
    # each role names who assumes it, from its trust policy
    assert set(g.trusts) == {n for n in g.nodes if resources[n]["Type"] == "AWS::IAM::Role"}
    for role, principals in g.trusts.items():
        statement, = resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert list(principals) == statement["Principal"]["Service"]


def test_the_diagram_shows_each_engine():
    from stacks.diagram import graph
    codedeploy = graph(load_template(deployed("default")))
    assert ("DeploymentGroup", "Service", "ServiceName") in codedeploy.edges
    assert ("Service", "TaskDefinition", "TaskDefinition (family)") in codedeploy.edges
    ecs = graph(load_template(deployed("ecs-native")))
    assert ("Service", "EcsInfrastructureRole", "RoleArn") in ecs.edges
    assert ("Service", "ProductionListenerRule", "ProductionListenerRule") in ecs.edges
    assert ("Pipeline", "LiveRoutesFunction", "FunctionName") in ecs.edges
    assert "DeploymentGroup" not in ecs.nodes


def test_the_readmes_picture_is_the_one_the_command_draws(tmp_path):
    result = run("diagram", "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diagram.dot", "diagram.mmd"]
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- diagram:start -->\n", 1)[1].split("<!-- diagram:end -->", 1)[0]
    assert block == "```mermaid\n" + (tmp_path / "diagram.mmd").read_text() + "```\n"
    # The DOT copy, read back by a DOT parser: the same nodes and arrows.
    import pydot
    from stacks.diagram import graph
    (parsed,) = pydot.graph_from_dot_data((tmp_path / "diagram.dot").read_text())
    g = graph(load_template(deployed("default")))
    assert {n.get_name() for n in parsed.get_nodes()} - {"node", "graph"} == set(g.nodes)
    assert sorted((e.get_source(), e.get_destination(), e.get_label().strip('"'))
                  for e in parsed.get_edges()) == sorted(g.edges)


def test_plan_and_diagram_work_for_every_variant(variant):
    from stacks.diagram import graph, mermaid
    from stacks.timeline import plan
    timeline = plan(settings_for(variant))
    assert timeline.until_old_tasks_gone >= timeline.to_full_traffic > 0
    assert mermaid(graph(load_template(deployed(variant)))).startswith("flowchart LR\n")


@pytest.mark.parametrize("command", ["plan", "diagram"])
def test_bad_settings_stop_plan_and_diagram_with_nothing_written(command, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[service]\ncpu = 300\n")
    extra = ["--output", str(tmp_path / "out")] if command == "diagram" else []
    result = run(command, "--config", str(bad), *extra)
    assert result.returncode == 2 and "service.cpu = 300" in result.stderr
    assert result.stdout == "" and not (tmp_path / "out").exists()


# --- style ------------------------------------------------------------------------------------------

def test_pyflakes_finds_nothing():
    """The project's style check (also a pre-commit hook). The modules that continue another
    (stacks/lambdas/*_ecs.py) use its names, and the minified handlers are generated."""
    from pyflakes.api import checkPath
    from pyflakes.reporter import Reporter
    import io
    out = io.StringIO()
    reporter = Reporter(out, out)
    skipped = {"guard_ecs.py", "hook_ecs.py"}
    for path in sorted(p for top in ("stacks", "policies", "tests")
                       for p in (ROOT / top).rglob("*.py")):
        if path.name in skipped or path.name.endswith(".min.py"):
            continue
        checkPath(str(path), reporter)
    assert out.getvalue() == ""
