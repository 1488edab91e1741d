//! CycloneDX BOMs written as JSON, read with serde into the shared BOM model.

use serde::Deserialize;

use super::*;

#[derive(Deserialize)]
enum BomFormat {
    CycloneDX,
}

#[derive(Deserialize)]
pub(super) struct JBom {
    #[serde(rename = "bomFormat")]
    _bom_format: BomFormat,
    #[serde(rename = "serialNumber")]
    serial: Option<String>,
    #[serde(default)]
    metadata: Option<JMetadata>,
    #[serde(default)]
    components: Option<Vec<JComponent>>,
    vulnerabilities: Option<Vec<JVuln>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JMetadata {
    timestamp: Option<String>,
    component: Option<JComponent>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JComponent {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    name: Option<String>,
    version: Option<String>,
    purl: Option<String>,
    hashes: Option<Vec<JHash>>,
    properties: Option<Vec<JProperty>>,
    components: Option<Vec<JComponent>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JHash {
    alg: Option<String>,
    content: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JProperty {
    name: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JVuln {
    id: Option<String>,
    references: Option<Vec<JReference>>,
    ratings: Option<Vec<JRating>>,
    description: Option<String>,
    detail: Option<String>,
    recommendation: Option<String>,
    analysis: Option<JAnalysis>,
    affects: Option<Vec<JAffects>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JReference {
    id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JRating {
    score: Option<f64>,
    severity: Option<String>,
    method: Option<String>,
    vector: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JAnalysis {
    state: Option<String>,
    justification: Option<String>,
    response: Option<Vec<String>>,
    detail: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JAffects {
    #[serde(rename = "ref")]
    reference: Option<String>,
}

fn j_component(c: &JComponent) -> Component {
    let prop = |n: &str| {
        c.properties
            .iter()
            .flatten()
            .filter(|p| p.name.as_deref() == Some(n))
            .filter_map(|p| p.value.clone())
            .collect::<Vec<_>>()
    };
    let mut digests = prop("aquasecurity:trivy:RepoDigest");
    digests.extend(prop("aquasecurity:trivy:ImageID"));
    Component {
        name: c.name.clone().unwrap_or_default(),
        version: c.version.clone().unwrap_or_default(),
        kind: c.kind.clone().unwrap_or_default(),
        bom_ref: nonempty(c.bom_ref.clone()),
        purl: nonempty(c.purl.clone()),
        sha256: c
            .hashes
            .iter()
            .flatten()
            .find(|h| h.alg.as_deref() == Some("SHA-256"))
            .and_then(|h| nonempty(h.content.clone())),
        digests,
    }
}

fn j_components(list: &[JComponent], out: &mut Vec<Component>) {
    for c in list {
        out.push(j_component(c));
        if let Some(kids) = &c.components {
            j_components(kids, out);
        }
    }
}

pub(super) fn from_json(doc: JBom) -> Bom {
    let mut bom = Bom {
        serial: doc.serial,
        has_vulns: doc.vulnerabilities.is_some(),
        ..Default::default()
    };
    if let Some(m) = doc.metadata {
        bom.timestamp = m.timestamp;
        if let Some(c) = &m.component {
            bom.subject = Some(j_component(c));
            if let Some(kids) = &c.components {
                j_components(kids, &mut bom.components);
            }
        }
    }
    j_components(
        doc.components.as_deref().unwrap_or_default(),
        &mut bom.components,
    );
    for v in doc.vulnerabilities.unwrap_or_default() {
        let Some(id) = nonempty(v.id) else { continue };
        let a = v.analysis.unwrap_or_default();
        bom.vulns.push(Vuln {
            id,
            references: v
                .references
                .into_iter()
                .flatten()
                .filter_map(|r| r.id)
                .collect(),
            ratings: v
                .ratings
                .into_iter()
                .flatten()
                .map(|r| Rating {
                    method: r.method.unwrap_or_default(),
                    score: r.score.filter(|s| s.is_finite()),
                    severity: r.severity,
                    vector: nonempty(r.vector),
                })
                .collect(),
            description: nonempty(v.description),
            detail: nonempty(v.detail),
            recommendation: nonempty(v.recommendation),
            state: nonempty(a.state),
            justification: nonempty(a.justification),
            responses: a.response.unwrap_or_default(),
            analysis_detail: nonempty(a.detail),
            targets: v
                .affects
                .into_iter()
                .flatten()
                .filter_map(|t| nonempty(t.reference))
                .map(Target::Ref)
                .collect(),
        });
    }
    bom
}
