"""Tags each request with an id so change records can be grouped by request."""

import uuid
from contextvars import ContextVar

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")


class RequestActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request_id.set(str(uuid.uuid4()))
        try:
            return self.get_response(request)
        finally:
            current_request_id.reset(token)
