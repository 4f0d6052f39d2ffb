"""Rendering: the example suite, undefined variables, errors that name the place, size cap."""

from __future__ import annotations

from pathlib import Path

import pytest
from render_samples import SOURCE, case, version

from promptcompat.errors import (
    TemplateError,
    TemplateSecurityError,
    TemplateSyntaxError,
    TemplateUndefinedError,
)
from promptcompat.suite import Message, load_suite, required_variables
from promptcompat.suite.rendering import render_messages

EXAMPLE = Path(__file__).resolve().parents[2] / "prompts"
MAX_RENDERED_CHARS = 200_000  # Settings.max_rendered_chars default


def test_every_example_case_renders_for_every_version() -> None:
    suite = load_suite(EXAMPLE)
    renders = 0
    for prompt in suite.prompts.values():
        for prompt_version in prompt.versions.values():
            for example_case in prompt.cases:
                messages = render_messages(
                    prompt_version, example_case, max_chars=MAX_RENDERED_CHARS
                )
                text = "\n".join(m.content for m in messages)
                assert "{{" not in text and "{%" not in text
                assert len(text) < 5_000
                for name in required_variables(prompt_version):
                    assert str(example_case.vars[name]) in text
                renders += 1
    assert renders == 2 * sum(len(p.cases) for p in suite.prompts.values())


def test_example_renders_are_what_the_simulator_recognises() -> None:
    suite = load_suite(EXAMPLE)
    code = suite.prompts["write_function"]
    first = code.cases[0]
    (system, user) = render_messages(code.versions["v1"], first, max_chars=MAX_RENDERED_CHARS)
    assert system == Message("system", "You are a careful senior Python developer.")
    assert user.content == (
        "Write a Python function named sum_list that returns the sum of a list of numbers. "
        "Return only the code, without markdown."
    )
    prime = suite.prompts["prime_check"]
    (question,) = render_messages(
        prime.versions["v1"], prime.cases[3], max_chars=MAX_RENDERED_CHARS
    )
    assert question.content == (
        "Is 97 a prime number? Think step by step, then end your answer with [Yes] or [No]."
    )


def test_undefined_variable_names_variable_file_and_case() -> None:
    suite = load_suite(EXAMPLE)
    v2 = suite.prompts["write_function"].versions["v2"]
    old_caller = suite.prompts["write_function"].cases[0]
    without_style = type(old_caller)(
        id=old_caller.id,
        vars={k: v for k, v in old_caller.vars.items() if k != "style_guide"},
        source=old_caller.source,
    )
    with pytest.raises(TemplateUndefinedError) as caught:
        render_messages(v2, without_style, max_chars=MAX_RENDERED_CHARS)
    error = caught.value
    assert "'style_guide'" in error.message
    assert error.where == (
        f"prompts/write_function/versions/v2.yaml:8 (case sum_list from {old_caller.source})"
    )


def test_undefined_attribute_of_a_provided_variable() -> None:
    with pytest.raises(TemplateUndefinedError, match="no attribute 'city'") as caught:
        render_messages(version("{{ x.city }}"), case(x={"name": "Ada"}), max_chars=1000)
    assert caught.value.where == f"{SOURCE}:10 (case c7 from prompts/t/cases.jsonl:7)"


def test_error_line_is_the_line_in_the_version_file() -> None:
    template = "line one\n{{ x }}\n{{ y }}"
    with pytest.raises(TemplateUndefinedError) as caught:
        render_messages(version(template, variables=("x", "y")), case(x=1), max_chars=1000)
    assert caught.value.where is not None
    assert caught.value.where.startswith(f"{SOURCE}:12 ")


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        render_messages(version("ok", "fine\n{{ x "), case(x=1), max_chars=1000)
    assert caught.value.where == f"{SOURCE}:21"


def test_runtime_failure_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="ZeroDivisionError") as caught:
        render_messages(version("{{ x / 0 }}"), case(x=1), max_chars=1000)
    assert type(caught.value) is TemplateError


def test_only_declared_variables_are_visible() -> None:
    # The loader refuses such a version; a version built elsewhere is refused at render.
    with pytest.raises(TemplateSecurityError, match="'secret', which is not a declared"):
        render_messages(version("{{ secret }}"), case(x="a", secret="s"), max_chars=1000)
    with pytest.raises(TemplateSecurityError, match="'secret', which is not a declared"):
        render_messages(
            version("{% if secret is defined %}LEAK{% endif %}"),
            case(x="a", secret="s"),
            max_chars=1000,
        )


def test_rendered_size_cap_over_all_messages() -> None:
    loop = "{% for i in range(n) %}y{% endfor %}"
    (message,) = render_messages(version(loop, variables=("n",)), case(n=500), max_chars=500)
    assert message.content == "y" * 500
    with pytest.raises(TemplateSecurityError, match="longer than max_chars=500") as caught:
        render_messages(version(loop, variables=("n",)), case(n=501), max_chars=500)
    assert caught.value.where == f"{SOURCE}:10 (case c7 from prompts/t/cases.jsonl:7)"
    with pytest.raises(TemplateSecurityError, match="max_chars=500"):
        render_messages(version("{{ x * 300 }}", "{{ x * 300 }}"), case(x="y"), max_chars=500)


def test_cap_stops_a_long_loop_while_streaming() -> None:
    template = "{% for i in range(10000) %}0123456789{% endfor %}"
    with pytest.raises(TemplateSecurityError, match="max_chars=1000"):
        render_messages(version(template), case(x=1), max_chars=1000)


def test_ordinary_template_features_still_work() -> None:
    template = (
        "{% macro item(e) %}- {{ e.q|trim|capitalize }} => {{ e.a|upper }}{% endmacro %}\n"
        "{% set ns = namespace(n=0) %}\n"
        "{% for e in examples if e.a %}\n"
        "{{ loop.index }}. {{ item(e) }}\n"
        "{% set ns.n = ns.n + 1 %}\n"
        "{% endfor %}\n"
        "{{ ns.n }} of {{ examples|length }}; {{ examples|map(attribute='a')|join(', ') }}\n"
        "{{ '%s=%d'|format('k', 3) }} {{ '%05.1f' % 2.5 }} {{ x ~ '!' }} {{ x[::-1] }}\n"
        "{{ examples|tojson }} {{ 'long text here'|truncate(9, leeway=0) }} {{ 2 ** 10 }}\n"
        "{{ x.split('a')|list }} {{ 'a b'.replace('a', 'c') }} {{ x.center(9, '*') }}"
    )
    examples = [{"q": " first ", "a": "one"}, {"q": "skip", "a": ""}, {"q": "third", "a": "3"}]
    (message,) = render_messages(
        version(template, variables=("x", "examples")),
        case(x="banana", examples=examples),
        max_chars=10_000,
    )
    assert message.content.splitlines() == [
        "1. - First => ONE",
        "2. - Third => 3",
        "2 of 3; one, , 3",
        "k=3 002.5 banana! ananab",
        '[{"a": "one", "q": " first "}, {"a": "", "q": "skip"}, {"a": "3", "q": "third"}]'
        " long... 1024",
        "['b', 'n', 'n', ''] c b **banana*",
    ]


def test_cache_never_serves_a_stale_template() -> None:
    first = version("A {{ x }}")
    assert render_messages(first, case(x=1), max_chars=100)[0].content == "A 1"
    assert render_messages(first, case(x=2), max_chars=100)[0].content == "A 2"
    # Same (wrong) hash, other text: the text wins, not the cached compile.
    other = type(first)(**{**first.__dict__, "messages": (Message("user", "B {{ x }}"),)})
    assert render_messages(other, case(x=3), max_chars=100)[0].content == "B 3"
