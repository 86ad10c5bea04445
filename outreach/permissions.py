"""The outreach app's permission names, so views, the menu and tests speak one list."""

WORK_TASKS = "outreach.work_calltask"  # agents: the workspace, their own tasks only
VIEW_LISTS = "outreach.view_calllist"
MANAGE_LISTS = "outreach.change_calllist"  # build, split, reassign, close
VIEW_SCRIPTS = "outreach.view_script"
MANAGE_SCRIPTS = "outreach.change_script"
VIEW_CALLS = "outreach.view_callattempt"  # the per-list and per-agent numbers
VIEW_PHONE_AUDIT = "outreach.view_phonereveal"
VIEW_QUESTIONNAIRES = "outreach.view_questionnaire"
MANAGE_QUESTIONNAIRES = "outreach.change_questionnaire"
SEND_QUESTIONNAIRE = "outreach.add_questionnairelink"
FILL_QUESTIONNAIRE = "outreach.add_response"  # agents, during their call
VIEW_RESPONSES = "outreach.view_response"
