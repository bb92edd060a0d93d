from django.urls import path
from django.views.generic import TemplateView

from . import views_payments

app_name = "waitlist"
urlpatterns = [
    path("", TemplateView.as_view(template_name="base.html"), name="index"),
]

# --- payments and letters (issue 13, payments helper: waitlist/views_payments.py) ---
urlpatterns += [
    path("betaling/webhook/", views_payments.payment_webhook, name="payment_webhook"),
    path("betaling/retur/", views_payments.payment_return, name="payment_return"),
    path("breve/<int:pk>/hent/", views_payments.print_batch_download, name="print_batch_download"),
]
