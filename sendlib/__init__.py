"""sendlib: SEND decision-making for English schools.

Public names load on first use (PEP 562), so that the command line and a dashboard
start without importing matplotlib or SciPy until they need them.
"""

import importlib

__version__ = "0.1.0"

# public name -> the module that defines it
_PUBLIC = {
    "AccessDenied": "exceptions",
    "DataError": "exceptions",
    "ForecastError": "exceptions",
    "NotFittedError": "exceptions",
    "OverTime": "exceptions",
    "NeedForecaster": "forecast",
    "SendlibError": "exceptions",
    "TrendForecaster": "forecast",
    "TrustData": "loader",
    "UnknownAreaError": "exceptions",
    "assess_progress": "progress",
    "backtest": "forecast",
    "backtest_words": "forecast",
    "committee_page": "committee",
    "cost_forecast": "costs",
    "cost_words": "costs",
    "committee_pages": "committee",
    "duties_summary": "duties",
    "duties_todo": "duties",
    "eal_evidence_items": "eal",
    "ehc_candidates": "ehc",
    "ehc_summary": "ehc",
    "ehc_timeline": "ehc",
    "ehc_plan_benchmark": "forecast",
    "evidence_pack": "evidence",
    "flag_rates": "progress",
    "forecast_table": "forecast",
    "graduated_approach": "duties",
    "impact_words": "provision",
    "identification_by_language": "eal",
    "intervention_effects": "progress",
    "load": "loader",
    "load_access": "access",
    "load_sample": "loader",
    "load_trust": "loader",
    "need_area": "codes",
    "unit_costs": "costs",
    "setting_shares": "costs",
    "parse_year_group": "codes",
    "plot_ehc_timeline": "plotting",
    "plot_forecast": "plotting",
    "plot_progress_band": "plotting",
    "provision_costs": "provision",
    "provision_impact": "provision",
    "provision_map": "provision",
    "provision_summary": "provision",
    "provision_workbook": "provision",
    "progress_by_group": "progress",
    "pseudonymise": "access",
    "pupil_progress_band": "progress",
    "reliable_change_index": "progress",
    "scenario_words": "forecast",
    "review_interventions": "progress",
    "scope_trust": "access",
    "start_notes": "forecast",
    "statutory_duties": "duties",
    "suppress": "privacy",
    "upn_check_letter": "codes",
    "upn_is_valid": "codes",
    "weigh_eal_evidence": "eal",
    "weigh_eal_evidence_and_items": "eal",
}

__all__ = list(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
