"""Pages anyone may open, without an account: the feedback form and the survey. Khmer first (the
site's default language; `?lang=en` for English), plain HTML forms that work without JavaScript,
CSRF-protected, rate-limited by address."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods

from helpline.accounts.access import PUBLIC, access
from helpline.feedback import public, survey
from helpline.feedback.forms import (
    PUBLIC_MAX_SUBJECT_WORDS,
    PUBLIC_MAX_TEXT,
    PublicFeedbackForm,
    SurveyForm,
)
from helpline.feedback.models import ReplyChannel, Source
from helpline.feedback.services import FeedbackError, feedback_receive, feedback_would_show_risk


def _language(request: HttpRequest) -> str:
    return "en" if request.GET.get("lang") == "en" or request.POST.get("lang") == "en" else "km"


@access(PUBLIC)
@require_http_methods(["GET", "POST"])
def feedback_form(request: HttpRequest) -> HttpResponse:
    language = _language(request)
    with translation.override(language):
        if request.method == "GET":
            return _form_page(request, PublicFeedbackForm(), language)
        form = PublicFeedbackForm(request.POST)
        if public.form_flooded(request):
            return _flooded(request, form, language)
        # Each attempt that keeps nothing counts towards its own, more generous limit: a flood of
        # junk (or of repeats, each read by the triage again) is stopped without a child's
        # mistakes using up what the address may send.
        if not form.is_valid():
            public.form_refused(request)
            return _form_page(request, form, language, status=400)
        data = form.cleaned_data
        if data["website"]:  # a robot: thanked, nothing kept
            public.form_refused(request)
            return redirect(_thanks(language))
        words = public.form_words(data)
        if public.form_repeated(request, words):  # a double click: the first one is kept
            public.form_refused(request)
            # The browser shows the answer to the last click, often given while the first is
            # still being kept: the words just sent decide it, read as the first send's were.
            risk = feedback_would_show_risk(
                source=Source.WEB_FORM, text=data["text"], subject_words=data["subject_words"]
            )
            return _thanked(request, language, risk=risk)
        try:
            received = feedback_receive(
                "web form",
                source="web_form",
                kind=data["kind"],
                text=data["text"],
                subject=data["subject"],
                subject_words=data["subject_words"],
                name=data["name"],
                reply_channel=ReplyChannel.EMAIL if data["email"] else ReplyChannel.NONE,
                reply_address=data["email"],
                language=language,
                request=request,
            )
        except FeedbackError as exc:
            public.form_release(request, words)
            public.form_refused(request)
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return _form_page(request, form, language, status=400)
        except BaseException:  # nothing kept (a database outage, say): a resend must not be swallowed
            public.form_release(request, words)
            raise
        public.form_sent(request)
        return _thanked(request, language, risk=received.shows_risk)


def _flooded(request: HttpRequest, form: PublicFeedbackForm, language: str) -> HttpResponse:
    """Refused for now, nothing kept, but the form comes back with what was typed in it, so the
    words are not lost; words that show risk (read as feedback_receive would read them) put the
    helpline's numbers first, as the thanks would have. Past what may be read, numbers first."""
    risk = True
    if public.form_flood_readable(request):
        risk = feedback_would_show_risk(
            source=Source.WEB_FORM,
            text=str(form.data.get("text", ""))[:PUBLIC_MAX_TEXT],
            subject_words=str(form.data.get("subject_words", ""))[:PUBLIC_MAX_SUBJECT_WORDS],
        )
    return _form_page(request, form, language, status=429, flooded=True, risk=risk)


def _thanked(request: HttpRequest, language: str, *, risk: bool) -> HttpResponse:
    if risk:
        # Answered here, not after a redirect, so the address bar carries no sign of it: the
        # same thanks, with the helpline's numbers put first.
        return render(request, "feedback/public_thanks.html", {"language": language, "risk": True})
    return redirect(_thanks(language))


def _thanks(language: str) -> str:
    return reverse("feedback:public_thanks") + ("?lang=en" if language == "en" else "")


def _form_page(
    request: HttpRequest,
    form: PublicFeedbackForm,
    language: str,
    *,
    status: int = 200,
    flooded: bool = False,
    risk: bool = False,
) -> HttpResponse:
    return render(
        request,
        "feedback/public_form.html",
        {"form": form, "language": language, "flooded": flooded, "risk": risk},
        status=status,
    )


@access(PUBLIC)
@require_GET
def feedback_thanks(request: HttpRequest) -> HttpResponse:
    language = _language(request)
    with translation.override(language):
        return render(request, "feedback/public_thanks.html", {"language": language})


@access(PUBLIC)
@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    """The survey a child was sent a link to: every question may be left out."""
    invite = survey.invite_for_token(token)
    if invite is None:
        raise Http404("No such survey")
    language = invite.language
    with translation.override(language):
        questions = invite.questions.split()
        form = SurveyForm(request.POST or None, questions=questions)
        if request.method == "POST" and form.is_valid():
            survey.survey_answer(invite, answers=form.cleaned_data, request=request)
            return render(request, "feedback/public_thanks.html", {"language": language, "survey": True})
        status = 400 if request.method == "POST" else 200
        return render(request, "feedback/survey.html", {"form": form, "language": language}, status=status)
