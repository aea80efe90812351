"""A clone of the repository alone runs and reads: no file of the project points outside it
to the folder of shared material the project was first written beside."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Spelled in pieces so that this file does not name what it looks for.
OUTSIDE = ("../" + "shared", "shared/" + "samples", "shared/" + "DESIGN")
# Folders a copy may hold that are not the project's files (tools, caches, build output).
NOT_PROJECT = {".git", ".venv", "var", "build", "__pycache__", ".mypy_cache", ".ruff_cache",
               ".pytest_cache", ".hypothesis"}  # fmt: skip


def project_files(root: Path) -> list[Path]:
    """The files git tracks or would track (ignored ones left out); in a copy without git,
    every file outside the tools' and caches' folders."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],  # noqa: S607
        cwd=root,
        capture_output=True,
        check=False,
    )
    if listed.returncode == 0:
        names = [name for name in listed.stdout.decode().split("\0") if name]
        return [root / name for name in names if (root / name).is_file()]
    return [path for path in root.rglob("*") if path.is_file() and _of_project(root, path)]


def _of_project(root: Path, path: Path) -> bool:
    parts = path.relative_to(root).parts
    return not NOT_PROJECT.intersection(parts) and not any(
        part.endswith(".egg-info") for part in parts
    )


def mentions_outside(root: Path) -> list[str]:
    """`path:line: text` for every line of a text file that refers to the shared folder."""
    found = []
    for path in project_files(root):
        content = path.read_bytes()
        if b"\0" in content:  # a binary file
            continue
        for number, line in enumerate(content.decode(errors="replace").splitlines(), 1):
            if any(mark in line for mark in OUTSIDE):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def test_no_file_of_the_project_refers_outside_it():
    found = mentions_outside(ROOT)
    assert not found, "Files that refer outside the repository:\n" + "\n".join(found)


def test_the_check_finds_a_mention(tmp_path):
    (tmp_path / "README.md").write_text("Design: see " + OUTSIDE[0] + "/DESIGN.md\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "paths.py").write_text(f'ROOT = "{OUTSIDE[1]}"\n')
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\0" + OUTSIDE[0].encode())
    assert sorted(mentions_outside(tmp_path)) == [
        f"README.md:1: Design: see {OUTSIDE[0]}/DESIGN.md",
        f'tests/paths.py:1: ROOT = "{OUTSIDE[1]}"',
    ]
