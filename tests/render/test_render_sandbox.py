"""Hostile templates: sandbox escapes and resource bombs are refused, fast and small.

Each bomb is rendered twice: once timed (well under a second), once under tracemalloc (a
bomb that allocates before it is refused fails here, even if it is refused in the end).
"""

from __future__ import annotations

import time
import tracemalloc

import pytest
from render_samples import case, version

from promptcompat.errors import TemplateSecurityError
from promptcompat.suite.rendering import render_messages

VARS = {
    "x": "hello",
    "d": {"a": 1},
    "request": {"application": "app"},
    "config": {"SECRET_KEY": "k"},
}
MAX_CHARS = 200_000
MAX_SECONDS = 1.0
MAX_PEAK_BYTES = 20_000_000

ESCAPES = {
    "str class": "{{ ''.__class__ }}",
    "mro subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "variable class": "{{ x.__class__.__mro__ }}",
    "cycler globals": "{{ cycler.__init__.__globals__ }}",
    "joiner globals": "{{ joiner.__init__.__globals__.os }}",
    "namespace globals": "{{ namespace.__init__.__globals__ }}",
    "lipsum globals": "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "self init": "{{ self.__init__.__globals__ }}",
    "self private": "{{ self._TemplateReference__context }}",
    "request style": "{{ request.application.__globals__.__builtins__ }}",
    "config style": "{{ config.__class__.__init__.__globals__ }}",
    "undeclared request": "{{ request2.environ }}",
    "str.format": "{{ '{0.__class__}'.format(x) }}",
    "format width": "{{ '{:>999999999}'.format(1) }}",
    "format_map": "{{ '{a}'.format_map(d) }}",
    "attr filter format": "{{ (x|attr('format'))('{0.__class__}') }}",
    "attr filter dunder": "{{ x|attr('__class__') }}",
    "escaped dunder": "{{ x|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "getitem dunder": "{{ d['__class__'] }}",
    "missing private": "{{ d._private }}",
    "unlisted method": "{{ x.encode() }}",
    "dunder call": "{{ x.__len__() }}",
    "dict mutation": "{{ d.pop('a') }}",
    "list mutation": "{% set l = [1] %}{{ l.append(2) }}",
    "range internals": "{{ range.__self__ }}",
}

BOMBS = {
    "str repeat": "{{ 'a' * 10**9 }}",
    "list repeat": "{{ [1] * 10**9 }}",
    "tuple repeat": "{{ (1,) * 10**9 }}",
    "repeat of a list of strings": "{{ ['x' * 1000] * 10**6 }}",
    "power tower": "{{ 9**(9**9) }}",
    "big power": "{{ 10**100000 }}",
    "big product": "{% set a = 10**1000 %}{{ a * a * a * a * a }}",
    "big range": "{{ range(10**9)|list }}",
    "huge range": "{{ range(10**100) }}",
    "range over cap": "{% for i in range(10**6) %}{% endfor %}",
    "nested loops output": (
        "{% for i in range(10000) %}{% for j in range(10000) %}x{% endfor %}{% endfor %}"
    ),
    "nested loops silent": (
        "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
    ),
    "captured nested loops": (
        "{% set a %}{% for i in range(10000) %}{% for j in range(1000) %}xxxxxxxxxx"
        "{% endfor %}{% endfor %}{% endset %}{{ a|length }}"
    ),
    "captured literal text": (
        "{% set a %}{% for i in range(10000) %}" + "y" * 10_000 + "{% endfor %}{% endset %}"
    ),
    "filter block": (
        "{% filter upper %}{% for i in range(10000) %}" + "z" * 10_000 + "{% endfor %}"
        "{% endfilter %}"
    ),
    "macro buffer": (
        "{% macro m() %}{% for i in range(10000) %}" + "w" * 10_000 + "{% endfor %}"
        "{% endmacro %}{{ m()|length }}"
    ),
    "concat doubling": "{% set a = 'x' * 1000 %}"
    + "".join("{% set a = a ~ a %}" for _ in range(30))
    + "{{ a|length }}",
    "plus doubling": "{% set a = 'x' * 1000 %}"
    + "".join("{% set a = a + a %}" for _ in range(30))
    + "{{ a|length }}",
    "namespace doubling": (
        "{% set ns = namespace(a='x') %}{% for i in range(100) %}{% set ns.a = ns.a ~ ns.a %}"
        "{% endfor %}{{ ns.a|length }}"
    ),
    "shared nesting": "{% set a = ['x' * 1000] %}"
    + "".join("{% set a = [a, a, a, a, a, a, a, a] %}" for _ in range(12))
    + "{{ a|length }}",
    "shared nesting via dict()": "{% set a = 'x' * 1000 %}"
    + "".join("{% set a = dict(p=a, q=a, r=a, s=a) %}" for _ in range(15))
    + "{{ a|length }}",
    "comparing big values in a loop": (
        "{% set a = range(10000)|list %}{% set b = range(10000)|list %}"
        "{% for i in range(10000) %}{% if a == b %}{% endif %}{% endfor %}"
    ),
    "slice copies in a loop": (
        "{% set big = 'ab' * 90000 %}{% for i in range(10000) %}{% set r = big[::-1] %}{% endfor %}"
    ),
    "scanning method in a loop": (
        "{% set big = 'ab' * 90000 %}{% for i in range(10000) %}{% set n = big.count('a') %}"
        "{% endfor %}"
    ),
    "join of a huge range": "{{ range(10000)|join(',' * 100000) }}",
    "join of a generator": "{{ range(10000)|map('string')|join(',' * 100000) }}",
    "str.join": "{{ (',' * 100000).join(range(10000)|map('string')) }}",
    "percent width": "{{ '%999999999d' % 1 }}",
    "percent star width": "{{ '%*d' % (999999999, 1) }}",
    "percent precision": "{{ '%.999999999f' % 1.0 }}",
    "percent named width": "{{ '%(a)999999999s' % {'a': 1} }}",
    "format filter width": "{{ '%999999999s'|format('x') }}",
    "center": "{{ 'x'|center(10**9) }}",
    "center literal": "{{ 'x'|center(1000000000) }}",
    "indent": "{{ ('x\\n' * 1000)|indent(10**6) }}",
    "indent string width": "{{ ('x\\n' * 1000)|indent('-' * 100000) }}",
    "wordwrap": "{{ ('x ' * 10000)|wordwrap(1, wrapstring='y' * 10000) }}",
    "replace empty": "{{ ('x' * 10000)|replace('', 'y' * 1000) }}",
    "replace method": "{{ ('x' * 10000).replace('', 'y' * 1000) }}",
    "ljust": "{{ x.ljust(10**9) }}",
    "zfill": "{{ x.zfill(10**9) }}",
    "batch fill": "{{ [1]|batch(10**9, 'x')|list }}",
    "slice count": "{{ [1]|slice(10**9)|list }}",
    "tojson indent": "{{ (range(10)|list)|tojson(indent=10**6) }}",
    "sum of lists": "{{ [[1] * 100] * 100|sum(start=[]) }}",
    "map center": "{{ range(100)|map('center', 10**6)|list }}",
    "macro recursion": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "macro fan-out": (
        "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(40) }}"
    ),
    "recursive loop fan-out": (
        "{% set l = range(100)|list %}{% for i in l recursive %}"
        "{% if loop.depth < 6 %}{{ loop(l) }}{% endif %}{% endfor %}"
    ),
    "indented json of deep nesting": (
        "{% set ns = namespace(l=[]) %}{% for i in range(900) %}{% set ns.l = [ns.l] %}"
        "{% endfor %}{{ ns.l|tojson(indent=16) }}"
    ),
    "pprint of deep nesting": (
        "{% set ns = namespace(l=[]) %}{% for i in range(900) %}{% set ns.l = [ns.l] %}"
        "{% endfor %}{{ ns.l|pprint }}"
    ),
    "block recursion": "{% block b %}{{ self.b() }}{% endblock %}",
    "deep nesting": (
        "{% set ns = namespace(l=[]) %}{% for i in range(10000) %}{% set ns.l = [ns.l] %}"
        "{% endfor %}{{ ns.l }}"
    ),
}


def _render(template: str) -> None:
    render_messages(version(template, variables=tuple(VARS)), case(**VARS), max_chars=MAX_CHARS)


@pytest.mark.parametrize("template", ESCAPES.values(), ids=ESCAPES.keys())
def test_sandbox_escape_is_refused(template: str) -> None:
    with pytest.raises(TemplateSecurityError) as caught:
        _render(template)
    assert caught.value.where is not None
    assert caught.value.where.startswith("prompts/t/versions/v1.yaml")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("template", BOMBS.values(), ids=BOMBS.keys())
def test_bomb_is_refused_quickly_without_allocating(template: str) -> None:
    started = time.perf_counter()
    with pytest.raises(TemplateSecurityError):
        _render(template)
    assert time.perf_counter() - started < MAX_SECONDS

    tracemalloc.start()
    try:
        with pytest.raises(TemplateSecurityError):
            _render(template)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MAX_PEAK_BYTES, f"peak {peak / 1e6:.1f} MB before the refusal"


def test_left_associative_power_is_just_a_number() -> None:
    # Jinja reads 9**9**9 as (9**9)**9, 262 bits: harmless, so it renders.
    started = time.perf_counter()
    (message,) = render_messages(version("{{ 9**9**9 }}"), case(x=1), max_chars=1000)
    assert message.content == str((9**9) ** 9)
    assert time.perf_counter() - started < MAX_SECONDS


def test_limits_are_per_render_not_per_process() -> None:
    template = "{% for i in range(n) %}{{ i }}{% endfor %}"
    for _ in range(30):  # 30 * 9000 steps would exhaust a shared budget
        render_messages(version(template, variables=("n",)), case(n=9000), max_chars=MAX_CHARS)


def test_max_steps_is_configurable() -> None:
    template = version("{% for i in range(1000) %}{% endfor %}")
    render_messages(template, case(x=1), max_chars=100, max_steps=2000)
    with pytest.raises(TemplateSecurityError, match="exceeded 500 operations"):
        render_messages(template, case(x=1), max_chars=100, max_steps=500)


# Values whose text is a memory address (or another per-process text): the rendered prompt,
# and its cache key, would differ in every run.
UNPRINTABLE = {
    "global method": "{{ dict.fromkeys }}",
    "bound method": "{{ x.upper }}",
    "global class": "{{ dict }}",
    "generator": "{{ x|map('upper') }}",
    "concatenated": "{{ 'a' ~ x.upper }}",
    "string filter": "{{ x.upper|string }}",
    "text filter": "{{ x.upper|upper }}",
    "percent format": "{{ '%s' % x.upper }}",
    "format filter": "{{ '%s'|format(x.upper) }}",
    "joined": "{{ [x.upper]|join(',') }}",
    "inside a list": "{{ [1, x.upper] }}",
    "inside a dict": "{{ {'k': d.get} }}",
    "helper object": "{{ cycler(1, 2) }}",
}
PRINTABLE = {
    "{{ x.upper() }}": "HELLO",
    "{{ x|map('upper')|join }}": "HELLO",
    "{{ x|map('upper')|list }}": "['H', 'E', 'L', 'L', 'O']",
    "{{ d }}": "{'a': 1}",
    "{{ range(2) }}": "range(0, 2)",
    "{{ x.upper is callable }}": "True",
}


@pytest.mark.parametrize("template", UNPRINTABLE.values(), ids=UNPRINTABLE.keys())
def test_a_value_without_a_stable_text_is_refused(template: str) -> None:
    with pytest.raises(TemplateSecurityError, match="cannot be printed") as caught:
        _render(template)
    assert " at 0x" not in str(caught.value)
    assert "prompts/t/versions/v1.yaml" in str(caught.value) and "(case " in str(caught.value)


@pytest.mark.parametrize(("template", "text"), PRINTABLE.items(), ids=PRINTABLE.keys())
def test_plain_data_and_called_methods_still_print(template: str, text: str) -> None:
    rendered = render_messages(
        version(template, variables=tuple(VARS)), case(**VARS), max_chars=MAX_CHARS
    )
    assert rendered[0].content == text
