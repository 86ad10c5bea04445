"""Files an outsider uploads where the app asks for an image (a group's QR, a live code's contact QR, a strike's
screenshot): real bytes built here, each named for what it tries."""

from __future__ import annotations

import io
import struct
import zlib

SCRIPT = b"<script>document.title='pwned';alert(document.domain)</script>"


def png(width: int = 40, height: int = 40) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, format="PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 50_000, height: int = 50_000) -> bytes:
    """A PNG of a few hundred bytes whose header claims `width`×`height` pixels (10 GB once decoded, at 50000²):
    one compressed row of zeros, the rest left to the decoder's imagination."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    row = zlib.compress(b"\0" * (1 + 3 * min(width, 1000)), 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", row) + _chunk(b"IEND", b"")


def svg_with_script() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' + SCRIPT + b"</svg>"


def png_then_html() -> bytes:
    """A real PNG with a page after its end: an image to Pillow, a page with a script to an HTML parser."""
    return png() + b"<html><body>" + SCRIPT + b"</body></html>"


def html_then_png() -> bytes:
    return b"<html><body>" + SCRIPT + b"</body></html>" + png()


def gif_javascript() -> bytes:
    """The classic GIF/JavaScript polyglot: "GIF89a/*…*/=…" parses as a script, and as a GIF 10799 pixels wide
    (the width field is the bytes "/*")."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (0x2A2F, 1)).save(out, format="GIF")
    data = out.getvalue()
    assert data[6:8] == b"/*"
    return data + b"*/=1;alert(document.domain);//"


def other_format(image_format: str) -> bytes:
    """A real image in a format Pillow reads but the app does not take."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format=image_format)
    return out.getvalue()


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"

NOT_AN_IMAGE = "不是图片"  # the pages speak Chinese: "… is not an image (PNG, JPEG, GIF or WebP)."

# name -> (bytes, what the page says to refuse it): every one is refused, whatever it is called.
REFUSED = {
    "svg-script.png": (svg_with_script(), NOT_AN_IMAGE),
    "svg-script.svg": (svg_with_script(), NOT_AN_IMAGE),
    "bomb-50000.png": (png_bomb(), "像素数超出上限"),
    "empty.png": (b"", "空文件"),
    "page.png": (b"<!doctype html><html>" + SCRIPT + b"</html>", NOT_AN_IMAGE),
    "html-then-png.png": (html_then_png(), NOT_AN_IMAGE),
    "gif-javascript.gif": (gif_javascript(), "10799×1"),
    "php.png": (b"<?php system($_GET['c']); ?>", NOT_AN_IMAGE),
    "tiff.png": (other_format("TIFF"), NOT_AN_IMAGE),
    "bmp.png": (other_format("BMP"), NOT_AN_IMAGE),
    "tga.png": (other_format("TGA"), NOT_AN_IMAGE),
    "eps.png": (EPS, NOT_AN_IMAGE),
}

# Names that try to place or serve the file as something else; the bytes are a real PNG.
HOSTILE_NAMES = [
    "evil.html",
    "../../../../etc/passwd.png",
    "..\\..\\evil.html",
    "<script>alert(1)</script>.png",
    "x" * 300 + ".png",
    "qr.png.html",
    "qr.svg",
]
