"""Command line: python -m portal train | retrain | models | monitor | synth | serve | setup |
hash-password."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path

from portal.config import Settings


def cmd_train(args: argparse.Namespace) -> int:
    from portal.cli_train import train_command

    return train_command(args, None if args.transactions is None else column_map(args))


def column_map(args: argparse.Namespace):
    """The ColumnMap that train/retrain's column and format options describe."""
    from portal.ingest import ColumnMap

    return ColumnMap(
        customer_id=args.customer_col,
        date=args.date_col,
        amount=None if args.price_col else args.amount_col or "amount",
        quantity=args.quantity_col,
        order_id=args.order_col,
        price=args.price_col,
        date_format=args.date_format,
        decimal=args.decimal,
        sheet=args.sheet,
    )


def cmd_models(args: argparse.Namespace) -> int:
    from portal import db, registry

    settings = Settings.from_env()
    if args.action == "activate":
        try:
            registry.activate_recorded(settings.data_dir, settings.database_url, args.version)
        except registry.UnrecordedVersion:
            print(f"error: the database does not record version {args.version!r}", file=sys.stderr)
            return 2
        except registry.UnknownVersion:
            print(
                f"error: no complete version {args.version!r} in {settings.data_dir}",
                file=sys.stderr,
            )
            return 2
        print(f"current version: {args.version}")
        return 0
    current = registry.current_version(settings.data_dir)
    recorded = db.list_versions(settings.database_url)
    for row in registry.with_availability(settings.data_dir, recorded):
        mark = "*" if row["version"] == current else " " if row["available"] else "-"
        gini = row["normalized_gini"]
        print(
            f"{mark} {row['version']:<28} {row['mode']:<10} cutoff {row['cutoff']:<10} "
            f"customers {row['customers']:>8}  by {row['trained_by']:<12} "
            f"gini {'— (no backtest)' if gini is None else f'{gini:.3f}'}"
        )
    return 0


def cmd_monitor(args: argparse.Namespace) -> int:
    from portal import features, monitoring
    from portal.ingest import IngestError, fingerprint, load_transactions

    settings = Settings.from_env()
    if args.transactions:
        path = Path(args.transactions)
        try:
            transactions = load_transactions(path, column_map(args))
        except IngestError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        done = monitoring.evaluate_all(
            settings.data_dir,
            settings.database_url,
            features.daily(transactions),
            fingerprint(transactions),
        )
        print(f"evaluated {len(done)} version(s) against {path.name}")
    print(monitoring_table(monitoring.stored_rows(settings.database_url)))
    return 0


def monitoring_table(rows: list[dict]) -> str:
    """Stored evaluations as a fixed-width text table (realised against pro-rated predictions)."""
    head = (
        f"{'version':<28} {'cutoff':<10} {'seen':>5} {'predicted':>12} {'realised':>12} "
        f"{'calib.':>7} {'gini':>6} {'(bt)':>6} {'top10%':>7} {'MAPE':>6} {'cover':>6}"
    )
    lines = [head, "-" * len(head)]

    def cell(value, width: int, fmt: str) -> str:
        return f"{'—':>{width}}" if value is None else f"{value:>{width}{fmt}}"

    for r in rows:
        lines.append(
            f"{r['version']:<28} {r['cutoff']:<10} {r['fraction_observed']:>5.0%} "
            f"{r['predicted_total']:>12,.0f} {r['realised_total']:>12,.0f} "
            f"{r['calibration']:>7.3f} {r['normalized_gini']:>6.3f} "
            f"{cell(r['backtest_gini'], 6, '.3f')} {r['top_decile_capture']:>7.1%} "
            f"{cell(r['decile_mape'], 6, '.3f')} {cell(r['coverage'], 6, '.1%')}"
        )
    if not rows:
        lines.append("no version evaluated yet: a newer log must cover part of a horizon")
    return "\n".join(lines)


def cmd_synth(args: argparse.Namespace) -> int:
    from portal.synth import write_synthetic

    path = write_synthetic(args.customers, args.seed, args.out)
    print(f"wrote synthetic log for {args.customers} customers to {path}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from portal import create_app
    from portal.exposure import refuse_exposed_start
    from portal.startup import prepare

    settings = Settings.from_env()
    host = args.host or settings.host
    refuse_exposed_start(settings, [host])
    prepare(settings)
    app = create_app(settings)
    app.run(host=host, port=args.port or settings.port, debug=args.debug)
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    from portal import registry, serving_files
    from portal.artifacts import METRICS
    from portal.startup import ensure_artifacts, prepare

    settings = Settings.from_env()
    usable = prepare(settings)
    if args.train_if_empty:
        ensure_artifacts(settings)
    servable = True
    folders = [
        registry.version_dir(settings.data_dir, v) for v in registry.versions(settings.data_dir)
    ]
    current = settings.final_dir.resolve()
    if (current / METRICS).exists() and current not in folders:
        folders.append(current)  # a folder served without the registry
    for folder in folders:  # versions whose serving files predate this code: a rollback target too
        try:
            serving_files.ensure(folder)
        except (serving_files.Unreadable, serving_files.NotWritable, OSError) as exc:
            which = "the current version" if folder == current else f"version {folder.name}"
            print(f"{which} cannot be served: {exc}", file=sys.stderr)
            servable = servable and folder != current
    print(
        f"database {'ready' if usable else 'unusable (history is off)'}; data in {settings.data_dir}"
    )
    return 0 if usable and servable else 1


def cmd_hash_password(args: argparse.Namespace) -> int:
    from portal.security import hash_password

    password = getpass.getpass("password: ") if args.password is None else args.password
    print(f"{args.user}:{hash_password(password)}")
    return 0


def date_format(value: str) -> str:
    """An argparse type: a named date convention or a strftime format."""
    from portal.dates import CONVENTIONS, valid_format

    if not valid_format(value):
        raise argparse.ArgumentTypeError(
            f"{value!r}: use {', '.join(CONVENTIONS)} or a strftime format such as %d/%m/%Y"
        )
    return value


def column_options(command: argparse.ArgumentParser) -> None:
    """The options that map a transaction file's columns and formats (train, retrain, monitor)."""
    command.add_argument("--customer-col", default="customer_id")
    command.add_argument("--date-col", default="date")
    command.add_argument("--amount-col", help="the line total (default: amount)")
    command.add_argument("--quantity-col")
    command.add_argument("--order-col")
    command.add_argument(
        "--price-col", help="unit price: amount = quantity x price (needs --quantity-col)"
    )
    command.add_argument(
        "--date-format",
        type=date_format,
        help="dayfirst, monthfirst, yearfirst, excel or a strftime format such as "
        "'%%d/%%m/%%Y %%H:%%M' (default: detected from the whole column)",
    )
    command.add_argument(
        "--decimal", choices=(".", ","), help="decimal separator (default: detected)"
    )
    command.add_argument("--sheet", help="the .xlsx sheet to read (default: the first)")


def parser() -> argparse.ArgumentParser:
    """The argument parser for all sub-commands."""
    top = argparse.ArgumentParser(prog="python -m portal", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    for name, text in (
        ("train", "backtest, fit, score and publish a new current version"),
        ("retrain", "like train, but skip when the data fingerprint is unchanged (for cron)"),
    ):
        train = sub.add_parser(name, help=text)
        train.add_argument(
            "--transactions", help="CSV, text, parquet or .xlsx (default: shipped CDNOW)"
        )
        train.add_argument("--cutoff", help="backtest cutoff YYYY-MM-DD (default: production)")
        train.add_argument("--seed", type=int, default=0)
        column_options(train)
        train.add_argument(
            "--trained-by",
            default=os.environ.get("USER") or "cli",
            help="recorded with the version",
        )
        train.add_argument("--progress", action="store_true", help="print progress lines")
        train.add_argument(
            "--progress-format",
            choices=("text", "json"),
            default="text",
            help="json: progress, result and errors as JSON records on stdout, one per line "
            "(the data page's jobs read them); text goes to stderr",
        )
        train.add_argument("--engine", choices=("pandas", "dask"), default="pandas")
        train.add_argument(
            "--scheduler", help="dask: a scheduler address (default: a local cluster)"
        )
        train.add_argument(
            "--workers", type=int, help="dask local cluster: workers (default: cores)"
        )
        train.add_argument("--worker-memory", help="dask local cluster: memory limit per worker")
        train.add_argument("--partitions", type=int, help="dask: customer partitions")
        if name == "retrain":
            train.add_argument("--force", action="store_true", help="train even if unchanged")
        train.set_defaults(func=cmd_train)

    models = sub.add_parser("models", help="list versions, or make an older one current")
    models_sub = models.add_subparsers(dest="action", required=True)
    models_sub.add_parser(
        "list", help="recorded versions; * marks the current one, - one whose folder is gone"
    )
    activate = models_sub.add_parser("activate", help="make VERSION current (a rollback)")
    activate.add_argument("version")
    models.set_defaults(func=cmd_models)

    monitor = sub.add_parser(
        "monitor", help="served versions against realised spend (evaluating a newer log first)"
    )
    monitor.add_argument(
        "--transactions", help="evaluate every version against this log first (same options)"
    )
    column_options(monitor)
    monitor.set_defaults(func=cmd_monitor)

    synth = sub.add_parser("synth", help="write a SYNTHETIC transaction log (scale tests, demos)")
    synth.add_argument("--customers", type=int, default=10_000)
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--out", required=True)
    synth.set_defaults(func=cmd_synth)

    serve = sub.add_parser("serve", help="run the portal with the Dash development server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--debug", action="store_true")
    serve.set_defaults(func=cmd_serve)
    setup = sub.add_parser(
        "setup",
        help="start-up work: migrate the database, adopt a pre-registry model folder, build the "
        "current version's serving files if it predates them",
    )
    setup.add_argument(
        "--train-if-empty",
        action="store_true",
        help="train the shipped CDNOW backtest if no version",
    )
    setup.set_defaults(func=cmd_setup)
    hasher = sub.add_parser("hash-password", help="print a CLV_PORTAL_USERS entry")
    hasher.add_argument("user")
    hasher.add_argument("--password", help="(default: prompt)")
    hasher.set_defaults(func=cmd_hash_password)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=Settings.from_env().log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
