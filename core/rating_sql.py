"""The rating half of the ETL as SQL, written once for any engine (DuckDB here; Spark SQL can run it unchanged).

Each step is a plain SELECT over named tables; the engine materialises it under its name (DuckDB: `CREATE TABLE
name AS ...`; Spark: a cached temp view), so the text holds no engine-specific statement. Inputs the engine gives:

- ``raw_ratings(user_id BIGINT, rating DOUBLE, ts DOUBLE, code INTEGER)``: every row of the rating files as read
  (NaN read as null); ``code`` is the row of the title in the catalogue, -1 for a movieId that matches no title,
  null for a missing movieId;
- ``title_segments(code INTEGER, segment INTEGER)``: each title's segment (platform x type x release year);
- ``calendar(day BIGINT, month INTEGER)``: days since 1970-01-01 up to 2100-01-01 and their month, counted
  in months since 1970-01 (integers group faster than text; the writer formats the few months as 'YYYY-MM');
- ``part_rows(user_id, code, ts, rating)``: the usable rows of the users of one part (see below).

The steps run in three phases. BEFORE checks every row read. Everything per user and title then runs PER_PART,
over the usable rows of one range of users at a time, so that an engine on one machine holds one part at a time
(DuckDB: a part fits in its memory cap, with nothing to spill); PART_TOTALS are added up over the parts, and AFTER
turns them into the totals per user, title, segment and month. An engine that spreads the work itself (Spark) runs
one part holding every usable row. The parts' totals are summed again across parts, so rating sums may differ from
a one-pass sum in the last bits when ratings are not whole or half stars.

Only ANSI-style SQL both engines share: CASE, CAST to INTEGER/BIGINT/REAL/DOUBLE, FLOOR, BETWEEN, joins, GROUP BY,
[NOT] EXISTS, UNION ALL, named windows with DENSE_RANK/LEAD and ROW_NUMBER; months come from the calendar table
rather than a date function, whose name and time-zone handling differ between engines.
"""

from __future__ import annotations

# Bits of `problem` (0: usable); a missing value hides the others, the others are counted independently.
MISSING, BAD_RATING, BAD_USER, BAD_TIME, UNKNOWN_TITLE = 1, 2, 4, 8, 16
PROBLEMS = {MISSING: "missing value: excluded",
            BAD_RATING: "rating outside 0.5-5: excluded",
            BAD_USER: "userId not a positive 32-bit integer: excluded",
            BAD_TIME: "timestamp outside 1970-2100: excluded",
            UNKNOWN_TITLE: "movieId matches no title: excluded"}
SECONDS_PER_DAY = 86_400
# Unix seconds of 1970-01-01 and 2100-01-01: anything outside is a broken timestamp, not a rating date.
TIMESTAMP_RANGE = (0, 4_102_444_800)

# Every row read, with its problems as bits and, for usable rows, values in their final types (the casts are
# guarded: an out-of-range value must not fail the cast, it is reported).
CHECKED = f"""
SELECT problem,
       CASE WHEN problem = 0 THEN CAST(user_id AS INTEGER) END AS user_id,
       code,
       CASE WHEN problem = 0 THEN CAST(FLOOR(ts) AS BIGINT) END AS ts,
       CASE WHEN problem = 0 THEN CAST(rating AS REAL) END AS rating
FROM (
  SELECT user_id, rating, ts, code,
         CASE WHEN user_id IS NULL OR rating IS NULL OR ts IS NULL OR code IS NULL THEN {MISSING}
              ELSE (CASE WHEN rating BETWEEN 0.5 AND 5.0 THEN 0 ELSE {BAD_RATING} END)
                 + (CASE WHEN user_id BETWEEN 1 AND 2147483647 THEN 0 ELSE {BAD_USER} END)
                 + (CASE WHEN ts BETWEEN {TIMESTAMP_RANGE[0]} AND {TIMESTAMP_RANGE[1]} THEN 0 ELSE {BAD_TIME} END)
                 + (CASE WHEN code < 0 THEN {UNKNOWN_TITLE} ELSE 0 END)
         END AS problem
  FROM raw_ratings
) read_rows
"""

# Usable rows per user: how the engine cuts the users into parts of similar size.
USER_ROWS_READ = "SELECT user_id, COUNT(*) AS n_rows FROM checked WHERE problem = 0 GROUP BY user_id"

# The usable rows of one part: users from `first` to `last`.
PART_ROWS = """
SELECT user_id, code, ts, rating FROM checked WHERE problem = 0 AND user_id BETWEEN {first} AND {last}
"""

# The user and title pairs with more than one row: few, so only their rows go through the window of LATEST
# (grouping the pairs costs ~40 % less than sorting every row for the window; a pair with one row is its own latest).
DUPLICATED_PAIRS = "SELECT user_id, code FROM part_rows GROUP BY user_id, code HAVING COUNT(*) > 1"

# The last row of each user and title in time (ties: the higher rating), with how many distinct (time, rating)
# rows the pair had: the rows beyond those were exact duplicates, the distinct ones beyond the first were
# superseded by a later rating.
LATEST = """
SELECT user_id, code, ts, rating, 1 AS n_distinct
FROM part_rows r
WHERE NOT EXISTS (SELECT 1 FROM duplicated_pairs d WHERE d.user_id = r.user_id AND d.code = r.code)
UNION ALL
SELECT user_id, code, ts, rating, n_distinct
FROM (
  SELECT user_id, code, ts, rating,
         LEAD(ts) OVER pair_in_time AS next_ts,
         DENSE_RANK() OVER pair_in_time AS n_distinct
  FROM part_rows r
  WHERE EXISTS (SELECT 1 FROM duplicated_pairs d WHERE d.user_id = r.user_id AND d.code = r.code)
  WINDOW pair_in_time AS (PARTITION BY user_id, code ORDER BY ts, rating)
) ranked
WHERE next_ts IS NULL
"""

USER_TOTALS = """
SELECT user_id, COUNT(*) AS n_ratings, SUM(CAST(rating AS DOUBLE)) AS rating_sum FROM latest GROUP BY user_id
"""

USER_SEGMENT_TOTALS = """
SELECT s.segment, l.user_id, COUNT(*) AS n_ratings
FROM latest l JOIN title_segments s ON s.code = l.code
GROUP BY s.segment, l.user_id
"""

TITLE_PART_TOTALS = """
SELECT code, COUNT(*) AS n_ratings, SUM(CAST(rating AS DOUBLE)) AS rating_sum FROM latest GROUP BY code
"""

MONTH_SEGMENT_PART_TOTALS = f"""
SELECT s.segment, c.month, COUNT(*) AS n_ratings, SUM(CAST(l.rating AS DOUBLE)) AS rating_sum
FROM latest l
JOIN title_segments s ON s.code = l.code
JOIN calendar c ON c.day = CAST(FLOOR(l.ts / {SECONDS_PER_DAY}) AS BIGINT)
GROUP BY s.segment, c.month
"""

# A user's row in the users output (sorted by user_id), which the per-segment counts refer to.
USER_ROW_NUMBERS = "SELECT user_id, ROW_NUMBER() OVER (ORDER BY user_id) - 1 AS user_row FROM user_totals"

TITLE_TOTALS = """
SELECT code, CAST(SUM(n_ratings) AS BIGINT) AS n_ratings, SUM(rating_sum) AS rating_sum
FROM title_part_totals GROUP BY code
"""

MONTH_SEGMENT_TOTALS = """
SELECT segment, month, CAST(SUM(n_ratings) AS BIGINT) AS n_ratings, SUM(rating_sum) AS rating_sum
FROM month_segment_part_totals GROUP BY segment, month
"""

BEFORE: dict[str, str] = {"checked": CHECKED}
PER_PART: dict[str, str] = {"duplicated_pairs": DUPLICATED_PAIRS, "latest": LATEST}
# Added up over the parts: a part's users are its own, so the per-user totals are final as they come.
PART_TOTALS: dict[str, str] = {"user_totals": USER_TOTALS, "user_segment_totals": USER_SEGMENT_TOTALS,
                               "title_part_totals": TITLE_PART_TOTALS,
                               "month_segment_part_totals": MONTH_SEGMENT_PART_TOTALS}
AFTER: dict[str, str] = {"user_rows": USER_ROW_NUMBERS, "title_totals": TITLE_TOTALS,
                         "month_segment_totals": MONTH_SEGMENT_TOTALS}

# The results, in the order the output files want them (the engine streams them; none is held whole here).
RESULTS: dict[str, str] = {
    "problem_counts": "SELECT problem, COUNT(*) AS n_rows FROM checked GROUP BY problem ORDER BY problem",
    "user_rows_read": f"{USER_ROWS_READ} ORDER BY user_id",
    "duplicate_counts": "SELECT COUNT(*) AS n_kept, SUM(n_distinct) AS n_distinct FROM latest",
    "ratings": "SELECT user_id, code, rating, ts FROM latest ORDER BY user_id, code",
    "title_totals": "SELECT code, n_ratings, rating_sum FROM title_totals ORDER BY code",
    "users": "SELECT user_id, n_ratings, rating_sum FROM user_totals ORDER BY user_id",
    "user_segments": """
        SELECT t.segment, r.user_row, t.n_ratings
        FROM user_segment_totals t JOIN user_rows r ON r.user_id = t.user_id
        ORDER BY t.segment, r.user_row""",
    "activity": "SELECT segment, month, n_ratings, rating_sum FROM month_segment_totals ORDER BY segment, month",
}
