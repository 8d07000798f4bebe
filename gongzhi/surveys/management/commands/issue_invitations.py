"""`gongzhi issue_invitations SURVEY [--community CODE]`: issue a survey's invitations from the command line.

For the operator of a city-wide survey: the page does the same, but a city's 600,000 households take most of a
minute, close to the web server's 60-second timeout (docs/deploy.md). Same service, same rules (the survey must be
open; a community must be in its scope), recorded in the audit log as done by the system; idempotent, so running
it again after an interruption issues only what is missing. Prints counts, never codes.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongzhi.core.errors import DomainError
from gongzhi.orgs.models import Region
from gongzhi.surveys import services
from gongzhi.surveys.models import Survey


class Command(BaseCommand):
    help = "为问卷发放住户（单位）邀请码 / issue a survey's invitations (a community, or its whole scope)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("survey", type=int, help="the survey's id (open)")
        parser.add_argument(
            "--community", default="", help="a community's code (default: the survey's scope)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        survey = Survey.objects.filter(pk=options["survey"]).first()
        if survey is None:
            raise CommandError(f"没有该问卷 / no survey {options['survey']}")
        community = None
        if options["community"]:
            community = Region.objects.filter(code=options["community"]).first()
            if community is None:
                raise CommandError(f"没有该社区 / no community with code {options['community']}")
        start = time.perf_counter()
        try:
            result = services.issue_invitations(actor=None, survey=survey, community=community)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"issued {result.created}, already issued {result.existing}, {result.communities} communities, "
            f"{time.perf_counter() - start:.1f} s"
        )
