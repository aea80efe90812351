"""Where the tests find the X12 sample files: real 834 and 820 files that other projects
wrote, kept byte for byte in `tests/data/x12/` (each folder's README names their source,
commit and licence). They are read, never written."""

from pathlib import Path

X12 = Path(__file__).resolve().parent / "data" / "x12"
X834 = X12 / "834"
X820 = X12 / "820"


def sample_files(folder: Path) -> list[Path]:
    """The samples in a folder, by name: every file but its README."""
    return sorted(path for path in folder.iterdir() if path.name != "README.md")
