"""Stand-ins for the external systems, for development, tests and benchmarks only.

Each simulator is a stand-alone HTTP server run as its own process (standard library only,
no Django, no product code), because it plays a system outside the product: the product's
clients speak the wire format and can be pointed at the real services through settings.

* ``python -m simulators.gctp``: CPR Services' landlord search (GCTP), docs/gctp-simulator.md.
* ``python -m simulators.hlr``: the rent register (Huslejeregisteret), docs/hlr-simulator.md.

Product apps never import this package (tests/test_architecture.py).
"""
