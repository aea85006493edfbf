from django.urls import path

from havenwatch.core.views import (
    audit,
    auth,
    dashboard,
    events,
    notifications,
    organisations,
    places,
    security_levels,
    tokens,
    users,
    webhooks,
)

app_name = "core"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    # signing in and out
    path("login/", auth.login, name="login"),
    path("login/otp/", auth.login_otp, name="login_otp"),
    path("login/enrol/", auth.totp_enrol, name="totp_enrol"),
    path("logout/", auth.logout, name="logout"),
    path("switch-organisation/", auth.switch_organisation, name="switch_organisation"),
    # overview
    path("events/", events.events, name="events"),
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/<int:notification_id>/read/", notifications.notification_read, name="notification_read"),
    path("notifications/read-all/", notifications.notification_read_all, name="notification_read_all"),
    # security
    path("security-levels/", security_levels.security_levels, name="security_levels"),
    path("security-levels/change/", security_levels.security_level_change, name="security_level_change"),
    path("security-levels/acknowledgements/<int:ack_id>/acknowledge/",
         security_levels.security_level_acknowledge_view, name="security_level_acknowledge"),
    path("audit/", audit.audit, name="audit"),
    path("audit/verify/", audit.audit_verify, name="audit_verify"),
    # administration
    path("organisations/", organisations.organisations, name="organisations"),
    path("organisations/new/", organisations.organisation_create, name="organisation_create"),
    path("organisations/<int:organisation_id>/", organisations.organisation_detail, name="organisation_detail"),
    path("ports/", places.ports, name="ports"),
    path("ports/<int:port_id>/", places.port_detail, name="port_detail"),
    path("facilities/", places.facilities, name="facilities"),
    path("facilities/new/", places.facility_create, name="facility_create"),
    path("facilities/<int:facility_id>/", places.facility_detail, name="facility_detail"),
    path("users/", users.users, name="users"),
    path("users/new/", users.user_create, name="user_create"),
    path("users/<int:user_id>/", users.user_detail, name="user_detail"),
    path("users/<int:user_id>/roles/", users.membership_create, name="membership_create"),
    path("roles/<int:membership_id>/withdraw/", users.membership_withdraw, name="membership_withdraw"),
    path("users/<int:user_id>/second-factor/reset/", users.second_factor_reset, name="second_factor_reset"),
    # integration
    path("tokens/", tokens.tokens, name="tokens"),
    path("tokens/new/", tokens.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke/", tokens.token_revoke, name="token_revoke"),
    path("webhooks/", webhooks.webhooks, name="webhooks"),
    path("webhooks/new/", webhooks.webhook_create, name="webhook_create"),
    path("webhooks/<int:webhook_id>/toggle/", webhooks.webhook_toggle, name="webhook_toggle"),
    path("webhooks/<int:webhook_id>/delete/", webhooks.webhook_delete, name="webhook_delete"),
    path("webhooks/<int:webhook_id>/deliveries/", webhooks.webhook_deliveries, name="webhook_deliveries"),
]
