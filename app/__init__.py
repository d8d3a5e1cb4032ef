"""Keel: plan, record and evidence staff supervision. Nothing below this package imports Qt."""

__version__ = "0.1.0"
APP_NAME = "Keel"
