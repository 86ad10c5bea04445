"""Writes of the community app, one module per subject; each is a transaction."""

from .alerts import SCAN_JOIN_LIMIT, alerts_for_changes, core_left_alerts, group_thresholds_check, welcome_on_join
from .rules import RuleSetResult, rule_update, rules_apply_templates, welcome_save
from .violations import removal_carry_out, violation_record

__all__ = [
    "SCAN_JOIN_LIMIT",
    "RuleSetResult",
    "alerts_for_changes",
    "core_left_alerts",
    "group_thresholds_check",
    "removal_carry_out",
    "rule_update",
    "rules_apply_templates",
    "violation_record",
    "welcome_on_join",
    "welcome_save",
]
