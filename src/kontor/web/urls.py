"""URLs of the web UI (namespace ``web``)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from kontor.web import views
from kontor.web.views import (
    account,
    activities,
    custom_fields,
    data,
    kanban,
    modes,
    notifications,
    products,
    records,
    roles,
    search,
    settings_users,
    webforms,
    webhooks,
    webhooks_outgoing,
)

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", settings_users.login, name="login"),  # Django's, then the user's own language
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", account.password_change, name="password_change"),
    path("i18n/setlang/", account.language_set, name="set_language"),
    # leads
    path("leads/", records.lead_list, name="lead_list"),
    path("leads/new/", records.lead_create, name="lead_create"),
    path("leads/<int:pk>/", records.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", records.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/convert/", records.lead_convert, name="lead_convert"),
    path("leads/<int:pk>/move/", kanban.lead_move, name="lead_move"),
    path("leads/<int:pk>/products/", products.lead_products, name="lead_products"),
    # deals
    path("deals/", records.deal_list, name="deal_list"),
    path("deals/new/", records.deal_create, name="deal_create"),
    path("deals/<int:pk>/", records.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", records.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/move/", kanban.deal_move, name="deal_move"),
    path("deals/<int:pk>/products/", products.deal_products, name="deal_products"),
    path("products/", products.product_list, name="product_list"),
    path("products/<int:pk>/delete/", products.product_remove, name="product_remove"),
    # contacts, companies
    path("contacts/", records.contact_list, name="contact_list"),
    path("contacts/new/", records.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", records.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", records.contact_edit, name="contact_edit"),
    path("companies/", records.company_list, name="company_list"),
    path("companies/new/", records.company_create, name="company_create"),
    path("companies/<int:pk>/", records.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", records.company_edit, name="company_edit"),
    # activities
    path("activities/", activities.activity_list, name="activity_list"),
    path("activities/new/", activities.activity_create, name="activity_create"),
    path("activities/<int:pk>/", activities.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", activities.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/delete/", activities.activity_delete, name="activity_delete"),
    path("activities/<int:pk>/complete/", activities.activity_complete, name="activity_complete"),
    # notes (timeline comments) on any record
    path("notes/new/", activities.note_create, name="note_create"),
    path("notes/<int:pk>/edit/", activities.note_edit, name="note_edit"),
    path("notes/<int:pk>/delete/", activities.note_delete, name="note_delete"),
    path("deals/<int:pk>/lost/", activities.deal_lost, name="deal_lost"),
    # notifications
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/read/", notifications.notification_read, name="notification_read"),
    path("notifications/<int:pk>/", notifications.notification_open, name="notification_open"),
    path("lookup/<str:kind>/", records.lookup, name="lookup"),
    path("search/", search.search, name="search"),
    # settings
    path("settings/crm-mode/", modes.crm_mode, name="crm_mode"),
    path("settings/crm-mode/switch/", modes.crm_mode_switch, name="crm_mode_switch"),
    path("settings/crm-mode/switches/<int:pk>/", modes.crm_mode_progress, name="crm_mode_progress"),
    path("settings/simple-mode/", modes.simple_settings, name="simple_settings"),
    path("settings/forms/", webforms.webform_list, name="webform_list"),
    path("settings/forms/<int:pk>/", webforms.webform_detail, name="webform_detail"),
    path("settings/custom-fields/", custom_fields.custom_field_list, name="custom_field_list"),
    path("settings/roles/", roles.role_list, name="role_list"),
    path("settings/roles/new/", roles.role_edit, name="role_new"),
    path("settings/roles/<int:pk>/", roles.role_edit, name="role_edit"),
    path("settings/roles/<int:pk>/delete/", roles.role_remove, name="role_delete"),
    path("settings/departments/<int:pk>/", roles.department_edit, name="department_edit"),
    path("settings/departments/<int:pk>/delete/", roles.department_remove, name="department_delete"),
    path("settings/custom-fields/new/", custom_fields.custom_field_new, name="custom_field_new"),
    path("settings/custom-fields/<int:pk>/", custom_fields.custom_field_edit, name="custom_field_edit"),
    path("settings/custom-fields/<int:pk>/delete/", custom_fields.custom_field_remove, name="custom_field_delete"),
    path("settings/webhooks/", webhooks.webhook_list, name="webhook_list"),
    path("settings/webhooks/<int:pk>/revoke/", webhooks.webhook_revoke, name="webhook_revoke"),
    path("settings/outgoing-webhooks/", webhooks_outgoing.outgoing_list, name="outgoing_webhook_list"),
    path("settings/outgoing-webhooks/<int:pk>/", webhooks_outgoing.outgoing_deliveries,
         name="outgoing_webhook_deliveries"),
    path("settings/outgoing-webhooks/<int:pk>/enable/", webhooks_outgoing.outgoing_enable,
         name="outgoing_webhook_enable"),
    path("settings/outgoing-webhooks/<int:pk>/delete/", webhooks_outgoing.outgoing_delete,
         name="outgoing_webhook_delete"),
    path("settings/outgoing-webhooks/<int:pk>/deliveries/<int:delivery_id>/resend/", webhooks_outgoing.outgoing_resend,
         name="outgoing_webhook_resend"),
    # import and export
    path("import/", data.import_upload, name="import_upload"),
    path("import/<int:pk>/", data.import_detail, name="import_detail"),
    path("import/<int:pk>/again/", data.import_again, name="import_again"),
    path("import/<int:pk>/rejected/", data.import_rejected, name="import_rejected"),
    path("export/<str:kind>/", data.list_export, name="list_export"),
    path("contacts/<int:pk>/personal-data/", data.contact_personal_data, name="contact_personal_data"),
    path("contacts/<int:pk>/erase/", data.contact_erase, name="contact_erase"),
    # public
    path("forms/<slug:slug>/", webforms.public_form, name="public_form"),
    # settings screens, record delete and bulk actions, duplicate check (ui-manage)
    path("", include("kontor.web.urls_manage")),
]
