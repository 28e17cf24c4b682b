"""One view model per page: everything a page shows, read once and computed here, already suppressed.

A page lays its model out and nothing more; the brief, the digest, the CSV downloads, the CLI and the benchmark read
the same models. Each function reads through the metric families (which select from the scoped, suppressed source in
queries/scope.sql) and then computes in plain Python, like queries/stages.py. When the sidebar's filters select
fewer people than the minimum group size, the model says why in `withheld` and holds no figure about them
(docs/metrics.md#minimum-group-size); organisation-wide facts such as the stage placement stay, labelled as such.
One module per page; `common` holds what they share.
"""
from __future__ import annotations

from .. import stages
from .adoption import Adoption, Participation, adoption_view, participation_sections
from .alignment import Alignment, alignment_view
from .coe import CoeReach, coe_reach
from .initiatives import InitiativeEffect, Initiatives, initiatives_view
from .common import (COMPARISONS, TOOL_NAMES, Chart, Frame, Scope, Table, Tile, contribution_notes, departments_today,
                     frame, scope_for, whole_organisation, withheld_reason)
from .communities import (COMMUNITY_SCOPE_NOTE, COMMUNITY_STATUS_LABELS, RANKED, CommunityHealth,
                          communities_view)
from .overview import Mover, Overview, StageSummary, overview
from .standing import Gap, Standing, not_started_ladder, standing

# The model behind each page of the menu, by its URL path: the benchmark and the privacy tests walk them all.
PAGES = {"overview": lambda conn, scope: overview(conn, scope, stages.load()), "stages": standing,
         "adoption": adoption_view, "coe": coe_reach, "communities": communities_view, "alignment": alignment_view,
         "initiatives": initiatives_view}
