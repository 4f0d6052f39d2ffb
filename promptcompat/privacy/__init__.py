"""Personal data and secrets: the detectors and the redactor applied before anything is stored."""

from __future__ import annotations
