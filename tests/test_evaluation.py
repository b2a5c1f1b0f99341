"""The evaluators: COCO metrics and the character error rate of text read from glyph boxes,
and `imagine eval --ocr --gt` on text files."""

from __future__ import annotations

import json

import pytest

from imagine_core.api import instantiate
from imagine_core.plugins import get_plugins
from imagine_plugins.evaluation.metrics import CocoDetectionMetrics, normalise_text


def CharacterErrorRate(min_score: float = 0.3):
    """The registered evaluator (with the OCR text assembler), at ``min_score``."""
    cer = instantiate(get_plugins().registry.get("evaluator", "character_error_rate"), None, None)
    cer.min_score = min_score
    return cer


def text_of(boxes, labels) -> str:
    return CharacterErrorRate(0.0).read(boxes, labels)


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


def test_ground_truth_text_wins_over_the_boxes_spelling():
    boxes, labels = _glyphs(["abc"])
    cer = CharacterErrorRate()
    cer.add(
        {"boxes": boxes, "labels": labels, "text": "abd\n"},
        {"boxes": boxes, "labels": labels, "scores": [1.0] * 3},
    )
    assert cer.result()["CER"] == pytest.approx(1 / 3)
    assert cer.confusions[("d", "c")] == 1


def test_layout_whitespace_is_not_an_error():
    assert normalise_text("  two   words \n\n next line  \n") == "two words\nnext line"


def _text_folders(tmp_path, pages: dict[str, tuple[str, str]]):
    gt, read = tmp_path / "gt", tmp_path / "read"
    gt.mkdir()
    read.mkdir()
    for name, (truth, found) in pages.items():
        (gt / f"{name}.gt.txt").write_text(truth, encoding="utf-8")
        (read / f"{name}.txt").write_text(found, encoding="utf-8")
    return gt, read


def test_eval_ocr_scores_pages_and_lists_confusions(cli, tmp_path):
    gt, read = _text_folders(
        tmp_path,
        {"p1": ("the cat sat\n", "the cat sat\n"), "p2": ("one ſun\n", "one fun\n")},
    )
    result = cli("eval", "--ocr", "--gt", str(gt), str(read))
    assert result.code == 0, result.err
    saved = json.loads((read / "eval.json").read_text())
    assert saved["CER"] == pytest.approx(1 / 18)
    assert saved["WER"] == pytest.approx(1 / 5)
    assert saved["pages"] == {"p1": 0.0, "p2": pytest.approx(1 / 7)}
    assert "ſ" in result.out and "most frequent errors" in result.out


def test_eval_ocr_names_pages_without_text(cli, tmp_path):
    gt, read = _text_folders(tmp_path, {"p1": ("a", "a")})
    (gt / "p2.gt.txt").write_text("b", encoding="utf-8")
    (gt / "p3.gt.txt").write_text("c", encoding="utf-8")
    (read / "p3.txt").write_bytes("c\xe9".encode("latin-1"))
    result = cli("eval", "--ocr", "--gt", str(gt), str(read))
    assert result.code == 2
    assert "p2" in result.err and "imagine ocr" in result.err
    assert "p3.txt" in result.err and "not UTF-8" in result.err
    assert json.loads((read / "eval.json").read_text())["pages"] == {"p1": 0.0}  # the rest


def test_eval_ocr_without_gt_is_a_clear_error(cli, tmp_path):
    result = cli("eval", "--ocr", str(tmp_path))
    assert result.code == 2 and "--gt" in result.err
