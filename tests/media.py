"""Media fixtures the tests make themselves: a scanned page in a CJK font, speech clips, small videos."""
from __future__ import annotations

import io
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def require_media_tools() -> None:
    missing = [tool for tool in ("ffmpeg", "ffprobe", "espeak-ng") if shutil.which(tool) is None]
    if missing or not CJK_FONT.exists():
        pytest.fail(f"media test tools missing: {missing or CJK_FONT}; run scripts/bootstrap.sh test "
                    "(installs ffmpeg, espeak-ng and fonts-wqy-zenhei)")


def scanned_page(lines: list[str], size: tuple[int, int] = (1240, 1754), font_px: int = 40,
                 angle: float = 1.2, noise: bool = True, seed: int = 7) -> Image.Image:
    """Black text on off-white paper, slightly rotated, blurred and speckled like a 150 dpi scan."""
    page = Image.new("L", size, 245)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(CJK_FONT), font_px)
    y = 160
    for line in lines:
        draw.text((120, y), line, fill=20, font=font)
        y += int(font_px * 1.8)
    page = page.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=245)
    if noise:
        page = page.filter(ImageFilter.GaussianBlur(0.6))
        rng = random.Random(seed)
        pixels = page.load()
        for _ in range(size[0] * size[1] // 150):
            x, yy = rng.randrange(size[0]), rng.randrange(size[1])
            pixels[x, yy] = rng.choice((60, 120, 200))
    return page.convert("RGB")


def image_bytes(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def scanned_pdf(pages: list[Image.Image], dpi: int = 150) -> bytes:
    """An image-only PDF, as a scanner writes it (no text layer)."""
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return buffer.getvalue()


def speech_wav(path: Path, text: str, voice: str = "en-us", speed: int = 140) -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True,
                   capture_output=True)
    return path


def silence_then(path: Path, speech: Path, silence_s: float) -> Path:
    """`speech` starting after `silence_s` seconds of silence (to check time offsets)."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-t", str(silence_s), "-i",
                    "anullsrc=r=22050:cl=mono", "-i", str(speech), "-filter_complex", "[0:a][1:a]concat=n=2:v=0:a=1",
                    str(path)], check=True, capture_output=True)
    return path


def slide_video(path: Path, slide: Image.Image, seconds: float, audio: Path | None = None) -> Path:
    """A still slide for `seconds`, with `audio` as its sound track if given (no audio track otherwise)."""
    slide_path = path.with_suffix(".slide.png")
    slide.save(slide_path)
    command = ["ffmpeg", "-v", "error", "-y", "-loop", "1", "-framerate", "5", "-t", str(seconds), "-i", str(slide_path)]
    if audio is not None:
        command += ["-i", str(audio), "-c:a", "aac", "-shortest"]
    command += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", str(path)]
    subprocess.run(command, check=True, capture_output=True)
    return path
