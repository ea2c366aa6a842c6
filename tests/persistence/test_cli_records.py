"""``python -m portal train --progress-format json``: every stdout line a record, the human text
on stderr; the default stays text."""

import json

from portal import records, registry
from portal.__main__ import main


def run_cli(monkeypatch, capsys, data_dir, *argv) -> tuple[int, list[dict], str]:
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    code = main(list(argv))
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    parsed = [records.read(line) for line in lines]
    assert None not in parsed, lines  # nothing but records on stdout
    return code, parsed, captured.err


def test_a_run_reports_its_steps_and_its_version_as_records(
    tmp_path, small_logs, monkeypatch, capsys
):
    log = str(small_logs[0])
    code, out, err = run_cli(
        monkeypatch, capsys, tmp_path, "retrain", "--transactions", log, "--progress-format=json"
    )
    assert code == 0
    assert [r["event"] for r in out] == ["progress"] * 6 + ["published"]
    assert [(r["done"], r["total"]) for r in out[:-1]] == [(i, 5) for i in range(6)]
    assert out[0]["message"] == "building daily activity" and out[-2]["message"] == "done"
    published = out[-1]
    assert published["version"] == registry.current_version(tmp_path)
    assert f"published {published['version']}" in err  # the text, for the job's log
    recorded = json.loads((tmp_path / registry.TRAINING_PROGRESS).read_text())
    assert recorded == {"done": 5, "total": 5, "message": "done"}

    code, out, _ = run_cli(
        monkeypatch, capsys, tmp_path, "retrain", "--transactions", log, "--progress-format=json"
    )
    assert (code, out) == (0, [{"event": "unchanged", "version": published["version"]}])


def test_an_error_is_a_record_and_a_line_on_stderr(tmp_path, small_logs, monkeypatch, capsys):
    log = str(small_logs[0])
    argv = ("train", "--transactions", log, "--cutoff", "1990-01-01", "--progress-format=json")
    code, out, err = run_cli(monkeypatch, capsys, tmp_path, *argv)
    assert code == 2
    (error,) = [r for r in out if r["event"] == "error"]
    assert error["message"] == "cutoff 1990-01-01 is before the first transaction"
    assert f"error: {error['message']}" in err
    assert registry.versions(tmp_path) == []


def test_text_stays_the_default(tmp_path, small_logs, monkeypatch, capsys):
    argv = ("train", "--transactions", str(small_logs[0]), "--cutoff", "1990-01-01")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert main(list(argv)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: cutoff 1990-01-01 is before the first transaction\n"
