"""`python -m trainwell.tune work DIRECTORY [--idle-exit SECONDS]`: run trials of a search from a folder."""
import argparse
import sys

from trainwell.tune.search import work


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m trainwell.tune", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("work", help="take and run trials from a search folder until it is finished")
    worker.add_argument("directory")
    worker.add_argument("--idle-exit", type=float, default=None,
                        help="also stop after this many seconds without a trial to take")
    args = parser.parse_args(argv)
    try:
        ran = work(args.directory, idle_exit=args.idle_exit)
    except FileNotFoundError as error:
        parser.exit(2, f"{error}\n")
    print(f"ran {ran} trial(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
