"""Development-only management commands: benchmarks and scale seeders.

Installed only when ``settings.DEVTOOLS`` is on (default: DEBUG), so production images do
not carry them. These commands may import any app; product apps never import devtools
(tests/test_architecture.py).
"""
