"""The Jinja2 environment prompt templates run in: sandboxed, guarded, deterministic.

``ImmutableSandboxedEnvironment`` with ``StrictUndefined`` refuses private attributes and
mutation. ``PromptEnvironment`` adds what the sandbox does not give (see ``render_limits``):

* operators (``+ - * / // % **``) are intercepted and checked before they run;
* a code generator routes what the sandbox leaves uncounted through the environment: loop
  iterations, ``~`` concatenation, list/dict/tuple literals, slices, comparisons and literal
  text (which repeats inside loops and ``{% set %}`` blocks);
* every filter and test is wrapped; filters that grow with an argument (``center``,
  ``indent``, ``wordwrap``, ``replace``, ``format``, ``batch`` ...) check it first;
* methods on strings, lists and dicts are limited to an allowlist (no ``format``);
* globals are only a capped ``range``, ``dict``, ``cycler``, ``joiner`` and ``namespace``;
  ``random`` and ``lipsum`` are gone because a prompt must render the same way every time.

Constant folding is off (``optimized=False`` and a context finalizer), so a bomb written
with literals is refused at render time instead of being built while compiling.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, operators
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace

from promptcompat.render.limits import (
    FILTER_CHECKS,
    MAX_RANGE,
    Refused,
    check_binop,
    check_replace,
    check_stable,
    check_width,
    checked,
    current_budget,
    join_filter,
    to_text,
    weigh,
)

ITER_FILTER = "__promptcompat_iter"
# A prompt must render the same way every time (no random), and is not HTML.
_DROPPED_FILTERS = {"random", "urlize", "xmlattr"}
_CONTEXT_KWARGS = {"_loop_vars", "_block_vars", "caller"}


# Filters that turn their input into text with str(): it must have a stable text
# (``check_stable``). ``join`` and ``format`` check their items themselves.
_TEXT_FILTERS = frozenset(
    {"string", "upper", "lower", "capitalize", "title", "trim", "center", "indent", "wordwrap"}
    | {"truncate", "replace", "striptags", "escape", "e", "forceescape", "safe", "urlencode"}
    | {"wordcount", "pprint"}
)


def _guard(name: str, func: Callable[..., Any], *, is_filter: bool) -> Callable[..., Any]:
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
    check = FILTER_CHECKS.get(name) if is_filter else None
    signature = inspect.signature(func) if check else None
    textual = is_filter and name in _TEXT_FILTERS

    @functools.wraps(func)  # keeps jinja_pass_arg, so Jinja still passes env/context
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = current_budget()
        budget.tick()
        for arg in (*args[skip:], *kwargs.values()):
            weigh(arg, budget)
        if textual and len(args) > skip:
            check_stable(args[skip])
        if check is not None and signature is not None:
            # async_variant filters report the signature of their sync twin, which may or
            # may not list the env/context argument that Jinja passes first.
            first = next(iter(signature.parameters), "")
            given = args if first in ("eval_ctx", "environment", "env", "context") else args[skip:]
            bound = signature.bind(*given, **kwargs)
            bound.apply_defaults()
            check(bound.arguments, budget)
        return checked(func(*args, **kwargs), budget)

    return guarded


def _iterate(value: Iterable[Any]) -> Iterator[Any]:
    budget = current_budget()
    for item in value:
        budget.tick()
        yield item


def _safe_range(*args: int) -> range:
    try:
        rng = range(*args)
        size = len(rng)
    except OverflowError:
        size = MAX_RANGE + 1
    if size > MAX_RANGE:
        raise Refused(f"range() of more than {MAX_RANGE} items")
    return rng


@jinja2.pass_context
def _finalize(context: jinja2.runtime.Context, value: Any) -> str:
    """Every ``{{ expression }}`` passes here: stringified within limits, then counted.

    ``to_text`` refuses a value without a stable text (a function, a method, a generator):
    it would print a memory address, and the prompt would differ in every process.
    """
    budget = current_budget()
    budget.tick()
    text = to_text(value, budget)
    budget.charge(len(text))
    return text


# Read-only methods a template may call; everything else on these types is refused.
_STR_METHODS = (
    "capitalize casefold center count endswith find index isalnum isalpha isdecimal isdigit "
    "islower isnumeric isspace istitle isupper join ljust lower lstrip partition removeprefix "
    "removesuffix replace rfind rindex rjust rpartition rsplit rstrip split splitlines "
    "startswith strip swapcase title upper zfill striptags unescape"
)
_SAFE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(_STR_METHODS.split()),
    list: frozenset({"count", "index", "copy"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "items", "keys", "values", "copy"}),
}
_WIDTH_METHODS = {"center", "ljust", "rjust", "zfill"}


class _GuardedCodeGenerator(CodeGenerator):
    """Routes the constructs the sandbox does not intercept through the environment."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(nodes.For):
            loop.iter = nodes.Filter(
                loop.iter, ITER_FILTER, [], [], None, None, lineno=loop.iter.lineno
            )
        super().visit_Template(node, frame)

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        # Literal text inside a loop or a {% set %} block repeats: count it too.
        return f"environment.pc_const({super()._output_const_repr(group)})"

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.pc_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_Compare(self, node: nodes.Compare, frame: Frame) -> None:
        self.write("(environment.pc_operand(")
        self.visit(node.expr, frame)
        self.write(")")
        for op in node.ops:
            self.visit(op, frame)
        self.write(")")

    def visit_Operand(self, node: nodes.Operand, frame: Frame) -> None:
        self.write(f" {operators[node.op]} environment.pc_operand(")
        self.visit(node.expr, frame)
        self.write(")")

    def _wrapped(self, visit: Callable[[Any, Frame], None], node: Any, frame: Frame) -> None:
        self.write("environment.pc_value(")
        visit(node, frame)
        self.write(")")

    def visit_Getitem(self, node: nodes.Getitem, frame: Frame) -> None:
        # Jinja compiles slices to a plain subscript; a copy like big[::-1] must be counted.
        if isinstance(node.arg, nodes.Slice):
            self._wrapped(super().visit_Getitem, node, frame)
        else:
            super().visit_Getitem(node, frame)

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self._wrapped(super().visit_List, node, frame)

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self._wrapped(super().visit_Dict, node, frame)

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx == "load":
            self._wrapped(super().visit_Tuple, node, frame)
        else:
            super().visit_Tuple(node, frame)


class PromptEnvironment(ImmutableSandboxedEnvironment):
    """The one Jinja2 environment prompt templates are parsed and rendered with."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    code_generator_class = _GuardedCodeGenerator

    def __init__(self) -> None:
        super().__init__(
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            optimized=False,
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            cache_size=0,
        )
        self.globals.clear()
        self.globals.update(
            range=_safe_range, dict=dict, cycler=Cycler, joiner=Joiner, namespace=Namespace
        )
        self.filters = {
            name: _guard(name, func, is_filter=True)
            for name, func in self.filters.items()
            if name not in _DROPPED_FILTERS
        }
        self.filters["join"] = _guard("join", join_filter, is_filter=True)
        self.filters[ITER_FILTER] = _iterate
        self.tests = {
            name: _guard(name, cast("Callable[..., Any]", test), is_filter=False)
            for name, test in self.tests.items()
        }

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        for kind, allowed in _SAFE_METHODS.items():
            if isinstance(obj, kind) and callable(value):
                return attr in allowed
        return True

    def wrap_str_format(self, value: Any) -> None:
        # str.format/format_map are refused outright (is_safe_attribute does not list them):
        # their width specs allocate before any check could run.
        return None

    def getattr(self, obj: Any, attribute: str) -> Any:
        current_budget().tick()
        return self._probe(obj, attribute, super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        current_budget().tick()
        return self._probe(obj, argument, super().getitem(obj, argument))

    def _probe(self, obj: Any, name: Any, value: Any) -> Any:
        # A missing private name (``x.__globals__`` on a string) is an escape attempt, not a
        # typo: report it as one.
        if isinstance(value, jinja2.Undefined) and isinstance(name, str) and name[:1] == "_":
            return self.unsafe_undefined(obj, name)
        return value

    def call(
        __self,
        __context: jinja2.runtime.Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        budget = current_budget()
        budget.tick()
        for name, arg in (*enumerate(args), *kwargs.items()):
            if name not in _CONTEXT_KWARGS:
                weigh(arg, budget)
        if isinstance(__obj, LoopContext) and args:
            # loop(children) in a recursive for: its items count as iterations too.
            args = (_iterate(args[0]), *args[1:])
        receiver = getattr(__obj, "__self__", None)
        if isinstance(__obj, types.BuiltinMethodType) and isinstance(receiver, str | list | tuple):
            # str.count, list.index ... scan their receiver: that is work too (dict.get is not).
            budget.charge(len(receiver))
        if isinstance(__obj, types.BuiltinMethodType) and isinstance(receiver, str):
            text, method = receiver, __obj.__name__
            if method in _WIDTH_METHODS and args:
                check_width(args[0], budget)
            elif method == "join" and args:
                items = list(_iterate(args[0]))
                size = len(text) * len(items) + sum(len(i) for i in items if isinstance(i, str))
                if size > budget.value_limit:
                    raise Refused(f"join would exceed {budget.value_limit} characters")
                args = (items, *args[1:])
            elif method == "replace" and len(args) >= 2:
                count = args[2] if len(args) > 2 else kwargs.get("count", -1)
                check_replace(text, str(args[0]), str(args[1]), count, budget)
        return checked(super().call(__context, __obj, *args, **kwargs), budget)

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        budget = current_budget()
        budget.tick()
        check_binop(operator, left, right, budget)
        return checked(self.binop_table[operator](left, right), budget)

    def pc_const(self, text: str) -> str:
        budget = current_budget()
        budget.tick()
        budget.charge(len(text))
        return text

    def pc_concat(self, parts: tuple[Any, ...]) -> str:
        budget = current_budget()
        budget.tick()
        texts = [to_text(part, budget) for part in parts]
        if sum(map(len, texts)) > budget.value_limit:
            raise Refused(f"concatenation longer than {budget.value_limit} characters")
        return cast("str", checked("".join(texts), budget))

    def pc_value(self, value: Any) -> Any:
        budget = current_budget()
        budget.tick()
        return checked(value, budget)

    def pc_operand(self, value: Any) -> Any:
        # Comparing big or deeply shared values costs as much as walking them.
        budget = current_budget()
        budget.tick()
        if isinstance(value, str):
            budget.charge(len(value))
        elif not isinstance(value, int | float | bool | type(None)):
            weigh(value, budget)
        return value
