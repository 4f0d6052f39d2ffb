"""What the release watcher watches: families per prompt, provider accounts, retirements.

- ``watch:`` in a prompt's ``prompt.yaml`` lists model-id globs (``[gpt-4o*]``); the
  ``watch_families`` setting adds globs for every prompt.
- The accounts polled are those the watched prompts' pinned targets call: provider, base URL
  and key variable (``openai``, ``anthropic``, ``openai-compatible@<base_url>``).
- ``prompts/targets.yaml`` declares retirements::

      deprecations:
        - target: openai:gpt-4o-2024-05-13
          retires: 2027-01-31
          successor: openai:gpt-4o-2024-08-06

Every problem is a ``SuiteError`` naming ``file:line``.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from promptcompat.config import Settings
from promptcompat.errors import ConfigError, SuiteError
from promptcompat.providers import base_url_for, key_env_for
from promptcompat.replay.plan import FORWARD_MODES
from promptcompat.suite import Prompt, Suite
from promptcompat.suite.files import YamlFile
from promptcompat.suite.targets import NO_KEY, Target, parse_target


@dataclass(frozen=True)
class Account:
    """One provider account: where its model list is, and which key reads it."""

    name: str
    provider: str
    base_url: str | None
    api_key_env: str | None
    """None: the endpoint needs no key (``api_key=none``)."""


@dataclass(frozen=True)
class Watched:
    """A prompt the watcher replays: its pinned target and the globs of its families."""

    prompt: str
    pinned: str
    """The full pinned target string (connection parameters included)."""
    target: Target
    account: Account
    globs: tuple[str, ...]

    def matches(self, model_id: str) -> bool:
        return any(fnmatch.fnmatchcase(model_id, glob) for glob in self.globs)


def account_for(target: Target, settings: Settings) -> Account:
    base_url = base_url_for(target, settings)
    key_env = key_env_for(target)
    name: str = target.provider
    if target.provider == "openai-compatible":
        name = f"openai-compatible@{base_url}"
    elif target.api_key_env:
        name = f"{target.provider}#{target.api_key_env}"
    return Account(name=name, provider=target.provider, base_url=base_url, api_key_env=key_env)


def prompt_globs(prompt: Prompt, root: Path) -> tuple[str, ...]:
    """The ``watch:`` globs of a prompt's ``prompt.yaml`` (already checked by the loader to
    be an allowed key; checked here to be a list of strings)."""
    where = f"{root.resolve().name}/{prompt.name}/prompt.yaml"
    doc = YamlFile(prompt.path / "prompt.yaml", where)
    value = doc.data.get("watch")
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SuiteError("watch: must be a list of model-id globs", where=doc.at("watch"))
    return tuple(value)


def watched_prompts(suite: Suite, settings: Settings) -> list[Watched]:
    """Prompts with a watched family that replay FORWARD (a new model concerns only them)."""
    out: list[Watched] = []
    for prompt in suite.prompts.values():
        if prompt.mode not in FORWARD_MODES:
            continue
        globs = (*prompt_globs(prompt, suite.root), *settings.watch_families)
        target = parse_target(prompt.pinned)
        out.append(
            Watched(
                prompt=prompt.name,
                pinned=prompt.pinned,
                target=target,
                account=account_for(target, settings),
                globs=tuple(dict.fromkeys(globs)),
            )
        )
    return out


def accounts(watched: list[Watched]) -> list[Account]:
    """The distinct accounts of the prompts that watch a family."""
    seen: dict[str, Account] = {}
    for w in watched:
        if w.globs:
            seen.setdefault(w.account.name, w.account)
    return list(seen.values())


def with_model(pinned: str, model: str) -> str:
    """The pinned target string with another model: same parameters, same account."""
    target = parse_target(pinned)
    # The label's query has the sampling parameters as the target string spells them.
    query = parse_qsl(target.label.partition("?")[2])
    if target.base_url:
        query.append(("base_url", target.base_url))
    if target.api_key_env:
        query.append(("api_key_env", target.api_key_env))
    if target.keyless:
        query.append(("api_key", NO_KEY))
    spec = f"{target.provider}:{model}" + (f"?{urlencode(query, safe=':/')}" if query else "")
    parse_target(spec)  # a model id with '?' or '&' cannot form a target
    return spec


def check_model_id(model_id: str, where: str) -> str:
    """A model id as listed or announced: printable, no spaces, at most 200 characters."""
    if not model_id or len(model_id) > 200 or not model_id.isprintable() or " " in model_id:
        raise ConfigError("a model id is 1-200 printable characters without spaces", where=where)
    if any(c in model_id for c in "?&#"):
        raise ConfigError("a model id cannot contain '?', '&' or '#'", where=where)
    return model_id
