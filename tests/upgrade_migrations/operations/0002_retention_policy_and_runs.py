from importlib import import_module

Migration = import_module("helpline.operations.migrations.0002_retention_policy_and_runs").Migration
