from django.urls import path

from . import urls_letting, views_payments
from .views import staff

app_name = "waitlist"
urlpatterns = [
    path("", staff.index, name="index"),
    path("ansoegere/", staff.applicant_list, name="applicant_list"),
    path("ansoegere/ny/", staff.applicant_create, name="applicant_create"),
    path("ansoegere/<int:pk>/", staff.applicant_detail, name="applicant_detail"),
    path("ansoegere/<int:pk>/ret/", staff.applicant_edit, name="applicant_edit"),
    path("ansoegere/<int:pk>/tilbudsform/", staff.applicant_channel, name="applicant_channel"),
    path("ansoegere/<int:pk>/tilmeld/", staff.application_open, name="application_open"),
    path("ansoegere/<int:pk>/bankoverfoersel/", staff.bank_transfer, name="bank_transfer"),
    path("ansoegninger/<int:pk>/oensker/", staff.application_wishes, name="application_wishes"),
    path("ansoegninger/<int:pk>/udmeld/", staff.application_leave, name="application_leave"),
    path("ansoegninger/<int:pk>/forny/", staff.application_renew, name="application_renew"),
    path("gebyrer/", staff.invoice_list, name="invoice_list"),
    path("gebyrsatser/", staff.fee_schedules, name="fee_schedules"),
    path("betalinger/", staff.payment_list, name="payment_list"),
    path("rykkere/", staff.reminder_list, name="reminder_list"),
    path("sletninger/", staff.deletion_list, name="deletion_list"),
    path("beskeder/", staff.message_list, name="message_list"),
]

# --- payments and letters (issue 13, payments helper: waitlist/views_payments.py) ---
urlpatterns += [
    path("betaling/webhook/", views_payments.payment_webhook, name="payment_webhook"),
    path("betaling/retur/", views_payments.payment_return, name="payment_return"),
    path("breve/", views_payments.print_batch_list, name="print_batch_list"),
    path("breve/<int:pk>/hent/", views_payments.print_batch_download, name="print_batch_download"),
]

# --- letting (issue 14, waitlist/urls_letting.py) ---
urlpatterns += urls_letting.urlpatterns
