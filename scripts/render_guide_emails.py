"""Screenshots of the e-mails that scripts/render_emails.py does not take, for docs/guide-responsable.md.

    python scripts/render_guide_emails.py [--out docs/images] [--chromium /usr/bin/chromium]

The company's and the FEG's e-mails as a desktop shows them (900 px), the student's as a phone does
(420 px); same sample contexts, templates and headless Chromium as scripts/render_emails.py. Each
picture is taken tall, then cut just below the message (Pillow).
"""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bot.adapters.template_samples import sample_context  # noqa: E402
from bot.adapters.templates import Renderer  # noqa: E402
from bot.core.events import Event, Role  # noqa: E402
from render_emails import DESKTOP, PHONE, screenshot  # noqa: E402

# (file name, event, role, width)
SHOTS = [
    ("email-ok-apprentissage-etudiant-phone", Event.OK_APPRENTICESHIP, Role.STUDENT, PHONE),
    ("email-ok-pro-rh-desktop", Event.OK_PRO, Role.HR, DESKTOP),
    ("email-ok-pro-feg-desktop", Event.OK_PRO, Role.FEG, DESKTOP),
    ("email-cactus-rh-desktop", Event.CACTUS, Role.HR, DESKTOP),
    ("email-rejet-adresse-responsable-desktop", Event.BOUNCE, Role.LEAD, DESKTOP),
]
TALL = 2600


def cut_below(png: Path, margin: int = 16) -> None:
    """Drop the empty page below the message: rows of the bottom-left pixel's colour."""
    image = Image.open(png).convert("RGB")
    background = image.getpixel((0, image.height - 1))
    bottom = image.height
    while bottom > 1 and all(image.getpixel((x, bottom - 1)) == background for x in range(0, image.width, 3)):
        bottom -= 1
    image.crop((0, 0, image.width, min(image.height, bottom + margin))).save(png, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args(argv)
    renderer = Renderer(ROOT / "templates")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fvma-emails-") as tmp:
        folder = Path(tmp)
        for name, event, role, width in SHOTS:
            rendered = renderer.render(event, role, sample_context(event, role))
            html = folder / f"{name}.html"
            html.write_text(rendered.html, encoding="utf-8")
            png = args.out / f"{name}.png"
            screenshot(args.chromium, html, png, width, TALL, folder / "profile")
            cut_below(png)
            with Image.open(png) as image:
                print(f"{png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}  {image.width}×{image.height}"
                      f"  « {rendered.subject} »")
    return 0


if __name__ == "__main__":
    sys.exit(main())
