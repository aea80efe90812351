"""The shell: the menu registry, each role's top bar, module landing pages, and stored values
shown in people's words (dates, money, yes/no, codes with their meaning)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from payerdesk.billing.selectors.remittances import PeriodSummary
from payerdesk.core import menus, selectors
from payerdesk.core.menus import Menu, MenuLink, Perm
from payerdesk.core.templatetags.display import money, yes_no
from payerdesk.priorauth.criteria.questionnaire import Question
from payerdesk.priorauth.views.requests import _answer_text

STAFF_MENUS = ["Work", "Prior authorization", "Groups", "Billing"]
BARS = {
    "rep": ["Work", "Prior authorization"],
    "pharmacist": ["Work", "Prior authorization"],
    "groupadmin": ["Work", "Groups", "Billing"],
    "salesadmin": ["Work"],
    "coordinator": ["Work"],
    "auditor": STAFF_MENUS,
    "supervisor": STAFF_MENUS,
    "admin": STAFF_MENUS,
    "employer": ["Your groups", "Your bills"],
    "provider": ["Your requests"],
}


@pytest.mark.parametrize("role", sorted(BARS))
def test_each_role_gets_one_menu_per_module_it_may_open(role, users):
    shown = menus.menus_for(users[role])
    assert [menu.label for menu in shown] == BARS[role]
    for menu in shown:
        assert menu.entries, f"{menu.label} has nowhere to go"


def test_a_menu_lists_only_the_links_the_role_holds(users):
    def links(role: str, code: str) -> list[str]:
        menu = next(m for m in menus.menus_for(users[role]) if m.code == code)
        return [link.label for link in menu.entries]

    assert links("admin", "priorauth")[:2] == ["Overview", "PA requests"]
    assert "Formulary import" in links("admin", "priorauth")
    assert "Formulary import" not in links("rep", "priorauth")
    assert "Queue health" in links("supervisor", "work")
    assert "Queue health" not in links("rep", "work")
    assert links("employer", "billing-portal") == ["List bills", "Send back a list bill"]
    employer_bills = next(m for m in menus.menus_for(users["employer"]) if m.flat)
    assert employer_bills.flat


def test_the_registry_refuses_a_second_menu_under_the_same_code():
    work = menus.get("work")
    assert menus.register(work) is work  # the same menu again (a second ready()) is fine
    other = Menu(code="work", label="Other", allowed=Perm("x.y"), links=())
    with pytest.raises(ValueError, match="already registered differently"):
        menus.register(other)
    with pytest.raises(menus.UnknownMenuError):
        menus.get("no-such-menu")


def test_a_link_with_a_fragment_points_into_its_page():
    assert MenuLink("Send", "billing:portal", fragment="send-back").url() == (
        "/billing/portal/#send-back"
    )


def test_the_top_bar_draws_a_drop_down_per_module(users, client_for):
    page = client_for(users["supervisor"]).get(reverse("core:my-work")).content.decode()
    for label in STAFF_MENUS:
        assert f"<summary>{label}</summary>" in page
    assert page.count('<details class="menu"') == len(STAFF_MENUS)


def test_module_work_counts_only_the_modules_kinds(users, make_item):
    make_item(kind="task", title="Overdue task", due_in=timedelta(hours=-1))
    make_item(kind="callback", title="Call due soon", due_in=timedelta(minutes=1))
    make_item(kind="callback", title="Call next week", due_in=timedelta(days=7))
    everything = selectors.work_counts(user=users["supervisor"])
    assert (everything.open, everything.overdue) == (3, 1)
    calls = selectors.work_counts(user=users["supervisor"], kinds={"callback"})
    assert (calls.open, calls.overdue) == (2, 0)
    assert [row.queue_slug for row in calls.queues] == ["coverage-review"]
    # The rep works that queue; the pharmacist sees none of it.
    assert selectors.work_counts(user=users["rep"]).open == 3
    assert selectors.work_counts(user=users["pharmacist"]).open == 0


@pytest.mark.parametrize(
    ("url", "heading", "figure"),
    [
        ("/priorauth/", "Prior authorization", "Pended for more information"),
        ("/billing/", "Billing", "In suspense"),
        ("/groups/", "Employer groups", "Policy changes waiting for underwriting"),
        ("/", "My work", "Open work"),
    ],
)
def test_each_modules_root_shows_its_counts_and_links(url, heading, figure, users, client_for):
    page = client_for(users["supervisor"]).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert f"<h1>{heading}</h1>" in text
    assert figure in text and "Overdue" in text and "Due today" in text
    assert 'class="module-links"' in text


def test_a_role_outside_a_module_is_refused_its_landing_page(users, client_for):
    assert client_for(users["rep"]).get("/billing/").status_code == 403
    assert client_for(users["groupadmin"]).get("/priorauth/").status_code == 403
    assert Client().get("/priorauth/").status_code == 302  # to sign in


def test_billing_landing_sums_money_in_suspense_to_the_cent(users, client_for, monkeypatch):
    monkeypatch.setattr(
        "payerdesk.billing.selectors.remittances.suspense_total", lambda user: Decimal("1234.5")
    )
    text = client_for(users["supervisor"]).get("/billing/").content.decode()
    assert "$1,234.50" in text


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1234.5"), "$1,234.50"),
        (Decimal("0.005"), "$0.01"),  # half a cent rounds up
        (Decimal("-12.345"), "-$12.35"),
        (0, "$0.00"),
        (None, ""),
    ],
)
def test_money_is_written_with_two_decimals(value, shown):
    assert money(value) == shown


def test_yes_no():
    assert (yes_no(True), yes_no(False), yes_no(None)) == ("Yes", "No", "")


def test_dates_and_times_have_one_format_everywhere(settings):
    settings.TIME_ZONE = "America/New_York"
    template = Template('{{ day|date }} · {{ moment|date:"DATETIME_FORMAT" }} · {{ moment }}')
    moment = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    shown = template.render(Context({"day": date(2026, 12, 7), "moment": moment}))
    assert shown == "12/07/2026 · 12/07/2026 6:30 PM EST · 12/07/2026 6:30 PM EST"


def test_a_bills_state_is_shown_in_words():
    def row(status: str) -> PeriodSummary:
        zero = Decimal(0)
        return PeriodSummary(date(2026, 1, 1), zero, zero, zero, status, 0, 0)

    assert row("partially_paid").status_label == "Partially paid"
    assert row("").status_label == ""


def _question(kind: str, options: tuple[tuple[str, str], ...] = ()) -> Question:
    return Question("q_x", "A question", kind, True, options, (), "all")  # type: ignore[arg-type]


def test_pa_answers_are_shown_in_words():
    assert _answer_text(_question("boolean"), True) == "Yes"
    assert _answer_text(_question("boolean"), False) == "No"
    diagnosis = _question("choice", (("E11", "Type 2 diabetes mellitus"),))
    assert _answer_text(diagnosis, "E11") == "E11 (Type 2 diabetes mellitus)"
    assert _answer_text(_question("date"), "2026-03-01") == "03/01/2026"
    assert _answer_text(_question("decimal"), 7.4) == "7.4"
    assert _answer_text(None, None) == "—"
