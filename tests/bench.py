#!/usr/bin/env python3
"""bench.py: `make bench`: throughput of each stage against the stand-ins.

N secrets (env N, default 2000) are seeded into the Vault stand-in; both
stand-ins answer with a fixed latency (LATENCY ms, default 20) and the Key
Vault stand-in throttles at the service's published per-vault budget (300
secret writes and 4,000 transactions per 10 s).  Each stage runs on its
own, reading the previous stage's output, so its wall time, CPU seconds and
peak RSS are its own.  The whole pipeline is then run once more at -j 1 as
the sequential baseline.  Prints a table; writes the figures as JSON to OUT
(default bench.json).
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WRITE_BUDGET = 300 / 10.0	# SetSecret per second per vault (protocols.md A8)


def start(args, env):
    p = subprocess.Popen([sys.executable] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                         env=env, text=True)
    url = p.stdout.readline().strip()
    if not url:
        sys.exit("bench: a stand-in did not start: %s" % args[0])
    return p, url


def run_stage(cmd, stdin_path, stdout_path, env):
    """Run one stage; wall seconds, CPU seconds and peak RSS (KiB) of it."""
    with open(stdin_path, "rb") as fin, open(stdout_path, "wb") as fout:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdin=fin, stdout=fout,
                             stderr=subprocess.PIPE, env=env)
        # Peak RSS from the process's own VmHWM, sampled until it exits:
        # wait4's ru_maxrss would count the memory this Python process had
        # when it forked the child.
        hwm = [0]
        done = threading.Event()

        def sample():
            path = "/proc/%d/status" % p.pid
            while not done.is_set():
                try:
                    with open(path) as st:
                        for line in st:
                            if line.startswith("VmHWM:"):
                                hwm[0] = max(hwm[0], int(line.split()[1]))
                except OSError:
                    pass
                done.wait(0.01)
        th = threading.Thread(target=sample)
        th.start()
        _, status, ru = os.wait4(p.pid, 0)
        done.set()
        th.join()
        wall = time.monotonic() - t0
        err = p.stderr.read().decode(errors="replace")
        p.stderr.close()
    rc = os.waitstatus_to_exitcode(status)
    return {"wall_s": round(wall, 3),
            "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
            "peak_rss_kb": hwm[0], "exit": rc,
            "summary": err.strip().splitlines()[-1] if err.strip() else ""}


def count_lines(path, pred=None):
    n = 0
    with open(path) as f:
        for line in f:
            if pred is None or pred(json.loads(line)):
                n += 1
    return n


def main():
    n = int(os.environ.get("N") or 2000)
    latency = int(os.environ.get("LATENCY") or 20)
    out = os.environ.get("OUT") or "bench.json"
    jobs = int(os.environ.get("JOBS") or 16)
    work = tempfile.mkdtemp(prefix="vault2kv-bench.")
    procs = []
    try:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("VAULT_", "AZURE_", "KEY_VAULT_",
                                    "IDENTITY_", "MSI_", "IMDS_"))}
        env["PATH"] = os.pathsep.join(
            [os.path.join(TOP, t) for t in
             ("vault-ls", "vault-dump", "kv-name", "kv-put", "kv-check")]
            + [env.get("PATH", "")])
        tls = os.path.join(work, "tls")
        subprocess.run(["bash", "-c", '. "$0/tests/lib.sh"; tls_setup "$1"',
                        TOP, tls], check=True)
        seed = os.path.join(work, "seed.json")
        with open(seed, "w") as f:
            json.dump(vault_fixture(n), f)
        vp, vurl = start([os.path.join(TOP, "tests/servers/vault.py"),
                          "--port", "0", "--root-token", "bench-root",
                          "--seed", seed, "--latency", str(latency)], env)
        procs.append(vp)
        kvargs = [os.path.join(TOP, "tests/servers/keyvault.py"), "--port",
                  "0", "--tls-cert", tls + "/server.pem", "--tls-key",
                  tls + "/server.key", "--tenant", "t", "--client-id", "c",
                  "--client-secret", "bench-secret",
                  "--latency", str(latency)]
        kp, kurl = start(kvargs, env)
        procs.append(kp)
        os.unlink(seed)
        env.update({"VAULT_ADDR": vurl, "VAULT_TOKEN": "bench-root",
                    "KEY_VAULT_NAME": kurl, "AZURE_AUTHORITY_HOST": kurl,
                    "AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c",
                    "AZURE_CLIENT_SECRET": "bench-secret",
                    "SSL_CERT_FILE": tls + "/ca.pem",
                    "CURL_CA_BUNDLE": tls + "/ca.pem"})
        j = ["-j", str(jobs)]
        f = lambda s: os.path.join(work, s)
        open(f("empty"), "w").close()
        stages = [
            ("vault-ls", ["vault-ls"] + j, "empty", "ls"),
            ("vault-dump", ["vault-dump"] + j, "ls", "dump"),
            ("kv-name", ["kv-name"], "dump", "named"),
            ("kv-put", ["kv-put"] + j, "named", "mapping"),
            ("kv-check", ["kv-check"] + j, "named", "check"),
        ]
        res = {}
        for name, cmd, fin, fout in stages:
            r = run_stage(cmd, f(fin), f(fout), env)
            recs = count_lines(f(fout))
            r["records"] = recs
            r["records_per_s"] = round(recs / r["wall_s"], 1) if r["wall_s"] else 0
            res[name] = r
        failed = count_lines(f("mapping"), lambda r: "error" in r)
        created = count_lines(f("mapping"),
                              lambda r: r.get("status") == "created")
        notok = count_lines(f("check"), lambda r: r.get("check") != "ok")
        rate = created / res["kv-put"]["wall_s"] if res["kv-put"]["wall_s"] else 0
        # Sequential baseline: the same pipeline, one request at a time,
        # against a fresh Key Vault.
        kp.terminate()
        kp.wait()
        kp, kurl = start(kvargs, env)
        procs.append(kp)
        env.update({"KEY_VAULT_NAME": kurl, "AZURE_AUTHORITY_HOST": kurl})
        t0 = time.monotonic()
        seq = subprocess.run(
            ["bash", "-c", "vault-ls -j 1 | vault-dump -j 1 | kv-name | "
             "kv-put -j 1 >/dev/null"], env=env, stderr=subprocess.DEVNULL)
        seq_wall = time.monotonic() - t0
        kp.terminate()
        kp.wait()
        multi = three_vaults(kvargs, env, work, f, jobs)
        procs.append(multi.pop("proc"))
        for name in res:
            for k in ("exit", "summary"):
                res[name].pop(k, None)
        figures = {
            "n": n, "latency_ms": latency, "jobs": jobs,
            "stages": res,
            "import_records_per_s": round(rate, 2),
            "write_budget_per_s": WRITE_BUDGET,
            "import_fraction_of_budget": round(rate / WRITE_BUDGET, 3),
            "import_failed": failed,
            "check_not_ok": notok,
            "pipeline_cpu_s_per_secret": round(
                sum(r["cpu_s"] for r in res.values()) / max(n, 1), 6),
            "sequential_wall_s": round(seq_wall, 2),
            "sequential_exit": seq.returncode,
            "parallel_wall_s": round(sum(r["wall_s"] for r in res.values()), 2),
            "three_vaults_records_per_s": multi["rate"],
            "three_vaults_failed": multi["failed"],
            "three_vaults_speedup": round(multi["rate"] / rate, 2)
            if rate else 0,
        }
        print("%-11s %9s %8s %8s %9s %8s" % ("stage", "records", "rec/s",
              "wall s", "cpu s", "RSS KiB"))
        for name, r in res.items():
            print("%-11s %9d %8.1f %8.2f %9.3f %8d" % (
                name, r["records"], r["records_per_s"], r["wall_s"],
                r["cpu_s"], r["peak_rss_kb"]))
        print("import: %.1f secrets/s = %.0f%% of the %d/s write budget, "
              "%d failed; check: %d not ok" % (
                  rate, 100 * rate / WRITE_BUDGET, WRITE_BUDGET, failed, notok))
        print("CPU per secret, whole pipeline: %.2f ms" %
              (1000 * figures["pipeline_cpu_s_per_secret"]))
        print("sequential baseline (-j 1): %.1f s; parallel stages: %.1f s" %
              (seq_wall, figures["parallel_wall_s"]))
        print("three vaults (one kv-put, a third of the secrets each): %.1f "
              "secrets/s = %.2fx one vault's, %d failed" % (
                  multi["rate"], figures["three_vaults_speedup"],
                  multi["failed"]))
        with open(out, "w") as fo:
            json.dump(figures, fo, indent=1)
            fo.write("\n")
        print("figures written to %s" % out)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)


def three_vaults(kvargs, env, work, f, jobs):
    """kv-put into three vaults of one stand-in (--vaults), the secrets
    spread evenly over them by kv-name -e: the write rate of one run, each
    vault at its own budget."""
    names = ["kv-bench-a", "kv-bench-b", "kv-bench-c"]
    tls = os.path.join(work, "tls3")
    subprocess.run(["bash", "-c", '. "$0/tests/lib.sh"; tls_setup "$1" "$2"',
                    TOP, tls, "IP:127.0.0.1,DNS:localhost," +
                    ",".join("DNS:%s.localhost" % n for n in names)],
                   check=True)
    args = [a for a in kvargs]
    args[args.index("--tls-cert") + 1] = tls + "/server.pem"
    args[args.index("--tls-key") + 1] = tls + "/server.key"
    p = subprocess.Popen([sys.executable] + args + ["--vaults",
                         ",".join(names)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                         env=env, text=True)
    urls = [p.stdout.readline().strip() for _ in names]
    if not all(urls):
        sys.exit("bench: the three-vault stand-in did not start")
    e = dict(env)
    e.update({"KEY_VAULT_NAME": urls[0], "AZURE_AUTHORITY_HOST": urls[0],
              "SSL_CERT_FILE": tls + "/ca.pem",
              "CURL_CA_BUNDLE": tls + "/ca.pem"})
    # A third of the secrets each, by the number that ends the path.
    expr = '{vault: %s[(.path | split("/secret") | last | tonumber) %% 3]}' \
        % json.dumps(urls)
    with open(f("dump"), "rb") as fin, open(f("named3"), "wb") as fout:
        subprocess.run(["kv-name", "-q", "-e", expr], stdin=fin,
                       stdout=fout, env=e, check=True)
    r = run_stage(["kv-put", "-j", str(jobs)], f("named3"), f("mapping3"), e)
    created = count_lines(f("mapping3"), lambda x: x.get("status") == "created")
    return {"proc": p, "failed": count_lines(f("mapping3"),
                                             lambda x: "error" in x),
            "rate": round(created / r["wall_s"], 2) if r["wall_s"] else 0}


def vault_fixture(n):
    """N KV v2 secrets in folders 3 deep, one or two keys each."""
    secrets = {}
    for i in range(n):
        path = "team%d/svc%d/secret%d" % (i % 10, i % 97, i)
        data = {"value": "bench-value-%08d" % i}
        if i % 3 == 0:
            data["user"] = "svc-%d" % i
        secrets[path] = {"data": data}
    return {"secrets": {"secret/": secrets}}


if __name__ == "__main__":
    main()
