"""URLs of the people pages; included by :mod:`havenwatch.access.urls` in the ``access`` namespace."""

from django.urls import path

from havenwatch.access.views import people

urlpatterns: list = [
    path("people/", people.person_list, name="people"),
    path("people/new/", people.person_register_view, name="person_new"),
    path("people/<int:person_id>/", people.person_detail, name="person_detail"),
    path("people/<int:person_id>/national-number/", people.person_national_number_view,
         name="person_national_number"),
    path("people/<int:person_id>/credentials/", people.credential_issue_view, name="credential_issue"),
    path("people/<int:person_id>/employer/", people.person_employer_view, name="person_employer"),
    path("people/<int:person_id>/verifications/", people.person_verification_view,
         name="person_verification_request"),
    path("people/<int:person_id>/record-checks/", people.person_record_check_view, name="person_record_check"),
    path("people/<int:person_id>/training/", people.person_training_view, name="person_training"),
    path("credentials/<int:credential_id>/state/", people.credential_state_view, name="credential_state"),
    path("vehicles/", people.vehicle_list, name="vehicles"),
    path("vehicles/new/", people.vehicle_register_view, name="vehicle_new"),
]
