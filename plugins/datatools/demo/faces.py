"""Which installed faces can set which scripts, by family: ``imagine data fonts``.

A glyph model meant to read many typefaces is trained on many, and evaluated on whole
families it never saw; both need the faces grouped as their fonts name them.
"""

from __future__ import annotations

import re
from pathlib import Path

from imagine_core.api import ImagineError
from imagine_plugins.datatools.demo.scripts import covers

# Faces that draw signs, not text, where letters stand: symbols, math, placeholders.
NOT_TEXT = (
    "Math", "Symbols", "Emoji", "Music", "Nushu", "LastResort", "cmex", "cmsy", "STIXSiz",
    "STIXNonUni",
)  # fmt: skip
LICENCE_OR_YEAR = r"\b(GPL&GNU|GNU&GPL|GNU-GPL|GPL-GNU|\d{4})\b"  # in BPG's family names


def family(face: Path) -> str:
    """A face's family as the font names it, widths, caps and optical sizes of one design
    together (DejaVu Sans Condensed Bold: DejaVu Sans; BPG Excelsior Caps GPL&GNU: BPG
    Excelsior); the file's name up to a hyphen where the font names none."""
    from PIL import ImageFont

    try:
        name = ImageFont.truetype(str(face), 12).getname()[0] or ""
    except OSError:
        name = ""
    name = re.sub(LICENCE_OR_YEAR, "", name or face.stem.split("-")[0])
    name = re.sub(r"\b(Display|Caps|Cond\w*)\b", "", name)
    return " ".join(name.split())


def default_folders() -> list[Path]:
    """The system's and the user's font folders, and the faces matplotlib ships."""
    import importlib.util

    folders = [Path("/usr/share/fonts"), Path.home() / ".local/share/fonts"]
    spec = importlib.util.find_spec("matplotlib")  # its folder only: not imported
    if spec is not None and spec.submodule_search_locations:
        folders.append(Path(next(iter(spec.submodule_search_locations))) / "mpl-data/fonts")
    return [folder for folder in folders if folder.is_dir()]


def find_faces(folders: list[Path], script: str = "latin") -> dict[str, list[str]]:
    """The faces in ``folders`` that draw every letter of ``script``, by family (sign
    faces left out), each family's faces sorted."""
    families: dict[str, list[str]] = {}
    for folder in folders:
        for face in sorted([*folder.rglob("*.ttf"), *folder.rglob("*.otf")]):
            if any(name.lower() in str(face).lower() for name in NOT_TEXT):
                continue
            if _draws(face, script):
                families.setdefault(family(face), []).append(str(face))
    return dict(sorted(families.items()))


def _draws(face: Path, script: str) -> bool:
    try:
        return covers(str(face), script)
    except (ImagineError, OSError):  # not a face Pillow can load
        return False
