"""How every page writes dates and times (Django's format names; `FORMAT_MODULE_PATH`).

One format everywhere: dates as 12/07/2026, times with their zone (6:30 PM EST). Templates
use `{{ value|date }}` for a date and `{{ value|date:"DATETIME_FORMAT" }}` for a moment.
"""

DATE_FORMAT = "m/d/Y"
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "m/d/Y g:i A T"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "g:i A T"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "F j"
