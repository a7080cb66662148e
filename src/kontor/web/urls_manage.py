"""URLs of the settings screens, record delete/bulk actions and the duplicate check (included into
``kontor.web.urls``, so the names are ``web:…``)."""

from django.urls import path

from kontor.web.views import modes, record_actions, settings_crm, settings_users

urlpatterns = [
    path("settings/", settings_crm.settings_index, name="settings_index"),
    # users and the own account
    path("settings/users/", settings_users.user_list, name="user_list"),
    path("settings/users/new/", settings_users.user_new, name="user_new"),
    path("settings/users/<int:pk>/", settings_users.user_edit, name="user_edit"),
    path("settings/users/<int:pk>/active/", settings_users.user_active, name="user_active"),
    path("settings/users/<int:pk>/password-link/", settings_users.user_link, name="user_link"),
    path("account/set-password/<uidb64>/<token>/", settings_users.set_password, name="set_password"),
    path("account/language/", settings_users.account_language, name="account_language"),
    # pipelines and stages
    path("settings/pipelines/", settings_crm.pipeline_list, name="pipeline_list"),
    path("settings/pipelines/reorder/", settings_crm.pipeline_reorder, name="pipeline_reorder"),
    path("settings/pipelines/<int:pk>/", settings_crm.pipeline_detail, name="pipeline_detail"),
    path("settings/pipelines/<int:pk>/delete/", settings_crm.pipeline_delete, name="pipeline_delete"),
    path("settings/pipelines/<int:pk>/stages/reorder/", settings_crm.stage_reorder, name="stage_reorder"),
    path("settings/stages/<int:pk>/", settings_crm.stage_edit, name="stage_edit"),
    path("settings/stages/<int:pk>/delete/", settings_crm.stage_delete, name="stage_delete"),
    # lead statuses, sources, directories
    path("settings/lead-statuses/", settings_crm.lead_status_list, name="lead_status_list"),
    path("settings/lead-statuses/reorder/", settings_crm.lead_status_reorder, name="lead_status_reorder"),
    path("settings/lead-statuses/<str:code>/", settings_crm.lead_status_edit, name="lead_status_edit"),
    path("settings/lead-statuses/<str:code>/delete/", settings_crm.lead_status_delete, name="lead_status_delete"),
    path("settings/sources/", settings_crm.source_list, name="source_list"),
    path("settings/sources/reorder/", settings_crm.source_reorder, name="source_reorder"),
    path("settings/sources/<str:code>/", settings_crm.source_edit, name="source_edit"),
    path("settings/sources/<str:code>/delete/", settings_crm.source_delete, name="source_delete"),
    path("settings/directories/<str:directory>/", settings_crm.directory_list, name="directory_list"),
    path("settings/directories/<str:directory>/reorder/", settings_crm.directory_reorder, name="directory_reorder"),
    path("settings/directories/<str:directory>/<int:pk>/", settings_crm.directory_edit, name="directory_edit"),
    path("settings/directories/<str:directory>/<int:pk>/delete/", settings_crm.directory_delete,
         name="directory_delete"),
    # the CRM mode switch's confirmation step
    path("settings/crm-mode/preview/", modes.crm_mode_preview, name="crm_mode_preview"),
    # records: delete, bulk actions, duplicate check
    path("<str:kind>/<int:pk>/delete/", record_actions.record_delete, name="record_delete"),
    path("<str:kind>/bulk/", record_actions.bulk_action, name="bulk_action"),
    path("duplicates/<str:kind>/", record_actions.duplicates, name="duplicates"),
]
