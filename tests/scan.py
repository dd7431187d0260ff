"""`make scan`: the security scanners platform teams run, over every template we render.

Renders the default settings and every example into build/scan/<variant>/ (template.json, the
file to deploy, and the Terraform rendition), then runs
- checkov on each template (CloudFormation) and each Terraform rendition (terraform_json);
- cfripper on each template;
- cfn-guard with AWS Control Tower's proactive-control rules on each template;
and fails if any finding is not waived on its resource with a reason (stacks/waivers.py).
Each scanner lives in its own environment, which the Makefile creates; their paths come as
arguments. Prints one line a scanner and variant, then every finding not waived.

Where a scanner cannot read a valid construct, it reads an equivalent rendering, written next
to the template and named for the scanner (see `for_cfripper`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stacks.settings import load_settings, parse_settings  # noqa: E402
from stacks.intrinsics import load_template  # noqa: E402
from stacks.promotion import build_promotion  # noqa: E402
from stacks.template import build_stack, deployable, readable  # noqa: E402
from stacks.terraform import render_terraform_files  # noqa: E402
from stacks.waivers import waived  # noqa: E402

EXAMPLES = ROOT / "examples"
# The address cfripper reads in place of a NAT gateway's address (RFC 5737 documentation range).
DOCUMENTATION_ADDRESS = "203.0.113.1/32"


@dataclass(frozen=True)
class Finding:
    scanner: str
    variant: str
    resource: str
    check: str
    message: str


def variants() -> dict[str, object]:
    found = {"default": parse_settings({})}
    for path in sorted(EXAMPLES.glob("*.toml")):
        found[path.stem] = load_settings(path)
    return found


def render(out: Path) -> dict[str, Path]:
    """Each variant's deployable template and Terraform rendition under out/<variant>/."""
    folders = {}
    for name, settings in variants().items():
        if settings.promotion is not None:
            # Each stack of a promotion on its own (no Terraform rendition: one stack only).
            stacks = build_promotion(settings)
            for rendered in stacks.in_deploy_order():
                folder = out / name / rendered.folder
                folder.mkdir(parents=True, exist_ok=True)
                document = rendered.template.to_dict()
                (folder / "template.json").write_text(deployable(None, document))
                (folder / "template.yaml").write_text(readable(None, document))
                folders[f"{name}/{rendered.folder}"] = folder
            continue
        folder = out / name
        (folder / "terraform").mkdir(parents=True, exist_ok=True)
        stack = build_stack(settings)
        (folder / "template.json").write_text(deployable(stack), encoding="utf-8")
        # The cfn-guard waivers are in the readable template only (stacks/waivers.py).
        (folder / "template.yaml").write_text(readable(stack), encoding="utf-8")
        for relative, body in render_terraform_files(settings).items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body if isinstance(body, bytes) else body.encode())
        folders[name] = folder
    return folders


def for_cfripper(template: dict) -> dict:
    """The template as cfripper 1.22 can read it. Its model (pycfmodel 2.1) takes a listener's
    target-group `Weight` only as a number, not the guard's `Fn::GetAtt`, and a `CidrIp` only as
    an address, not a `Fn::Sub` of the NAT gateway's: these become the weights the guard gives
    at creation and a documentation address of the same width. Nothing else changes."""
    from stacks.live_routes import AT_CREATION_WEIGHTS
    document = json.loads(json.dumps(template))
    for resource in document["Resources"].values():
        properties = resource.get("Properties", {})
        for action in properties.get("DefaultActions", []):
            for group in action.get("ForwardConfig", {}).get("TargetGroups", []):
                weight = group.get("Weight")
                if isinstance(weight, dict):
                    group["Weight"] = AT_CREATION_WEIGHTS[weight["Fn::GetAtt"][1]]
        if isinstance(properties.get("CidrIp"), dict):
            properties["CidrIp"] = DOCUMENTATION_ADDRESS
    return document


# --- checkov --------------------------------------------------------------------------------

def terraform_waivers(folder: Path) -> dict[str, dict[str, str]]:
    """Terraform address -> {check: reason} from the `//` comments the rendition carries."""
    found: dict[str, dict[str, str]] = {}
    for path in (folder / "terraform").glob("*.tf.json"):
        document = json.loads(path.read_text())
        for block, prefix in (("resource", ""), ("data", "data.")):
            for kind, bodies in document.get(block, {}).items():
                for name, body in bodies.items():
                    found[f"{prefix}{kind}.{name}"] = dict(re.findall(
                        r"checkov:skip=([A-Z0-9_]+):([^\n]+)", body.get("//", "")))
    return found


def run_checkov(checkov: str, folders: dict[str, Path]) -> tuple[list[Finding], list[str]]:
    findings, lines = [], []
    environment = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
    for variant, folder in folders.items():
        for framework, target in (("cloudformation", folder / "template.json"),
                                  ("terraform_json", folder / "terraform")):
            if not target.exists():  # a promotion's stack: no Terraform rendition
                continue
            option = "--file" if target.is_file() else "--directory"
            result = subprocess.run(
                [checkov, option, str(target), "--framework", framework, "--output", "json",
                 "--skip-download", "--no-fail-on-crash"],
                capture_output=True, text=True, env=environment, check=False)
            reports = json.loads(result.stdout or "[]")
            reports = reports if isinstance(reports, list) else [reports]
            waivers = terraform_waivers(folder) if framework == "terraform_json" else {}
            passed = failed = skipped = 0
            for report in reports:
                summary = report.get("summary", {})
                # versions.tf.json holds only required_version, which checkov cannot parse
                # (bridgecrewio/checkov#7454); any other file it cannot read is a finding.
                unread = [path for path in report.get("results", {}).get("parsing_errors", [])
                          if not path.endswith("versions.tf.json")]
                if unread:
                    findings.append(Finding(f"checkov {framework}", variant, str(target),
                                            "parsing", ", ".join(unread)))
                passed += summary.get("passed", 0)
                skipped += summary.get("skipped", 0)
                for check in report.get("results", {}).get("failed_checks", []):
                    # terraform_json names some blocks "resource.<name>" or "data.<name>"
                    address = check["resource"]
                    if address not in waivers:
                        address = next((a for a in waivers
                                        if a.split(".")[-1] == address.split(".")[-1]
                                        and a.startswith("data.") == address.startswith("data.")),
                                       address)
                    if check["check_id"] in waivers.get(address, {}):
                        skipped += 1
                        continue
                    failed += 1
                    findings.append(Finding(f"checkov {framework}", variant, check["resource"],
                                            check["check_id"], check["check_name"]))
            if result.returncode not in (0, 1) or not reports:
                findings.append(Finding(f"checkov {framework}", variant, str(target), "crash",
                                        result.stderr.strip()[-400:]))
            lines.append(f"checkov {framework:<14} {variant:<18} passed {passed:>3}  "
                         f"waived {skipped:>2}  failed {failed}")
    return findings, lines


# --- cfripper -------------------------------------------------------------------------------

CFRIPPER_FILTERS = """\
# Written by tests/scan.py from the template's Metadata.cfripper waivers: cfripper has no
# Metadata suppression of its own, and not every rule hands its filters the resource (the
# wildcard-resource rule gives only its logical id), so each waiver becomes a filter on the
# logical id and the rule. A filter's eval must be cfripper's expression dict: any other value
# is taken as a constant, and a Python callable is truthy, which would allow every finding.
from cfripper.config.filter import Filter
from cfripper.model.enums import RuleMode

WAIVERS = {waivers!r}

FILTERS = [
    Filter(reason=reason, rule_mode=RuleMode.ALLOWED, rules={{rule}},
           eval={{"eq": [{{"ref": "logical_id"}}, logical_id]}})
    for (logical_id, rule), reason in WAIVERS.items() if reason.strip()
]
"""


def _cfripper_findings(cfripper: str, path: Path, filters: Path) -> set[tuple[str, str, str]] | str:
    """(rule, resource, reason) of each blocking finding, or cfripper's error output."""
    result = subprocess.run(
        [cfripper, str(path), "--resolve", "--format", "json", "--logging", "ERROR",
         "--rules-filters-folder", str(filters)],
        capture_output=True, text=True, check=False)
    if result.returncode not in (0, 2):
        return result.stderr.strip()[-400:] or result.stdout.strip()[-400:]
    return {(failure["rule"], resource, failure["reason"])
            for failure in json.loads(result.stdout)["failures"]
            if failure["rule_mode"] == "BLOCKING"
            for resource in failure["resource_ids"] or ["(template)"]}


def run_cfripper(cfripper: str, folders: dict[str, Path]) -> tuple[list[Finding], list[str]]:
    """cfripper reports no allowed findings, so it also reads the template without its
    Metadata: a waiver must match a finding there (else it is stale), and what it waives must
    be gone from the real run (else the filter does not work)."""
    findings, lines = [], []
    for variant, folder in folders.items():
        template = for_cfripper(json.loads((folder / "template.json").read_text()))
        bare = json.loads(json.dumps(template))
        for resource in bare["Resources"].values():
            resource.pop("Metadata", None)
        waivers = {(logical_id, rule): reason
                   for logical_id, resource in template["Resources"].items()
                   for rule, reason in waived(resource, "cfripper").items()}
        filters = folder / "cfripper-filters"
        filters.mkdir(exist_ok=True)
        (filters / "waivers.py").write_text(CFRIPPER_FILTERS.format(waivers=waivers),
                                            encoding="utf-8")
        empty = folder / "cfripper-no-filters"
        empty.mkdir(exist_ok=True)
        runs = {}
        for label, document, folder_of_filters in (("", template, filters),
                                                   (".bare", bare, empty)):
            path = folder / f"template.for-cfripper{label}.json"
            path.write_text(json.dumps(document), encoding="utf-8")
            runs[label] = _cfripper_findings(cfripper, path, folder_of_filters)
        crashed = [run for run in runs.values() if isinstance(run, str)]
        if crashed:
            findings.append(Finding("cfripper", variant, "(template)", "crash", crashed[0]))
            lines.append(f"cfripper                 {variant:<18} crashed")
            continue
        waivers = {(rule, logical_id) for logical_id, rule in waivers}
        before = {(rule, resource) for rule, resource, _ in runs[".bare"]}
        for rule, resource, reason in sorted(runs[""]):
            findings.append(Finding("cfripper", variant, resource, rule, reason))
        for rule, resource in sorted(waivers - before):
            findings.append(Finding("cfripper", variant, resource, rule,
                                    "waived, but cfripper reports nothing to waive"))
        lines.append(f"cfripper                 {variant:<18} waived {len(waivers & before):>2}  "
                     f"failed {len(runs[''])}")
    return findings, lines


# --- cfn-guard with the Control Tower rules ---------------------------------------------------

# cfn-guard's exit codes: 0 every rule passes or skips, 19 some rule fails; anything else is
# an error of the tool, not a verdict.
GUARD_VERDICTS = (0, 19)


def guard_failures(report: dict) -> set[tuple[str, str]]:
    """(rule, resource) for each non-compliant item in a cfn-guard JSON report; an item that
    names no resource is the template's (and cannot be waived)."""
    pairs = set()
    for item in report.get("not_compliant", []):
        rule = item["Rule"]["name"]
        resources = set(re.findall(r"/Resources/([A-Za-z0-9]+)", json.dumps(item)))
        pairs.update((rule, resource) for resource in resources or {"(template)"})
    return pairs


def run_guard(guard: str, rules: str, folders: dict[str, Path]) -> tuple[list[Finding], list[str]]:
    """The waivers are read from template.yaml, the only rendering that carries cfn-guard's
    (stacks/waivers.py); a waiver that matches no failure is stale and is a finding too."""
    findings, lines = [], []
    for variant, folder in folders.items():
        path = folder / "template.json"
        template = load_template((folder / "template.yaml").read_text())
        result = subprocess.run(
            [guard, "validate", "--rules", rules, "--data", str(path), "--structured",
             "--output-format", "json", "--show-summary", "none"],
            capture_output=True, text=True, check=False)
        try:
            [report] = json.loads(result.stdout)
            assert result.returncode in GUARD_VERDICTS
        except (ValueError, AssertionError):
            findings.append(Finding("cfn-guard", variant, str(path), "crash",
                                    f"exit {result.returncode}: "
                                    f"{result.stderr.strip()[-400:]}"))
            lines.append(f"cfn-guard (Control Tower) {variant:<17} crashed")
            continue
        failures = guard_failures(report)
        waivers = {(rule, logical_id) for logical_id, resource in template["Resources"].items()
                   for rule in waived(resource, "guard")}
        for rule, resource in sorted(failures - waivers):
            findings.append(Finding("cfn-guard", variant, resource, rule, "Control Tower rule"))
        for rule, resource in sorted(waivers - failures):
            findings.append(Finding("cfn-guard", variant, resource, rule,
                                    "waived, but cfn-guard reports nothing to waive"))
        lines.append(f"cfn-guard (Control Tower) {variant:<17} passed "
                     f"{len(report.get('compliant', [])):>3}  waived "
                     f"{len(failures & waivers):>2}  failed {len(failures - waivers)}")
    return findings, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkov", required=True)
    parser.add_argument("--cfripper", required=True)
    parser.add_argument("--cfn-guard", required=True)
    parser.add_argument("--guard-rules", required=True, help="the Control Tower rules folder")
    parser.add_argument("--output", default=str(ROOT / "build" / "scan"))
    args = parser.parse_args(argv)
    folders = render(Path(args.output))
    findings, lines = [], []
    for found, summary in (run_checkov(args.checkov, folders),
                           run_cfripper(args.cfripper, folders),
                           run_guard(args.cfn_guard, args.guard_rules, folders)):
        findings += found
        lines += summary
    print("\n".join(lines))
    for f in findings:
        print(f"NOT WAIVED  {f.scanner}  {f.variant}  {f.resource}  {f.check}: {f.message}")
    print(f"{len(findings)} finding(s) not waived" if findings else
          "every finding is waived with its reason, and no cfripper or cfn-guard waiver is stale")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
