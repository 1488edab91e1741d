//! A seeded generator of `.nessus` (NessusClientData_v2) files shaped like the real ones
//! measured in `tests/corpus/scans/NESSUS_FORMAT.md` and sized like the issue asks (100k items ~ 200 MB):
//! a large Policy block first, ~50 items
//! per host, 78% informational, repeated `<cve>` elements on some items, heavy-tailed
//! plugin_output (median ~0.5 KB, rare items of 100+ KB), non-ASCII text, and `svc_name`s
//! with a trailing '?'.

use std::io::{self, Write};

use crate::rng::Rng;

pub struct Spec {
    pub seed: u64,
    pub hosts: usize,
    pub items: usize,
    /// Distinct plugins the items are drawn from.
    pub plugins: usize,
    /// HOST_START_TIMESTAMP of every host.
    pub scan_time: i64,
    /// Share of (host, plugin, port) items to leave out, chosen by `drop_seed` (a rescan with fixes).
    pub drop_share: f64,
    pub drop_seed: u64,
}

impl Spec {
    pub fn new(items: usize) -> Spec {
        Spec {
            seed: 42,
            hosts: (items / 50).max(1),
            items,
            plugins: 6000,
            scan_time: 1_763_900_000,
            drop_share: 0.0,
            drop_seed: 7,
        }
    }
}

const FAMILIES: &[&str] = &[
    "General",
    "Web Servers",
    "Windows",
    "Ubuntu Local Security Checks",
    "Misc.",
    "Service detection",
    "CGI abuses",
    "Databases",
    "SNMP",
    "Red Hat Local Security Checks",
];
const SERVICES: &[(&str, u16, &str)] = &[
    ("general", 0, "tcp"),
    ("www", 80, "tcp"),
    ("www", 443, "tcp"),
    ("cifs", 445, "tcp"),
    ("ssh", 22, "tcp"),
    ("msrdp", 3389, "tcp"),
    ("dce-rpc", 135, "tcp"),
    ("smtp", 25, "tcp"),
    ("unknown", 8443, "tcp"),
    ("kerberos?", 88, "udp"),
    ("snmp", 161, "udp"),
    ("ntp", 123, "udp"),
    ("icmp", 0, "icmp"),
];
const WORDS: &[&str] = &[
    "remote",
    "host",
    "server",
    "version",
    "vulnerable",
    "update",
    "package",
    "kernel",
    "openssl",
    "apache",
    "service",
    "certificate",
    "TLS",
    "cipher",
    "detected",
    "missing",
    "patch",
    "security",
    "Größe",
    "Überprüfung",
    "configuración",
    "сервер",
    "証明書",
    "version",
    "affected",
    "listening",
    "port",
];

fn words(rng: &mut Rng, n: usize, out: &mut String) {
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

struct Plugin {
    id: u32,
    name: String,
    family: &'static str,
    severity: u8,
    cves: Vec<String>,
    synopsis: String,
    description: String,
    solution: String,
}

fn plugins(spec: &Spec) -> Vec<Plugin> {
    let mut rng = Rng::new(spec.seed ^ 0xA11CE);
    (0..spec.plugins)
        .map(|i| {
            // Severity mix measured on real files: 78% info, 3% low, 13% medium, 4% high, 2% critical.
            let r = rng.unit();
            let severity = if r < 0.78 {
                0
            } else if r < 0.81 {
                1
            } else if r < 0.94 {
                2
            } else if r < 0.98 {
                3
            } else {
                4
            };
            let ncve = if severity == 0 || !rng.chance(0.6) {
                0
            } else if rng.chance(0.8) {
                1
            } else {
                2 + rng.below(30) as usize
            };
            let cves = (0..ncve)
                .map(|_| {
                    format!(
                        "CVE-20{:02}-{}",
                        10 + rng.below(16),
                        1000 + rng.below(50000)
                    )
                })
                .collect();
            let mut name = String::new();
            let n = 3 + rng.below(5) as usize;
            words(&mut rng, n, &mut name);
            let mut synopsis = String::new();
            let n = 8 + rng.below(10) as usize;
            words(&mut rng, n, &mut synopsis);
            let mut description = String::new();
            let n = 20 + rng.below(60) as usize;
            words(&mut rng, n, &mut description);
            let mut solution = String::from("Upgrade ");
            let n = 4 + rng.below(8) as usize;
            words(&mut rng, n, &mut solution);
            Plugin {
                id: 10_000 + i as u32 * 7,
                name,
                family: FAMILIES[rng.below(FAMILIES.len() as u64) as usize],
                severity,
                cves,
                synopsis,
                description,
                solution,
            }
        })
        .collect()
}

fn policy(out: &mut impl Write, rng: &mut Rng) -> io::Result<()> {
    writeln!(
        out,
        "<Policy><policyName>Generated Advanced Scan</policyName><Preferences><ServerPreferences>"
    )?;
    let plugin_set: Vec<String> = (0..20_000).map(|i| (10_000 + i * 3).to_string()).collect();
    writeln!(
        out,
        "<preference><name>plugin_set</name><value>{}</value></preference>",
        plugin_set.join(";")
    )?;
    for i in 0..60 {
        writeln!(
            out,
            "<preference><name>pref_{i}</name><value>{}</value></preference>",
            rng.below(1000)
        )?;
    }
    writeln!(out, "</ServerPreferences><PluginsPreferences>")?;
    for i in 0..700 {
        writeln!(out, "<item><pluginName>Plugin {i}</pluginName><pluginId>{}</pluginId><fullName>Plugin {i}[entry]:Setting</fullName><preferenceName>Setting</preferenceName><preferenceType>entry</preferenceType><preferenceValues>yes;no</preferenceValues><selectedValue>yes</selectedValue></item>", 10_000 + i)?;
    }
    writeln!(out, "</PluginsPreferences></Preferences><FamilySelection>")?;
    for f in FAMILIES {
        writeln!(
            out,
            "<FamilyItem><FamilyName>{f}</FamilyName><Status>enabled</Status></FamilyItem>"
        )?;
    }
    writeln!(out, "</FamilySelection></Policy>")
}

/// Writes the file; returns the number of ReportItems written.
pub fn write(spec: &Spec, out: &mut impl Write) -> io::Result<usize> {
    let mut rng = Rng::new(spec.seed);
    let mut drop_rng = Rng::new(spec.drop_seed);
    let plugins = plugins(spec);
    writeln!(out, "<?xml version=\"1.0\" ?>\n<NessusClientData_v2>")?;
    policy(out, &mut rng)?;
    writeln!(
        out,
        "<Report name=\"Generated scan\" xmlns:cm=\"http://www.nessus.org/cm\">"
    )?;
    let mut written = 0;
    let per_host = spec.items / spec.hosts;
    let mut text = String::with_capacity(4096);
    for h in 0..spec.hosts {
        let items = if h + 1 == spec.hosts {
            spec.items - per_host * (spec.hosts - 1)
        } else {
            per_host
        };
        let (a, b) = (h / 250, h % 250);
        let fqdn = format!("host{h:05}.dc{}.example.com", h % 7);
        writeln!(
            out,
            "<ReportHost name=\"10.{}.{}.{}\"><HostProperties>",
            20 + a / 250,
            a % 250,
            b + 1
        )?;
        writeln!(
            out,
            "<tag name=\"host-fqdn\">{fqdn}</tag><tag name=\"host-ip\">10.{}.{}.{}</tag>",
            20 + a / 250,
            a % 250,
            b + 1
        )?;
        writeln!(out, "<tag name=\"operating-system\">Ubuntu 22.04 Linux Kernel 5.15</tag><tag name=\"mac-address\">00:50:56:{:02x}:{:02x}:{:02x}</tag>", h >> 16 & 0xff, h >> 8 & 0xff, h & 0xff)?;
        for n in 0..8 {
            writeln!(
                out,
                "<tag name=\"netstat-listen-tcp4-{n}\">0.0.0.0:{}</tag>",
                1000 + rng.below(60000)
            )?;
        }
        writeln!(
            out,
            "<tag name=\"HOST_END_TIMESTAMP\">{}</tag><tag name=\"HOST_START_TIMESTAMP\">{}</tag>",
            spec.scan_time + 600,
            spec.scan_time
        )?;
        writeln!(out, "</HostProperties>")?;
        for i in 0..items {
            // Distinct (plugin, port) per host: walk the plugin table with a host-specific stride.
            let p = &plugins[(h * 131 + i * 7919) % plugins.len()];
            let (svc, port, proto) = SERVICES[(i + h) % SERVICES.len()];
            let drop = spec.drop_share > 0.0 && drop_rng.chance(spec.drop_share);
            if drop {
                continue;
            }
            written += 1;
            let risk = ["None", "Low", "Medium", "High", "Critical"][p.severity as usize];
            writeln!(out, "<ReportItem port=\"{port}\" svc_name=\"{svc}\" protocol=\"{proto}\" severity=\"{}\" pluginID=\"{}\" pluginName=\"{}\" pluginFamily=\"{}\">", p.severity, p.id, escape(&p.name), p.family)?;
            if p.severity > 0 {
                writeln!(out, "<cvss3_base_score>{:.1}</cvss3_base_score>\n<cvss3_vector>CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</cvss3_vector>", 2.0 + 2.0 * p.severity as f64)?;
                writeln!(out, "<cvss_base_score>{:.1}</cvss_base_score>\n<cvss_vector>CVSS2#AV:N/AC:L/Au:N/C:P/I:P/A:P</cvss_vector>", 1.5 + 2.0 * p.severity as f64)?;
            }
            for cve in &p.cves {
                writeln!(out, "<cve>{cve}</cve>")?;
            }
            writeln!(out, "<description>{}</description>", escape(&p.description))?;
            writeln!(out, "<fname>plugin_{}.nasl</fname>\n<plugin_modification_date>2025/01/15</plugin_modification_date>\n<plugin_name>{}</plugin_name>\n<plugin_publication_date>2019/03/01</plugin_publication_date>\n<plugin_type>remote</plugin_type>", p.id, escape(&p.name))?;
            // Each item's output comes from its own seed, so an item a rescan still finds
            // says the same thing (as real plugin output mostly does), whatever was dropped.
            let mut item_rng = Rng::new(spec.seed ^ ((h as u64) << 24) ^ i as u64);
            if item_rng.chance(0.93) {
                text.clear();
                let len = item_rng.lognormal(400.0, 1.2).min(270_000.0) as usize;
                while text.len() < len {
                    words(&mut item_rng, 12, &mut text);
                    text.push_str("\n  ");
                }
                writeln!(
                    out,
                    "<plugin_output>\n  {}\n</plugin_output>",
                    escape(&text)
                )?;
            }
            writeln!(out, "<risk_factor>{risk}</risk_factor>\n<script_version>$Revision: 1.{} $</script_version>", p.id % 97)?;
            writeln!(
                out,
                "<solution>{}</solution>\n<synopsis>{}</synopsis>",
                escape(&p.solution),
                escape(&p.synopsis)
            )?;
            if item_rng.chance(0.27) {
                writeln!(out, "<see_also>https://example.com/advisory/{}\nhttps://example.org/kb/{}</see_also>", p.id, p.id + 1)?;
            }
            writeln!(out, "</ReportItem>")?;
        }
        writeln!(out, "</ReportHost>")?;
    }
    writeln!(out, "</Report>\n</NessusClientData_v2>")?;
    Ok(written)
}
