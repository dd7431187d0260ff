"""Files and blocks generated from a source, so that a fact is stated once:

- the README's settings reference (from the settings model), the regions where cfn-lint finds
  nothing (from its checks over every region it knows), the actions granted on "*" (from
  policies/unscoped.py), the waivers, the timeline table (from stacks/timeline.py over the
  default and four examples) and the default's picture (stacks/diagram.py), each between its
  markers;
- the minified handlers the deployable template ships (stacks/lambdas/*.min.py, from the
  handler modules through python-minifier).

`make generated` rewrites them all; tests/test_readme.py and tests/test_size.py fail when one
disagrees with its source.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stacks.functions import HANDLERS, handler_source, minified_name, minify  # noqa: E402
from stacks.settings import documented_keys  # noqa: E402

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- settings:start -->", "<!-- settings:end -->"
REGIONS_START, REGIONS_END = "<!-- regions:start -->", "<!-- regions:end -->"
STAR_START, STAR_END = "<!-- star:start -->", "<!-- star:end -->"
WAIVERS_START, WAIVERS_END = "<!-- waivers:start -->", "<!-- waivers:end -->"
TIMELINE_START, TIMELINE_END = "<!-- timeline:start -->", "<!-- timeline:end -->"
DIAGRAM_START, DIAGRAM_END = "<!-- diagram:start -->", "<!-- diagram:end -->"


def diagram() -> str:
    """The default's picture, as `ecs-bluegreen diagram` writes diagram.mmd."""
    from stacks.diagram import render_diagram_files
    from stacks.settings import parse_settings
    return "```mermaid\n" + render_diagram_files(parse_settings({}))["diagram.mmd"] + "```"
# The settings files the README's timeline table compares (the default first).
TIMELINE_EXAMPLES = ("canary", "linear", "approval-wait", "ecs-canary")


def timeline() -> str:
    from stacks.settings import load_settings, parse_settings
    from stacks.timeline import markdown_table
    examples = Path(__file__).resolve().parent.parent / "examples"
    return "\n" + markdown_table({"default": parse_settings({}), **{
        f"{name}.toml": load_settings(examples / f"{name}.toml")
        for name in TIMELINE_EXAMPLES}}) + "\n"


def table() -> str:
    lines = []
    section = None
    for doc in documented_keys():
        this_section, key = doc.key.split(".", 1)
        if this_section != section:
            section = this_section
            lines += ["", f"`[{section}]`", "", "| key | default | allowed | meaning |",
                      "| --- | --- | --- | --- |"]
        default = "(see meaning)" if doc.default == "null" else f"`{doc.default}`"
        allowed = doc.allowed.replace("|", "\\|")
        lines.append(f"| `{key}` | {default} | {allowed} | {doc.description} |")
    return "\n".join(lines[1:])


def regions() -> str:
    from test_lint import supported_regions, unsupported_regions
    lines = ["cfn-lint finds nothing in: "
             + ", ".join(f"`{r}`" for r in supported_regions()) + ".", "",
             "Not supported, with cfn-lint's finding:", ""]
    lines += [f"- `{region}`: {why}" for region, why in unsupported_regions().items()]
    return "\n".join(lines)


def star() -> str:
    """The actions granted on "*", with why (policies/unscoped.py)."""
    from policies.unscoped import ON_EVERY_RESOURCE, UNSCOPED
    lines = ["| action | why it is on `*` |", "| --- | --- |"]
    for action, (kind, reason) in sorted(ON_EVERY_RESOURCE.items()):
        why = ("no resource type in the Service Authorization Reference: " if kind == UNSCOPED
               else "") + reason
        lines.append(f"| `{action}` | {why} |")
    return "\n".join(lines)


def waivers() -> str:
    """The scanner findings the design accepts, with why (stacks/waivers.py)."""
    from stacks import waivers as catalogue
    lines = ["| waived | checks | why |", "| --- | --- | --- |"]
    for name, waiver in sorted(vars(catalogue).items()):
        if not isinstance(waiver, catalogue.Waiver):
            continue
        checks = [f"checkov {c}" for c in waiver.checkov + waiver.terraform] + [
            f"cfripper {c}" for c in waiver.cfripper] + [
            f"Control Tower `{c}`" for c in waiver.guard] + [
            f"cfn-lint {c}" for c in waiver.cfn_lint]
        lines.append(f"| {name.lower().replace('_', ' ')} | {', '.join(checks)} | "
                     f"{waiver.reason} |")
    lines.append("| a role's actions on `*` that cfripper reports (`REPORTED_BY_CFRIPPER`) | "
                 "cfripper WildcardResourceRule | the actions and their reasons are listed "
                 "under Permissions |")
    return "\n".join(lines)


def current_block(text: str, start: str = START, end: str = END) -> str:
    return text.split(start, 1)[1].split(end, 1)[0].strip("\n")


def _replace(text: str, start: str, end: str, block: str) -> str:
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    return f"{before}{start}\n{block}\n{end}{after}"


LAMBDAS = Path(__file__).resolve().parent.parent / "stacks" / "lambdas"


def minified_handlers() -> dict[Path, str]:
    return {LAMBDAS / minified_name(module): minify(handler_source(module))
            for module in HANDLERS}


def generated() -> dict[Path, str]:
    """Every generated file with its content as it should be."""
    text = README.read_text(encoding="utf-8")
    text = _replace(text, START, END, table())
    text = _replace(text, REGIONS_START, REGIONS_END, regions())
    text = _replace(text, STAR_START, STAR_END, star())
    text = _replace(text, WAIVERS_START, WAIVERS_END, waivers())
    text = _replace(text, TIMELINE_START, TIMELINE_END, timeline())
    text = _replace(text, DIAGRAM_START, DIAGRAM_END, diagram())
    return {README: text, **minified_handlers()}


def main(argv: list[str]) -> int:
    """Rewrite what is generated; with --check, write nothing and exit 1 if any is stale."""
    stale = []
    for path, content in generated().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != content:
            stale.append(path)
            if "--check" not in argv:
                path.write_text(content, encoding="utf-8")
    if "--check" in argv and stale:
        for path in stale:
            print(f"stale: {path} (run `make generated`)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
