"""The victim's services: nginx (with an HTTP basic-auth location), dnsmasq (local records only,
no upstream), OpenSSH and mosquitto, each run in the foreground from a config written to the
run's private temp folder and stopped by PID.

Nothing touches /etc or the root namespace's services. OpenSSH needs a real account and its
privilege-separation folder: sshd runs in a private mount namespace (the one `ip netns exec`
makes, a slave of the root one, so nothing propagates back) in which copies of /etc/passwd,
/etc/group and /etc/shadow with the throwaway user added are bind-mounted over the real ones
and /run is a fresh tmpfs.
"""

import base64
import hashlib
import os
import random
import subprocess
import time
from pathlib import Path

from packetclip.errors import PacketclipError
from packetclip.lab.tools import which

LAB_UID = 64990
SERVERS = ("nginx", "dnsmasq", "sshd", "mosquitto")


def write_configs(srv, plan, rng):
    """Configs, keys, web content and the DNS zone under `srv`; returns {server: argv}."""
    v, sec = plan.victim, plan.secrets
    srv.mkdir(parents=True, exist_ok=True)
    os.chmod(srv, 0o755)  # nginx workers run as nobody and read www/
    www = srv / "www"
    (www / "admin").mkdir(parents=True)
    (www / "static").mkdir()
    (www / "api").mkdir()
    (www / "index.html").write_text(_page("Lab gateway", rng, 40))
    (www / "admin" / "index.html").write_text(_page("Administration", rng, 15))
    for i in range(8):
        (www / f"page{i}.html").write_text(_page(f"Page {i}", rng, rng.randint(5, 120)))
    for i, size in enumerate(sorted(rng.sample(range(2_000, 400_000), 6))):
        (www / "static" / f"blob{i}.bin").write_bytes(rng.randbytes(size))
    (www / "api" / "status.json").write_text('{"status": "ok", "sensors": 12}\n')
    sha = base64.b64encode(hashlib.sha1(sec["http_password"].encode()).digest()).decode()
    (srv / "htpasswd").write_text(f"{sec['http_user']}:{{SHA}}{sha}\n")
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (srv / "nginx" / d).mkdir(parents=True)
    temps = "\n".join(f"    {d}_temp_path {srv}/nginx/{d.replace('client_body', 'body')};"
                      for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (srv / "nginx.conf").write_text(f"""daemon off;
master_process on;
worker_processes 1;
user nobody nogroup;
pid {srv}/nginx.pid;
error_log {srv}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
{temps}
    types {{ text/html html; application/octet-stream bin; application/json json; }}
    keepalive_timeout 15;
    server {{
        listen {v}:80;
        root {www};
        location /admin/ {{ auth_basic "lab admin"; auth_basic_user_file {srv}/htpasswd; }}
    }}
}}
""")
    # DNS: the lab's own zone, answered locally; everything else is refused (no upstream)
    records = [f"--host-record={h.name}.lab,{h.addrs[0]}" for h in plan.hosts if h.role != "attacker"]
    records += [f"--host-record={n}.lab,{plan.victim}" for n in ("www", "mqtt", "ssh", "gateway")]
    records += ["--txt-record=lab,packetclip lab zone", "--mx-host=lab,gateway.lab,10"]
    dnsmasq = [which("dnsmasq"), "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll",
               "--bind-interfaces", f"--listen-address={v}", "--port=53", "--local=/lab/", "--domain-needed",
               "--bogus-priv", "--cache-size=1000", f"--pid-file={srv}/dnsmasq.pid", "--user=nobody",
               "--group=nogroup", f"--log-facility={srv}/dnsmasq.log", *records]
    # OpenSSH: host key, the throwaway user's key pair, config, account files for the bind mounts
    ssh = srv / "ssh"
    ssh.mkdir(mode=0o700)
    for key in ("host_ed25519", "client_ed25519"):
        r = subprocess.run([which("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", f"packetclip-lab-{key}",
                            "-f", str(ssh / key)], capture_output=True, text=True, timeout=30)
        if r.returncode:
            raise PacketclipError(f"lab: ssh-keygen failed ({r.stderr.strip()})")
    home = srv / "home"  # sshd reads authorized_keys as the user: it lives in the user's home
    home.mkdir()
    (home / "authorized_keys").write_text((ssh / "client_ed25519.pub").read_text())
    for p in (home, home / "authorized_keys"):
        os.chown(p, LAB_UID, LAB_UID)
    user = sec["ssh_user"]
    salt = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(16))
    r = subprocess.run([which("openssl"), "passwd", "-6", "-salt", salt, "-stdin"], input=sec["ssh_password"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode:
        raise PacketclipError(f"lab: openssl passwd failed ({r.stderr.strip()})")
    for name, line in (("passwd", f"{user}:x:{LAB_UID}:{LAB_UID}:packetclip lab:{home}:/bin/sh"),
                       ("group", f"{user}:x:{LAB_UID}:"),
                       ("shadow", f"{user}:{r.stdout.strip()}:19000:0:99999:7:::")):
        text = Path("/etc", name).read_text()
        (ssh / name).write_text(text.rstrip("\n") + "\n" + line + "\n")
        os.chmod(ssh / name, 0o600 if name == "shadow" else 0o644)
    (ssh / "sshd_config").write_text(f"""ListenAddress {v}
Port 22
HostKey {ssh}/host_ed25519
PidFile none
UsePAM no
PermitRootLogin no
AllowUsers {user}
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile {home}/authorized_keys
StrictModes no
UseDNS no
MaxStartups 64:30:128
LoginGraceTime 20
PrintMotd no
Banner none
""")
    mounts = " && ".join(f"mount --bind {ssh}/{n} /etc/{n}" for n in ("passwd", "group", "shadow"))
    sshd = ["sh", "-c", f"{mounts} && mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd "
                        f"&& exec {which('sshd')} -D -e -f {ssh}/sshd_config"]
    (srv / "mosquitto.conf").write_text(f"""listener 1883 {v}
allow_anonymous true
persistence false
log_dest stdout
log_type error
log_type warning
max_connections -1
""")
    mosquitto = [which("mosquitto"), "-c", str(srv / "mosquitto.conf")]
    nginx = [which("nginx"), "-e", str(srv / "nginx-error.log"), "-c", str(srv / "nginx.conf")]
    return {"nginx": nginx, "dnsmasq": dnsmasq, "sshd": sshd, "mosquitto": mosquitto}


def _page(title, rng, paragraphs):
    words = ("sensor gateway firmware telemetry status update network device uptime reading value "
             "temperature humidity relay camera door light schedule report log event alarm").split()
    body = "\n".join("<p>" + " ".join(rng.choice(words) for _ in range(rng.randint(20, 80))) + "</p>"
                     for _ in range(paragraphs))
    return f"<!doctype html>\n<html><head><title>{title}</title></head><body><h1>{title}</h1>\n{body}\n</body></html>\n"


def start(procs, ns, argvs, budget_s):
    """Start the servers; return {server: Popen} once each listens (or raise)."""
    started = {}
    for name in SERVERS:
        started[name] = procs.start(ns, argvs[name], name, budget_s, log=f"{name}.log")
    want = {"nginx": ("tcp", 80), "dnsmasq": ("udp", 53), "sshd": ("tcp", 22), "mosquitto": ("tcp", 1883)}
    deadline = time.monotonic() + 15
    while True:
        r = subprocess.run(["ip", "netns", "exec", ns, "ss", "-Hlntu"], capture_output=True, text=True, timeout=10)
        listening = {(ln.split()[0], int(ln.split()[4].rsplit(":", 1)[1])) for ln in r.stdout.splitlines() if ln.strip()}
        waiting = [n for n, w in want.items() if w not in listening]
        dead = [n for n, p in started.items() if p.poll() is not None]
        if dead:
            raise PacketclipError(f"lab: the victim's {dead[0]} exited at start (exit {started[dead[0]].returncode}); "
                                  f"see its log under the output's logs/")
        if not waiting:
            return started
        if time.monotonic() > deadline:
            raise PacketclipError(f"lab: the victim's {waiting[0]} is not listening after 15 s; see logs/{waiting[0]}.log")
        time.sleep(0.1)


def inputs(work, plan):
    """Word lists and the DNS query file the attack phases read (inputs/ of the work folder)."""
    rng = random.Random(plan.inputs_seed)
    d = work / "inputs"
    d.mkdir(exist_ok=True)
    src = Path("/usr/share/nmap/nselib/data/passwords.lst")  # nmap's list of common passwords
    words = [w for w in src.read_text(errors="replace").splitlines() if w and not w.startswith("#!")]
    n = 60 if plan.scale == "ci" else 1500
    (d / "ssh-words.txt").write_text("\n".join(rng.sample(words, n)) + "\n")
    (d / "http-words.txt").write_text("\n".join(rng.sample(words, n)) + "\n")
    names = [f"{h.name}.lab" for h in plan.hosts if h.role != "attacker"] + ["www.lab", "mqtt.lab", "lab"]
    lines = []
    for _ in range(2000):
        r = rng.random()
        if r < 0.5:
            lines.append(f"{rng.choice(names)} A")
        elif r < 0.6:
            lines.append(f"lab {rng.choice(['TXT', 'MX', 'ANY'])}")
        else:  # random names: NXDOMAIN from the local zone, no cache help (a water-torture flood)
            lines.append(f"{''.join(rng.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(rng.randint(6, 16)))}.lab A")
    (d / "dns-queries.txt").write_text("\n".join(lines) + "\n")
    return d
