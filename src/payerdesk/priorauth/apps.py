from django.apps import AppConfig

from payerdesk.core.modules import NavLink


class PriorAuthConfig(AppConfig):
    name = "payerdesk.priorauth"
    label = "priorauth"
    verbose_name = "Prior authorization"
    nav_links = (
        NavLink("PA requests", "priorauth:requests", "priorauth.view_priorauthrequest"),
        NavLink("New PA", "priorauth:request-new", "priorauth.add_priorauthrequest"),
        NavLink("Drugs", "priorauth:drugs", "priorauth.view_formularydrug"),
        NavLink("Prescribers", "priorauth:prescribers", "priorauth.view_prescriber"),
        NavLink("Formulary import", "priorauth:formulary-import", "priorauth.add_formularyversion"),
        NavLink("Criteria", "priorauth:criteria-upload", "priorauth.add_criteriaset"),
        NavLink("PA metrics", "priorauth:metrics", "core.view_all_work"),
        NavLink("PA clocks", "priorauth:clock-rules", "priorauth.view_clockrule"),
    )
    # A provider signs in to their own requests (staff land on their work).
    landing_pages = {"provider": "priorauth:requests"}

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from payerdesk.core.roles import Role, grant
        from payerdesk.priorauth import models, selectors, work

        work.register_kinds()
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
                    selectors.reference_cache_clear,
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
        grant(Role.AUDITOR, *read, "priorauth.view_clockrule")
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
