"""A throw-away one-node SLURM cluster on localhost, for tests.

Brings up munged, MariaDB, slurmdbd, slurmctld and slurmd (Debian 12 packages, Slurm 22.05)
without systemd, every daemon in the foreground as a child of this process, with all
configuration, state, sockets and logs in one temporary directory and on free TCP ports, so
nothing outside that directory is touched and a second cluster could run beside it. `stop()`
ends every daemon by its PID, checks that none is left (nor any process the cluster spawned),
and removes the directory.

Used by tests/test_slurm.py; can also be run by hand to try the profile on a live cluster:

    python tests/slurm/localslurm.py   # starts the cluster, prints the environment, waits
                                       # for Ctrl-C, then stops everything

Needs root (daemons run as root/munge/mysql) and, when the packages are missing, apt-get.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACKAGES = ["slurm-wlm", "munge", "slurmdbd", "mariadb-server"]
# Executables the cluster needs, and the package providing each.
BINARIES = {
    "munged": "munge",
    "munge": "munge",
    "mariadbd": "mariadb-server",
    "mariadb-admin": "mariadb-server",
    "mariadb-install-db": "mariadb-server",
    "slurmdbd": "slurmdbd",
    "slurmctld": "slurm-wlm",
    "slurmd": "slurm-wlm",
    "slurmstepd": "slurm-wlm",
    "sbatch": "slurm-wlm",
    "srun": "slurm-wlm",
    "sacct": "slurm-wlm",
    "sacctmgr": "slurm-wlm",
    "scontrol": "slurm-wlm",
    "squeue": "slurm-wlm",
    "sinfo": "slurm-wlm",
    "scancel": "slurm-wlm",
}
SBIN_PATH = "/usr/local/sbin:/usr/sbin:/sbin"

# Marker put into the environment of every daemon and of every process started against the
# cluster (tests pass `cluster.env` to snakemake): `leftover_processes()` finds them by it.
TAG_VAR = "SEPARABILITY_LOCALSLURM"


class ClusterError(RuntimeError):
    """The cluster could not be prepared, started or stopped."""


# --------------------------------------------------------------------------------------------
# prerequisites


def _which(name: str) -> str | None:
    return shutil.which(name, path=os.environ.get("PATH", "") + os.pathsep + SBIN_PATH)


def missing_binaries() -> list[str]:
    return sorted(name for name in BINARIES if _which(name) is None)


def prerequisite_problem() -> str | None:
    """Why this machine cannot run the cluster (None when it can, maybe after an apt install)."""
    if not sys.platform.startswith("linux"):
        return f"a local SLURM cluster needs Linux, this is {sys.platform}"
    if os.geteuid() != 0:
        return (
            "a local SLURM cluster needs root (the daemons run as root, munge and mysql), "
            f"but this runs as uid {os.geteuid()}"
        )
    missing = missing_binaries()
    if missing and _which("apt-get") is None:
        packages = sorted({BINARIES[name] for name in missing})
        return (
            f"executables {missing} are missing and there is no apt-get to install the "
            f"Debian packages {packages}"
        )
    return None


def ensure_packages(log=print, timeout: float = 1200) -> bool:
    """Install the Debian packages when an executable is missing; True if apt ran.

    Daemon autostart by the packages' maintainer scripts is blocked with a temporary
    policy-rc.d, so that installing starts nothing the cluster does not own.
    """
    missing = missing_binaries()
    if not missing:
        return False
    apt = _which("apt-get")
    if apt is None:
        raise ClusterError(f"executables {missing} are missing and there is no apt-get")
    log(f"localslurm: {missing} missing; installing {PACKAGES} with apt-get (as root)")
    policy = Path("/usr/sbin/policy-rc.d")
    own_policy = not policy.exists()
    if own_policy:
        policy.write_text("#!/bin/sh\n# temporary, from tests/slurm/localslurm.py\nexit 101\n")
        policy.chmod(0o755)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        for cmd in (
            [apt, "-q", "update"],
            [apt, "-q", "-y", "install", "--no-install-recommends", *PACKAGES],
        ):
            result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
            if result.returncode != 0:
                raise ClusterError(
                    f"`{' '.join(cmd)}` failed with exit {result.returncode}:\n"
                    f"{(result.stdout + result.stderr)[-4000:]}"
                )
    finally:
        if own_policy:
            policy.unlink(missing_ok=True)
    still_missing = missing_binaries()
    if still_missing:
        raise ClusterError(f"after installing {PACKAGES}, {still_missing} are still missing")
    return True


# --------------------------------------------------------------------------------------------
# helpers


def _free_ports(count: int) -> list[int]:
    """Distinct TCP ports free on all interfaces right now."""
    sockets, ports = [], []
    try:
        while len(ports) < count:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("", 0))
            sockets.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in sockets:
            s.close()
    return ports


def _die_with_parent():
    """preexec_fn: the daemon gets SIGTERM if the process that started it dies (even on
    SIGKILL), so an aborted test run cannot leave daemons behind. Runs after the uid change."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def _node_hardware() -> tuple[int, int]:
    """CPUs and RealMemory (MB) of this machine as slurmd sees them (`slurmd -C`)."""
    out = subprocess.run(
        [_which("slurmd"), "-C"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    fields = dict(item.split("=", 1) for item in out.split() if "=" in item)
    return int(fields["CPUs"]), int(fields["RealMemory"])


class _Daemon:
    def __init__(self, name: str, proc: subprocess.Popen, log: Path):
        self.name, self.proc, self.log = name, proc, log

    @property
    def pid(self) -> int:
        return self.proc.pid


# --------------------------------------------------------------------------------------------
# the cluster


class LocalSlurm:
    """One-node SLURM cluster: `start()`, use `env` for clients, `stop()`."""

    def __init__(
        self,
        cluster: str = "separability",
        account: str = "separability",
        partition: str = "debug",
        def_mem_per_cpu: int = 500,
        base_dir: str | None = None,
        log=print,
    ):
        self.cluster, self.account, self.partition = cluster, account, partition
        self.def_mem_per_cpu = def_mem_per_cpu
        self.log = log
        self.root = Path(tempfile.mkdtemp(prefix="localslurm-", dir=base_dir))
        self.root.chmod(0o755)  # munge and mysql must traverse it
        self.tag = f"{self.root}:{secrets.token_hex(4)}"
        self.daemons: list[_Daemon] = []
        self.timings: dict[str, float] = {}
        self.cpus = self.memory_mb = None
        self.etc = self.root / "etc"
        self.conf = self.etc / "slurm.conf"
        self.munge_socket = self.root / "munge" / "munge.socket.2"
        self.bin = self.root / "bin"
        self.env = None

    # ---- environment for clients ----------------------------------------------------------

    def client_env(self, base: dict | None = None) -> dict:
        """Environment for sbatch/sacct/snakemake against this cluster."""
        env = dict(os.environ if base is None else base)
        for key in list(env):
            # A surrounding SLURM job (or user defaults) must not leak into this cluster.
            if key.startswith(("SLURM_", "SBATCH_", "SRUN_", "SALLOC_")):
                del env[key]
        env["SLURM_CONF"] = str(self.conf)
        env["PATH"] = os.pathsep.join([str(self.bin), env.get("PATH", ""), SBIN_PATH])
        env[TAG_VAR] = self.tag
        return env

    def run(self, *args: str, check: bool = True, timeout: float = 60) -> str:
        result = subprocess.run(
            list(args),
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise ClusterError(
                f"`{' '.join(args)}` failed ({result.returncode}): {result.stdout}{result.stderr}"
            )
        return result.stdout

    # ---- start -----------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], user: str | None = None) -> _Daemon:
        log = self.root / "logs" / f"{name}.out"
        out = open(log, "ab")
        env = self.client_env({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C"})
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.root,
            user=user,
            group=user,
            extra_groups=[] if user else None,
            preexec_fn=_die_with_parent,
            start_new_session=True,  # Ctrl-C on the test run goes to pytest, not the daemons
        )
        out.close()
        daemon = _Daemon(name, proc, log)
        self.daemons.append(daemon)
        return daemon

    def _wait(self, what: str, ready, daemon: _Daemon | None = None, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while True:
            if daemon is not None and daemon.proc.poll() is not None:
                raise ClusterError(
                    f"{daemon.name} exited with {daemon.proc.returncode} while waiting for "
                    f"{what}:\n{self.tail(daemon.name)}"
                )
            try:
                if ready():
                    return
            except (OSError, subprocess.SubprocessError, ClusterError):
                pass
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"timed out after {timeout} s waiting for {what}"
                    + (f":\n{self.tail(daemon.name)}" if daemon else "")
                )
            time.sleep(0.2)

    def _step(self, name: str, func):
        t0 = time.monotonic()
        func()
        self.timings[name] = round(time.monotonic() - t0, 2)

    def start(self) -> LocalSlurm:
        t0 = time.monotonic()
        try:
            for sub in ("etc", "logs", "state", "spool"):
                (self.root / sub).mkdir()
            self.cpus, self.memory_mb = _node_hardware()
            ports = _free_ports(4)
            self.ports = dict(zip(("mysql", "dbd", "ctld", "slurmd"), ports))
            self._write_configs()
            self.env = self.client_env()
            self._step("munged", self._start_munge)
            self._step("mariadb", self._start_mariadb)
            self._step("slurmdbd", self._start_slurmdbd)
            self._step("sacctmgr", self._register_accounts)
            self._step("slurmctld", self._start_slurmctld)
            self._step("slurmd", self._start_slurmd)
        except BaseException:
            self.log(f"localslurm: start failed; logs under {self.root}")
            self.stop(remove=False)
            raise
        self.timings["total"] = round(time.monotonic() - t0, 2)
        return self

    def _write_configs(self):
        r, p = self.root, self.ports
        auth = f"socket={self.munge_socket}"
        self.conf.write_text(
            f"""# written by tests/slurm/localslurm.py
ClusterName={self.cluster}
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={p["ctld"]}
SlurmdPort={p["slurmd"]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo={auth}
CredType=cred/munge
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool/slurmd-%n
SlurmctldPidFile={r}/state/slurmctld.pid
SlurmdPidFile={r}/spool/slurmd.pid
SlurmctldLogFile={r}/logs/slurmctld.log
SlurmdLogFile={r}/logs/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig={r}/etc/plugstack.conf
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU={self.def_mem_per_cpu}
ReturnToService=2
MinJobAge=300
KillWait=5
InactiveLimit=0
Waittime=0
MessageTimeout=20
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort={p["dbd"]}
# For slurmdbd connections the munge socket is taken from here, not from AuthInfo.
AccountingStoragePass={self.munge_socket}
AccountingStorageEnforce=associations
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
NodeName=localhost NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.memory_mb} State=UNKNOWN
PartitionName={self.partition} Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""
        )
        (self.etc / "plugstack.conf").write_text("")
        # Inside a job the slurm-jobstep plugin starts the rule with `srun`, after removing
        # every SLURM_* variable but the job's identity from its environment, SLURM_CONF
        # included. A real cluster keeps slurm.conf at the compiled-in path (or runs
        # configless), where srun finds it without the variable; this cluster's config lives
        # in a temporary directory, so jobs get this wrapper first on PATH, which only puts
        # SLURM_CONF back and runs the real srun.
        self.bin.mkdir()
        srun = self.bin / "srun"
        srun.write_text(
            "#!/bin/sh\n"
            "# written by tests/slurm/localslurm.py: see LocalSlurm._write_configs\n"
            f"SLURM_CONF='{self.conf}'\nexport SLURM_CONF\n"
            f"exec '{_which('srun')}' \"$@\"\n"
        )
        srun.chmod(0o755)
        dbd = self.etc / "slurmdbd.conf"
        dbd.write_text(
            f"""# written by tests/slurm/localslurm.py
AuthType=auth/munge
AuthInfo={auth}
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort={p["dbd"]}
SlurmUser=root
PidFile={r}/state/slurmdbd.pid
LogFile={r}/logs/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort={p["mysql"]}
StorageUser=root
StorageLoc=slurm_acct_db
"""
        )
        dbd.chmod(0o600)  # slurmdbd refuses a config readable by others

    def _start_munge(self):
        d = self.root / "munge"
        d.mkdir(mode=0o755)
        key = d / "munge.key"
        key.write_bytes(secrets.token_bytes(1024))
        key.chmod(0o400)
        shutil.chown(d, "munge", "munge")
        shutil.chown(key, "munge", "munge")
        daemon = self._spawn(
            "munged",
            [
                _which("munged"),
                "--foreground",
                f"--socket={self.munge_socket}",
                f"--key-file={key}",
                f"--log-file={d}/munged.log",
                f"--pid-file={d}/munged.pid",
                f"--seed-file={d}/munged.seed",
                "--num-threads=2",
            ],
            user="munge",
        )
        munge, unmunge = _which("munge"), _which("unmunge") or "unmunge"

        def ok():
            cred = subprocess.run(
                [munge, "-n", "-S", str(self.munge_socket)],
                capture_output=True,
                timeout=5,
                check=True,
            ).stdout
            subprocess.run(
                [unmunge, "-S", str(self.munge_socket)],
                input=cred,
                capture_output=True,
                timeout=5,
                check=True,
            )
            return True

        self._wait("munged to answer", ok, daemon, timeout=30)

    def _start_mariadb(self):
        data = self.root / "mysql"
        data.mkdir(mode=0o750)
        shutil.chown(data, "mysql", "mysql")
        innodb = [
            "--innodb-buffer-pool-size=64M",
            "--innodb-log-file-size=16M",
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0",
        ]
        # The system tables are needed (slurmdbd creates stored procedures: mysql.proc).
        result = subprocess.run(
            [
                _which("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={data}",
                "--user=mysql",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
                *innodb,
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise ClusterError(
                f"mariadb-install-db failed ({result.returncode}):\n"
                f"{(result.stdout + result.stderr)[-3000:]}"
            )
        # --skip-grant-tables: slurmdbd logs in as root over TCP without a password and
        # creates its database; the server listens on 127.0.0.1 only, on a private port.
        daemon = self._spawn(
            "mariadbd",
            [
                _which("mariadbd"),
                "--no-defaults",
                f"--datadir={data}",
                f"--socket={data}/mysql.sock",
                f"--pid-file={data}/mysql.pid",
                f"--tmpdir={data}",
                f"--port={self.ports['mysql']}",
                "--bind-address=127.0.0.1",
                "--skip-grant-tables",
                "--skip-name-resolve",
                "--skip-log-bin",
                "--performance-schema=OFF",
                "--innodb-lock-wait-timeout=900",
                *innodb,
            ],
            user="mysql",
        )
        admin = _which("mariadb-admin")

        def ok():
            subprocess.run(
                [
                    admin,
                    "--no-defaults",
                    "--protocol=tcp",
                    "-h",
                    "127.0.0.1",
                    "-P",
                    str(self.ports["mysql"]),
                    "-u",
                    "root",
                    "ping",
                ],
                capture_output=True,
                timeout=5,
                check=True,
            )
            return True

        self._wait("MariaDB to answer", ok, daemon, timeout=60)

    def _start_slurmdbd(self):
        daemon = self._spawn("slurmdbd", [_which("slurmdbd"), "-D"])
        sacctmgr = _which("sacctmgr")

        def ok():
            return (
                subprocess.run(
                    [sacctmgr, "-n", "list", "cluster"],
                    env=self.env,
                    capture_output=True,
                    timeout=10,
                ).returncode
                == 0
            )

        self._wait("slurmdbd to answer sacctmgr", ok, daemon, timeout=60)

    def _register_accounts(self):
        self.run("sacctmgr", "-i", "add", "cluster", self.cluster)
        self.run(
            "sacctmgr",
            "-i",
            "add",
            "account",
            self.account,
            f"cluster={self.cluster}",
            "description=test",
            "organization=test",
        )
        self.run(
            "sacctmgr",
            "-i",
            "add",
            "user",
            "root",
            f"account={self.account}",
            f"cluster={self.cluster}",
        )

    def _start_slurmctld(self):
        daemon = self._spawn("slurmctld", [_which("slurmctld"), "-D", "-i"])
        self._wait(
            "slurmctld to answer",
            lambda: "UP" in self.run("scontrol", "ping", check=False, timeout=10),
            daemon,
            timeout=60,
        )

    def _start_slurmd(self):
        daemon = self._spawn("slurmd", [_which("slurmd"), "-D", "-N", "localhost"])

        def idle():
            state = self.run("sinfo", "-h", "-n", "localhost", "-o", "%T", timeout=10).strip()
            return state.rstrip("*") in ("idle", "mixed", "allocated")

        self._wait("node localhost to become idle", idle, daemon, timeout=60)

    # ---- inspection ------------------------------------------------------------------------

    def tail(self, name: str, lines: int = 30) -> str:
        texts = []
        for path in sorted((self.root / "logs").glob(f"{name}*")) + sorted(
            (self.root / "munge").glob("*.log") if name == "munged" else []
        ):
            try:
                body = path.read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                continue
            texts.append(f"--- {path}\n" + "\n".join(body))
        return "\n".join(texts) or f"(no log for {name})"

    def sacct(self, *fields: str, extra: tuple[str, ...] = ()) -> list[dict[str, str]]:
        """Allocation rows (-X) of every job the cluster ran, as dicts."""
        out = self.run(
            "sacct",
            "-X",
            "-a",
            "--parsable2",
            "--noheader",
            "--starttime",
            "2000-01-01",
            "--format=" + ",".join(fields),
            *extra,
        )
        return [dict(zip(fields, line.split("|"))) for line in out.splitlines() if line]

    # ---- stop ------------------------------------------------------------------------------

    def leftover_processes(self) -> list[tuple[int, str]]:
        """Processes (other than this one) carrying this cluster's tag in their environment."""
        needle = f"{TAG_VAR}={self.tag}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                    found.append((int(entry.name), cmd.strip()))
            except OSError:
                continue
        return found

    def stop(self, remove: bool = True) -> list[str]:
        """Stop everything this cluster started; returns the problems met (empty: clean)."""
        problems = []
        t0 = time.monotonic()
        if self.env is not None and any(
            d.name == "slurmctld" and d.proc.poll() is None for d in self.daemons
        ):
            self.run("scancel", "--user=root", check=False, timeout=20)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if not self.run("squeue", "-h", "-o", "%i", check=False, timeout=10).strip():
                    break
                time.sleep(0.5)
        for daemon in reversed(self.daemons):
            if daemon.proc.poll() is None:
                daemon.proc.send_signal(signal.SIGTERM)
                try:
                    daemon.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    problems.append(f"{daemon.name} (pid {daemon.pid}) ignored SIGTERM; killed")
                    daemon.proc.kill()
                    daemon.proc.wait(timeout=10)
            if _pid_alive(daemon.pid):
                problems.append(f"{daemon.name} (pid {daemon.pid}) still alive after stop")
        # Anything the daemons spawned (slurmstepd, job processes) carries the tag.
        for pid, cmd in self.leftover_processes():
            problems.append(f"leftover process {pid} ({cmd!r}); killed")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.timings["stop"] = round(time.monotonic() - t0, 2)
        if remove and not problems and not os.environ.get("SEPARABILITY_SLURM_KEEP"):
            shutil.rmtree(self.root, ignore_errors=True)
        elif problems or not remove:
            self.log(f"localslurm: kept {self.root} for inspection")
        return problems


def main() -> int:
    problem = prerequisite_problem()
    if problem:
        print(f"localslurm: cannot run: {problem}", file=sys.stderr)
        return 2
    ensure_packages()
    cluster = LocalSlurm().start()
    print(f"localslurm: up in {cluster.timings['total']} s ({cluster.timings})")
    print(f"export SLURM_CONF={cluster.conf} PATH={cluster.bin}:$PATH")
    print(
        f"export SBATCH_ACCOUNT={cluster.account} SBATCH_PARTITION={cluster.partition}"
        "  # Ctrl-C (or SIGTERM) stops the cluster",
        flush=True,
    )

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        problems = cluster.stop()
        print("localslurm: stopped" + (f" with problems: {problems}" if problems else " cleanly"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
