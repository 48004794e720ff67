# Production image: gunicorn (web), Celery worker and beat all run from it.

# Front-end packages (Bootstrap, htmx, world-atlas shapes) from the npm registry, as locked.
FROM node:20-bookworm-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim-bookworm

# WeasyPrint renders with Pango/HarfBuzz; Noto covers the scripts of every partner language.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libffi8 shared-mime-info \
        fonts-noto-core fonts-noto-ui-core fonts-noto-cjk gettext \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH="/opt/venv/bin:$PATH"

RUN pip install --no-cache-dir uv

WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
COPY --from=assets /assets/node_modules ./node_modules
RUN python manage.py compilemessages --ignore=node_modules -v 0 \
    && DJANGO_ENV=production SECRET_KEY=build-only ALLOWED_HOSTS=build \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 CELERY_BROKER_URL=redis://build:6379/0 \
    python manage.py collectstatic --no-input

RUN useradd --system --home /app program && mkdir -p /app/var/media && chown -R program /app/var
USER program

EXPOSE 8000
CMD ["gunicorn", "openai_countries.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
