"""The plan master: the charter held as data (plan/*.toml), loaded and checked (`model`)."""

from pipeline.plan.model import (
    DECREASE,
    INCREASE,
    ActionItem,
    Department,
    Indicator,
    Initiative,
    Pillar,
    Plan,
    Section,
    load_plan,
    plan_from_mapping,
)

__all__ = ["DECREASE", "INCREASE", "ActionItem", "Department", "Indicator", "Initiative", "Pillar", "Plan",
           "Section", "load_plan", "plan_from_mapping"]
