"""Start the whole product on the embedded default and stop it all on Ctrl-C.

Web (Django dev server on 127.0.0.1:8000), Celery worker and beat over the filesystem
broker, and the GCTP and HLR simulators when their modules exist. Output of every process is
prefixed with its name.
"""

import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = os.environ.get("RUN_HOST", "127.0.0.1")
PORT = os.environ.get("RUN_PORT", "8000")

PROCESSES = [
    ("web", [PY, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"]),
    ("worker", [PY, "-m", "celery", "-A", "config", "worker", "-l", "info", "-c", "2"]),
    ("beat", [PY, "-m", "celery", "-A", "config", "beat", "-l", "info"]),
]
SIMULATORS = [
    ("gctp-sim", "simulators.gctp"),
    ("hlr-sim", "simulators.hlr"),
    # Payment provider + SMS gateway (port 8103) and the mail sink (SMTP 8025, web 8104).
    ("pay-sim", "simulators.payments"),
    ("mailsink", "simulators.mailsink"),
]

# issue 11 (ux): the environment variable that moves each simulator (HLR, payments).
SIMULATOR_PORTS = {"hlr-sim": "HLR_SIM_PORT", "pay-sim": "PAY_SIM_PORT"}


def _pump(name: str, stream) -> None:
    for line in iter(stream.readline, b""):
        sys.stdout.write(f"{name:>9} | {line.decode(errors='replace')}")
        sys.stdout.flush()


def main() -> int:
    sys.path.insert(0, str(ROOT))
    commands = list(PROCESSES)
    for name, module in SIMULATORS:
        if importlib.util.find_spec(module) is not None:
            # issue 11 (ux): a simulator's port from the environment (README, "Ports");
            # the GCTP simulator reads GCTP_SIM_PORT itself.
            port = os.environ.get(SIMULATOR_PORTS.get(name, ""), "")
            commands.insert(0, (name, [PY, "-m", module, *(["--port", port] if port else [])]))
    children: list[tuple[str, subprocess.Popen]] = []
    for name, cmd in commands:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            cmd,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        threading.Thread(target=_pump, args=(name, proc.stdout), daemon=True).start()
        children.append((name, proc))

    print(f"\nBoligkontor kører på http://{HOST}:{PORT}/  (Ctrl-C stopper alt)")
    print("Demo-brugere (kun til demo), adgangskode 'demo': sagsbehandler, cpr, admin")
    # issue 17: cpr and admin confirm their login with a TOTP code (fixed demo key, README)
    print("To-faktor-kode for cpr og admin: .venv/bin/python manage.py demo_totp cpr admin")
    print(
        f"Admin: http://{HOST}:{PORT}/admin/  API-dokumentation: http://{HOST}:{PORT}/api/docs/\n"
    )
    print("Sendte e-mails: http://127.0.0.1:8104/  SMS: http://127.0.0.1:8103/_sim/sms\n")

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        while not stopping:
            for name, proc in children:
                if proc.poll() is not None:
                    print(f"{name} stopped with exit code {proc.returncode}; stopping everything")
                    stopping, code = True, 1
                    break
            time.sleep(0.5)
    finally:
        for _, proc in children:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.time() + 10
        for _, proc in children:
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    return code


if __name__ == "__main__":
    sys.exit(main())
