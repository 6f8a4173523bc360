# Streaming Atlas: the dashboard and its JSON API under gunicorn, with the demo data and its model built in.
#
#   podman build --isolation chroot --pull=never --network host --format docker -t localhost/streaming-atlas .
#   podman run --rm -p 8050:8050 localhost/streaming-atlas                  # demo data: serves at once
#   podman run --rm -p 8050:8050 -v /path/to/raw:/data:ro -e STREAMING_DATA_DIR=/data \
#          -v atlas-cache:/var/cache/streaming localhost/streaming-atlas    # real data (titles/ and ratings/)
#   podman run --rm -p 8050:8050 -v /path/to/build:/build:ro -e STREAMING_PROCESSED_DIR=/build \
#          localhost/streaming-atlas                         # a build's output (core.build RAW --out DIR), read-only
#
# With real data the first start runs the ETL (~10 s) before gunicorn listens, then fits the recommender in the
# background (~30 s; /api/health says "model": "fitting" meanwhile). Both land in /var/cache/streaming: a named
# volume there keeps them, so a restart is ready at once. To build them ahead of serving:
#   podman run --rm -v /path/to/raw:/data:ro -v atlas-cache:/var/cache/streaming IMAGE python -m core.build /data
# (docker: the same commands with `docker build .` / `docker run`; the podman flags above are for this sandbox.)

# ---------------------------------------------------------------------------------------------------- builder
FROM debian:bookworm-slim AS builder
ENV DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
RUN pip install -q -r /tmp/requirements.txt
# What the app never runs (~150 MB): the packages' test suites, C/Cython sources and headers, JS source maps,
# pyarrow's Flight RPC and S3 file system (optional modules: pyarrow.fs imports without S3), and the installers
# themselves (pip, setuptools: nothing is installed at run time).
RUN set -e; site=/opt/venv/lib/python3.11/site-packages; \
    find "$site" -depth -type d -name tests -prune -exec rm -rf {} +; \
    rm -f "$site"/pyarrow/libarrow_flight.so* "$site"/pyarrow/libarrow_python_flight.so* "$site"/pyarrow/_flight.* \
          "$site"/pyarrow/flight.py "$site"/pyarrow/libarrow_s3.so* "$site"/pyarrow/_s3fs.* \
          "$site"/pyarrow/_pyarrow_cpp_tests.* "$site"/pyarrow/__pycache__/flight.*; \
    find "$site" -type f \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.h' -o -name '*.hpp' \
         -o -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.js.map' -o -name '*.pyi' \) -delete; \
    rm -rf "$site"/pyarrow/include "$site"/pyarrow/src "$site"/numpy/_core/include \
           "$site"/pip "$site"/pip-* "$site"/setuptools "$site"/setuptools-* "$site"/pkg_resources \
           "$site"/_distutils_hack "$site"/distutils-precedence.pth /opt/venv/bin/pip*; \
    find "$site" -type d -name __pycache__ -empty -delete
WORKDIR /app
COPY . /app
# The demo data and its fitted model, built now so a container serves at once.
ENV STREAMING_CACHE_DIR=/var/cache/streaming
RUN python -m core.build \
    && python -m compileall -q /app \
    && python -c "import pandas, pyarrow.dataset, pyarrow.fs, pyarrow.parquet, scipy.sparse, sklearn.neighbors, app"

# ---------------------------------------------------------------------------------------------------- runtime
FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
# Debian's python3 only: the wheels bring their own OpenBLAS and OpenMP.
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends python3 >/dev/null \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --user-group --create-home --home-dir /home/atlas --shell /usr/sbin/nologin atlas
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
COPY --from=builder --chown=atlas:atlas /var/cache/streaming /var/cache/streaming
ENV PATH=/opt/venv/bin:$PATH \
    HOST=0.0.0.0 PORT=8050 \
    STREAMING_CACHE_DIR=/var/cache/streaming \
    PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
USER atlas
EXPOSE 8050
# Healthy when the app answers and its model is ready. A first start on real data runs the ETL (~20 s) before
# gunicorn listens, then the fit (~60 s on 2 cores): measured ~80 s, hence the start period.
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import json, os, urllib.request as r; h = json.load(r.urlopen('http://127.0.0.1:%s/api/health' % os.environ.get('PORT', '8050'), timeout=4)); raise SystemExit(h.get('status') != 'ok' or h.get('model', 'ready') != 'ready')"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "app:server"]
