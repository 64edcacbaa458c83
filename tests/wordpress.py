"""A real WordPress for the plugin's test: Debian's package on a private MariaDB, served by PHP's
built-in server, installed without a browser."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

WORDPRESS = Path("/usr/share/wordpress")
THEME = WORDPRESS / "wp-content" / "themes" / "twentytwentythree"
MARIADBD = Path("/usr/sbin/mariadbd")
PLUGIN = (
    Path(__file__).resolve().parents[1] / "embed-snippets" / "wordpress" / "frontdesk-portal.php"
)
PASSWORD = "correct horse battery"


def unavailable() -> str | None:
    """Why WordPress cannot run here (naming the Debian package to install), or None."""
    php = shutil.which("php")
    if php is None:
        return "php is not installed (Debian: php-cli)"
    if not (WORDPRESS / "wp-settings.php").exists():
        return "WordPress is not installed (Debian: wordpress)"
    if not THEME.is_dir():
        return "Twenty Twenty-Three is not installed (Debian: wordpress-theme-twentytwentythree)"
    if not MARIADBD.exists() or shutil.which("mariadb-install-db") is None:
        return "MariaDB is not installed (Debian: mariadb-server)"
    mysqli = subprocess.run([php, "-r", "exit(extension_loaded('mysqli') ? 0 : 1);"], check=False)
    if mysqli.returncode != 0:
        return "PHP has no MySQL driver (Debian: php-mysql)"
    return None


def literal(value: str) -> str:
    """`value` as a PHP string literal."""
    return json.dumps(value).replace("$", "\\$")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def wait_until(
    ready: Callable[[], bool], what: str, process: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + 30
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


class MariaDB:
    """mariadbd on its own data directory and socket, no TCP: nothing shared with the system's."""

    def __init__(self, root: Path) -> None:
        self.data, self.socket, self.log = root / "data", root / "mysql.sock", root / "mariadb.log"
        server_options = ["--no-defaults", f"--datadir={self.data}", "--innodb-log-file-size=8M"]
        # As root mariadbd must be told to stay root; anyone else runs it as themselves.
        if os.geteuid() == 0:
            server_options.append("--user=root")
        with self.log.open("wb") as log:
            subprocess.run(
                [
                    "mariadb-install-db",
                    *server_options,
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=120,
            )
            self.process = subprocess.Popen(
                [
                    str(MARIADBD),
                    *server_options,
                    f"--socket={self.socket}",
                    "--skip-networking",
                    f"--pid-file={root / 'mariadb.pid'}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until(self.socket.exists, "MariaDB", self.process, self.log)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


class WordPress:
    """WordPress installed on `database`, served at `url`, with Twenty Twenty-Three, the plugin
    (copied into wp-content/plugins, as its README says), an administrator, a customer (a
    subscriber) and a page holding the shortcode.

    Debian's /usr/share/wordpress/wp-config.php reads /etc/wordpress/config-HOST.php; to keep
    /etc out of it, this site is a directory of links to the package's files with its own
    wp-config.php, and PHP is told (auto_prepend_file) that ABSPATH is that directory."""

    def __init__(self, root: Path, database: MariaDB) -> None:
        self.root, self.port = root / "site", free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.constants_file = self.root / "frontdesk-constants.php"
        self.debug_log = root / "debug.log"
        self._lay_out(database)
        self.prepend = root / "prepend.php"
        self.abspath = f"define('ABSPATH', {literal(str(self.root) + '/')});"
        self.prepend.write_text(f"<?php {self.abspath}\n")
        made = json.loads(self.php(INSTALL, PASSWORD, define_installing=True))
        self.users: dict[str, int] = made["users"]
        self.page_url: str = made["page"]
        self.log = root / "php.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    "php",
                    "-d",
                    f"auto_prepend_file={self.prepend}",
                    "-S",
                    f"127.0.0.1:{self.port}",
                    "-t",
                    str(self.root),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                # Pages, the script, the theme's files and the token route arrive together.
                env={**os.environ, "PHP_CLI_SERVER_WORKERS": "4"},
                # Its own process group: the workers go when it goes.
                start_new_session=True,
            )
        try:
            wait_until(self._answers, "PHP's server", self.process, self.log)
        except RuntimeError:
            self.stop()
            raise

    def _lay_out(self, database: MariaDB) -> None:
        self.root.mkdir()
        for entry in WORDPRESS.iterdir():
            if entry.name not in {"wp-config.php", "wp-content", ".htaccess"}:
                (self.root / entry.name).symlink_to(entry)
        content = self.root / "wp-content"
        (content / "themes").mkdir(parents=True)
        (content / "themes" / THEME.name).symlink_to(THEME)
        (content / "plugins").mkdir()
        shutil.copy(PLUGIN, content / "plugins" / PLUGIN.name)
        salts = "".join(
            f"define('{name}', '{secrets.token_hex(32)}');\n"
            for name in "AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT "
            "SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT".split()
        )
        (self.root / "wp-config.php").write_text(
            "<?php\n"
            "define('DB_NAME', 'wordpress');\n"
            "define('DB_USER', 'root');\n"
            "define('DB_PASSWORD', '');\n"
            f"define('DB_HOST', {literal(f'localhost:{database.socket}')});\n"
            f"define('WP_HOME', '{self.url}');\n"
            f"define('WP_SITEURL', '{self.url}');\n"
            f"define('WP_CONTENT_DIR', {literal(str(content))});\n"
            # Offline and quiet: no calls to wordpress.org, no cron requests to itself.
            "define('WP_HTTP_BLOCK_EXTERNAL', true);\n"
            "define('DISABLE_WP_CRON', true);\n"
            "define('AUTOMATIC_UPDATER_DISABLED', true);\n"
            # Every notice and warning goes to a log the test reads.
            "define('WP_DEBUG', true);\n"
            "define('WP_DEBUG_DISPLAY', false);\n"
            f"define('WP_DEBUG_LOG', {literal(str(self.debug_log))});\n"
            f"{salts}"
            "$table_prefix = 'wp_';\n"
            # What a site owner would add to wp-config.php; tests write it to try constants.
            "if (is_file(__DIR__ . '/frontdesk-constants.php')) {\n"
            "    require __DIR__ . '/frontdesk-constants.php';\n"
            "}\n"
            "require_once ABSPATH . 'wp-settings.php';\n"
        )
        subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={database.socket}", "-uroot"],
            input=b"CREATE DATABASE wordpress",
            check=True,
            timeout=30,
        )

    def _answers(self) -> bool:
        try:
            return httpx.get(self.url + "/wp-login.php", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def php(self, code: str, *args: str, define_installing: bool = False) -> str:
        """Runs `code` inside this WordPress (loaded as for a request), with `args` as $argv[1:];
        returns what it printed."""
        boot = (
            f"{self.abspath}$_SERVER['HTTP_HOST'] = '127.0.0.1:{self.port}';"
            + ("define('WP_INSTALLING', true);" if define_installing else "")
            + "require ABSPATH . 'wp-load.php';"
        )
        result = subprocess.run(
            ["php", "-r", boot + code, "--", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, f"PHP failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def set_options(self, **values: str) -> None:
        """Settings → Frontdesk as if saved there; no values: as if never set."""
        if values:
            self.php(
                "update_option('frontdesk_portal', json_decode($argv[1], true));",
                json.dumps(values),
            )
        else:
            self.php("delete_option('frontdesk_portal');")

    def set_constants(self, **values: str) -> None:
        """FRONTDESK_<NAME> constants in wp-config.php; no values: none."""
        if not values:
            self.constants_file.unlink(missing_ok=True)
            return
        self.constants_file.write_text(
            "<?php\n"
            + "".join(
                f"define('FRONTDESK_{name.upper()}', {literal(value)});\n"
                for name, value in values.items()
            )
        )

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


# Installs the site the way wp-admin/install.php would, without its form.
INSTALL = r"""
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
add_filter('pre_wp_mail', '__return_false');
$password = $argv[1];
$installed = wp_install('Brightwater Pools', 'admin', 'admin@example.com', true, '', $password);
switch_theme('twentytwentythree');
update_option('active_plugins', ['frontdesk-portal.php']);
$customer = wp_insert_user([
    'user_login' => 'casey',
    'user_pass' => $password,
    'user_email' => 'casey@example.com',
    'display_name' => 'Casey Customer',
    'role' => 'subscriber',
]);
$page = wp_insert_post([
    'post_type' => 'page',
    'post_status' => 'publish',
    'post_title' => 'Your account',
    'post_content' => "<!-- wp:paragraph -->\n<p>Your balance, invoices and payments.</p>\n"
        . "<!-- /wp:paragraph -->\n\n"
        . "<!-- wp:shortcode -->\n[frontdesk_portal]\n<!-- /wp:shortcode -->",
]);
echo json_encode([
    'users' => ['admin' => $installed['user_id'], 'casey' => $customer],
    'page' => get_permalink($page),
]);
"""
