"""Khmer texts follow the project's Khmer glossary (../shared/reference/khmer-glossary.md).

Checked mechanically, in the catalogue's msgstrs and in the Khmer literals of the code and templates:
dictionary spelling (coeng ដ where the Chuon Nath dictionary has it, coeng ត where it belongs), one
term per concept, the glossary's corrections, a child addressed as ប្អូន, and the numbers a child
dials in Latin digits. The corrected code-list labels and automatic replies also reach an existing
installation through data migrations, which change only what still holds the old default.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from tests.test_translations_complete import KM_PO, Entry, parse_po, write_mo

ROOT = Path(__file__).resolve().parent.parent
CODE = ROOT / "helpline"
KHMER = re.compile("[\u1780-\u17ff]")
COENG_DA, COENG_TA = "\u17d2\u178a", "\u17d2\u178f"

# The glossary's spelling list: coeng ដ in these words ...
COENG_DA_WORDS = [
    "ផ្ដល់",
    "ផ្ដាច់",
    "សេចក្ដី",
    "ម្ដង",
    "ចាប់ផ្ដើម",
    "បណ្ដុះបណ្ដាល",
    "ប្ដូរ",
    "សប្ដាហ៍",
    "បណ្ដាញ",
    "បណ្ដោះអាសន្ន",
    "ម្ដាយ",
    "ក្ដី",
]
# ... while coeng ត stays where it belongs (ត្រួតពិនិត្យ is listed too, but has no subscript ត).
COENG_TA_WORDS = ["ខេត្ត", "បន្ត", "វត្តមាន", "មន្ត្រី", "ស្វ័យប្រវត្តិ", "អនុវត្ត"]

# Renderings the glossary replaced: (pattern, why).
FORBIDDEN = [
    ("មិនទាន់មានសុពលភាព", "មិនទាន់ is 'not yet', wrong for an expired check: មិនមានសុពលភាពនៅពេលនេះ"),
    ("មិនមែនឥឡូវនេះ", "'Not now' is ពេលក្រោយ (a calque)"),
    ("ចាកចេញភ្លាម", "'Leave quickly' is ចេញភ្លាម, the word a child uses"),
    ("កូនសោ", "a door key; the authenticator's key is លេខកូដសម្ងាត់"),
    ("ដែលកំពុងបើក", "open cases/contacts are ដែលនៅបើក; កំពុងបើក reads 'being opened'"),
    ("ប៉ះពាល់នឹងរូបភាព", "exposure to pornography: ការឃើញ ឬត្រូវគេបង្ហាញ... (ប៉ះពាល់ = touch)"),
    ("ភាពតានតឹងផ្លូវអារម្មណ៍", "emotional distress is បញ្ហាផ្លូវអារម្មណ៍ (តានតឹង = stress)"),
    ("ភេទភាព", "sexuality is ផ្លូវភេទ"),
    ("ការមិនរាប់បញ្ចូល", "exclusion is ការផាត់ចេញពីសង្គម"),
    ("ហិង្សាលើរាងកាយ", "physical violence is អំពើហិង្សាផ្លូវកាយ"),
    ("ហិង្សាលើផ្លូវចិត្ត", "mental/emotional violence is អំពើហិង្សាផ្លូវចិត្ត"),
    ("ហិង្សាក្នុងផ្ទះ", "domestic violence is អំពើហិង្សាក្នុងគ្រួសារ (the 2005 law's term)"),
    ("អ្នកទូរស័ព្ទ", "the caller (any channel) is អ្នកទាក់ទង"),
    ("ការគំរាមកំហែងជំរិត", "sextortion is ការជំរិតដោយគំរាមផ្សព្វផ្សាយរូបភាពផ្លូវភេទ"),
    ("ការបញ្ឆោតទាក់ទាញ", "grooming is ការលួងលោមកុមារ..."),
    ("រក្សាជាការសម្ងាត់", "'free and confidential' is ឥតគិតថ្លៃ និងរក្សាការសម្ងាត់"),
    ("ម៉ោងឆ្លើយ", "the time answered has one wording: ពេលឆ្លើយ"),
    ("ចាកចេញមុនពេលបានឆ្លើយ", "abandoned has one wording, ផ្ដាច់មុនពេលបានឆ្លើយ (ចាកចេញ is sign out)"),
    ("ជួញដូរ(?!មនុស្ស|គ្រឿងញៀន)", "trafficking is ការជួញដូរមនុស្ស (ជួញដូរ alone is 'to trade')"),
    ("អ្នកត្រួតពិនិត្យ(?!ការងារ)", "supervisor is អ្នកត្រួតពិនិត្យការងារ (ត្រួតពិនិត្យ alone is vetting)"),
    ("ខ្សែទូរស័ព្ទជំនួយ(?!កុមារ)", "the helpline is ខ្សែទូរស័ព្ទជំនួយកុមារ"),
    ("១២៨០|១១៧", "numbers a child dials are in Latin digits: 1280, 117"),
]
# In a msgstr (English code and comments may name it): the name is translated.
LATIN_NAME = ("Helpline", "the helpline's name is Khmer: ខ្សែទូរស័ព្ទជំនួយកុមារ")

# One term per concept: an English source naming the concept has the glossary's Khmer.
TERMS = [
    (r"\bcounsellors?\b", "អ្នកប្រឹក្សា"),
    (r"\bsupervisors?\b", "អ្នកត្រួតពិនិត្យការងារ"),
    (r"\bcase managers?\b", "អ្នកគ្រប់គ្រងករណី"),
    (r"\bcases?\b", "ករណី"),
    (r"\bcontacts?\b", "ទាក់ទង"),
    (r"\bcallers?\b", "អ្នកទាក់ទង"),
    (r"\breferrals?\b|\brefer\b", "បញ្ជូន"),
    (r"\bfollow-up\b", "តាមដាន"),
    (r"\bvetting\b", "ការត្រួតពិនិត្យប្រវត្តិរូប"),
    (r"\bpolice checks?\b", "ការត្រួតពិនិត្យប្រវត្តិឧក្រិដ្ឋកម្ម"),
    (r"\bchild protection policy\b", "គោលនយោបាយការពារកុមារ"),
    (r"\bclient\b", "អតិថិជន"),
    (r"\bhelpline\b", "ខ្សែទូរស័ព្ទជំនួយកុមារ"),
    (r"\brisk signals?\b", "សញ្ញាហានិភ័យ"),
    (r"(?<!non-)\bcritical\b", "បន្ទាន់បំផុត"),
    (r"\burgent\b", "បន្ទាន់"),
    (r"\bphysical violence\b", "អំពើហិង្សាផ្លូវកាយ"),
    (r"\b(?:mental|emotional) violence\b", "អំពើហិង្សាផ្លូវចិត្ត"),
    (r"\bsexual violence\b", "អំពើហិង្សាផ្លូវភេទ"),
    (r"\babuse\b", "រំលោភបំពាន"),
    (r"\bexploitation\b", "កេងប្រវ័ញ្ច"),
    (r"\btraffick", "ការជួញដូរមនុស្ស"),
    (r"\bdomestic violence\b", "អំពើហិង្សាក្នុងគ្រួសារ"),
    (r"\bonline\b", "អនឡាញ"),
    (r"\bsuicid", "អត្តឃាត"),
    (r"\bself-harm", "ធ្វើបាបខ្លួនឯង"),
    (r"\bmental health\b", "សុខភាពផ្លូវចិត្ត"),
    (r"\baudit trail\b", "កំណត់ត្រាសវនកម្ម"),
    (r"\bconsole\b", "ផ្ទាំងការងារ"),
    (r"\bsign(?:ed)?[ -]in\b", "ចូលប្រើ"),
    (r"\bsign(?:ed)? out\b", "ចាកចេញ"),
    (r"\babandon", "ផ្ដាច់"),
]

# Entries that keep a checked wording, with the reason: msgid -> patterns of FORBIDDEN, LATIN_NAME, TERMS.
ALLOWED = {
    # The authenticator app lists the account under its issuer, in Latin (OTP_TOTP_ISSUER).
    "Open your authenticator app and enter the 6 digits it shows for Helpline.": {
        "Helpline",
        r"\bhelpline\b",
    },
}

# Khmer in these files is not ours to spell: it imitates what children type (simulators), or
# it is matched against what they type (risk-signal phrases; that file is reworked separately).
# Migrations keep the old texts they replace.
NOT_SCANNED = {
    "helpline/demo/simulate_chat.py",
    "helpline/demo/management/commands/simulate.py",
    "helpline/routing/default_signals.py",
}


@dataclass(frozen=True)
class KhmerText:
    where: str
    text: str
    source: str = ""  # the English it translates, where known

    def __str__(self) -> str:
        return f"{self.where}: {self.text!r}"


def _catalogue() -> list[Entry]:
    return [entry for entry in parse_po(KM_PO) if not entry.is_header]


def _catalogue_texts() -> list[KhmerText]:
    return [
        KhmerText(str(entry), text, entry.msgid) for entry in _catalogue() for text in entry.msgstr.values()
    ]


def _code_files() -> list[Path]:
    found = []
    for path in sorted(CODE.rglob("*")):
        relative = path.relative_to(ROOT).as_posix()
        if path.suffix not in {".py", ".html", ".js", ".txt"} or "/migrations/" in relative:
            continue
        if relative not in NOT_SCANNED:
            found.append(path)
    return found


def _code_texts() -> list[KhmerText]:
    texts = []
    for path in _code_files():
        relative = path.relative_to(ROOT).as_posix()
        source = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(source)):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and KHMER.search(node.value)
                ):
                    texts.append(KhmerText(f"{relative}:{node.lineno}", node.value))
        else:
            for number, line in enumerate(source.splitlines(), start=1):
                if KHMER.search(line):
                    texts.append(KhmerText(f"{relative}:{number}", line))
    return texts


def _all_texts() -> list[KhmerText]:
    return _catalogue_texts() + _code_texts()


def _misspellings(word: str, wrong: str, right: str) -> re.Pattern[str]:
    """Matches `word` with either subscript wherever the right spelling has `right`."""
    return re.compile(word.replace(right, f"\u17d2[{right[1]}{wrong[1]}]"))


def _spelling_errors(texts: list[KhmerText]) -> list[str]:
    """One error per misspelt subscript (ក្ដី inside សេចក្ដី is one, not two)."""
    errors: dict[tuple[str, int], str] = {}
    checks = [(word, COENG_TA, COENG_DA) for word in COENG_DA_WORDS]
    checks += [(word, COENG_DA, COENG_TA) for word in COENG_TA_WORDS]
    for word, wrong, right in checks:
        pattern = _misspellings(word, wrong, right)
        if word == "បន្ត":  # បន្ដិច / បន្តិច ("a little") is another word
            pattern = re.compile(pattern.pattern + "(?!ិច)")
        for item in texts:
            for match in pattern.finditer(item.text):
                for at in range(match.start(), match.end() - 1):
                    if item.text[at : at + 2] == wrong:
                        errors.setdefault((str(item), at), f"{item}: {match.group()!r} should be {word!r}")
    return list(errors.values())


# --- Spelling ------------------------------------------------------------------------------------------


def test_the_spelling_check_tells_the_two_subscripts_apart() -> None:
    wrong = KhmerText("example", "សេចក្តីសង្ខេប ម្តងទៀត ខេត្ដ")
    right = KhmerText("example", "សេចក្ដីសង្ខេប ម្ដងទៀត ខេត្ត")
    assert len(_spelling_errors([wrong])) == 3
    assert _spelling_errors([right]) == []
    assert COENG_DA_WORDS[0] != COENG_DA_WORDS[0].replace(COENG_DA, COENG_TA)  # the list really has ្ដ


def test_catalogue_spells_the_listed_words_as_the_dictionary_does() -> None:
    errors = _spelling_errors(_catalogue_texts())
    assert not errors, "coeng ដ/ត as the glossary lists them:\n" + "\n".join(errors)


def test_khmer_in_code_and_templates_spells_the_listed_words_as_the_dictionary_does() -> None:
    texts = _code_texts()
    scanned = {item.where.split(":")[0] for item in texts}
    # The scan reaches the texts that matter: code lists, automatic replies, canned replies.
    assert {
        "helpline/contacts/taxonomy_data.py",
        "helpline/conversations/services.py",
        "helpline/demo/management/commands/seed_demo_texts.py",
        "helpline/templates/500.html",
    } <= scanned
    errors = _spelling_errors(texts)
    assert not errors, "coeng ដ/ត as the glossary lists them:\n" + "\n".join(errors)


# --- Terms and corrections -----------------------------------------------------------------------------


def test_no_rendering_the_glossary_replaced_is_left() -> None:
    checks = [(item, FORBIDDEN) for item in _code_texts()]
    checks += [(item, [*FORBIDDEN, LATIN_NAME]) for item in _catalogue_texts()]
    found = [
        f"{item}\n    {pattern}: {why}"
        for item, patterns in checks
        for pattern, why in patterns
        if pattern not in ALLOWED.get(item.source, set()) and re.search(pattern, item.text)
    ]
    assert not found, "replaced by the glossary:\n" + "\n".join(found)


def _term_errors(pairs: list[tuple[str, str, str]]) -> list[str]:
    errors = []
    for where, english, khmer in pairs:
        for pattern, term in TERMS:
            if pattern in ALLOWED.get(english, set()):
                continue
            if re.search(pattern, english, re.IGNORECASE) and term not in khmer:
                errors.append(f"{where}: {english!r} -> {khmer!r} lacks {term!r}")
    return errors


def test_catalogue_uses_one_term_per_concept() -> None:
    pairs = [(str(e), e.msgid, text) for e in _catalogue() for text in e.msgstr.values()]
    errors = _term_errors(pairs)
    assert not errors, "the glossary's term is missing:\n" + "\n".join(errors)


def test_code_lists_use_one_term_per_concept() -> None:
    from helpline.contacts.taxonomy_data import iter_terms

    pairs = [
        (f"{vocabulary}:{term['code']}", term["en"], term["km"]) for vocabulary, _p, _o, term in iter_terms()
    ]
    assert len(pairs) > 150
    errors = _term_errors(pairs)
    assert not errors, "the glossary's term is missing:\n" + "\n".join(errors)


def test_default_risk_signal_names_use_the_glossary() -> None:
    """default_signals.py is not scanned (its phrases imitate what children type), but a signal's
    name is ours: supervisors read it on the Risk signals page and the marks' topic list."""
    from helpline.routing.default_signals import SIGNALS

    pairs = [(f"risk signal {s.code}", s.label_en, s.label_km) for s in SIGNALS]
    errors = _term_errors(pairs)
    errors += [
        f"risk signal {s.code}: {s.label_km!r} {pattern}: {why}"
        for s in SIGNALS
        for pattern, why in FORBIDDEN
        if re.search(pattern, s.label_km)
    ]
    errors += [
        f"risk signal suicide: {s.label_km!r} is not the glossary's គំនិតចង់ធ្វើអត្តឃាត (suicidal thoughts)"
        for s in SIGNALS
        if s.code == "suicide" and s.label_km != "គំនិតចង់ធ្វើអត្តឃាត"
    ]
    assert not errors, "\n".join(errors)


# --- What a child reads --------------------------------------------------------------------------------


def _widget_msgids() -> list[str]:
    """The English of every string the chat widget shows, read from views_chat._strings."""
    tree = ast.parse((CODE / "conversations" / "views_chat.py").read_text(encoding="utf-8"))
    function = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "_strings")
    return [
        call.args[0].value
        for call in ast.walk(function)
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "_"
        if isinstance(call.args[0], ast.Constant)
    ]


def _addresses_the_child_as_a_stranger(text: str) -> bool:
    """អ្នក as 'you' (អ្នកប្រឹក្សា, the counsellor, is another word)."""
    return "អ្នក" in text.replace("អ្នកប្រឹក្សា", "")


def _child_facing_errors(english: str, khmer: str) -> list[str]:
    errors = []
    if _addresses_the_child_as_a_stranger(khmer):
        errors.append("says អ្នក to the child: use ប្អូន")
    if re.search(r"\byou(?:r)?\b", english, re.IGNORECASE) and "ប្អូន" not in khmer:
        errors.append("addresses the child without ប្អូន")
    for number in re.findall(r"\b(?:1280|117)\b", english):
        if number not in khmer:
            errors.append(f"lacks {number} in Latin digits")
    return errors


def test_chat_widget_strings_in_the_catalogue_speak_to_the_child_as_ប្អូន() -> None:
    msgids = _widget_msgids()
    assert "Free and confidential. You can write about anything." in msgids and len(msgids) > 15
    catalogue = {entry.msgid: entry.msgstr[0] for entry in _catalogue() if entry.msgctxt is None}
    errors = [
        f"{msgid!r} -> {catalogue.get(msgid)!r}: {problem}"
        for msgid in msgids
        for problem in (_child_facing_errors(msgid, catalogue[msgid]) if msgid in catalogue else ["missing"])
    ]
    assert not errors, "\n".join(errors)


def test_the_widget_a_child_loads_says_ប្អូន_and_1280(settings, tmp_path: Path) -> None:
    write_mo(parse_po(KM_PO), tmp_path / "km" / "LC_MESSAGES" / "django.mo")
    settings.LOCALE_PATHS = [tmp_path]
    body = Client().get("/chat/widget.js").content.decode()
    found = re.search(r"var CONFIG = (\{.*?\});\n", body)
    assert found, "the widget script carries no configuration"
    config = json.loads(found.group(1))
    khmer, english = config["strings"]["km"], config["strings"]["en"]
    errors = [
        f"{key}: {khmer[key]!r}: {p}" for key in khmer for p in _child_facing_errors(english[key], khmer[key])
    ]
    assert not errors, "\n".join(errors)
    assert khmer["intro"] == "ឥតគិតថ្លៃ និងរក្សាការសម្ងាត់។ ប្អូនអាចសរសេរប្រាប់យើងពីរឿងអ្វីក៏បាន។"
    assert khmer["exit"] == "ចេញភ្លាម"


def test_automatic_replies_and_canned_replies_speak_to_the_child_as_ប្អូន() -> None:
    from helpline.conversations.services import CLOSED_REPLY_KM, FIRST_REPLY_KM
    from helpline.demo.management.commands.seed_demo_texts import CANNED

    replies = {"first reply": FIRST_REPLY_KM, "closed reply": CLOSED_REPLY_KM}
    replies |= {f"canned {title!r}": text for title, language, text in CANNED if language == "km"}
    errors = [
        f"{name}: {text!r}" for name, text in replies.items() if _addresses_the_child_as_a_stranger(text)
    ]
    errors += [f"{name}: {text!r}" for name, text in replies.items() if "ប្អូន" not in text]
    assert not errors, "a child is ប្អូន:\n" + "\n".join(errors)
    assert "1280" in FIRST_REPLY_KM and "1280" in CLOSED_REPLY_KM and "117" in CLOSED_REPLY_KM


# --- Existing installations ----------------------------------------------------------------------------

LABELS_MIGRATION = ("contacts", "0003_khmer_code_list_labels_follow_glossary")
REPLIES_MIGRATION = ("conversations", "0003_khmer_default_replies_follow_glossary")


def _migration_module(app: str, name: str) -> ModuleType:
    return importlib.import_module(f"helpline.{app}.migrations.{name}")


def test_the_label_migration_brings_old_labels_to_todays_code_lists() -> None:
    from helpline.contacts.taxonomy_data import iter_terms

    shipped = {(vocabulary, term["code"]): term["km"] for vocabulary, _p, _o, term in iter_terms()}
    for vocabulary, code, old, new in _migration_module(*LABELS_MIGRATION).LABELS:
        assert old != new
        assert shipped[(vocabulary, code)] == new, f"{vocabulary}:{code} changed again: add it to a migration"


def test_the_reply_migration_brings_old_replies_to_todays_defaults() -> None:
    from helpline.conversations import services

    module = _migration_module(*REPLIES_MIGRATION)
    assert module.NEW_FIRST_REPLY_KM == services.FIRST_REPLY_KM
    assert module.NEW_CLOSED_REPLY_KM == services.CLOSED_REPLY_KM


def _migrate(target: tuple[str, str] | None = None) -> Apps:
    """Migrate to `target` (to the latest when None); return the models as they are there."""
    executor = MigrationExecutor(connection)
    targets = [target] if target else executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets, at_end=True).apps


def _previous(app: str, name: str) -> tuple[str, str]:
    node = MigrationExecutor(connection).loader.graph.node_map[(app, name)]
    (parent,) = [p.key for p in node.parents if p.key[0] == app]
    return parent


@pytest.mark.django_db(transaction=True)
def test_an_existing_installation_gets_the_new_labels_unless_an_administrator_edited_them() -> None:
    labels = _migration_module(*LABELS_MIGRATION).LABELS
    edited_vocabulary, edited_code, _old, _new = labels[0]
    try:
        term = _migrate(_previous(*LABELS_MIGRATION)).get_model("contacts", "Term")
        # As an installation made before the change holds them: the old defaults, one edited.
        for vocabulary, code, old, _new in labels:
            assert term.objects.filter(vocabulary=vocabulary, code=code).update(label_km=old) == 1
        term.objects.filter(vocabulary=edited_vocabulary, code=edited_code).update(label_km="ពាក្យរបស់យើង")
        term = _migrate(LABELS_MIGRATION).get_model("contacts", "Term")
        for vocabulary, code, _old, new in labels[1:]:
            assert term.objects.get(vocabulary=vocabulary, code=code).label_km == new
        assert term.objects.get(vocabulary=edited_vocabulary, code=edited_code).label_km == "ពាក្យរបស់យើង"
    finally:
        _migrate()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("edited", [False, True])
def test_an_existing_installation_gets_the_new_automatic_replies_unless_the_helpline_wrote_its_own(
    edited: bool,
) -> None:
    module = _migration_module(*REPLIES_MIGRATION)
    own = "សួស្ដី ប្អូន! នេះជាសាររបស់យើងផ្ទាល់។"
    try:
        text_settings = _migrate(_previous(*REPLIES_MIGRATION)).get_model("conversations", "TextSettings")
        text_settings.objects.update_or_create(
            pk=1,
            defaults={
                "first_reply_km": own if edited else module.OLD_FIRST_REPLY_KM,
                "closed_reply_km": module.OLD_CLOSED_REPLY_KM,
            },
        )
        text_settings = _migrate(REPLIES_MIGRATION).get_model("conversations", "TextSettings")
        row = text_settings.objects.get(pk=1)
        assert row.first_reply_km == (own if edited else module.NEW_FIRST_REPLY_KM)
        assert row.closed_reply_km == module.NEW_CLOSED_REPLY_KM
    finally:
        _migrate()
