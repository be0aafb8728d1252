"""sendlib: SEND decision-making for English schools."""
from .codes import need_area, parse_year_group, upn_check_letter, upn_is_valid
from .eal import eal_evidence_items, identification_by_language, weigh_eal_evidence
from .duties import duties_summary, duties_todo, graduated_approach, statutory_duties
from .exceptions import DataError, SendlibError
from .forecast import NeedForecaster, TrendForecaster, backtest, ehc_plan_benchmark
from .loader import TrustData, load_sample, load_trust
from .plotting import plot_ehc_timeline, plot_forecast, plot_progress_band
from .progress import (assess_progress, progress_by_group, pupil_progress_band, reliable_change_index,
                       review_interventions)

__version__ = "0.1.0"

__all__ = [
    "NeedForecaster",
    "TrendForecaster",
    "backtest",
    "ehc_plan_benchmark",
    "plot_forecast",
    "assess_progress",
    "DataError",
    "SendlibError",
    "TrustData",
    "duties_summary",
    "eal_evidence_items",
    "duties_todo",
    "graduated_approach",
    "identification_by_language",
    "load_sample",
    "load_trust",
    "need_area",
    "parse_year_group",
    "plot_ehc_timeline",
    "plot_progress_band",
    "progress_by_group",
    "pupil_progress_band",
    "reliable_change_index",
    "review_interventions",
    "statutory_duties",
    "upn_check_letter",
    "upn_is_valid",
    "weigh_eal_evidence",
]
