from django.apps import AppConfig


class PriorAuthConfig(AppConfig):
    name = "payerdesk.priorauth"
    label = "priorauth"
    verbose_name = "Prior authorization"
    # A provider signs in to their own requests (staff land on their work).
    landing_pages = {"provider": "priorauth:requests"}

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from payerdesk.core.roles import Role, grant
        from payerdesk.priorauth import models, work
        from payerdesk.priorauth.selectors import reference as reference_selectors

        work.register_kinds()
        register_menus()
        # Intake caches drugs, formulary rows and criteria: any change here empties it.
        for model in (
            models.Drug,
            models.FormularyVersion,
            models.FormularyDrug,
            models.CriteriaSet,
            models.CriteriaDrug,
        ):
            for signal in (post_save, post_delete):
                signal.connect(
                    reference_selectors.reference_cache_clear,
                    sender=model,
                    dispatch_uid=f"priorauth-reference-{model.__name__}-{signal is post_save}",
                )
        read = (
            "priorauth.view_priorauthrequest",
            "priorauth.view_formularydrug",
            "priorauth.view_criteriaset",
            "priorauth.view_prescriber",
        )
        # Whoever takes requests registers the prescriber on the phone and keeps their
        # email right (letters go there); letting a provider user act for an NPI, which
        # opens that NPI's requests to them, stays with administrators.
        intake = (
            "priorauth.add_priorauthrequest",
            "priorauth.change_priorauthrequest",
            "priorauth.add_prescriber",
            "priorauth.change_prescriber",
        )
        grant(Role.REP, *read, *intake)
        grant(Role.PHARMACIST, *read, "priorauth.decide_priorauthrequest", *intake)
        grant(Role.SUPERVISOR, *read, *intake, "priorauth.view_clockrule")
        grant(Role.AUDITOR, *read, "priorauth.view_formularyversion", "priorauth.view_clockrule")
        # A provider answers a pend themselves, only on the requests of the NPIs they act
        # for (the service checks the link); it gives them no staff screen.
        grant(Role.PROVIDER, "priorauth.send_information")
        grant(
            Role.ADMIN,
            *read,
            *intake,
            "priorauth.add_formularyversion",
            "priorauth.view_formularyversion",
            "priorauth.add_criteriaset",
            "priorauth.link_portal_user",
            "priorauth.view_clockrule",
            "priorauth.change_clockrule",
        )

    def demo_load(self) -> None:
        from payerdesk.priorauth.demo import demo_load

        demo_load()


def register_menus() -> None:
    """Prior authorization in the staff top bar; a provider's requests in theirs."""
    from payerdesk.core import menus
    from payerdesk.core.menus import HasRole, MenuLink, Perm
    from payerdesk.priorauth import work

    menus.register(
        menus.Menu(
            code="priorauth",
            label="Prior authorization",
            allowed=Perm("priorauth.view_priorauthrequest"),
            home="priorauth:home",
            links=(
                MenuLink("PA requests", "priorauth:requests"),
                MenuLink("New PA", "priorauth:request-new", Perm("priorauth.add_priorauthrequest")),
                MenuLink("Drugs", "priorauth:drugs", Perm("priorauth.view_formularydrug")),
                MenuLink("Prescribers", "priorauth:prescribers", Perm("priorauth.view_prescriber")),
                MenuLink(
                    "Formulary import",
                    "priorauth:formulary-import",
                    Perm("priorauth.add_formularyversion"),
                ),
                MenuLink(
                    "Criteria", "priorauth:criteria-upload", Perm("priorauth.add_criteriaset")
                ),
                MenuLink("PA metrics", "priorauth:metrics", Perm("core.view_all_work")),
                MenuLink("PA clocks", "priorauth:clock-rules", Perm("priorauth.view_clockrule")),
            ),
            work_kinds=frozenset({work.PRIOR_AUTH.code}),
            position=20,
        )
    )
    menus.register(
        menus.Menu(
            code="priorauth-provider",
            label="Your requests",
            allowed=HasRole("provider"),
            links=(MenuLink("Your PA requests", "priorauth:requests"),),
            flat=True,
            position=21,
        )
    )
