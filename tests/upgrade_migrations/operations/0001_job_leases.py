"""The real migrations, already applied, so the plan holds only the new one below."""

from importlib import import_module

Migration = import_module("helpline.operations.migrations.0001_job_leases").Migration
