"""Where the tests find the shared sample files: real X12 834 and 820 files from other
projects, in `../shared/samples/` beside this checkout. They are read, never written."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "shared" / "samples"
X834 = ROOT / "x12" / "834"
X820 = ROOT / "x12" / "820"


def missing() -> str | None:
    """Why the samples cannot be read, or None when they can."""
    absent = [folder for folder in (X834, X820) if not folder.is_dir()]
    if not absent:
        return None
    return (
        f"The shared sample files are not at {absent[0]}: the tests check payerdesk "
        f"against real X12 files kept in {ROOT} (../shared/samples beside the checkout)."
    )


_READS = "from tests import samples"


def reads_samples(module: Path) -> bool:
    """Whether a test module reads the samples (it imports this module)."""
    return module.name.startswith("test_") and _READS in module.read_text(encoding="utf-8")


def modules_reading_samples() -> list[str]:
    tests = Path(__file__).resolve().parent
    return sorted(
        str(path.relative_to(tests)) for path in tests.rglob("test_*.py") if reads_samples(path)
    )
