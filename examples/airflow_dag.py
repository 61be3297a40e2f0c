"""newsbeam as an Airflow DAG: the Docker image, hourly, one run at a time.

The run id is Airflow's, so a manifest in OUTPUT/_runs/ can be traced back to
its DAG run and try. It includes the try number because newsbeam refuses a run
id the output already has (exit 2): a retry is a new run, which first completes
whatever the failed try committed and then skips what that try already wrote.
newsbeam's own output lock (exit 4) backs up max_active_runs=1 against a
backfill or a manual run beside the schedule. Requires
apache-airflow-providers-docker.

The image runs as uid 10001, so /srv/news on the Docker host must be writable by it
(``chown -R 10001:10001 /srv/news``), or set ``user`` to the uid:gid that owns it; the
entrypoint refuses an unwritable folder at once, naming it and the fix. A task killed by
Airflow (timeout, mark failed) gets SIGTERM, which tini in the image passes to newsbeam: it
stops at once and releases the output lock.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.docker.operators.docker import DockerOperator
from docker.types import Mount

with DAG(
    dag_id="newsbeam_hourly",
    schedule="5 * * * *",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,  # runs into one output must not overlap
    default_args={"retries": 1, "retry_delay": timedelta(minutes=10)},
) as dag:
    ingest = DockerOperator(
        task_id="ingest",
        image="newsbeam:0.1.0",
        user="10001:10001",
        command=["run", "--config", "/config/feeds.yaml", "--output", "/data",
                 "--log-format", "json", "--run-id", "airflow-{{ ts_nodash }}-try{{ ti.try_number }}"],
        mounts=[Mount(source="/srv/newsbeam/config", target="/config", type="bind", read_only=True),
                Mount(source="/srv/news", target="/data", type="bind")],
        auto_remove="success",
    )
    stats = DockerOperator(
        task_id="stats",
        image="newsbeam:0.1.0",
        command=["stats", "/data", "--format", "json"],
        mounts=[Mount(source="/srv/news", target="/data", type="bind", read_only=True)],
        auto_remove="success",
    )
    ingest >> stats
