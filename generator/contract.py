"""The runtime's own declarations, imported by the generator.

The generated server's runtime (``templates/runtime``) defines the contract
between generator and runtime: the operation declarations and their JSON form
(``operation``), shared constants and name rules (``contract``) and the client
rules (``compat``). The generator loads those modules from the template folder
under a private package name instead of restating them. They import nothing
outside the standard library.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

RUNTIME = Path(__file__).resolve().parent.parent / "templates" / "runtime"
PACKAGE = "artie_mcp_gen_runtime"


def _runtime(module: str) -> ModuleType:
    if PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            PACKAGE, RUNTIME / "__init__.py", submodule_search_locations=[str(RUNTIME)]
        )
        assert spec is not None and spec.loader is not None
        package = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"{PACKAGE}.{module}")


if TYPE_CHECKING:  # the type checker reads the same files as a namespace package
    from templates.runtime import compat, contract, dialects, operation, options
else:
    contract = _runtime("contract")
    operation = _runtime("operation")
    compat = _runtime("compat")
    dialects = _runtime("dialects")
    options = _runtime("options")  # the one option table (the generated README lists it)
