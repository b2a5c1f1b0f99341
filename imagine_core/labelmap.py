"""Label maps in the TF Object Detection API's format: ``item { id: 1 name: 'a' }``.

Ids start at 1 (0 is the background). Names are characters, NFC-normalised and
case-sensitive; ``from_names`` orders them by code point so that the same set
of labels always gets the same ids.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from imagine_core.errors import ImagineError


def normalise(label: str) -> str:
    return unicodedata.normalize("NFC", label)


@dataclass
class LabelMap:
    ids: dict[str, int] = field(default_factory=dict)  # name -> id, in id order
    display_names: dict[str, str] = field(default_factory=dict)  # name -> display_name

    @classmethod
    def from_names(cls, names: Iterable[str]) -> LabelMap:
        unique = sorted({normalise(n) for n in names})
        return cls({name: i for i, name in enumerate(unique, start=1)})

    @classmethod
    def read(cls, path: str | Path) -> LabelMap:
        from imagine_core import textproto
        from imagine_core.schema import label_map_class

        message = textproto.parse(textproto.read(path), label_map_class(), str(path))
        ids: dict[str, int] = {}
        display = {normalise(i.name): i.display_name for i in message.item if i.display_name}
        for item in message.item:
            name = normalise(item.name)
            if item.id < 1:
                raise ImagineError(
                    f"label {name!r} has id {item.id}; ids start at 1",
                    where=str(path),
                    fix="renumber the items from 1",
                )
            if name in ids:
                raise ImagineError(f"label {name!r} appears twice", where=str(path))
            ids[name] = item.id
        return cls(dict(sorted(ids.items(), key=lambda kv: kv[1])), display)

    def to_text(self) -> str:
        from google.protobuf import text_format

        from imagine_core.schema import label_map_class

        message = label_map_class()()
        for name, i in self.ids.items():
            item = message.item.add(id=i, name=name)
            if name in self.display_names:
                item.display_name = self.display_names[name]
        return text_format.MessageToString(message, as_utf8=True)

    def write(self, path: Path) -> Path:
        path.write_text(self.to_text(), encoding="utf-8")
        return path

    @property
    def names(self) -> list[str]:
        return list(self.ids)

    def __contains__(self, name: object) -> bool:
        return name in self.ids

    def __len__(self) -> int:
        return len(self.ids)
