"""The Lambda handlers as the templates ship them.

The readable template carries each handler module byte for byte; the deployable one carries
python-minifier's rendering of it (stacks/lambdas/*.min.py, stacks.functions.shipped_minified). Tests that drive a handler run
against both: the module as imported, and the minified text executed as a module of its own.
"""

from __future__ import annotations

import importlib
import types

from stacks.functions import handler_source, shipped_minified

FORMS = ("module", "minified")


def handler_module(module: str, form: str) -> types.ModuleType:
    """`module` (e.g. "guard_handler.py") as imported, or as the deployable template ships it;
    only `handler` keeps its name in the minified form."""
    if form == "module" and "+" not in module:
        return importlib.import_module(f"stacks.lambdas.{module.removesuffix('.py')}")
    # A composition ("a.py+b.py") runs as the one module the function ships.
    source = handler_source(module) if form == "module" else shipped_minified(
        handler_source(module))
    shipped = types.ModuleType(f"{form}_{module.replace('.py', '').replace('+', '_')}")
    exec(compile(source, f"<{form} {module}>", "exec"), shipped.__dict__)
    return shipped
