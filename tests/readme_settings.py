"""The README's settings reference, generated from the settings model.

`make readme` rewrites the block between the markers; tests/test_readme.py fails when the README
and the model disagree, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stacks.settings import documented_keys  # noqa: E402

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- settings:start -->", "<!-- settings:end -->"


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


def current_block(text: str) -> str:
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n")


def main() -> None:
    text = README.read_text(encoding="utf-8")
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    README.write_text(f"{before}{START}\n{table()}\n{END}{after}", encoding="utf-8")


if __name__ == "__main__":
    main()
