"""The reporter's pages: the public channels, one channel, the questionnaire, the receipt,
and following a report up with its receipt.

No account, no session, no language cookie, and nothing that needs JavaScript:

- The language is the page's ``?lang=`` (links) or the form's hidden ``lang`` (posts), else
  the browser's Accept-Language as Django's LocaleMiddleware reads it.
- What follows a page is carried by the page itself: the receipt is shown in the answer to
  the post that made the report (there is no cookie to carry it to a redirect), and an
  opened report travels as a sealed, short-lived token in the forms' bodies
  (``submission.followup_token``), never in an address.
- Every form carries a proof-of-work challenge (``abuse``): with JavaScript the browser
  solves it, without it the server waits for a person's patience. A challenge is good for
  one post: a form sent twice is refused the second time.
- Uploaded files are read into memory only, never into a temporary file on disk, and a
  file over the size limit is refused before any of it is kept.

The anonymising middleware (``reporting/middleware.py``) has already removed the address,
the headers and every cookie but the CSRF token before these views run, and forbids
caching and referrers on their answers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import wraps

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from havenwatch.core.errors import NotFound, ServiceError
from havenwatch.core.models import Port
from havenwatch.reporting import abuse, crypto, questionnaire, selectors
from havenwatch.reporting.choices import Author, MessageKind, ReportStatus
from havenwatch.reporting.models import Channel
from havenwatch.reporting.services import submission

LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
# Sends of the questionnaire per anonymous session (its CSRF cookie) and hour: five reports,
# each with a mistake to correct. Receipt logins per session and ten minutes.
SUBMIT_LIMIT, SUBMIT_WINDOW = 10, 3600
LOGIN_LIMIT, LOGIN_WINDOW = 10, 600
INTRO_EXCERPT_WORDS = 40
ACCEPTED_FILES = "image/jpeg,image/png,application/pdf"


# --- every public page -------------------------------------------------------------------


class InMemoryUploads(FileUploadHandler):
    """Every uploaded file kept in memory only, never in a temporary file on disk. A file
    over the size a report takes, or past the number it takes, keeps its name and size
    only: its bytes are dropped as they arrive, and the view refuses it by name."""

    def __init__(self, request=None):
        super().__init__(request)
        self.most, self.biggest = submission.limits()
        self.count = 0
        self.buffer = io.BytesIO()
        self.size = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.count += 1
        self.buffer = io.BytesIO()
        self.size = 0

    def _kept(self) -> bool:
        return self.size <= self.biggest and self.count <= self.most

    def receive_data_chunk(self, raw_data, start):
        self.size += len(raw_data)
        if self._kept():
            self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        kept = self._kept()
        data = self.buffer if kept else io.BytesIO()
        data.seek(0)
        upload = InMemoryUploadedFile(file=data, field_name=self.field_name, name=self.file_name,
                                      content_type=self.content_type, size=self.size, charset=self.charset,
                                      content_type_extra=self.content_type_extra)
        upload.dropped = not kept
        return upload


def _in_language(view):
    """Run the view in the language the page asks for: ``?lang=`` on a link, the hidden
    ``lang`` of a form, else the browser's (as LocaleMiddleware activated it)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        asked = (request.POST if request.method == "POST" else request.GET).get("lang", "")
        language = asked if asked in LANGUAGES else translation.get_language() or settings.LANGUAGE_CODE
        with translation.override(language):
            response = view(request, *args, **kwargs)
        response.headers["Content-Language"] = language
        return response

    return wrapped


def public_page(view):
    """A reporter's page: files uploaded to it stay in memory (the upload handlers must be
    set before anything reads the body, so the CSRF check runs here, after them), then the
    view runs in the page's language."""
    protected = csrf_protect(_in_language(view))

    @wraps(view)
    def page(request, *args, **kwargs):
        request.upload_handlers = [InMemoryUploads(request)]
        return protected(request, *args, **kwargs)

    return csrf_exempt(page)


def _render(request, template: str, context: dict, *, page_url: str, status: int = 200):
    """``page_url``: where the language links lead (the page as a link opens it)."""
    language = translation.get_language()
    return render(request, template, {
        "lang": language, "languages": settings.LANGUAGES, "page_url": page_url, **context,
    }, status=status)


def _channel(slug: str) -> Channel | None:
    return selectors.channels_public().filter(slug=slug).first()


def _not_found(request):
    return _render(request, "reporting/public/not_found.html", {}, page_url=reverse("report:channels"),
                   status=404)


def _url(name: str, channel: Channel) -> str:
    return reverse(f"report:{name}", args=[channel.slug])


@dataclass
class Errors:
    """A form's errors: by field, and on top for those of no field shown."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    top: list[str] = field(default_factory=list)

    def add(self, message, field_name: str | None = None, *, shown: frozenset | set = frozenset()) -> None:
        if field_name and field_name in shown:
            self.fields.setdefault(field_name, []).append(str(message))
        else:
            self.top.append(str(message))

    def add_service_error(self, error: ServiceError, *, shown) -> None:
        """A service's refusal: each item of a refused batch on its own field."""
        if error.errors:
            for item in error.errors:
                self.add(item.get("message", error.message), item.get("field"), shown=shown)
        else:
            self.add(error.message, error.field, shown=shown)


@dataclass(frozen=True)
class Pow:
    """The proof-of-work challenge a form carries."""

    token: str
    difficulty: int

    @classmethod
    def issue(cls, purpose: str, channel: Channel) -> Pow:
        challenge = abuse.challenge_issue(purpose=purpose, scope=channel.slug)
        return cls(token=challenge.token, difficulty=challenge.difficulty)

    @classmethod
    def posted(cls, request) -> Pow:
        """The challenge the form was sent with, to carry again when it was refused without
        being spent (sent too soon without JavaScript: the wait already served counts). Its
        difficulty is only the solver's hint: the server reads the one signed in the token."""
        try:
            difficulty = max(0, min(abuse.MAX_DIFFICULTY, int(request.POST.get("pow_difficulty", ""))))
        except ValueError:
            difficulty = 0
        return cls(token=request.POST.get("pow_token", "")[:1024], difficulty=difficulty)


UNSPENT = frozenset({"too_soon", "busy"})  # challenge refusals after which the same form may be sent again


def _check_pow(request, purpose: str, channel: Channel) -> None:
    """The form's proof-of-work. A refusal that leaves the challenge unspent carries it as
    ``.pow``, so the page can give the same form back (the wait already served counts)."""
    try:
        abuse.challenge_check(purpose=purpose, scope=channel.slug, token=request.POST.get("pow_token", ""),
                              solution=request.POST.get("pow_solution", ""))
    except ServiceError as exc:
        exc.pow = Pow.posted(request) if exc.code in UNSPENT else None
        raise


def _admit(request, purpose: str, channel: Channel, *, limit: int, window: int, refusal: str) -> None:
    """The form's proof-of-work, then this browser's limit for ``purpose`` (its anonymous
    session is its CSRF cookie)."""
    _check_pow(request, purpose, channel)
    session = abuse.session_key(request)
    if session is None:
        raise _no_session()
    if not abuse.throttle(f"{purpose}:{session}", limit=limit, window=window):
        raise ServiceError(refusal, code="throttled")


def _no_session() -> ServiceError:
    return ServiceError(_("Your browser did not send this site's cookie. Allow cookies for this site (it keeps "
                          "only a random number, until you close the browser) and send the form again."),
                        code="no_session")


def _uploads(request, field_name: str) -> list[submission.Upload]:
    """The files sent, read in full; refused by name when over the limits, before any is kept."""
    most, biggest = submission.limits()
    sent = request.FILES.getlist(field_name)
    if len(sent) > most:
        raise ServiceError(_("Attach at most %(n)s files.") % {"n": most}, field="files")
    for item in sent:
        if getattr(item, "dropped", False) or item.size > biggest:
            name = " ".join(str(item.name or "").split())[:120] or "file"
            raise ServiceError(_("%(name)s is larger than %(mb)s MB.") % {
                "name": name, "mb": biggest // (1024 * 1024)}, field="files")
    return [submission.Upload(name=item.name, data=item.read()) for item in sent]


# --- the channels and a channel ----------------------------------------------------------


def _excerpt(text: str) -> str:
    words = text.split()
    return " ".join(words[:INTRO_EXCERPT_WORDS]) + (" …" if len(words) > INTRO_EXCERPT_WORDS else "")


@require_GET
@public_page
def channel_list(request):
    channels = list(selectors.channels_public().prefetch_related("ports"))
    rows = [{"channel": channel, "excerpt": _excerpt(channel.display_intro), "ports": list(channel.ports.all())}
            for channel in channels]
    return _render(request, "reporting/public/channels.html", {"rows": rows}, page_url=reverse("report:channels"))


@require_GET
@public_page
def channel_detail(request, slug: str):
    channel = _channel(slug)
    if channel is None:
        return _not_found(request)
    return _render(request, "reporting/public/channel.html", {
        "channel": channel, "ports": list(channel.ports.all()), "ready": submission.channel_ready(channel),
    }, page_url=_url("channel", channel))


# --- the questionnaire -------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """A question as the form shows it, with the answer given so far."""

    code: str
    label: object
    help: object
    kind: str  # "textarea", "text" or "radio"
    max_length: int
    choices: tuple
    value: str
    errors: list[str]
    required: bool


def _ports(channel: Channel) -> list[Port]:
    """The ports a reporter chooses from: the channel's when it covers several, every port
    when it covers none, none to choose when it covers one."""
    own = list(channel.ports.order_by("name"))
    if len(own) == 1:
        return []
    return own or list(Port.objects.order_by("name"))


def _answer_codes(channel: Channel) -> list[str]:
    codes = [question.code for question in questionnaire.asked(channel.questions)]
    return [*codes, "point"] if "where" in codes else codes


def _report_form(request, channel: Channel, *, values: dict, errors: Errors, pow_: Pow, status: int = 200,
                 files_again: bool = False):
    asked = questionnaire.asked(channel.questions)
    questions = [Question(
        code=question.code, label=question.label, help=question.help,
        kind="radio" if question.choices else ("textarea" if question.multiline else "text"),
        max_length=question.max_length, choices=question.choices, value=values.get(question.code, ""),
        errors=errors.fields.get(question.code, []), required=question is questionnaire.WHAT,
    ) for question in asked]
    ports = _ports(channel)
    most, biggest = submission.limits()
    return _render(request, "reporting/public/new.html", {
        "channel": channel, "questions": questions, "errors": errors, "values": values, "pow": pow_,
        "categories": list(channel.categories.filter(is_active=True)), "ports": ports,
        "asks_where": any(question.code == "where" for question in asked),
        "map_ports": [{"name": port.name, "boundary": port.boundary}
                      for port in (ports or channel.ports.all()) if port.boundary],
        "attachments": questionnaire.ATTACHMENTS in channel.questions, "accept": ACCEPTED_FILES,
        "max_files": most, "max_mb": biggest // (1024 * 1024), "files_again": files_again,
        "patience": abuse.config()["patience"]["submit"],
    }, page_url=_url("new", channel), status=status)


def _shown_fields(channel: Channel) -> set[str]:
    shown = {"category", *_answer_codes(channel)} - {"point"}
    if _ports(channel):
        shown.add("port")
    if questionnaire.ATTACHMENTS in channel.questions:
        shown.add("files")
    return shown


@require_http_methods(["GET", "POST"])
@public_page
def report_new(request, slug: str):
    """The questionnaire; sent, the report is made and its receipt shown, once."""
    channel = _channel(slug)
    if channel is None:
        return _not_found(request)
    if not submission.channel_ready(channel):
        return _render(request, "reporting/public/unavailable.html", {"channel": channel},
                       page_url=_url("new", channel), status=409 if request.method == "POST" else 200)
    if request.method != "POST":
        return _report_form(request, channel, values={}, errors=Errors(), pow_=Pow.issue("submit", channel))

    values = {code: request.POST.get(code, "") for code in ("category", "port", *_answer_codes(channel))}
    answers = {code: values[code] for code in _answer_codes(channel) if values[code] != ""}
    shown = _shown_fields(channel)
    files_sent = bool(request.FILES.getlist("files"))
    errors = Errors()
    try:
        _admit(request, "submit", channel, limit=SUBMIT_LIMIT, window=SUBMIT_WINDOW, refusal=_(
            "Too many reports were sent from this browser in the last hour. Please try again later."))
        uploads = _uploads(request, "files") if "files" in shown else []
        sent = submission.report_submit(channel=channel, category=values["category"], answers=answers,
                                        port=values["port"] or None, uploads=uploads)
    except NotFound:
        return _not_found(request)
    except ServiceError as exc:
        errors.add_service_error(exc, shown=shown)
        return _report_form(request, channel, values=values, errors=errors,
                            pow_=getattr(exc, "pow", None) or Pow.issue("submit", channel), status=400,
                            files_again=files_sent)
    return _render(request, "reporting/public/receipt.html", {
        "channel": channel, "receipt": crypto.format_receipt(sent.receipt),
    }, page_url=_url("new", channel))


# --- following a report up ---------------------------------------------------------------


def _receipt_form(request, channel: Channel, *, errors: Errors | None = None, receipt: str = "",
                  pow_: Pow | None = None, status: int = 200):
    return _render(request, "reporting/public/follow_up.html", {
        "channel": channel, "errors": errors or Errors(), "receipt": receipt,
        "pow": pow_ or Pow.issue("login", channel), "patience": abuse.config()["patience"]["login"],
    }, page_url=_url("follow_up", channel), status=status)


@dataclass(frozen=True)
class Line:
    """A line of the conversation as the reporter reads it."""

    mine: bool
    question: bool
    waiting: bool  # a question no message of the reporter follows yet
    text: str
    at: object
    files: list


def _lines(view: submission.ReporterView) -> list[Line]:
    lines = []
    answered = False  # a message of the reporter comes later
    for item in reversed(view.lines):
        mine = item.author == Author.REPORTER
        question = not mine and item.kind == MessageKind.QUESTION
        lines.append(Line(mine=mine, question=question, waiting=question and not answered, text=item.text,
                          at=item.at, files=item.files))
        answered = answered or mine
    return lines[::-1]


def _report_page(request, channel: Channel, opened: submission.Opened, *, token: str | None = None,
                 notice: str = "", errors: Errors | None = None, text: str = "", pow_: Pow | None = None,
                 files_again: bool = False, status: int = 200):
    """The report as its reporter reads it, and the form to add to it. ``token``: the one
    the page came with, carried on as it is (a language switch does not lengthen the
    session); a fresh one otherwise."""
    view = submission.reporter_view(opened)
    report = view.report
    most, biggest = submission.limits()
    return _render(request, "reporting/public/report.html", {
        "channel": channel, "report": report, "answers": questionnaire.labelled(view.answers),
        "point": view.answers.get("point"), "files": view.files, "lines": _lines(view),
        "closed": report.status == ReportStatus.CLOSED, "token": token or submission.followup_token(opened),
        "notice": notice, "errors": errors or Errors(), "text": text, "pow": pow_ or Pow.issue("followup", channel),
        "attachments": questionnaire.ATTACHMENTS in channel.questions, "accept": ACCEPTED_FILES,
        "max_files": most, "max_mb": biggest // (1024 * 1024), "files_again": files_again,
        "minutes": submission.FOLLOWUP_MINUTES, "time_zone": report.port.time_zone if report.port_id else None,
        "patience": abuse.config()["patience"]["followup"],
    }, page_url=_url("follow_up", channel), status=status)


@require_http_methods(["GET", "POST"])
@public_page
def follow_up(request, slug: str):
    """The receipt form; sent, the report it opens. A post with the page's token and no
    receipt shows the report again (the language switch of the report page)."""
    channel = _channel(slug)
    if channel is None:
        return _not_found(request)
    if request.method != "POST":
        return _receipt_form(request, channel)
    if "receipt" not in request.POST and "token" in request.POST:
        token = request.POST["token"]
        try:
            opened = submission.followup_resume(channel=channel, token=token)
        except ServiceError as exc:
            return _receipt_form(request, channel, errors=Errors(top=[str(exc.message)]), status=400)
        return _report_page(request, channel, opened, token=token)

    receipt = request.POST.get("receipt", "")[:100]
    try:
        _admit(request, "login", channel, limit=LOGIN_LIMIT, window=LOGIN_WINDOW, refusal=_(
            "Too many attempts with a receipt from this browser. Please wait ten minutes and try again."))
        try:
            opened = submission.receipt_open(channel=channel, receipt=receipt)
        except ServiceError as exc:
            if exc.code == "receipt_unknown":
                abuse.record_failure(channel.slug)
            raise
    except ServiceError as exc:
        errors = Errors()
        errors.add_service_error(exc, shown={"receipt"})
        return _receipt_form(request, channel, errors=errors, receipt=receipt, pow_=getattr(exc, "pow", None),
                             status=400)
    return _report_page(request, channel, opened)


@require_POST
@public_page
def follow_up_write(request, slug: str):
    """The reporter adds to their report: an answer, more information, files."""
    channel = _channel(slug)
    if channel is None:
        return _not_found(request)
    try:
        opened = submission.followup_resume(channel=channel, token=request.POST.get("token", ""))
    except ServiceError as exc:
        return _receipt_form(request, channel, errors=Errors(top=[str(exc.message)]), status=400)
    text = request.POST.get("text", "")
    files_sent = bool(request.FILES.getlist("files"))
    shown = {"text", "files"} if questionnaire.ATTACHMENTS in channel.questions else {"text"}
    try:
        try:
            _check_pow(request, "followup", channel)
        except ServiceError as exc:
            if exc.code == "challenge_spent":
                # The same form sent again (a double click, a reload): it went the first time.
                return _report_page(request, channel, opened, notice=_("This was already sent."))
            raise
        uploads = _uploads(request, "files") if "files" in shown else []
        submission.reporter_write(opened=opened, text=text, uploads=uploads)
    except ServiceError as exc:
        errors = Errors()
        errors.add_service_error(exc, shown=shown)
        return _report_page(request, channel, opened, errors=errors, text=text, pow_=getattr(exc, "pow", None),
                            files_again=files_sent, status=400)
    return _report_page(request, channel, opened, notice=_("Sent."))
