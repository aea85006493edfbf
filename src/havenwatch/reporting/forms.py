"""Forms of the recipients' and officers' reporting pages. They parse input only: every
rule lives in the services (``services/*.py``), whose refusals are put back on the form
with :func:`havenwatch.core.forms.add_service_error`.

The reporter's public pages do not use these forms.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from havenwatch.reporting import questionnaire
from havenwatch.reporting.choices import MessageKind, ReportStatus
from havenwatch.reporting.services.channels import CategoryInput

ALL = "all"
OPEN = "open"
STATUS_FILTERS = [(OPEN, _("Open")), *ReportStatus.choices, (ALL, _("All"))]
QUESTION_LABELS = {**{code: question.label for code, question in questionnaire.BY_CODE.items()},
                   questionnaire.ATTACHMENTS: _("Photos and documents (attachments)")}


def _password(label, *, autocomplete: str = "new-password", help_text=""):
    return forms.CharField(label=label, strip=False, max_length=1024, help_text=help_text,
                           widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}))


class _TwicePassword(forms.Form):
    """A new key password typed twice; the service judges its strength."""

    new_field = "password"

    def clean(self):
        data = super().clean()
        first, second = data.get(self.new_field), data.get(f"{self.new_field}_again")
        if first and second is not None and first != second:
            self.add_error(f"{self.new_field}_again", _("The two key passwords differ."))
        return data


# --- the inbox -------------------------------------------------------------------------------


class InboxFilterForm(forms.Form):
    channel = forms.TypedChoiceField(label=_("Channel"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_FILTERS)
    category = forms.ChoiceField(label=_("Category"), required=False)
    label = forms.ChoiceField(label=_("Label"), required=False)
    number = forms.CharField(label=_("Number"), required=False, max_length=80,
                             help_text=_("A report's number, or its reference such as port-a-7."))

    def __init__(self, *args, channels, categories, labels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("All channels")), *((c.pk, c.name) for c in channels)]
        self.fields["category"].choices = [("", _("All categories")), *categories]
        self.fields["label"].choices = [("", _("All labels")), *((name, name) for name in labels)]

    def reference(self) -> tuple[str | None, int | None]:
        """The channel address and number typed: ``port-a-7`` → ("port-a", 7); ``7`` or ``#7``
        → (None, 7); anything else → (None, None)."""
        text = (self.cleaned_data.get("number") or "").strip().lstrip("#")
        slug, _dash, tail = text.rpartition("-")
        if not tail.isdigit() or len(tail) >= 10:
            return None, None
        return slug or None, int(tail)


# --- the key ---------------------------------------------------------------------------------


class KeyEnrolForm(_TwicePassword):
    password = _password(_("Key password"), help_text=_(
        "At least 12 characters, and not your sign-in password. Nobody can reset it for you."))
    password_again = _password(_("Key password again"))


class KeyUnlockForm(forms.Form):
    password = _password(_("Key password"), autocomplete="current-password")
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class KeyPasswordForm(_TwicePassword):
    new_field = "new_password"
    password = _password(_("Current key password"), autocomplete="current-password")
    new_password = _password(_("New key password"))
    new_password_again = _password(_("New key password again"))


class KeyRecoverForm(_TwicePassword):
    new_field = "new_password"
    recovery_key = forms.CharField(label=_("Recovery key"), max_length=200, widget=forms.TextInput(
        attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
        help_text=_("The 32 letters and digits you wrote down when you created your key."))
    new_password = _password(_("New key password"))
    new_password_again = _password(_("New key password again"))


# --- one report ------------------------------------------------------------------------------


class WriteForm(forms.Form):
    text = forms.CharField(label=_("Text"), required=False, max_length=10000, strip=False,
                           widget=forms.Textarea(attrs={"rows": 4}))
    kind = forms.ChoiceField(label=_("Kind"), choices=MessageKind.choices, initial=MessageKind.COMMENT,
                             widget=forms.RadioSelect)

    def __init__(self, *args, to_reporter: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if to_reporter:
            self.fields["kind"].choices = [
                (MessageKind.MESSAGE, _("Message to the reporter")),
                (MessageKind.QUESTION, _("Question to the reporter")),
                (MessageKind.COMMENT, _("Internal comment (never shown to the reporter)")),
            ]
            self.fields["kind"].initial = MessageKind.MESSAGE
        else:
            self.fields["kind"].choices = [(MessageKind.COMMENT, _("Internal comment"))]
            self.fields["kind"].widget = forms.HiddenInput()


class TriageForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ReportStatus.choices)
    category = forms.ChoiceField(label=_("Category"))
    routed_to = forms.TypedChoiceField(label=_("Competent organisation"), required=False, coerce=int,
                                       empty_value=None)
    labels = forms.CharField(label=_("Labels"), required=False, max_length=1000,
                             help_text=_("Separated by commas, e.g. cocaine, repeat."))

    def __init__(self, *args, categories, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            (c.code, c.display_label if c.is_active else _("%(label)s (retired)") % {"label": c.display_label})
            for c in categories]
        self.fields["routed_to"].choices = [("", _("Not routed")), *(
            (o.pk, f"{o.name} · {o.get_kind_display()}") for o in organisations)]

    def label_list(self) -> list[str]:
        return [name.strip() for name in (self.cleaned_data.get("labels") or "").split(",") if name.strip()]


class ForwardForm(forms.Form):
    """The copy to forward: the target, the answers as the recipient edits them (to redact),
    the lines of the conversation and the files chosen, and a note."""

    to_channel = forms.TypedChoiceField(label=_("Forward to"), coerce=int, error_messages={
        "required": _("Choose the channel to forward to.")})
    messages = forms.TypedMultipleChoiceField(label=_("Messages of the conversation to include"), required=False,
                                              coerce=int, widget=forms.CheckboxSelectMultiple)
    attachments = forms.TypedMultipleChoiceField(label=_("Files to include"), required=False, coerce=int,
                                                 widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("Note for the recipients of the copy"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("An internal comment on the copy: the reporter never sees it."))

    ANSWER_PREFIX = "answer_"

    def __init__(self, *args, targets, answers: dict, lines, files, **kwargs):
        super().__init__(*args, **kwargs)
        groups: dict[str, list] = {}
        for channel in targets:
            shown = channel.name if channel.is_public else _("%(name)s (closed intake)") % {"name": channel.name}
            groups.setdefault(channel.owner.name, []).append((channel.pk, shown))
        self.fields["to_channel"].choices = [("", "—"), *((owner, items) for owner, items in groups.items())]
        self.answer_fields = []
        for code, question in questionnaire.BY_CODE.items():
            if code not in answers:
                continue
            name = f"{self.ANSWER_PREFIX}{code}"
            if question.choices:
                field = forms.ChoiceField(label=question.label, required=False,
                                          choices=[("", "—"), *question.choices])
            else:
                widget = forms.Textarea(attrs={"rows": 3}) if question.multiline else forms.TextInput()
                field = forms.CharField(label=question.label, required=False, strip=False,
                                        max_length=question.max_length, widget=widget)
            field.initial = answers[code]
            self.fields[name] = field
            self.answer_fields.append(name)
        if "point" in answers:
            self.fields[f"{self.ANSWER_PREFIX}point"] = forms.CharField(
                label=_("Place on the map (latitude, longitude)"), required=False, max_length=60,
                initial=",".join(str(part) for part in answers["point"]),
                help_text=_("Clear it to leave the place out of the copy."))
            self.answer_fields.append(f"{self.ANSWER_PREFIX}point")
        self.fields["messages"].choices = [(line.id, line.label) for line in lines]
        self.fields["attachments"].choices = [(item.id, item.name) for item in files]
        for name in ("messages", "attachments"):
            if not self.fields[name].choices:
                del self.fields[name]  # nothing to choose: the copy gets none
        # The fields in the page's order: the target, the answers, the conversation, the files, the note.
        self.order_fields(["to_channel", *self.answer_fields, "messages", "attachments", "note"])

    def answers(self) -> dict:
        return {name[len(self.ANSWER_PREFIX):]: self.cleaned_data.get(name) or "" for name in self.answer_fields}


# --- channels --------------------------------------------------------------------------------


def categories_text(categories) -> str:
    """Categories as the textarea shows them: "code | English | Dutch | French", one a line."""
    lines = []
    for category in categories:
        translations = category.translations or {}
        parts = [category.code, category.label, (translations.get("nl") or {}).get("label", ""),
                 (translations.get("fr") or {}).get("label", "")]
        while parts and not parts[-1]:
            parts.pop()
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def parse_categories(text: str) -> list[CategoryInput]:
    """The textarea's lines as categories; a line that is not "code | label [| nl [| fr]]"
    is refused by its number and its text. Blank lines are skipped."""
    out = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) < 2 or len(parts) > 4 or not parts[0] or not parts[1]:
            raise forms.ValidationError(
                _("Line %(n)s (“%(line)s”) is not “code | English label | Dutch label | French label”: "
                  "give at least a code and an English label."), params={"n": number, "line": line.strip()[:80]},
                code="category_line")
        translations = {lang: parts[i] for i, lang in ((2, "nl"), (3, "fr")) if len(parts) > i and parts[i]}
        out.append(CategoryInput(code=parts[0], label=parts[1], translations=translations))
    return out


class PortChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, port) -> str:
        return f"{port.name} ({port.unlocode})"


class ChannelForm(forms.Form):
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False)
    slug = forms.CharField(label=_("Address"), max_length=60, help_text=_(
        "Lower-case letters, digits and dashes: the channel's public page is /report/<address>/."))
    name = forms.CharField(label=_("Name"), max_length=120)
    intro = forms.CharField(label=_("Introduction"), required=False, max_length=4000,
                            widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=_("What a reporter reads first: who you are and what you want to hear of."))
    name_nl = forms.CharField(label=_("Name in Dutch"), required=False, max_length=120)
    intro_nl = forms.CharField(label=_("Introduction in Dutch"), required=False, max_length=4000,
                               widget=forms.Textarea(attrs={"rows": 3}))
    name_fr = forms.CharField(label=_("Name in French"), required=False, max_length=120)
    intro_fr = forms.CharField(label=_("Introduction in French"), required=False, max_length=4000,
                               widget=forms.Textarea(attrs={"rows": 3}))
    ports = PortChoiceField(label=_("Ports"), required=False, queryset=None,
                            widget=forms.SelectMultiple(attrs={"size": 6}),
                            help_text=_("The ports the channel takes reports about; none means every port."))
    questions = forms.MultipleChoiceField(
        label=_("Questions asked besides “what happened”"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(code, QUESTION_LABELS[code]) for code in questionnaire.CHOOSABLE])
    categories = forms.CharField(
        label=_("Categories"), required=False, widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}),
        help_text=_("One a line: code | English label | Dutch label | French label, e.g. "
                    "“drugs | Drugs | Drugs | Drogue”. A category left out is retired: kept on the reports "
                    "that have it, no longer offered."))
    is_public = forms.BooleanField(label=_("Open to the public"), required=False, help_text=_(
        "A closed channel has no public page: it only receives reports forwarded to it."))
    is_active = forms.BooleanField(label=_("Active"), required=False)
    retention_days = forms.IntegerField(label=_("Keep closed reports for (days)"), min_value=1, max_value=3650,
                                        help_text=_("A closed report and its files are deleted after this."))

    def __init__(self, *args, ports, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ports"].queryset = ports
        if owners is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].choices = [("", "—"), *((o.pk, o.name) for o in owners)]

    def clean_categories(self):
        return parse_categories(self.cleaned_data.get("categories") or "")

    def translations(self) -> dict:
        data = self.cleaned_data
        return {lang: {"name": data.get(f"name_{lang}") or "", "intro": data.get(f"intro_{lang}") or ""}
                for lang in ("nl", "fr")}


class RecipientAddForm(forms.Form):
    user = forms.TypedChoiceField(label=_("Person"), coerce=int, error_messages={
        "required": _("Choose the person to add.")})

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", "—"), *(
            (user.pk, f"{user.get_full_name() or user.get_username()} ({user.get_username()})") for user in candidates)]


class RecipientRemoveForm(forms.Form):
    user = forms.IntegerField(widget=forms.HiddenInput)


# --- statistics ------------------------------------------------------------------------------


class StatisticsFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)
    channel = forms.TypedChoiceField(label=_("Channel"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, years, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in years]
        self.fields["channel"].choices = [("", _("All channels")), *((c.pk, c.name) for c in channels)]
