#!/usr/bin/env python3
"""bench.py: `make bench`: the migration at the service's limit.

For each N (env N, default "300 1000"), N secrets are seeded into the Vault
stand-in; both stand-ins answer with a fixed latency (LATENCY ms, default
20) and the Key Vault stand-in enforces the service's published budgets per
vault, 300 secret writes and 4,000 other operations in 10 s
(learn.microsoft.com/en-us/azure/key-vault/general/service-limits),
counted as MODE says (bucket, fixed or sliding; default bucket).

One run of the whole pipeline, vault-ls | vault-dump | kv-name | kv-put |
kv-check, each stage under /usr/bin/time (CPU and peak RSS of that stage
alone), gives: the time to the first secret write, the migrate time (until
kv-put exits) against the floor (N - 300)/30 s of a token-bucket vault and
the floor of a schedule safe under every way of counting (no more than 300
writes in any 10 s: the k-th write at least 10 s after the (k-300)-th), the
migrate + check time, the write rate after the first 300, CPU per secret
and per stage, peak RSS per tool.  Then kv-check runs alone against the
migrated vault, and curl(1) fetches the same URLs with one `curl -K`
(one keep-alive connection): CPU per HTTPS request of each.  Every
client trusts the system's CA bundle with the stand-ins' CA added, as on
an operator's machine.

`make bench N=100000 LATENCY=0`: the same with the budgets off (a run of
100,000 writes at 30/s would take an hour), for memory.

Prints a table; writes the figures as JSON to OUT (default bench.json).
"""

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import ssl

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WRITES, OTHERS, WINDOW = 300, 4000, 10.0
TOOLS = ("vault-ls", "vault-dump", "kv-name", "kv-put", "kv-check")
TIME = "/usr/bin/time"
# Trust as on an operator's machine (Debian's ca-certificates), with the
# stand-ins' CA: loading it is part of the CPU a run costs.
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def start(args, env):
    p = subprocess.Popen([sys.executable] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                         env=env, text=True)
    url = p.stdout.readline().strip()
    if not url:
        sys.exit("bench: a stand-in did not start: %s" % args[0])
    return p, url


def timed(cmd, stat):
    """cmd under /usr/bin/time: wall, user, system seconds and peak RSS
    of the command alone, written to stat."""
    return [TIME, "-f", "%e %U %S %M", "-o", stat] + cmd


def read_time(stat):
    with open(stat) as f:
        last = f.read().strip().splitlines()[-1].split()
    wall, user, sys_, rss = float(last[0]), float(last[1]), \
        float(last[2]), int(last[3])
    return {"wall_s": wall, "user_s": user, "sys_s": sys_,
            "cpu_s": round(user + sys_, 3), "peak_rss_kb": rss}


def admin(url, path, ctx, method="GET", body=None):
    req = urllib.request.Request(url + path, method=method, data=body,
                                 headers={"Content-Type":
                                          "application/json"})
    with urllib.request.urlopen(req, context=ctx) as r:
        return json.loads(r.read() or b"null")


def parse_time(s):
    """The stand-in's log time, 2026-12-02T23:08:28.1234567Z, in epoch s."""
    base, frac = s.rstrip("Z").split(".")
    return (time.mktime(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) -
            time.timezone + int(frac) / 1e7)


def pipeline(work, env, jobs, extra):
    """The five stages, piped, each timed; the exit time of each."""
    procs, ends, t0 = [], {}, time.time()
    prev = subprocess.DEVNULL
    for name in TOOLS:
        cmd = [name]
        if name != "kv-name":
            cmd += ["-j", str(jobs)]
        cmd += extra.get(name, [])
        stdout = subprocess.PIPE
        if name == "kv-check":
            stdout = open(os.path.join(work, "check"), "wb")
        p = subprocess.Popen(timed(cmd, os.path.join(work, name + ".time")),
                             stdin=prev, stdout=stdout,
                             stderr=open(os.path.join(work, name + ".err"),
                                         "wb"), env=env)
        if prev is not subprocess.DEVNULL:
            prev.close()
        if name == "kv-put":
            # kv-put's output, the mapping, kept for kv-check alone later
            tee = subprocess.Popen(["tee", os.path.join(work, "mapping")],
                                   stdin=p.stdout, stdout=subprocess.PIPE,
                                   env=env)
            p.stdout.close()
            procs.append(("tee", tee))
            prev = tee.stdout
        else:
            prev = p.stdout if stdout is subprocess.PIPE else None
        procs.append((name, p))

    def wait(name, p):
        p.wait()
        ends[name] = time.time() - t0
    th = [threading.Thread(target=wait, args=np) for np in procs]
    for t in th:
        t.start()
    for t in th:
        t.join()
    return t0, ends, {name: p.returncode for name, p in procs}


def curl_same(work, env, kurl, reqs, ctx):
    """curl -K over the URLs kv-check requested, on one connection."""
    tok = json.loads(subprocess.run(
        ["curl", "-sS", "--cacert", env["CURL_CA_BUNDLE"],
         "-d", "grant_type=client_credentials", "-d", "client_id=c",
         "-d", "client_secret=bench-secret",
         "-d", "scope=https://127.0.0.1/.default",
         kurl + "/t/oauth2/v2.0/token"], capture_output=True,
        check=True).stdout)["access_token"]
    cfg = os.path.join(work, "curl.cfg")
    with open(cfg, "w") as f:
        f.write('silent\ncacert = "%s"\nheader = "Authorization: Bearer '
                '%s"\n' % (env["CURL_CA_BUNDLE"], tok))
        for r in reqs:
            q = "&".join("%s=%s" % (k, urllib.request.quote(v, safe=""))
                         for k, v in r["query"].items())
            f.write('url = "%s%s%s"\n' % (kurl, r["path"],
                                          "?" + q if q else ""))
    stat = os.path.join(work, "curl.time")
    with open(os.devnull, "wb") as null:
        subprocess.run(timed(["curl", "-K", cfg], stat), stdout=null,
                       env=env, check=True)
    return read_time(stat)


def bench_one(n, latency, jobs, mode, budgets, work, env0, ctx):
    env = dict(env0)
    tls = os.path.join(work, "tls")
    seed = os.path.join(work, "seed.json")
    with open(seed, "w") as f:
        json.dump(vault_fixture(n), f)
    procs = []
    try:
        vp, vurl = start([os.path.join(TOP, "tests/servers/vault.py"),
                          "--port", "0", "--root-token", "bench-root",
                          "--seed", seed, "--latency", str(latency)], env)
        procs.append(vp)
        kvargs = [os.path.join(TOP, "tests/servers/keyvault.py"), "--port",
                  "0", "--tls-cert", tls + "/server.pem", "--tls-key",
                  tls + "/server.key", "--tenant", "t", "--client-id", "c",
                  "--client-secret", "bench-secret",
                  "--latency", str(latency), "--throttle-mode", mode]
        if not budgets:
            kvargs += ["--write-limit", "0", "--all-limit", "0"]
        kp, kurl = start(kvargs, env)
        procs.append(kp)
        os.unlink(seed)
        env.update({"VAULT_ADDR": vurl, "VAULT_TOKEN": "bench-root",
                    "KEY_VAULT_NAME": kurl, "AZURE_AUTHORITY_HOST": kurl,
                    "AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c",
                    "AZURE_CLIENT_SECRET": "bench-secret"})
        extra = {} if budgets else {
            "kv-put": ["--write-budget", "1000000/1", "--rate", "1000000"],
            "kv-check": ["--rate", "1000000"]}
        t0, ends, rcs = pipeline(work, env, jobs, extra)
        log = admin(kurl, "/_admin/requests", ctx)["requests"]
        puts = sorted(parse_time(r["time"]) - t0 for r in log
                      if r["kind"] == "data" and r["method"] == "PUT" and
                      r["status"] == 200)
        throttled = sum(1 for r in log if r["status"] == 429)
        # The stand-in keeps the last 20,000 requests: past that, the
        # first writes are gone from its log.
        if len(log) >= 20000:
            puts = []
        stages = {t: read_time(os.path.join(work, t + ".time"))
                  for t in TOOLS}
        with open(os.path.join(work, "check")) as f:
            checks = [json.loads(line) for line in f]
        notok = sum(1 for r in checks if r.get("check") != "ok")
        failed = sum(1 for r in checks if "error" in r)

        # kv-check alone, then curl over the same URLs.
        admin(kurl, "/_admin/requests", ctx, "DELETE")
        stat = os.path.join(work, "alone.time")
        with open(os.path.join(work, "mapping"), "rb") as fin, \
                open(os.devnull, "wb") as null:
            subprocess.run(timed(["kv-check", "-q", "-j", str(jobs)] +
                                 extra.get("kv-check", []), stat),
                           stdin=fin, stdout=null, env=env)
        alone = read_time(stat)
        reqs = [r for r in admin(kurl, "/_admin/requests", ctx)["requests"]
                if r["kind"] == "data"]
        nreq = len(admin(kurl, "/_admin/requests", ctx)["requests"])
        curl = curl_same(work, env, kurl, reqs, ctx)
        if nreq >= 20000:
            # The log kept the last 20,000 only: no count, no figure.
            nreq = None
        # The same secrets into three vaults at once (budgets on only).
        multi = three_vaults(kvargs, env, work, jobs) if budgets else None
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()

    floor = max(n - WRITES, 0) / (WRITES / WINDOW)
    # No more than 300 writes in any 10 s: write k + 300 comes at least
    # 10 s after write k, so the last one at least this long after the
    # first.
    floor_win = (math.ceil(n / WRITES) - 1) * WINDOW
    after = [t for t in puts[WRITES:]] if len(puts) > WRITES else []
    rate_after = (len(after) / (after[-1] - puts[WRITES - 1])
                  if len(after) > 1 and after[-1] > puts[WRITES - 1] else None)
    cpu_total = sum(s["cpu_s"] for s in stages.values())
    single = len(puts) / ends["kv-put"] if puts and ends["kv-put"] else None
    return {
        "n": n, "latency_ms": latency, "jobs": jobs, "throttle_mode": mode,
        "budgets": budgets,
        "exit": rcs,
        "time_to_first_write_s": round(puts[0], 3) if puts else None,
        "first_300_writes_s": round(puts[min(WRITES, len(puts)) - 1], 3)
        if puts else None,
        "migrate_s": round(ends["kv-put"], 2),
        "floor_bucket_s": round(floor, 2),
        "floor_any_window_s": floor_win,
        "migrate_vs_floor": round(ends["kv-put"] / floor, 3) if floor else None,
        "migrate_vs_window_floor": round(ends["kv-put"] / floor_win, 3)
        if floor_win else None,
        "migrate_check_s": round(ends["kv-check"], 2),
        "writes": len(puts), "throttled_429": throttled,
        "write_rate_after_300_per_s": round(rate_after, 2)
        if rate_after else None,
        "records_failed": failed, "check_not_ok": notok,
        "single_vault_writes_per_s": round(single, 2) if single else None,
        "three_vaults": multi,
        "three_vaults_vs_single": round(multi["writes_per_s"] / single, 2)
        if multi and single and multi["writes_per_s"] else None,
        "stages": stages,
        "cpu_s_total": round(cpu_total, 3),
        "cpu_ms_per_secret": round(1000 * cpu_total / max(n, 1), 4),
        "kv_check_alone": dict(alone, requests=nreq,
                               cpu_ms_per_request=round(
                                   1000 * alone["cpu_s"] / max(nreq, 1), 4)
                               if nreq else None),
        "curl_same_urls": dict(curl, requests=len(reqs),
                               cpu_ms_per_request=round(
                                   1000 * curl["cpu_s"] / max(len(reqs), 1),
                                   4)),
    }


def show(r):
    print("N = %d, %d ms, -j %d, vault counts as a %s%s" % (
        r["n"], r["latency_ms"], r["jobs"], r["throttle_mode"],
        "" if r["budgets"] else " (budgets off)"))
    print("  %-10s %8s %8s %8s %9s" % ("stage", "wall s", "user s",
                                       "sys s", "RSS KiB"))
    for t, s in r["stages"].items():
        print("  %-10s %8.2f %8.3f %8.3f %9d" % (
            t, s["wall_s"], s["user_s"], s["sys_s"], s["peak_rss_kb"]))
    f = lambda v, fmt: fmt % v if v is not None else "-"
    print("  first write after %s s; first 300 by %s s; %d writes, "
          "%d answered 429" % (
              f(r["time_to_first_write_s"], "%.3f"),
              f(r["first_300_writes_s"], "%.2f"), r["writes"],
              r["throttled_429"]))
    print("  migrate %.2f s: floor %.1f s for a token bucket (x %s), "
          "%.0f s for any window (x %s); writes after the 300th: %s/s" % (
              r["migrate_s"], r["floor_bucket_s"],
              f(r["migrate_vs_floor"], "%.2f"), r["floor_any_window_s"],
              f(r["migrate_vs_window_floor"], "%.2f"),
              f(r["write_rate_after_300_per_s"], "%.1f")))
    print("  migrate + check %.2f s; %d records failed, %d not ok" % (
        r["migrate_check_s"], r["records_failed"], r["check_not_ok"]))
    if r["three_vaults"]:
        m = r["three_vaults"]
        print("  one vault %s writes/s; three vaults %s writes/s (%d created,"
              " %d failed, %d answered 429): x %s" % (
                  f(r["single_vault_writes_per_s"], "%.1f"),
                  f(m["writes_per_s"], "%.1f"), m["created"], m["failed"],
                  m["throttled_429"],
                  f(r["three_vaults_vs_single"], "%.2f")))
    print("  CPU %.3f s = %.3f ms per secret" % (r["cpu_s_total"],
                                                r["cpu_ms_per_secret"]))
    a, c = r["kv_check_alone"], r["curl_same_urls"]
    if a["requests"] is None:
        print("  CPU per HTTPS request: not counted (the stand-in's log "
              "holds 20,000 requests)")
        return
    print("  CPU per HTTPS request: kv-check %.3f ms (%d requests, %.3f s),"
          " curl -K %.3f ms (%d, %.3f s): x %.2f" % (
              a["cpu_ms_per_request"], a["requests"], a["cpu_s"],
              c["cpu_ms_per_request"], c["requests"], c["cpu_s"],
              a["cpu_ms_per_request"] / c["cpu_ms_per_request"]
              if c["cpu_ms_per_request"] else 0))


def main():
    ns = [int(x) for x in (os.environ.get("N") or "300 1000").split()]
    latency = int(os.environ.get("LATENCY") or 20)
    out = os.environ.get("OUT") or "bench.json"
    jobs = int(os.environ.get("JOBS") or 16)
    mode = os.environ.get("MODE") or "bucket"
    work = tempfile.mkdtemp(prefix="vault2kv-bench.")
    try:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("VAULT_", "AZURE_", "KEY_VAULT_",
                                    "IDENTITY_", "MSI_", "IMDS_"))}
        env["PATH"] = os.pathsep.join(
            [os.path.join(TOP, t) for t in TOOLS] + [env.get("PATH", "")])
        tls = os.path.join(work, "tls")
        subprocess.run(["bash", "-c", '. "$0/tests/lib.sh"; tls_setup "$1"',
                        TOP, tls], check=True)
        trust = bundle(tls)
        env.update({"SSL_CERT_FILE": trust, "CURL_CA_BUNDLE": trust})
        ctx = ssl.create_default_context(cafile=tls + "/ca.pem")
        results = []
        for n in ns:
            # A run of 100,000 writes at 30/s would take an hour: for
            # memory (LATENCY=0), the budgets are off.
            budgets = not (latency == 0 and n > 10000)
            r = bench_one(n, latency, jobs, mode, budgets, work, env, ctx)
            show(r)
            results.append(r)
        with open(out, "w") as fo:
            json.dump(results, fo, indent=1)
            fo.write("\n")
        print("figures written to %s" % out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def three_vaults(kvargs, env, work, jobs):
    """kv-put into three vaults of one stand-in (--vaults), the secrets
    spread evenly over them by kv-name -e: the write rate of one run, each
    vault at its own budget."""
    names = ["kv-bench-a", "kv-bench-b", "kv-bench-c"]
    tls = os.path.join(work, "tls3")
    subprocess.run(["bash", "-c", '. "$0/tests/lib.sh"; tls_setup "$1" "$2"',
                    TOP, tls, "IP:127.0.0.1,DNS:localhost," +
                    ",".join("DNS:%s.localhost" % n for n in names)],
                   check=True)
    args = list(kvargs)
    args[args.index("--tls-cert") + 1] = tls + "/server.pem"
    args[args.index("--tls-key") + 1] = tls + "/server.key"
    p = subprocess.Popen([sys.executable] + args + ["--vaults",
                         ",".join(names)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                         env=env, text=True)
    try:
        urls = [p.stdout.readline().strip() for _ in names]
        if not all(urls):
            sys.exit("bench: the three-vault stand-in did not start")
        e = dict(env)
        trust = bundle(tls)
        e.update({"KEY_VAULT_NAME": urls[0], "AZURE_AUTHORITY_HOST": urls[0],
                  "SSL_CERT_FILE": trust, "CURL_CA_BUNDLE": trust})
        # A third of the secrets each, by the number that ends the path.
        expr = ('{vault: %s[(.path | split("/secret") | last | tonumber) '
                '%% 3]}' % json.dumps(urls))
        named = os.path.join(work, "named3")
        j = str(jobs)
        subprocess.run(["bash", "-c", 'vault-ls -q -j "$1" | '
                        'vault-dump -q -j "$1" | kv-name -q -e "$2" >"$3"',
                        "bench", j, expr, named], env=e, check=True)
        t0 = time.monotonic()
        with open(named, "rb") as fin:
            out = subprocess.run(["kv-put", "-q", "-j", j], stdin=fin,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, env=e).stdout
        wall = time.monotonic() - t0
        os.unlink(named)
        recs = [json.loads(x) for x in out.splitlines() if x.strip()]
        created = sum(1 for r in recs if r.get("status") == "created")
        ctx = ssl.create_default_context(cafile=tls + "/ca.pem")
        # The admin API answers on any of the vaults' names; Python
        # resolves no NAME.localhost, so by address.
        log = admin(re.sub(r"//[^:/]+", "//127.0.0.1", urls[0]),
                    "/_admin/requests", ctx)["requests"]
        return {"wall_s": round(wall, 2), "created": created,
                "failed": sum(1 for r in recs if "error" in r),
                # a 429 turns that vault's pacer strict (kv-put(1))
                "throttled_429": sum(1 for r in log if r["status"] == 429),
                "writes_per_s": round(created / wall, 2) if wall else None}
    finally:
        p.terminate()
        p.wait()


def bundle(tls):
    """What an operator's machine trusts: the system's CA bundle, and the
    stand-ins' throwaway CA after it; the path of that file."""
    out = os.path.join(tls, "bundle.pem")
    with open(out, "w") as fo:
        try:
            with open(SYSTEM_BUNDLE) as fi:
                fo.write(fi.read())
        except OSError:
            pass
        with open(os.path.join(tls, "ca.pem")) as fi:
            fo.write(fi.read())
    return out


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
