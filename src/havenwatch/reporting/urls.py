"""The recipients' and officers' pages of anonymous reporting (mounted at ``/reporting/``).

The unlocked key's cookie is scoped to this prefix (``unlock.COOKIE_PATH``): every page
that reads report content lives under it. The reporter's public pages are elsewhere
(``urls_public``, at ``/report/``)."""

from django.urls import path

from havenwatch.reporting.views import channels, inbox, key, report, statistics

app_name = "reporting"

urlpatterns = [
    # recipients: the inbox, one report, its files, writing, triage, forwarding
    path("", inbox.inbox, name="inbox"),
    path("<int:report_id>/", report.report_detail, name="report"),
    path("<int:report_id>/files/<int:file_id>/", report.report_file, name="report_file"),
    path("<int:report_id>/write/", report.report_write, name="report_write"),
    path("<int:report_id>/triage/", report.report_triage, name="report_triage"),
    path("<int:report_id>/forward/", report.report_forward, name="report_forward"),
    # the recipient's own key
    path("key/", key.key, name="key"),
    path("key/enrol/", key.key_enrol, name="key_enrol"),
    path("key/unlock/", key.key_unlock, name="key_unlock"),
    path("key/lock/", key.key_lock, name="key_lock"),
    path("key/password/", key.key_password, name="key_password"),
    path("key/recover/", key.key_recover, name="key_recover"),
    # officers: channels and their recipients
    path("channels/", channels.channel_list, name="channels"),
    path("channels/new/", channels.channel_new, name="channel_new"),
    path("channels/<int:channel_id>/", channels.channel_detail, name="channel"),
    path("channels/<int:channel_id>/edit/", channels.channel_edit, name="channel_edit"),
    path("channels/<int:channel_id>/recipients/add/", channels.recipient_add, name="recipient_add"),
    path("channels/<int:channel_id>/recipients/remove/", channels.recipient_remove, name="recipient_remove"),
    path("channels/<int:channel_id>/share/", channels.reports_share, name="reports_share"),
    # anonymised statistics
    path("statistics/", statistics.statistics, name="statistics"),
]
