"""Checks the code runner relies on beyond the contract in prompt.yaml.

promptcompat calls every ``check_*`` function here with the output text and the case, on the
baseline and on the candidate (docs/suite-format.md, "User checks"). This file is code from
the repository and runs unsandboxed, like a test file.
"""

from __future__ import annotations

import ast
from typing import Any


def check_defines_the_requested_function(output: str, case: Any) -> bool | tuple[bool, str]:
    """The runner calls the function by the name it asked for."""
    try:
        tree = ast.parse(output)
    except SyntaxError:
        return True  # not Python at all: contract.code_invalid and the drift rules say why
    wanted = case.vars["function_name"]
    defined = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    if wanted not in defined:
        return False, f"defines {', '.join(defined) or 'no function'}, not {wanted}"
    return True
