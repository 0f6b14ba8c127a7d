"""The provider side by side with node oidc-provider, endpoint by endpoint, interleaved.

Starts, all at once and on loopback:

* ours as ``bench/bench.py`` runs it (``idp run --workers 2 --threads 4``, granian, or
  gunicorn with ``--server``), once on
  SQLite and once on PostgreSQL, each with a fresh database prepared by ``bench/bench.py``'s
  functions (``idp init``, an RS256 confidential client, 2,000 users with password and TOTP);
* node ``oidc-provider`` (``bench/node/server.mjs``, the version pinned in
  ``bench/node/package-lock.json``, installed with ``npm ci`` when missing), in memory, as one
  process, and as two processes on a port each with the load spread over both.

Then, per endpoint (code exchange, refresh, userinfo, introspection, discovery, JWKS), it runs
rounds of one window per provider in turn (ours SQLite, node 1 process, ours PostgreSQL, node 2
processes, and again), so that whatever else the machine does hits them alike, all with the
same load generator (``bench/loadgen.py``: keep-alive connections, requests prepared in
advance). Codes are issued before the exchanges are timed (ours through the browser flow of
signed-in sessions, node's minted inside its process), refresh tokens come from those
exchanges, and the access tokens of userinfo and introspection from the refreshes.

It prints requests per second, the ratio of ours to node (discovery and JWKS against node with
two processes, the others against one process), and the server CPU per request read from
``/proc``; and writes ``bench/results/compare-<time>.json``.

    .venv/bin/python bench/compare.py            # 3 rounds of 3 s per provider and endpoint
    .venv/bin/python bench/compare.py --quick    # a smoke run: 2 rounds of 1 s
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import secrets
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import psycopg
import requests
from loadgen import LoadGenerator, Result, http_request

import bench as common  # bench/bench.py: the database, the seeding, the server, the browser flow

ROOT = common.ROOT
NODE_DIR = ROOT / "bench" / "node"
ENDPOINTS = ("code_exchange", "refresh", "userinfo", "introspection", "discovery", "jwks")
SHOWN = ("discovery", "jwks", "userinfo", "introspection", "code_exchange", "refresh")
TIMED = ("userinfo", "introspection", "discovery", "jwks")  # the others use each item once
# The goal of each endpoint: at least as fast as node with this many processes.
GOAL = {"discovery": "node_2", "jwks": "node_2", "userinfo": "node_1",
        "introspection": "node_1", "code_exchange": "node_1", "refresh": "node_1"}
SIDES = ("ours_sqlite", "node_1", "ours_postgresql", "node_2")  # the order within a round
LABELS = {"ours_sqlite": "ours SQLite", "ours_postgresql": "ours PostgreSQL",
          "node_1": "node x1", "node_2": "node x2"}
WARM_ITEMS = 16  # codes (and refresh tokens) per provider spent warming up, untimed


@dataclass
class Options:
    rounds: int
    seconds: float
    codes: int  # codes exchanged (and refresh tokens used) per provider and round
    users: int
    connections: int
    processes: int
    workers: int
    worker_threads: int
    backends: list[str]
    server: str = "granian"


@dataclass
class Side:
    """One provider as the comparison drives it: its ports, client, paths and tokens."""

    name: str
    ports: list[int]
    client_id: str
    secret: str
    paths: dict[str, str]
    server_pids: Callable[[], list[int]]
    codes: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    refresh: dict[int, list[str]] = field(default_factory=dict)
    access: dict[int, list[str]] = field(default_factory=dict)

    @property
    def basic(self) -> str:
        pair = f"{quote(self.client_id, safe='')}:{quote(self.secret, safe='')}"
        return "Basic " + base64.b64encode(pair.encode()).decode()

    def take(self, kind: str, count: int) -> dict[int, list]:
        """Take `count` codes or refresh tokens, spread evenly over the ports."""
        store: dict[int, list] = getattr(self, kind)
        taken: dict[int, list] = {}
        for i, port in enumerate(self.ports):
            share = count // len(self.ports) + (i < count % len(self.ports))
            if len(store[port]) < share:
                raise SystemExit(f"{self.name}: {len(store[port])} {kind} left on port {port},"
                                 f" {share} needed")
            taken[port], store[port] = store[port][:share], store[port][share:]
        return taken

    # -- the requests, prepared before the clock starts ------------------------------------

    def get(self, port: int, endpoint: str, token: str | None = None) -> bytes:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return http_request("GET", port, self.paths[endpoint], headers)

    def post(self, port: int, endpoint: str, form: dict[str, str]) -> bytes:
        return http_request("POST", port, self.paths[endpoint], {
            "Authorization": self.basic,
            "Content-Type": "application/x-www-form-urlencoded"}, urlencode(form).encode())

    def requests_for(self, endpoint: str, count: int = 0) -> dict[int, list[bytes]]:
        if endpoint in ("discovery", "jwks"):
            return {port: [self.get(port, endpoint)] for port in self.ports}
        if endpoint == "userinfo":
            return {port: [self.get(port, endpoint, t) for t in self.access[port]]
                    for port in self.ports}
        if endpoint == "introspection":
            return {port: [self.post(port, endpoint, {"token": t}) for t in self.access[port]]
                    for port in self.ports}
        if endpoint == "code_exchange":
            return {port: [self.post(port, "token", {
                "grant_type": "authorization_code", "code": code,
                "redirect_uri": common.REDIRECT_URI, "code_verifier": verifier})
                for code, verifier in items] for port, items in self.take("codes", count).items()}
        if endpoint == "refresh":
            return {port: [self.post(port, "token", {
                "grant_type": "refresh_token", "refresh_token": token}) for token in items]
                for port, items in self.take("refresh", count).items()}
        raise ValueError(endpoint)

    def keep_tokens(self, endpoint: str, result: Result) -> None:
        """Keep the refresh tokens of the exchanges and the access tokens of the refreshes."""
        for port, body in result.bodies:
            tokens = json.loads(body)
            if endpoint == "code_exchange":
                if "id_token" not in tokens or "refresh_token" not in tokens:
                    raise SystemExit(f"{self.name}: the exchange gave {sorted(tokens)}")
                self.refresh.setdefault(port, []).append(tokens["refresh_token"])
            else:
                self.access.setdefault(port, []).append(tokens["access_token"])
                # A rotated refresh token stays usable for more refreshes.
                self.refresh.setdefault(port, []).append(tokens["refresh_token"])


def paths_from_discovery(base_url: str, discovery_path: str) -> dict[str, str]:
    """Read the endpoints' paths from the provider's own discovery document."""
    metadata = common.expect(requests.get(base_url + discovery_path, timeout=30), 200).json()
    return {"discovery": discovery_path, "jwks": urlsplit(metadata["jwks_uri"]).path,
            "userinfo": urlsplit(metadata["userinfo_endpoint"]).path,
            "introspection": urlsplit(metadata["introspection_endpoint"]).path,
            "token": urlsplit(metadata["token_endpoint"]).path}


# -- ours ----------------------------------------------------------------------------------------

@contextmanager
def ours(backend: str, opts: Options, stamp: str):
    """Prepare a database with bench.py's functions, serve it, issue codes."""
    database = common.Database(backend)
    try:
        port = common.free_port()
        base_url = f"http://127.0.0.1:{port}"
        # No SMS is sent here: the gateway's address is a closed port.
        env = common.provider_env(database.url, base_url, secrets.token_urlsafe(32),
                                  "http://127.0.0.1:9/sms")
        common.idp_init(env)
        seeder = common.Seeder(env)
        client = seeder.clients()["RS256"]
        seconds = seeder.grow(opts.users)
        print(f"  ours on {backend}: {opts.users:,} users inserted in {seconds:.1f} s",
              flush=True)
        target = common.Target(base_url, base_url + "/d/default", {"RS256": client},
                               seeder.totp_secret)
        log = common.RESULTS / f"compare-{stamp}-{backend}-{opts.server}.log"
        with common.served(env, port, opts.workers, opts.worker_threads, log,
                             opts.server) as process:
            side = Side(f"ours_{backend}", [port], client.client_id, client.secret,
                        paths_from_discovery(base_url,
                                             "/d/default/.well-known/openid-configuration"),
                        lambda pid=process.pid: [pid, *common.worker_pids(pid)])
            count = opts.rounds * opts.codes + WARM_ITEMS
            pool = common.UserPool(opts.users, set())
            codes, took = common.pre_issue_codes(target, client, pool, count,
                                                 opts.connections)
            side.codes[port] = codes
            print(f"  ours on {backend}: {len(codes)} codes issued through the browser flow "
                  f"in {took:.1f} s", flush=True)
            yield side
    finally:
        database.drop()


# -- node ----------------------------------------------------------------------------------------

def node_installed() -> bool:
    """Say whether bench/node/node_modules holds the oidc-provider the lock file pins."""
    lock = json.loads((NODE_DIR / "package-lock.json").read_text())
    wanted = lock["packages"]["node_modules/oidc-provider"]["version"]
    installed = NODE_DIR / "node_modules" / "oidc-provider" / "package.json"
    return installed.exists() and json.loads(installed.read_text())["version"] == wanted


def install_node() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise SystemExit("the comparison needs node (20 or later) and npm on the PATH")
    if not node_installed():
        print("  npm ci in bench/node (oidc-provider, pinned by package-lock.json)", flush=True)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=NODE_DIR, check=True)


@contextmanager
def node(name: str, processes: int, opts: Options, stamp: str):
    """Run `processes` node oidc-providers, a port each, and mint their codes."""
    secret = secrets.token_urlsafe(32)
    client_id = "bench-node"
    running: list[tuple[subprocess.Popen, int, int]] = []
    try:
        for i in range(processes):
            port, side_port = common.free_port(), common.free_port()
            env = {**os.environ, "NODE_ENV": "production", "PORT": str(port),
                   "SIDE_PORT": str(side_port), "CLIENT_ID": client_id,
                   "CLIENT_SECRET": secret, "REDIRECT_URI": common.REDIRECT_URI}
            log = open(common.RESULTS / f"compare-{stamp}-{name}-{i}.log", "w")  # noqa: SIM115
            process = subprocess.Popen(["node", str(NODE_DIR / "server.mjs")], cwd=NODE_DIR,
                                       env=env, stdout=subprocess.PIPE, stderr=log, text=True)
            log.close()
            running.append((process, port, side_port))
        for process, port, _side_port in running:
            ready, _, _ = select.select([process.stdout], [], [], 60)
            line = process.stdout.readline() if ready else ""
            if not line.startswith('{"ready":true'):
                raise SystemExit(f"node did not start on port {port}: {line!r}")
        ports = [port for _process, port, _side in running]
        side = Side(name, ports, client_id, secret,
                    paths_from_discovery(f"http://127.0.0.1:{ports[0]}",
                                         "/.well-known/openid-configuration"),
                    lambda: [p.pid for p, _port, _side in running])
        count = opts.rounds * opts.codes + WARM_ITEMS
        for _process, port, side_port in running:
            # Each process gets what all would need: only its share is used.
            minted = common.expect(requests.post(
                f"http://127.0.0.1:{side_port}/codes", params={"count": count}, timeout=120),
                200).json()
            side.codes[port] = [(c["code"], c["verifier"]) for c in minted]
        print(f"  {LABELS[name]}: {processes} process(es) on port(s) "
              f"{', '.join(map(str, ports))}, {count} codes minted", flush=True)
        yield side
    finally:
        for process, _port, _side_port in running:
            process.send_signal(signal.SIGTERM)
        for process, _port, _side_port in running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# -- measuring -----------------------------------------------------------------------------------

def socket_ports(pids: list[int]) -> set[int]:
    """Return the local TCP ports of the sockets the processes hold (from /proc)."""
    inodes = set()
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        inodes.update(link[8:-1] for link in links if link.startswith("socket:["))
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class Cpu:
    """CPU ticks from /proc: each provider's processes, the PostgreSQL backends serving our
    provider, the load generator, and the rest of the machine.

    A PostgreSQL backend is counted for a provider when its client's port is a socket of the
    provider's processes (``pg_stat_activity.client_port``), so other users of the same
    PostgreSQL server are not; they count among the other processes.
    """

    def __init__(self, sides: list[Side], generator: LoadGenerator):
        self.sides = sides
        self.generator = generator
        self.tick = os.sysconf("SC_CLK_TCK")
        self._postgres = (psycopg.connect(common.POSTGRES, autocommit=True)
                          if any(side.name == "ours_postgresql" for side in sides) else None)

    def close(self) -> None:
        if self._postgres is not None:
            self._postgres.close()

    def _backends(self, pids: list[int]) -> list[int]:
        """Return the PostgreSQL backends whose clients are these processes."""
        ports = socket_ports(pids)
        if self._postgres is None or not ports:
            return []
        return [row[0] for row in self._postgres.execute(
            "SELECT pid FROM pg_stat_activity WHERE client_port = ANY(%s)", (list(ports),))]

    def sample(self) -> dict:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
        sample: dict = {"busy": user + nice + system + irq + softirq + steal}
        for side in self.sides:
            pids = side.server_pids()
            sample[side.name] = sum(common.process_ticks(p) for p in pids)
            # Per backend: one that ended meanwhile takes its ticks with it, a new one starts at 0.
            sample[f"{side.name}:database"] = {
                p: common.process_ticks(p) for p in self._backends(pids)}
        sample["load_generator"] = sum(common.process_ticks(p) for p in
                                       [os.getpid(), *self.generator.pids])
        sample["at"] = time.monotonic()
        return sample

    def seconds(self, start: dict, end: dict) -> dict[str, float]:
        """CPU seconds used between two samples, by whom (``others``: the rest of the machine)."""
        used = {}
        for key, value in end.items():
            if isinstance(value, dict):
                used[key] = sum(ticks - start[key].get(pid, 0) for pid, ticks in value.items()
                                if ticks >= start[key].get(pid, 0)) / self.tick
            elif key != "at":
                used[key] = (value - start[key]) / self.tick
        known = sum(value for key, value in used.items() if key != "busy")
        used["others"] = max(0.0, used.pop("busy") - known)
        used["wall"] = end["at"] - start["at"]
        return used


@dataclass
class Tally:
    """One provider's windows of one endpoint, added up over the rounds."""

    result: Result = field(default_factory=Result)
    server_cpu: float = 0.0
    database_cpu: float = 0.0
    generator_cpu: float = 0.0
    others_cpu: float = 0.0
    wall: float = 0.0

    def summary(self) -> dict:
        r = self.result
        per_request = (lambda cpu: round(cpu / r.ok * 1e6)) if r.ok else (lambda _cpu: None)
        return {"ok": r.ok, "errors": r.errors, "seconds": round(r.seconds, 3),
                "per_second": round(r.rate, 1), "p50_ms": round(r.percentile(50) * 1000, 2),
                "p99_ms": round(r.percentile(99) * 1000, 2),
                "server_cpu_us_per_request": per_request(self.server_cpu),
                "database_cpu_us_per_request": per_request(self.database_cpu),
                "load_generator_cpu_us_per_request": per_request(self.generator_cpu),
                "others_cores": round(self.others_cpu / self.wall, 2) if self.wall else None,
                "first_error": r.first_error}


def probe(side: Side, endpoint: str) -> None:
    """Check one answer of a timed endpoint by its content, not only its status."""
    port = side.ports[0]
    url = f"http://127.0.0.1:{port}{side.paths[endpoint]}"
    if endpoint == "userinfo":
        body = common.expect(requests.get(url, timeout=30, headers={
            "Authorization": f"Bearer {side.access[port][0]}"}), 200).json()
        ok = "sub" in body
    elif endpoint == "introspection":
        body = common.expect(requests.post(url, timeout=30, headers={
            "Authorization": side.basic}, data={"token": side.access[port][0]}), 200).json()
        ok = body.get("active") is True
    elif endpoint == "jwks":
        body = common.expect(requests.get(url, timeout=30), 200).json()
        ok = bool(body.get("keys"))
    else:
        body = common.expect(requests.get(url, timeout=30), 200).json()
        ok = "issuer" in body
    if not ok:
        raise SystemExit(f"{side.name} {endpoint}: unexpected answer {json.dumps(body)[:300]}")


def measure(endpoint: str, sides: list[Side], generator: LoadGenerator, cpu: Cpu,
            opts: Options) -> dict[str, Tally]:
    tallies = {side.name: Tally() for side in sides}
    timed = endpoint in TIMED
    for side in sides:  # warm up, untimed
        if timed:
            probe(side, endpoint)
            generator.run(side.requests_for(endpoint), "timed", min(0.5, opts.seconds / 2))
        else:
            warm = generator.run(side.requests_for(endpoint, WARM_ITEMS), "once",
                                 keep_bodies=True)
            if warm.errors:
                raise SystemExit(f"{side.name} {endpoint}: {warm.first_error}")
            side.keep_tokens(endpoint, warm)
    for _round in range(opts.rounds):
        for side in sides:
            prepared = side.requests_for(endpoint, opts.codes)
            start = cpu.sample()
            if timed:
                result = generator.run(prepared, "timed", opts.seconds)
            else:
                result = generator.run(prepared, "once", keep_bodies=True)
            used = cpu.seconds(start, cpu.sample())
            if not timed:
                side.keep_tokens(endpoint, result)
                result.bodies = []
            tally = tallies[side.name]
            tally.result.add(result)
            tally.server_cpu += used[side.name]
            tally.database_cpu += used[f"{side.name}:database"]
            tally.generator_cpu += used["load_generator"]
            tally.others_cpu += used["others"]
            tally.wall += used["wall"]
    return tallies


def ratio(ours: dict, node: dict) -> float | None:
    return round(ours["per_second"] / node["per_second"], 2) if node["per_second"] else None


def table(results: dict[str, dict], names: list[str]) -> str:
    ours_names = [n for n in names if n.startswith("ours_")]
    head = (f"{'endpoint':<14}" + "".join(f"{LABELS[n] + ' /s':>20}" for n in names)
            + "".join(f"{LABELS[n].replace('ours ', '') + ' ÷ goal':>18}" for n in ours_names)
            + "   server CPU µs per request (" + ", ".join(LABELS[n] for n in names) + ")")
    lines = [head, "-" * len(head)]
    for endpoint in SHOWN:
        row = results[endpoint]
        cells = [f"{row[n]['per_second']:>20,.1f}" for n in names]
        goal = GOAL[endpoint]
        ratios = [f"{(row['ratios'].get(n) or 0):.2f}x vs {LABELS[goal]:>7}".rjust(18)
                  for n in ours_names]
        cpu_cells = []
        for n in names:
            server, database = (row[n]["server_cpu_us_per_request"],
                                row[n]["database_cpu_us_per_request"])
            text = "-" if server is None else f"{server:,}"
            if n == "ours_postgresql" and database is not None:
                text += f" (+{database:,} db)"
            cpu_cells.append(text)
        errors = sum(row[n]["errors"] for n in names)
        lines.append(f"{endpoint:<14}" + "".join(cells) + "".join(ratios) + "   "
                     + " / ".join(cpu_cells) + (f"   errors: {errors}" if errors else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 2 rounds of 1 s, 60 codes per round")
    parser.add_argument("--rounds", type=int, help="windows per provider and endpoint (3)")
    parser.add_argument("--seconds", type=float, help="length of a timed window (3)")
    parser.add_argument("--codes", type=int,
                        help="code exchanges and refreshes per provider and round (300)")
    parser.add_argument("--users", type=int, default=2000, help="users in our databases")
    parser.add_argument("--connections", type=int, default=8,
                        help="keep-alive connections of the load generator")
    parser.add_argument("--processes", type=int, default=2,
                        help="processes of the load generator")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--server", choices=common.SERVERS, default="granian",
                        help="what serves ours: granian through `idp run` (the README's), "
                             "gunicorn gthread or gunicorn sync")
    args = parser.parse_args(argv)
    common.end_cleanly_on_sigterm()
    opts = Options(rounds=args.rounds or (2 if args.quick else 3),
                   seconds=args.seconds or (1.0 if args.quick else 3.0),
                   codes=args.codes or (60 if args.quick else 300), users=args.users,
                   connections=args.connections, processes=args.processes,
                   workers=args.workers, worker_threads=args.worker_threads,
                   backends=[b for b in args.backends.split(",") if b], server=args.server)
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    started, speed_before = time.perf_counter(), common.cpu_speed()
    install_node()
    print(f"{opts.server}, {opts.workers} workers x {opts.worker_threads} threads, against node "
          f"oidc-provider; {opts.connections} connections from {opts.processes} load generator "
          f"processes; {opts.rounds} rounds of {opts.seconds:g} s (or {opts.codes} tokens) per "
          f"provider and endpoint; {os.cpu_count()} CPUs", flush=True)
    # Fork the load generator before anything opens a database or starts a thread.
    generator = LoadGenerator(opts.processes, opts.connections)
    results: dict[str, dict] = {}
    try:
        with ExitStack() as stack:
            sides = {}
            for backend in opts.backends:
                sides[f"ours_{backend}"] = stack.enter_context(ours(backend, opts, stamp))
            sides["node_1"] = stack.enter_context(node("node_1", 1, opts, stamp))
            sides["node_2"] = stack.enter_context(node("node_2", 2, opts, stamp))
            order = [sides[name] for name in SIDES if name in sides]
            cpu = Cpu(order, generator)
            whole = cpu.sample()
            for endpoint in ENDPOINTS:
                tallies = measure(endpoint, order, generator, cpu, opts)
                row = {name: tally.summary() for name, tally in tallies.items()}
                goal = row[GOAL[endpoint]]
                row["goal"] = GOAL[endpoint]
                row["ratios"] = {name: ratio(row[name], goal) for name in tallies
                                 if name.startswith("ours_")}
                results[endpoint] = row
                print(f"  {endpoint:<14}" + "  ".join(
                    f"{LABELS[name]} {row[name]['per_second']:,.0f}/s"
                    + (f" ({row[name]['errors']} errors: {row[name]['first_error']})"
                       if row[name]["errors"] else "") for name in tallies), flush=True)
            machine = cpu.seconds(whole, cpu.sample())
            cpu.close()
    finally:
        generator.close()
    names = [name for name in SIDES if name in sides]
    print("\n" + table(results, names))
    others = machine["others"] / machine["wall"]
    print(f"\nCPU cores used during the measurements: load generator "
          f"{machine['load_generator'] / machine['wall']:.2f}, our PostgreSQL backends "
          f"{machine.get('ours_postgresql:database', 0) / machine['wall']:.2f}, other "
          f"processes {others:.2f} (of {os.cpu_count()})")
    if others > 0.2:
        print(f"warning: other processes used {others:.2f} cores: these numbers were taken "
              f"under load")
    speed_after = common.cpu_speed()
    common.print_speed(speed_before, speed_after)
    lock = json.loads((NODE_DIR / "package-lock.json").read_text())
    output = common.RESULTS / f"compare-{stamp}.json"
    output.write_text(json.dumps({
        "when": stamp, "seconds_total": round(time.perf_counter() - started, 1),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "node": subprocess.run(["node", "--version"], capture_output=True,
                                           text=True).stdout.strip(),
                    "speed_loop_cpu_ms": {"before": speed_before, "after": speed_after}},
        "oidc_provider": lock["packages"]["node_modules/oidc-provider"]["version"],
        "source": common.source_version(), "options": asdict(opts),
        "cpu_cores": {key: round(value / machine["wall"], 2)
                      for key, value in machine.items() if key != "wall"},
        "under_load": others > 0.2, "endpoints": results}, indent=2))
    print(f"\nwrote {output.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
