"""How many SMS parts a text takes: GSM-7 (160 a single message, 153 a part) or, for anything
outside GSM-7 such as Khmer, UCS-2 (70 a single message, 67 a part)."""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")  # each takes two septets


@dataclass(frozen=True)
class SmsParts:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    parts: int
    per_part: int


def sms_parts(text: str) -> SmsParts:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-be")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if units <= single:
        return SmsParts(encoding, units, 1 if units else 0, single)
    return SmsParts(encoding, units, -(-units // multi), multi)
