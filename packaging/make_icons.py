"""Render resources/icons/chairside.svg to the PNG sizes of the desktop icon themes, and the Windows .ico.

Run after changing the SVG: QT_QPA_PLATFORM=offscreen python packaging/make_icons.py (the PNGs are committed).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def main() -> None:
    app = QGuiApplication([])  # noqa: F841 (QImage text and SVG rendering need it)
    renderer = QSvgRenderer(str(ICONS / "chairside.svg"))
    out = ICONS / "png"
    out.mkdir(exist_ok=True)
    for size in SIZES:
        image = QImage(size, size, QImage.Format_ARGB32)
        image.fill(Qt.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(out / f"chairside-{size}.png"))
    try:
        from PIL import Image
    except ImportError:
        print("Pillow not installed: chairside.ico not made")
    else:
        Image.open(out / "chairside-256.png").save(ICONS / "chairside.ico",
                                                   sizes=[(s, s) for s in SIZES if s <= 256])
    print(f"icons written to {out}")


if __name__ == "__main__":
    main()
