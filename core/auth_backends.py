"""The authentication backend with login protection (django-axes; settings AXES_*)."""

from axes.backends import AxesStandaloneBackend


class LoginProtectionBackend(AxesStandaloneBackend):
    """django-axes' check before the password backend: a locked-out username/address pair is
    refused before its password is looked at. Logins without a request (the test client's
    `login()`, management commands) are not web logins and are not counted."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
