"""The evaluators: COCO metrics and the character error rate of text read from glyph boxes."""

from __future__ import annotations

import pytest

from imagine_plugins.evaluation.metrics import CharacterErrorRate, CocoDetectionMetrics
from imagine_plugins.evaluation.text import text_of


def _glyphs(lines: list[str], size: float = 10.0, skew: float = 0.0):
    boxes, labels = [], []
    for row, line in enumerate(lines):
        x = 0.0
        for ch in line:
            if ch != " ":
                y = row * 2 * size + skew * x
                boxes.append([x, y, x + size * 0.8, y + size])
                labels.append(ch)
            x += size
    return boxes, labels


def test_text_is_read_line_by_line_left_to_right_with_spaces():
    boxes, labels = _glyphs(["ab cd", "ef"])
    assert text_of(boxes[::-1], labels[::-1]) == "ab cd\nef"


def test_slightly_skewed_lines_stay_lines():
    boxes, labels = _glyphs(["abcdefgh", "ijklmnop"], skew=0.05)
    assert text_of(boxes, labels) == "abcdefgh\nijklmnop"


def test_perfect_detections_give_zero_cer_and_full_map():
    boxes, labels = _glyphs(["hello world"])
    truth = {"boxes": boxes, "labels": labels, "width": 200, "height": 20}
    found = {"boxes": boxes, "labels": labels, "scores": [0.9] * len(labels)}
    cer, coco = CharacterErrorRate(0.3), CocoDetectionMetrics()
    for evaluator in (cer, coco):
        evaluator.add(truth, found)
    assert cer.result() == {"CER": 0.0, "WER": 0.0}
    assert coco.result()["mAP"] == pytest.approx(1.0)


def test_one_wrong_character_in_ten():
    boxes, labels = _glyphs(["abcdefghij"])
    wrong = labels[:]
    wrong[3] = "x"
    cer = CharacterErrorRate(0.3)
    cer.add(
        {"boxes": boxes, "labels": labels}, {"boxes": boxes, "labels": wrong, "scores": [1.0] * 10}
    )
    assert cer.result()["CER"] == pytest.approx(0.1)


def test_low_scores_are_not_read():
    boxes, labels = _glyphs(["ab"])
    cer = CharacterErrorRate(0.5)
    cer.add(
        {"boxes": boxes, "labels": labels}, {"boxes": boxes, "labels": labels, "scores": [0.9, 0.1]}
    )
    assert cer.result()["CER"] == pytest.approx(0.5)


def test_punctuation_and_marks_stay_in_their_line():
    boxes, labels = _glyphs(["ab", "cd"])
    # a comma hanging below the first line's baseline, an accent above the second line
    boxes += [[17.0, 7.0, 19.0, 13.0], [20.0, 16.0, 24.0, 19.0]]
    labels += [",", "\u0301"]
    assert text_of(boxes, labels) == "ab,\ncd\u0301"
