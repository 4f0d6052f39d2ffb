"""Reading suite files with line numbers: YAML documents and JSONL/CSV datasets.

Every error names ``file:line``. YAML is read with the safe loader, without anchors or
aliases (a few aliased lines can expand into gigabytes once hashed or rendered).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

import yaml

from promptcompat.errors import SuiteError

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_FILE_BYTES = 50_000_000
"""Largest dataset file."""
MAX_YAML_BYTES = 1_000_000
"""Largest prompt or version file (PyYAML is slow, and a prompt is never this big)."""
MAX_JSON_DEPTH = 100
"""Deepest nesting of arrays and objects in a JSON file we read (dataset rows, snapshot
files, prompts.lock). Far beyond what a case needs; far below Python's recursion limit, which
the decoder (about 990 levels from the top of a command) and everything that later walks the
value (rendering, hashing, storing) would otherwise each reach at a different depth."""


class YamlFile:
    """A parsed YAML mapping that remembers the line of each key and list item."""

    def __init__(self, path: Path, where: str) -> None:
        self.where = where
        text = read_text(path, where, max_bytes=MAX_YAML_BYTES)
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                self._no_aliases(node)
            self.data: Any = loader.construct_document(node) if node is not None else None
        except RecursionError:
            raise SuiteError("YAML nested too deeply", where=where) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc)
            context = getattr(exc, "context", None)
            detail = f"{problem} ({context})" if context else problem
            if context and "flow" in context:
                # PyYAML reads [a:b?c] as a mapping: targets in flow lists need quotes.
                detail += "; in [...] and {...} quote strings containing ':' or '?'"
            raise SuiteError(f"invalid YAML: {detail}", where=f"{where}{line}") from None
        finally:
            loader.dispose()
        self.node = node
        if not isinstance(self.data, dict):
            raise SuiteError("expected a YAML mapping at the top level", where=where)

    def _no_aliases(self, root: yaml.Node) -> None:
        # Anchors and aliases let a few lines expand into gigabytes when the content is hashed
        # or rendered; prompt files never need them. An alias is a node met twice.
        seen: set[int] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                raise SuiteError(
                    "YAML anchors/aliases are not allowed",
                    where=f"{self.where}:{node.start_mark.line + 1}",
                )
            seen.add(id(node))
            if isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
            elif isinstance(node, yaml.MappingNode):
                stack.extend(part for pair in node.value for part in pair)

    def at(self, *path: str | int) -> str:
        """``file:line`` of the node reached by ``path`` (keys and list indexes)."""
        node: Any = self.node
        line = 1
        for step in path:
            found = None
            if isinstance(node, yaml.MappingNode):
                found = next((v for k, v in node.value if k.value == step), None)
                key = next((k for k, v in node.value if k.value == step), None)
                line = key.start_mark.line + 1 if key is not None else line
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                found = node.value[step] if step < len(node.value) else None
                line = found.start_mark.line + 1 if found is not None else line
            if found is None:
                break
            node = found
        return f"{self.where}:{line}"

    def content_line(self, *path: str | int) -> int:
        """Line where a scalar's text starts (block scalars start on the next line)."""
        node: Any = self.node
        for step in path:
            if isinstance(node, yaml.MappingNode):
                node = next(v for k, v in node.value if k.value == step)
            else:
                node = node.value[step]
        return int(node.start_mark.line) + (2 if node.style in ("|", ">") else 1)

    def check_keys(self, data: dict[Any, Any], allowed: set[str], *path: str | int) -> None:
        for key in data:
            if key not in allowed:
                raise SuiteError(
                    f"unknown key {key!r}; allowed: {', '.join(sorted(allowed))}",
                    where=self.at(*path, key),
                )


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a crash leaves the old file or the new one.

    The file gets the mode any new file gets (0666 less the umask, so 0644 usually): lock and
    snapshot files are committed and read by others, and ``tempfile.mkstemp`` would make
    them 0600. A symlink at the temporary name is never followed (``O_NOFOLLOW``).
    """
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_text(path: Path, where: str, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """A UTF-8 file's text (a BOM is dropped); errors name ``where`` and the line."""
    try:
        if path.stat().st_size > max_bytes:
            raise SuiteError(f"file is larger than {max_bytes} bytes", where=where)
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SuiteError("file not found", where=where) from None
    except OSError as exc:
        raise SuiteError(f"cannot read file: {exc}", where=where) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SuiteError("file is not valid UTF-8", where=f"{where}:{line}") from None


def typed(
    doc: YamlFile, data: dict[str, Any], key: str, kind: Any, default: Any, *path: str | int
) -> Any:
    """``data[key]`` checked against ``kind``; ``default`` None means the key is required."""
    if key not in data:
        if default is None:
            raise SuiteError(f"missing required key {key!r}", where=doc.at(*path))
        return default
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise SuiteError(f"{key!r} must be a {names}", where=doc.at(*path, key))
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(text: str, where: str, *, first_line: int = 1, strict: bool = False) -> Any:
    """``json.loads`` of ``text``, refusing nesting deeper than ``MAX_JSON_DEPTH``.

    ``strict`` also refuses NaN and Infinity. Decoding errors propagate as ``ValueError``
    (each caller words them); too deep is a ``SuiteError`` at ``where:line``, the line where
    the nesting passes the limit (``first_line`` is the line ``text`` starts on).
    """
    try:
        value = json.loads(text, parse_constant=_reject_constant if strict else None)
    except RecursionError:
        value = None
    else:
        if not _deeper_than(value, MAX_JSON_DEPTH):
            return value
    line = first_line + text.count("\n", 0, _depth_exceeded_at(text, MAX_JSON_DEPTH))
    raise SuiteError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", where=f"{where}:{line}")


def _deeper_than(value: Any, limit: int) -> bool:
    # Iterative, so that checking a value cannot itself exceed the recursion limit.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _depth_exceeded_at(text: str, limit: int) -> int:
    """Offset of the bracket that opens level ``limit + 1`` (strings skipped), or the end."""
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > limit:
                return token.start()
        elif bracket in ("]", "}"):
            depth -= 1
    return len(text)


def parse_jsonl(text: str, where: str) -> list[tuple[Any, str]]:
    """The rows of a JSONL dataset, each with its ``file:line``."""
    rows = []
    # split("\n"), not splitlines(): JSON strings may hold U+2028, which splitlines() splits on.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = parse_json(line, where, first_line=number, strict=True)
        except ValueError as exc:  # JSONDecodeError, NaN, integers past the digit limit
            raise SuiteError(f"invalid JSON: {exc}", where=f"{where}:{number}") from None
        rows.append((row, f"{where}:{number}"))
    return rows


def parse_csv(text: str, where: str) -> list[tuple[Any, str]]:
    """The rows of a CSV dataset as case objects (``id``, ``vars``, ``reference``)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[tuple[Any, str]] = []
    line = 1
    try:
        for row in reader:
            start, line = line, reader.line_num + 1
            if not row or not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip() for cell in row]
                names = [h for h in header if h not in ("id", "reference")]
                bad = [h for h in names if not IDENTIFIER.fullmatch(h)]
                if "id" not in header or len(set(header)) != len(header) or bad:
                    raise SuiteError(
                        "the header needs an `id` column, unique names, and variable names that "
                        f"are identifiers (bad: {', '.join(bad) or 'none'})",
                        where=f"{where}:{start}",
                    )
                continue
            if len(row) != len(header):
                raise SuiteError(
                    f"expected {len(header)} columns ({', '.join(header)}), got {len(row)}",
                    where=f"{where}:{start}",
                )
            record = dict(zip(header, row, strict=True))
            case_row: dict[str, Any] = {"id": record.pop("id").strip()}
            reference = record.pop("reference", "")
            if reference != "":
                case_row["reference"] = reference
            case_row["vars"] = record
            rows.append((case_row, f"{where}:{start}"))
    except csv.Error as exc:
        raise SuiteError(f"invalid CSV: {exc}", where=f"{where}:{line}") from None
    return rows
