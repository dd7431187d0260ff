"""A small offline IAM evaluator for identity-based policies.

It decides one request (action, resource, request context) against a role's policy documents
the way IAM does for a single account without boundaries, SCPs or session policies:
an explicit Deny wins, then any Allow, else the implicit deny.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

No maintained library does this offline (moto's evaluator is wrong on conditions; PMapper is
unmaintained), so it is kept small and tested on its own against documented examples. It
implements what our policies and the AWS managed policies we attach use: Action/NotAction
(case-insensitive globbing), Resource/NotResource (case-sensitive globbing with * and ?), and
the String, Arn, Bool and Null condition operators with IfExists and ForAnyValue/ForAllValues.
A condition on a key the request lacks does not match, except with IfExists, Null and the
negated operators, as IAM documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = "allow", "explicit-deny", "implicit-deny"


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)


class UnsupportedCondition(ValueError):
    """A policy uses a condition operator this evaluator does not implement."""


def decide(documents: Iterable[dict], request: Request) -> str:
    """ALLOW, EXPLICIT_DENY or IMPLICIT_DENY for `request` under all `documents`."""
    allowed = False
    for statement in _statements(documents):
        if not _applies(statement, request):
            continue
        if statement["Effect"] == "Deny":
            return EXPLICIT_DENY
        allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


def allowing_statements(documents: Iterable[dict], request: Request) -> list[dict]:
    """The Allow statements that match `request` (to explain a decision)."""
    return [s for s in _statements(documents) if s["Effect"] == "Allow" and _applies(s, request)]


def granted_actions(documents: Iterable[dict]) -> set[str]:
    """Every action pattern an Allow statement names (NotAction statements excluded)."""
    return {action for s in _statements(documents) if s["Effect"] == "Allow"
            for action in _as_list(s.get("Action", []))}


def _statements(documents: Iterable[dict]) -> Iterable[dict]:
    for document in documents:
        yield from _as_list(document["Statement"])


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _matches_any(patterns: Any, value: str, ignore_case: bool) -> bool:
    return any(_glob(p, ignore_case).match(value) for p in _as_list(patterns))


def _applies(statement: dict, request: Request) -> bool:
    if "Action" in statement:
        if not _matches_any(statement["Action"], request.action, True):
            return False
    elif _matches_any(statement["NotAction"], request.action, True):
        return False
    if "Resource" in statement:
        if not _matches_any(statement["Resource"], request.resource, False):
            return False
    elif "NotResource" in statement and _matches_any(statement["NotResource"],
                                                      request.resource, False):
        return False
    return all(_condition(operator, key, values, request.context)
               for operator, block in statement.get("Condition", {}).items()
               for key, values in block.items())


def _context_value(context: dict, key: str) -> Any:
    """Condition keys are case-insensitive."""
    for name, value in context.items():
        if name.lower() == key.lower():
            return value
    return None


def _condition(operator: str, key: str, expected: Any, context: dict) -> bool:
    value = _context_value(context, key)
    if operator == "Null":
        wanted = str(_as_list(expected)[0]).lower() == "true"
        return (value is None) == wanted
    quantifier = None
    if ":" in operator:
        quantifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    if value is None:
        # A missing key fails the condition, except for IfExists, negated operators
        # (StringNotEquals, ArnNotLike, ...) and, vacuously, ForAllValues.
        return if_exists or "Not" in operator or quantifier == "ForAllValues"
    compare = _comparator(operator)
    expected = [str(e) for e in _as_list(expected)]
    values = [str(v) for v in _as_list(value)]
    if quantifier == "ForAllValues":
        return all(compare(v, expected) for v in values)
    return any(compare(v, expected) for v in values)


def _comparator(operator: str):
    negated = operator in ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike",
                           "ArnNotEquals", "ArnNotLike")
    base = operator.replace("Not", "", 1) if negated else operator
    if base == "StringEquals":
        def match(v, e): return v in e
    elif base == "StringEqualsIgnoreCase":
        def match(v, e): return v.lower() in [x.lower() for x in e]
    elif base in ("StringLike", "ArnLike", "ArnEquals"):
        def match(v, e): return any(_glob(x, False).match(v) for x in e)
    elif base == "Bool":
        def match(v, e): return v.lower() in [x.lower() for x in e]
    else:
        raise UnsupportedCondition(operator)
    if negated:
        return lambda v, e: not match(v, e)
    return match
