"""Resource limits for rendering untrusted templates: what a template may build and do.

Jinja2's sandbox stops attribute escapes but not resource bombs: ``'a' * 10**9`` or a
separator repeated by ``join`` allocates before anything could count it. Every check here
runs *before* the allocation, from the operands' sizes, against a per-render ``Budget``:

* ``value_limit`` (the render's ``max_chars``): the largest string or container one
  operation may produce;
* ``work_limit``: characters and container items created or scanned over the whole render;
* ``max_steps``: loop iterations, calls, lookups, operators and outputs.

``weigh`` measures containers the way ``str()`` and ``==`` traverse them, counting a shared
element each time it occurs, so exponential nesting (``[a, a]`` of ``[a, a]`` ...) is caught.
"""

from __future__ import annotations

import re
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, ValuesView
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2.filters import make_attrgetter
from jinja2.utils import Cycler, Namespace

MAX_RANGE = 10_000
"""Largest ``range()`` a template may create."""
MAX_INT_BITS = 4096
"""Largest integer (in bits) arithmetic may produce; Python's int is otherwise unbounded."""
DEFAULT_MAX_STEPS = 100_000
"""Loop iterations, calls, lookups, operators and outputs one render may perform."""
WORK_FACTOR, WORK_FLOOR = 8, 1_000_000
"""Work budget of a render: ``WORK_FACTOR * max_chars + WORK_FLOOR`` characters and items."""


class Refused(jinja2.exceptions.SecurityError):
    """A resource limit was hit; a SecurityError so Jinja passes it through unchanged."""


@dataclass
class Budget:
    """What one render may still do; set in ``BUDGET`` for the duration of the render."""

    value_limit: int
    work_limit: int
    max_steps: int
    steps: int = 0
    work: int = 0

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise Refused(
                f"template exceeded {self.max_steps} operations (loop iterations, calls, "
                "lookups); nested loops or recursion multiply quickly"
            )

    def charge(self, amount: int) -> None:
        self.work += amount
        if self.work > self.work_limit:
            raise Refused(
                f"template built or scanned more than {self.work_limit} characters of "
                "intermediate values"
            )


BUDGET: ContextVar[Budget | None] = ContextVar("promptcompat_render_budget", default=None)


def current_budget() -> Budget:
    # Outside render_messages (Jinja folding a constant while compiling) a small fresh budget
    # still applies the size checks.
    budget = BUDGET.get()
    return budget if budget is not None else Budget(200_000, 2_000_000, DEFAULT_MAX_STEPS)


def weigh(value: Any, budget: Budget, limit: int | None = None) -> int:
    """Size of ``value`` as text, counting a shared element each time it occurs.

    ``str()``, ``==`` and ``tojson`` visit shared elements repeatedly, so ``[x, x]`` weighs
    twice ``x``; that is what stops exponential nesting. The walk is charged to the budget
    and stops at ``limit`` (default: what is left of the work budget).
    """
    cap = limit if limit is not None else budget.work_limit - budget.work
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        kind = type(item)  # exact-type checks first: this loop is the hot path
        if kind is str:
            # Non-ASCII text can grow up to 6x when escaped by repr() or tojson.
            total += len(item) + 2 if item.isascii() else 6 * len(item) + 2
        elif kind is int:
            total += item.bit_length() // 3 + 2
        elif kind is list or kind is tuple:
            total += len(item) + 2
            if total <= cap:  # checked before extend: a huge list is refused, not copied
                stack.extend(item)
        elif kind is dict:
            total += 2 * len(item) + 2
            if total <= cap:
                stack.extend(item.keys())
                stack.extend(item.values())
        elif kind is float or kind is bool or item is None:
            total += 8
        elif isinstance(item, str):
            total += 6 * len(item) + 2
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, list | tuple | set | frozenset | KeysView | ValuesView | ItemsView):
            total += len(item) + 2
            stack.extend(item)
        elif isinstance(item, dict):
            total += 2 * len(item) + 2
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, Namespace):
            stack.append(item._Namespace__attrs)
        elif isinstance(item, Cycler):
            stack.extend(item.items)
        else:
            total += 8
        if total > cap:
            budget.charge(total)
            raise Refused(f"a template value is larger than {cap} characters")
    budget.charge(total)
    return total


def checked(result: Any, budget: Budget) -> Any:
    """Charge a freshly made value and refuse it if it exceeds one value's limit."""
    if isinstance(result, str):
        if len(result) > budget.value_limit:
            raise Refused(f"a template value is longer than {budget.value_limit} characters")
        budget.charge(len(result))
    elif isinstance(result, list | tuple | dict | set | frozenset):
        weigh(result, budget, budget.value_limit)
    elif isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
        raise Refused(f"an integer larger than {MAX_INT_BITS} bits")
    return result


_STABLE_SCALARS = (str, int, float, type(None))  # bool is an int


def check_stable(value: Any) -> None:
    """Refuse a value whose text is not the same in every process.

    ``{{ x.upper }}`` or ``{{ dict.fromkeys }}`` print a memory address, and a generator or a
    sandbox helper object prints one too: the rendered prompt, and with it the cache key,
    would change with every run. Only plain data (text, numbers, booleans, none, and lists,
    tuples and dicts of them) has a stable text. Call ``weigh`` first: this walk is unbounded.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _STABLE_SCALARS) or type(item) is range:
            continue
        if isinstance(item, jinja2.Undefined):
            continue  # StrictUndefined: str() raises the error that names the variable
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            raise Refused(_unprintable(item))


def _unprintable(item: Any) -> str:
    # Never the item's repr: that is the address this refuses to print.
    if callable(item):
        name = getattr(item, "__qualname__", None) or type(item).__name__
        return (
            f"the callable {name!r} cannot be printed: its text is a memory address that "
            "changes with every run (call it instead)"
        )
    hint = " (add |list)" if isinstance(item, Iterator) else ""
    return (
        f"a {type(item).__name__} object cannot be printed{hint}: only plain data (text, "
        "numbers, lists, dicts) has the same text in every run"
    )


def to_text(value: Any, budget: Budget) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise Refused(f"an integer larger than {MAX_INT_BITS} bits")
    else:
        if not isinstance(value, int | float | type(None)):
            weigh(value, budget, budget.value_limit)
            check_stable(value)
        text = str(value)
    if len(text) > budget.value_limit:
        raise Refused(f"a template value is longer than {budget.value_limit} characters")
    return text


def check_width(width: Any, budget: Budget, base: int = 0) -> None:
    if isinstance(width, int) and base + width > budget.value_limit:
        raise Refused(f"a width of {width} exceeds the {budget.value_limit} character limit")


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


def check_percent(fmt: str, args: Any, budget: Budget) -> None:
    """``'%9999999d' % 1`` allocates the width before anything can count it."""
    widths = 0
    for match in _PERCENT_SPEC.finditer(fmt):
        for part in match.groups():
            if part == "*":
                raise Refused("'*' widths are not allowed in % formatting")
            if part:
                if len(part) > 9:
                    raise Refused("a % format width is too large")
                widths += int(part)
    if len(fmt) + widths + weigh(args, budget) > budget.value_limit:
        raise Refused(f"% formatting would exceed {budget.value_limit} characters")
    check_stable(args)


def check_binop(operator: str, left: Any, right: Any, budget: Budget) -> None:
    def is_int(x: Any) -> bool:
        return isinstance(x, int)

    sequences = (str, list, tuple)
    if operator == "*":
        if is_int(left) and is_int(right):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise Refused(f"multiplication result larger than {MAX_INT_BITS} bits")
        elif isinstance(left, sequences) or isinstance(right, sequences):
            seq, times = (left, right) if isinstance(left, sequences) else (right, left)
            if is_int(times) and times > 0:
                size = len(seq) if isinstance(seq, str) else weigh(seq, budget)
                if size * times > budget.value_limit:
                    raise Refused(
                        f"repetition would create {size * times} characters, "
                        f"more than {budget.value_limit}"
                    )
    elif operator == "**":
        if (
            is_int(left)
            and is_int(right)
            and right > 0
            and abs(left) > 1
            and left.bit_length() * right > MAX_INT_BITS
        ):
            raise Refused(f"power result larger than {MAX_INT_BITS} bits")
    elif operator == "+":
        if isinstance(left, str) and isinstance(right, str):
            if len(left) + len(right) > budget.value_limit:
                raise Refused(f"concatenation longer than {budget.value_limit} characters")
        elif (
            isinstance(left, list | tuple)
            and isinstance(right, list | tuple)
            and weigh(left, budget) + weigh(right, budget) > budget.value_limit
        ):
            raise Refused(f"concatenation larger than {budget.value_limit} characters")
    elif operator == "%" and isinstance(left, str):
        check_percent(left, right, budget)


# Filters whose arguments decide how much they allocate; each gets the bound arguments.
def _pre_center(a: dict[str, Any], b: Budget) -> None:
    check_width(a["width"], b, len(str(a["value"])))


def _pre_indent(a: dict[str, Any], b: Budget) -> None:
    text, width = str(a["s"]), a["width"]
    per_line = len(width) if isinstance(width, str) else width
    if isinstance(per_line, int) and len(text) + per_line * (text.count("\n") + 1) > (
        b.value_limit
    ):
        raise Refused(f"indent would exceed {b.value_limit} characters")


def _pre_wordwrap(a: dict[str, Any], b: Budget) -> None:
    text, wrap = str(a["s"]), a["wrapstring"]
    width = max(a["width"], 1) if isinstance(a["width"], int) else 1
    lines = 2 * len(text) // width + text.count("\n") + 1
    if len(text) + len(str(wrap or "\n")) * lines > b.value_limit:
        raise Refused(f"wordwrap would exceed {b.value_limit} characters")


def _pre_replace(a: dict[str, Any], b: Budget) -> None:
    check_replace(str(a["s"]), str(a["old"]), str(a["new"]), a["count"], b)


def check_replace(text: str, old: str, new: str, count: Any, b: Budget) -> None:
    hits = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    if len(text) + hits * (len(new) - len(old)) > b.value_limit:
        raise Refused(f"replace would exceed {b.value_limit} characters")


def _pre_format(a: dict[str, Any], b: Budget) -> None:
    check_percent(str(a["value"]), a["kwargs"] or a["args"], b)


@jinja2.pass_environment
def join_filter(
    environment: jinja2.Environment, value: Iterable[Any], d: str = "", attribute: Any = None
) -> str:
    """Jinja's ``join``, counting as it goes: a separator repeated per item is a bomb."""
    budget = current_budget()
    if attribute is not None:
        value = map(make_attrgetter(environment, attribute), value)
    parts: list[str] = []
    size = 0
    for item in value:
        budget.tick()
        parts.append(to_text(item, budget))
        size += len(parts[-1]) + (len(d) if len(parts) > 1 else 0)
        if size > budget.value_limit:
            raise Refused(f"join would exceed {budget.value_limit} characters")
    return str(d).join(parts)


def _pre_count(name: str, limit: int) -> Callable[[dict[str, Any], Budget], None]:
    def check(a: dict[str, Any], b: Budget) -> None:
        if isinstance(a[name], int) and a[name] > limit:
            raise Refused(f"{name}={a[name]} is more than the {limit} allowed")

    return check


def _depth(value: Any, budget: Budget) -> int:
    """How deeply containers nest in ``value`` (charged like a walk)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        budget.charge(1)
        if isinstance(item, list | tuple | dict):
            deepest = max(deepest, depth + 1)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _check_indented(value: Any, indent: int, b: Budget) -> None:
    # Pretty-printers indent every line by depth * indent: a deep chain of one-item lists
    # renders quadratically larger than it is.
    if weigh(value, b) * (1 + indent * _depth(value, b)) > b.value_limit:
        raise Refused(f"pretty-printed value would exceed {b.value_limit} characters")


def _pre_tojson(a: dict[str, Any], b: Budget) -> None:
    indent = a["indent"]
    if indent is not None and (not isinstance(indent, int) or indent > 16):
        raise Refused("tojson indent must be an integer up to 16")
    if indent:
        _check_indented(a["value"], indent, b)


def _pre_pprint(a: dict[str, Any], b: Budget) -> None:
    _check_indented(a["value"], 1, b)


def _pre_sum(a: dict[str, Any], b: Budget) -> None:
    # sum() of lists or strings is quadratic; templates only need to add numbers.
    if not isinstance(a["start"], int | float):
        raise Refused("sum only adds numbers in templates")


FILTER_CHECKS: dict[str, Callable[[dict[str, Any], Budget], None]] = {
    "center": _pre_center,
    "indent": _pre_indent,
    "wordwrap": _pre_wordwrap,
    "replace": _pre_replace,
    "format": _pre_format,
    "batch": _pre_count("linecount", MAX_RANGE),
    "slice": _pre_count("slices", MAX_RANGE),
    "tojson": _pre_tojson,
    "pprint": _pre_pprint,
    "sum": _pre_sum,
}
