"""The pinned environment: requirements.txt and environment.yml agree, and it imports."""
import re
import subprocess
import sys

import yaml

from lib import paths


def _pins(lines):
    return {line.split("==")[0].lower(): line.split("==")[1]
            for line in lines if re.match(r"^[A-Za-z0-9_.\-]+==", line)}


def test_requirements_and_environment_yml_pin_the_same_versions():
    requirements = _pins(l.strip() for l in (paths.ROOT / "requirements.txt").read_text().splitlines())
    environment = yaml.safe_load((paths.ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert _pins(pip_section) == requirements
    assert requirements["autrainer"] == "0.4.0" and requirements["aucurriculum"] == "0.1.1"


def test_torch_torchaudio_torchvision_import_together():
    code = ("import torch, torchaudio, torchvision, autrainer, aucurriculum; "
            "print(torch.__version__, torchaudio.__version__, torchvision.__version__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    torch_version, audio_version, _ = out.stdout.split()
    assert torch_version.split("+")[0] == audio_version.split("+")[0]
