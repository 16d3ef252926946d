"""{% panel p %}: renders a Panel an app below offered (helpline/common/panels.py) inside the page,
with the page's context (request, CSRF token, CSP nonce) beneath the panel's own values. Here in
common, so that any page may render panels offered to it: the console's, and a contact's record
page (contacts.selectors.RECORD_PANELS)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from helpline.common.panels import Panel

register = template.Library()


@register.simple_tag(takes_context=True)
def panel(context: template.Context, given: Panel | None) -> SafeString:
    if given is None:
        return SafeString("")
    assert context.template is not None
    found = context.template.engine.get_template(given.template)
    with context.push(**given.context):
        return SafeString(found.render(context))  # nosec B703 B308  # a template's own escaped output
