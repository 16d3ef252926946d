"""{{ event.action|action_label }}, {{ event.reason|reason_label }}, {{ event.role|role_label }},
{{ event.record_type|record_type_label }}."""

from __future__ import annotations

from django import template

from helpline.audit import labels

register = template.Library()
register.filter("action_label", labels.action_label)
register.filter("reason_label", labels.reason_label)
register.filter("role_label", labels.role_label)
register.filter("record_type_label", labels.record_type_label)
