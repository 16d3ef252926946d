"""Starting risk signals in Khmer and English (with Khmer typed in Latin letters), added to a new
installation after migrate; supervisors edit or retire them on the Risk signals page. A later release
that improves them updates only the signals a supervisor has not edited (a migration compares each
with what was shipped before). "phrase = 5" gives one phrase its own weight; exclusions are idioms and
everyday words that contain a phrase but mean something else (../shared reading: khmer-triage.md)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class DefaultSignal:
    code: str
    label_km: str
    label_en: str
    weight: int
    phrases_km: str
    phrases_en: str
    exclusions: str = ""


def _lines(*items: str) -> str:
    return "\n".join(items)


SIGNALS = [
    DefaultSignal(
        "suicide",
        "គំនិតធ្វើអត្តឃាត",
        "Suicide",
        20,
        _lines(
            "ខ្ញុំចង់ស្លាប់",
            "ខ្ញុំចង់ងាប់",
            "សម្លាប់ខ្លួន",
            "ធ្វើអត្តឃាត",
            "ការអត្តឃាត",
            "ខ្ញុំមិនចង់រស់",
            "លែងចង់រស់",
            "អត់ចង់រស់",
            "អស់សង្ឃឹម = 10",
            "ធុញនឹងជីវិត",
            "ស្លាប់ទៅល្អជាង",
            "ងាប់ទៅល្អជាង",
            "ផឹកថ្នាំពុល",
            "ថ្នាំពុល = 15",
            "ថ្នាំសម្លាប់សត្វល្អិត",
            "លេបថ្នាំ = 10",
            "ចងក",
            "លោតពីលើស្ពាន",
            "លោតស្ពាន",
            "មិនចង់ភ្ញាក់",
            "មិនភ្ញាក់ទៀត",
            "សំបុត្រលា",
            "ថ្ងៃចុងក្រោយរបស់ខ្ញុំ",
        ),
        _lines(
            "suicide",
            "kill myself",
            "want to die",
            "wanna die",
            "end my life",
            "end it all",
            "no reason to live",
            "don't want to live",
            "dont want to live",
            "better off without me",
            "better off dead",
            "if i was gone",
            "knhom chong slab",
            "knhom jong slab",
            "knhom chong ngab",
            "knhom jong ngab",
            "ot chong rus",
            "ot jong rus",
            "min chong rus",
            "somlab khluon",
            "os songkhum = 10",
            "min chong phnheak",
            "ot chong phnheak",
            "ngab tov srual",
            "slab tov l'or",
            "pesticide",
        ),
        _lines(
            "សើចចង់ស្លាប់",
            "សើចចង់ងាប់",
            "ក្ដៅចង់ស្លាប់",
            "ក្ដៅចង់ងាប់",
            "ហត់ចង់ស្លាប់",
            "ហត់ចង់ងាប់",
            "ខ្មាសចង់ស្លាប់",
            "ខ្មាសចង់ងាប់",
            "ឃ្លានចង់ស្លាប់",
            "ឃ្លានចង់ងាប់",
            "អផ្សុកចង់ស្លាប់",
            "ងុយចង់ស្លាប់",
            "ស្រលាញ់គេចង់ស្លាប់",
            "die of embarrassment",
            "want to die of",
            "dying to",
            "serch jong slab",
            "serch chong slab",
            "kdav jong slab",
        ),
    ),
    DefaultSignal(
        "self_harm",
        "ធ្វើបាបខ្លួនឯង",
        "Self-harm",
        15,
        _lines(
            "ធ្វើបាបខ្លួនឯង",
            "ឆូតដៃ",
            "ស្នាមឆូត",
            "វះដៃ",
            "កាត់ដៃខ្លួនឯង",
            "កាត់ដៃ = 5",
            "ដុតដៃខ្លួនឯង",
            "ដាក់ទោសខ្លួនឯង = 10",
            "ស្អប់ខ្លួនឯង = 10",
            "ឈាមខ្លួនឯង = 10",
            "ខាំដៃខ្លួនឯង",
            "គោះក្បាលខ្លួនឯង",
            "ចាក់ដៃ = 10",
        ),
        _lines(
            "self harm",
            "self-harm",
            "cut myself",
            "cutting myself",
            "hurt myself",
            "punish myself",
            "burn myself",
            "till they bleed",
            "blade = 10",
            "chhut dai",
            "kat dai khluon eng",
            "tver bab khluon eng",
        ),
        _lines("what is self harm", "ធ្វើបាបខ្លួនឯងដោយលេង"),
    ),
    DefaultSignal(
        "sexual_abuse",
        "ការរំលោភបំពានផ្លូវភេទ",
        "Sexual abuse",
        15,
        _lines(
            "រំលោភ",
            "ចាប់រំលោភ",
            "រំលោភខ្ញុំ",
            "រំលោភបំពានផ្លូវភេទ",
            "ស្ទាប",
            "ស្ទាបខ្លួនខ្ញុំ",
            "ស្ទាបទ្រូង",
            "ប្រដាប់ភេទ",
            "រួមភេទ = 10",
            "ប៉ះពាល់ខ្លួនខ្ញុំ",
            "ដោះខោអាវខ្ញុំ",
            "ដាក់ដៃក្នុងខោ",
            "កន្លែងឯកជន = 10",
        ),
        _lines(
            "rape",
            "raped",
            "sexual abuse",
            "touched me",
            "touches me",
            "molested",
            "our secret",
            "romlop",
            "romlup",
            "romlob",
            "ruom phet = 10",
        ),
        _lines("ស្ទាបស្ទង់", "តើរំលោភបំពានផ្លូវភេទមានន័យ", "ព័ត៌មានពីការចាប់រំលោភ", "ruom phet mean sovatthiphap"),
    ),
    DefaultSignal(
        "violence_at_home",
        "អំពើហិង្សាក្នុងគ្រួសារ",
        "Violence at home",
        10,
        _lines(
            "វាយខ្ញុំ",
            "ឪពុកវាយ",
            "ម្ដាយវាយ",
            "ម៉ាក់វាយ",
            "ម៉ែវាយ",
            "ប៉ាវាយ",
            "ពុកវាយ",
            "វាយដំ",
            "ដាល់ខ្ញុំ",
            "ទាត់ខ្ញុំ",
            "ទះកំផ្លៀង",
            "ខ្សែក្រវាត់ = 5",
            "វ៉ៃ",
            "ធ្វើបាបខ្ញុំ",
            "ស្នាមជាំ = 5",
        ),
        _lines(
            "beats me",
            "beat me",
            "hits me",
            "hit me",
            "father hits",
            "mother hits",
            "kicked me",
            "choked me",
            "slaps me",
            "veay knhom",
            "vay knhom",
            "pa veay",
            "mak veay",
        ),
        _lines("វាយកូនឃ្លី", "វាយពង", "veay kon khli"),
    ),
    DefaultSignal(
        "trafficking",
        "ការជួញដូរមនុស្ស",
        "Trafficking",
        15,
        _lines(
            "ជួញដូរមនុស្ស",
            "លក់ខ្ញុំ",
            "យកលិខិតឆ្លងដែន",
            "លិខិតឆ្លងដែនខ្ញុំ",
            "មិនឱ្យចេញ = 10",
            "អត់ឱ្យចេញ = 10",
            "មេខ្យល់ = 10",
            "ស្កែម = 10",
            "ស្កេម = 10",
            "លក់ខ្លួន",
            "ឃុំខ្លួន",
            "ជំពាក់ = 5",
        ),
        _lines(
            "trafficked",
            "sold me",
            "took my passport",
            "keep my passport",
            "hold my passport",
            "not allowed to leave",
            "can never leave",
            "scam people",
            "took our phones",
            "yok passport",
            "ot oy chenh",
            "min oy chenh",
            "kanleng scam",
        ),
        _lines("មិនឱ្យចេញក្រៅពេលយប់", "មេខ្យល់លក់ដី", "ស្កែមលុយ", "ត្រូវគេស្កែម"),
    ),
    DefaultSignal(
        "running_away",
        "រត់ចេញពីផ្ទះ",
        "Running away",
        10,
        _lines(
            "រត់ចេញពីផ្ទះ",
            "រត់ចោលផ្ទះ",
            "គ្មានកន្លែងស្នាក់នៅ",
            "អត់មានកន្លែងនៅ",
            "គ្មានកន្លែងដេក",
            "ដេកតាមផ្លូវ",
            "ដេកក្រោមស្ពាន",
            "ដេញខ្ញុំចេញ",
            "បណ្ដេញខ្ញុំចេញ",
            "ចេញពីផ្ទះជារៀងរហូត",
            "មិនហ៊ានត្រឡប់ទៅផ្ទះ",
        ),
        _lines(
            "ran away",
            "run away",
            "running away",
            "left home",
            "kicked me out",
            "nowhere to sleep",
            "nowhere to stay",
            "sleeping on the street",
            "sleeping in the park",
            "rot chenh pi ptes",
            "rot chaol ptes",
            "kanleng snak nov",
            "deik tam plov",
            "ot mean kanleng deik",
        ),
        _lines("ដេកតាមផ្លូវក្នុងឡាន", "ឆ្កែខ្ញុំរត់ចេញពីផ្ទះ", "ឆ្មាខ្ញុំរត់ចេញពីផ្ទះ"),
    ),
    DefaultSignal(
        "online_exploitation",
        "ការកេងប្រវ័ញ្ចផ្លូវភេទតាមអនឡាញ",
        "Online sexual exploitation",
        15,
        _lines(
            "រូបអាក្រាត",
            "រូបស្រាត",
            "វីដេអូអាក្រាត",
            "អាក្រាត = 10",
            "មិនស្លៀកពាក់",
            "ដោះអាវ = 10",
            "ផុសរូប = 3",
            "បង្ហោះរូប = 3",
            "បង្ហោះវីដេអូខ្ញុំ",
            "គំរាម = 5",
            "ថតខ្លួន = 5",
            "សុំរូប = 5",
        ),
        _lines(
            "nudes",
            "leak my pics",
            "naked pics",
            "pics of me",
            "without my shirt",
            "in my underwear",
            "roub srat",
            "roub akrat",
            "roub ahkrat",
            "kom ream = 5",
            "phos roub = 3",
        ),
        _lines("អាក្រាតកំពូល"),
    ),
    DefaultSignal(
        "immediate_danger",
        "គ្រោះថ្នាក់ភ្លាមៗ",
        "Immediate danger",
        20,
        _lines(
            "ជួយខ្ញុំផង",
            "ជួយផង = 5",
            "នឹងសម្លាប់ខ្ញុំ",
            "កំពុងវាយខ្ញុំ",
            "ចាក់សោខ្ញុំ",
            "ឃុំខ្ញុំ",
            "កាំភ្លើង = 10",
            "កាំបិតដេញ",
            "ភ្លើងឆេះផ្ទះ",
            "ដើរតាមខ្ញុំ = 10",
            "មិនដឹងខ្លួន = 10",
        ),
        _lines(
            "help me now",
            "he will kill me",
            "will kill me",
            "hitting me now",
            "locked in",
            "in danger",
            "following me",
            "not breathing",
            "jouy knhom phong",
            "jouy phong = 5",
        ),
    ),
]


CONTENT_FIELDS = ("label_km", "label_en", "weight", "phrases_km", "phrases_en", "exclusions")


def digest(values: dict[str, object]) -> str:
    """A fingerprint of a signal's words: equal while nobody has edited what was shipped."""
    text = "\x1f".join(str(values.get(name, "")).replace("\r\n", "\n").strip() for name in CONTENT_FIELDS)
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_default_signals() -> tuple[int, int]:
    """Add the default signals a installation lacks, and bring to this release's words those a
    supervisor has not edited (their words still match what was shipped). Returns (created, updated).
    A supervisor's edit (or own signal) is never touched; retiring a signal is not an edit of its words."""
    from helpline.routing.models import RiskSignal

    now = timezone.now()
    created = updated = 0
    for signal in SIGNALS:
        shipped = {name: getattr(signal, name) for name in CONTENT_FIELDS}
        row = RiskSignal.objects.filter(code=signal.code).first()
        if row is None:
            RiskSignal.objects.create(
                code=signal.code, **shipped, shipped_digest=digest(shipped), created_at=now, updated_at=now
            )
            created += 1
            continue
        current = {name: getattr(row, name) for name in CONTENT_FIELDS}
        unedited = bool(row.shipped_digest) and row.shipped_digest == digest(current)
        if unedited and row.shipped_digest != digest(shipped):
            for name, value in shipped.items():
                setattr(row, name, value)
            row.shipped_digest = digest(shipped)
            row.save()
            updated += 1
    return created, updated
