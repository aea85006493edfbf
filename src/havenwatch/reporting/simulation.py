"""Now and then someone reports: the demo's inbox does not stand still.

The ``reporting.tips`` scenario sends one of the seed's stories to a public channel that
can take reports, every half hour of simulated time or so, through the reporter's own
service (so as an anonymous reporter, with a receipt nobody keeps). Recipients are told
like for any report. Every choice comes from ``ctx.rng`` over channels read in order: the
same seed sends the same reports.
"""

from __future__ import annotations

from havenwatch.core.errors import ServiceError
from havenwatch.core.simulation.registry import scenario
from havenwatch.reporting.seed import STORIES
from havenwatch.reporting.selectors import channels_public
from havenwatch.reporting.services import submission

FIRST_AFTER = 300
EVERY = (1200, 2700)  # simulated seconds between two reports


@scenario("reporting.tips", label="Anonymous reports come in", every=1800, first_after=FIRST_AFTER,
          kind="incident")
def tips(ctx) -> float | None:
    ready = [channel for channel in channels_public().order_by("pk") if submission.channel_ready(channel)]
    if not ready:
        return 3600
    channel = ctx.rng.choice(ready)
    category, answers, _question, _answer = ctx.rng.choice(STORIES)
    if not channel.categories.filter(code=category, is_active=True).exists():
        category = channel.categories.filter(is_active=True).order_by("position").values_list("code", flat=True)[0]
    ports = list(channel.ports.order_by("pk").values_list("pk", flat=True))
    try:
        submission.report_submit(channel=channel, category=category, answers=answers,
                                 port=ports[0] if len(ports) == 1 else None)
    except ServiceError:
        return 600
    return ctx.rng.uniform(*EVERY)
