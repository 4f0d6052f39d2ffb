"""Celery workers for distributed runs: thin over the core (``promptcompat``).

``worker.app`` is the Celery app (``celery -A worker.app worker``), ``worker.tasks`` the
tasks, ``worker.beat`` the periodic schedule, ``worker.publisher`` the core's ``Publisher``
backed by Celery, and ``worker.transport`` the Redis transport that drops malformed messages.
"""
