"""Code lists for coding contacts (CHI data framework plus local Cambodian categories), in English and Khmer.

This module is plain data: no Django imports, so it can be loaded by migrations, management commands
and tests alike. ``iter_terms()`` walks every term in the order the Term table should be seeded.

Conventions
-----------
* ``code``: lowercase ASCII, words joined by ``_``; a subcategory code is its category code plus ``.``
  plus its own part (``violence.physical``). Codes are stable: change labels, never codes.
* ``chi``: the Child Helpline International code the term is counted under in the yearly CHI
  submission. A CHI term names itself; a local term names the CHI code it maps to. A local *category*
  maps to a CHI category; a local *subcategory* maps to the CHI *subcategory* it is closest to, so the
  export can count subcategories as well. For the category count of a contact coded with a local
  subcategory, take the category part of the subcategory's ``chi`` (the text before the first ``.``):
  it may differ from the local category's own mapping (online addiction counts under mental health,
  the other online harms under violence).
* Every CHI category ends with ``<category>.other`` ("Unspecified/other"). Local categories with
  subcategories end with ``<category>.other`` too (mapped to the CHI "unspecified/other" of the category
  they count under); local categories without subcategories have exactly one child ``<category>.general``.
* Only the "reason" vocabulary has subcategories; in the other vocabularies ``chi`` is the term's own
  code, ``local`` is False and ``children`` is empty.

Khmer follows the terms used by Cambodian child-protection organisations (អំពើហិង្សា, សុខភាពផ្លូវចិត្ត,
ការជួញដូរមនុស្ស, ការរំលោភបំពានផ្លូវភេទ ...) and the project's Khmer glossary; the subscript ដ spelling
(ផ្ដល់, ម្ដាយ, កណ្ដាល) is used throughout (tests/test_khmer_glossary.py checks both).

These lists reach the database once: ``taxonomy_sync`` creates missing terms and never overwrites one.
A changed label therefore also needs a data migration that updates the rows still holding the old
default (as contacts 0003 does), or existing installations keep the old wording.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypedDict


class TermData(TypedDict):
    code: str
    en: str
    km: str
    chi: str
    local: bool
    children: list[TermData]


def _term(code: str, en: str, km: str, *, chi: str | None = None, local: bool = False) -> TermData:
    """A term without subcategories; ``chi`` defaults to the term's own code (a CHI term)."""
    return {"code": code, "en": en, "km": km, "chi": chi or code, "local": local, "children": []}


def _category(code: str, en: str, km: str, children: list[TermData]) -> TermData:
    """A CHI reason category with its subcategories."""
    return {"code": code, "en": en, "km": km, "chi": code, "local": False, "children": children}


def _local_category(code: str, en: str, km: str, *, chi: str, children: list[TermData]) -> TermData:
    """A local (Cambodian) reason category, counted under the CHI category ``chi``."""
    return {"code": code, "en": en, "km": km, "chi": chi, "local": True, "children": children}


def _local(code: str, en: str, km: str, *, chi: str) -> TermData:
    """A local subcategory, counted under the CHI subcategory ``chi``."""
    return _term(code, en, km, chi=chi, local=True)


def _other(category: str) -> TermData:
    """The CHI "unspecified/other" subcategory of a CHI category."""
    return _term(f"{category}.other", "Unspecified/other", "មិនបានបញ្ជាក់/ផ្សេងៗ")


_OTHER_EN = "Other"
_OTHER_KM = "ផ្សេងៗ"
_UNKNOWN_EN = "Unknown"
_UNKNOWN_KM = "មិនដឹង"


# --- Reasons for contact -----------------------------------------------------------------------------

_CHI_REASONS: list[TermData] = [
    _category(
        "missing_children",
        "Missing children",
        "កុមារបាត់ខ្លួន",
        [
            _term("missing_children.abduction", "Child abduction", "ការចាប់ពង្រត់កុមារ"),
            _term(
                "missing_children.lost",
                "Lost, unaccounted for or otherwise missing child",
                "កុមារវង្វេង បាត់ដំណឹង ឬបាត់ខ្លួនដោយមូលហេតុផ្សេងទៀត",
            ),
            _term("missing_children.runaway", "Runaway", "កុមាររត់ចេញពីផ្ទះ"),
            _other("missing_children"),
        ],
    ),
    _category(
        "violence",
        "Violence",
        "អំពើហិង្សា",
        [
            _term("violence.bullying", "Bullying", "ការសម្លុតគំរាម"),
            _term(
                "violence.child_marriage",
                "Child, early or forced marriage",
                "អាពាហ៍ពិពាហ៍កុមារ អាពាហ៍ពិពាហ៍មុនអាយុ ឬការបង្ខំឱ្យរៀបការ",
            ),
            _term("violence.child_labour", "Child labour", "ពលកម្មកុមារ"),
            _term(
                "violence.commercial_sexual_exploitation",
                "Commercial sexual exploitation (offline)",
                "ការកេងប្រវ័ញ្ចផ្លូវភេទក្នុងគោលបំណងពាណិជ្ជកម្ម (ក្រៅអនឡាញ)",
            ),
            _term("violence.fgm", "Female genital mutilation", "ការកាត់ប្រដាប់ភេទស្ត្រី"),
            _term(
                "violence.gender_harmful_practices",
                "Gender-based harmful traditional practices other than FGM",
                "ទំនៀមទម្លាប់ប្រពៃណីដែលបង្កគ្រោះថ្នាក់ផ្អែកលើយេនឌ័រ ក្រៅពីការកាត់ប្រដាប់ភេទស្ត្រី",
            ),
            _term(
                "violence.other_harmful_practices",
                "Other harmful traditional practices",
                "ទំនៀមទម្លាប់ប្រពៃណីផ្សេងទៀតដែលបង្កគ្រោះថ្នាក់",
            ),
            _term("violence.emotional", "Mental/emotional violence", "អំពើហិង្សាផ្លូវចិត្ត"),
            _term(
                "violence.neglect",
                "Neglect or negligent treatment",
                "ការធ្វេសប្រហែស ឬការមើលថែដោយមិនយកចិត្តទុកដាក់",
            ),
            _term("violence.online_sexual_abuse", "Online sexual abuse", "ការរំលោភបំពានផ្លូវភេទតាមអនឡាញ"),
            _term(
                "violence.online_sexual_exploitation",
                "Online sexual exploitation",
                "ការកេងប្រវ័ញ្ចផ្លូវភេទតាមអនឡាញ",
            ),
            _term("violence.physical", "Physical violence", "អំពើហិង្សាផ្លូវកាយ"),
            _term("violence.sexual", "Sexual violence", "អំពើហិង្សាផ្លូវភេទ"),
            _other("violence"),
        ],
    ),
    _category(
        "mental_health",
        "Mental health",
        "សុខភាពផ្លូវចិត្ត",
        [
            _term(
                "mental_health.substance_use",
                "Addictive behaviours and substance use",
                "អាកប្បកិរិយាញៀន និងការប្រើប្រាស់សារធាតុញៀន",
            ),
            _term("mental_health.behavioural", "Behavioural problems", "បញ្ហាអាកប្បកិរិយា"),
            _term("mental_health.self_concept", "Concerns about the self", "ការព្រួយបារម្ភអំពីខ្លួនឯង"),
            _term("mental_health.anger", "Emotional distress: anger", "បញ្ហាផ្លូវអារម្មណ៍៖ កំហឹង"),
            _term(
                "mental_health.fear_anxiety",
                "Emotional distress: fear and anxiety",
                "បញ្ហាផ្លូវអារម្មណ៍៖ ការភ័យខ្លាច និងការថប់បារម្ភ",
            ),
            _term(
                "mental_health.mood",
                "Emotional distress: mood",
                "បញ្ហាផ្លូវអារម្មណ៍៖ អារម្មណ៍ក្រៀមក្រំ ឬប្រែប្រួល",
            ),
            _term(
                "mental_health.neurodevelopmental",
                "Neurodevelopmental concerns",
                "បញ្ហាការវិវឌ្ឍន៍ប្រព័ន្ធប្រសាទ",
            ),
            _term("mental_health.eating", "Problems with eating behaviour", "បញ្ហាទម្លាប់នៃការហូបចុក"),
            _term("mental_health.self_harm", "Self-harming behaviour", "អាកប្បកិរិយាធ្វើបាបខ្លួនឯង"),
            _term(
                "mental_health.suicidal",
                "Suicidal thoughts and suicide attempts",
                "គំនិតចង់ធ្វើអត្តឃាត និងការប៉ុនប៉ងធ្វើអត្តឃាត",
            ),
            _term("mental_health.trauma", "Traumatic distress", "ការប៉ះទង្គិចផ្លូវចិត្ត"),
            _other("mental_health"),
        ],
    ),
    _category(
        "physical_health",
        "Physical health",
        "សុខភាពផ្លូវកាយ",
        [
            _term(
                "physical_health.general",
                "General medical or lifestyle concerns",
                "បញ្ហាវេជ្ជសាស្ត្រទូទៅ ឬរបៀបរស់នៅ",
            ),
            _term(
                "physical_health.hiv_aids",
                "HIV/AIDS information",
                "ព័ត៌មានអំពីមេរោគអេដស៍ និងជំងឺអេដស៍",
            ),
            _term(
                "physical_health.pregnancy",
                "Pregnancy and maternal care",
                "ការមានផ្ទៃពោះ និងការថែទាំមាតា",
            ),
            _term(
                "physical_health.sexual_reproductive",
                "Sexual and reproductive health",
                "សុខភាពផ្លូវភេទ និងសុខភាពបន្តពូជ",
            ),
            _term("physical_health.nutrition", "Nutrition", "អាហារូបត្ថម្ភ"),
            _other("physical_health"),
        ],
    ),
    _category(
        "access_to_services",
        "Access to services",
        "ការទទួលបានសេវា",
        [
            _term("access_to_services.education", "Education", "ការអប់រំ"),
            _term(
                "access_to_services.essential_needs",
                "Essential needs (food, shelter, water)",
                "តម្រូវការចាំបាច់ (អាហារ ទីជម្រក ទឹក)",
            ),
            _term("access_to_services.healthcare", "General healthcare services", "សេវាថែទាំសុខភាពទូទៅ"),
            _term(
                "access_to_services.legal",
                "Legal services and advice",
                "សេវាច្បាប់ និងការប្រឹក្សាផ្នែកច្បាប់",
            ),
            _term("access_to_services.mental_health", "Mental health services", "សេវាសុខភាពផ្លូវចិត្ត"),
            _term("access_to_services.sexual_health", "Sexual health services", "សេវាសុខភាពផ្លូវភេទ"),
            _term(
                "access_to_services.socio_economic",
                "Socio-economic services",
                "សេវាសង្គមកិច្ច និងសេដ្ឋកិច្ច",
            ),
            _other("access_to_services"),
        ],
    ),
    _category(
        "discrimination",
        "Discrimination and exclusion",
        "ការរើសអើង និងការផាត់ចេញពីសង្គម",
        [
            _term("discrimination.ethnicity", "Ethnicity/nationality", "ជាតិពន្ធុ/សញ្ជាតិ"),
            _term("discrimination.financial", "Financial situation", "ស្ថានភាពហិរញ្ញវត្ថុ"),
            _term("discrimination.gender", "Gender", "យេនឌ័រ"),
            _term(
                "discrimination.sogie",
                "Gender identity or expression and sexual orientation",
                "អត្តសញ្ញាណយេនឌ័រ ឬការបង្ហាញយេនឌ័រ និងនិន្នាការផ្លូវភេទ",
            ),
            _term("discrimination.health", "Health (incl. disability)", "សុខភាព (រួមទាំងពិការភាព)"),
            _term(
                "discrimination.beliefs",
                "Philosophical or religious beliefs",
                "ទស្សនៈ ឬជំនឿសាសនា",
            ),
            _other("discrimination"),
        ],
    ),
    _category(
        "family",
        "Family relationships",
        "ទំនាក់ទំនងក្នុងគ្រួសារ",
        [
            _term(
                "family.adoption_fostering",
                "Adoption, fostering and extended family placement",
                "ការសុំកូនចិញ្ចឹម ការថែទាំដោយគ្រួសារបណ្ដោះអាសន្ន និងការដាក់ឱ្យរស់នៅជាមួយសាច់ញាតិ",
            ),
            _term("family.caregiver", "Relationship to caregiver", "ទំនាក់ទំនងជាមួយអ្នកថែទាំ"),
            _term(
                "family.health_wellbeing",
                "Family health and wellbeing",
                "សុខភាព និងសុខុមាលភាពគ្រួសារ",
            ),
            _term("family.siblings", "Relationship with siblings", "ទំនាក់ទំនងជាមួយបងប្អូនបង្កើត"),
            _other("family"),
        ],
    ),
    _category(
        "peers",
        "Peer relationships",
        "ទំនាក់ទំនងជាមួយមិត្តរួមវ័យ",
        [
            _term("peers.friends", "Friends and friendships", "មិត្តភក្ដិ និងមិត្តភាព"),
            _term("peers.partner", "Partner relationships", "ទំនាក់ទំនងជាមួយសង្សារ ឬដៃគូ"),
            _term("peers.classmates", "Classmates/colleagues", "មិត្តរួមថ្នាក់/មិត្តរួមការងារ"),
            _other("peers"),
        ],
    ),
    _category(
        "education",
        "Education and occupation",
        "ការអប់រំ និងការងារ",
        [
            _term("education.academic", "Academic issues", "បញ្ហាការសិក្សា"),
            _term("education.school", "Teacher and school problems", "បញ្ហាជាមួយគ្រូ និងសាលារៀន"),
            _term("education.work", "Problems at work", "បញ្ហានៅកន្លែងធ្វើការ"),
            _other("education"),
        ],
    ),
    _category(
        "sexuality",
        "Sexuality",
        "ផ្លូវភេទ",
        [
            _term(
                "sexuality.sogi",
                "Sexual orientation and gender identity",
                "និន្នាការផ្លូវភេទ និងអត្តសញ្ញាណយេនឌ័រ",
            ),
            _term("sexuality.behaviour", "Sexual behaviours", "អាកប្បកិរិយាផ្លូវភេទ"),
            _other("sexuality"),
        ],
    ),
    _category(
        "non_counselling",
        "Non-counselling contacts",
        "ការទាក់ទងដែលមិនមែនសម្រាប់ការប្រឹក្សា",
        [
            _term(
                "non_counselling.complaint",
                "Complaints about the child helpline",
                "ការត្អូញត្អែរអំពីខ្សែទូរស័ព្ទជំនួយកុមារ",
            ),
            _term("non_counselling.parent_question", "Questions by parents", "សំណួរពីឪពុកម្ដាយ"),
            _term(
                "non_counselling.about_helpline",
                "Questions about the child helpline",
                "សំណួរអំពីខ្សែទូរស័ព្ទជំនួយកុមារ",
            ),
            _term(
                "non_counselling.other_services",
                "Questions about other services",
                "សំណួរអំពីសេវាផ្សេងទៀត",
            ),
            _term("non_counselling.thanks", "Thank-you messages", "សារអរគុណ"),
            _other("non_counselling"),
        ],
    ),
]

_LOCAL_REASONS: list[TermData] = [
    # Trafficking counts under Violence; each form under the CHI violence subcategory it amounts to
    # for a child (forced labour, domestic servitude and use in the drug trade are worst forms of
    # child labour).
    _local_category(
        "trafficking",
        "Trafficking in persons",
        "ការជួញដូរមនុស្ស",
        chi="violence",
        children=[
            _local(
                "trafficking.sexual_exploitation",
                "Sexual exploitation",
                "ការជួញដូរមនុស្សដើម្បីកេងប្រវ័ញ្ចផ្លូវភេទ",
                chi="violence.commercial_sexual_exploitation",
            ),
            _local(
                "trafficking.forced_labour",
                "Forced labour",
                "ការជួញដូរមនុស្សដើម្បីពលកម្មដោយបង្ខំ",
                chi="violence.child_labour",
            ),
            _local(
                "trafficking.forced_marriage",
                "Forced marriage",
                "ការជួញដូរមនុស្សដើម្បីបង្ខំឱ្យរៀបការ",
                chi="violence.child_marriage",
            ),
            _local(
                "trafficking.domestic_servitude",
                "Domestic servitude",
                "ការជួញដូរមនុស្សដើម្បីបម្រើការងារតាមផ្ទះដោយបង្ខំ",
                chi="violence.child_labour",
            ),
            _local(
                "trafficking.organ_removal",
                "Organ removal",
                "ការជួញដូរមនុស្សដើម្បីកាត់យកសរីរាង្គ",
                chi="violence.other",
            ),
            _local(
                "trafficking.drug_trade",
                "Trafficking for drug trade",
                "ការជួញដូរមនុស្សដើម្បីប្រើក្នុងការលក់ ឬដឹកជញ្ជូនគ្រឿងញៀន",
                chi="violence.child_labour",
            ),
            _local("trafficking.other", "Unspecified/other", "មិនបានបញ្ជាក់/ផ្សេងៗ", chi="violence.other"),
        ],
    ),
    # Online harms count under Violence, except online addiction (an addictive behaviour: Mental health).
    _local_category(
        "online_harms",
        "Online harms",
        "គ្រោះថ្នាក់តាមអនឡាញ",
        chi="violence",
        children=[
            _local(
                "online_harms.cyberbullying",
                "Cyberbullying",
                "ការសម្លុតគំរាមតាមអនឡាញ",
                chi="violence.bullying",
            ),
            _local(
                "online_harms.sextortion",
                "Sextortion",
                "ការជំរិតដោយគំរាមផ្សព្វផ្សាយរូបភាពផ្លូវភេទ",
                chi="violence.online_sexual_exploitation",
            ),
            _local(
                "online_harms.grooming",
                "Grooming",
                "ការលួងលោមកុមារតាមអនឡាញក្នុងគោលបំណងផ្លូវភេទ",
                chi="violence.online_sexual_abuse",
            ),
            _local(
                "online_harms.pornography",
                "Exposure to pornography",
                "ការឃើញ ឬត្រូវគេបង្ហាញរូបភាព ឬវីដេអូអាសអាភាស",
                chi="violence.online_sexual_abuse",
            ),
            _local(
                "online_harms.image_abuse",
                "Image-based abuse",
                "ការរំលោភបំពានដោយប្រើរូបភាព ឬវីដេអូឯកជន",
                chi="violence.online_sexual_abuse",
            ),
            _local(
                "online_harms.impersonation_hacking",
                "Impersonation/hacking",
                "ការក្លែងបន្លំខ្លួន/ការលួចចូលគណនី",
                chi="violence.other",
            ),
            _local(
                "online_harms.online_addiction",
                "Online addiction",
                "ការញៀនអនឡាញ",
                chi="mental_health.substance_use",
            ),
            _local("online_harms.other", "Unspecified/other", "មិនបានបញ្ជាក់/ផ្សេងៗ", chi="violence.other"),
        ],
    ),
    _local_category(
        "grief",
        "Grief and bereavement",
        "ទុក្ខសោក និងការបាត់បង់មនុស្សជាទីស្រឡាញ់",
        chi="mental_health",
        children=[_local("grief.general", "General", "ទូទៅ", chi="mental_health.other")],
    ),
    # Puberty and body change are sexual and reproductive health topics.
    _local_category(
        "body_change",
        "Body change / puberty",
        "ការប្រែប្រួលរាងកាយ/វ័យពេញរូបពេញរាង",
        chi="physical_health",
        children=[
            _local("body_change.general", "General", "ទូទៅ", chi="physical_health.sexual_reproductive"),
        ],
    ),
    _local_category(
        "disability",
        "Disability",
        "ពិការភាព",
        chi="discrimination",
        children=[_local("disability.general", "General", "ទូទៅ", chi="discrimination.health")],
    ),
]


# --- Caller and child --------------------------------------------------------------------------------

_RELATIONSHIP: list[TermData] = [
    _term("parent", "Parent", "ឪពុក ឬម្ដាយ"),
    _term("caregiver", "Caregiver", "អ្នកថែទាំ"),
    _term("grandparent", "Grandparent", "ជីដូន ឬជីតា"),
    _term("sibling", "Sibling", "បងប្អូនបង្កើត"),
    _term("other_relative", "Other relative", "សាច់ញាតិផ្សេងទៀត"),
    _term("friend", "Friend", "មិត្តភក្ដិ"),
    _term("partner", "Partner", "សង្សារ ឬដៃគូ"),
    _term("neighbour", "Neighbour", "អ្នកជិតខាង"),
    _term(
        "teacher",
        "Teacher or person in a position of responsibility",
        "គ្រូ ឬអ្នកមានតួនាទីទទួលខុសត្រូវលើកុមារ",
    ),
    _term("stranger", "Stranger", "មនុស្សមិនស្គាល់"),
    _term("other", _OTHER_EN, _OTHER_KM),
]

_CALLER_TYPE: list[TermData] = [
    _term("self", "The child/young person about themself", "កុមារ ឬយុវជនទាក់ទងអំពីខ្លួនឯង"),
    _term("about_child", "Someone calling about a child", "អ្នកផ្សេងទាក់ទងអំពីកុមារ"),
    _term("other", _OTHER_EN, _OTHER_KM),
]

_GENDER: list[TermData] = [
    _term("male", "Boy/male", "ប្រុស"),
    _term("female", "Girl/female", "ស្រី"),
    _term("non_binary", "Non-binary", "មិនកំណត់ខ្លួនជាប្រុស ឬស្រី"),
    _term("unknown", _UNKNOWN_EN, _UNKNOWN_KM),
]

_LIVING_SITUATION: list[TermData] = [
    _term("with_parents", "With parent(s)", "រស់នៅជាមួយឪពុកម្ដាយ"),
    _term("with_relatives", "With relatives", "រស់នៅជាមួយសាច់ញាតិ"),
    _term("alternative_care", "Alternative care", "ការថែទាំជំនួស"),
    _term(
        "residential_facility",
        "Group residential facility",
        "មណ្ឌលថែទាំកុមារ ឬកន្លែងស្នាក់នៅរួម",
    ),
    _term("independent", "Living independently", "រស់នៅដោយខ្លួនឯង"),
    _term("homeless", "Homeless or marginally housed", "គ្មានទីលំនៅ ឬទីលំនៅមិនមានស្ថិរភាព"),
    _term("detention", "In detention", "ក្នុងមណ្ឌលឃុំឃាំង"),
    _term("other", _OTHER_EN, _OTHER_KM),
    _term("unknown", _UNKNOWN_EN, _UNKNOWN_KM),
]

_VULNERABLE_GROUP: list[TermData] = [
    _term("conflict_with_law", "Child in conflict with the law", "កុមារដែលប្រព្រឹត្តល្មើសនឹងច្បាប់"),
    _term("conflict_zone", "Child in a conflict zone", "កុមារនៅតំបន់មានជម្លោះ"),
    _term("poverty", "Child living in poverty", "កុមាររស់នៅក្នុងភាពក្រីក្រ"),
    _term(
        "minority",
        "Child of an ethnic, racial or religious minority",
        "កុមារមកពីក្រុមជនជាតិ ពូជសាសន៍ ឬសាសនាភាគតិច",
    ),
    _term(
        "on_the_move_voluntary",
        "Child on the move (voluntarily)",
        "កុមារធ្វើចំណាកស្រុក (ដោយស្ម័គ្រចិត្ត)",
    ),
    _term(
        "on_the_move_involuntary",
        "Child on the move (involuntarily, incl. trafficked)",
        "កុមារធ្វើចំណាកស្រុក (ដោយបង្ខំ រួមទាំងកុមាររងគ្រោះពីការជួញដូរមនុស្ស)",
    ),
    _term("disability", "Child with disability", "កុមារមានពិការភាព"),
    _term("lgbtqi", "LGBTQI+/SOGIESC child", "កុមារ LGBTQI+/SOGIESC"),
    _term("out_of_school", "Out-of-school child", "កុមារមិនបានទៅសាលារៀន"),
    _term("other", _OTHER_EN, _OTHER_KM),
]

_DISABILITY: list[TermData] = [
    _term("none", "None", "គ្មានពិការភាព"),
    _term("physical", "Physical", "ពិការភាពរាងកាយ"),
    _term("sensory", "Sensory (sight/hearing)", "ពិការភាពការមើលឃើញ ឬការស្ដាប់ឮ"),
    _term("intellectual", "Intellectual", "ពិការភាពបញ្ញា"),
    _term("psychosocial", "Psychosocial", "ពិការភាពផ្លូវចិត្តសង្គម"),
    _term("multiple", "Multiple", "ពិការភាពច្រើនប្រភេទ"),
    _term("unknown", _UNKNOWN_EN, _UNKNOWN_KM),
]

_REGION: list[TermData] = [
    _term("city", "City", "ទីក្រុង"),
    _term("town", "Town/semi-dense", "ទីប្រជុំជន ឬតំបន់ពាក់កណ្ដាលទីក្រុង"),
    _term("rural", "Rural", "ជនបទ"),
]

# The 25 provinces (the capital included), with their official Khmer names.
_PROVINCE: list[TermData] = [
    _term("banteay_meanchey", "Banteay Meanchey", "បន្ទាយមានជ័យ"),
    _term("battambang", "Battambang", "បាត់ដំបង"),
    _term("kampong_cham", "Kampong Cham", "កំពង់ចាម"),
    _term("kampong_chhnang", "Kampong Chhnang", "កំពង់ឆ្នាំង"),
    _term("kampong_speu", "Kampong Speu", "កំពង់ស្ពឺ"),
    _term("kampong_thom", "Kampong Thom", "កំពង់ធំ"),
    _term("kampot", "Kampot", "កំពត"),
    _term("kandal", "Kandal", "កណ្ដាល"),
    _term("kep", "Kep", "កែប"),
    _term("koh_kong", "Koh Kong", "កោះកុង"),
    _term("kratie", "Kratie", "ក្រចេះ"),
    _term("mondulkiri", "Mondulkiri", "មណ្ឌលគិរី"),
    _term("oddar_meanchey", "Oddar Meanchey", "ឧត្តរមានជ័យ"),
    _term("pailin", "Pailin", "ប៉ៃលិន"),
    _term("phnom_penh", "Phnom Penh", "ភ្នំពេញ"),
    _term("preah_sihanouk", "Preah Sihanouk", "ព្រះសីហនុ"),
    _term("preah_vihear", "Preah Vihear", "ព្រះវិហារ"),
    _term("prey_veng", "Prey Veng", "ព្រៃវែង"),
    _term("pursat", "Pursat", "ពោធិ៍សាត់"),
    _term("ratanakiri", "Ratanakiri", "រតនគិរី"),
    _term("siem_reap", "Siem Reap", "សៀមរាប"),
    _term("stung_treng", "Stung Treng", "ស្ទឹងត្រែង"),
    _term("svay_rieng", "Svay Rieng", "ស្វាយរៀង"),
    _term("takeo", "Takeo", "តាកែវ"),
    _term("tbong_khmum", "Tbong Khmum", "ត្បូងឃ្មុំ"),
]


# --- Action taken / outcome --------------------------------------------------------------------------

_ACTION: list[TermData] = [
    _term("emotional_support", "Emotional support given", "ផ្ដល់ការគាំទ្រផ្លូវអារម្មណ៍"),
    _term("information", "Information given", "ផ្ដល់ព័ត៌មាន"),
    _term("resources", "Recommendation of resources", "ណែនាំធនធាន និងឯកសារជំនួយ"),
    _term(
        "direct_intervention",
        "Direct intervention by the helpline",
        "អន្តរាគមន៍ផ្ទាល់ដោយខ្សែទូរស័ព្ទជំនួយកុមារ",
    ),
    _term(
        "referral_child_protection",
        "Referral to child protection agency",
        "បញ្ជូនទៅស្ថាប័នការពារកុមារ",
    ),
    _term("referral_law_enforcement", "Referral to law enforcement", "បញ្ជូនទៅសមត្ថកិច្ចអនុវត្តច្បាប់"),
    _term("referral_health", "Referral to health services", "បញ្ជូនទៅសេវាសុខាភិបាល"),
    _term(
        "referral_mental_health",
        "Referral to mental health services",
        "បញ្ជូនទៅសេវាសុខភាពផ្លូវចិត្ត",
    ),
    _term("referral_other", "Referral to other organisation", "បញ្ជូនទៅអង្គការផ្សេងទៀត"),
    _term(
        "csam_report",
        "Report of child sexual abuse material",
        "រាយការណ៍អំពីសម្ភារៈរំលោភបំពានផ្លូវភេទលើកុមារ",
    ),
    _term("follow_up", "Follow-up scheduled", "កំណត់ពេលតាមដាន"),
    _term("other", _OTHER_EN, _OTHER_KM),
]


# --- Services partner organisations give (the referral directory) ----------------------------------

# The services the helpline refers children to (../shared/reference/cambodia.md): the specialist help
# its partners give, then the direct services. Local additions go through the code-list page.
_SERVICE: list[TermData] = [
    _term("domestic_violence", "Domestic violence", "អំពើហិង្សាក្នុងគ្រួសារ"),
    _term("trafficking", "Trafficking", "ការជួញដូរមនុស្ស"),
    _term("child_protection", "Child protection", "ការការពារកុមារ"),
    _term("sexual_reproductive_health", "Sexual and reproductive health", "សុខភាពផ្លូវភេទ និងសុខភាពបន្តពូជ"),
    _term("suicide", "Suicide prevention", "ការបង្ការការធ្វើអត្តឃាត"),
    _term("grief", "Grief", "ការបាត់បង់ និងទុក្ខសោក"),
    _term("sexual_orientation", "Sexual orientation and gender identity", "និន្នាការផ្លូវភេទ និងអត្តសញ្ញាណយេនឌ័រ"),
    _term("hiv_aids", "HIV and AIDS", "មេរោគអេដស៍ និងជំងឺអេដស៍"),
    _term("drug_use", "Drug use", "ការប្រើប្រាស់គ្រឿងញៀន"),
    _term("relationships", "Relationships", "ទំនាក់ទំនង"),
    _term("body_change", "Body change and puberty", "ការផ្លាស់ប្ដូររាងកាយ និងពេញវ័យ"),
    _term("disability", "Disability", "ពិការភាព"),
    _term("mental_health", "Mental health and counselling", "សុខភាពផ្លូវចិត្ត និងការប្រឹក្សា"),
    _term("food", "Food", "អាហារ"),
    _term("shelter", "Shelter", "ទីជម្រកសុវត្ថិភាព"),
    _term("medical_care", "Medical care", "ការថែទាំវេជ្ជសាស្ត្រ"),
    _term("legal_advice", "Legal advice", "ការប្រឹក្សាផ្លូវច្បាប់"),
    _term("education", "Education and vocational training", "ការអប់រំ និងបណ្ដុះបណ្ដាលវិជ្ជាជីវៈ"),
    _term("other", _OTHER_EN, _OTHER_KM),
]

VOCABULARIES: dict[str, list[TermData]] = {
    "reason": _CHI_REASONS + _LOCAL_REASONS,
    "relationship": _RELATIONSHIP,
    "caller_type": _CALLER_TYPE,
    "gender": _GENDER,
    "living_situation": _LIVING_SITUATION,
    "vulnerable_group": _VULNERABLE_GROUP,
    "disability": _DISABILITY,
    "region": _REGION,
    "province": _PROVINCE,
    "action": _ACTION,
    "service": _SERVICE,
}


SORT_STEP = 10
"""Gap between consecutive sort orders, leaving room for terms administrators add later."""


def iter_terms() -> Iterator[tuple[str, str | None, int, TermData]]:
    """Yield ``(vocabulary, parent_code, sort_order, term)`` for every term, depth-first.

    A category comes before its subcategories (``parent_code`` is None for top-level terms).
    ``sort_order`` counts up by ``SORT_STEP`` through each vocabulary in this depth-first order, so
    ordering a vocabulary's terms by sort_order alone lists every category followed by its children.
    """
    for vocabulary, terms in VOCABULARIES.items():
        position = 0
        stack: list[tuple[str | None, TermData]] = [(None, term) for term in reversed(terms)]
        while stack:
            parent_code, term = stack.pop()
            position += SORT_STEP
            yield vocabulary, parent_code, position, term
            stack.extend((term["code"], child) for child in reversed(term["children"]))
