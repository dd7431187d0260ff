"""The one template loader and the one intrinsic-function resolver of the project.

`load_template` reads a rendered template (YAML with short-form intrinsics, or JSON) into plain
data with long-form intrinsics, through cfn-flip, the library troposphere itself renders YAML
with.

`Resolver` walks a value and replaces every intrinsic function it meets. What a `Ref` or an
`Fn::GetAtt` becomes, and how literal text inside `Fn::Sub` and `Fn::Join` is written, are the
only decisions a subclass makes:

- `policies.world.World` resolves to concrete values of a made-up deployment;
- `stacks.terraform.Translator` writes Terraform expressions;
- `SubVariables` (here) writes the `${...}` variables of an Fn::Sub text, which is how
  taskdef.json and the AppSpec carry deploy-time values into the build.

An intrinsic a subclass does not handle raises `Unresolvable` naming it, so nothing is dropped
silently.
"""

from __future__ import annotations

import json
import re
from typing import Any

INTRINSICS = ("Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split",
              "Fn::GetAZs", "Fn::If", "Condition", "Fn::Equals", "Fn::Not")
_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class Unresolvable(ValueError):
    """An intrinsic function this resolver has no meaning for."""


def load_template(text: str) -> dict:
    """A rendered template (YAML or JSON) as plain dicts and lists, intrinsics in long form."""
    import cfn_flip  # only readers of rendered templates need it
    data, _ = cfn_flip.load(text)
    return json.loads(json.dumps(data))


def is_intrinsic(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in INTRINSICS


def sub_parts(text: str) -> list[tuple[str, str]]:
    """An Fn::Sub text as ("text", literal) and ("var", name) parts; `${!x}` is the literal
    `${x}`, as CloudFormation defines it."""
    parts, position = [], 0
    for match in _SUB_VARIABLE.finditer(text):
        if match.start() > position:
            parts.append(("text", text[position:match.start()]))
        name = match.group(1)
        parts.append(("text", "${" + name[1:] + "}") if name.startswith("!")
                     else ("var", name))
        position = match.end()
    if position < len(text):
        parts.append(("text", text[position:]))
    return parts


class Resolver:
    """Replace intrinsics in a value; subclasses say what `Ref` and `Fn::GetAtt` mean."""

    def ref(self, name: str) -> Any:
        raise Unresolvable(f"Ref {name}")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        raise Unresolvable(f"Fn::GetAtt {logical_id}.{attribute}")

    def literal(self, text: str) -> str:
        """How plain text inside Fn::Sub or Fn::Join is written in the result."""
        return text

    def text(self, value: Any) -> str:
        """A resolved value as a piece of text (inside Fn::Sub or Fn::Join)."""
        return str(value)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if not is_intrinsic(value):
            return {key: self.resolve(item) for key, item in value.items()}
        (function, argument), = value.items()
        if function == "Ref":
            return self.ref(argument)
        if function == "Fn::GetAtt":
            logical_id, attribute = (argument.split(".", 1) if isinstance(argument, str)
                                     else argument)
            return self.get_att(logical_id, attribute)
        if function == "Fn::Sub":
            template, variables = (argument, {}) if isinstance(argument, str) else argument
            return self.sub(template, variables)
        if function == "Fn::Join":
            separator, items = argument
            return self.join(separator, items)
        return self.function(function, argument)

    def sub(self, template: str, variables: dict) -> Any:
        pieces = []
        for kind, part in sub_parts(template):
            if kind == "text":
                pieces.append(self.literal(part))
            elif part in variables:
                pieces.append(self.text(self.resolve(variables[part])))
            elif "." in part and not part.startswith("AWS::"):
                pieces.append(self.text(self.get_att(*part.split(".", 1))))
            else:
                pieces.append(self.text(self.ref(part)))
        return "".join(pieces)

    def join(self, separator: str, items: Any) -> Any:
        if is_intrinsic(items):  # a list from another function: resolved values
            return self.literal(separator).join(self.text(i) for i in self.resolve(items))
        return self.literal(separator).join(
            self.literal(item) if isinstance(item, str) else self.text(self.resolve(item))
            for item in items)

    def function(self, name: str, argument: Any) -> Any:
        """Functions other than Ref, GetAtt, Sub and Join; the concrete ones evaluate."""
        if name == "Fn::Select":
            index, items = argument
            return self.resolve(items)[int(index)]
        if name == "Fn::Split":
            separator, text = argument
            return self.resolve(text).split(separator)
        raise Unresolvable(name)


class SubVariables(Resolver):
    """Intrinsics as the variables of an Fn::Sub text: Ref X -> ${X}, GetAtt X.Y -> ${X.Y};
    a literal "${" becomes "${!", which Fn::Sub turns back into "${"."""

    def ref(self, name: str) -> str:
        return f"${{{name}}}"

    def get_att(self, logical_id: str, attribute: str) -> str:
        return f"${{{logical_id}.{attribute}}}"

    def literal(self, text: str) -> str:
        return text.replace("${", "${!")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.literal(value)
        return super().resolve(value)
