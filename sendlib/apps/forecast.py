"""The trust planner's need forecast: SEN support or EHC plans for the trust or a school, with
a back-test, national and local-authority benchmarks, and scenarios that re-run the model."""

from __future__ import annotations

import html
import secrets
from typing import Any

import ipywidgets as W
import numpy as np
import pandas as pd

from .._words import listed
from ..access import LOCAL_USER, User, pseudonymise, redact, scope_trust
from ..codes import BROAD_AREAS, PROVISION_WORDS
from ..costs import cost_forecast, cost_words, scenario_cost_words, setting_shares, unit_costs
from ..ehc import ehc_summary
from ..exceptions import AccessDenied, DataError, ForecastError, SendlibError
from ..forecast import (
    NO_CHANGE,
    NeedForecaster,
    backtest,
    backtest_words,
    ehc_plan_benchmark,
    export_table,
    forecast_files,
    need_mix_benchmark,
    rate_benchmark,
    recorded_counts,
    scenario_name,
    scenario_words,
    start_notes,
    summarise_simulations,
)
from ..loader import load
from ..plotting import forecast_words, plot_forecast
from ..provision import pounds
from ..reference import find_area
from ..render import downloads, new_figure
from ._blocks import data_date, error_block, figure_widget, guarded, html_block, print_button, signed_in, table_html

FORECAST_SIMULATIONS = 500


class Prepared:
    """The planner's data: the trust pseudonymised (keyed hash of each UPN, no names or birth
    dates), the fitted model, its simulations for the next Januaries without a scenario and
    with the one last applied, and its back-test. ``unavailable``: why there is no forecast
    (an export without a census history), or None."""

    def __init__(self, data_dir: str = "", policy=None, horizon: int = 3):
        secret = policy.secret() if policy is not None else secrets.token_bytes(32)
        trust = load(data_dir)
        self.trust = pseudonymise(trust, secret)
        self.schools = trust.schools
        self.state: dict[str, Any] = {"units": unit_costs(self.trust), "shares": setting_shares(self.trust)}
        self.assessments = ehc_summary(self.trust)
        self.unavailable: SendlibError | None = None
        try:
            self.run(horizon)
        except (DataError, ForecastError) as error:  # the export cannot carry a forecast: the rest is still shown
            self.unavailable = error
            return
        self.state["backtest"] = backtest(
            NeedForecaster(n_simulations=200, random_state=0),
            self.trust,
            origins=self.state["model"].backtest_origins_,
            horizons=(1, 2, 3),
        )

    def run(self, horizon: int, identification: float = 0.0, intake: float = 0.0, start: int | None = None) -> None:
        """Simulate ``horizon`` Januaries without a scenario (kept while the horizon stays) and
        with this one (identification and intake changes from January ``start``)."""
        if self.state.get("horizon") != horizon:
            if "base_model" not in self.state:
                self.state["base_model"] = NeedForecaster(n_simulations=FORECAST_SIMULATIONS, random_state=0).fit(
                    self.trust
                )
            self.state.update(base=self.state["base_model"].simulate(horizon), horizon=horizon)
        model, simulations = self.state["base_model"], self.state["base"]
        if identification or intake:
            model = NeedForecaster(
                n_simulations=FORECAST_SIMULATIONS,
                identification_change=identification,
                intake_change=intake,
                scenario_from=start,
                random_state=0,  # the same draws as the forecast without it: the difference is the scenario's
            ).fit(self.trust)
            simulations = model.simulate(horizon)
        self.state.update(model=model, simulations=simulations, scenario=(identification, intake, start))


def build(
    prepared: Prepared,
    user: User = LOCAL_USER,
    school: str = "",
    provision: str = "E",
    area: str = "",
    horizon: int = 3,
    local_authority: str = "England",
    log=lambda *args, **kwargs: None,
) -> W.Widget:
    """Forecast SEN support or EHC plans for the trust or a school, with a back-test and
    benchmarks; scenario sliders re-run the model. Only ``user``'s schools; the whole trust
    only for a user of every school."""
    allowed = user.allowed(prepared.schools)
    options = ([("Whole trust", "")] if user.schools is None else []) + [(s, s) for s in allowed]
    school_box = W.Dropdown(options=options, value=school if school in allowed else options[0][1], description="School")
    if prepared.unavailable is not None:
        return _without_forecast(prepared, user, prepared.unavailable, school_box, horizon, local_authority)
    trust, state = prepared.trust, prepared.state
    provision_box = W.ToggleButtons(options=[(PROVISION_WORDS[p].label, p) for p in ("K", "E")], value=provision)
    area_box = W.Dropdown(
        options=[("All areas", "")] + [(a, a) for a in BROAD_AREAS], value=area or "", description="Need"
    )
    # lists, not sliders: a screen reader names a list by its label (a slider's handle has no name)
    horizon_box = W.Dropdown(
        options=[(f"{n} year{'s' * (n != 1)}", n) for n in range(1, 6)], value=horizon, description="Years ahead"
    )
    wide = {"description_width": "initial"}
    changes = [("no change", 0)] + [(f"{v:+d}%", v) for v in range(-30, 31, 5) if v]
    identification = W.Dropdown(
        options=sorted(changes, key=lambda o: o[1]), value=0, description="New identification", style=wide
    )
    intake = W.Dropdown(options=sorted(changes, key=lambda o: o[1]), value=0, description="Pupils joining", style=wide)
    first = state["base_model"].first_year_
    start_box = W.Dropdown(
        options=[(f"January {y}", y) for y in range(first, first + 5)], value=first, description="From", style=wide
    )
    pending = W.HTML()
    run = W.Button(description="Re-run forecast", button_style="primary", icon="refresh")
    output = W.VBox()
    output.add_class("sendlib-forecast-view")
    comparison, show_benchmark = _comparison(prepared, local_authority, lambda: (school_box.value, horizon_box.value))

    def wanted():
        return (identification.value / 100, intake.value / 100, start_box.value)

    def forecast(*_):
        if (state["horizon"], state["scenario"]) != (horizon_box.value, wanted()):
            output.children = [W.IntProgress(value=1, max=2, description="Working", bar_style="info")]
            prepared.run(horizon_box.value, *wanted())
        show()
        mark_pending()

    def mark_pending(*_):
        applied = state["scenario"]
        same = wanted()[:2] == applied[:2] and (not any(applied[:2]) or wanted()[2] == applied[2])
        pending.value = "" if same else "<p class='note'>Not applied yet: press <b>Re-run forecast</b>.</p>"

    def show(change=None):
        if change is not None and change["owner"] is school_box:
            log(school_box.value or "whole trust", "school shown")
        try:
            if school_box.value not in allowed and not (school_box.value == "" and user.schools is None):
                raise AccessDenied(f"You do not have access to {school_box.value or 'the whole trust'}.")
            output.children = _forecast_panels(prepared, state, school_box.value, provision_box.value, area_box.value)
        except SendlibError as error:
            output.children = [error_block(error)]

    forecast, show = guarded(forecast, "the forecast", output), guarded(show, "the forecast", output)
    run.on_click(forecast)
    for box in (school_box, provision_box, area_box):
        box.observe(show, "value")
    horizon_box.observe(forecast, "value")
    for box in (identification, intake, start_box):
        box.observe(mark_pending, "value")
    school_box.observe(show_benchmark, "value")
    forecast()
    controls = W.VBox(
        [
            W.HBox([school_box, area_box, print_button()]),
            provision_box,
            horizon_box,
            html_block("<h3>Scenario</h3>"),
            html_block(
                "<p class='note'>New identification changes how often pupils with no SEN start SEN support or "
                "an EHC plan; pupils joining changes the intakes and the pupils who join during the year. "
                "Both from the January chosen, against the forecast without them.</p>"
            ),
            W.HBox([identification, intake]),
            W.HBox([start_box, run]),
            pending,
        ]
    )
    app = W.VBox(
        [
            html_block(
                "<h2>Trust planner: need forecast</h2><p class='note'>How many pupils will be on SEN support "
                "and have EHC plans each January: each year group moves up a year and pupils move between no SEN, "
                "SEN support and a plan at the rates the trust's January censuses show (a cohort transition "
                f"model), simulated {FORECAST_SIMULATIONS} times for the 80% and 95% ranges. Pupils appear here only "
                f"as coded keys, never names or UPNs.{signed_in(user)}</p>"
            ),
            data_date(trust),
            controls,
            output,
            *comparison,
            _assessments_block(prepared, user),
        ]
    )
    app.add_class("sendlib-app")
    return app


def _without_forecast(
    prepared: Prepared, user: User, unavailable: Exception, school_box: W.Dropdown, horizon: int, local_authority: str
) -> W.Widget:
    """The page for an export that cannot carry a forecast (no census history, or no two
    Januaries in a row): why, in words, then what can still be shown: the local authority's
    and England's figures beside the trust's or ``school_box``'s school's census (only the
    user's schools), and the EHC needs assessments (of the user's schools)."""
    shown = [school_box] if prepared.trust.sen_history is not None else []  # a school's census beside the LA's
    comparison, show_benchmark = _comparison(prepared, local_authority, lambda: (school_box.value, horizon), shown)
    school_box.observe(show_benchmark, "value")
    app = W.VBox(
        [
            html_block(f"<h2>Trust planner: need forecast</h2><p class='note'>{signed_in(user)}</p>"),
            data_date(prepared.trust),
            error_block(
                unavailable if user is LOCAL_USER else redact(unavailable),
                "The forecast could not be made from this export.",
            ),
            *comparison,
            _assessments_block(prepared, user),
        ]
    )
    app.add_class("sendlib-app")
    return app


def _comparison(prepared: Prepared, local_authority: str, chosen, beside=()) -> tuple[list[W.Widget], Any]:
    """The comparison with a local authority (or a region, or England): its heading, the box
    to name one (after the widgets ``beside``), and the panels (:func:`_benchmark_panels`) for
    the school and horizon that ``chosen()`` gives. Returns the widgets and the function that
    redraws the panels."""
    # continuous_update off: the value changes (and the benchmark is drawn) on Enter or on leaving the box
    la_box = W.Text(
        value=local_authority,
        description="Compare with",
        placeholder="England or an LA name/code",
        continuous_update=False,
        style={"description_width": "initial"},
    )
    benchmark = W.VBox()

    def show_benchmark(*_):
        school, horizon = chosen()
        try:
            benchmark.children = _benchmark_panels(prepared, school, la_box.value, horizon)
        except SendlibError as error:
            benchmark.children = [error_block(error, "This comparison could not be shown.")]

    show_benchmark = guarded(show_benchmark, "the benchmark", benchmark)
    la_box.observe(show_benchmark, "value")
    la_button = W.Button(description="Show comparison")
    la_button.on_click(show_benchmark)
    show_benchmark()
    heading = html_block(
        "<h3>Compared with the local authority and England</h3><p class='note'>Type a local authority's "
        "name or code (or a region, or England) and press Enter.</p>"
    )
    return [heading, W.HBox([*beside, la_box, la_button]), benchmark], show_benchmark


def _assessments_block(prepared: Prepared, user: User) -> W.HTML:
    """EHC needs assessments by local authority and calendar year (the last three), as SEN2
    counts them, beside England's share of plans issued within 20 weeks: the trust's, or for a
    user limited to some schools, their pupils' only (pupils at the school now)."""
    as_of = prepared.trust.as_of
    title = "<h3>EHC needs assessments by local authority</h3>"
    summary, whose = prepared.assessments, "the trust"
    if user.schools is not None:
        mine = user.allowed(prepared.schools)
        summary = ehc_summary(scope_trust(prepared.trust, mine))
        whose = "your school" + "s" * (len(mine) != 1)
        title += f"<p class='note'>Pupils at {html.escape(listed(mine))} only.</p>"
    if summary.empty:
        return html_block(
            title + f"<p>No requests for an assessment are recorded for {whose.replace('your', 'pupils at your')} "
            "(assessment_requested events).</p>"
        )
    recent = summary[summary["period"] >= as_of.year - 2]

    def pct(value) -> str:
        return "" if pd.isna(value) else f"{value:.0f}%"

    table = pd.DataFrame(
        {
            "Local authority": recent["group"].replace({"All": f"All ({whose})"}),
            "Year": recent["period"].astype(str).where(recent["period"] < as_of.year, f"{as_of.year} so far"),
            "Requests": recent["requests"],
            "Of them by parents": recent["by_parent"],
            "Decided within 6 weeks": [
                pct(100 * m / d) if d else "" for m, d in zip(recent["decided_within_6_weeks"], recent["decisions"])
            ],
            "Not to assess": recent["not_to_assess"],
            "Final plans issued": recent["plans_issued"],
            "Within 20 weeks": recent["pct_within_20_weeks"].map(pct),
            "England, within 20 weeks": recent["england_pct_within_20_weeks"].map(pct),
            "Mediations": recent["mediations"],
            "Tribunal appeals": recent["tribunal_appeals"],
        }
    )
    return html_block(
        title + "<p class='note'>Counted as the DfE's SEN2 return counts them: a request in the year it was "
        "made, a decision or a final plan in the year it was made (the plan within 20 weeks of its request). "
        "England's share includes plans with allowed exceptions; an export does not say which delays were "
        "exceptions. England's figure for a year appears once the DfE publishes it. A plan whose request is not in "
        'the export (a pupil who arrived with one) counts as issued under "LA not recorded", and is not timed.</p>'
        + table_html(table),
        "sendlib-assessments",
    )


def _forecast_panels(prepared, state, school, provision, area):
    trust = prepared.trust
    label, axis_label = PROVISION_WORDS[provision].plural, PROVISION_WORDS[provision].pupils
    model, simulations = state["model"], state["simulations"]
    # intervals of a sum are not sums of intervals: aggregate the simulations, then take them
    by = ["sen_provision"] + (["school"] if school else []) + (["need_area"] if area else [])
    view = lambda frame: frame[
        frame["sen_provision"].eq(provision)
        & (frame["school"].eq(school) if school else True)
        & (frame["need_area"].eq(area) if area else True)
    ]
    forecast = view(summarise_simulations(simulations, model, by))
    history = recorded_counts(model, trust.sen_history, provision, school, area)
    where = school or "the whole trust"
    if forecast.empty:
        what = axis_label + (f" whose need is {area.lower()}" if area else "")
        return [html_block(f"<p>No {html.escape(what)} in {html.escape(where)} to forecast.</p>")]
    start = None
    if model.started_today_:
        day = model.roll_date_
        start = (day.year + (day.day_of_year - 15) / 365.25, len(view(trust.pupils)))
    name = scenario_name(model)  # "Forecast with no change", or the scenario's, beside it
    baseline = None
    if name != NO_CHANGE:
        baseline = view(summarise_simulations(state["base"], state["base_model"], by))
    fig, ax = new_figure(7, 3.8)
    plot_forecast(history, forecast, ax=ax, label=axis_label, start=start, name=name, baseline=baseline)
    ax.set_title(f"{label} in {where}" + (f", {area.lower()}" if area else ""), fontsize=11)
    table = forecast[["year", "count", "lower_80", "upper_80", "lower_95", "upper_95"]].round(0).astype(int)
    table.columns = ["January", name, "80% low", "80% high", "95% low", "95% high"]
    if baseline is not None:
        table.insert(1, NO_CHANGE, baseline["count"].round(0).astype(int).to_numpy())
    heading = f"Forecast: {label}, " + ("with no change" if baseline is None else name[:1].lower() + name[1:])
    notes = start_notes(model, simulations, school)
    if area:  # the start's counts are every need's; the chart, the table and the scenario's effect, the area's
        areas_own = "the chart, the table and the scenario's effect" if name != NO_CHANGE else "the chart and the table"
        counted = [i for i, note in enumerate(notes[:3]) if " on SEN support and " in note]  # the start's counts
        notes.insert(
            counted[-1] + 1 if counted else len(notes),
            f"The counts the forecast starts from are of every need; {areas_own} below are of {axis_label} whose "
            f"need is {area[:1].lower() + area[1:]} only, and the cost is of every need.",
        )
    notes += scenario_words(state["base_model"], model, state["horizon"], school, provision, area)
    shown = export_table(forecast, model)
    file_name = f"sendlib-forecast-{(school or 'trust').lower().replace(' ', '-')}-{provision}"
    shares = state["shares"]
    costs = cost_forecast(model, simulations, state["units"], school, shares)
    spent = cost_words(costs, state["units"], shares[shares["school"].eq(school)] if school else shares)
    spent[1:1] = scenario_cost_words(state["base_model"], model, state["horizon"], state["units"], shares, school)
    links = downloads(file_name, forecast_files(shown, trust.as_of, notes + spent, costs))
    scores = state["backtest"]
    accuracy = scores[scores["n"] > 0].copy()
    accuracy["model"] = accuracy["model"].map(MODEL_NAMES).fillna(accuracy["model"])
    accuracy["mape"] = accuracy["mape"].map("{:.0f}%".format)
    accuracy["coverage_80"] = accuracy["coverage_80"].map("{:.0%}".format)
    accuracy = accuracy[["model", "horizon", "n", "mape", "coverage_80"]].rename(
        columns={
            "model": "Forecast",
            "horizon": "Years ahead",
            "n": "School counts",
            "mape": "Average error",
            "coverage_80": "Inside 80% range",
        }
    )
    replayed = ", ".join(str(y) for y in model.backtest_origins_)
    said = "".join(f"<p>{html.escape(w)}</p>" for w in backtest_words(scores, years=state["horizon"]))
    replay = (
        f"<p>Replayed from the January {replayed} censuses and scored on each school's SEN support and EHC "
        "plan counts:</p>" + said + table_html(accuracy)
        if len(accuracy)
        else said
    )
    money = pd.DataFrame(
        {
            "January": costs["year"],
            "Cost a year": [pounds(cost, 3) for cost in costs["cost"]],
            "80% range": [f"{pounds(lo, 3)} to {pounds(hi, 3)}" for lo, hi in zip(costs["low_80"], costs["high_80"])],
        }
    )
    if costs["top_up_candidates"].notna().any():  # counted only with a provision map (the sentences say so)
        money["Above the £6,000 threshold (80% range)"] = [
            "" if np.isnan(c) else f"{c:.0f} ({lo:.0f} to {hi:.0f})"
            for c, lo, hi in zip(costs["top_up_candidates"], costs["top_up_low_80"], costs["top_up_high_80"])
        ]
    money_block = html_block(
        f"<h3>Cost of additional support: {html.escape(where)}{', every need' if area else ''}</h3>"
        + "".join(f"<p>{html.escape(w)}</p>" for w in spent)
        + table_html(money),
        "sendlib-forecast-costs",
    )
    return [
        html_block("".join(f"<p>{html.escape(n)}</p>" for n in notes), "sendlib-forecast-notes"),
        figure_widget(
            fig,
            forecast_words(
                history, forecast, f"{label} in {where}", name=name, baseline=baseline, baseline_name=NO_CHANGE
            ),
        ),
        html_block(
            f"<h3>{html.escape(heading)}</h3>"
            + (
                f"<p class='note'>Beside the forecast with no change; the ranges are those of the forecast "
                f"{html.escape(name[:1].lower() + name[1:])}. Each forecast is the middle of its own "
                f"{FORECAST_SIMULATIONS} simulations, so the two can differ by a pupil or two by chance: the "
                "scenario's own effect is the sentence above the chart.</p>"
                if baseline is not None
                else ""
            )
            + table_html(table)
            + f"<p class='sendlib-downloads'>{links}</p>",
            "sendlib-forecast-table",
        ),
        money_block,
        html_block("<h3>How accurate were past forecasts?</h3>" + replay, "sendlib-forecast-backtest"),
    ]


def _benchmark_panels(prepared, school: str, area: str, horizon: int) -> list[W.Widget]:
    """The trust (or ``school``) beside a local authority and England: percentages of pupils on
    SEN support and with EHC plans, the need mix by broad area (the LA's where the reference data
    give it, else England's, said to be), and the area's SEN2 EHC plans with a trend forecast."""
    _, name = find_area(area.strip() or "England")
    history = prepared.trust.sen_history
    rates, rate_notes = rate_benchmark(history, name, school)
    mix, mix_notes = need_mix_benchmark(history, name, school)
    percent = lambda frame: frame.apply(
        lambda column: column.map(lambda v: "" if pd.isna(v) else f"{v:.1f}%") if column.dtype.kind == "f" else column
    )
    sentences = lambda notes: "".join(f"<p class='note'>{html.escape(n)}</p>" for n in notes)
    result = ehc_plan_benchmark(name, horizon=horizon)
    fig, ax = new_figure(6.5, 3.6)
    plot_forecast(result["series"].tail(10), result["forecast"], ax=ax, label="EHC plans (SEN2, ages 0-25)")
    ahead = f", and a {horizon}-year trend forecast" if len(result["forecast"]) else ""
    ax.set_title(f"{name}: EHC plans maintained{ahead}", fontsize=10)
    words = forecast_words(result["series"].tail(10), result["forecast"], f"{name}: EHC plans")
    return [
        html_block(
            "<h4>Percentage of pupils on SEN support and with EHC plans</h4><p class='note'>Each January "
            "census; England's counts pupils in all schools.</p>"
            + sentences(rate_notes)
            + table_html(percent(rates))
            + "<h4>Need mix: the share of pupils in each broad area of need</h4>"
            + sentences(mix_notes)
            + table_html(percent(mix))
            + f"<h4>EHC plans maintained: {html.escape(name)}</h4><p class='note'>SEN2 counts every plan a local "
            "authority maintains, ages 0 to 25 in every setting: a trend, not a rate to set beside the trust's. "
            f"The forecast's method: {html.escape(result['words'])}.</p>" + sentences(result["notes"]),
            "sendlib-benchmark",
        ),
        figure_widget(fig, words),
    ]


MODEL_NAMES = {"need": "This model", "naive": "Last census repeated", "linear": "Straight line"}


prepare = Prepared
