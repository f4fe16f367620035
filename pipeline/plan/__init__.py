"""The plan: the charter held as data (plan/*.toml), loaded and checked (`loading`, `model`); its revisions
during the period, and the plan as it stood in a year (`Plan.for_year`, a `YearPlan`). The plan master in
Excel is `pipeline.plan_master`."""

from pipeline.plan.loading import load_plan, plan_from_mapping
from pipeline.plan.model import (
    ADDED,
    DECREASE,
    ENDED,
    EXCLUDED,
    INCREASE,
    REVISED,
    ActionItem,
    Change,
    Department,
    Exclusion,
    Indicator,
    Initiative,
    Pillar,
    Plan,
    Revision,
    Section,
    YearPlan,
    content_digest,
)

__all__ = ["ADDED", "DECREASE", "ENDED", "EXCLUDED", "INCREASE", "REVISED", "ActionItem", "Change", "Department",
           "Exclusion", "Indicator", "Initiative", "Pillar", "Plan", "Revision", "Section", "YearPlan", "content_digest",
           "load_plan", "plan_from_mapping"]
