"""cfripper honours the waivers our templates carry in `Metadata.cfripper.skip`.

cfripper has no Metadata suppression of its own, but its filters may read the resource: one
filter a rule allows that rule's finding on a resource whose Metadata waives it with a
non-empty reason (stacks/waivers.py). Filters must be cfripper's expression dicts: any other
value is taken as a constant, and a callable is truthy, which would allow every finding.
"""

from cfripper.config.filter import Filter
from cfripper.model.enums import RuleMode
from cfripper.rules import DEFAULT_RULES


def _waives(rule: str) -> dict:
    reason = {"ref": f"resource.Metadata.cfripper.skip.{rule}"}
    return {"and": [{"exists": reason}, {"ne": [reason, ""]}]}


FILTERS = [
    Filter(reason=f"{rule} waived with a reason in the resource's Metadata",
           rule_mode=RuleMode.ALLOWED, eval=_waives(rule), rules={rule})
    for rule in sorted(DEFAULT_RULES)
]
