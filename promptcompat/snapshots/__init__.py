"""Snapshots as files (``snapshots/``), pending files, and reviewers' accept/reject decisions."""

from __future__ import annotations
