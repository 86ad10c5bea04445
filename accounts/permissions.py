"""The users page's permission names: Django's own on `auth.User`, which only the admin role holds (granted with
every `auth` permission by members' roles migration)."""

VIEW_USERS = "auth.view_user"
ADD_USERS = "auth.add_user"
CHANGE_USERS = "auth.change_user"
