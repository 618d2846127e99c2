"""Template families: the kinds of software real scanners meet, each able to render its typical pages.

A ``Family`` holds what makes one kind of site look like itself (banners, cookie and token names, paths,
default page, error pages, backup files); ``render.render(family, kind, ctx, ...)`` builds a ``Page`` of one
kind (home, login, admin, settings, search, JSON APIs, static assets, error pages) for it. The family is the
unit of the train/validation split.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

from .pages import html_doc


@dataclass(frozen=True)
class Family:
    name: str
    subdomains: list
    servers: list                      # Server header values (with and without versions)
    title: str
    session: str                       # the session cookie
    token_field: str | None = None     # the anti-CSRF form field
    csrf_cookie: str | None = None     # a CSRF double-submit cookie
    powered: list = field(default_factory=list)     # X-Powered-By values ([] = never sent)
    banners: list = field(default_factory=list)     # other (header, value) banners
    login: str = "/login"
    admin: str = "/admin/"
    settings: str = "/account/settings"
    search: tuple = ("/search", "q")
    api_users: str = "/api/v1/users"
    api_public: str = "/api/v1/status"
    home: Callable | None = None       # ctx -> inner HTML of the home page
    trace: Callable | None = None      # ctx -> (content type, body) of a 500 that leaks internals
    error: Callable | None = None      # ctx -> (content type, body) of a generic 5xx page
    backups: tuple = ()                # (path, kind) where kind in source|dump|archive|config
    static: str = "/static"


# ---------------------------------------------------------------- home pages and error bodies

def _nginx_home(ctx):
    return ("<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and"
            " working. Further configuration is required.</p>\n<p>For online documentation and support please refer"
            " to <a href=\"http://nginx.org/\">nginx.org</a>.<br/>\nCommercial support is available at"
            " <a href=\"http://nginx.com/\">nginx.com</a>.</p>\n<p><em>Thank you for using nginx.</em></p>")


def _apache_home(ctx):
    return ctx.rng.choice([
        "<h1>It works!</h1>",
        "<div class=\"main_page\"><div class=\"page_header floating_element\"><span class=\"floating_element\">"
        "Apache2 Debian Default Page</span></div><div class=\"section_header\">It works!</div><p>This is the "
        "default welcome page used to test the correct operation of the Apache2 server after installation on "
        "Debian systems.</p></div>",
        "<h1>Apache2 Ubuntu Default Page</h1><p>You should replace this file (located at "
        "<tt>/var/www/html/index.html</tt>) before continuing to operate your HTTP server.</p>",
    ])


def _iis_home(ctx):
    return ("<div id=\"container\"><a href=\"http://go.microsoft.com/fwlink/?linkid=66138&amp;clcid=0x409\">"
            "<img src=\"iisstart.png\" alt=\"IIS\" width=\"960\" height=\"600\" /></a></div>")


def _tomcat_home(ctx):
    v = ctx.rng.choice(["9.0.85", "10.1.19", "8.5.98"])
    return (f"<div id=\"navigation\"><span><a href=\"https://tomcat.apache.org/\">Home</a></span></div>"
            f"<h2>If you're seeing this, you've successfully installed Tomcat. Congratulations!</h2>"
            f"<div id=\"upper\"><h3>Apache Tomcat/{v}</h3><a href=\"/manager/html\">Manager App</a>"
            f" <a href=\"/manager/status\">Server Status</a></div>")


TAGLINES = ["Welcome back.", "Latest updates below.", "Everything your team needs in one place."]


def _app_home(product):
    def home(ctx):
        items = "".join(f"<li><a href=\"/item/{ctx.rng.randrange(100, 999)}\">{w}</a></li>" for w in
                        ctx.rng.sample(["Pricing", "Docs", "Blog", "Careers", "Support", "Changelog", "About",
                                        "Contact", "Status", "Community"], 4))
        return (f"<header><nav><a href=\"/\">{product}</a><ul>{items}</ul></nav></header>\n<main><h1>"
                f"{ctx.org.title()} {product}</h1><p>{ctx.rng.choice(TAGLINES)}</p></main>")
    return home


def _wiki_home(ctx):
    return ("<div id=\"dokuwiki__site\"><div id=\"dokuwiki__top\" class=\"site dokuwiki mode_show tpl_dokuwiki\">"
            "<div class=\"page group\"><h1 class=\"sectionedit1\" id=\"start\">Welcome to your new DokuWiki</h1>"
            "<p>Congratulations, your wiki is now up and running.</p></div></div></div>")


def _jupyter_home(ctx):
    return ("<div id=\"header\"><span id=\"ipython_notebook\"><a href=\"/tree\" title=\"dashboard\">Jupyter</a>"
            "</span></div><div id=\"site\"><div id=\"notebook_list\"><div class=\"list_item row\">"
            f"<a href=\"/notebooks/{ctx.rng.choice(['analysis', 'etl', 'report'])}.ipynb\">notebook</a>"
            "</div></div></div>")


def _grafana_home(ctx):
    return ("<div class=\"grafana-app\"><script nonce=\"\">window.grafanaBootData = {settings: {appSubUrl: \"\","
            " buildInfo: {edition: \"Open Source\"}}};</script></div>")


def _kibana_home(ctx):
    return ("<kbn-csp data=\"{&quot;strictCsp&quot;:true}\"></kbn-csp><div class=\"kbnWelcomeView\" "
            "data-test-subj=\"kbnLoadingMessage\"><div class=\"kbnWelcomeText\">Loading Elastic</div></div>")


def _trace_python(ctx):
    return "text/html; charset=utf-8", html_doc("Internal Server Error", (
        "<h1>Internal Server Error</h1><pre>Traceback (most recent call last):\n"
        "  File \"/usr/src/app/venv/lib/python3.11/site-packages/flask/app.py\", line 1484, in full_dispatch_request\n"
        "    rv = self.dispatch_request()\n"
        f"  File \"/usr/src/app/app/views.py\", line {ctx.rng.randrange(20, 400)}, in profile\n"
        "    user = db.session.execute(text(q)).one()\n"
        "sqlalchemy.exc.NoResultFound: No row was found when one was required</pre>"))


def _trace_django(ctx):
    return "text/html; charset=utf-8", html_doc("OperationalError at /account/", (
        "<div id=\"summary\"><h1>OperationalError at /account/</h1><pre class=\"exception_value\">no such table: "
        "accounts_profile</pre><table class=\"meta\"><tr><th>Django Version:</th><td>4.2.11</td></tr>"
        "<tr><th>Exception Location:</th><td>/srv/app/venv/lib/python3.10/site-packages/django/db/backends/"
        "sqlite3/base.py, line 328, in execute</td></tr></table></div><div id=\"explanation\"><p>You're seeing "
        "this error because you have <code>DEBUG = True</code> in your Django settings file.</p></div>"))


def _trace_java(ctx):
    return "text/html;charset=utf-8", html_doc("HTTP Status 500 – Internal Server Error", (
        "<h1>HTTP Status 500 – Internal Server Error</h1><p><b>Exception</b></p><pre>java.lang.NullPointerException\n"
        f"\tat com.{ctx.org}.web.OrderController.show(OrderController.java:{ctx.rng.randrange(30, 300)})\n"
        "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)\n"
        "\tat javax.servlet.http.HttpServlet.service(HttpServlet.java:764)</pre>"))


def _trace_php(ctx):
    return "text/html; charset=UTF-8", (
        "<br />\n<b>Fatal error</b>:  Uncaught PDOException: SQLSTATE[42S02]: Base table or view not found: 1146 "
        f"Table '{ctx.org}.users' doesn't exist in /var/www/html/includes/db.php:{ctx.rng.randrange(10, 90)}\n"
        "Stack trace:\n#0 /var/www/html/includes/db.php(42): PDO->query('SELECT * FROM u...')\n"
        "#1 /var/www/html/login.php(17): find_user('admin')\n#2 {main}\n  thrown in <b>/var/www/html/includes/db.php"
        "</b> on line <b>42</b><br />\n")


def _trace_node(ctx):
    return "text/html; charset=utf-8", html_doc("Error", (
        "<pre>TypeError: Cannot read properties of undefined (reading 'id')<br> &nbsp; &nbsp;at "
        "/usr/src/app/routes/orders.js:58:31<br> &nbsp; &nbsp;at Layer.handle [as handle_request] "
        "(/usr/src/app/node_modules/express/lib/router/layer.js:95:5)</pre>"))


def _trace_aspnet(ctx):
    return "text/html; charset=utf-8", html_doc("Runtime Error", (
        "<h1>Server Error in '/' Application.</h1><h2><i>Object reference not set to an instance of an object."
        "</i></h2><b>Exception Details: </b>System.NullReferenceException: Object reference not set to an instance"
        " of an object.<br><b>Source File: </b> C:\\inetpub\\wwwroot\\Controllers\\AccountController.cs"
        f"<b> &nbsp; &nbsp;Line: </b> {ctx.rng.randrange(20, 200)}"))


def _trace_laravel(ctx):
    return "text/html; charset=UTF-8", html_doc("Whoops! There was an error.", (
        "<div class=\"exception\">Illuminate\\Database\\QueryException<br>SQLSTATE[HY000] [2002] Connection refused "
        "(SQL: select * from `users` where `email` = ? limit 1)</div><div class=\"frame\">"
        "/var/www/app/vendor/laravel/framework/src/Illuminate/Database/Connection.php:760</div>"))


def _trace_rails(ctx):
    return "text/html; charset=utf-8", html_doc("Action Controller: Exception caught", (
        "<h1>ActiveRecord::StatementInvalid in UsersController#show</h1><pre>PG::UndefinedColumn: ERROR:  column "
        "users.nickname does not exist</pre><div id=\"Application-Trace\"><pre><code>app/controllers/"
        "users_controller.rb:14:in `show'</code></pre></div><p>Rails.root: /home/deploy/app</p>"))


def _generic_error(kind):
    def err(ctx):
        rng = ctx.rng
        choices = {
            "nginx": ("text/html", "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>"
                                   "502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
                                   "</html>\r\n"),
            "apache": ("text/html; charset=iso-8859-1", "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html>"
                       "<head>\n<title>500 Internal Server Error</title>\n</head><body>\n<h1>Internal Server Error</h1>"
                       "\n<p>The server encountered an internal error or\nmisconfiguration and was unable to complete"
                       "\nyour request.</p>\n</body></html>\n"),
            "app": ("text/html; charset=utf-8", html_doc("Something went wrong", (
                f"<h1>Sorry, something went wrong.</h1><p>Our team has been notified. Reference: "
                f"{ctx.hexid(12)}</p><a href=\"/\">Back to the home page</a>"))),
            "json": ("application/json", json.dumps({"error": "internal_error", "message": "An unexpected error "
                                                     "occurred", "request_id": ctx.hexid(16)})),
            "spring": ("text/html;charset=UTF-8", "<html><body><h1>Whitelabel Error Page</h1><p>This application "
                       "has no explicit mapping for /error, so you are seeing this as a fallback.</p><div id='created'>"
                       f"{ctx.http_date()}</div><div>There was an unexpected error (type=Internal Server Error, "
                       "status=500).</div></body></html>"),
            "iis": ("text/html", html_doc("500 - Internal server error.", "<div id=\"header\"><h1>Server Error</h1>"
                    "</div><div id=\"content\"><fieldset><h2>500 - Internal server error.</h2><h3>There is a problem"
                    " with the resource you are looking for, and it cannot be displayed.</h3></fieldset></div>")),
        }
        return choices[kind if kind != "mixed" else rng.choice(["app", "json", "nginx"])]
    return err


FAMILIES: list[Family] = [
    Family("nginx-default-page", ["", "www", "web", "edge"], ["nginx/1.24.0", "nginx", "nginx/1.18.0 (Ubuntu)",
           "nginx/1.22.1"], "Welcome to nginx!", "sessionid", home=_nginx_home, trace=_trace_php,
           error=_generic_error("nginx"), backups=(("/index.php.bak", "source"), ("/backup.zip", "archive"),
                                                  ("/.env", "config"))),
    Family("apache-default-page", ["", "www", "intranet"],
           ["Apache/2.4.57 (Debian)", "Apache", "Apache/2.4.41 (Ubuntu)", "Apache/2"], "Apache2 Default Page",
           "PHPSESSID", powered=["PHP/8.2.12", "PHP/7.4.33"],
           home=_apache_home, trace=_trace_php, error=_generic_error("apache"),
           backups=(("/www.tar.gz", "archive"), ("/config.php~", "source"), ("/db.sql", "dump"))),
    Family("iis-default-page", ["", "www", "portal"], ["Microsoft-IIS/10.0", "Microsoft-IIS/8.5", "Microsoft-IIS"],
           "IIS Windows Server", "ASP.NET_SessionId", token_field="__RequestVerificationToken",
           powered=["ASP.NET"], banners=[("X-AspNet-Version", "4.0.30319")], home=_iis_home, trace=_trace_aspnet,
           error=_generic_error("iis"), login="/Account/Login", settings="/Manage/ChangePassword",
           backups=(("/web.config.bak", "config"), ("/site.zip", "archive"))),
    Family("tomcat-default-page", ["", "app", "java"], ["Apache-Coyote/1.1", "Apache Tomcat/9.0.85", ""],
           "Apache Tomcat", "JSESSIONID", home=_tomcat_home, trace=_trace_java, error=_generic_error("app"),
           admin="/manager/html", backups=(("/ROOT.war", "archive"), ("/WEB-INF/web.xml.bak", "config"))),
    Family("php-login-app", ["", "members", "portal"], ["Apache/2.4.57 (Debian)", "nginx", "Apache"], "Member area",
           "PHPSESSID", token_field="csrf_token", powered=["PHP/8.1.27", "PHP/5.6.40", "PHP"],
           home=_app_home("Members"), trace=_trace_php, error=_generic_error("apache"), login="/login.php",
           admin="/admin/index.php", settings="/profile.php", search=("/search.php", "q"),
           backups=(("/login.php.bak", "source"), ("/dump.sql", "dump"), ("/backup.tar.gz", "archive"))),
    Family("wordpress-cms", ["", "www", "blog", "news"], ["nginx", "Apache/2.4.58", "LiteSpeed"],
           "Just another WordPress site", "wordpress_logged_in_" + "5c7e1d3f", token_field="_wpnonce",
           powered=["PHP/8.2.15", "PHP"], banners=[("X-Generator", "WordPress 6.4.3")], home=_app_home("Blog"),
           trace=_trace_php, error=_generic_error("app"), login="/wp-login.php", admin="/wp-admin/",
           settings="/wp-admin/options-general.php", search=("/", "s"), api_users="/wp-json/wp/v2/users",
           api_public="/wp-json/wp/v2/posts", static="/wp-content/themes/twentytwentyfour",
           backups=(("/wp-config.php.bak", "config"), ("/wp-config.php~", "config"), ("/wordpress.zip", "archive"))),
    Family("drupal-cms", ["", "www", "cms"], ["Apache/2.4.57 (Debian)", "nginx"], "Drupal",
           "SESS5f3c0a9e2b7d41c6a8e0f9b3d2c1a7e4", token_field="form_token", powered=["PHP/8.1.27"],
           banners=[("X-Generator", "Drupal 10 (https://www.drupal.org)")],
           home=_app_home("Portal"), trace=_trace_php, error=_generic_error("app"), login="/user/login",
           admin="/admin/content", settings="/user/1/edit", search=("/search/node", "keys"),
           api_users="/jsonapi/user/user", api_public="/jsonapi/node/article",
           backups=(("/sites/default/settings.php.bak", "config"), ("/drupal.sql", "dump"))),
    Family("magento-shop", ["shop", "store", "www"], ["nginx/1.20.2", "nginx", "Apache"], "Shop", "PHPSESSID",
           token_field="form_key", powered=["PHP/8.1.27"], home=_app_home("Store"), trace=_trace_php,
           error=_generic_error("app"), login="/customer/account/login/", admin="/admin/",
           settings="/customer/account/edit/", search=("/catalogsearch/result/", "q"),
           api_users="/rest/V1/customers/me", api_public="/rest/V1/products?searchCriteria[pageSize]=5",
           backups=(("/app/etc/env.php.bak", "config"), ("/var/backups/db.sql.gz", "archive"))),
    Family("django-admin", ["", "admin", "app"], ["gunicorn", "nginx/1.24.0", "WSGIServer/0.2 CPython/3.11.8"],
           "Django site admin", "sessionid", token_field="csrfmiddlewaretoken", csrf_cookie="csrftoken",
           home=_app_home("Console"), trace=_trace_django, error=_generic_error("app"), login="/admin/login/",
           admin="/admin/", settings="/admin/password_change/", search=("/admin/auth/user/", "q"),
           api_users="/api/users/", api_public="/api/health/",
           backups=(("/db.sqlite3", "archive"), ("/settings.py.bak", "source"))),
    Family("flask-app", ["", "app", "tools"], ["Werkzeug/3.0.1 Python/3.11.8", "gunicorn", "nginx"], "Dashboard",
           "session", token_field="csrf_token", home=_app_home("Tools"), trace=_trace_python,
           error=_generic_error("app"), login="/auth/login", admin="/admin/", settings="/settings",
           backups=(("/app.py.bak", "source"), ("/config.py~", "source"))),
    Family("rails-app", ["", "app", "www"], ["nginx", "Puma", "nginx/1.24.0 + Phusion Passenger 6.0.20"], "App",
           "_myapp_session", token_field="authenticity_token", powered=["Phusion Passenger 6.0.20"],
           home=_app_home("Workspace"), trace=_trace_rails, error=_generic_error("app"), login="/users/sign_in",
           admin="/admin", settings="/users/edit", api_users="/api/v1/users.json",
           backups=(("/config/database.yml.bak", "config"), ("/db/production.sql", "dump"))),
    Family("laravel-app", ["", "app", "crm"], ["nginx/1.25.3", "nginx", "Apache"], "CRM", "laravel_session",
           token_field="_token", csrf_cookie="XSRF-TOKEN", powered=["PHP/8.3.2", "PHP"], home=_app_home("CRM"),
           trace=_trace_laravel, error=_generic_error("app"), login="/login", admin="/admin/dashboard",
           settings="/user/profile",
           backups=(("/.env", "config"), ("/.env.bak", "config"), ("/storage.zip", "archive"))),
    Family("express-api", ["api", "", "backend"], ["", "nginx"], "API", "connect.sid", token_field="_csrf",
           csrf_cookie="_csrf", powered=["Express"], home=_app_home("API"), trace=_trace_node,
           error=_generic_error("json"), login="/login", admin="/admin", settings="/account",
           api_users="/api/users", api_public="/api/products",
           backups=(("/package.json.bak", "source"), ("/.env.backup", "config"))),
    Family("spring-boot-app", ["", "app", "orders"], ["", "Apache-Coyote/1.1", "nginx"], "Orders", "JSESSIONID",
           token_field="_csrf", home=_app_home("Orders"), trace=_trace_java, error=_generic_error("spring"),
           login="/login", admin="/actuator/env", settings="/account/password", api_users="/api/customers",
           api_public="/actuator/health",
           backups=(("/application.properties.bak", "config"), ("/app.jar", "archive"))),
    Family("aspnet-mvc", ["", "portal", "extranet"], ["Microsoft-IIS/10.0", "Kestrel", "Microsoft-HTTPAPI/2.0"],
           "Portal", ".AspNetCore.Session", token_field="__RequestVerificationToken",
           powered=["ASP.NET"], banners=[("X-AspNetMvc-Version", "5.2")], home=_app_home("Portal"),
           trace=_trace_aspnet, error=_generic_error("iis"), login="/Account/Login", admin="/Admin",
           settings="/Manage/Index", api_users="/api/users", backups=(("/appsettings.json.bak", "config"),)),
    Family("dokuwiki", ["wiki", "docs", "kb"], ["Apache/2.4.57 (Debian)", "nginx", "Apache"], "DokuWiki",
           "DokuWiki", token_field="sectok", powered=["PHP/8.2.12", "PHP"], home=_wiki_home, trace=_trace_php,
           error=_generic_error("apache"), login="/doku.php?id=start&do=login", admin="/doku.php?id=start&do=admin",
           settings="/doku.php?id=start&do=profile", search=("/doku.php", "q"), api_public="/lib/exe/opensearch.php",
           static="/lib/tpl/dokuwiki", backups=(("/conf/local.php.bak", "source"), ("/data.tar.gz", "archive"))),
    Family("mediawiki", ["wiki", "w"], ["Apache/2.4.57 (Debian)", "nginx"], "MediaWiki", "my_wiki_session",
           token_field="wpEditToken", powered=["PHP/8.1.27"], home=_app_home("Wiki"), trace=_trace_php,
           error=_generic_error("apache"), login="/index.php?title=Special:UserLogin",
           admin="/index.php?title=Special:UserRights", settings="/index.php?title=Special:Preferences",
           search=("/index.php", "search"), api_public="/api.php?action=query&meta=siteinfo&format=json",
           backups=(("/LocalSettings.php.bak", "source"), ("/LocalSettings.php~", "source"))),
    Family("jupyter-notebook", ["jupyter", "notebook", "lab"], ["TornadoServer/6.4", "TornadoServer/6.3.3",
           "nginx"], "Jupyter Notebook", "jupyterhub-session-id", token_field="_xsrf", csrf_cookie="_xsrf",
           home=_jupyter_home, trace=_trace_python, error=_generic_error("app"), login="/login",
           admin="/hub/admin", settings="/hub/token", search=("/tree", "filter"), api_users="/hub/api/users",
           api_public="/api/status", static="/static/notebook",
           backups=(("/jupyter_notebook_config.py.bak", "source"),)),
    Family("grafana-dashboard", ["grafana", "metrics", "monitor"], ["", "nginx"], "Grafana", "grafana_session",
           home=_grafana_home, trace=_trace_node, error=_generic_error("json"), login="/login",
           admin="/admin/users", settings="/profile/password", search=("/dashboards", "query"),
           api_users="/api/users", api_public="/api/health", static="/public/build",
           backups=(("/grafana.ini.bak", "config"), ("/grafana.db", "archive"))),
    Family("kibana-dashboard", ["kibana", "logs", "elk"], ["", "nginx/1.24.0"], "Elastic", "sid",
           home=_kibana_home, trace=_trace_node, error=_generic_error("json"), login="/login",
           admin="/app/management/security/users", settings="/security/account", search=("/app/discover", "query"),
           api_users="/internal/security/users", api_public="/api/status", static="/ui",
           backups=(("/kibana.yml.bak", "config"),)),
    Family("phpmyadmin", ["db", "pma", "mysql"], ["Apache/2.4.57 (Debian)", "nginx", "Apache"], "phpMyAdmin",
           "phpMyAdmin", token_field="token", powered=["PHP/8.2.12"], home=_app_home("phpMyAdmin"),
           trace=_trace_php, error=_generic_error("apache"), login="/index.php?route=/",
           admin="/index.php?route=/server/privileges",
           settings="/index.php?route=/preferences/manage", search=("/index.php", "route"),
           backups=(("/config.inc.php.bak", "source"), ("/dump.sql", "dump"))),
    Family("gitea-forge", ["git", "code", "gitea"], ["", "nginx"], "Gitea: Git with a cup of tea", "i_like_gitea",
           token_field="_csrf", csrf_cookie="_csrf", home=_app_home("Gitea"), trace=_trace_node,
           error=_generic_error("app"), login="/user/login", admin="/-/admin", settings="/user/settings",
           search=("/explore/repos", "q"), api_users="/api/v1/admin/users", api_public="/api/v1/version",
           backups=(("/app.ini.bak", "config"), ("/gitea-dump.zip", "archive"))),
    Family("static-docs-site", ["docs", "www", "cdn", "static"], ["nginx", "AmazonS3", "cloudflare", "nginx/1.25.4",
           "Netlify"], "Documentation", "_session_id", home=_app_home("Docs"), trace=_trace_node,
           error=_generic_error("nginx"), login="/admin/login", admin="/admin/", settings="/admin/settings",
           api_public="/search-index.json", static="/assets",
           backups=(("/site.tar.gz", "archive"), ("/_config.yml.bak", "config"))),
    Family("fastapi-service", ["api", "svc", ""], ["uvicorn", "nginx", "uvicorn/0.29.0"], "FastAPI",
           "access_token", home=_app_home("API"), trace=_trace_python, error=_generic_error("json"),
           login="/auth/login", admin="/admin", settings="/users/me/settings", api_users="/users/",
           api_public="/openapi.json", backups=(("/main.py.bak", "source"), ("/.env.old", "config"))),
]
FAMILIES += [
    Family("jenkins-ci", ["ci", "jenkins", "build"], ["Jetty(10.0.20)", "Jetty(9.4.53.v20231009)", "nginx", ""],
           "Dashboard [Jenkins]", "JSESSIONID.8c1f2a3b", token_field="Jenkins-Crumb",
           banners=[("X-Jenkins", "2.440.1"), ("X-Hudson", "1.395")], home=_app_home("Jenkins"),
           trace=_trace_java, error=_generic_error("app"), login="/login", admin="/manage/",
           settings="/user/admin/configure", search=("/search/", "q"), api_users="/asynchPeople/api/json",
           api_public="/api/json?tree=mode", static="/static/8c1f2a3b",
           backups=(("/config.xml.bak", "config"), ("/jenkins.war", "archive"))),
    Family("keycloak-sso", ["sso", "auth", "id"], ["", "nginx"], "Sign in to your account", "AUTH_SESSION_ID",
           home=_app_home("Keycloak"), trace=_trace_java, error=_generic_error("app"),
           login="/realms/master/protocol/openid-connect/auth", admin="/admin/master/console/",
           settings="/realms/master/account/", api_users="/admin/realms/master/users",
           api_public="/realms/master/.well-known/openid-configuration", static="/resources/x1y2z",
           backups=(("/standalone.xml.bak", "config"),)),
    Family("nextcloud-files", ["cloud", "files", "nc"], ["Apache/2.4.57 (Debian)", "nginx"], "Nextcloud",
           "oc_sessionPassphrase", token_field="requesttoken", powered=["PHP/8.2.12"], home=_app_home("Files"),
           trace=_trace_php, error=_generic_error("apache"), login="/login", admin="/settings/admin",
           settings="/settings/user/security", search=("/search", "term"), api_users="/ocs/v1.php/cloud/users",
           api_public="/status.php", static="/core/css",
           backups=(("/config/config.php.bak", "source"), ("/nextcloud.tar.bz2", "archive"))),
    Family("roundcube-webmail", ["mail", "webmail"], ["Apache/2.4.57 (Debian)", "nginx", "Apache"],
           "Roundcube Webmail :: Welcome", "roundcube_sessid", token_field="_token", powered=["PHP/8.1.27"],
           home=_app_home("Webmail"), trace=_trace_php, error=_generic_error("apache"), login="/?_task=login",
           admin="/?_task=settings&_action=preferences", settings="/?_task=settings&_action=save-pref",
           search=("/", "_q"), api_public="/?_task=utils&_action=html2text",
           backups=(("/config/config.inc.php.bak", "source"), ("/roundcube.sql", "dump"))),
    Family("odoo-erp", ["erp", "odoo", "crm"], ["Werkzeug/2.0.2 Python/3.10.12", "nginx"], "Odoo", "session_id",
           token_field="csrf_token", home=_app_home("Odoo"), trace=_trace_python, error=_generic_error("app"),
           login="/web/login", admin="/web/database/manager", settings="/my/account",
           search=("/shop", "search"), api_users="/api/res.users", api_public="/web/webclient/version_info",
           static="/web/assets", backups=(("/odoo.conf.bak", "config"), ("/dump.zip", "archive"))),
]
BY_NAME = {f.name: f for f in FAMILIES}
