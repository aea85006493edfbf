"""Officers' pages: devices, rules, procedures, watch lists."""

urlpatterns: list = []
