"""Demo cases: a dozen children followed over weeks, in every state a case passes through, written
by the cases services as the counsellors would have written them (history back-dated to when it
happened). Texts are in Khmer, in a counsellor's words; nicknames only, never a real child.

Built on the demo month of contacts: each case gathers counselling contacts its counsellor took."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.cases import breaks, followups, services, supervision
from helpline.cases.models import BreakReason, Case, CaseContact, FollowUpKind, GoalStatus, Recipient
from helpline.contacts.models import Contact, Kind, Term
from helpline.demo.month import KEY_PREFIX


class DemoCasesError(RuntimeError):
    """Demo cases cannot be created (the demo staff or contacts are missing)."""


@dataclass(frozen=True)
class Follow:
    kind: str
    due_in_hours: float  # from now; negative: overdue
    instructions: str


@dataclass(frozen=True)
class DemoCase:
    nickname: str
    age: int
    gender: str  # a gender code
    province: str
    risk: str
    counsellor: str  # who opened it: a demo counsellor or volunteer
    contacts: int = 1  # contacts gathered (the first opens the case, the others are linked)
    goals: tuple[tuple[str, str], ...] = ()  # (text, status)
    notes: tuple[str, ...] = ()
    edited_note: tuple[str, str] | None = None  # the first text, then the corrected one
    follow_ups: tuple[Follow, ...] = ()
    assign_to: tuple[str, str] | None = None  # (username, reason)
    # What happened last: "", "closure_requested", "closed", "reopened"
    ending: str = ""
    closure_reason: str = ""
    reopen_reason: str = ""
    breaks: tuple[str, ...] = field(default=())  # "pending" or "approved"


AFTER_FIVE = "ហៅតែក្រោយម៉ោង ៥ ល្ងាច ពេលប្អូនចេញពីសាលា។ បើមនុស្សធំលើកទូរស័ព្ទ ប្រាប់ថាខុសលេខ ហើយបិទភ្លាម។ កុំផ្ញើសារ SMS។"
ONLY_IF_ALONE = (
    "ប្អូនខ្ចីទូរស័ព្ទបងស្រី។ ហៅម្ដងតែប៉ុណ្ណោះ បើគ្មានអ្នកលើក កុំហៅម្ដងទៀត។ "
    "ចាប់ផ្ដើមដោយសួរថា «នេះជាស្រីល័ក្ខមែនទេ?» ហើយរង់ចាំប្អូនប្រាប់ថាអាចនិយាយបាន។"
)
SCHOOL_TEACHER = "ទាក់ទងតាមរយៈអ្នកគ្រូថ្នាក់ទី ៧ តែប៉ុណ្ណោះ។ កុំទាក់ទងផ្ទះ ព្រោះឪពុកចុងមិនដឹងរឿងនេះទេ។"

CASES: tuple[DemoCase, ...] = (
    DemoCase(
        nickname="ពៅ",
        age=14,
        gender="female",
        province="battambang",
        risk="high",
        counsellor="counsellor",
        contacts=2,
        goals=(
            ("ពៅមានមនុស្សធំម្នាក់ដែលទុកចិត្ត ដែលអាចនិយាយជាមួយបាន", GoalStatus.IN_PROGRESS),
            ("ពៅត្រឡប់ទៅរៀនវិញជារៀងរាល់ថ្ងៃ", GoalStatus.PLANNED),
        ),
        notes=("ពៅនិយាយថា ឪពុកផឹកស្រារាល់យប់ ហើយស្រែកដាក់ម្ដាយ។ ប្អូនខ្លាចនៅផ្ទះពេលយប់។",),
        edited_note=(
            "ពៅរស់នៅជាមួយយាយ។",
            "ពៅរស់នៅជាមួយឪពុកម្ដាយ និងយាយ។ យាយជាមនុស្សដែលប្អូនទុកចិត្តជាងគេ។",
        ),
        follow_ups=(Follow(FollowUpKind.CALL_BACK, -20, AFTER_FIVE),),
        breaks=("pending",),
    ),
    DemoCase(
        nickname="ស្រីល័ក្ខ",
        age=16,
        gender="female",
        province="siem_reap",
        risk="critical",
        counsellor="counsellor",
        contacts=2,
        goals=(("ស្រីល័ក្ខស្នាក់នៅកន្លែងសុវត្ថិភាពជាមួយដៃគូ", GoalStatus.ACHIEVED),),
        notes=("ស្រីល័ក្ខថាមានគេសន្យាឲ្យការងារនៅថៃ ហើយចង់យកអត្តសញ្ញាណប័ណ្ណប្អូន។ ប្អូនយល់ព្រមឲ្យយើងជូនដំណឹងទៅដៃគូ។",),
        follow_ups=(Follow(FollowUpKind.REFERRAL_CHECK, 30, ONLY_IF_ALONE),),
        breaks=("approved",),
    ),
    DemoCase(
        nickname="វណ្ណា",
        age=12,
        gender="male",
        province="phnom_penh",
        risk="low",
        counsellor="counsellor",
        goals=(("វណ្ណាមានមិត្តភក្ដិនៅថ្នាក់ថ្មី", GoalStatus.ACHIEVED),),
        notes=("វណ្ណាប្រាប់ថា ឥឡូវមានមិត្តពីរនាក់ ហើយលែងខ្លាចទៅសាលាទៀតហើយ។",),
        ending="closure_requested",
        closure_reason="គោលដៅសម្រេចបាន។ វណ្ណាដឹងថាអាចហៅ 1280 វិញពេលណាក៏បាន។",
    ),
    DemoCase(
        nickname="តូច",
        age=10,
        gender="male",
        province="kampong_cham",
        risk="low",
        counsellor="volunteer",
        notes=("តូចហៅមកសួរថា ធ្វើម៉េចបើបងប្រុសវាយរាល់ថ្ងៃ។ បានពន្យល់ពីសិទ្ធិកុមារ។",),
    ),
    DemoCase(
        nickname="ស្រីនិច",
        age=15,
        gender="female",
        province="kandal",
        risk="medium",
        counsellor="counsellor",
        contacts=2,
        goals=(("ស្រីនិចបានជួបអ្នកប្រឹក្សាផ្លូវចិត្តនៅមណ្ឌលសុខភាព", GoalStatus.IN_PROGRESS),),
        notes=("ស្រីនិចគេងមិនលក់ ហើយយំរាល់យប់តាំងពីម្ដាយទៅធ្វើការនៅកូរ៉េ។",),
        follow_ups=(
            Follow(FollowUpKind.REFERRAL_CHECK, -50, "ហៅក្នុងម៉ោងសម្រាកថ្ងៃត្រង់ (ពី ១១:៣០ ដល់ ១៣:០០) តែប៉ុណ្ណោះ។"),
        ),
    ),
    DemoCase(
        nickname="ចាន់",
        age=13,
        gender="male",
        province="takeo",
        risk="medium",
        counsellor="counsellor",
        goals=(("ចាន់មានផែនការសុវត្ថិភាពពេលឪពុកស្រវឹង", GoalStatus.ACHIEVED),),
        notes=("ចាន់ប្រាប់ថា ឪពុកឈប់ផឹកស្រាបីខែហើយ។ ផ្ទះស្ងប់ស្ងាត់ជាងមុន។",),
        ending="closed",
        closure_reason="ចាន់មានសុវត្ថិភាព ហើយយាយនៅជាមួយ។ បានយល់ព្រមបិទករណី។",
    ),
    DemoCase(
        nickname="រតនា",
        age=17,
        gender="female",
        province="preah_sihanouk",
        risk="high",
        counsellor="counsellor",
        notes=("រតនាហៅមកវិញបន្ទាប់ពីពីរខែ។ ការងារនៅកាស៊ីណូធ្វើឲ្យប្អូនធ្លាក់ទឹកចិត្តម្ដងទៀត។",),
        ending="reopened",
        closure_reason="រតនាមានការងារ និងកន្លែងស្នាក់នៅ។",
        reopen_reason="រតនាហៅមកវិញ៖ បាត់ការងារ ហើយគិតចង់ធ្វើបាបខ្លួនឯង។",
    ),
    DemoCase(
        nickname="បូរ៉ា",
        age=11,
        gender="male",
        province="kampot",
        risk="medium",
        counsellor="volunteer",
        contacts=2,
        goals=(("បូរ៉ាចូលរៀនថ្នាក់បំប៉នគណិតវិទ្យា", GoalStatus.PLANNED),),
        follow_ups=(Follow(FollowUpKind.CALL_BACK, 6, "ហៅលេខម្ដាយ។ ម្ដាយដឹង ហើយគាំទ្រ។"),),
    ),
    DemoCase(
        nickname="ធីតា",
        age=9,
        gender="female",
        province="prey_veng",
        risk="medium",
        counsellor="counsellor",
        goals=(("ធីតាមានអាហារពេលព្រឹកមុនទៅសាលា", GoalStatus.PLANNED),),
        notes=("អ្នកជិតខាងហៅមកប្រាប់ថា ធីតានៅផ្ទះម្នាក់ឯងច្រើនថ្ងៃ ពេលឪពុកម្ដាយទៅធ្វើស្រែឆ្ងាយ។",),
    ),
    DemoCase(
        nickname="គន្ធា",
        age=16,
        gender="female",
        province="svay_rieng",
        risk="high",
        counsellor="counsellor",
        contacts=2,
        notes=("គន្ធាត្រូវបានគ្រួសាររៀបចំឲ្យរៀបការ ប៉ុន្តែប្អូនចង់រៀនបន្ត។",),
        assign_to=("casemanager", "ត្រូវការអ្នកគ្រប់គ្រងករណី ដើម្បីសម្របសម្រួលជាមួយសាលា និងមេឃុំ។"),
        follow_ups=(Follow(FollowUpKind.VISIT, 48, SCHOOL_TEACHER),),
    ),
    DemoCase(
        nickname="ស្រីមុំ",
        age=14,
        gender="female",
        province="pursat",
        risk="high",
        counsellor="counsellor",
        goals=(("ស្រីមុំមានកន្លែងសុវត្ថិភាពទៅពេលមានអំពើហិង្សា", GoalStatus.IN_PROGRESS),),
        notes=("ស្រីមុំថាឪពុកចុងវាយម្ដាយ ហើយប្អូនព្យាយាមការពារម្ដាយ។",),
        follow_ups=(Follow(FollowUpKind.VISIT, -30, SCHOOL_TEACHER),),
    ),
    DemoCase(
        nickname="ពិសិដ្ឋ",
        age=15,
        gender="male",
        province="kampong_speu",
        risk="low",
        counsellor="volunteer",
        notes=("ពិសិដ្ឋសួរពីការប្រឡងបាក់ឌុប ហើយថាឪពុកម្ដាយបង្ខំឲ្យរៀនពេទ្យ។",),
    ),
)

# reason, told to, who exactly, what was disclosed, the child told first, why not
DISCLOSED: dict[str, tuple[str, str, str, str, bool, str]] = {
    "pending": (
        BreakReason.RISK_TO_LIFE,
        Recipient.FAMILY,
        "យាយរបស់ពៅ",
        "ពៅថាចង់រត់ចេញពីផ្ទះពេលយប់។ បានប្រាប់យាយឲ្យនៅក្បែរប្អូនយប់នេះ។",
        False,
        "ពៅបិទទូរស័ព្ទមុនពេលយើងអាចប្រាប់ប្អូនបាន ហើយគ្រោះថ្នាក់គឺយប់នេះ។",
    ),
    "approved": (
        BreakReason.EMERGENCY,
        Recipient.PARTNER,
        "ដៃគូប្រឆាំងការជួញដូរមនុស្ស នៅសៀមរាប",
        "ឈ្មោះហៅក្រៅ អាយុ និងថ្ងៃធ្វើដំណើរដែលគេគ្រោងនាំស្រីល័ក្ខទៅថៃ។",
        True,
        "",
    ),
}


def demo_cases_present() -> bool:
    return CaseContact.objects.filter(contact__idempotency_key__startswith=KEY_PREFIX).exists()


def _staff() -> dict[str, Staff]:
    wanted = {"counsellor", "volunteer", "supervisor", "casemanager"}
    found = {s.username: s for s in Staff.objects.filter(username__in=wanted)}
    if set(found) != wanted:
        raise DemoCasesError("Create the demo staff first (seed_demo).")
    return found


def _contacts(staff: Staff) -> list[Contact]:
    """Counselling contacts the staff member took, oldest first, at least a week before today."""
    until = timezone.now() - dt.timedelta(days=7)
    return list(
        Contact.objects.filter(
            idempotency_key__startswith=KEY_PREFIX,
            counsellor=staff,
            kind=Kind.COUNSELLING,
            arrived_at__lt=until,
        ).order_by("arrived_at", "id")[:40]
    )


def create_demo_cases() -> int | None:
    """The number of cases created, or None when another run got there first."""
    staff = _staff()
    pools = {name: _contacts(staff[name]) for name in ("counsellor", "volunteer")}
    if sum(len(p) for p in pools.values()) < sum(c.contacts for c in CASES):
        raise DemoCasesError("Create the demo contacts first (seed_demo_contacts).")
    terms = {(t.vocabulary, t.code): t for t in Term.objects.filter(vocabulary__in=["province", "gender"])}
    with transaction.atomic():
        if demo_cases_present():
            return None
        for demo in CASES:
            pool = pools[demo.counsellor]
            taken = _take(pool, demo.contacts)
            pools[demo.counsellor] = [c for c in pool if c not in taken]
            _create(demo, taken, staff, terms)
    return len(CASES)


def _take(pool: list[Contact], n: int) -> list[Contact]:
    """n contacts, from one caller who called that often if there is one (a child calling back)."""
    callers: dict[object, list[Contact]] = {}
    for contact in pool:
        if contact.caller_id is not None:
            callers.setdefault(contact.caller_id, []).append(contact)
    again = next((found for found in callers.values() if len(found) >= n), None)
    return (again or pool)[:n]


def _create(
    demo: DemoCase, contacts: list[Contact], staff: dict[str, Staff], terms: dict[tuple[str, str], Term]
) -> Case:
    who = staff[demo.counsellor]
    first, *later = contacts
    opened = first.arrived_at + dt.timedelta(minutes=40)
    case = services.case_open(who, contacts=[first], nickname=demo.nickname, risk=demo.risk, at=opened)
    services.case_update_profile(
        who,
        case=case,
        nickname=demo.nickname,
        age=demo.age,
        gender=terms.get(("gender", demo.gender), case.gender),
        province=terms.get(("province", demo.province), case.province),
        risk=demo.risk,
    )
    for contact in later:
        services.case_link_contact(who, case=case, contact=contact)
    today = timezone.localdate()
    for n, (text, status) in enumerate(demo.goals):
        goal = services.goal_add(who, case=case, text=text, due_on=today + dt.timedelta(days=14 + 7 * n))
        if status != GoalStatus.PLANNED:
            services.goal_change(who, goal=goal, status=status, due_on=goal.due_on)
    for text in demo.notes:
        services.note_add(who, case=case, text=text)
    if demo.edited_note:
        note = services.note_add(who, case=case, text=demo.edited_note[0])
        services.note_edit(who, note=note, text=demo.edited_note[1], revision=note.revision)
    now = timezone.now()
    for follow in demo.follow_ups:
        due = now + dt.timedelta(hours=follow.due_in_hours)
        # An overdue one was planned days ago, soon after the case opened.
        at = min(now, max(case.opened_at, due - dt.timedelta(days=3)))
        followups.follow_up_schedule(
            who, case=case, kind=follow.kind, due_at=due, owner=who, instructions=follow.instructions, at=at
        )
    for state in demo.breaks:
        reason, kind, recipient, disclosed, told, why_not = DISCLOSED[state]
        facts = breaks.BreakFacts(
            reason=reason,
            disclosed=disclosed,
            recipient_kind=kind,
            recipient=recipient,
            disclosed_at=now - dt.timedelta(days=2),
            client_told_first=told,
            not_told_why=why_not,
            decided_by=staff["supervisor"] if state == "approved" else who,
        )
        brk = breaks.break_record(who, case=case, facts=facts)
        if state == "approved":
            breaks.break_sign_off(staff["supervisor"], brk=brk, approve=True)
    if demo.assign_to:
        username, reason = demo.assign_to
        services.case_assign(staff["supervisor"], case=case, assignee=staff[username], reason=reason)
    _end(demo, case, who, staff["supervisor"])
    return case


def _end(demo: DemoCase, case: Case, who: Staff, supervisor: Staff) -> None:
    if not demo.ending:
        return
    supervision.closure_request(who, case=case, reason=demo.closure_reason)
    if demo.ending in {"closed", "reopened"}:
        supervision.closure_approve(supervisor, case=case)
    if demo.ending == "reopened":
        supervision.case_reopen(who, case=case, reason=demo.reopen_reason)
