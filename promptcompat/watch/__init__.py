"""The release watcher: new models, alias drift, retirements, and notifications."""

from __future__ import annotations
