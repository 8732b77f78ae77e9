"""benchmarks/precision_runs.py and the plan it shares (benchmarks/seed_runs.py): bfloat16 held
to what float32 meets, from score rows."""

import sys

import pytest

from benchmarks import precision_runs, twin_gap
from benchmarks.seed_runs import command, read_rows
from benchmarks.precision_runs import check


def row(precision, seed, epoch, fid, entropy=2.29, rarest=0.08, sha="a" * 64):
    hist = [rarest] + [(1 - rarest) / 9] * 9
    return {"precision": precision, "seed": seed, "epoch": epoch, "fid": fid, "class_entropy": entropy,
            "class_histogram": hist, "classifier_sha256": sha, "classifier_test_accuracy": 0.9871}


def runs(float32, bf16):
    """{seed: (FID at 40, FID at 50)} for each precision -> rows."""
    return [row(p, s, ep, fid) for p, by_seed in (("float32", float32), ("bf16", bf16))
            for s, fids in by_seed.items() for ep, fid in zip((40, 50), fids)]


def test_bf16_meets_what_float32_meets():
    lines, ok = check(runs({0: (17.5, 14.7), 1: (16.0, 11.1)}, {0: (15.0, 13.0), 1: (12.0, 11.9)}))
    assert ok and "bf16 seed 0: meets every target" in "\n".join(lines)
    assert "every float32 seed meets: entropy ≥ 2.20, every digit ≥ 5 %, no decay" in "\n".join(lines)


def test_a_decaying_bf16_seed_fails_only_where_every_float32_seed_holds():
    rows = runs({0: (17.5, 14.7), 1: (16.0, 11.1)}, {0: (7.9, 9.7), 1: (12.0, 11.9)})
    lines, ok = check(rows)
    assert not ok and "bf16 seed 0: fails no decay" in "\n".join(lines)
    rows = runs({0: (17.5, 14.7), 1: (10.0, 11.1)}, {0: (7.9, 9.7), 1: (12.0, 11.9)})  # float32 seed 1 decays too
    lines, ok = check(rows)
    assert ok and "every float32 seed meets: entropy ≥ 2.20, every digit ≥ 5 %;" in "\n".join(lines)


def test_bf16_fid_at_most_1_2_times_the_worst_float32_seed():
    _, ok = check(runs({0: (17.5, 14.7), 1: (16.0, 11.1)}, {0: (20.0, 17.6)}))
    assert ok  # 17.6 <= 1.2 * 14.7 = 17.64
    lines, ok = check(runs({0: (17.5, 14.7), 1: (16.0, 11.1)}, {0: (20.0, 17.7)}))
    assert not ok and "FID 17.70 > 1.2 × 14.70" in "\n".join(lines)


def test_a_nan_fid_fails_bf16_and_stops_the_check_in_float32():
    lines, ok = check(runs({0: (17.5, 14.7)}, {0: (15.0, float("nan"))}))
    assert not ok and "bf16 seed 0: fails no decay; FID nan > 1.2" in "\n".join(lines)
    with pytest.raises(SystemExit, match="float32 seed 0 has FID nan"):
        check(runs({0: (17.5, float("nan"))}, {0: (15.0, 13.0)}))


def test_entropy_and_rarest_digit_are_read_at_the_later_epoch():
    rows = runs({0: (17.5, 14.7)}, {0: (15.0, 13.0)})
    rows[-1] = row("bf16", 0, 50, 13.0, entropy=2.19, rarest=0.049)
    lines, ok = check(rows)
    assert not ok and "fails entropy ≥ 2.20; every digit ≥ 5 %" in "\n".join(lines)


def test_check_refuses_mixed_classifiers_and_settings_missing_epochs_and_one_precision_alone():
    rows = runs({0: (17.5, 14.7)}, {0: (15.0, 13.0)})
    with pytest.raises(SystemExit, match="2 classifiers"):
        check(rows + [row("bf16", 1, 40, 10.0, sha="b" * 64)])
    with pytest.raises(SystemExit, match="bf16 seed 0 lacks a score at epoch 50"):
        check(rows[:-1])
    with pytest.raises(SystemExit, match="both precisions"):
        check(rows[:2])
    with pytest.raises(SystemExit, match="scored twice"):
        check(rows + rows[-1:])
    with pytest.raises(SystemExit, match="has no precision"):
        check([{k: v for k, v in r.items() if k != "precision"} for r in rows])
    with pytest.raises(SystemExit, match="mix 2 settings"):  # a bf16 row sampled from the averaged G
        check(rows[:-1] + [dict(rows[-1], generator="averaged")])


def test_every_arm_trains_with_its_own_options_and_resumes_from_its_checkpoint(tmp_path):
    bf16 = command(precision_runs.ARMS, "bf16", 2, 50, tmp_path, 10)
    assert bf16[:6] == [sys.executable, "-m", "minigan", "train", "--precision", "bf16"]
    assert bf16[-4:] == ["--threads", "1", "--out", str(tmp_path / "bf16-s2")] and "--resume" not in bf16
    (tmp_path / "pytorch-s1").mkdir()
    (tmp_path / "pytorch-s1" / "twin_checkpoint.pt").write_bytes(b"")
    twin = command(twin_gap.ARMS, "pytorch", 1, 20, tmp_path, 10)
    assert twin[1:3] == ["-m", "benchmarks.train_twin"] and twin[-1] == "--resume"


def test_the_published_scores_give_the_answer_docs_precision_md_quotes():
    """docs/ablation/precision-scores.jsonl, the three seeds of each precision scored by one
    classifier, read by `check`: every bf16 seed meets what every float32 seed meets, and the
    page says so with the same figures."""
    from conftest import REPO

    rows = read_rows([REPO / "docs" / "ablation" / "precision-scores.jsonl"])
    lines, ok = check(rows)
    assert ok and sorted({(r["precision"], r["seed"]) for r in rows}) == [(p, s) for p in ("bf16", "float32") for s in range(3)]
    page = (REPO / "docs" / "precision.md").read_text()
    for line in lines[1:-4]:  # one line a run: its FIDs must be on the page
        fids = line.split("FID ")[1].split(",")[0]
        assert fids.replace("->", "→") in page, line
