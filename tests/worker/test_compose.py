"""The deployment files, checked without Docker (which cannot run here): docker-compose.yml
parses, has the services of the full deployment, and every command, option and variable in it
names something that exists (a CLI command, a ``Settings`` field); the Dockerfile installs
what the package needs and the image's files are not ignored away."""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from promptcompat.cli import app as cli_app
from promptcompat.config import Settings
from promptcompat.providers import DEFAULT_KEY_ENV

REPO = Path(__file__).resolve().parents[2]
APP_SERVICES = {"migrate", "api", "worker", "beat", "simulator", "demo"}
PEPPER = "a-test-pepper-of-sixteen-chars+"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((REPO / "docker-compose.yml").read_text("utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}`` (braces may nest)."""
    out, i = [], 0
    while (start := value.find("${", i)) >= 0:
        out.append(value[i:start])
        depth, j = 1, start + 2
        while depth:
            depth += {"{": 1, "}": -1}.get(value[j], 0)
            j += 1
        body = value[start + 2 : j - 1]
        name, op, rest = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(?::([-?]))?(.*)", body).groups()  # type: ignore[union-attr]
        if name in env and env[name] != "":
            out.append(env[name])
        elif op == "-":
            out.append(interpolate(rest, env))
        elif op == "?":
            raise KeyError(f"{name}: {rest}")
        else:
            out.append("")
        i = j
    return "".join(out) + value[i:]


def command_tree() -> Any:
    # Typer's own group class (not necessarily a click.Group subclass): duck-typed below.
    group = typer.main.get_command(cli_app)
    assert hasattr(group, "commands")
    return group


def check_cli(argv: list[str]) -> None:
    """``argv`` (after ``promptcompat``) names a real command and only its real options."""
    command = command_tree()
    words = list(argv)
    while hasattr(command, "commands"):
        name = words.pop(0)
        assert name in command.commands, f"no command {name!r} in {argv}"
        command = command.commands[name]
    options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
    for word in words:
        if word.startswith("-"):
            assert word.split("=")[0] in options, f"{command.name} has no option {word}"


def services_of(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services = compose["services"]
    assert isinstance(services, dict)
    return services


def test_the_full_deployment_is_there(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    assert set(services) == {"redis", "postgres", *APP_SERVICES}
    assert services["redis"]["image"].startswith("redis:7")
    assert services["postgres"]["image"].startswith("postgres:")
    for name in APP_SERVICES:
        # One image for every process, built from this repository's Dockerfile.
        assert services[name]["build"] == "." and services[name]["image"] == "promptcompat:latest"
    redis_cmd = services["redis"]["command"]
    # A Redis crash keeps queued tasks (RELIABILITY.md M8-M10); a full Redis never evicts one.
    for flag, value in (
        ("--appendonly", "yes"),
        ("--appendfsync", "everysec"),
        ("--maxmemory-policy", "noeviction"),
    ):
        assert redis_cmd[redis_cmd.index(flag) + 1] == value
    assert any(v.endswith(":/data") for v in services["redis"]["volumes"])  # the AOF survives


def test_migration_runs_once_before_anything_uses_the_store(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    migrate = services["migrate"]
    assert migrate["command"] == ["migrate"] and migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("api", "worker", "beat", "demo"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully", name
        assert needs["redis"]["condition"] == "service_healthy", name
    assert "healthcheck" in services["redis"] and "healthcheck" in services["postgres"]


def test_worker_scales_and_beat_is_single(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    worker, beat = services["worker"], services["beat"]
    assert "replicas" not in worker.get("deploy", {}) and "container_name" not in worker
    assert beat["deploy"]["replicas"] == 1  # two beats would schedule everything twice
    # The warm shutdown gets longer than worker_soft_shutdown_timeout before SIGKILL.
    grace = int(str(worker["stop_grace_period"]).rstrip("s"))
    assert grace > Settings().worker_soft_shutdown_timeout
    # The simulator (any key accepted) and its demo run only exist in the demo profile.
    for name in ("simulator", "demo"):
        assert services[name]["profiles"] == ["demo"]
    for name in set(services) - {"simulator", "demo"}:
        assert "profiles" not in services[name], name


def test_every_command_is_a_real_cli_command(compose: dict[str, Any]) -> None:
    dockerfile = (REPO / "Dockerfile").read_text("utf-8")
    assert 'ENTRYPOINT ["promptcompat"]' in dockerfile
    checked = 0
    for name, service in services_of(compose).items():
        if name not in APP_SERVICES:
            continue
        command = service["command"]
        if service.get("entrypoint") == ["sh", "-c"]:
            # A shell line: every program it starts must be ``promptcompat <command>``.
            (line,) = command
            for part in re.split(r"&&|&|;", line):
                words = shlex.split(part)
                words = words[1:] if words[:1] == ["exec"] else words
                assert words[0] == "promptcompat", part
                check_cli(words[1:])
                checked += 1
        else:
            assert "entrypoint" not in service
            check_cli(command)
            checked += 1
    assert checked == 7


def compose_env(service: dict[str, Any]) -> dict[str, str]:
    given = {"PROMPTCOMPAT_API_TOKEN_PEPPER": PEPPER}
    return {k: interpolate(str(v), given) for k, v in service["environment"].items()}


def test_every_variable_is_a_real_setting(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = set(Settings.model_fields)
    sdk_keys = set(DEFAULT_KEY_ENV.values())
    for name, service in services_of(compose).items():
        if name not in APP_SERVICES:
            continue
        env = compose_env(service)
        for key in env:
            if key.startswith("PROMPTCOMPAT_"):
                assert key.removeprefix("PROMPTCOMPAT_").lower() in fields, f"{name}: {key}"
            else:
                assert key in sdk_keys, f"{name}: {key} is neither a setting nor an SDK key"
        # The values are valid settings (types, the production checks on the pepper).
        for key in list(os.environ):
            if key.startswith("PROMPTCOMPAT_"):
                monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = Settings()
        assert settings.environment == "prod"
        assert settings.resolved_database_url().startswith("postgresql+psycopg://")
        assert settings.redis_url == "redis://redis:6379/0"
    with pytest.raises(KeyError, match="PROMPTCOMPAT_API_TOKEN_PEPPER"):
        interpolate(services_of(compose)["api"]["environment"]["PROMPTCOMPAT_API_TOKEN_PEPPER"], {})


def test_the_api_executes_on_the_queue_and_the_demo_on_its_own(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    assert compose_env(services["api"])["PROMPTCOMPAT_API_EXECUTOR"] == "queue"
    sim, demo = compose_env(services["simulator"]), compose_env(services["demo"])
    assert sim["PROMPTCOMPAT_QUEUE"] == demo["PROMPTCOMPAT_QUEUE"] == "demo"
    assert "PROMPTCOMPAT_QUEUE" not in compose_env(services["worker"])
    port = re.search(r"simulate --port (\d+)", services["simulator"]["command"][0])
    assert port is not None
    assert sim["PROMPTCOMPAT_OPENAI_BASE_URL"] == f"http://127.0.0.1:{port[1]}/v1"
    assert sim["PROMPTCOMPAT_ANTHROPIC_BASE_URL"] == f"http://127.0.0.1:{port[1]}"


def test_the_image_gets_every_file_the_package_needs() -> None:
    dockerfile = (REPO / "Dockerfile").read_text("utf-8")
    ignored = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copied = [
        src
        for line in dockerfile.splitlines()
        if line.startswith("COPY ")
        for src in line.split()[1:-1]
    ]
    for src in copied:
        assert (REPO / src).exists(), src
        assert not any(fnmatch.fnmatch(src, pattern) for pattern in ignored), src
    assert {"promptcompat", "api", "worker", "pyproject.toml"} <= set(copied)
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    assert 'pip install ".[postgres]"' in dockerfile
    assert any("psycopg" in d for d in pyproject["project"]["optional-dependencies"]["postgres"])
    # A non-editable install keeps only the package data pyproject lists: migrations, the
    # price table, templates... Every non-Python file of the packages must be listed.
    data = pyproject["tool"]["setuptools"]["package-data"]
    for package in ("promptcompat", "api", "worker"):
        root = REPO / package
        for path in root.rglob("*"):
            if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(root).as_posix()
            patterns = data.get(package, [])
            assert any(fnmatch.fnmatch(relative, p) for p in patterns), f"{package}/{relative}"
