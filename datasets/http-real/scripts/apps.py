"""The applications of the corpus: how each is configured, started on 127.0.0.1 and stopped.

Each app runs alone (nothing else of the corpus listens while it is scanned), so what a host serves is what this
app's configuration serves: ``https_port`` is the TLS port of the same host where the app has one. Every process
runs in its own session and is stopped (SIGTERM, then SIGKILL) by ``Running.__exit__``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
APPS = HERE.parent / "apps"
VENVS = Path(os.environ.get("HTTP_REAL_VENVS", "/work/venvs"))
NODE = Path(os.environ.get("HTTP_REAL_NODE", "/work/webcorpus-tools/npmapps/node_modules"))
HOST = "127.0.0.1"
TLS_CERT = "cert.pem"
TLS_KEY = "key.pem"


@dataclass
class App:
    name: str
    family: str
    kind: str                       # what it is, in words (docs table)
    port: int                       # the port the scanners are pointed at
    scheme: str = "http"
    https_port: int | None = None   # the same host's TLS port, where the app serves one
    paths: tuple[str, ...] = ("/",)  # drheader/Observatory targets (Wapiti crawls from the first)
    tls_paths: tuple[str, ...] = ()  # drheader/Observatory targets on the host's TLS port, where it has another
    wapiti: dict = field(default_factory=dict)  # extra Wapiti options: scope, form login
    setup: object = None            # callable(work: Path) -> list of (argv, env-extra) to start

    @property
    def base(self) -> str:
        return f"{self.scheme}://{HOST}:{self.port}"

    def urls(self) -> list[str]:
        tls = [f"https://{HOST}:{self.https_port}{p}" for p in self.tls_paths]
        return [self.base + p for p in self.paths] + tls


# ---------------------------------------------------------------- processes

def wait_port(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} before listening on {port}")
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listened on {HOST}:{port} within {seconds} s") from None
            time.sleep(0.2)


class Running:
    """Start an app's processes (in order, each in its own session); stop every one on exit."""

    def __init__(self, app: App, work: Path):
        self.app, self.work, self.procs = app, work, []

    def __enter__(self):
        self.work.mkdir(parents=True, exist_ok=True)
        os.chmod(self.work, 0o755)
        make_cert(self.work)
        steps = self.app.setup(self.work)
        try:
            for argv, env, port in steps:
                log = open(self.work / f"proc-{len(self.procs)}.log", "wb")
                proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                        env={**os.environ, **env}, cwd=self.work)
                log.close()
                self.procs.append(proc)
                if port:
                    wait_port(port, proc)
            for port in {self.app.port, self.app.https_port} - {None}:
                wait_port(port, self.procs[-1])
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
        for proc in self.procs:  # children that outlived their leader (php-fpm, nginx workers)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def make_cert(work: Path) -> None:
    if not (work / TLS_CERT).exists():
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj",
                        f"/CN={HOST}", "-keyout", str(work / TLS_KEY), "-out", str(work / TLS_CERT)],
                       check=True, capture_output=True, timeout=60)


# ---------------------------------------------------------------- nginx

NGINX_TEMP = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def nginx_conf(work: Path, servers: str) -> Path:
    """Debian's /etc/nginx/nginx.conf as shipped, with its paths moved under ``work`` and ``servers`` as the sites."""
    (work / "tmp").mkdir(exist_ok=True)
    temp = "\n".join(f"    {kind}_temp_path {work / 'tmp' / kind};" for kind in NGINX_TEMP)
    conf = work / "nginx.conf"
    conf.write_text(f"""user www-data;
worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/error.log;
daemon off;
events {{ worker_connections 768; }}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    access_log {work}/access.log;
    gzip on;
{temp}
{servers}
}}
""")
    return conf


def nginx_argv(work: Path, conf: Path) -> list[str]:
    return ["nginx", "-p", str(work), "-c", str(conf)]


def setup_nginx_default(work: Path):
    root = work / "www"
    root.mkdir(exist_ok=True)
    shutil.copy("/var/www/html/index.nginx-debian.html", root)
    # Debian's sites-available/default, listening on the loopback port instead of :80
    conf = nginx_conf(work, f"""
    server {{
        listen {HOST}:18101 default_server;
        root {root};
        index index.html index.htm index.nginx-debian.html;
        server_name _;
        location / {{ try_files $uri $uri/ =404; }}
    }}""")
    return [(nginx_argv(work, conf), {}, 18101)]


HARDENED_NGINX = """
        server_tokens off;
        add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;
        add_header Content-Security-Policy "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'" always;
        add_header X-Content-Type-Options "nosniff" always;
        add_header X-Frame-Options "DENY" always;
        add_header Referrer-Policy "strict-origin-when-cross-origin" always;
        add_header Cross-Origin-Opener-Policy "same-origin" always;
"""


def setup_nginx_hardened(work: Path):
    root = work / "www"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(APPS / "nginx-hardened" / "site", root)
    conf = nginx_conf(work, f"""
    server {{
        listen {HOST}:18102;
        server_name _;
        server_tokens off;
        return 301 https://{HOST}:18143$request_uri;
    }}
    server {{
        listen {HOST}:18143 ssl;
        server_name _;
        ssl_certificate {work / TLS_CERT};
        ssl_certificate_key {work / TLS_KEY};
        ssl_protocols TLSv1.2 TLSv1.3;
        root {root};
        index index.html;
        {HARDENED_NGINX}
        location / {{ try_files $uri $uri/ =404; }}
        location = /session {{
            {HARDENED_NGINX}
            add_header Set-Cookie "session=7d0c1f4e2b; Path=/; Secure; HttpOnly; SameSite=Strict" always;
            return 303 /;
        }}
    }}""")
    return [(nginx_argv(work, conf), {}, 18143)]


# ---------------------------------------------------------------- apache2 (+ php-fpm)

APACHE_MODULES = ("ssl", "headers", "proxy", "proxy_fcgi", "rewrite", "socache_shmcb")


def php_fpm(work: Path) -> tuple[list[str], dict, int | None]:
    conf = work / "php-fpm.conf"
    conf.write_text(f"""[global]
pid = {work}/php-fpm.pid
error_log = {work}/php-fpm.log
daemonize = no
[www]
user = www-data
group = www-data
listen = {work}/php.sock
listen.owner = www-data
listen.group = www-data
pm = static
pm.max_children = 3
""")
    return (["php-fpm8.2", "-F", "-R", "-y", str(conf)], {}, None)


def apache(work: Path, listens: list[int], vhosts: str) -> tuple[list[str], dict, int]:
    """Debian's /etc/apache2/apache2.conf as shipped (mods-enabled, conf-enabled), its ports and sites replaced."""
    shipped = Path("/etc/apache2/apache2.conf").read_text()
    load = "\n".join(f"<IfModule !{m}_module>\n  LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so\n"
                     f"</IfModule>" for m in APACHE_MODULES)
    ports = "\n".join(f"Listen {HOST}:{p}" for p in listens)
    text = shipped.replace("Include ports.conf", f"{load}\n{ports}").replace(
        "IncludeOptional sites-enabled/*.conf", vhosts)
    conf = work / "apache2.conf"
    conf.write_text(text)
    (work / "run").mkdir(exist_ok=True)
    env = {"APACHE_RUN_USER": "www-data", "APACHE_RUN_GROUP": "www-data", "APACHE_PID_FILE": str(work / "apache2.pid"),
           "APACHE_RUN_DIR": str(work / "run"), "APACHE_LOCK_DIR": str(work / "run"), "APACHE_LOG_DIR": str(work),
           "LANG": "C"}
    return (["apache2", "-d", "/etc/apache2", "-f", str(conf), "-DFOREGROUND"], env, listens[0])


def php_handler(work: Path) -> str:
    return f"""<FilesMatch ".+\\.php$">
        SetHandler "proxy:unix:{work}/php.sock|fcgi://localhost"
    </FilesMatch>"""


def setup_apache_default(work: Path):
    # Debian's sites-available/000-default.conf (DocumentRoot /var/www/html, the "It works" page), port moved
    return [apache(work, [18111], f"""<VirtualHost {HOST}:18111>
    ServerAdmin webmaster@localhost
    DocumentRoot /var/www/html
    ErrorLog {work}/error.log
    CustomLog {work}/access.log combined
</VirtualHost>""")]


def tls_vhost(work: Path, port: int, inner: str) -> str:
    return f"""<VirtualHost {HOST}:{port}>
    SSLEngine on
    SSLCertificateFile {work / TLS_CERT}
    SSLCertificateKeyFile {work / TLS_KEY}
    {inner}
</VirtualHost>"""


def setup_apache_hardened(work: Path):
    root = work / "www"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(APPS / "nginx-hardened" / "site", root)
    inner = f"""DocumentRoot {root}
    <Directory {root}>
        Options -Indexes
        Require all granted
    </Directory>
    ServerSignature Off
    TraceEnable Off
    Header always set Strict-Transport-Security "max-age=31536000; includeSubDomains"
    Header always set Content-Security-Policy "default-src 'self'; frame-ancestors 'self'; object-src 'none'"
    Header always set X-Content-Type-Options "nosniff"
    Header always set Referrer-Policy "no-referrer"
    Header always set Permissions-Policy "geolocation=(), camera=()"
    <Location /server-status>
        Require all denied
    </Location>"""
    vhosts = f"""ServerTokens Prod
<VirtualHost {HOST}:18112>
    Redirect permanent / https://{HOST}:18153/
</VirtualHost>
{tls_vhost(work, 18153, inner)}"""
    return [apache(work, [18153, 18112], vhosts)]


def setup_dokuwiki(work: Path):
    # Debian's dokuwiki.conf (Alias /dokuwiki, localhost only) on plain HTTP, and the same wiki on a TLS port
    inner = f"""Include /etc/apache2/conf-available/dokuwiki.conf
    {php_handler(work)}
    RedirectMatch ^/$ /dokuwiki/"""
    vhosts = f"""<VirtualHost {HOST}:18121>
    {inner}
</VirtualHost>
{tls_vhost(work, 18122, inner)}"""
    return [php_fpm(work), apache(work, [18121, 18122], vhosts)]


def setup_phpmyadmin(work: Path):
    vhosts = f"""<VirtualHost {HOST}:18131>
    Include /etc/phpmyadmin/apache.conf
    {php_handler(work)}
    RedirectMatch ^/$ /phpmyadmin/
</VirtualHost>"""
    return [php_fpm(work), apache(work, [18131], vhosts)]


# ---------------------------------------------------------------- Python apps (PyPI)

def venv_bin(name: str) -> str:
    return str(VENVS / "wc-apps" / "bin" / name)


def setup_django(work: Path):
    if not (work / "manage.py").exists():
        subprocess.run([venv_bin("django-admin"), "startproject", "mysite", str(work)], check=True, timeout=120)
        settings = work / "mysite" / "settings.py"
        text = settings.read_text().replace("ALLOWED_HOSTS = []", "ALLOWED_HOSTS = ['127.0.0.1', 'localhost']")
        settings.write_text(text)
        py = venv_bin("python")
        env = {**os.environ, "DJANGO_SUPERUSER_PASSWORD": "corpus-admin-7f3a"}
        subprocess.run([py, "manage.py", "migrate", "-v", "0"], cwd=work, check=True, timeout=300, env=env)
        subprocess.run([py, "manage.py", "createsuperuser", "--noinput", "--username", "admin", "--email",
                        "admin@example.test"], cwd=work, check=True, timeout=120, env=env)
    # runserver as startproject leaves it (DEBUG = True), and a TLS terminator on another port of the same host
    conf = nginx_conf(work, f"""
    server {{
        listen {HOST}:18144 ssl;
        ssl_certificate {work / TLS_CERT};
        ssl_certificate_key {work / TLS_KEY};
        location / {{ proxy_pass http://{HOST}:18141; proxy_set_header Host $http_host;
                      proxy_set_header X-Forwarded-Proto https; }}
    }}""")
    return [([venv_bin("python"), "manage.py", "runserver", f"{HOST}:18141", "--noreload"], {}, 18141),
            (nginx_argv(work, conf), {}, 18144)]


def setup_jupyter(work: Path):
    (work / "notebooks").mkdir(exist_ok=True)
    return [([venv_bin("jupyter"), "notebook", "--no-browser", "--allow-root", f"--ServerApp.ip={HOST}",
              "--ServerApp.port=18151", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={work / 'notebooks'}",
              "--ServerApp.token=corpus-token-5b9e1c"], {"HOME": str(work), "JUPYTER_RUNTIME_DIR": str(work / "rt")},
             18151)]


def setup_datasette(work: Path):
    db = work / "staff.db"
    if not db.exists():
        con = sqlite3.connect(db)
        con.execute("create table staff (id integer primary key, name text, email text, phone text, team text)")
        con.executemany("insert into staff (name, email, phone, team) values (?, ?, ?, ?)",
                        [(f"Person {i}", f"person{i}@example.test", f"+44 20 7946 0{i:03d}", ("ops", "web", "data")[i % 3])
                         for i in range(40)])
        con.execute("create table teams (name text primary key, floor integer)")
        con.executemany("insert into teams values (?, ?)", [("ops", 1), ("web", 2), ("data", 3)])
        con.commit()
        con.close()
    return [([venv_bin("datasette"), "serve", str(db), "-h", HOST, "-p", "18161", "--cors"], {}, 18161)]


def setup_radicale(work: Path):
    conf = work / "radicale.conf"
    conf.write_text(f"""[server]
hosts = {HOST}:18201
[auth]
type = none
[storage]
filesystem_folder = {work}/collections
""")
    return [(["/usr/bin/radicale", "--config", str(conf)], {}, 18201)]


# ---------------------------------------------------------------- npm apps

def setup_json_server(work: Path):
    db = work / "db.json"
    users = [{"id": str(i), "name": f"User {i}", "email": f"user{i}@example.test", "api_key": f"k{i:04d}-{i * 7919:08x}"}
             for i in range(1, 13)]
    posts = [{"id": str(i), "title": f"Release notes {i}", "userId": str(1 + i % 12)} for i in range(1, 9)]
    import json
    db.write_text(json.dumps({"users": users, "posts": posts, "profile": {"name": "admin"}}, indent=2))
    return [([str(NODE / ".bin" / "json-server"), "--host", HOST, "--port", "18171", str(db)], {}, 18171)]


def setup_static_svg(work: Path):
    root = work / "www"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(APPS / "static-svg" / "site", root)
    return [([str(NODE / ".bin" / "http-server"), str(root), "-a", HOST, "-p", "18181", "--cors", "-c", "3600"],
             {}, 18181)]


def setup_node_red(work: Path):
    user = work / "nodered"
    user.mkdir(exist_ok=True)
    (user / "settings.js").write_text(textwrap.dedent(f"""\
        module.exports = {{
            uiHost: "{HOST}",
            uiPort: 18191,
            flowFile: "flows.json",
            credentialSecret: "corpus-secret",
            logging: {{ console: {{ level: "warn" }} }},
            editorTheme: {{ tours: false }}
        }};
        """))
    return [([str(NODE / ".bin" / "node-red"), "--userDir", str(user), "--settings", str(user / "settings.js")],
             {"HOME": str(work)}, 18191)]


APPS_LIST = [
    App("nginx-default", "nginx", "web server, Debian default site", 18101, setup=setup_nginx_default,
        paths=("/", "/index.nginx-debian.html", "/missing-page")),
    App("nginx-hardened", "nginx", "web server, hardened site over HTTPS (HTTP redirects)", 18143, scheme="https",
        https_port=18143, setup=setup_nginx_hardened, paths=("/", "/login.html", "/docs/", "/logo.svg", "/style.css")),
    App("apache2-default", "apache2", "web server, Debian default site", 18111, setup=setup_apache_default,
        paths=("/", "/server-status", "/icons/", "/missing-page")),
    App("apache2-hardened", "apache2", "web server, hardened site over HTTPS (HTTP redirects)", 18153,
        scheme="https", https_port=18153, setup=setup_apache_hardened,
        paths=("/", "/login.html", "/docs/", "/logo.svg")),
    App("dokuwiki", "dokuwiki", "wiki (Debian dokuwiki, php-fpm), plain HTTP; same wiki on a TLS port", 18121,
        https_port=18122, setup=setup_dokuwiki, wapiti={"start": "/dokuwiki/"},
        tls_paths=("/dokuwiki/doku.php", "/dokuwiki/doku.php?do=login"),
        paths=("/dokuwiki/doku.php", "/dokuwiki/doku.php?do=login", "/dokuwiki/doku.php?do=register",
               "/dokuwiki/doku.php?do=search&q=wiki", "/dokuwiki/lib/exe/css.php")),
    App("phpmyadmin", "phpmyadmin", "database admin login (Debian phpmyadmin, php-fpm)", 18131,
        setup=setup_phpmyadmin, wapiti={"start": "/phpmyadmin/"}, paths=("/phpmyadmin/", "/phpmyadmin/index.php?route=/", "/phpmyadmin/setup/", "/phpmyadmin/robots.txt")),
    App("django-admin", "django", "Django admin (startproject defaults, runserver); TLS proxy on another port", 18141,
        https_port=18144, setup=setup_django,
        paths=("/admin/login/", "/admin/", "/admin/password_reset/", "/missing-page"), tls_paths=("/admin/login/",),
        wapiti={"start": "/admin/", "form": ("/admin/login/?next=/admin/", "admin", "corpus-admin-7f3a")}),
    App("jupyter-notebook", "jupyter", "notebook server (jupyter notebook, token login)", 18151, setup=setup_jupyter,
        paths=("/login", "/tree", "/api", "/api/contents")),
    App("datasette", "datasette", "JSON API and HTML tables (datasette --cors)", 18161, setup=setup_datasette,
        paths=("/", "/staff", "/staff/staff.json", "/staff/staff", "/-/versions.json")),
    App("json-server", "json-server", "JSON REST API (npm json-server)", 18171, setup=setup_json_server,
        paths=("/users", "/users/1", "/posts", "/profile", "/")),
    App("static-svg", "http-server", "static site with SVG (npm http-server --cors)", 18181, setup=setup_static_svg,
        paths=("/", "/about.html", "/logo.svg", "/chart.svg", "/app.js")),
    App("node-red", "node-red", "flow editor dashboard (npm node-red)", 18191, setup=setup_node_red,
        paths=("/", "/settings", "/flows", "/red/red.min.js")),
    App("radicale", "radicale", "CalDAV/CardDAV server with web UI (Debian radicale)", 18201, setup=setup_radicale, wapiti={"start": "/.web/"},
        paths=("/.web/", "/", "/.web/js/main.js")),
]
APPS_BY_NAME = {a.name: a for a in APPS_LIST}
