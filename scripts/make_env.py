"""Write .env from .env.example with freshly generated secrets (only if .env is missing)."""

import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

root = Path(__file__).resolve().parent.parent
target = root / ".env"
if target.exists():
    sys.exit(0)
lines = []
for line in (root / ".env.example").read_text().splitlines():
    if line.startswith("SECRET_KEY="):
        line = "SECRET_KEY=" + secrets.token_urlsafe(50)
    elif line.startswith("FIELD_ENCRYPTION_KEY="):
        line = "FIELD_ENCRYPTION_KEY=" + Fernet.generate_key().decode()
    elif line.startswith("CPR_HASH_KEY="):
        line = "CPR_HASH_KEY=" + secrets.token_urlsafe(32)
    lines.append(line)
target.write_text("\n".join(lines) + "\n")
print("Wrote .env with generated SECRET_KEY, FIELD_ENCRYPTION_KEY and CPR_HASH_KEY")
