"""What the tests see of stored files: the suite keeps media in Django's InMemoryStorage,
so files are listed through the storage API, never from a folder on disk."""

from django.core.files.storage import default_storage


def stored_names(folder: str = "") -> set[str]:
    """The name of every file under a folder of the default storage (none if it is absent)."""
    if folder and not default_storage.exists(folder):
        return set()
    folders, files = default_storage.listdir(folder)
    names = {f"{folder}/{name}" if folder else name for name in files}
    for sub in folders:
        names |= stored_names(f"{folder}/{sub}" if folder else sub)
    return names
