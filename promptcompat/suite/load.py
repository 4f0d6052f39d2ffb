"""Loading the prompt suite from ``prompts/``: prompts, versions, cases, contracts, targets.

The format is described in ``docs/suite-format.md``. Every problem is a ``SuiteError`` (or a
template error) whose ``where`` names the file and line, e.g. ``prompts/x/cases.jsonl:7``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from promptcompat.errors import (
    ConfigError,
    PromptCompatError,
    SuiteError,
    SuiteProblems,
    TemplateError,
    VersionEditedError,
)
from promptcompat.privacy.redact import parse_redact
from promptcompat.render import template_variables
from promptcompat.suite.contract import Contract
from promptcompat.suite.files import (
    IDENTIFIER,
    YamlFile,
    parse_csv,
    parse_jsonl,
    read_text,
    typed,
)
from promptcompat.suite.json_path import parse_json_path
from promptcompat.suite.lockfile import LOCK_FILE, read_lock, write_lock
from promptcompat.suite.policy import parse_policy
from promptcompat.suite.rendering import render_messages
from promptcompat.suite.retirements import load_deprecations
from promptcompat.suite.targets import parse_target
from promptcompat.suite.turns import HistoryError, parse_history
from promptcompat.suite.types import (
    MODES,
    ROLES,
    TOOL_ORDERS,
    Case,
    Fixture,
    HistorySlot,
    Message,
    Prompt,
    PromptVersion,
    RequestOptions,
    ResponseFormat,
    Suite,
    Tool,
    content_hash,
)
from promptcompat.suite.user_checks import CHECKS_FILE, load_checks

NAME = re.compile(r"[A-Za-z0-9_.-]+")
TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What both providers accept as a tool (function) name."""
VERSION_KEYS = {
    "variables",
    "messages",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
}
TOOL_CHOICES = ("auto", "none", "required")
PROMPT_KEYS = {
    "description",
    "mode",
    "deployed",
    "targets",
    "contract",
    "cases",
    "dataset",
    "rules",
    "waivers",
    "watch",  # model-id globs for the release watcher (promptcompat/watch/config.py)
    "redact",  # the prompt's own redaction regexes (promptcompat/privacy/redact.py)
    "tool_order",  # how tool calls are compared: strict | unordered | subset | superset
    "judge",  # the judge model's target string (promptcompat/compat/judge.py)
    "semantic",  # JSON paths of free-text fields the judge checks
    "max_steps",  # agent loops: model <-> tool steps per case (issue 17)
}
MAX_STEPS_LIMIT = 50


def required_variables(version: PromptVersion) -> set[str]:
    """The variables the version's templates read (found by ``jinja2.meta``)."""
    used: set[str] = set()
    for index, message in enumerate(version.messages):
        line = version.lines[index] if index < len(version.lines) else 0
        where = version.source or str(version.path)
        used |= template_variables(message.content, where=where, first_line=line)
    return used


def load_suite(root: Path) -> Suite:
    """Load and validate every prompt under ``root`` (the ``prompts/`` directory).

    Raises:
        SuiteError: Malformed files, named with file and line (``SuiteProblems`` when there
            is more than one problem: every prompt is checked, not only up to the first).
        VersionEditedError: A released version's content changed, or its file is gone.
        TemplateError: A template does not compile (syntax, unknown filter, include).
    """
    suite, problems = load_suite_problems(root)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise SuiteProblems(problems)
    return suite


def load_suite_problems(root: Path) -> tuple[Suite, list[PromptCompatError]]:
    """The prompts that load, and every problem found (each naming its file and line).

    A prompt with a problem is left out of the suite; the others are complete.

    Raises:
        SuiteError: ``root`` is no directory, or the lock file is unreadable.
    """
    root = Path(root)
    if not root.is_dir():
        raise SuiteError("no prompt suite here (expected a directory of prompts)", where=str(root))
    label = root.resolve().name
    lock = read_lock(root / LOCK_FILE, where=f"{label}/{LOCK_FILE}")
    prompts: dict[str, Prompt] = {}
    problems: list[PromptCompatError] = []
    present: set[str] = set()
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name.startswith((".", "__")):
            continue
        present.add(folder.name)
        loader = _Loader(root, label)
        try:
            prompt = loader.prompt(folder, lock.get(folder.name, {}))
        except (SuiteError, TemplateError) as exc:
            problems.extend([*loader.problems, exc])
            continue
        if loader.problems:
            problems.extend(loader.problems)
        else:
            prompts[prompt.name] = prompt
    for name in sorted(set(lock) - present):
        problems.append(
            VersionEditedError(
                f"released versions {', '.join(sorted(lock[name]))} of prompt {name!r} are in "
                f"{LOCK_FILE} but the prompt folder is gone; restore it (released versions are "
                f"immutable), or remove the entry from {LOCK_FILE} deliberately",
                where=f"{label}/{name}",
            )
        )
    return Suite(root=root, prompts=prompts), problems


@dataclass(frozen=True)
class Validation:
    """What ``validate`` found: the prompts that load, every problem, and the renders made."""

    suite: Suite
    problems: list[PromptCompatError]
    renders: int


def validate_suite(root: Path, *, max_rendered_chars: int) -> Validation:
    """Check the whole suite and collect every problem instead of stopping at the first:
    each prompt's files and target strings, ``targets.yaml``, and the rendering of every case
    of every version.

    Raises:
        SuiteError: ``root`` is no directory, or the lock file is unreadable.
    """
    suite, problems = load_suite_problems(root)
    try:
        load_deprecations(suite.root)
    except SuiteError as exc:
        problems.append(exc)
    renders = 0
    for prompt in suite.prompts.values():
        for version in prompt.versions.values():
            for case in prompt.cases:
                try:
                    render_messages(version, case, max_chars=max_rendered_chars)
                except TemplateError as exc:
                    problems.append(exc)
                renders += 1
    return Validation(suite=suite, problems=problems, renders=renders)


def lock_versions(suite: Suite) -> list[tuple[str, str]]:
    """Record every unlocked version's hash in ``prompts.lock``; return what was added."""
    path = suite.root / LOCK_FILE
    lock = read_lock(path, where=f"{suite.root.resolve().name}/{LOCK_FILE}")
    added: list[tuple[str, str]] = []
    for prompt in suite.prompts.values():
        for version in prompt.unlocked:
            lock.setdefault(prompt.name, {})[version] = prompt.versions[version].content_hash
            added.append((prompt.name, version))
    if added:
        write_lock(path, lock)
    return added


def _natural_key(stem: str) -> tuple[tuple[Any, ...], str]:
    parts = re.split(r"(\d+)", stem)
    return tuple(int(p) if i % 2 else p.lower() for i, p in enumerate(parts)), stem


class _Loader:
    def __init__(self, root: Path, label: str) -> None:
        self.root, self.label = root, label
        self.problems: list[PromptCompatError] = []
        """Problems found so far that did not stop the loading of the prompt."""
        self.broken: set[str] = set()
        """Versions whose file has a problem (already among ``problems``)."""

    def show(self, path: Path) -> str:
        return f"{self.label}/{path.relative_to(self.root).as_posix()}"

    def inside(self, path: Path, base: Path) -> Path:
        """``path``, refused when it resolves outside ``base`` (a symlink out, as a dataset).

        What a suite reads is what its repository holds: a prompt folder, or a file in one,
        symlinked elsewhere would bring in (and name snapshot paths after) files no review saw.
        """
        if not path.resolve().is_relative_to(base.resolve()):
            raise SuiteError(
                f"must be inside {self.show(base) if base != self.root else self.label + '/'} "
                "(it is a symlink to outside it)",
                where=self.show(path),
            )
        return path

    def prompt(self, folder: Path, locked: dict[str, str]) -> Prompt:
        name = folder.name
        if not NAME.fullmatch(name):
            raise SuiteError(
                "prompt folder names use letters, digits, _ . -", where=self.show(folder)
            )
        self.inside(folder, self.root)
        doc = YamlFile(
            self.inside(folder / "prompt.yaml", folder), self.show(folder / "prompt.yaml")
        )
        data: dict[str, Any] = doc.data
        doc.check_keys(data, PROMPT_KEYS)
        description = typed(doc, data, "description", str, "")
        mode = typed(doc, data, "mode", str, "FULL")
        if mode not in MODES:
            raise SuiteError(f"mode must be one of {', '.join(MODES)}", where=doc.at("mode"))
        targets = typed(doc, data, "targets", dict, None)
        doc.check_keys(targets, {"pinned", "candidates"}, "targets")
        pinned = typed(doc, targets, "pinned", str, None, "targets")
        candidates = typed(doc, targets, "candidates", list, [], "targets")
        for i, candidate in enumerate(candidates):
            if not isinstance(candidate, str) or not candidate.strip():
                raise SuiteError(
                    "candidates are target strings", where=doc.at("targets", "candidates", i)
                )
        self.check_target(pinned, doc.at("targets", "pinned"))
        for i, candidate in enumerate(candidates):
            self.check_target(candidate, doc.at("targets", "candidates", i))
        judge = typed(doc, data, "judge", str, "") or None
        if judge is not None:
            self.check_target(judge, doc.at("judge"))
        semantic = typed(doc, data, "semantic", list, [])
        for i, path in enumerate(semantic):
            try:
                parse_json_path(path if isinstance(path, str) else "")
            except ValueError:
                raise SuiteError(
                    "semantic lists JSON paths such as $.summary", where=doc.at("semantic", i)
                ) from None
        contract = _contract(doc, typed(doc, data, "contract", dict, {}))
        policy = parse_policy(doc, data)
        tool_order = typed(doc, data, "tool_order", str, "unordered")
        if tool_order not in TOOL_ORDERS:
            raise SuiteError(
                f"tool_order must be one of {', '.join(TOOL_ORDERS)}", where=doc.at("tool_order")
            )
        checks_path = self.inside(folder / CHECKS_FILE, folder)
        checks = (
            load_checks(checks_path, where=self.show(checks_path)) if checks_path.is_file() else ()
        )
        versions = self.versions(folder, name)
        deployed = str(typed(doc, data, "deployed", (str, int), None))
        if deployed not in versions and deployed not in self.broken:
            raise SuiteError(
                f"deployed version {deployed!r} does not exist; versions: {', '.join(versions)}",
                where=doc.at("deployed"),
            )
        cases = self.cases(folder, doc, data)
        declared_tools = {t.name for pv in versions.values() for t in pv.tools}
        for case in cases:
            for pv in versions.values():
                _check_histories(pv, case)
            for tool in case.fixtures:
                if tool not in declared_tools:
                    raise SuiteError(
                        f"case {case.id}: fixtures for {tool!r}, a tool no version declares"
                        + (f" ({', '.join(sorted(declared_tools))})" if declared_tools else ""),
                        where=case.source,
                    )
        max_steps = data.get("max_steps")
        if max_steps is not None and (
            isinstance(max_steps, bool)
            or not isinstance(max_steps, int)
            or not 1 <= max_steps <= MAX_STEPS_LIMIT
        ):
            raise SuiteError(
                f"max_steps is a whole number from 1 to {MAX_STEPS_LIMIT}",
                where=doc.at("max_steps"),
            )
        if max_steps is not None and not declared_tools:
            raise SuiteError(
                "max_steps needs a version that declares `tools:`", where=doc.at("max_steps")
            )
        for version, digest in sorted(locked.items()):
            where = self.show(folder / "versions") + f"/{version}.yaml"
            if version in self.broken:
                continue  # its own problem is reported already
            if version not in versions:
                raise VersionEditedError(
                    f"released version {version} is in {LOCK_FILE} but its file is gone; "
                    "restore it: released versions are immutable",
                    where=where,
                )
            current = versions[version]
            if current.content_hash != digest:
                raise VersionEditedError(
                    f"released version {version} was edited: {LOCK_FILE} records sha256 "
                    f"{digest}, the file now hashes to {current.content_hash}. Revert the edit "
                    f"and create a new version file (e.g. versions/v{len(versions) + 1}.yaml) "
                    "for the change instead",
                    where=current.source,
                )
        versions = {v: replace(pv, released=v in locked) for v, pv in versions.items()}
        return Prompt(
            name=name,
            description=description,
            mode=mode,
            contract=contract,
            deployed=deployed,
            pinned=pinned,
            candidates=tuple(candidates),
            versions=versions,
            cases=cases,
            path=folder,
            unlocked=tuple(v for v in versions if v not in locked),
            policy=policy,
            checks=checks,
            redact=parse_redact(data.get("redact"), where=doc.at("redact")),
            tool_order=tool_order,
            judge=judge,
            semantic=tuple(semantic),
            max_steps=max_steps,
        )

    def check_target(self, spec: str, where: str) -> None:
        """A target string that does not parse (unknown provider or parameter) is a problem
        of this file and line, found when the suite loads rather than when a run calls it."""
        try:
            parse_target(spec)
        except ConfigError as exc:
            self.problems.append(SuiteError(str(exc), where=where))

    def versions(self, folder: Path, prompt: str) -> dict[str, PromptVersion]:
        directory = self.inside(folder / "versions", folder)
        if not directory.is_dir():
            raise SuiteError(
                "missing versions/ folder (one YAML file per version)", where=self.show(folder)
            )
        found: dict[str, PromptVersion] = {}
        for path in sorted(directory.iterdir(), key=lambda p: _natural_key(p.stem)):
            if path.name.startswith("."):
                continue
            if path.suffix not in (".yaml", ".yml") or not NAME.fullmatch(path.stem):
                raise SuiteError("expected only <version>.yaml files here", where=self.show(path))
            if path.stem in found or path.stem in self.broken:
                raise SuiteError(f"version {path.stem} is defined twice", where=self.show(path))
            try:
                found[path.stem] = self.version(self.inside(path, directory), prompt)
            except (SuiteError, TemplateError) as exc:
                # Every version file is checked; the prompt is refused after the last one.
                self.problems.append(exc)
                self.broken.add(path.stem)
        if not found and not self.broken:
            raise SuiteError("no versions: add versions/v1.yaml", where=self.show(directory))
        return found

    def version(self, path: Path, prompt: str) -> PromptVersion:
        where = self.show(path)
        doc = YamlFile(path, where)
        doc.check_keys(doc.data, VERSION_KEYS)
        declared = typed(doc, doc.data, "variables", list, [])
        for i, var in enumerate(declared):
            if not isinstance(var, str) or not IDENTIFIER.fullmatch(var) or var in declared[:i]:
                raise SuiteError(
                    f"variable {var!r} is not a unique identifier", where=doc.at("variables", i)
                )
        raw = typed(doc, doc.data, "messages", list, None)
        if not raw:
            raise SuiteError("messages must be a non-empty list", where=doc.at("messages"))
        messages: list[Message] = []
        lines: list[int] = []
        history: list[HistorySlot] = []
        for i, item in enumerate(raw):
            if not isinstance(item, dict):
                raise SuiteError(
                    "a message is {role: ..., content: ...} or {history: <variable>}",
                    where=doc.at("messages", i),
                )
            if "history" in item:
                history.append(_history_slot(doc, item, i, len(messages), declared))
                continue
            doc.check_keys(item, {"role", "content"}, "messages", i)
            role, content = item.get("role"), item.get("content")
            if role not in ROLES or role == "tool":
                raise SuiteError(
                    f"role must be one of {', '.join(r for r in ROLES if r != 'tool')} "
                    "(tool results come in a case's history)",
                    where=doc.at("messages", i),
                )
            if not isinstance(content, str):
                raise SuiteError(
                    "content must be a string (the template)", where=doc.at("messages", i)
                )
            line = doc.content_line("messages", i, "content")
            used = template_variables(content, where=where, first_line=line)
            undeclared = sorted(used - set(declared))
            if undeclared:
                raise SuiteError(
                    f"template uses undeclared variable(s) {', '.join(undeclared)}; add them to "
                    "`variables:` (callers must then pass them) or remove them from the template",
                    where=f"{where}:{line}",
                )
            messages.append(Message(role=role, content=content))
            lines.append(line)
        if not messages:
            raise SuiteError(
                "messages need at least one template besides the history",
                where=doc.at("messages"),
            )
        variables = tuple(declared)
        options = _request_options(doc)
        return PromptVersion(
            prompt=prompt,
            version=path.stem,
            messages=tuple(messages),
            variables=variables,
            content_hash=content_hash(
                tuple(messages), variables, options=options, history=tuple(history)
            ),
            path=path,
            source=where,
            lines=tuple(lines),
            tools=options.tools,
            tool_choice=options.tool_choice,
            parallel_tool_calls=options.parallel_tool_calls,
            response_format=options.response_format,
            history=tuple(history),
        )

    def cases(self, folder: Path, doc: YamlFile, data: dict[str, Any]) -> tuple[Case, ...]:
        inline = typed(doc, data, "cases", list, [])
        cases = [_case(item, doc.at("cases", i)) for i, item in enumerate(inline)]
        dataset: str | None = typed(doc, data, "dataset", str, "") or None
        if "dataset" not in data:
            present = [n for n in ("cases.jsonl", "cases.csv") if (folder / n).is_file()]
            if len(present) > 1:
                raise SuiteError(
                    "both cases.jsonl and cases.csv exist: name one with `dataset:`",
                    where=doc.where,
                )
            dataset = present[0] if present else None
        if dataset is not None:
            path = (folder / dataset).resolve()
            if not path.is_relative_to(folder.resolve()) or path.suffix not in (".jsonl", ".csv"):
                raise SuiteError(
                    "dataset must be a .jsonl or .csv file inside the prompt folder",
                    where=doc.at("dataset"),
                )
            where = self.show(folder / dataset)
            text = read_text(path, where)
            rows = parse_jsonl(text, where) if path.suffix == ".jsonl" else parse_csv(text, where)
            cases += [_case(row, row_where) for row, row_where in rows]
        if not cases:
            raise SuiteError(
                "no cases: add `cases:` or a cases.jsonl / cases.csv dataset", where=doc.where
            )
        seen: dict[str, str] = {}
        for case in cases:
            if case.id in seen:
                raise SuiteError(
                    f"duplicate case id {case.id!r} (first defined at {seen[case.id]})",
                    where=case.source,
                )
            seen[case.id] = case.source
        return tuple(cases)


def _history_slot(
    doc: YamlFile, item: dict[str, Any], index: int, position: int, declared: list[Any]
) -> HistorySlot:
    doc.check_keys(item, {"history"}, "messages", index)
    variable = item["history"]
    where = doc.at("messages", index)
    if not isinstance(variable, str) or variable not in declared:
        raise SuiteError(
            f"history: {variable!r} must name a declared variable (the case's list of messages)",
            where=where,
        )
    return HistorySlot(
        position=position, variable=variable, line=doc.content_line("messages", index, "history")
    )


def _check_histories(version: PromptVersion, case: Case) -> None:
    """A case's histories are lists of messages: found when the suite loads, at the case."""
    for slot in version.history:
        if slot.variable not in case.vars:
            continue  # a missing variable is a render error of this case, as for templates
        try:
            parse_history(case.vars[slot.variable])
        except HistoryError as exc:
            raise SuiteError(
                f"case {case.id}: {slot.variable}: {exc} (placed by {version.source})",
                where=case.source,
            ) from None


def _check_schema(schema: Any, what: str, where: str) -> dict[str, Any]:
    """``schema`` checked against its JSON Schema metaschema."""
    import jsonschema  # only suites with schemas pay its import

    if not isinstance(schema, dict):
        raise SuiteError(f"{what} must be a JSON Schema object", where=where)
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise SuiteError(f"{what} is not a valid JSON Schema: {exc.message}", where=where) from None
    return schema


def _request_options(doc: YamlFile) -> RequestOptions:
    """``tools``, ``tool_choice``, ``parallel_tool_calls`` and ``response_format``."""
    data = doc.data
    tools: list[Tool] = []
    for i, item in enumerate(typed(doc, data, "tools", list, [])):
        where = doc.at("tools", i)
        if not isinstance(item, dict):
            raise SuiteError("a tool is {name, description, parameters}", where=where)
        doc.check_keys(item, {"name", "description", "parameters"}, "tools", i)
        name, description = item.get("name"), item.get("description", "")
        if not isinstance(name, str) or not TOOL_NAME.fullmatch(name):
            raise SuiteError(
                f"tool name {name!r} must be 1-64 letters, digits, _ or -", where=where
            )
        if name in {t.name for t in tools}:
            raise SuiteError(f"tool {name!r} is declared twice", where=where)
        if not isinstance(description, str):
            raise SuiteError("a tool's description is a string", where=where)
        parameters = _check_schema(
            item.get("parameters", {"type": "object", "properties": {}}),
            f"tool {name}: parameters",
            doc.at("tools", i, "parameters") if "parameters" in item else where,
        )
        if parameters.get("type") != "object":
            raise SuiteError(
                f"tool {name}: parameters must be an object schema (type: object)",
                where=doc.at("tools", i, "parameters"),
            )
        tools.append(Tool(name=name, description=description, parameters=parameters))
    choice = data.get("tool_choice")
    if choice is not None:
        names = [t.name for t in tools]
        if not isinstance(choice, str) or (choice not in TOOL_CHOICES and choice not in names):
            raise SuiteError(
                f"tool_choice must be one of {', '.join(TOOL_CHOICES)} or a declared tool's name"
                + (f" ({', '.join(names)})" if names else ""),
                where=doc.at("tool_choice"),
            )
        if not tools and choice != "none":
            raise SuiteError("tool_choice needs `tools:`", where=doc.at("tool_choice"))
    parallel = data.get("parallel_tool_calls")
    if parallel is not None:
        if not isinstance(parallel, bool):
            raise SuiteError(
                "parallel_tool_calls is true or false", where=doc.at("parallel_tool_calls")
            )
        if not tools:
            raise SuiteError(
                "parallel_tool_calls needs `tools:`", where=doc.at("parallel_tool_calls")
            )
    return RequestOptions(
        tools=tuple(tools),
        tool_choice=choice,
        parallel_tool_calls=parallel,
        response_format=_response_format(doc),
    )


def _response_format(doc: YamlFile) -> ResponseFormat | None:
    data = doc.data.get("response_format")
    if data is None:
        return None
    where = doc.at("response_format")
    if not isinstance(data, dict):
        raise SuiteError(
            "response_format is {type: json_schema, schema: ..., strict: true} or "
            "{type: json_object}",
            where=where,
        )
    kind = data.get("type")
    if kind == "json_object":
        doc.check_keys(data, {"type"}, "response_format")
        return ResponseFormat(kind="json_object")
    if kind != "json_schema":
        raise SuiteError("response_format type must be json_schema or json_object", where=where)
    doc.check_keys(data, {"type", "name", "schema", "strict"}, "response_format")
    name = data.get("name", "output")
    if not isinstance(name, str) or not TOOL_NAME.fullmatch(name):
        raise SuiteError("response_format name must be 1-64 letters, digits, _ or -", where=where)
    strict = data.get("strict", False)
    if not isinstance(strict, bool):
        raise SuiteError("response_format strict is true or false", where=where)
    if "schema" not in data:
        raise SuiteError("response_format type json_schema needs a schema", where=where)
    schema = _check_schema(
        data["schema"], "response_format schema", doc.at("response_format", "schema")
    )
    return ResponseFormat(kind="json_schema", name=name, schema=schema, strict=strict)


def _contract(doc: YamlFile, data: dict[str, Any]) -> Contract:
    try:
        contract = Contract.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise SuiteError(
            f"invalid contract: {loc}: {first['msg']}", where=doc.at("contract", *first["loc"][:1])
        ) from None
    for key in ("must_match", "must_not_match"):
        for i, pattern in enumerate(getattr(contract, key)):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise SuiteError(
                    f"contract.{key}[{i}] is not a valid regex: {exc}",
                    where=doc.at("contract", key),
                ) from None
    if contract.reference.path is not None:
        try:
            parse_json_path(contract.reference.path)
        except ValueError as exc:
            raise SuiteError(
                f"contract.reference.path: {exc}", where=doc.at("contract", "reference")
            ) from None
    if contract.json_schema is not None:
        import jsonschema  # only suites with schema contracts pay its 30 ms import

        try:
            jsonschema.validators.validator_for(contract.json_schema).check_schema(
                contract.json_schema
            )
        except jsonschema.SchemaError as exc:
            raise SuiteError(
                f"contract.schema is not a valid JSON Schema: {exc.message}",
                where=doc.at("contract", "schema"),
            ) from None
    return contract


def _case(row: Any, where: str) -> Case:
    if not isinstance(row, dict):
        raise SuiteError(
            'a case is an object {"id": ..., "vars": {...}, "reference": ...}', where=where
        )
    unknown = sorted(set(row) - {"id", "vars", "reference", "facts", "fixtures"})
    if unknown:
        raise SuiteError(
            f"unknown key(s) {', '.join(map(repr, unknown))} in case; "
            "allowed: id, vars, reference, facts, fixtures",
            where=where,
        )
    case_id = row.get("id")
    if not isinstance(case_id, str) or not NAME.fullmatch(case_id):
        raise SuiteError(
            f"case id {case_id!r} must be a string of letters, digits, _ . -", where=where
        )
    variables = row.get("vars", {})
    if not isinstance(variables, dict):
        raise SuiteError(f"case {case_id}: vars must be an object", where=where)
    for name in variables:
        if not isinstance(name, str) or not IDENTIFIER.fullmatch(name):
            raise SuiteError(f"case {case_id}: {name!r} is not a variable name", where=where)
    facts = row.get("facts", [])
    if not isinstance(facts, list) or not all(isinstance(f, str) and f.strip() for f in facts):
        raise SuiteError(
            f'case {case_id}: facts must be a list of short statements, e.g. ["rollback failed"]',
            where=where,
        )
    return Case(
        id=case_id,
        vars=variables,
        reference=row.get("reference"),
        source=where,
        facts=tuple(f.strip() for f in facts),
        fixtures=_fixtures(row.get("fixtures"), case_id, where),
    )


def _fixtures(raw: Any, case_id: str, where: str) -> dict[str, tuple[Fixture, ...]]:
    """``{"tool": [{"arguments": {...}, "result": ...}, {"result": ...}], ...}``: per tool,
    results for calls whose arguments include ``arguments``; one without is the default."""
    if raw is None:
        return {}
    shape = 'an object {"tool": [{"arguments": {...}, "result": ...}, ...]}'
    if not isinstance(raw, dict):
        raise SuiteError(f"case {case_id}: fixtures must be {shape}", where=where)
    out: dict[str, tuple[Fixture, ...]] = {}
    for tool, entries in raw.items():
        if not isinstance(entries, list) or not entries:
            raise SuiteError(
                f"case {case_id}: fixtures.{tool} must be a non-empty list", where=where
            )
        found: list[Fixture] = []
        for i, entry in enumerate(entries):
            at = f"case {case_id}: fixtures.{tool}[{i}]"
            if not isinstance(entry, dict) or "result" not in entry:
                raise SuiteError(f"{at} needs a result", where=where)
            extra = sorted(set(entry) - {"arguments", "result"})
            if extra:
                raise SuiteError(
                    f"{at}: unknown key(s) {', '.join(extra)}; allowed: arguments, result",
                    where=where,
                )
            arguments = entry.get("arguments")
            if arguments is not None and not isinstance(arguments, dict):
                raise SuiteError(f"{at}: arguments must be an object", where=where)
            result = entry["result"]
            text = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
            found.append(Fixture(result=text, arguments=arguments))
        out[str(tool)] = tuple(found)
    return out
