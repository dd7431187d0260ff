"""The command line as users run it: a real process, real files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from stacks.cli import main
from variants import EXAMPLES, rendered

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stacks", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_template_with_defaults(tmp_path):
    result = run("template", "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "template.yaml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["template.yaml"]
    assert (tmp_path / "template.yaml").read_text(encoding="utf-8") == rendered("default")


def test_two_renders_are_byte_identical(tmp_path):
    config = EXAMPLES / "canary.toml"
    for out in ("a", "b"):
        assert main(["template", "--config", str(config), "--output",
                     str(tmp_path / out)]) == 0
    assert (tmp_path / "a" / "template.yaml").read_bytes() == \
        (tmp_path / "b" / "template.yaml").read_bytes()


def test_bad_settings_in_a_real_process(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[listeners]\ntest_port = 443\n")
    result = run("template", "--config", str(config), "--output", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: listeners.test_port = 443: ")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_unwritable_output_is_an_error_not_a_traceback(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run("template", "--output", str(blocker / "sub"))
    assert result.returncode == 1
    assert result.stderr.startswith("error: --output: ")
    assert "Traceback" not in result.stderr


def test_help_lists_the_options():
    result = run("template", "--help")
    assert result.returncode == 0
    assert "--config FILE" in result.stdout and "--output DIR" in result.stdout


def test_missing_command_is_a_usage_error():
    result = run()
    assert result.returncode == 2 and "usage: ecs-bluegreen" in result.stderr
