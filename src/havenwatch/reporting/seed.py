"""Anonymous reporting in the synthetic port: three channels, their recipients, and half a
year of reports in every state.

- **Our Port Drug-Free** (``our-port-drug-free``), the port authority's local channel
  about the first port, read by the port security officer (``pso``);
- **Portwatch** (``portwatch``), the national point for every port, run by the maritime
  police and read by the investigator (``investigator``);
- **Customs intake** (``customs-intake``), closed to the public: it only receives
  reports forwarded to customs, read by ``customs``.

Each recipient's key password is ``demo_password(seed, "<user>-key")`` (printed in the
README). Reports go through the reporter's service, as a reporter would send them; some
get questions and answers, triage, a forward to customs, and closing; their receipts
are thrown away like any other, except the newest report's, which the demo command
prints so that a visitor can try the reporter's side.
"""

from __future__ import annotations

from datetime import timedelta

from havenwatch.core import clock
from havenwatch.core.choices import Role
from havenwatch.core.models import Membership, Organisation
from havenwatch.core.principal import principal_for_membership
from havenwatch.demo.generator import demo_password
from havenwatch.demo.registry import seeder
from havenwatch.reporting.choices import MessageKind, ReportStatus
from havenwatch.reporting.services import channels, keys, submission, triage
from havenwatch.reporting.services.channels import CategoryInput

CATEGORIES = [
    CategoryInput("drugs", "Drugs and smuggling", {"nl": {"label": "Drugs en smokkel"},
                                                   "fr": {"label": "Drogue et contrebande"}}),
    CategoryInput("corruption", "Bribery or pressure on staff", {"nl": {"label": "Omkoping of druk op personeel"},
                                                                 "fr": {"label": "Corruption ou pression sur le personnel"}}),
    CategoryInput("intrusion", "Intruders or hiding people", {"nl": {"label": "Indringers of verstopte personen"},
                                                              "fr": {"label": "Intrus ou personnes cachées"}}),
    CategoryInput("theft", "Theft of cargo or equipment", {"nl": {"label": "Diefstal van lading of materiaal"},
                                                           "fr": {"label": "Vol de marchandises ou de matériel"}}),
    CategoryInput("other", "Something else that is not right", {"nl": {"label": "Iets anders dat niet klopt"},
                                                                "fr": {"label": "Autre chose d'anormal"}}),
]
CUSTOMS_CATEGORIES = [CATEGORIES[0], CATEGORIES[1], CATEGORIES[4]]

LOCAL_INTRO = ("Do you see something in the port that is not right: drugs being taken out of containers, "
               "people asking staff for access codes, strangers at night? Tell us. You stay anonymous: we do not "
               "know who you are and cannot find out.")
LOCAL_TRANSLATIONS = {
    "nl": {"name": "Onze Haven Drugvrij",
           "intro": "Ziet u in de haven iets dat niet klopt: drugs die uit containers worden gehaald, mensen die "
                    "personeel om toegangscodes vragen, onbekenden 's nachts? Meld het ons. U blijft anoniem: wij "
                    "weten niet wie u bent en kunnen het ook niet achterhalen."},
    "fr": {"name": "Notre Port Sans Drogue",
           "intro": "Vous voyez dans le port quelque chose d'anormal : de la drogue sortie de conteneurs, des "
                    "personnes qui demandent des codes d'accès au personnel, des inconnus la nuit ? Signalez-le. "
                    "Vous restez anonyme : nous ne savons pas qui vous êtes et ne pouvons pas le découvrir."},
}
NATIONAL_INTRO = ("The national reporting point for the security of every Belgian port. Reports are read by the "
                  "maritime police only, and passed on to customs or a port when they are the ones to act.")
NATIONAL_TRANSLATIONS = {
    "nl": {"name": "Portwatch",
           "intro": "Het nationale meldpunt voor de beveiliging van alle Belgische havens. Meldingen worden alleen "
                    "door de scheepvaartpolitie gelezen en doorgegeven aan de douane of een haven als die moeten "
                    "optreden."},
    "fr": {"name": "Portwatch",
           "intro": "Le point de signalement national pour la sûreté de tous les ports belges. Les signalements "
                    "sont lus uniquement par la police maritime et transmis à la douane ou à un port lorsque "
                    "ce sont eux qui doivent agir."},
}

# (category, answers, question from the recipients or None, the reporter's answer or None)
STORIES = [
    ("drugs", {"what": "Two men opened a reefer container at night and carried sports bags to a van without "
                       "lights. They closed it with a new seal.",
               "where": "Reefer stack near quay 869", "when": "Last night around 02:30", "ongoing": "unknown",
               "vehicles": "White van, Dutch plates starting with V", "containers": "MSKU 123456 7",
               "relation": "work"},
     "Did you see the seal number on the new seal?", "No, it was yellow, the usual kind used by that line."),
    ("corruption", {"what": "A man in a car park offered me 5,000 euro to look up where some containers stand in "
                            "the terminal system.",
                    "where": "Car park at the Berendrecht lock", "when": "Tuesday after the late shift",
                    "people": "About 30, short dark hair, Antwerp accent, drove a black Audi",
                    "relation": "work"},
     "Has he come back, or contacted a colleague?", "He was there again on Friday, talking to someone from the night "
                                                    "crew."),
    ("intrusion", {"what": "People climbing out of a container at the empty depot early in the morning.",
                   "where": "Empty depot behind gate 4", "when": "This morning 06:10", "ongoing": "no",
                   "relation": "visit"}, None, None),
    ("drugs", {"what": "Een vrachtwagen die elke donderdag om 23 uur aan de terminal staat te wachten zonder "
                       "afhaalopdracht. De chauffeur praat telkens met dezelfde kraanman.",
               "where": "Wachtzone terminal 1", "when": "Elke donderdag rond 23 uur", "ongoing": "yes",
               "vehicles": "Blauwe trekker, 1-ABC-123", "relation": "work"},
     "Weet u de naam van het bedrijf op de trekker?", "Er staat geen naam op, alleen een sticker van een rode ster."),
    ("theft", {"what": "Copper cable disappearing from the construction site at the new quay; the fence has a cut "
                       "near the river side.", "where": "New quay works, river side", "relation": "live"},
     None, None),
    ("other", {"what": "A drone flies over the terminal almost every evening at dusk, staying above the container "
                       "stacks.", "where": "Above the container stacks of terminal 2", "when": "Evenings, 18:00-19:00",
               "ongoing": "yes", "relation": "live"}, None, None),
    ("drugs", {"what": "Someone asked me to change the destination of a container in the system, for a favour.",
               "relation": "work"},
     "Which container, and who asked?", None),
    ("corruption", {"what": "A security guard lets a car through the gate every night without checking badges.",
                    "where": "Truck gate 2", "when": "Most nights after midnight", "ongoing": "yes",
                    "relation": "work"}, None, None),
]


def _acting(organisation: Organisation, username: str):
    membership = Membership.objects.select_related("organisation", "user").get(
        user__username=username, organisation=organisation)
    return principal_for_membership(membership)


def _officer(organisation: Organisation, role=Role.PORT_SECURITY_OFFICER):
    from havenwatch.core.principal import Principal

    return Principal(organisation=organisation, role=role,
                     permissions=frozenset({"reporting.manage_channels", "reporting.view_channel"}),
                     label_override="demo-seed")


def _recipient(ctx, channel, organisation, username):
    person = _acting(organisation, username)
    channels.recipient_add(actor=_officer(organisation), channel=channel, user=person.user)
    if keys.key_of(person.user) is None:
        keys.key_enrol(actor=person, password=demo_password(ctx.seed, f"{username}-key"))
    return person


def _work(ctx, person, key, customs, sent: submission.Submitted, story, *, now, state: str) -> None:
    _category, _answers, question, answer = story
    report = sent.report
    report_key = triage.report_key(actor=person, report=report, recipient_key=key)
    triage.report_read(actor=person, report=report, key=report_key)
    if question:
        triage.report_write(actor=person, report=report, text=question, kind=MessageKind.QUESTION)
        if answer:
            opened = submission.receipt_open(channel=report.channel, receipt=sent.receipt)
            submission.reporter_write(opened=opened, text=answer)
    if state == "forward" and customs is not None:
        answers = triage.report_read(actor=person, report=report, key=report_key).answers
        redacted = {**answers, "people": "[removed by the port: description of a person]"} \
            if "people" in answers else answers
        triage.report_forward(actor=person, report=report, key=report_key, to_channel=customs, answers=redacted,
                              note="Passed on for customs: container movement without a pickup order.")
    elif state == "closed":
        triage.report_triage(actor=person, report=report, labels=["checked"], status=ReportStatus.IN_TRIAGE)
        # Closed some days later, and at most 40 days ago: the 90 days of retention still run.
        closing = max(clock.now() + timedelta(days=ctx.rng.uniform(3, 20)), now - timedelta(days=40))
        with clock.frozen(closing):
            triage.report_triage(actor=person, report=report, status=ReportStatus.CLOSED)
    else:
        triage.report_triage(actor=person, report=report, status=ReportStatus.IN_TRIAGE,
                             labels=["follow-up"] if question else [])


@seeder("reporting", order=40, label="anonymous reporting: channels, recipients and reports")
def seed_reporting(ctx) -> None:
    authority, police = ctx.organisations["authority"], ctx.organisations.get("police")
    customs_org = ctx.organisations.get("customs")
    first_port = ctx.ports[0]
    local = channels.channel_save(
        actor=_officer(authority), owner=authority, slug="our-port-drug-free", name="Our Port Drug-Free",
        intro=LOCAL_INTRO, translations=LOCAL_TRANSLATIONS, ports=[first_port], categories=CATEGORIES)
    pso = _recipient(ctx, local, authority, "pso")
    national = customs = None
    if police is not None:
        national = channels.channel_save(
            actor=_officer(police, Role.AUTHORITY_INVESTIGATOR), owner=police, slug="portwatch", name="Portwatch",
            intro=NATIONAL_INTRO, translations=NATIONAL_TRANSLATIONS, ports=[], categories=CATEGORIES)
        _recipient(ctx, national, police, "investigator")
    if customs_org is not None:
        customs = channels.channel_save(
            actor=_officer(customs_org, Role.AUTHORITY_INVESTIGATOR), owner=customs_org, slug="customs-intake",
            name="Customs intake", intro="Reports forwarded to customs by other channels.", is_public=False,
            categories=CUSTOMS_CATEGORIES, questions=["where", "when", "people", "vehicles", "vessels", "containers",
                                                      "attachments"])
        _recipient(ctx, customs, customs_org, "customs")
    pso_key = keys.key_unlock(actor=pso, password=demo_password(ctx.seed, "pso-key"))  # once: 0.5 s of Argon2id
    now = clock.now()
    count = 18 if ctx.scale.name == "small" else 40
    for n in range(count):
        story = STORIES[n % len(STORIES)]
        category, answers, _question, _answer = story
        age = timedelta(days=ctx.rng.uniform(0.2, 180)) if n >= 4 else timedelta(hours=6 * (n + 1))
        channel = national if (national is not None and n % 3 == 2) else local
        with clock.frozen(now - age):
            sent = submission.report_submit(channel=channel, category=category, answers=answers,
                                            port=first_port.pk if channel is national else None)
        if channel is local:
            state = "new" if n < 2 else ("forward" if n % 5 == 3 else ("closed" if age > timedelta(days=60)
                                                                        else "triage"))
            if state != "new":
                with clock.frozen(now - age + timedelta(hours=ctx.rng.uniform(1, 20))):
                    _work(ctx, pso, pso_key, customs, sent, story, now=now, state=state)
        ctx.report("reporting: reports", n + 1, count)
