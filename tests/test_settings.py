"""Settings: defaults, examples, and the bad-settings suite.

Every bad input must give exit status 2, an `error:` line that names the dotted key, shows the
bad value where there is one and says what is allowed, no traceback, and no output written.
"""

from __future__ import annotations


import pytest

from stacks.cli import main
from stacks.settings import (SECTIONS, Settings, documented_keys, key_types, load_settings,
                             parse_settings)
from variants import EXAMPLES

# (case id, TOML text, dotted key that must be named, text that must appear in the message)
BAD_SETTINGS = [
    ("port-type", "[service]\ncontainer_port = \"80\"", "service.container_port", "integer"),
    ("port-bool", "[service]\ncontainer_port = true", "service.container_port", "integer"),
    ("port-range", "[service]\ncontainer_port = 70000", "service.container_port", "65535"),
    ("port-zero", "[service]\ncontainer_port = 0", "service.container_port", "1 to 65535"),
    ("cpu-not-fargate", "[service]\ncpu = 300", "service.cpu", "256, 512"),
    ("memory-pair", "[service]\ncpu = 256\nmemory = 4096", "service.memory", "512, 1024, 2048"),
    ("memory-step", "[service]\ncpu = 1024\nmemory = 2500", "service.memory",
     "2048 to 8192 in steps of 1024"),
    ("name-uppercase", "[service]\nname = \"WebApp\"", "service.name", "lowercase"),
    ("name-starts-digit", "[service]\nname = \"1app\"", "service.name", "starting with a letter"),
    ("name-trailing-hyphen", "[service]\nname = \"app-\"", "service.name", "lowercase"),
    ("name-internal", "[service]\nname = \"internal\"", "service.name", "internal-"),
    ("user-root", "[service]\nuser = \"root\"", "service.user", "image's own user"),
    ("user-uid-0", "[service]\nuser = \"0:0\"", "service.user", "root is what"),
    ("user-shape", "[service]\nuser = \"app user\"", "service.user", "UID"),
    ("flow-logs-existing", "[network]\nmode = \"existing\"\nflow_logs = true",
     "network.flow_logs", 'only used with network.mode "create"'),
    ("names-too-long", "[service]\nname = \"averyverylongname\"\nenvironment = \"production\"",
     "service.environment", "32 characters"),
    ("environment-empty", "[service]\nenvironment = \"\"", "service.environment", "at least 1"),
    ("health-path", "[service]\nhealth_check_path = \"health\"", "service.health_check_path",
     "starting with /"),
    ("grace-negative", "[service]\nhealth_check_grace_seconds = -1",
     "service.health_check_grace_seconds", "0 to 7200"),
    ("retention-invalid", "[service]\nlog_retention_days = 10", "service.log_retention_days",
     "never expire"),
    ("keep-images-one", "[service]\nkeep_images = 1", "service.keep_images", "rollback"),
    ("entry-point-type", "[service]\nentry_point = \"sh run.sh\"", "service.entry_point",
     "list"),
    ("timeout-not-below-interval", "[health_check]\ninterval_seconds = 10\ntimeout_seconds = 10",
     "health_check.timeout_seconds", "less than health_check.interval_seconds"),
    ("threshold-range", "[health_check]\nhealthy_threshold = 1",
     "health_check.healthy_threshold", "2 to 10"),
    ("success-codes", "[health_check]\nsuccess_codes = \"ok\"", "health_check.success_codes",
     "200-299"),
    ("deregistration-float", "[health_check]\nderegistration_delay_seconds = 1.5",
     "health_check.deregistration_delay_seconds", "integer"),
    ("test-port-443", "[listeners]\ntest_port = 443", "listeners.test_port", "production"),
    ("test-port-80", "[listeners]\ntest_port = 80", "listeners.test_port", "production"),
    ("test-cidr-world", "[listeners]\ntest_cidrs = [\"0.0.0.0/0\"]", "listeners.test_cidrs.0",
     "never open to the world"),
    ("test-cidr-garbage", "[listeners]\ntest_cidrs = [\"10.0.0.0/8\", \"office\"]",
     "listeners.test_cidrs.1", "IPv4 CIDR"),
    ("test-cidr-host-bits", "[listeners]\ntest_cidrs = [\"10.0.0.1/8\"]",
     "listeners.test_cidrs.0", "host bits"),
    ("test-cidrs-not-list", "[listeners]\ntest_cidrs = \"10.0.0.0/8\"", "listeners.test_cidrs",
     "list"),
    ("https-string", "[listeners]\nhttps = \"yes\"", "listeners.https", "true or false"),
    ("ssl-policy-old", "[listeners]\nssl_policy = \"ELBSecurityPolicy-2016-08\"",
     "listeners.ssl_policy", "TLS 1.2 and 1.3"),
    ("traffic-unknown", "[deployment]\ntraffic = \"blue-green\"", "deployment.traffic",
     "not one of the choices; allowed: all-at-once, canary or linear"),
    ("percent-range", "[deployment]\ntraffic = \"canary\"\npercent = 100", "deployment.percent",
     "1 to 99"),
    ("percent-without-steps", "[deployment]\npercent = 20", "deployment.percent",
     "only used with"),
    ("termination-range", "[deployment]\ntermination_wait_minutes = 3000",
     "deployment.termination_wait_minutes", "0 to 2880"),
    ("approval-negative", "[deployment]\napproval_wait_minutes = -5",
     "deployment.approval_wait_minutes", "0 to 2880"),
    ("scaling-min-above-max", "[scaling]\nmin = 5\nmax = 3", "scaling.max", "at least scaling.min"),
    ("desired-count-removed", "[service]\ndesired_count = 2", "service.desired_count",
     "starts with scaling.min tasks"),
    ("cpu-target-range", "[scaling]\ncpu_target = 100", "scaling.cpu_target", "10 to 95"),
    ("network-mode", "[network]\nmode = \"default\"", "network.mode", "allowed: create or existing"),
    ("vpc-cidr-too-small", "[network]\nvpc_cidr = \"10.0.0.0/26\"", "network.vpc_cidr", "/16"),
    ("vpc-cidr-invalid", "[network]\nvpc_cidr = \"10.0.0/16\"", "network.vpc_cidr",
     "IPv4 CIDR"),
    ("nat-gateways-three", "[network]\nnat_gateways = 3", "network.nat_gateways", "1 or 2"),
    ("public-ip-in-created-vpc", "[network]\nassign_public_ip = true",
     "network.assign_public_ip", "existing"),
    ("vpc-cidr-with-existing", "[network]\nmode = \"existing\"\nvpc_cidr = \"10.1.0.0/16\"",
     "network.vpc_cidr", "only used with"),
    ("hook-cidr-private", "[network]\nmode = \"existing\"\n[listeners]\n"
     "test_cidrs = [\"198.51.100.10/32\", \"10.0.0.0/8\"]", "listeners.test_cidrs.1",
     "private (RFC 1918) range: with hooks.enabled in an existing VPC"),
    ("hook-cidr-loopback", "[network]\nmode = \"existing\"\n[listeners]\n"
     "test_cidrs = [\"127.0.0.1/32\"]", "listeners.test_cidrs.0", "NAT gateway's public IP as /32"),
    ("hook-cidr-link-local", "[network]\nmode = \"existing\"\n[listeners]\n"
     "test_cidrs = [\"169.254.0.0/16\"]", "listeners.test_cidrs.0", "link-local"),
    ("hook-cidr-shared", "[network]\nmode = \"existing\"\n[listeners]\n"
     "test_cidrs = [\"100.64.1.0/24\"]", "listeners.test_cidrs.0", "RFC 6598"),
    ("public-ip-with-hooks", "[network]\nmode = \"existing\"\nassign_public_ip = true\n"
     "[listeners]\ntest_cidrs = [\"198.51.100.10/32\"]", "network.assign_public_ip",
     "Lambda never gives its network interfaces public addresses"),
    ("test-cidrs-too-many", "[listeners]\ntest_cidrs = ["
     + ", ".join(f'"198.51.100.{i}/32"' for i in range(6)) + "]", "listeners.test_cidrs",
     "at most 5"),
    ("hook-paths-too-many", "[hooks]\npaths = [" + ", ".join(['"/a"'] * 6) + "]",
     "hooks.paths", "at most 5"),
    ("hook-paths-too-long-together", "[hooks]\npaths = [" + ", ".join(
        [f'"/{c * 99}"' for c in "abc"]) + "]", "hooks.paths", "300 characters in all"),
    ("hook-path-comma", "[hooks]\npaths = [\"/a,/b\"]", "hooks.paths.0", "without commas"),
    ("hook-path-space", "[hooks]\npaths = [\"/a b\"]", "hooks.paths.0", "URL characters"),
    ("entry-point-too-long", "[service]\nentry_point = [\"" + "x" * 200 + "\", \"" + "y" * 100
     + "\"]", "service.entry_point", "300 characters in all"),
    ("entry-point-empty-part", "[service]\nentry_point = [\"sh\", \"\"]", "service.entry_point.1",
     "at least 1 character"),
    ("entry-point-double-quote", "[service]\nentry_point = ['sh', '-c', 'echo \"hi\"']",
     "service.entry_point.2", "without double quotes or backslashes"),
    ("entry-point-unclosed-variable", "[service]\nentry_point = ['sh', '-c', 'echo ${PORT']",
     "service.entry_point.2", 'closed by "}"'),
    ("health-path-not-a-url", "[service]\nhealth_check_path = \"/{id}\"",
     "service.health_check_path", "URL characters (RFC 3986)"),
    ("health-path-too-long", "[service]\nhealth_check_path = \"/" + "h" * 128 + "\"",
     "service.health_check_path", "at most 128 characters"),
    ("branch-too-long", "[pipeline]\nbranch = \"" + "b" * 101 + "\"", "pipeline.branch",
     "at most 100 characters"),
    ("build-image-too-long", "[pipeline]\nbuild_image = \"aws/codebuild/" + "s" * 50 + ":7.0\"",
     "pipeline.build_image", "at most 64 characters"),
    ("ssl-policy-too-long", "[listeners]\nssl_policy = \"ELBSecurityPolicy-TLS13-1-2-" + "x" * 40
     + "\"", "listeners.ssl_policy", "at most 64 characters"),
    ("ratio-precision", "[hooks]\nsuccess_ratio = 0.955", "hooks.success_ratio",
     "at most two decimals"),
    ("unknown-key", "[service]\ncontaner_port = 8080", "service.contaner_port",
     "allowed keys in [service]: name, environment, container_port"),
    ("unknown-section", "[servce]\nname = \"x\"", "servce", "allowed sections: service"),
    ("section-not-table", "service = 3", "service", "table"),
]


@pytest.fixture
def run(tmp_path, capsys):
    """Run the CLI on a settings text; return (exit status, stderr, files written)."""
    def _run(text: str | bytes):
        config = tmp_path / "settings.toml"
        if isinstance(text, bytes):
            config.write_bytes(text)
        else:
            config.write_text(text, encoding="utf-8")
        output = tmp_path / "out"
        status = main(["template", "--config", str(config), "--output", str(output)])
        written = sorted(p.name for p in output.iterdir()) if output.exists() else []
        return status, capsys.readouterr().err, written
    return _run


def test_bad_settings_suite_is_large_and_distinct():
    assert len(BAD_SETTINGS) >= 25
    assert len({case for case, *_ in BAD_SETTINGS}) == len(BAD_SETTINGS)
    assert len({text for _, text, *_ in BAD_SETTINGS}) == len(BAD_SETTINGS)


@pytest.mark.parametrize("case, text, key, allowed", BAD_SETTINGS,
                         ids=[case[0] for case in BAD_SETTINGS])
def test_bad_settings_exit_2_naming_the_key(run, case, text, key, allowed):
    status, err, written = run(text)
    assert status == 2
    assert written == []
    lines = err.splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), err
    assert any(line.startswith(f"error: {key}") and allowed in line for line in lines), err
    assert "Traceback" not in err


def test_the_bad_value_is_shown(run):
    _, err, _ = run("[service]\ncontainer_port = 70000")
    assert err.startswith("error: service.container_port = 70000: ")


def test_every_problem_in_a_file_is_reported(run):
    status, err, _ = run("[service]\ncontainer_port = 0\ncpu = \"big\"\n[listeners]\nhttps = 1")
    assert status == 2
    keys = [line.split()[1] for line in err.splitlines()]
    assert keys == ["service.container_port", "service.cpu", "listeners.https"]


def test_malformed_toml(run):
    status, err, written = run("[service\nname = 'x'")
    assert status == 2 and written == []
    assert err.startswith("error: ") and "not valid TOML" in err and "line 1" in err


def test_not_utf8(run):
    status, err, _ = run(b"[service]\nname = \"\xff\"")
    assert status == 2 and "not valid" in err


def test_missing_config_file(tmp_path, capsys):
    status = main(["template", "--config", str(tmp_path / "nope.toml"),
                   "--output", str(tmp_path / "out")])
    assert status == 2
    assert capsys.readouterr().err.startswith("error: --config = ")
    assert not (tmp_path / "out").exists()


def test_bad_settings_leave_an_existing_output_untouched(run, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "template.yaml").write_text("previous")
    status, _, _ = run("[service]\ncpu = 3")
    assert status == 2
    assert (out / "template.yaml").read_text() == "previous"


def test_no_file_is_the_same_as_an_empty_file(tmp_path):
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    assert load_settings(None) == load_settings(empty)


@pytest.mark.parametrize("cidr", ["10.0.0.0/8", "127.0.0.1/32", "169.254.0.0/16"])
@pytest.mark.parametrize("data", [
    {"network": {"mode": "existing"}, "hooks": {"enabled": False}},  # no hook to come from NAT
    {},  # a created VPC: the NAT addresses are admitted by the template itself
], ids=["existing-without-hooks", "created"])
def test_non_internet_test_cidrs_are_refused_only_where_the_hook_needs_nat(data, cidr):
    settings = parse_settings({**data, "listeners": {"test_cidrs": [cidr]}})
    assert settings.listeners.test_cidrs == (cidr,)


def test_documentation_ranges_count_as_internet_addresses():
    """Python's is_private calls these private; the hook check must not, or the examples (and
    anyone's documentation) could not show a NAT address."""
    cidrs = ["192.0.2.10/32", "198.51.100.10/32", "203.0.113.0/24"]
    settings = parse_settings({"network": {"mode": "existing"},
                               "listeners": {"test_cidrs": cidrs}})
    assert list(settings.listeners.test_cidrs) == cidrs


def test_examples_are_valid():
    examples = sorted(EXAMPLES.glob("*.toml"))
    assert examples
    for path in examples:
        assert isinstance(load_settings(path), Settings), path


def test_settings_are_frozen():
    settings = parse_settings({})
    with pytest.raises(AttributeError, match="immutable"):
        settings.service.container_port = 1  # type: ignore[misc]
    assert isinstance(settings.service.entry_point, tuple)  # lists become tuples


def test_every_key_is_documented_with_allowed_values():
    docs = documented_keys()
    assert len(docs) == sum(len(key_types(section)) for section in SECTIONS.values())
    for doc in docs:
        assert doc.description and doc.allowed, doc.key
