"""Command line: python -m portal train | synth | serve."""

from __future__ import annotations

import argparse
import logging
import sys

from portal.config import Settings

METRIC_NAMES = (
    "normalized_gini",
    "top_decile_capture",
    "spearman",
    "mae",
    "rmse",
    "calibration",
    "decile_mape",
)


def metrics_table(backtest: dict) -> str:
    """The backtest figures of the model and baselines as a fixed-width text table."""
    methods = [k for k, v in backtest.items() if isinstance(v, dict) and "mae" in v]
    head = f"{'method':<20}" + "".join(f"{m[:12]:>13}" for m in METRIC_NAMES)
    lines = [head, "-" * len(head)]
    for method in methods:
        values = backtest[method]
        lines.append(f"{method:<20}" + "".join(f"{values[m]:>13.3f}" for m in METRIC_NAMES))
    return "\n".join(lines)


def cmd_train(args: argparse.Namespace) -> int:
    from portal.ingest import CDNOW_COLUMNS, ColumnMap, IngestError
    from portal.train import TrainError, run

    settings = Settings.from_env()
    if args.transactions is None:
        path, columns = settings.transactions_path, CDNOW_COLUMNS
    else:
        path = args.transactions
        columns = ColumnMap(
            args.customer_col, args.date_col, args.amount_col, args.quantity_col, args.order_col
        )
    try:
        document = run(path, args.out or settings.final_dir, columns, args.cutoff, args.seed)
    except (IngestError, TrainError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"version {document['version']}  cutoff {document['cutoff']}  "
        f"customers {document['customers']}  {document['seconds']}s"
    )
    print(
        f"backtest at {document['backtest']['cutoff']} "
        f"({document['backtest']['customers']} customers, 6-month horizon):"
    )
    print(metrics_table(document["backtest"]))
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from portal.synth import write_synthetic

    path = write_synthetic(args.customers, args.seed, args.out)
    print(f"wrote synthetic log for {args.customers} customers to {path}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from portal import create_app

    settings = Settings.from_env()
    app = create_app()
    app.run(host=args.host or settings.host, port=args.port or settings.port, debug=args.debug)
    return 0


def cmd_hash_password(args: argparse.Namespace) -> int:
    from getpass import getpass

    from portal.security import hash_password

    password = getpass("password: ") if args.password is None else args.password
    print(f"{args.user}:{hash_password(password)}")
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser for all sub-commands."""
    top = argparse.ArgumentParser(prog="python -m portal", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="backtest, fit and score; write data/final artifacts")
    train.add_argument("--transactions", help="CSV, text or parquet (default: shipped CDNOW)")
    train.add_argument("--cutoff", help="backtest cutoff YYYY-MM-DD (default: production mode)")
    train.add_argument("--out", help="artifact folder (default: $DATA_DIR/final)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--customer-col", default="customer_id")
    train.add_argument("--date-col", default="date")
    train.add_argument("--amount-col", default="amount")
    train.add_argument("--quantity-col")
    train.add_argument("--order-col")
    train.set_defaults(func=cmd_train)

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
