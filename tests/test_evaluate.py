"""The evaluation on a tiny setting: a briefly trained classifier, a few samples."""

import json

import numpy as np

from minigan.checkpoint import load_checkpoint, save_checkpoint
from minigan.cli import main
from minigan.evaluate import fid, load_scores, save_score


def test_fid_is_zero_for_identical_sets_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((500, 4))
    assert abs(fid(a, a)) < 1e-8
    assert abs(fid(a, a + 1.0) - 4.0) < 1e-6  # only the means differ: |mu_a - mu_b|^2 = 4 * 1^2


def test_fid_ignores_a_feature_that_never_varies():
    """A dead ReLU unit (constant 0 in both sets) makes both covariances singular; the score
    must be the FID of the other features, not a warning and a round-off artefact."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((400, 5)) @ rng.standard_normal((5, 5))
    b = 1.5 * rng.standard_normal((400, 5)) + 0.2
    dead = np.zeros((400, 1))
    assert abs(fid(np.hstack([a, dead]), np.hstack([b, dead])) - fid(a, b)) < 1e-9 * fid(a, b)


def test_train_classifier_and_evaluate(mnist_dir, tmp_path, capsys):
    clf = tmp_path / "clf.npz"
    assert main(["train-classifier", "--epochs", "1", "--limit", "1024", "--data", str(mnist_dir), "--out", str(clf)]) == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out
    acc = float(out.strip().split("test accuracy")[-1].strip(" )\n"))
    assert acc > 0.7  # 1024 images, one epoch: far above the 0.1 of chance
    run = tmp_path / "run"
    assert main(["train", "--data", str(mnist_dir), "--out", str(run), "--epochs", "1", "--limit", "128"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--checkpoint", str(run / "checkpoint.npz"), "--n", "50", "--classifier", str(clf),
                 "--data", str(mnist_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 50 and len(report["class_histogram"]) == 10
    assert abs(sum(report["class_histogram"]) - 1) < 1e-6
    assert 0 <= report["class_entropy"] <= np.log(10) + 1e-9 and 0 <= report["confident_fraction"] <= 1
    assert report["fid"] > report["fid_train_vs_test"] > 0  # an untrained generator is far from the floor
    assert report["engine"] == "minigan" and report["epoch"] == 1 and report["precision"] == "float32"
    assert load_scores(run) == [report]  # kept in the run folder, for its training report
    save_score(dict(report, fid=1.5))  # the same evaluation again: replaced, not repeated
    save_score(dict(report, generator="averaged"))
    assert [(r["generator"], r["fid"]) for r in load_scores(run)] == [("trained", 1.5), ("averaged", report["fid"])]
    assert main(["evaluate", "--checkpoint", str(clf), "--classifier", str(clf), "--data", str(mnist_dir)]) == 1
    assert "is not a GAN checkpoint" in capsys.readouterr().err
    arrays, meta = load_checkpoint(clf)
    arrays["dense2/b"] = arrays["dense2/b"][:1]  # broadcasts into the model's (10,)
    save_checkpoint(clf, arrays, meta)
    assert main(["evaluate", "--checkpoint", str(run / "checkpoint.npz"), "--classifier", str(clf),
                 "--data", str(mnist_dir)]) == 1
    assert "dense2/b is float32 (1,), the model's is float32 (10,)" in capsys.readouterr().err


def test_evaluate_without_a_classifier_says_how_to_get_one(tmp_path, capsys):
    assert main(["evaluate", "--checkpoint", str(tmp_path / "x.npz"), "--classifier", str(tmp_path / "none.npz")]) == 1
    assert "train-classifier" in capsys.readouterr().err


def test_bad_classifier_and_evaluate_arguments_are_refused_before_anything_runs(tmp_path, capsys):
    for argv, message in [(["train-classifier", "--limit", "-5"], "--limit must be >= 0, got -5"),
                          (["train-classifier", "--epochs", "0"], "--epochs must be >= 1, got 0"),
                          (["train-classifier", "--out", str(tmp_path)], "is a folder; name a file in it"),
                          (["evaluate", "--checkpoint", "x.npz", "--n", "1000000000"], "--n must be in [2, 100000]"),
                          (["evaluate", "--checkpoint", "x.npz", "--seed", "-1"], "--seed must be in [0, ")]:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, err
