"""{% load console %}: the console's templates' name for common's {% panel %} tag
(helpline/common/templatetags/panels.py), which other pages load as {% load panels %}."""

from __future__ import annotations

from django import template

from helpline.common.templatetags.panels import panel

register = template.Library()
register.simple_tag(panel, takes_context=True)
