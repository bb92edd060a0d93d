import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

# Load the URLconf (and the views it imports: the API schema, admin, every app) now, in each
# web process as it starts, instead of in the first request that process serves: that
# request would otherwise take about a second longer than the rest.
from django.urls import get_resolver  # noqa: E402 - after the app registry is ready

get_resolver().url_patterns  # noqa: B018 - loading is the point

# Machine-to-machine endpoints (the payment webhook) skip the browser middleware.
from core.wsgi import Application  # noqa: E402

application = Application(django_application)
