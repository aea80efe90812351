"""Moving around the top bar as a person does: open a module's menu, pick a page."""

import re

from playwright.sync_api import Page


def menu_go(page: Page, menu: str, link: str) -> None:
    """Open the top bar's `menu` and follow its `link`."""
    bar = page.get_by_role("navigation", name="Main")
    bar.locator("summary").filter(has_text=re.compile(f"^{re.escape(menu)}$")).click()
    bar.get_by_role("link", name=link, exact=True).click()
