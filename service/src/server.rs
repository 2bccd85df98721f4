//! The API's HTTP server: hyper's HTTP/1.1 with a timer, so a client that
//! sends its headers too slowly, or keeps an idle connection open, is cut
//! off (`Timeouts::headers`); a request, its body included, that takes
//! longer than `Timeouts::request` is answered 408 `request_timeout`; and each request carries its
//! peer's address (`ConnectInfo`), by which requests without a known key
//! are throttled before the database is asked about them.
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// How long a client may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// To send a request's headers, or idle between two requests on one connection.
    pub headers: Duration,
    /// For one request, its body read included.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            headers: Duration::from_secs(10),
            request: Duration::from_secs(30),
        }
    }
}

/// Serves `app` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, app: Router, timeouts: Timeouts) {
    let limit = timeouts.request;
    let app = app.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| async move {
            match tokio::time::timeout(limit, next.run(request)).await {
                Ok(response) => response,
                Err(_) => axum::response::IntoResponse::into_response(crate::api::ApiError::new(
                    axum::http::StatusCode::REQUEST_TIMEOUT,
                    "request_timeout",
                    format!("the request took longer than {} s", limit.as_secs()),
                )),
            }
        },
    ));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors and the like: wait, do not spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let app = app
            .clone()
            .layer(axum::Extension(ConnectInfo::<SocketAddr>(peer)));
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(timeouts.headers)
                .keep_alive(true);
            let service = TowerToHyperService::new(app);
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
