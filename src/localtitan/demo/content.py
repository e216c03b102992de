"""The trade knowledge of a home-services company: what it sells, what its jobs are called.

Faker knows people and places but not furnaces, so this is the one hand-written part of the
demo: business units, job types, pricebook lines, reasons and the words technicians write.
No people, companies or places are listed here; those come from Faker.
"""

from __future__ import annotations

__all__ = [
    "ACTIVITY_CODES",
    "BUSINESS_UNITS",
    "CALL_REASONS",
    "CAMPAIGNS",
    "CAMPAIGN_CATEGORIES",
    "CANCEL_REASONS",
    "CUSTOMER_NOTES",
    "DISCOUNTS_AND_FEES",
    "EQUIPMENT",
    "EQUIPMENT_TYPES",
    "FORMS",
    "GL_ACCOUNTS",
    "HOLD_REASONS",
    "JOB_TYPES",
    "MATERIALS",
    "MEMBERSHIP_TYPES",
    "METROS",
    "PAYMENT_TERMS",
    "PAYMENT_TYPES",
    "PRICEBOOK_CATEGORIES",
    "RECURRING_SERVICE_TYPES",
    "REPORT_CATEGORIES",
    "SERVICES",
    "SKILLS",
    "TAG_TYPES",
    "TASK_KINDS",
    "TECH_NOTES",
    "TIMESHEET_CODES",
    "USER_ROLES",
]

# (state, centre latitude, centre longitude): metro areas where such companies are common.
METROS: list[tuple[str, float, float]] = [
    ("TX", 30.27, -97.74),
    ("TX", 32.78, -96.80),
    ("AZ", 33.45, -112.07),
    ("FL", 28.54, -81.38),
    ("GA", 33.75, -84.39),
    ("NC", 35.23, -80.84),
    ("TN", 36.16, -86.78),
    ("CO", 39.74, -104.99),
    ("NV", 36.17, -115.14),
    ("OH", 39.96, -83.00),
    ("IL", 41.88, -87.63),
    ("CA", 38.58, -121.49),
]

# (name, trade, kind). Trades: HVAC, Plumbing, Electrical.
BUSINESS_UNITS: list[tuple[str, str, str]] = [
    ("HVAC Service", "HVAC", "Service"),
    ("HVAC Replacement", "HVAC", "Install"),
    ("HVAC Maintenance", "HVAC", "Maintenance"),
    ("Plumbing Service", "Plumbing", "Service"),
    ("Plumbing Replacement", "Plumbing", "Install"),
    ("Electrical Service", "Electrical", "Service"),
]

# (name, employeeType)
USER_ROLES: list[tuple[str, str]] = [
    ("Owner", "Employee"),
    ("Office Manager", "Employee"),
    ("Customer Service Representative", "Employee"),
    ("Dispatcher", "Employee"),
    ("Accounting", "Employee"),
    ("Field Manager", "Employee"),
    ("Service Technician", "Technician"),
    ("Install Technician", "Technician"),
    ("Comfort Advisor", "Technician"),
]

# (name, color, code, importance, used on)
TAG_TYPES: list[tuple[str, str, str, str | None, str]] = [
    ("VIP", "#D4AF37", "VIP", "High", "customer"),
    ("Member", "#2E8B57", "MBR", "Medium", "customer"),
    ("Pets on Site", "#8B4513", "PET", None, "location"),
    ("Gate Code", "#4682B4", "GATE", None, "location"),
    ("Do Not Text", "#A9A9A9", "DNT", None, "customer"),
    ("Slow Payer", "#B22222", "SLOW", "High", "customer"),
    ("Second Opinion", "#6A5ACD", "2ND", None, "job"),
    ("Callback", "#FF8C00", "CB", "High", "job"),
    ("Warranty Work", "#20B2AA", "WAR", "Medium", "job"),
    ("Priority", "#DC143C", "PRI", "High", "job"),
]

# (name, trade, business unit kind, minutes, priority, class, share of that trade's calls)
JOB_TYPES: list[tuple[str, str, str, int, str, str, float]] = [
    ("No Cool", "HVAC", "Service", 90, "High", "Service", 16),
    ("No Heat", "HVAC", "Service", 90, "High", "Service", 12),
    ("AC Repair", "HVAC", "Service", 120, "Normal", "Service", 10),
    ("Furnace Repair", "HVAC", "Service", 120, "Normal", "Service", 7),
    ("Thermostat Issue", "HVAC", "Service", 60, "Normal", "Service", 4),
    ("AC Tune-Up", "HVAC", "Maintenance", 60, "Low", "Maintenance", 9),
    ("Furnace Tune-Up", "HVAC", "Maintenance", 60, "Low", "Maintenance", 7),
    ("Commercial PM Visit", "HVAC", "Maintenance", 180, "Normal", "Maintenance", 3),
    ("System Replacement Estimate", "HVAC", "Install", 90, "Normal", "Sales", 5),
    ("AC Install", "HVAC", "Install", 480, "Normal", "Install", 3),
    ("Furnace Install", "HVAC", "Install", 420, "Normal", "Install", 2),
    ("Heat Pump Install", "HVAC", "Install", 540, "Normal", "Install", 2),
    ("Drain Clog", "Plumbing", "Service", 90, "High", "Service", 10),
    ("Water Heater Repair", "Plumbing", "Service", 90, "High", "Service", 6),
    ("Leak Repair", "Plumbing", "Service", 120, "High", "Service", 7),
    ("Toilet Repair", "Plumbing", "Service", 60, "Normal", "Service", 4),
    ("Water Heater Install", "Plumbing", "Install", 240, "Normal", "Install", 3),
    ("Sewer Camera Inspection", "Plumbing", "Service", 90, "Normal", "Service", 2),
    ("Electrical Troubleshooting", "Electrical", "Service", 90, "High", "Service", 6),
    ("Outlet and Switch Repair", "Electrical", "Service", 60, "Normal", "Service", 4),
    ("Panel Upgrade", "Electrical", "Service", 480, "Normal", "Install", 1),
    ("EV Charger Install", "Electrical", "Service", 240, "Normal", "Install", 2),
]

# (name, trade, type)
PRICEBOOK_CATEGORIES: list[tuple[str, str, str]] = [
    ("HVAC Diagnostics", "HVAC", "Services"),
    ("HVAC Repairs", "HVAC", "Services"),
    ("HVAC Maintenance", "HVAC", "Services"),
    ("HVAC Installation", "HVAC", "Services"),
    ("Drain Services", "Plumbing", "Services"),
    ("Plumbing Repairs", "Plumbing", "Services"),
    ("Water Heaters", "Plumbing", "Services"),
    ("Electrical Repairs", "Electrical", "Services"),
    ("Electrical Upgrades", "Electrical", "Services"),
    ("HVAC Parts", "HVAC", "Materials"),
    ("Plumbing Parts", "Plumbing", "Materials"),
    ("Electrical Parts", "Electrical", "Materials"),
]

# (code, name, category, price, hours, job types it is sold on)
SERVICES: list[tuple[str, str, str, float, float, tuple[str, ...]]] = [
    (
        "HV-DIAG",
        "HVAC Diagnostic",
        "HVAC Diagnostics",
        89,
        0.5,
        ("No Cool", "No Heat", "AC Repair", "Furnace Repair", "Thermostat Issue"),
    ),
    ("HV-CAP", "Replace Run Capacitor", "HVAC Repairs", 245, 0.5, ("No Cool", "AC Repair")),
    ("HV-CONT", "Replace Contactor", "HVAC Repairs", 265, 0.75, ("No Cool", "AC Repair")),
    ("HV-FANM", "Replace Condenser Fan Motor", "HVAC Repairs", 695, 1.5, ("No Cool", "AC Repair")),
    ("HV-REFR", "Refrigerant Charge (per lb)", "HVAC Repairs", 125, 0.25, ("No Cool", "AC Repair")),
    ("HV-COIL", "Clean Evaporator Coil", "HVAC Repairs", 349, 1.5, ("AC Repair",)),
    (
        "HV-IGN",
        "Replace Hot Surface Igniter",
        "HVAC Repairs",
        325,
        0.75,
        ("No Heat", "Furnace Repair"),
    ),
    ("HV-FLAME", "Clean Flame Sensor", "HVAC Repairs", 145, 0.5, ("No Heat", "Furnace Repair")),
    ("HV-INDM", "Replace Inducer Motor", "HVAC Repairs", 895, 2.0, ("No Heat", "Furnace Repair")),
    (
        "HV-BLWR",
        "Replace Blower Motor",
        "HVAC Repairs",
        985,
        2.0,
        ("No Heat", "Furnace Repair", "AC Repair"),
    ),
    ("HV-TSTAT", "Install Smart Thermostat", "HVAC Repairs", 395, 1.0, ("Thermostat Issue",)),
    ("HV-TUNEAC", "AC Tune-Up", "HVAC Maintenance", 129, 1.0, ("AC Tune-Up",)),
    ("HV-TUNEFN", "Furnace Tune-Up", "HVAC Maintenance", 129, 1.0, ("Furnace Tune-Up",)),
    (
        "HV-PM",
        "Commercial Preventive Maintenance",
        "HVAC Maintenance",
        450,
        3.0,
        ("Commercial PM Visit",),
    ),
    (
        "HV-FILTER",
        "Replace Air Filter",
        "HVAC Maintenance",
        39,
        0.1,
        ("AC Tune-Up", "Furnace Tune-Up", "Commercial PM Visit"),
    ),
    (
        "HV-EST",
        "In-Home Comfort Consultation",
        "HVAC Installation",
        0,
        1.0,
        ("System Replacement Estimate",),
    ),
    ("HV-INST-AC", "Install Central AC System", "HVAC Installation", 6850, 8.0, ("AC Install",)),
    ("HV-INST-FN", "Install Gas Furnace", "HVAC Installation", 4950, 7.0, ("Furnace Install",)),
    (
        "HV-INST-HP",
        "Install Heat Pump System",
        "HVAC Installation",
        9200,
        9.0,
        ("Heat Pump Install",),
    ),
    (
        "PL-DIAG",
        "Plumbing Diagnostic",
        "Plumbing Repairs",
        79,
        0.5,
        ("Leak Repair", "Toilet Repair", "Water Heater Repair"),
    ),
    ("PL-DRAIN", "Clear Main Line Drain", "Drain Services", 289, 1.0, ("Drain Clog",)),
    ("PL-SNAKE", "Snake Secondary Drain", "Drain Services", 189, 0.75, ("Drain Clog",)),
    ("PL-JET", "Hydro Jet Main Line", "Drain Services", 650, 2.0, ("Drain Clog",)),
    (
        "PL-CAMERA",
        "Sewer Camera Inspection",
        "Drain Services",
        299,
        1.0,
        ("Sewer Camera Inspection", "Drain Clog"),
    ),
    ("PL-TOIL", "Rebuild Toilet", "Plumbing Repairs", 245, 1.0, ("Toilet Repair",)),
    ("PL-FAUC", "Replace Kitchen Faucet", "Plumbing Repairs", 365, 1.0, ("Leak Repair",)),
    ("PL-LEAK", "Repair Pipe Leak", "Plumbing Repairs", 325, 1.5, ("Leak Repair",)),
    (
        "PL-SHUT",
        "Replace Shut-Off Valve",
        "Plumbing Repairs",
        215,
        0.75,
        ("Leak Repair", "Toilet Repair"),
    ),
    ("PL-WH-FLUSH", "Flush Water Heater", "Water Heaters", 149, 0.75, ("Water Heater Repair",)),
    (
        "PL-WH-ELEM",
        "Replace Water Heater Element",
        "Water Heaters",
        295,
        1.0,
        ("Water Heater Repair",),
    ),
    (
        "PL-WH-TANK",
        "Install 50 Gallon Water Heater",
        "Water Heaters",
        2250,
        4.0,
        ("Water Heater Install",),
    ),
    (
        "PL-WH-TL",
        "Install Tankless Water Heater",
        "Water Heaters",
        4200,
        6.0,
        ("Water Heater Install",),
    ),
    (
        "EL-DIAG",
        "Electrical Diagnostic",
        "Electrical Repairs",
        99,
        0.5,
        ("Electrical Troubleshooting", "Outlet and Switch Repair"),
    ),
    ("EL-OUT", "Replace Outlet", "Electrical Repairs", 165, 0.5, ("Outlet and Switch Repair",)),
    (
        "EL-GFCI",
        "Install GFCI Outlet",
        "Electrical Repairs",
        215,
        0.5,
        ("Outlet and Switch Repair", "Electrical Troubleshooting"),
    ),
    (
        "EL-SWITCH",
        "Replace Light Switch",
        "Electrical Repairs",
        145,
        0.5,
        ("Outlet and Switch Repair",),
    ),
    (
        "EL-BRKR",
        "Replace Breaker",
        "Electrical Repairs",
        285,
        0.75,
        ("Electrical Troubleshooting",),
    ),
    ("EL-PANEL", "Panel Upgrade 200A", "Electrical Upgrades", 3200, 8.0, ("Panel Upgrade",)),
    (
        "EL-EV",
        "Install Level 2 EV Charger",
        "Electrical Upgrades",
        1450,
        4.0,
        ("EV Charger Install",),
    ),
    (
        "EL-SURGE",
        "Whole Home Surge Protector",
        "Electrical Upgrades",
        495,
        1.0,
        ("Electrical Troubleshooting", "Panel Upgrade"),
    ),
]

# (code, name, category, cost, price, unit, job types it is used on)
MATERIALS: list[tuple[str, str, str, float, float, str, tuple[str, ...]]] = [
    (
        "M-CAP-45",
        "Dual Run Capacitor 45/5 MFD",
        "HVAC Parts",
        18.5,
        65,
        "Each",
        ("No Cool", "AC Repair"),
    ),
    ("M-CONT-30", "Contactor 30A 1-Pole", "HVAC Parts", 14.2, 55, "Each", ("No Cool", "AC Repair")),
    ("M-R410A", "R-410A Refrigerant", "HVAC Parts", 22.0, 0, "Pound", ("No Cool", "AC Repair")),
    (
        "M-FILTER-16",
        "Pleated Filter 16x25x1",
        "HVAC Parts",
        6.8,
        24,
        "Each",
        ("AC Tune-Up", "Furnace Tune-Up", "Commercial PM Visit"),
    ),
    ("M-IGN", "Hot Surface Igniter", "HVAC Parts", 28.0, 0, "Each", ("No Heat", "Furnace Repair")),
    ("M-FLAME", "Flame Sensor", "HVAC Parts", 11.5, 0, "Each", ("No Heat", "Furnace Repair")),
    (
        "M-FANM",
        "Condenser Fan Motor 1/4 HP",
        "HVAC Parts",
        96.0,
        0,
        "Each",
        ("No Cool", "AC Repair"),
    ),
    ("M-TSTAT", "Smart Thermostat", "HVAC Parts", 142.0, 0, "Each", ("Thermostat Issue",)),
    (
        "M-PAD",
        "Condenser Pad 36x36",
        "HVAC Parts",
        31.0,
        75,
        "Each",
        ("AC Install", "Heat Pump Install"),
    ),
    (
        "M-LINESET",
        "Line Set 3/8 x 3/4 25 ft",
        "HVAC Parts",
        118.0,
        0,
        "Each",
        ("AC Install", "Heat Pump Install"),
    ),
    ("M-FLUE", "Flue Pipe 4 in x 5 ft", "HVAC Parts", 24.0, 0, "Each", ("Furnace Install",)),
    ("M-WAX", "Toilet Wax Ring", "Plumbing Parts", 4.1, 18, "Each", ("Toilet Repair",)),
    ("M-FLAP", "Toilet Flapper", "Plumbing Parts", 5.2, 22, "Each", ("Toilet Repair",)),
    ("M-FILL", "Fill Valve", "Plumbing Parts", 9.8, 38, "Each", ("Toilet Repair",)),
    (
        "M-SUPPLY",
        "Braided Supply Line 3/8 x 12",
        "Plumbing Parts",
        5.9,
        24,
        "Each",
        ("Leak Repair", "Toilet Repair"),
    ),
    ("M-VALVE", "Quarter-Turn Shut-Off Valve", "Plumbing Parts", 8.4, 32, "Each", ("Leak Repair",)),
    ("M-PEX", "PEX Pipe 1/2 in", "Plumbing Parts", 0.6, 3, "Foot", ("Leak Repair",)),
    (
        "M-ELEM",
        "Water Heater Element 4500W",
        "Plumbing Parts",
        16.0,
        0,
        "Each",
        ("Water Heater Repair",),
    ),
    (
        "M-EXP",
        "Expansion Tank 2 Gal",
        "Plumbing Parts",
        38.0,
        95,
        "Each",
        ("Water Heater Install",),
    ),
    (
        "M-GFCI",
        "GFCI Receptacle 20A",
        "Electrical Parts",
        17.5,
        0,
        "Each",
        ("Outlet and Switch Repair", "Electrical Troubleshooting"),
    ),
    (
        "M-OUTLET",
        "Duplex Receptacle 15A",
        "Electrical Parts",
        1.9,
        0,
        "Each",
        ("Outlet and Switch Repair",),
    ),
    (
        "M-BRKR",
        "Breaker 20A Single Pole",
        "Electrical Parts",
        9.6,
        0,
        "Each",
        ("Electrical Troubleshooting",),
    ),
    (
        "M-WIRE",
        "Romex 12/2 Wire",
        "Electrical Parts",
        0.9,
        4,
        "Foot",
        ("Outlet and Switch Repair", "EV Charger Install", "Panel Upgrade"),
    ),
    (
        "M-SURGE",
        "Whole Home Surge Protective Device",
        "Electrical Parts",
        115.0,
        0,
        "Each",
        ("Electrical Troubleshooting", "Panel Upgrade"),
    ),
]

# (code, name, manufacturer, model, equipment type, cost, price, warranty years, job types)
EQUIPMENT: list[tuple[str, str, str, str, str, float, float, int, tuple[str, ...]]] = [
    (
        "E-AC3T16",
        "3 Ton 16 SEER2 Air Conditioner",
        "Carrier",
        "24SCA636A003",
        "Air Conditioner",
        2150,
        0,
        10,
        ("AC Install",),
    ),
    (
        "E-AC4T16",
        "4 Ton 16 SEER2 Air Conditioner",
        "Trane",
        "4TTR6048J1000A",
        "Air Conditioner",
        2480,
        0,
        10,
        ("AC Install",),
    ),
    (
        "E-AC3T14",
        "3 Ton 14.3 SEER2 Air Conditioner",
        "Goodman",
        "GSXH403610",
        "Air Conditioner",
        1590,
        0,
        10,
        ("AC Install",),
    ),
    (
        "E-FN80",
        "80,000 BTU 96% Gas Furnace",
        "Lennox",
        "EL296UH090XV48C",
        "Furnace",
        1780,
        0,
        10,
        ("Furnace Install",),
    ),
    (
        "E-FN60",
        "60,000 BTU 80% Gas Furnace",
        "Rheem",
        "R801TA075317MSA",
        "Furnace",
        1120,
        0,
        10,
        ("Furnace Install",),
    ),
    (
        "E-HP3T",
        "3 Ton 17 SEER2 Heat Pump",
        "Daikin",
        "DZ17VSA361",
        "Heat Pump",
        3450,
        0,
        12,
        ("Heat Pump Install",),
    ),
    (
        "E-HP4T",
        "4 Ton 16 SEER2 Heat Pump",
        "Trane",
        "4TWR6048H1000A",
        "Heat Pump",
        3790,
        0,
        10,
        ("Heat Pump Install",),
    ),
    (
        "E-WH50G",
        "50 Gallon Gas Water Heater",
        "Rheem",
        "XG50T06EC38U1",
        "Water Heater",
        780,
        0,
        6,
        ("Water Heater Install",),
    ),
    (
        "E-WH50E",
        "50 Gallon Electric Water Heater",
        "A. O. Smith",
        "ENS-50",
        "Water Heater",
        640,
        0,
        6,
        ("Water Heater Install",),
    ),
    (
        "E-WHTL",
        "Condensing Tankless Water Heater",
        "Navien",
        "NPE-240A2",
        "Water Heater",
        1650,
        0,
        15,
        ("Water Heater Install",),
    ),
    (
        "E-PANEL200",
        "200A Main Breaker Load Center",
        "Square D",
        "HOM4080M200PC",
        "Electrical Panel",
        310,
        0,
        10,
        ("Panel Upgrade",),
    ),
    (
        "E-EVL2",
        "Level 2 EV Charger 48A",
        "ChargePoint",
        "CPH50-NEMA14-50",
        "EV Charger",
        549,
        0,
        3,
        ("EV Charger Install",),
    ),
]

EQUIPMENT_TYPES = [
    "Air Conditioner",
    "Furnace",
    "Heat Pump",
    "Water Heater",
    "Electrical Panel",
    "EV Charger",
    "Thermostat",
]

# (code, name, type, amount type, amount)
DISCOUNTS_AND_FEES: list[tuple[str, str, str, str, float]] = [
    ("D-MEMBER", "Member Discount", "Discount", "Percentage", 15),
    ("D-SENIOR", "Senior Discount", "Discount", "Percentage", 10),
    ("D-MILITARY", "Military Discount", "Discount", "Percentage", 10),
    ("D-COUPON", "$50 Off Coupon", "Discount", "Fixed", 50),
    ("F-AFTERHRS", "After-Hours Fee", "Fee", "Fixed", 150),
    ("F-TRIP", "Trip Charge", "Fee", "Fixed", 49),
    ("F-PERMIT", "Permit Fee", "Fee", "Fixed", 125),
]

# (name, type)
CAMPAIGN_CATEGORIES: list[tuple[str, str]] = [
    ("Digital", "Regular"),
    ("Google Local Services", "GoogleHomeServices"),
    ("Traditional", "Regular"),
    ("Referral", "Regular"),
    ("Existing Customers", "Regular"),
]

# (name, category, source, medium, share of new business, monthly spend)
CAMPAIGNS: list[tuple[str, str, str | None, str | None, float, float]] = [
    ("Google Ads - Search", "Digital", "google", "cpc", 18, 6500),
    ("Google Local Services Ads", "Google Local Services", "google", "lsa", 12, 4200),
    ("Facebook Ads", "Digital", "facebook", "paid_social", 6, 1800),
    ("Yelp", "Digital", "yelp", "listing", 4, 900),
    ("Website - Organic", "Digital", "website", "organic", 14, 0),
    ("Direct Mail - Seasonal", "Traditional", "mail", "print", 5, 2500),
    ("Yard Signs", "Traditional", "yard_sign", "offline", 2, 150),
    ("Truck Wrap", "Traditional", "vehicle", "offline", 3, 0),
    ("Customer Referral", "Referral", "referral", "word_of_mouth", 10, 0),
    ("Existing Customer", "Existing Customers", None, None, 26, 0),
    # Sent by email: what the email-channel cost (marketing/v2 email-channel-cost) adds up.
    ("Email Newsletter", "Digital", "email", "newsletter", 3, 300),
]

# (name, is lead)
CALL_REASONS: list[tuple[str, bool]] = [
    ("Service Request", True),
    ("Estimate Request", True),
    ("Maintenance Scheduling", True),
    ("Billing Question", False),
    ("Reschedule Appointment", False),
    ("Cancel Appointment", False),
    ("Membership Question", False),
    ("Solicitor", False),
    ("Wrong Number", False),
]

CANCEL_REASONS = [
    "Customer Canceled",
    "Scheduling Conflict",
    "Went With Competitor",
    "Price Too High",
    "Duplicate Job",
    "Issue Resolved Itself",
]

HOLD_REASONS = ["Waiting on Parts", "Customer Decision Pending", "Permit Required", "Weather"]

# (name, display name, billing frequency, sale price, duration months, location target)
MEMBERSHIP_TYPES: list[tuple[str, str, str, float, int, str]] = [
    ("Comfort Club Annual", "Comfort Club", "Annual", 199, 12, "SingleLocation"),
    ("Comfort Club Monthly", "Comfort Club (Monthly)", "Monthly", 17.95, 12, "SingleLocation"),
    ("Commercial PM Agreement", "Commercial PM", "Quarterly", 1200, 12, "AllLocations"),
]

# (name, job type, recurrence type, months, interval, membership types that include it)
RECURRING_SERVICE_TYPES: list[tuple[str, str, str, tuple[str, ...], int, tuple[str, ...]]] = [
    (
        "Spring AC Tune-Up",
        "AC Tune-Up",
        "Seasonal",
        ("March", "April", "May"),
        1,
        ("Comfort Club Annual", "Comfort Club Monthly"),
    ),
    (
        "Fall Furnace Tune-Up",
        "Furnace Tune-Up",
        "Seasonal",
        ("September", "October", "November"),
        1,
        ("Comfort Club Annual", "Comfort Club Monthly"),
    ),
    ("Quarterly PM Visit", "Commercial PM Visit", "Monthly", (), 3, ("Commercial PM Agreement",)),
]

# (number, name, type, detail type, default account type)
GL_ACCOUNTS: list[tuple[str, str, str, str, str | None]] = [
    ("1010", "Operating Checking", "Bank", "Checking", "CheckingAccount"),
    ("1020", "Undeposited Funds", "Other Current Asset", "Undeposited Funds", "UndepositedFunds"),
    (
        "1200",
        "Accounts Receivable",
        "Accounts Receivable",
        "Accounts Receivable",
        "AccountsReceivable",
    ),
    ("1300", "Inventory Asset", "Other Current Asset", "Inventory", "Inventory"),
    ("2000", "Accounts Payable", "Accounts Payable", "Accounts Payable", "AccountsPayable"),
    (
        "2200",
        "Sales Tax Payable",
        "Other Current Liability",
        "Sales Tax Payable",
        "SalesTaxPayable",
    ),
    ("4000", "Service Revenue", "Income", "Service/Fee Income", "Revenue"),
    ("4010", "Installation Revenue", "Income", "Sales of Product Income", None),
    ("4020", "Maintenance Revenue", "Income", "Service/Fee Income", None),
    ("4500", "Membership Revenue", "Income", "Service/Fee Income", "MembershipRevenue"),
    (
        "5000",
        "Cost of Goods Sold - Materials",
        "Cost of Goods Sold",
        "Supplies & Materials - COGS",
        "CostOfGoodsSoldMaterials",
    ),
    (
        "5010",
        "Cost of Goods Sold - Equipment",
        "Cost of Goods Sold",
        "Equipment Rental - COGS",
        "CostOfGoodsSoldEquipment",
    ),
]

# (name, share of payments)
PAYMENT_TYPES: list[tuple[str, float]] = [
    ("Credit Card", 58),
    ("Check", 16),
    ("Cash", 4),
    ("ACH/EFT", 10),
    ("Financing", 12),
]

# (name, days, customer default)
PAYMENT_TERMS: list[tuple[str, int, bool]] = [
    ("Due Upon Receipt", 0, True),
    ("Net 15", 15, False),
    ("Net 30", 30, False),
]

# (code, description, type, applies to)
TIMESHEET_CODES: list[tuple[str, str, str, str]] = [
    ("REG", "Regular time", "Paid", "All"),
    ("OT", "Overtime", "Paid", "All"),
    ("PTO", "Paid time off", "PaidTimeOff", "All"),
    ("TRAIN", "Training", "Paid", "Technician"),
    ("MEAL", "Meal break", "Unpaid", "All"),
]

# (code, name, earning category)
ACTIVITY_CODES: list[tuple[str, str, str]] = [
    ("COMM", "Sales Commission", "Commission"),
    ("SPIFF", "Technician Spiff", "Commission"),
    ("TIME", "Job Time", "Timesheet"),
    ("REIMB", "Mileage Reimbursement", "Reimbursement"),
]

# (name, trade or None for any)
FORMS: list[tuple[str, str | None]] = [
    ("HVAC Maintenance Checklist", "HVAC"),
    ("Water Heater Inspection", "Plumbing"),
    ("Electrical Safety Inspection", "Electrical"),
    ("Job Site Safety Analysis", None),
    ("Customer Satisfaction Survey", None),
]

REPORT_CATEGORIES: list[tuple[str, str]] = [
    ("operations", "Operations"),
    ("marketing", "Marketing"),
    ("accounting", "Accounting"),
    ("technician", "Technician"),
    ("sales", "Sales"),
    ("memberships", "Memberships"),
    ("payroll", "Payroll"),
]

# (skill, trade)
SKILLS: list[tuple[str, str]] = [
    ("Residential HVAC", "HVAC"),
    ("Commercial HVAC", "HVAC"),
    ("Refrigeration", "HVAC"),
    ("Gas Furnace", "HVAC"),
    ("Drain Cleaning", "Plumbing"),
    ("Water Heaters", "Plumbing"),
    ("Repiping", "Plumbing"),
    ("Residential Electrical", "Electrical"),
    ("EV Chargers", "Electrical"),
]

# (task name, priority)
TASK_KINDS: list[tuple[str, str]] = [
    ("Call customer back about estimate", "Normal"),
    ("Review invoice discrepancy", "High"),
    ("Order replacement part", "High"),
    ("Process refund request", "Urgent"),
    ("Follow up on customer complaint", "High"),
    ("Schedule warranty visit", "Normal"),
    ("Update customer billing address", "Low"),
]

# What a technician writes, by job type class.
TECH_NOTES: dict[str, list[str]] = {
    "No Cool": [
        "Found failed run capacitor. Replaced and tested; system cooling with 18 degree split.",
        "Contactor pitted and not pulling in. Replaced contactor, verified operation.",
        "System low on refrigerant. Added charge, recommended leak search.",
        "Condenser fan motor seized. Replaced motor; amps within spec.",
    ],
    "No Heat": [
        "Igniter cracked. Replaced hot surface igniter; furnace lighting normally.",
        "Flame sensor dirty causing lockout. Cleaned sensor, cycled unit three times.",
        "Inducer motor noisy and slow to start. Replaced inducer motor.",
    ],
    "AC Repair": [
        "Evaporator coil dirty, cleaned coil and flushed condensate line.",
        "Blower motor drawing high amps. Replaced blower motor.",
    ],
    "Furnace Repair": [
        "Limit switch tripping on restricted airflow. Replaced filter, advised duct review.",
        "Replaced igniter and cleaned burners.",
    ],
    "Thermostat Issue": [
        "Thermostat wiring loose at C terminal. Installed smart thermostat and set schedule.",
        "Replaced batteries and recalibrated thermostat.",
    ],
    "Maintenance": [
        "Completed tune-up: cleaned coils, checked charge, tightened electrical, replaced filter.",
        "Precision tune-up complete. Capacitor reading low, recommended replacement next visit.",
        "Inspection complete, system in good condition. Reminded customer of filter changes.",
    ],
    "Sales": [
        "Met with homeowners, presented three options. System is 18 years old and R-22.",
        "Load calculation done. Customer wants to think it over; follow up next week.",
    ],
    "Install": [
        "Removed old equipment, installed new system, pulled permit, commissioned unit.",
        "Install complete. Walked customer through thermostat and warranty registration.",
    ],
    "Drain Clog": [
        "Main line clogged with roots at 45 ft. Cleared with cable; recommend camera inspection.",
        "Kitchen drain grease buildup. Snaked line and flushed with hot water.",
    ],
    "Plumbing": [
        "Replaced leaking supply line and shut-off valve under sink.",
        "Rebuilt toilet tank with new flapper and fill valve. No leaks.",
        "Water heater element burned out. Replaced element, hot water restored.",
    ],
    "Electrical": [
        "GFCI in bathroom failed. Replaced with new 20A GFCI, tested downstream outlets.",
        "Breaker tripping under load. Replaced breaker and tightened neutral bar.",
        "Installed whole home surge protector at main panel.",
    ],
}

CUSTOMER_NOTES = [
    "Prefers text messages before arrival.",
    "Gate code at side entrance; dog in backyard.",
    "Customer works nights, schedule after 11 am.",
    "Tenant occupied. Call property manager for approval over $500.",
    "Asked for the same technician as last visit.",
    "Please use shoe covers inside the home.",
    "Billing goes to corporate office, include PO on invoice.",
]
