import matplotlib

matplotlib.use("Agg")


import sendlib
from sendlib.plotting import STATUS_COLOURS, STATUS_MARKERS, plot_ehc_timeline


def test_ehc_timeline_draws_every_duty_and_event():
    trust = sendlib.load_sample()
    duties = sendlib.statutory_duties(trust)
    upn = duties.loc[(duties["duty"] == "review_report") & (duties["status"] == "late"), "upn"].iloc[0]
    mine = duties[(duties["upn"] == upn) & (duties["duty"] != "parent_meetings")]
    events = trust.ehc_events[trust.ehc_events["upn"] == upn]
    ax = plot_ehc_timeline(events, mine, trust.as_of)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "events" and "Review report sent (2 weeks after)" in labels
    # one status mark per duty, its shape and colour both saying the status
    marks = [line for line in ax.lines if line.get_marker() in set(STATUS_MARKERS.values())]
    assert len(marks) == len(mine)
    assert sorted((m.get_marker(), m.get_color()) for m in marks) == sorted(
        (STATUS_MARKERS[s], STATUS_COLOURS[s]) for s in mine["status"]
    )
    assert len(set(STATUS_MARKERS.values())) == len(STATUS_MARKERS)  # no two statuses share a shape
    assert sum(line.get_marker() == "v" for line in ax.lines) == len(events)
    matplotlib.pyplot.close(ax.figure)


def test_progress_band_plot():
    from sendlib.plotting import plot_progress_band

    trust = sendlib.load_sample()
    result = sendlib.assess_progress(trust)
    upn = result[(result["n_scores"] >= 6)]["upn"].iloc[0]
    band = sendlib.pupil_progress_band(trust, upn, "maths")
    ax = plot_progress_band(band, "maths")
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["those pupils' average", "year group average", "this pupil"]
    assert len(ax.collections) == 1 and ax.get_title().startswith("Maths")
    pupil = ax.lines[2]
    assert list(pupil.get_ydata()) == list(band["score"])
    matplotlib.pyplot.close(ax.figure)
    empty = plot_progress_band(band.iloc[0:0])
    assert empty.texts[0].get_text() == "No scores yet"


def test_forecast_plot():
    from sendlib.forecast import TrendForecaster
    from sendlib.plotting import plot_forecast
    from sendlib.reference import ehc_plans

    history = ehc_plans("England")
    forecast = TrendForecaster().fit(history).predict(3)
    ax = plot_forecast(history, forecast, label="EHC plans")
    assert [line.get_label() for line in ax.lines] == ["recorded", "forecast"]
    assert len(ax.collections) == 2 and ax.get_ylabel() == "EHC plans"
    assert list(ax.lines[1].get_xdata())[-1] == 2027
    matplotlib.pyplot.close(ax.figure)


def test_date_axes_find_ticks_for_one_score_and_for_years(recwarn):
    import pandas as pd

    from sendlib.plotting import plot_progress_band

    for dates in (["2025-05-12"], ["2021-09-20", "2025-05-12"], ["2025-01-06", "2025-01-20"]):
        band = pd.DataFrame(
            {
                "assessment_date": pd.to_datetime(dates),
                "score": 98.0,
                "peers_low": 95.0,
                "peers_high": 105.0,
                "peers_mean": 100.0,
                "cohort_mean": 100.0,
            }
        )
        ax = plot_progress_band(band, "reading")
        ax.figure.canvas.draw()
        assert 3 <= len(ax.get_xticks()) <= 9, dates
        matplotlib.pyplot.close(ax.figure)
    assert not [w for w in recwarn if "AutoDateLocator" in str(w.message)]


def test_a_forecast_of_a_few_pupils_counts_whole_pupils_from_zero():
    import pandas as pd

    from sendlib.plotting import forecast_words, plot_forecast

    history = pd.DataFrame({"year": [2023, 2024, 2025], "count": [3, 0, 2]})  # a year with none is drawn
    forecast = pd.DataFrame(
        {"year": [2026, 2027], "count": [2.4, 2.6], "lower_80": [1, 1], "upper_80": [4, 4], "lower_95": [0, 0]}
        | {"upper_95": [5, 6]}
    )
    ax = plot_forecast(history, forecast, label="pupils")
    assert ax.get_ylim()[0] == 0
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert list(ax.lines[0].get_ydata()) == [3, 0, 2]
    words = forecast_words(history, forecast, "SEN support in Elm")
    assert words.startswith("SEN support in Elm: recorded 2023 to 2025; forecast, January 2026: about 2")
    assert "January 2027: about 3 (80% range 1 to 4)" in words
    # a scenario beside the forecast without it, each named in the legend and in the words
    matplotlib.pyplot.close(ax.figure)
    baseline, name = forecast.assign(count=[2.0, 2.0]), "With 10% more pupils identified from January 2026"
    ax = plot_forecast(history, forecast, label="pupils", name=name, baseline=baseline)
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["recorded", "forecast with no change", "with 10% more pupils identified from January 2026"]
    words = forecast_words(history, forecast, "SEN support in Elm", name=name, baseline=baseline)
    assert "2025; with 10% more pupils identified from January 2026, January 2026: about 2 (80% range 1" in words
    assert words.endswith("; forecast with no change, January 2027: about 2.")


def test_the_progress_bands_legend_sits_below_the_dates_and_their_year_inside_the_figure():
    import pandas as pd

    from sendlib.plotting import PROGRESS_BAND_MARGINS, plot_progress_band
    from sendlib.render import new_figure

    dates = pd.to_datetime(["2026-03-10", "2026-06-23", "2026-11-12"])  # one year: its number under the axis
    band = pd.DataFrame(
        {"assessment_date": dates, "score": [94, 92, 96], "peers_low": [91, 87, 93], "peers_high": [96, 96, 99]}
    ).assign(peers_mean=[93, 90, 96], cohort_mean=[98, 98, 98])
    fig, ax = new_figure(6.2, 3.3, PROGRESS_BAND_MARGINS)  # as the explorer draws it
    plot_progress_band(band, "reading", ax=ax)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # drawn as the page's PNG is
    canvas.draw()
    renderer = canvas.get_renderer()
    year, legend = ax.xaxis.get_offset_text(), ax.get_legend().get_window_extent(renderer)
    assert year.get_text() == "2026" and not year.get_window_extent(renderer).overlaps(legend)
    assert fig.bbox.contains(legend.x0, legend.y0) and fig.bbox.contains(legend.x1, legend.y1)
