"""The periodic jobs the installed apps declare in their `jobs.py` (see helpline.common.periodic)."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule

from helpline.common.periodic import Periodic


def periodic_jobs() -> list[Periodic]:
    found: list[Periodic] = []
    for config in apps.get_app_configs():
        if config.name.startswith("helpline.") and module_has_submodule(config.module, "jobs"):
            module = import_module(f"{config.name}.jobs")
            found.extend(getattr(module, "PERIODIC", []))
    names = [job.name for job in found]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ValueError(f"periodic jobs declared twice: {sorted(duplicates)}")
    return found
