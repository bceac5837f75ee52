"""The rule for a service the tests cannot have: skip with one line on a contributor's machine,
fail under CI, so nothing is skipped where it counts (tests/services)."""
from __future__ import annotations

import stat

import pytest

import services


def _fake_slurm_script(tmp_path):
    script = tmp_path / "slurm.sh"
    script.write_text('echo "slurm: slurm-wlm and munge are not installed and this is not root"'
                      " >&2\nexit 1\n")
    return script


@pytest.mark.parametrize("ci", [None, "", "  "])
def test_a_missing_service_skips_with_one_line_when_ci_is_unset_or_empty(ci, monkeypatch):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception) as skipped:
        services.unavailable("fakeservice", "not installed\nhere", "run `sudo make fake`")
    assert str(skipped.value) == ("fakeservice not available: not installed here: "
                                  "run `sudo make fake`")


@pytest.mark.parametrize("ci", ["true", "1"])
def test_a_missing_service_fails_under_ci(ci, monkeypatch):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception) as failed:
        services.unavailable("fakeservice", "not installed", "run `sudo make fake`")
    message = str(failed.value)
    assert "\n" not in message
    assert message.startswith("fakeservice not available: not installed: run `sudo make fake`")


def test_slurm_that_cannot_start_skips_with_the_scripts_reason_or_fails_under_ci(tmp_path,
                                                                               monkeypatch):
    script = _fake_slurm_script(tmp_path)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        services.slurm_partition(script)
    assert str(skipped.value) == (
        "SLURM not available: slurm-wlm and munge are not installed and this is not root: run "
        "`sudo bash tests/services/slurm.sh` (installs Debian's slurm-wlm and munge) or leave "
        "these tests out: pytest -m 'not slurm'")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"^SLURM not available: slurm-wlm"):
        services.slurm_partition(script)


def test_a_chromium_that_does_not_start_skips_or_fails_under_ci(tmp_path, monkeypatch):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'cannot open shared object file' >&2\nexit 127\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("CHROMIUM", str(fake))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        services.chromium(install=False)
    message = str(skipped.value)
    assert message.startswith(f"chromium not available: {fake} does not start (")
    assert message.endswith("run `sudo apt-get install chromium` or set CHROMIUM to a Chromium "
                            "executable") and "\n" not in message
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"^chromium not available: "):
        services.chromium(install=False)


def test_no_chromium_at_all_skips_or_fails_under_ci(tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "missing"))
    monkeypatch.setattr("shutil.which", lambda name, *args, **kwargs: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^chromium not available: none found"):
        services.chromium(install=False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"^chromium not available: none found"):
        services.chromium(install=False)


def test_ci_runs_the_readmes_command_with_ci_set():
    from lib import paths

    run = (paths.ROOT / ".ci" / "run").read_text()
    assert "export CI=true" in run
    assert run.rstrip().splitlines()[-1] == "make test"
