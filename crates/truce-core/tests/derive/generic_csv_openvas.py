#!/usr/bin/env python3
"""Independent reading of the OpenVAS CSV exports, for the expectations in
tests/format_generic_csv.rs. Uses only the csv module and the rules of docs/formats/csv.md
under the mapping the test saves, not Truce's code:

  id = NVT OID, ip = IP, hostname = Hostname, port = Port, protocol = Port Protocol,
  severity = Severity (values: the defaults, plus Log = info), cvss = CVSS, cve = CVEs,
  seen = Timestamp.

Identity rules applied here (docs/formats/csv.md): a finding is (asset, NVT OID, location),
location "{port}/{protocol}" lower-cased, "-" when the port cell is empty. An asset is its
hostname when the Hostname cell is set (lower-cased), else its IP (the corpus has no host
known by two names). A rescan closes the open findings of the same scanner on the assets it
covered that it did not report, when they were last seen before this scan's time.

Run from the repository root:  python3 crates/truce-core/tests/derive/generic_csv_openvas.py
"""
import csv
import os
import sys

CORPUS = os.path.join(os.path.dirname(__file__), "../../../../tests/corpus/scans/openvas")
if len(sys.argv) > 1:
    CORPUS = sys.argv[1]

SEV = {"critical": "critical", "high": "high", "medium": "medium", "low": "low", "info": "info", "log": "info"}
ORDER = ["critical", "high", "medium", "low", "info"]


def rows(name):
    with open(os.path.join(CORPUS, name), newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        header = next(r)
        start = r.line_num + 1
        out = []
        for rec in r:
            if any(c.strip() for c in rec):
                out.append((start, dict(zip(header, rec))))
            start = r.line_num + 1
        return header, out


def read(name):
    """{asset: {(oid, location): (severity, set of CVEs)}} and the asset's scan time."""
    _, rs = rows(name)
    assets, seen = {}, {}
    for _, row in rs:
        asset = row["Hostname"].strip().lower() or row["IP"].strip()
        port, proto = row["Port"].strip(), row["Port Protocol"].strip()
        loc = f"{port}/{proto}".lower() if port and proto else (port.lower() or "-")
        key = (row["NVT OID"].strip(), loc)
        cves = {t.upper() for t in row["CVEs"].replace(",", " ").replace(";", " ").split() if t.upper().startswith("CVE-")}
        found = assets.setdefault(asset, {})
        if key in found:
            found[key][1].update(cves)
        else:
            found[key] = (SEV[row["Severity"].strip().lower()], cves)
        seen[asset] = max(seen.get(asset, ""), row["Timestamp"].strip())
    return assets, seen


def counts(assets):
    by = dict.fromkeys(ORDER, 0)
    for found in assets.values():
        for sev, _ in found.values():
            by[sev] += 1
    return [by[s] for s in ORDER]


# The order the test imports them in, and the mapping each goes through.
SEQUENCE = [
    ("many_vuln.csv", "openvas"),
    ("one_vuln.csv", "openvas"),
    ("no_vuln.csv", "openvas"),
    ("report_combine_v2.csv", "openvas-qod"),
    ("report_using_CVE.csv", "openvas-qod"),
    ("report_using_openVAS.csv", "openvas-qod"),
    ("report_detail_v2.csv", "openvas (forced)"),
]


def utc(t):
    # The corpus writes RFC 3339; one file has +02:00.
    from datetime import datetime, timezone
    return datetime.fromisoformat(t.replace("Z", "+00:00")).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    for name in ["many_vuln.csv", "one_vuln.csv", "no_vuln.csv", "report_combine_v2.csv",
                 "report_using_CVE.csv", "report_using_openVAS.csv", "report_detail_v2.csv"]:
        header, _ = rows(name)
        print(f"{name}: {len(header)} columns: {', '.join(header)}")
    print()
    # The workspace: (scanner, asset, oid, loc) -> {status, last_seen, closed_at}
    ws = {}
    cves_all = set()
    print("file | mapping | assets | findings | new | closed | by severity (c,h,m,l,i) | CVEs in file")
    for name, mapping in SEQUENCE:
        scanner = "csv:openvas" if mapping.startswith("openvas") and "qod" not in mapping else "csv:openvas-qod"
        assets, seen = read(name)
        new = 0
        reported = set()
        file_cves = set()
        for asset, found in assets.items():
            t = utc(seen[asset])
            for (oid, loc), (sev, cves) in found.items():
                file_cves |= cves
                k = (scanner, asset, oid, loc)
                reported.add(k)
                if k not in ws:
                    ws[k] = {"status": "open", "last_seen": t, "closed_at": None}
                    new += 1
                else:
                    f = ws[k]
                    if f["status"] == "fixed" and t > f["closed_at"]:
                        f["status"], f["closed_at"] = "open", None
                    f["last_seen"] = max(f["last_seen"], t)
        closed = 0
        for k, f in ws.items():
            sc, asset, _, _ = k
            if sc == scanner and asset in assets and k not in reported and f["status"] == "open" \
                    and f["last_seen"] < utc(seen[asset]):
                f["status"], f["closed_at"] = "fixed", utc(seen[asset])
                closed += 1
        cves_all |= file_cves
        n = sum(len(v) for v in assets.values())
        print(f"{name} | {mapping} | {len(assets)} | {n} | {new} | {closed} | {counts(assets)} | {len(file_cves)}")
    assets = {a for (_, a, _, _) in ws}
    print()
    print(f"workspace: {len(assets)} assets, {len(ws)} findings, "
          f"{sum(f['status'] == 'open' for f in ws.values())} open, {len(cves_all)} distinct CVEs")

    # Bad input: report_using_openVAS.csv under a mapping without Log = info fails on the
    # first row whose Severity is Log.
    _, rs = rows("report_using_openVAS.csv")
    line, row = next((l, r) for l, r in rs if r["Severity"].strip() == "Log")
    print(f"\nfirst Log row of report_using_openVAS.csv starts on line {line}")

    # Rescan: many_vuln.csv without its last row, timestamps a month later.
    _, rs = rows("many_vuln.csv")
    last = rs[-1][1]
    print(f"many_vuln.csv last row: line {rs[-1][0]}, NVT {last['NVT OID']} "
          f"{last['Port']}/{last['Port Protocol']} {last['Severity']}; "
          f"rescan without it: {len(rs) - 1} findings unchanged, 1 closed")


main()
