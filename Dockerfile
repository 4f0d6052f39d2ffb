# The one image of the deployment: api (`serve`), worker, beat, migrate, and the demo simulator
# all run `promptcompat <command>` (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Dependencies first, so editing a prompt or a module does not reinstall them.
COPY pyproject.toml README.md ./
COPY promptcompat ./promptcompat
COPY api ./api
COPY worker ./worker
RUN pip install ".[postgres]"

# The example suite; a deployment mounts its own prompts/ over it.
COPY prompts ./prompts

# Celery refuses nothing as root but warns; nothing here needs root.
RUN useradd --create-home --uid 10001 promptcompat && mkdir /data && chown promptcompat /data
USER promptcompat
ENV PROMPTCOMPAT_HOME=/data \
    PROMPTCOMPAT_PROMPTS_DIR=/app/prompts

ENTRYPOINT ["promptcompat"]
CMD ["--help"]
