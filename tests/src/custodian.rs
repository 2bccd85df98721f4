//! A custodian's reserve endpoint on 127.0.0.1, for the oracle's `http`
//! source: answers what the test sets, records the credential it was sent,
//! and can be told to hang. It stops when dropped.
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What the endpoint answers.
#[derive(Clone, Debug)]
pub enum Answer {
    Json {
        status: u16,
        body: String,
    },
    /// Accept the connection and never answer.
    Hang,
}

pub struct Custodian {
    pub url: String,
    answer: Arc<Mutex<Answer>>,
    authorization: Arc<Mutex<Option<String>>>,
    task: JoinHandle<()>,
}

impl Custodian {
    pub async fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/reserves", listener.local_addr().expect("addr"));
        let answer = Arc::new(Mutex::new(answer));
        let authorization = Arc::new(Mutex::new(None));
        let (a, auth) = (answer.clone(), authorization.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let (a, auth) = (a.clone(), auth.clone());
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&request).to_string();
                    let credential = head
                        .lines()
                        .find_map(|l| {
                            l.strip_prefix("authorization: ")
                                .or_else(|| l.strip_prefix("Authorization: "))
                        })
                        .map(str::to_string);
                    *auth.lock().unwrap() = credential;
                    let answer = a.lock().unwrap().clone();
                    match answer {
                        Answer::Hang => std::future::pending::<()>().await,
                        Answer::Json { status, body } => {
                            let response = format!(
                                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                                body.len()
                            );
                            let _ = stream.write_all(response.as_bytes()).await;
                        }
                    }
                });
            }
        });
        Self {
            url,
            answer,
            authorization,
            task,
        }
    }

    pub fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    /// A 200 with `body`.
    pub fn answer_json(&self, body: String) {
        self.set(Answer::Json { status: 200, body });
    }

    /// The Authorization header of the last request.
    pub fn last_authorization(&self) -> Option<String> {
        self.authorization.lock().unwrap().clone()
    }
}

impl Drop for Custodian {
    fn drop(&mut self) {
        self.task.abort();
    }
}
