"""Group reference data in the admin: products, groups with plan designs and rate tables.

Members and coverages are PHI: they are not in the admin, whose views the access log
does not see; their pages come with the groups UI.
"""

from django.contrib import admin
from django.http import HttpRequest

from payerdesk.groups.models import EmployerGroup, PlanDesign, Product, RateRow


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    list_display = ["code", "name", "insurance_line", "x12_plan_description"]


class RateRowInline(admin.TabularInline[RateRow, PlanDesign]):
    model = RateRow
    extra = 1


@admin.register(PlanDesign)
class PlanDesignAdmin(admin.ModelAdmin[PlanDesign]):
    list_display = ["name", "group", "product", "rate_basis", "effective_date"]
    list_filter = ["product", "rate_basis"]
    inlines = [RateRowInline]


@admin.register(EmployerGroup)
class EmployerGroupAdmin(admin.ModelAdmin[EmployerGroup]):
    list_display = ["group_number", "legal_name", "situs_state", "market", "status"]
    list_filter = ["status", "market"]
    search_fields = ["group_number", "legal_name"]
    readonly_fields = ["welcome_call", "created_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # installing a group opens its welcome call: use the service
