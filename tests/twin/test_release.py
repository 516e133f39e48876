"""The twin's release of the app bundle: the archive the stack uploads, nothing else."""

from __future__ import annotations

import zipfile

from infra.app_bundle import collect
from twin.release import Release, write_archive


def test_the_archive_holds_the_bundle_files_and_its_requirements_only(tmp_path):
    bundle = collect(with_wheels=False)
    archive = write_archive(bundle, tmp_path / "api.zip")
    with zipfile.ZipFile(archive) as z:
        names = set(z.namelist())
        assert z.read("requirements.txt").decode() == bundle.requirements
    assert names == {*bundle.files, "requirements.txt"}
    assert "app/wsgi.py" in names and "app/gunicorn.conf.py" in names
    # Nothing from the rest of the checkout: a file app/ needs from elsewhere is missing.
    assert not any(n.startswith(("twin/", "infra/", "edge/", "tests/")) for n in names)


def test_instances_run_the_release_gunicorn_from_the_release(tmp_path):
    release = Release("bundles/api-x.zip", tmp_path / "api-x")
    assert release.argv() == [str(tmp_path / "api-x" / "venv" / "bin" / "gunicorn"),
                              "-c", "app/gunicorn.conf.py", "app.wsgi:app"]
