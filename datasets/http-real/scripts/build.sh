#!/bin/sh
# Rebuild the corpus: install, scan every app (each started alone on 127.0.0.1 and stopped), label.
# The labelling needs iacfilter installed (pip install -e .) in the python that runs label.py.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
sh "$HERE/install.sh"
python3 "$HERE/scan.py" "$@"
python "$HERE/label.py"
