"""Screenshots of a few e-mails, as a phone (420 px) and a desktop (900 px) would show them.

    python scripts/render_emails.py [--out docs/images] [--chromium /usr/bin/chromium]

Renders sample contexts (bot/adapters/template_samples.py) with the real
templates, writes each HTML part to a temporary folder and photographs it with
headless Chromium (Debian: `apt-get install chromium`). No network: the
e-mails load no remote resource, and Chromium's background services are off.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.adapters.template_samples import sample_context  # noqa: E402
from bot.adapters.templates import Renderer  # noqa: E402
from bot.core.events import Event, Role  # noqa: E402

PHONE, DESKTOP = 420, 900

# (file name, event, role, width, height, context changes)
SHOTS = [
    ("email-reception-etudiant-phone", Event.RECEPTION, Role.STUDENT, PHONE, 1700, {}),
    ("email-ko-etudiant-phone", Event.KO, Role.STUDENT, PHONE, 1500, {}),
    ("email-ok-pro-etudiant-phone", Event.OK_PRO, Role.STUDENT, PHONE, 1700, {}),
    ("email-ok-pro-etudiant-desktop", Event.OK_PRO, Role.STUDENT, DESKTOP, 1400, {}),
    ("email-cactus-etudiant-phone", Event.CACTUS, Role.STUDENT, PHONE, 1080, {}),
    ("email-reception-responsable-desktop", Event.RECEPTION, Role.LEAD, DESKTOP, 940, {}),
    ("email-rappel-responsable-phone", Event.RAPPEL, Role.LEAD, PHONE, 1080, {}),
]


def screenshot(chromium: str, html: Path, png: Path, width: int, height: int, profile: Path) -> None:
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--force-device-scale-factor=1", f"--user-data-dir={profile}",
         f"--window-size={width},{height}", f"--screenshot={png}", html.as_uri()],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--templates", type=Path, default=ROOT / "templates")
    args = parser.parse_args(argv)

    renderer = Renderer(args.templates)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fvma-emails-") as tmp:
        folder = Path(tmp)
        for name, event, role, width, height, changes in SHOTS:
            rendered = renderer.render(event, role, sample_context(event, role, **changes))
            html = folder / f"{name}.html"
            html.write_text(rendered.html, encoding="utf-8")
            png = args.out / f"{name}.png"
            screenshot(args.chromium, html, png, width, height, folder / "profile")
            print(f"{png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}  "
                  f"{width}×{height}  {png.stat().st_size // 1024} KB  « {rendered.subject} »")
    return 0


if __name__ == "__main__":
    sys.exit(main())
