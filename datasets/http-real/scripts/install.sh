#!/bin/sh
# Install what the corpus runs: the applications (Debian, PyPI, npm) and the scanners, each scanner in its own
# environment (Wapiti 3 pins its dependencies). Debian 12, as root. Package registries only.
# Directories: HTTP_REAL_VENVS (default /work/venvs), HTTP_REAL_TOOLS (default /work/webcorpus-tools).
set -eu
VENVS=${HTTP_REAL_VENVS:-/work/venvs}
TOOLS=${HTTP_REAL_TOOLS:-/work/webcorpus-tools}
mkdir -p "$VENVS" "$TOOLS"

# Debian: web servers, the wiki and the database admin (run under php-fpm), radicale, testssl.sh, openssl.
# policy-rc.d keeps the packages' services from starting: the build starts each app itself, on 127.0.0.1 only.
DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx apache2 php-fpm php-sqlite3 dokuwiki phpmyadmin \
    radicale testssl.sh openssl

# PyPI: the scanners, one venv each, and the Python applications.
python3 -m venv "$VENVS/wc-wapiti" && "$VENVS/wc-wapiti/bin/pip" install -q wapiti3==3.2.3
python3 -m venv "$VENVS/wc-drheader" && "$VENVS/wc-drheader/bin/pip" install -q drheader==2.0.0
python3 -m venv "$VENVS/wc-apps" && "$VENVS/wc-apps/bin/pip" install -q django==5.2.19 datasette==0.65.5 notebook==7.6.5

# npm: the apps, and the MDN HTTP Observatory. The Observatory's install scripts download the HSTS preload list,
# the TLD list and Mozilla's CA bundle (no network here): install without scripts, then give it an empty preload
# list (127.0.0.1 is on no preload list) and an empty TLD list (used only by its web API, not by the CLI).
mkdir -p "$TOOLS/npmapps" "$TOOLS/obs"
(cd "$TOOLS/npmapps" && npm install --no-audit --no-fund json-server@0.17.4 http-server@14.1.1 node-red@4.1.15)
(cd "$TOOLS/obs" && npm install --no-audit --no-fund --ignore-scripts @mdn/mdn-http-observatory@1.4.8)
OBS="$TOOLS/obs/node_modules/@mdn/mdn-http-observatory/conf"
echo '{}' > "$OBS/hsts-preload.json"
echo '[]' > "$OBS/tld-list.json"
