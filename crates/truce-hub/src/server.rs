//! The hub's HTTP API. Every request but the health check carries a device's token
//! (`Authorization: Bearer …`, `devices`). Errors answer `{code, message}` with a status that says
//! whose fault it is: 400 for a malformed request (naming the operation and field), 401 for a
//! missing, unknown or revoked token, 403 for what the device's role or workspace does not allow,
//! 413 for a body past the limit, 503 when the database cannot be reached. Nothing of a refused
//! batch is stored.
//!
//! - `POST /v1/workspaces/{id}/ops` with `{"ops": [Op, ...]}`: stores them; answers `Pushed`.
//! - `GET /v1/workspaces/{id}/ops?after=N&limit=M`: the operations numbered after N; `Pulled`.
//! - `PUT /v1/workspaces/{id}/snapshot?seq=N&format=V` with the snapshot's bytes (an admin's
//!   device only): keeps it as the latest (`snapshots`).
//! - `GET /v1/workspaces/{id}/snapshot`: the latest snapshot's bytes, with `x-truce-seq`,
//!   `x-truce-format` and `x-truce-sha256`; 404 `no_snapshot` when there is none.
//! - `GET /v1/health`: 200 when the database answers.

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::devices::{self, Device};
use crate::limits::{Limiter, Limits};
use crate::ops::{self, Op};
use crate::snapshots;
use crate::Pool;

/// The largest request body: a full batch of ordinary operations fits well within it.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// The largest snapshot the hub keeps: a workspace of a million findings packs into a few
/// hundred MiB.
pub const MAX_SNAPSHOT: u64 = 4 << 30;

/// What every handler shares: the database and the request limits.
#[derive(Clone)]
struct Hub {
    pool: Pool,
    limiter: std::sync::Arc<Limiter>,
}

/// The API over `pool`, with the default request limits.
pub fn router(pool: Pool) -> Router {
    router_with(pool, Limits::default())
}

/// The API over `pool`, each device token limited to `limits`.
pub fn router_with(pool: Pool, limits: Limits) -> Router {
    let hub = Hub {
        pool,
        limiter: std::sync::Arc::new(Limiter::new(limits)),
    };
    // Snapshots are read as a stream with their own limit; everything else is small.
    let snapshots = Router::new()
        .route(
            "/v1/workspaces/{workspace}/snapshot",
            get(get_snapshot).put(put_snapshot),
        )
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/workspaces/{workspace}/ops", get(pull).post(push))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(refuse_announced_too_large))
        .merge(snapshots)
        .with_state(hub)
}

/// A body announced past [`MAX_BODY`] is refused from its headers, before a byte of it is read:
/// a hostile client cannot make the hub read 16 MB first. (A body that does not say its length
/// is cut off at the limit while it is read.)
async fn refuse_announced_too_large(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match announced(request.headers()) {
        Some(n) if n > MAX_BODY as u64 => Failure::of(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the request is {n} bytes; the hub takes at most {} MiB at a time",
                MAX_BODY >> 20
            ),
        )
        .into_response(),
        _ => next.run(request).await,
    }
}

/// Serves the API on `listener` until the process is stopped.
pub async fn serve(listener: tokio::net::TcpListener, pool: Pool) -> std::io::Result<()> {
    axum::serve(listener, router(pool)).await
}

struct Failure {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Seconds to wait before asking again (a 429's `Retry-After`).
    retry_after: Option<u64>,
}

impl Failure {
    fn of(status: StatusCode, code: &'static str, message: String) -> Failure {
        Failure {
            status,
            code,
            message,
            retry_after: None,
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(target: "truce::hub", "{}", self.message);
        }
        let body = Json(json!({"code": self.code, "message": self.message}));
        match self.retry_after {
            Some(s) => (
                self.status,
                [(axum::http::header::RETRY_AFTER, s.to_string())],
                body,
            )
                .into_response(),
            None => (self.status, body).into_response(),
        }
    }
}

impl From<ops::StoreError> for Failure {
    fn from(e: ops::StoreError) -> Self {
        Failure::of(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            e.to_string(),
        )
    }
}

async fn health(State(Hub { pool, .. }): State<Hub>) -> Result<&'static str, Failure> {
    let client = pool.get().await.map_err(ops::StoreError::from)?;
    client
        .simple_query("SELECT 1")
        .await
        .map_err(ops::StoreError::from)?;
    Ok("ok")
}

#[derive(Deserialize)]
struct Batch {
    ops: Vec<Op>,
}

async fn push(
    State(hub): State<Hub>,
    Path(workspace): Path<String>,
    headers: axum::http::HeaderMap,
    body: Result<Json<Batch>, JsonRejection>,
) -> Result<Json<ops::Pushed>, Failure> {
    check_workspace(&workspace)?;
    let device = device(&hub, &headers, &workspace).await?;
    if !device.may_write() {
        return Err(forbidden(format!(
            "{} is a viewer on this hub: a viewer reads the plan and cannot change it",
            device.person
        )));
    }
    let Json(batch) = body.map_err(|e| {
        let status = e.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "too_large"
        } else {
            "bad_request"
        };
        Failure::of(status, code, e.body_text())
    })?;
    if batch.ops.len() > ops::MAX_BATCH {
        return Err(Failure::of(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!(
                "{} operations in one push; send at most {} at a time",
                batch.ops.len(),
                ops::MAX_BATCH
            ),
        ));
    }
    ops::check(&batch.ops)
        .map_err(|r| Failure::of(StatusCode::BAD_REQUEST, "bad_request", r.to_string()))?;
    // A laptop pushes what was made on it: an operation in another device's name is refused.
    if let Some((i, op)) = batch
        .ops
        .iter()
        .enumerate()
        .find(|(_, o)| o.device != device.id)
    {
        return Err(forbidden(format!(
            "ops[{i}].device: '{}' is not this token's device ('{}')",
            op.device, device.id
        )));
    }
    crate::authorize::by_role(&device.role, &batch.ops).map_err(forbidden)?;
    match ops::push(&hub.pool, &workspace, &batch.ops).await? {
        Ok(pushed) => Ok(Json(pushed)),
        Err(refused) => Err(forbidden(refused)),
    }
}

#[derive(Deserialize)]
struct Cursor {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    1_000
}

async fn pull(
    State(hub): State<Hub>,
    Path(workspace): Path<String>,
    headers: axum::http::HeaderMap,
    Query(cursor): Query<Cursor>,
) -> Result<Json<ops::Pulled>, Failure> {
    check_workspace(&workspace)?;
    device(&hub, &headers, &workspace).await?;
    Ok(Json(
        ops::pull(&hub.pool, &workspace, cursor.after, cursor.limit).await?,
    ))
}

#[derive(Deserialize)]
struct SnapshotOf {
    seq: i64,
    format: i64,
}

async fn put_snapshot(
    State(hub): State<Hub>,
    Path(workspace): Path<String>,
    headers: axum::http::HeaderMap,
    Query(of): Query<SnapshotOf>,
    body: axum::body::Body,
) -> Result<Json<serde_json::Value>, Failure> {
    use futures_util::StreamExt;
    check_workspace(&workspace)?;
    let device = device(&hub, &headers, &workspace).await?;
    if device.role != "admin" {
        return Err(forbidden(format!(
            "{} is not an admin on this hub: every laptop that joins trusts a snapshot, so only \
             an admin's device may give one",
            device.person
        )));
    }
    let refused = |r: snapshots::Refused| match r {
        snapshots::Refused::Bad(m) => Failure::of(StatusCode::BAD_REQUEST, "bad_request", m),
        snapshots::Refused::TooLarge(m) => {
            Failure::of(StatusCode::PAYLOAD_TOO_LARGE, "too_large", m)
        }
        snapshots::Refused::Store(e) => e.into(),
    };
    if announced(&headers).is_some_and(|n| n > MAX_SNAPSHOT) {
        return Err(refused(snapshots::Refused::TooLarge(format!(
            "the snapshot is past {} MiB, the most this hub keeps",
            MAX_SNAPSHOT >> 20
        ))));
    }
    let mut client = snapshots::connection(&hub.pool).await?;
    let mut upload = snapshots::begin(
        &mut client,
        &workspace,
        &device.id,
        of.seq,
        of.format,
        MAX_SNAPSHOT,
    )
    .await
    .map_err(refused)?;
    let mut pieces = body.into_data_stream();
    while let Some(piece) = pieces.next().await {
        let piece = piece.map_err(|e| {
            Failure::of(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("the snapshot broke off before its end: {e}"),
            )
        })?;
        upload.add(&piece).await.map_err(refused)?;
    }
    let kept = upload.finish(&workspace).await.map_err(refused)?;
    tracing::info!(target: "truce::hub", "snapshot of {workspace} up to {} from {} ({} bytes)", kept.seq, device.id, kept.bytes);
    Ok(Json(
        json!({"seq": kept.seq, "bytes": kept.bytes, "sha256": kept.sha256}),
    ))
}

async fn get_snapshot(
    State(hub): State<Hub>,
    Path(workspace): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, Failure> {
    check_workspace(&workspace)?;
    device(&hub, &headers, &workspace).await?;
    let Some(latest) = snapshots::latest(&hub.pool, &workspace).await? else {
        return Err(Failure::of(
            StatusCode::NOT_FOUND,
            "no_snapshot",
            "the hub holds no snapshot of this workspace: a new laptop pulls every operation"
                .into(),
        ));
    };
    // One chunk at a time from the database: a gigabyte goes out in constant memory. A failure
    // midway ends the body short, which the laptop sees against the length and the digest.
    let (pool, id) = (hub.pool.clone(), latest.id);
    let chunks = futures_util::stream::unfold(Some(0), move |next| {
        let pool = pool.clone();
        async move {
            let n = next?;
            match snapshots::chunk(&pool, id, n).await {
                Ok(Some(data)) => Some((Ok(axum::body::Bytes::from(data)), Some(n + 1))),
                Ok(None) => None,
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
            }
        }
    });
    let header = |name: &'static str, value: String| (name, value);
    Ok((
        [
            header("content-type", "application/zstd".into()),
            header("content-length", latest.bytes.to_string()),
            header("x-truce-seq", latest.seq.to_string()),
            header("x-truce-format", latest.format.to_string()),
            header("x-truce-sha256", latest.sha256),
        ],
        axum::body::Body::from_stream(chunks),
    )
        .into_response())
}

/// The body's length as the request announces it.
fn announced(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

fn forbidden(message: String) -> Failure {
    Failure::of(StatusCode::FORBIDDEN, "forbidden", message)
}

/// The device the request's token names, if it may work on `workspace` and has not asked too
/// often (429, with when to come back, before the token is looked up).
async fn device(
    hub: &Hub,
    headers: &axum::http::HeaderMap,
    workspace: &str,
) -> Result<Device, Failure> {
    let unauthorized =
        |m: &str| Failure::of(StatusCode::UNAUTHORIZED, "unauthorized", m.to_string());
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .ok_or_else(|| {
            unauthorized("this request carries no device token (Authorization: Bearer …)")
        })?;
    if let Err(wait) = hub.limiter.take(token) {
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        return Err(Failure {
            retry_after: Some(seconds),
            ..Failure::of(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!("this device asks too often; try again in {seconds} s"),
            )
        });
    }
    let device = devices::authenticate(&hub.pool, token)
        .await?
        .ok_or_else(|| {
            unauthorized(
                "this device token is unknown or was revoked; ask the hub's admin for a new one",
            )
        })?;
    if device.workspace_id != workspace {
        return Err(forbidden(format!(
            "this device token is for another workspace ('{}')",
            device.workspace_id
        )));
    }
    Ok(device)
}

/// A workspace id is a UUID's text or the like: short, printable.
fn check_workspace(id: &str) -> Result<(), Failure> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Failure::of(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "a workspace id is 1 to 64 letters, digits, '-' or '_'".into(),
        ))
    }
}
