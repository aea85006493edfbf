"""The reporter's pages, mounted at ``/report/`` (the anonymising middleware's prefix):
no account, no session, nothing about who asks."""

from django.urls import path

from havenwatch.reporting.views import public

app_name = "report"

urlpatterns = [
    path("", public.channel_list, name="channels"),
    path("<slug:slug>/", public.channel_detail, name="channel"),
    path("<slug:slug>/new/", public.report_new, name="new"),
    path("<slug:slug>/follow-up/", public.follow_up, name="follow_up"),
    path("<slug:slug>/follow-up/write/", public.follow_up_write, name="write"),
]
