"""Route-policy entries and world builders per area, kept apart so parallel work on different
areas does not edit the same lines. Each module defines POLICY (route -> Entry),
PUBLIC_FOR_ANONYMOUS (set), BUILDERS (object name -> builder), KWARG_OBJECTS (dict);
route_policy.py and world.py merge them."""

AREAS = ("waitlist", "letting", "gdpr_retention", "gdpr_requests", "gdpr_disclosure")
