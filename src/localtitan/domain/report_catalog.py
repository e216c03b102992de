"""The report catalog every tenant has: ServiceTitan's categories, and in them reports with the
ids, parameters and fields integrations use (docs/decisions/0171-report-catalog.md,
0181-dashboard-reports.md).

Each report names the store query that computes it (``localtitan.store.reports.QUERIES``): one
SQL query over the tenant's records (invoices, jobs, appointment assignments, ratings...), so
it reflects whatever the API and the demo seed wrote; rows come back as arrays aligned with
the report's fields, as ServiceTitan returns them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CATEGORIES", "REPORTS", "Field", "Parameter", "Report"]

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
    # The store query (``store.reports.QUERIES``) that computes the rows.
    query: str


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

HOURS = 2

_PRODUCTIVITY_FIELDS = (
    Field("Name", "Name", "String"),
    Field("RevenuePerBillableHour", "Revenue Per Billable Hour", places=MONEY),
    Field("BillableHours", "Billable Hours", places=HOURS),
    Field("DrivingHours", "Driving Hours", places=HOURS),
    Field("BillableEfficiency", "Billable Efficiency", places=RATE),
    Field("CompletedRevenue", "Completed Revenue", places=MONEY),
    Field("Opportunity", "Opportunity"),
    Field("RecallJobs", "Recall Jobs"),
)
_PRODUCTIVITY = (
    "Revenue per billable hour: invoices dated in the period against the working time (arrival "
    "to done) on the timesheets of jobs completed in it, with the driving time (dispatch to "
    "arrival) and how many of those jobs were recalls."
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
            "business-unit-revenue",
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
            "business-unit-sales",
        ),
        Report(
            177,
            "business-unit-dashboard",
            "Productivity",
            _PRODUCTIVITY + " Per business unit.",
            (FROM, TO, BUSINESS_UNITS),
            _PRODUCTIVITY_FIELDS,
            "business-unit-productivity",
        ),
        Report(
            176,
            "business-unit-dashboard",
            "Lead Generation",
            "Per business unit: follow-up jobs technicians set (jobs created in the period from "
            "an estimate) against the jobs completed in it, what those jobs were invoiced, and "
            "the leads taken in the period.",
            (FROM, TO, BUSINESS_UNITS),
            (
                Field("Name", "Name", "String"),
                Field("Opportunity", "Opportunity"),
                Field("LeadsSet", "Leads Set"),
                Field("LeadGenerationRate", "Lead Generation Rate", places=RATE),
                Field("TotalLeadSales", "Total Lead Sales", places=MONEY),
                Field("Leads", "Leads"),
                Field("OpenLeads", "Open Leads"),
                Field("DismissedLeads", "Dismissed Leads"),
            ),
            "business-unit-lead-generation",
        ),
        Report(
            178,
            "business-unit-dashboard",
            "Memberships",
            "Per business unit: memberships begun in the period against the jobs completed in "
            "it, the memberships active now and those canceled in the period.",
            (FROM, TO, BUSINESS_UNITS),
            (
                Field("Name", "Name", "String"),
                Field("MembershipsSold", "Memberships Sold"),
                Field("Opportunity", "Opportunity"),
                Field("MembershipConversionRate", "Membership Conversion Rate", places=RATE),
                Field("ActiveMemberships", "Active Memberships"),
                Field("CanceledMemberships", "Canceled Memberships"),
            ),
            "business-unit-memberships",
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
            "sold-by-salesperson",
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
            "memberships-by-type",
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
            "gross-pay-by-employee",
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
            "technician-revenue",
        ),
        Report(
            170,
            "technician-dashboard",
            "Technician Productivity",
            _PRODUCTIVITY + " Per technician, from their own timesheets; revenue split evenly "
            "between the technicians assigned to each job.",
            (FROM, TO, BUSINESS_UNITS),
            (*_PRODUCTIVITY_FIELDS, Field("TechnicianId", "Technician Id")),
            "technician-productivity",
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
            "completed-job-detail",
        ),
        Report(
            1001,
            "operations",
            "Jobs by Status",
            "Jobs created in the period, counted by their current status.",
            (FROM, TO),
            (Field("Status", "Job Status", "String"), Field("Jobs", "Jobs")),
            "jobs-by-status",
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
            "revenue-by-business-unit",
        ),
        Report(
            3001,
            "technician",
            "Completed Jobs by Technician",
            "Jobs completed in the period per assigned technician.",
            (FROM, TO),
            (Field("Technician", "Technician", "String"), Field("CompletedJobs", "Completed Jobs")),
            "completed-by-technician",
        ),
        Report(
            4001,
            "marketing",
            "Jobs by Campaign",
            "Jobs created in the period per campaign.",
            (FROM, TO),
            (Field("Campaign", "Campaign", "String"), Field("Jobs", "Jobs")),
            "jobs-by-campaign",
        ),
    )
}
