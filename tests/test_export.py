"""--export FILE.svg|.html|.txt on every command, and the SVG and HTML opened in headless Chromium."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

# Each command with the arguments that make it print something worth keeping.
COMMANDS = {
    "step": ("step", "--preset", "seed-question", "--diagram"),
    "explain": ("explain", "forget"),
    "diagram": ("diagram", "--preset", "seed-question", "--stage", "cell"),
}


def png_summary(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct byte values in the pixel data): a blank page has almost none."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, offset = [], 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if kind == b"IDAT":
            chunks.append(data[offset + 8 : offset + 8 + length])
        offset += 12 + length
    return width, height, len(set(zlib.decompress(b"".join(chunks))))


def export(cli, tmp_path: Path, name: str, suffix: str, *args: str, input: str | None = None):
    path = tmp_path / f"{name}{suffix}"
    result = cli(*args, "--export", str(path), input=input)
    assert result.exit_code == 0, result.output
    return result, path


@pytest.mark.parametrize("name", COMMANDS)
def test_text_export_is_exactly_what_was_printed(cli, tmp_path, name):
    result, path = export(cli, tmp_path, name, ".txt", *COMMANDS[name])
    assert path.read_text(encoding="utf-8") == result.output
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # written atomically: no temporary file left


def test_show_and_diff_export(cli, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert cli("step", "--preset", "seed-question", "--output", str(a)).exit_code == 0
    assert cli("step", "--preset", "seed-question", "--weights", "random", "--output", str(b)).exit_code == 0
    shown, path = export(cli, tmp_path, "show", ".txt", "show", str(a))
    assert path.read_text(encoding="utf-8") == shown.output and "0.4750" in shown.output
    compared, path = export(cli, tmp_path, "diff", ".html", "diff", str(a), str(b))
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "Biggest movers" in html and "color: #" in html


def test_walk_exports_its_final_screen_only(cli, tmp_path):
    result, path = export(cli, tmp_path, "walk", ".txt", "walk", "--preset", "seed-question", input="n\nn\nq\n")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("Stage 3 of 7: Input gate")
    assert "Stage 1 of 7" not in text and "Stage 2 of 7" not in text and "Stage 1 of 7" in result.output
    _, path = export(cli, tmp_path, "walk-end", ".svg", "walk", "--preset", "seed-question", input="\n" * 7 + "q\n")
    assert "Summary:" in path.read_text(encoding="utf-8").replace("&#160;", " ")


def test_svg_and_html_keep_the_colours(cli, tmp_path):
    _, svg = export(cli, tmp_path, "diagram", ".svg", *COMMANDS["diagram"])
    _, html = export(cli, tmp_path, "diagram", ".html", *COMMANDS["diagram"])
    svg_text, html_text = svg.read_text(encoding="utf-8"), html.read_text(encoding="utf-8")
    assert svg_text.startswith("<svg") and "font-weight: bold" in svg_text and "fill: #" in svg_text
    assert "font-weight: bold" in html_text and "━" in html_text  # the highlighted top line, drawn heavy


@pytest.mark.parametrize("suffix", [".svg", ".html"])
def test_chromium_renders_the_export_without_errors(cli, tmp_path, chromium, suffix):
    _, page = export(cli, tmp_path, "step", suffix, *COMMANDS["step"])
    dom = chromium(page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "parsererror" not in dom.stdout  # Chromium's XML error page
    assert ("<svg" if suffix == ".svg" else "<pre") in dom.stdout
    assert "Forget" in dom.stdout and "0.4750" in dom.stdout  # the content made it into the document
    shot = tmp_path / "shot.png"
    picture = chromium(page, f"--screenshot={shot}", "--window-size=1000,800", "--hide-scrollbars")
    assert picture.returncode == 0 and shot.exists(), picture.stderr[-2000:]
    width, height, distinct = png_summary(shot)
    assert (width, height) == (1000, 800) and distinct > 50  # drawn, not a blank page
    assert "Uncaught" not in dom.stderr + picture.stderr


def test_chromium_check_does_catch_a_broken_svg(cli, tmp_path, chromium):
    """The control for the test above: a truncated SVG must show Chromium's parse error."""
    _, page = export(cli, tmp_path, "diagram", ".svg", *COMMANDS["diagram"])
    broken = tmp_path / "broken.svg"
    broken.write_text(page.read_text(encoding="utf-8")[:3000], encoding="utf-8")
    assert "parsererror" in chromium(broken, "--dump-dom").stdout


def test_export_errors(cli, tmp_path):
    wrong = cli("step", "--preset", "seed-question", "--export", str(tmp_path / "out.pdf"))
    assert wrong.exit_code == 2 and ".svg, .html, .txt" in wrong.output
    both = cli("step", "--preset", "seed-question", "--json", "--export", str(tmp_path / "out.svg"))
    assert both.exit_code == 2 and "--output" in both.output
    missing = cli("diagram", "--preset", "seed-question", "--export", str(tmp_path / "no" / "such" / "d.svg"))
    assert missing.exit_code == 2 and "does not exist" in missing.output
    folder = cli("diagram", "--preset", "seed-question", "--export", str(tmp_path))
    assert folder.exit_code == 2 and "is a directory" in folder.output
    assert not list(tmp_path.iterdir())  # nothing written on any error
