"""The members app's permission names, so views, templates' callers, the menu and tests speak one list."""

VIEW_MEMBERS = "members.view_member"
VIEW_GROUPS = "members.view_group"
VIEW_MEMBERSHIPS = "members.view_membership"
VIEW_PHONES = "members.view_phone"
VIEW_SELECTIONS = "members.view_savedselection"
ADD_SELECTION = "members.add_savedselection"
DELETE_ANY_SELECTION = "members.delete_savedselection"
