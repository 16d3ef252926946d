"""Text contrast at least 4.5:1 (WCAG AA for normal text), computed from the colours the style
sheets declare: the staff pages' helpline.css and the chat widget's own sheet. A rule's text colour
is checked against its own background when it declares one, and otherwise against every
background the sheet declares on the other side of light and dark (dark text on each light
surface, light text on each dark one), since such a rule may be used on any of them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAFF_CSS = ROOT / "helpline" / "static" / "helpline" / "helpline.css"
WIDGET_JS = ROOT / "helpline" / "conversations" / "widget" / "chat-widget.js"
PAGE_BACKGROUNDS = ["#fff"]  # the body's and the panels' own; the sheet adds var(--bg)
MINIMUM = 4.5
HEX = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted([luminance(a), luminance(b)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


@dataclass(frozen=True)
class Rule:
    selector: str
    colour: str | None
    background: str | None


def rules_of(css: str) -> list[Rule]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    css = re.sub(r"@media[^{]*\{", "", css)  # the rules inside count as any other
    variables = dict(re.findall(r"(--[\w-]+)\s*:\s*([^;}]+)", css))
    found = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        body = re.sub(r"var\((--[\w-]+)\)", lambda m: variables.get(m[1], m[0]).strip(), body)
        declarations = {
            name.strip().lower(): value.strip()
            for name, _colon, value in (d.partition(":") for d in body.split(";"))
            if _colon
        }
        colour = HEX.search(declarations.get("color", "") or "")
        background = HEX.search(
            declarations.get("background-color", "") or declarations.get("background", "") or ""
        )
        found.append(
            Rule(selector.strip(), colour[0] if colour else None, background[0] if background else None)
        )
    return found


def failures(rules: list[Rule], page_backgrounds: list[str], *, text: str | None = None) -> list[str]:
    """Every rule's text on its possible backgrounds; `text`, the colour inherited from the body,
    on each background declared without a text colour of its own."""
    backgrounds = set(page_backgrounds) | {r.background for r in rules if r.background}
    problems = []
    for rule in rules:
        if rule.colour is None:
            if text is not None and rule.background is not None and contrast(text, rule.background) < MINIMUM:
                problems.append(f"{rule.selector}: inherited {text} on {rule.background}")
            continue
        if rule.background is not None:
            against = [rule.background]
        else:
            dark_text = luminance(rule.colour) < 0.5
            against = [b for b in backgrounds if (luminance(b) >= 0.5) == dark_text]
        for background in against:
            ratio = contrast(rule.colour, background)
            if ratio < MINIMUM:
                problems.append(f"{rule.selector}: {rule.colour} on {background} is {ratio:.2f}:1")
    return problems


def widget_css() -> str:
    source = WIDGET_JS.read_text()
    start = source.index("var css =")
    end = source.index(";\n", start)
    return "".join(re.findall(r"'([^']*)'", source[start:end]))


def test_contrast_is_computed_as_wcag_says() -> None:
    assert contrast("#000", "#fff") == pytest.approx(21)
    assert contrast("#fff", "#fff") == pytest.approx(1)
    assert contrast("#777", "#fff") == pytest.approx(4.48, abs=0.01)  # the classic near miss
    # A pale colour on a pale background is caught, with or without a declared background.
    assert failures(rules_of(".a { color: #999; background: #fff; }"), []) != []
    assert failures(rules_of(":root { --x: #999; } .b { color: var(--x); }"), ["#f6f7f9"]) != []
    assert failures(rules_of(".c { background: #555; }"), [], text="#000") != []


def test_the_staff_pages_text_has_contrast_enough() -> None:
    css = STAFF_CSS.read_text()
    rules = rules_of(css)
    page_background = re.search(r"--bg:\s*(#[0-9a-fA-F]+)", css)
    assert page_background is not None
    assert sum(1 for r in rules if r.colour) > 10  # the sheet was read
    [body] = [r for r in rules if r.selector == "body"]
    assert failures(rules, [*PAGE_BACKGROUNDS, page_background[1]], text=body.colour) == []


def test_the_chat_widget_text_has_contrast_enough() -> None:
    rules = rules_of(widget_css())
    assert sum(1 for r in rules if r.colour) > 5
    [panel] = [r for r in rules if r.selector == ".panel"]
    assert failures(rules, PAGE_BACKGROUNDS, text=panel.colour) == []
