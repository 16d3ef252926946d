"""Which app may write which record type, and who is writing one now (for the suite-wide guard)."""

from __future__ import annotations

import sys
from pathlib import Path

HELPLINE = Path(__file__).resolve().parent.parent / "helpline"

# model name: the app whose services alone write it
OWNERS = {
    "Contact": "contacts",
    "ContactTransfer": "contacts",
    "Offer": "routing",
    "LiveEvent": "common",
    **dict.fromkeys(
        [
            "Case",
            "CaseNumber",
            "CaseContact",
            "PlanGoal",
            "CaseNote",
            "NoteRevision",
            "CasePerson",
            "CaseEvent",
            "FollowUp",
            "ConfidentialityBreak",
            "CaseSettings",
            "CaseHandler",
        ],
        "cases",
    ),
    **dict.fromkeys(
        [
            "Partner",
            "PartnerAssessment",
            "PartnerDocument",
            "MonitoringVisit",
            "PartnerConcern",
            "PartnerSuspension",
            "PartnerImport",
            "ReferralNumber",
            "Referral",
            "ReferralEvent",
            "ReferralToken",
            "ReferralSettings",
        ],
        "referrals",
    ),
    **dict.fromkeys(
        [
            "DailyRollup",
            "MonthlyRollup",
            "DailyAllRollup",
            "MonthlyAllRollup",
            "ContactFact",
            "RollupState",
        ],
        "reports",
    ),
    **dict.fromkeys(["ShiftPattern", "Shift", "Assignment", "Swap", "LapseWarning"], "rota"),
    **dict.fromkeys(["Criterion", "Review", "Score", "Debrief", "Distressing"], "people"),
    **dict.fromkeys(["RetentionPolicy", "RetentionRun"], "operations"),
    "AuditCheckpoint": "audit",
}


class WrongWriter(AssertionError):
    pass


def writer_of(_instance: object) -> str | None:
    """The app of the innermost project frame on the stack (None when only tests and Django write).
    Walks the frames themselves: inspect.stack() would look up every frame's source file on each save."""
    frame = sys._getframe(1)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        # A model's own save() (an append-only base class) is plumbing, not the writer.
        if HELPLINE in path.parents and "migrations" not in path.parts and path.name != "models.py":
            return path.relative_to(HELPLINE).parts[0]
        frame = frame.f_back  # type: ignore[assignment]
    return None


def guard(sender: type, instance: object, **_kwargs: object) -> None:
    owner = OWNERS.get(sender.__name__)
    if owner is None:
        return
    app = writer_of(instance)
    if app is not None and app != owner:
        raise WrongWriter(f"{sender.__name__} written from helpline/{app}/; only {owner}'s services write it")
