"""The command line as users run it: a real process, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stacks import cli
from stacks.cli import main, write_files
from variants import EXAMPLES, deployed, rendered

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stacks", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_template_with_defaults_writes_the_deployable_and_the_readable_file(tmp_path):
    result = run("template", "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "template.yaml"),
                                     str(tmp_path / "template.json")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["template.json", "template.yaml"]
    assert (tmp_path / "template.yaml").read_text(encoding="utf-8") == rendered("default")
    assert (tmp_path / "template.json").read_text(encoding="utf-8") == deployed("default")
    # On standard error, the command to deploy it; it fits: no bucket.
    assert result.stderr.startswith("# deploy with:\naws cloudformation deploy \\\n")
    assert "--s3-bucket" not in result.stderr


@pytest.mark.parametrize("config", ["canary.toml", "existing-vpc.toml"])
def test_output_is_byte_identical_across_processes_and_hash_seeds(tmp_path, config):
    """Determinism across processes: Python randomises str hashing per process (set order,
    for one), so each render runs in its own process with its own PYTHONHASHSEED."""
    outputs = []
    for seed in ("1", "2", "3"):
        out = tmp_path / seed
        for command in ("template", "terraform"):
            result = run(command, "--config", str(EXAMPLES / config), "--output", str(out),
                         env={"PYTHONHASHSEED": seed})
            assert result.returncode == 0, result.stderr
        outputs.append({p.relative_to(out): p.read_bytes()
                        for p in sorted(out.rglob("*")) if p.is_file()})
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(outputs[0]) >= 5  # both templates and the Terraform files


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
    assert "template.json" in result.stdout


def test_missing_command_is_a_usage_error():
    result = run()
    assert result.returncode == 2 and "usage: ecs-bluegreen" in result.stderr


# --- all or nothing ------------------------------------------------------------------------------

def _tree(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file()}


def test_a_target_that_is_a_directory_changes_nothing(tmp_path, capsys):
    (tmp_path / "template.yaml").mkdir()
    (tmp_path / "template.json").write_text("previous")
    assert main(["template", "--output", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: --output: cannot write {tmp_path / 'template.yaml'}: is a directory\n"
    assert _tree(tmp_path) == {"template.json": b"previous"}  # no temporary file either


def test_a_late_failure_puts_back_what_was_replaced(tmp_path, monkeypatch, capsys):
    """artifacts writes three files; the rename of the second fails: the first gets its old
    bytes back, the third never appears, and no temporary file stays."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "buildspec.yml").write_text("old buildspec")
    renames = []
    real_replace = os.replace

    def failing_replace(source, target):
        renames.append(target)
        if len(renames) == 2:
            raise OSError(28, "No space left on device", str(source))
        real_replace(source, target)
    monkeypatch.setattr(cli.os, "replace", failing_replace)
    assert main(["artifacts", "--output", str(out)]) == 1
    err = capsys.readouterr().err
    # The error names the file the user asked for, not a temporary name.
    assert err == f"error: --output: cannot write {renames[1]}: No space left on device\n"
    assert Path(renames[1]).parent == out and not Path(renames[1]).name.startswith(".")
    assert _tree(out) == {"buildspec.yml": b"old buildspec"}


def test_a_failure_leaves_no_directory_it_made(tmp_path, monkeypatch):
    def failing_replace(source, target):
        raise OSError(5, "Input/output error", str(source))
    monkeypatch.setattr(cli.os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_files(tmp_path / "new" / "deeper", {"terraform/main.tf.json": "{}",
                                                   "terraform/x.zip": b"PK"})
    assert list(tmp_path.iterdir()) == []


def test_bytes_and_text_are_written_as_given(tmp_path):
    written = write_files(tmp_path, {"a.txt": "héllo\n", "b.zip": b"PK\x03\x04"})
    assert [p.name for p in written] == ["a.txt", "b.zip"]
    assert (tmp_path / "a.txt").read_bytes() == "héllo\n".encode()
    assert (tmp_path / "b.zip").read_bytes() == b"PK\x03\x04"
    assert oct((tmp_path / "a.txt").stat().st_mode & 0o777) == "0o644"


# Modules `template` has no use for. Each costs tens of milliseconds at every call (the speed
# goal is measured by `make bench`; this keeps the cause out, not the time).
HEAVY = ("boto3", "botocore", "cfnlint", "moto", "policy_sentry", "cfn_flip.main", "tomllib")


def test_rendering_imports_nothing_it_does_not_use(tmp_path):
    probe = ("import json, sys\n"
             "from stacks.cli import main\n"
             f"main(['template', '--output', {str(tmp_path)!r}])\n"
             "print(json.dumps(sorted(sys.modules)))\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout.splitlines()[-1]))
    assert sorted(m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY) == []
