"""The report catalog every tenant has: ServiceTitan's categories, and in them reports with the
ids, parameters and fields integrations use (docs/decisions/0171-report-catalog.md).

Each report's data is one SQL query over the tenant's records (invoices, jobs, appointment
assignments, ratings...), so it reflects whatever the API and the demo seed wrote; rows come
back as arrays aligned with the report's fields, as ServiceTitan returns them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from localtitan.domain import report_queries as q
from localtitan.domain.report_queries import Context, Finish, Query, Rows, Statement, dynamic_set

__all__ = [
    "CATEGORIES",
    "REPORTS",
    "Context",
    "Field",
    "Parameter",
    "Report",
    "Rows",
    "Statement",
    "dynamic_set",
]

# (id, name): the categories ServiceTitan's report list is divided into.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("accounting", "Accounting"),
    ("business-unit-dashboard", "Business Unit Dashboard"),
    ("marketing", "Marketing"),
    ("memberships", "Memberships"),
    ("operations", "Operations"),
    ("payroll", "Payroll"),
    ("sales", "Sales"),
    ("technician", "Technician"),
    ("technician-dashboard", "Technician Dashboard"),
)


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    data_type: str  # String, Number, Boolean, Date, Time
    required: bool = False
    is_array: bool = False
    # (value, label) pairs a value must be one of, or the dynamic value set listing them.
    values: tuple[tuple[Any, str], ...] | None = None
    dynamic_set: str | None = None

    def metadata(self) -> dict[str, Any]:
        accept = None
        if self.values is not None or self.dynamic_set is not None:
            accept = {
                "fields": [{"name": "Value", "label": "Value"}, {"name": "Name", "label": "Name"}],
                "dynamicSetId": self.dynamic_set,
                "values": [list(v) for v in self.values] if self.values is not None else None,
            }
        return {
            "name": self.name,
            "label": self.label,
            "dataType": self.data_type,
            "isArray": self.is_array,
            "isRequired": self.required,
            "acceptValues": accept,
        }


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    data_type: str = "Number"
    # Numbers are rounded to this many places (money 2); None leaves them as they are.
    places: int | None = None


@dataclass(frozen=True)
class Report:
    id: int
    category: str
    name: str
    description: str
    parameters: tuple[Parameter, ...]
    fields: tuple[Field, ...]
    query: Query
    # Fills in what one SQL row cannot hold portably (a job's technicians), for one page.
    finish: Finish | None = None


FROM = Parameter("From", "From", "Date", required=True)
TO = Parameter("To", "To", "Date", required=True)
BUSINESS_UNITS = Parameter(
    "BusinessUnitIds", "Business Units", "Number", is_array=True, dynamic_set="business-units"
)
BUSINESS_UNIT = Parameter("BusinessUnitId", "Business Unit", "Number", dynamic_set="business-units")
DATE_TYPE = Parameter(
    "DateType", "Date Type", "Number", values=((1, "Completion Date"), (2, "Creation Date"))
)


MONEY = 2
RATE = 4

_REVENUE_FIELDS = (
    Field("CompletedRevenue", "Completed Revenue", places=MONEY),
    Field("OpportunityJobAverage", "Opportunity Job Average", places=MONEY),
    Field("OpportunityConversionRate", "Opportunity Conversion Rate", places=RATE),
    Field("Opportunity", "Opportunity"),
    Field("ConvertedJobs", "Converted Jobs"),
    Field("CustomerSatisfaction", "Customer Satisfaction", places=RATE),
)

REPORTS: dict[int, Report] = {
    r.id: r
    for r in (
        Report(
            175,
            "business-unit-dashboard",
            "Revenue",
            "Revenue per business unit for invoices dated in the period, with the opportunities "
            "(jobs completed in the period) and how many of them were invoiced.",
            (FROM, TO, BUSINESS_UNITS),
            (
                Field("Name", "Name", "String"),
                *_REVENUE_FIELDS,
                Field("AdjustmentRevenue", "Adjustment Revenue", places=MONEY),
                Field("TotalRevenue", "Total Revenue", places=MONEY),
                Field("NonJobRevenue", "Non Job Revenue", places=MONEY),
            ),
            q.bu_revenue,
        ),
        Report(
            179,
            "business-unit-dashboard",
            "Sales",
            "Estimates sold in the period per business unit, with the jobs offered estimates "
            "in it and how many of those closed.",
            (FROM, TO, BUSINESS_UNITS),
            (
                Field("Name", "Name", "String"),
                Field("TotalSales", "Total Sales", places=MONEY),
                Field("ClosedAverageSale", "Closed Average Sale", places=MONEY),
                Field("CloseRate", "Close Rate", places=RATE),
                Field("SalesOpportunity", "Sales Opportunity"),
                Field("OptionsPerOpportunity", "Options per Opportunity", places=RATE),
                Field("AdjustmentRevenue", "Adjustment Revenue", places=MONEY),
                Field("TotalRevenue", "Total Revenue", places=MONEY),
                Field("NonJobRevenue", "Non Job Revenue", places=MONEY),
            ),
            q.bu_sales,
        ),
        Report(
            5001,
            "sales",
            "Sold Estimates by Salesperson",
            "Estimates sold in the period, counted and summed per person who sold them.",
            (FROM, TO),
            (
                Field("SoldBy", "Sold By", "String"),
                Field("SoldById", "Sold By Id"),
                Field("SoldEstimates", "Sold Estimates"),
                Field("TotalSales", "Total Sales", places=MONEY),
            ),
            q.sold_by_salesperson,
        ),
        Report(
            6001,
            "memberships",
            "Memberships by Type",
            "Per membership type: active memberships now, and those begun and canceled in the "
            "period.",
            (FROM, TO),
            (
                Field("MembershipType", "Membership Type", "String"),
                Field("MembershipTypeId", "Membership Type Id"),
                Field("ActiveMemberships", "Active Memberships"),
                Field("NewMemberships", "New Memberships"),
                Field("CanceledMemberships", "Canceled Memberships"),
            ),
            q.memberships_by_type,
        ),
        Report(
            7001,
            "payroll",
            "Gross Pay by Employee",
            "Gross pay items dated in the period per employee: paid hours and amount.",
            (FROM, TO),
            (
                Field("Employee", "Employee", "String"),
                Field("EmployeeId", "Employee Id"),
                Field("PaidHours", "Paid Hours", places=RATE),
                Field("GrossPay", "Gross Pay", places=MONEY),
                Field("Items", "Items"),
            ),
            q.gross_pay_by_employee,
        ),
        Report(
            168,
            "technician-dashboard",
            "Technician Revenue",
            "Revenue per technician for invoices dated in the period, split evenly between the "
            "technicians assigned to each job.",
            (FROM, TO, BUSINESS_UNITS),
            (
                Field("Name", "Name", "String"),
                *_REVENUE_FIELDS,
                Field("TechnicianId", "Technician Id"),
                Field("AdjustmentRevenue", "Adjustment Revenue", places=MONEY),
                Field("TotalRevenue", "Total Revenue", places=MONEY),
            ),
            q.technician_revenue,
        ),
        Report(
            165,
            "operations",
            "Completed Jobs",
            "One row per job completed (or created, by DateType) in the period.",
            (DATE_TYPE, FROM, TO, BUSINESS_UNIT),
            (
                Field("JobNumber", "Job #", "String"),
                Field("JobId", "Job Id"),
                Field("AssignedTechnicians", "Assigned Technicians", "String"),
                Field("CustomerName", "Customer Name", "String"),
                Field("BusinessUnit", "Business Unit", "String"),
                Field("JobType", "Job Type", "String"),
                Field("CompletedOn", "Completion Date", "Date"),
                Field("CreatedOn", "Created Date", "Date"),
                Field("JobsTotal", "Jobs Total", places=MONEY),
            ),
            q.completed_job_detail,
            q.assigned_technicians,
        ),
        Report(
            1001,
            "operations",
            "Jobs by Status",
            "Jobs created in the period, counted by their current status.",
            (FROM, TO),
            (Field("Status", "Job Status", "String"), Field("Jobs", "Jobs")),
            q.jobs_by_status,
        ),
        Report(
            2001,
            "accounting",
            "Revenue by Business Unit",
            "Invoices dated in the period: count, total and open balance per business unit.",
            (FROM, TO),
            (
                Field("BusinessUnit", "Business Unit", "String"),
                Field("Invoices", "Invoices"),
                Field("Total", "Total", places=MONEY),
                Field("Balance", "Balance", places=MONEY),
            ),
            q.revenue_by_business_unit,
        ),
        Report(
            3001,
            "technician",
            "Completed Jobs by Technician",
            "Jobs completed in the period per assigned technician.",
            (FROM, TO),
            (Field("Technician", "Technician", "String"), Field("CompletedJobs", "Completed Jobs")),
            q.completed_by_technician,
        ),
        Report(
            4001,
            "marketing",
            "Jobs by Campaign",
            "Jobs created in the period per campaign.",
            (FROM, TO),
            (Field("Campaign", "Campaign", "String"), Field("Jobs", "Jobs")),
            q.jobs_by_campaign,
        ),
    )
}
