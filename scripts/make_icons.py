"""Render Keel's icon (resources/icons/keel.svg, the only source) into the files each
platform's bundle needs: keel.ico (Windows, 16–256 px), keel.icns (macOS, 16–1024 px) and
keel.png (256 px, for a Linux .desktop entry).

installer.spec calls ``make_icons`` at build time into its work folder, so no binary icon is
kept in the repository and the icons cannot drift from the SVG. Each size is rendered from the
SVG on its own (crisper small sizes than scaling one bitmap down). Needs PySide6 (QtSvg) and
Pillow, both installed with Keel.

    python scripts/make_icons.py [OUT_DIR]      (default: build/icons)
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "keel.svg"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn on a transparent square of ``size`` pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def make_icons(out: Path, svg: Path = SVG) -> dict[str, Path]:
    """Write keel.png, keel.ico and keel.icns into ``out``; returns them by extension."""
    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    sizes = sorted(set(ICO_SIZES) | set(ICNS_SIZES))
    images = {s: Image.open(io.BytesIO(render_png(svg, s))).convert("RGBA") for s in sizes}
    paths = {ext: out / f"keel.{ext}" for ext in ("png", "ico", "icns")}
    images[256].save(paths["png"], format="PNG")
    images[256].save(
        paths["ico"],
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != 256],
    )
    images[1024].save(
        paths["icns"], format="ICNS", append_images=[images[s] for s in ICNS_SIZES if s != 1024]
    )
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "icons"
    for path in make_icons(target).values():
        print(f"{path} ({path.stat().st_size:,} bytes)")
