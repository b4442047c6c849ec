//! A fault-injecting HTTP proxy between rackfile and moto, owned by the tests. It answers CloudFormation
//! requests with throttling (HTTP 400 "Rate exceeded"), HTTP 500s, connection resets or delays at chosen
//! rates, forwards everything else untouched, and counts what it saw.
//!
//! Faults are decided before a request reaches moto, so a faulted request never changed anything: what a
//! test then sees is rackfile's retrying, not moto's. Which requests are faulted is deterministic and evenly
//! spread (request i falls in slot (i * 37) mod 100, and the first `rate` percent of slots fault), so a test
//! measures retry behaviour, not luck.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Fault rates in percent of CloudFormation requests; they must add up to at most 100.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub throttle: u32,
    pub server_error: u32,
    pub reset: u32,
    /// Added before every request that is forwarded (CloudFormation or not): a slow network or a far region.
    pub delay: Duration,
    /// Always answer a request whose body contains all of these texts with HTTP 500 (e.g. one rack's
    /// CreateStack: `["Action=CreateStack", "StackName=bravo"]`).
    pub fail_matching: Vec<String>,
    /// Forward the first request whose body contains all of these texts to moto, then drop the answer
    /// (reset the connection): AWS acted, the client never heard. Later matches are forwarded normally.
    pub lose_answer_matching: Vec<String>,
    /// Make a stack look in progress for this long after each CreateStack or UpdateStack of it, as real
    /// racks take minutes where moto takes none: DescribeStacks of it says `*_IN_PROGRESS`, and its
    /// events hide the completion. Zero: off.
    pub hold_in_progress: Duration,
    /// Also put moto's own model of a stack back in UPDATE_IN_PROGRESS once moto carried out its UpdateStack,
    /// before rackfile hears the answer: moto completes an update at once, and the CancelUpdateStack of
    /// scripts/moto-server.py, as AWS's, accepts only an update in progress. Set here, no test races rackfile
    /// to the cancel.
    pub update_in_progress_in_moto: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    Throttle,
    ServerError,
    Reset,
}

#[derive(Default)]
struct State {
    faults: Faults,
    /// Whether the answer of a `lose_answer_matching` request was dropped already.
    answer_lost: bool,
    cloudformation_requests: u64,
    /// (action, fault) -> count; `None` for forwarded requests.
    seen: BTreeMap<(String, Option<Fault>), u64>,
    /// Stack name -> when its last create or update was forwarded, for `hold_in_progress`.
    written: BTreeMap<String, std::time::Instant>,
}

pub struct FaultProxy {
    pub port: u16,
    state: Arc<Mutex<State>>,
    _runtime: tokio::runtime::Runtime,
}

impl FaultProxy {
    pub fn start(upstream_port: u16, faults: Faults) -> Self {
        assert!(faults.throttle + faults.server_error + faults.reset <= 100);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let state = Arc::new(Mutex::new(State {
            faults,
            ..State::default()
        }));
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepting = state.clone();
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, upstream_port, accepting.clone()));
            }
        });
        Self {
            port,
            state,
            _runtime: runtime,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many requests of `action` were answered with `fault` (`None`: forwarded to moto).
    pub fn count(&self, action: &str, fault: Option<Fault>) -> u64 {
        let state = self.state.lock().unwrap();
        state
            .seen
            .get(&(action.to_string(), fault))
            .copied()
            .unwrap_or(0)
    }

    /// Requests seen, faulted or forwarded, by action.
    pub fn requests_by_action(&self) -> BTreeMap<String, u64> {
        let state = self.state.lock().unwrap();
        let mut counts = BTreeMap::new();
        for ((action, _), count) in &state.seen {
            *counts.entry(action.clone()).or_default() += count;
        }
        counts
    }

    /// Every fault injected, of any action.
    pub fn faults_injected(&self) -> u64 {
        let state = self.state.lock().unwrap();
        state
            .seen
            .iter()
            .filter(|((_, fault), _)| fault.is_some())
            .map(|(_, count)| count)
            .sum()
    }
}

struct Request {
    bytes: Vec<u8>,
    body: String,
}

/// Reads one HTTP/1.1 request (headers and a Content-Length body); `None` at the end of the connection.
async fn read_request(client: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Request> {
    let header_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let mut chunk = [0u8; 8192];
        let read = client.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        let mut chunk = [0u8; 8192];
        let read = client.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let bytes: Vec<u8> = buffer.drain(..header_end + length).collect();
    let body = String::from_utf8_lossy(&bytes[header_end..]).to_string();
    Some(Request { bytes, body })
}

fn form_value<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    body.split('&')
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}

fn error_response(status: &str, kind: &str, code: &str, message: &str) -> Vec<u8> {
    let body = format!(
        "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\
         <Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>\
         <RequestId>fault-proxy</RequestId></ErrorResponse>"
    );
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nx-amzn-RequestId: fault-proxy\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve(mut client: TcpStream, upstream_port: u16, state: Arc<Mutex<State>>) {
    let mut buffer = Vec::new();
    while let Some(request) = read_request(&mut client, &mut buffer).await {
        // S3 is a REST API: its reads are counted by method (a template GET is S3 GetObject).
        let action = match form_value(&request.body, "Action") {
            Some(action) => action.to_string(),
            None if request.bytes.starts_with(b"GET ") => "S3 GET".to_string(),
            None => "(not a query request)".to_string(),
        };
        let cloudformation = form_value(&request.body, "Version") == Some("2010-05-15");
        let (fault, delay) = {
            let mut state = state.lock().unwrap();
            let fault = if !cloudformation {
                None
            } else if !state.faults.fail_matching.is_empty()
                && state
                    .faults
                    .fail_matching
                    .iter()
                    .all(|text| request.body.contains(text.as_str()))
            {
                Some(Fault::ServerError)
            } else {
                let slot = (state.cloudformation_requests * 37 % 100) as u32;
                state.cloudformation_requests += 1;
                let faults = &state.faults;
                if slot < faults.throttle {
                    Some(Fault::Throttle)
                } else if slot < faults.throttle + faults.server_error {
                    Some(Fault::ServerError)
                } else if slot < faults.throttle + faults.server_error + faults.reset {
                    Some(Fault::Reset)
                } else {
                    None
                }
            };
            *state.seen.entry((action.clone(), fault)).or_default() += 1;
            (fault, state.faults.delay)
        };
        let lose_answer = {
            let mut state = state.lock().unwrap();
            let matches = !state.faults.lose_answer_matching.is_empty()
                && state
                    .faults
                    .lose_answer_matching
                    .iter()
                    .all(|text| request.body.contains(text.as_str()));
            let lose = fault.is_none() && matches && !state.answer_lost;
            state.answer_lost |= lose;
            lose
        };
        if lose_answer {
            let _ = forward(&request.bytes, upstream_port).await;
            let _ = client.set_zero_linger();
            return;
        }
        let response = match fault {
            Some(Fault::Throttle) => {
                error_response("400 Bad Request", "Sender", "Throttling", "Rate exceeded")
            }
            Some(Fault::ServerError) => error_response(
                "500 Internal Server Error",
                "Receiver",
                "InternalFailure",
                "injected by the fault proxy",
            ),
            Some(Fault::Reset) => {
                // SO_LINGER 0 makes close send a RST: the client sees "connection reset by peer".
                let _ = client.set_zero_linger();
                return;
            }
            None => {
                tokio::time::sleep(delay).await;
                // moto closes after each response, and so does the proxy: the client never waits for the
                // end of a response that has no length.
                if let Some(response) = forward(&request.bytes, upstream_port).await {
                    let in_moto_too = state.lock().unwrap().faults.update_in_progress_in_moto;
                    if in_moto_too
                        && action == "UpdateStack"
                        && response.starts_with(b"HTTP/1.1 200")
                    {
                        put_in_progress_in_moto(&request, upstream_port).await;
                    }
                    let response = hold(&state, &action, &request.body, response);
                    let _ = client.write_all(&response).await;
                }
                return;
            }
        };
        if client.write_all(&response).await.is_err() {
            return;
        }
    }
}

/// `hold_in_progress`: records writes, and rewrites what DescribeStacks and DescribeStackEvents of a stack
/// written less than the hold ago say, so the stack looks in progress.
fn hold(state: &Mutex<State>, action: &str, body: &str, response: Vec<u8>) -> Vec<u8> {
    let mut state = state.lock().unwrap();
    let hold = state.faults.hold_in_progress;
    if hold.is_zero() {
        return response;
    }
    let Some(stack) = form_value(body, "StackName").map(str::to_string) else {
        return response;
    };
    if matches!(action, "CreateStack" | "UpdateStack") {
        state.written.insert(stack, std::time::Instant::now());
        return response;
    }
    let held = state
        .written
        .get(&stack)
        .is_some_and(|written| written.elapsed() < hold);
    if !held || !matches!(action, "DescribeStacks" | "DescribeStackEvents") {
        return response;
    }
    let Some(split) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return response;
    };
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let mut text = String::from_utf8_lossy(&response[split + 4..]).to_string();
    if action == "DescribeStacks" {
        for (done, doing) in [
            ("CREATE_COMPLETE", "CREATE_IN_PROGRESS"),
            ("UPDATE_COMPLETE", "UPDATE_IN_PROGRESS"),
        ] {
            text = text.replace(
                &format!("<StackStatus>{done}</StackStatus>"),
                &format!("<StackStatus>{doing}</StackStatus>"),
            );
        }
    } else {
        text = without_completions(&text);
    }
    let head: Vec<String> = head
        .split("\r\n")
        .map(|line| match line.split_once(':') {
            Some((name, _)) if name.eq_ignore_ascii_case("content-length") => {
                format!("Content-Length: {}", text.len())
            }
            _ => line.to_string(),
        })
        .collect();
    format!("{}\r\n\r\n{text}", head.join("\r\n")).into_bytes()
}

/// DescribeStackEvents XML without the events that complete a create or update.
fn without_completions(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find("<member>") {
        let Some(length) = rest[start..].find("</member>") else {
            break;
        };
        let end = start + length + "</member>".len();
        let member = &rest[start..end];
        out.push_str(&rest[..start]);
        let completes = member.contains("<ResourceStatus>CREATE_COMPLETE</ResourceStatus>")
            || member.contains("<ResourceStatus>UPDATE_COMPLETE</ResourceStatus>");
        if !completes {
            out.push_str(member);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `update_in_progress_in_moto`: the updated stack, in the region its request was signed for, put in
/// UPDATE_IN_PROGRESS through scripts/moto-server.py's stack-status route.
async fn put_in_progress_in_moto(update: &Request, upstream_port: u16) {
    let head = String::from_utf8_lossy(&update.bytes);
    let region = head
        .split("Credential=")
        .nth(1)
        .and_then(|scope| scope.split('/').nth(2))
        .expect("the UpdateStack is signed with a credential scope");
    let name = form_value(&update.body, "StackName").expect("the UpdateStack names its stack");
    let body =
        format!(r#"{{"region": "{region}", "name": "{name}", "status": "UPDATE_IN_PROGRESS"}}"#);
    let request = format!(
        "POST /rackfile-test/stack-status HTTP/1.1\r\nHost: 127.0.0.1:{upstream_port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let response = forward(request.as_bytes(), upstream_port).await;
    assert!(
        response.is_some_and(|response| response.starts_with(b"HTTP/1.1 200")),
        "moto did not put {name} in UPDATE_IN_PROGRESS"
    );
}

/// Sends one request to moto on a fresh connection and returns its whole response.
async fn forward(request: &[u8], upstream_port: u16) -> Option<Vec<u8>> {
    let header_end = request.windows(4).position(|w| w == b"\r\n\r\n")? + 2;
    let head = String::from_utf8_lossy(&request[..header_end]);
    let mut rewritten: String = head
        .split("\r\n")
        .filter(|line| {
            !line
                .split_once(':')
                .is_some_and(|(name, _)| name.eq_ignore_ascii_case("connection"))
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    // One request per upstream connection: the response then ends where the connection does.
    rewritten.push_str("Connection: close\r\n");
    let mut upstream = TcpStream::connect(("127.0.0.1", upstream_port))
        .await
        .ok()?;
    upstream.write_all(rewritten.as_bytes()).await.ok()?;
    upstream.write_all(&request[header_end..]).await.ok()?;
    let mut response = Vec::new();
    upstream.read_to_end(&mut response).await.ok()?;
    Some(response)
}
