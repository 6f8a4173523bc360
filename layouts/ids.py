"""Every component id of the app, in one place, so layouts, callbacks and tests agree.

Each panel owns one section below; add ids only to your panel's section.
"""

# ---- page frame
URL = "url"
THEME_SWITCH = "theme-switch"
THEME_STORE = "theme-store"
DATA_SOURCE = "data-source"
NAV_SEARCH = "nav-search"  # the navigation bar's title and genre search
NAV_GO = "nav-go"  # where a search result sends the browser (a Location that navigates within the app)

# ---- explore panel
EXPLORE_URL = "explore-url"
# filter bar
EXPLORE_PLATFORMS = "explore-platforms"
EXPLORE_TYPE = "explore-type"
EXPLORE_YEARS = "explore-years"
EXPLORE_GENRES = "explore-genres"
EXPLORE_RESET = "explore-reset"
EXPLORE_LINK_ALERT = "explore-link-alert"
EXPLORE_ALERT = "explore-alert"
# headline cards
EXPLORE_HEADLINES = "explore-headlines"
EXPLORE_KPI_TITLES = "explore-kpi-titles"
EXPLORE_KPI_USERS = "explore-kpi-users"
EXPLORE_KPI_RATINGS = "explore-kpi-ratings"
EXPLORE_KPI_SCORE = "explore-kpi-score"
# charts
EXPLORE_CHART_TYPES = "explore-chart-types"
EXPLORE_CHART_RELEASES = "explore-chart-releases"
EXPLORE_CHART_MINUTES = "explore-chart-minutes"
EXPLORE_CHART_SEASONS = "explore-chart-seasons"
EXPLORE_CHART_MATURITY = "explore-chart-maturity"
EXPLORE_CHART_GENRES = "explore-chart-genres"
EXPLORE_CHART_COUNTRIES = "explore-chart-countries"
EXPLORE_CHART_SCORES = "explore-chart-scores"
EXPLORE_CHART_ACTIVITY = "explore-chart-activity"
EXPLORE_CHART_USERS = "explore-chart-users"
EXPLORE_CHARTS = (EXPLORE_CHART_TYPES, EXPLORE_CHART_RELEASES, EXPLORE_CHART_MINUTES, EXPLORE_CHART_SEASONS,
                  EXPLORE_CHART_MATURITY, EXPLORE_CHART_GENRES, EXPLORE_CHART_COUNTRIES, EXPLORE_CHART_SCORES,
                  EXPLORE_CHART_ACTIVITY, EXPLORE_CHART_USERS)
# each chart's text alternative: a one-sentence summary under it, and its numbers as a table behind a toggle
EXPLORE_CHART_SUMMARIES = {chart: f"{chart}-summary" for chart in EXPLORE_CHARTS}
EXPLORE_CHART_TABLES = {chart: f"{chart}-table" for chart in EXPLORE_CHARTS}
EXPLORE_CHART_TABLE_TOGGLES = {chart: f"{chart}-table-toggle" for chart in EXPLORE_CHARTS}
# top-rated titles table
EXPLORE_TOP_MIN_RATINGS = "explore-top-min-ratings"
EXPLORE_TOP_TABLE = "explore-top-table"
EXPLORE_TOP_CSV_BUTTON = "explore-top-csv-button"
EXPLORE_TOP_CSV = "explore-top-csv"

# ---- title page
TITLE_ID_STORE = "title-id"  # the id of the title shown (None on a not-found page)
TITLE_HEADING = "title-heading"
TITLE_FACTS = "title-facts"
TITLE_NOT_FOUND = "title-not-found"
TITLE_SCORE = "title-score"
TITLE_RANKS = "title-ranks"
TITLE_DISTRIBUTION = "title-distribution"
TITLE_RECOMMEND_LINK = "title-recommend-link"
TITLE_SIMILAR = "title-similar"
TITLE_SIMILAR_POLL = "title-similar-poll"  # ticks while the recommender is being prepared

# ---- queries panel
# q1 longest title
QUERIES_LONGEST_YEAR = "queries-longest-year"
QUERIES_LONGEST_PLATFORM = "queries-longest-platform"
QUERIES_LONGEST_UNIT = "queries-longest-unit"
QUERIES_LONGEST_ANSWER = "queries-longest-answer"
QUERIES_LONGEST_CHART = "queries-longest-chart"
QUERIES_LONGEST_CHART_SUMMARY = "queries-longest-chart-summary"  # the chart in one sentence
QUERIES_LONGEST_CHART_TABLE = "queries-longest-chart-table"  # the chart's numbers, behind "Show as table"
QUERIES_LONGEST_CSV_BUTTON = "queries-longest-csv-button"
QUERIES_LONGEST_CSV = "queries-longest-csv"
# q2 titles above a mean score
QUERIES_SCORE_PLATFORM = "queries-score-platform"
QUERIES_SCORE_THRESHOLD = "queries-score-threshold"
QUERIES_SCORE_YEAR = "queries-score-year"
QUERIES_SCORE_TYPE = "queries-score-type"
QUERIES_SCORE_ANSWER = "queries-score-answer"
QUERIES_SCORE_CHART = "queries-score-chart"
QUERIES_SCORE_CHART_SUMMARY = "queries-score-chart-summary"  # the chart in one sentence
QUERIES_SCORE_CHART_TABLE = "queries-score-chart-table"  # the chart's numbers, behind "Show as table"
QUERIES_SCORE_CSV_BUTTON = "queries-score-csv-button"
QUERIES_SCORE_CSV = "queries-score-csv"
# q3 titles per platform
QUERIES_COUNT_PLATFORM = "queries-count-platform"
QUERIES_COUNT_ANSWER = "queries-count-answer"
QUERIES_COUNT_CHART = "queries-count-chart"
QUERIES_COUNT_CHART_SUMMARY = "queries-count-chart-summary"  # the chart in one sentence
QUERIES_COUNT_CHART_TABLE = "queries-count-chart-table"  # the chart's numbers, behind "Show as table"
QUERIES_COUNT_CSV_BUTTON = "queries-count-csv-button"
QUERIES_COUNT_CSV = "queries-count-csv"
# q4 most frequent actor
QUERIES_ACTOR_PLATFORM = "queries-actor-platform"
QUERIES_ACTOR_YEAR = "queries-actor-year"
QUERIES_ACTOR_ANSWER = "queries-actor-answer"
QUERIES_ACTOR_CHART = "queries-actor-chart"
QUERIES_ACTOR_CHART_SUMMARY = "queries-actor-chart-summary"  # the chart in one sentence
QUERIES_ACTOR_CHART_TABLE = "queries-actor-chart-table"  # the chart's numbers, behind "Show as table"
QUERIES_ACTOR_CSV_BUTTON = "queries-actor-csv-button"
QUERIES_ACTOR_CSV = "queries-actor-csv"
# chart id -> its one-sentence summary and its data table
QUERIES_CHART_SUMMARIES = {QUERIES_LONGEST_CHART: QUERIES_LONGEST_CHART_SUMMARY, QUERIES_SCORE_CHART: QUERIES_SCORE_CHART_SUMMARY,
                           QUERIES_COUNT_CHART: QUERIES_COUNT_CHART_SUMMARY, QUERIES_ACTOR_CHART: QUERIES_ACTOR_CHART_SUMMARY}
QUERIES_CHART_TABLES = {QUERIES_LONGEST_CHART: QUERIES_LONGEST_CHART_TABLE, QUERIES_SCORE_CHART: QUERIES_SCORE_CHART_TABLE,
                        QUERIES_COUNT_CHART: QUERIES_COUNT_CHART_TABLE, QUERIES_ACTOR_CHART: QUERIES_ACTOR_CHART_TABLE}

# ---- recommend panel
RECOMMEND_URL = "recommend-url"  # the panel's own view of the address bar (two-way sync with the pickers)
# pickers
RECOMMEND_USER = "recommend-user"
RECOMMEND_TITLE = "recommend-title"
RECOMMEND_K = "recommend-k"
RECOMMEND_LINK_ALERT = "recommend-link-alert"
RECOMMEND_ALERT = "recommend-alert"
RECOMMEND_MODEL_POLL = "recommend-model-poll"  # ticks while the model is being prepared, until it is ready
# results
RECOMMEND_RESULTS = "recommend-results"
RECOMMEND_EMPTY = "recommend-empty"
RECOMMEND_SCORE = "recommend-score"
RECOMMEND_RECS = "recommend-recs"
RECOMMEND_RECS_TABLE = "recommend-recs-table"
RECOMMEND_ORDER = "recommend-order"  # order of the recommendations: best match or highest predicted rating
RECOMMEND_MATCH_NOTE = "recommend-match-note"  # what "match" means, above the table
RECOMMEND_RECS_CSV_BUTTON = "recommend-recs-csv-button"
RECOMMEND_RECS_CSV = "recommend-recs-csv"
RECOMMEND_SIMILAR = "recommend-similar"
RECOMMEND_SIMILAR_CSV_BUTTON = "recommend-similar-csv-button"
RECOMMEND_SIMILAR_CSV = "recommend-similar-csv"
RECOMMEND_PROFILE = "recommend-profile"
RECOMMEND_PROFILE_CHART = "recommend-profile-chart"
