"""The community app's permission names (rules, violations), so views, panels, the menu and tests speak one list."""

VIEW_RULES = "community.view_rule"
CHANGE_RULES = "community.change_rule"
VIEW_VIOLATIONS = "community.view_violation"
ADD_VIOLATIONS = "community.add_violation"
