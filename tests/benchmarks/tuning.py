"""Tuning documents: where reading rules may be designed and tuned, never on heldout.py's.

Made by the same page maker as the held-out documents (heldout.render_page: the GPL-3's
words, ink per line, rotation, blur, noise, JPEG), in faces none of them uses, so a rule
tuned here meets the held-out documents as strangers. Two script faces (the held-out
script face's troubles: joined letters, word gaps close to letter gaps), a Greek face and a
blackletter face. Fonts: ``apt-get install fonts-dancingscript fonts-havana
fonts-gfs-artemisia fonts-gotico-antiqua``.

    python tests/benchmarks/bench_fewshot.py --set tuning --docs dancing --marks one
"""

from __future__ import annotations

from heldout import GREEK, Document  # this folder's

DOCUMENTS = [
    Document("dancing", "opentype/dancingscript/DancingScript-Regular.otf", 30, "eng",
             1000, 1300, 1.4, 0.3, 0.6, 0.05, 75),
    Document("havana", "opentype/havana/Havana-Regular.otf", 28, "eng",
             950, 1250, 1.5, -0.6, 0.4, 0.04, 80),
    Document("artemisia", "opentype/artemisia/GFSArtemisia.otf", 30, "grc",
             1100, 1400, 1.45, 0.5, 0.9, 0.04, 75,
             GREEK | {k.upper(): v.upper() for k, v in GREEK.items()}),
    Document("gotico", "opentype/gotico-antiqua/Rusch-GoticoAntiqua100G.otf", 30, "frk",
             1000, 1300, 1.5, -0.3, 0.7, 0.05, 70),
]  # fmt: skip
