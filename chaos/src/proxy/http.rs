//! Just enough HTTP/1.1 to find request boundaries in the client → server
//! stream: the request line, the headers, and a body of `Content-Length`
//! bytes. That is what per-request faults need. A chunked request body
//! turns the connection into plain passthrough (no HTTP faults on it).

#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// A request head, whole: the bytes to forward and what it asks for.
    Head { request: u64, method: String, path: String, bytes: Vec<u8> },
    /// Body bytes of request `request`.
    Body { request: u64, bytes: Vec<u8> },
    /// Bytes after the connection stopped being parseable: forward as they are.
    Raw(Vec<u8>),
}

#[derive(Debug)]
enum State {
    Head,
    Body { remaining: u64 },
    Passthrough,
}

#[derive(Debug)]
pub struct Requests {
    buffer: Vec<u8>,
    state: State,
    count: u64,
}

/// The methods a request line starts with.
const METHODS: [&str; 7] = ["GET ", "POST ", "PUT ", "PATCH ", "DELETE ", "HEAD ", "OPTIONS "];

pub fn looks_like_http(first_bytes: &[u8]) -> bool {
    METHODS.iter().any(|m| first_bytes.starts_with(m.as_bytes()))
}

impl Default for Requests {
    fn default() -> Self {
        Self { buffer: Vec::new(), state: State::Head, count: 0 }
    }
}

impl Requests {
    pub fn push(&mut self, mut data: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        while !data.is_empty() {
            match &mut self.state {
                State::Passthrough => {
                    events.push(Event::Raw(data.to_vec()));
                    break;
                }
                State::Body { remaining } => {
                    let take = (*remaining as usize).min(data.len());
                    events.push(Event::Body { request: self.count, bytes: data[..take].to_vec() });
                    *remaining -= take as u64;
                    data = &data[take..];
                    if *remaining == 0 {
                        self.state = State::Head;
                    }
                }
                State::Head => {
                    self.buffer.extend_from_slice(data);
                    data = &[];
                    let Some(end) = find(&self.buffer, b"\r\n\r\n") else {
                        if self.buffer.len() > 64 * 1024 {
                            // Not HTTP after all (or absurd headers): give up parsing.
                            events.push(Event::Raw(std::mem::take(&mut self.buffer)));
                            self.state = State::Passthrough;
                        }
                        break;
                    };
                    let head: Vec<u8> = self.buffer.drain(..end + 4).collect();
                    let rest = std::mem::take(&mut self.buffer);
                    let text = String::from_utf8_lossy(&head).to_string();
                    let mut parts = text.lines().next().unwrap_or_default().split_whitespace();
                    let method = parts.next().unwrap_or_default().to_owned();
                    let path = parts.next().unwrap_or_default().to_owned();
                    let header = |name: &str| {
                        text.lines().skip(1).find_map(|line| {
                            let (key, value) = line.split_once(':')?;
                            key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
                        })
                    };
                    self.count += 1;
                    events.push(Event::Head { request: self.count, method, path, bytes: head });
                    let chunked =
                        header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
                    let length = header("content-length").and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
                    self.state = if chunked {
                        State::Passthrough
                    } else if length > 0 {
                        State::Body { remaining: length }
                    } else {
                        State::Head
                    };
                    if !rest.is_empty() {
                        // Feed what followed the head through the same loop.
                        events.extend(self.push(&rest));
                    }
                }
            }
        }
        events
    }
}

/// The value of header `name` (any case) in a request head, trimmed; the
/// first when it is repeated. `None` when absent or not text.
pub fn header<'a>(head: &'a [u8], name: &str) -> Option<&'a str> {
    let text = std::str::from_utf8(head).ok()?;
    text.split("\r\n").skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A whole HTTP response, as an injected fault answers.
pub fn response(status: u16, body: &str, toxic: &str) -> Vec<u8> {
    let reason = match status {
        400 => "Bad Request",
        404 => "Not Found",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Injected",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nx-chaos-fault: {toxic}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_split_at_their_boundaries_even_across_reads() {
        let mut requests = Requests::default();
        let first = b"POST /api/v1/payments HTTP/1.1\r\ncontent-length: 5\r\n\r\nhel";
        let events = requests.push(first);
        assert!(
            matches!(&events[0], Event::Head { request: 1, method, path, .. } if method == "POST" && path == "/api/v1/payments")
        );
        assert_eq!(events[1], Event::Body { request: 1, bytes: b"hel".to_vec() });
        let events = requests.push(b"loGET /health HTTP/1.1\r\nhost: x\r\n\r\n");
        assert_eq!(events[0], Event::Body { request: 1, bytes: b"lo".to_vec() });
        assert!(matches!(&events[1], Event::Head { request: 2, method, .. } if method == "GET"));
    }

    #[test]
    fn a_chunked_body_turns_parsing_off() {
        let mut requests = Requests::default();
        let events = requests.push(b"POST /x HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n");
        assert!(matches!(events[0], Event::Head { .. }));
        assert!(matches!(events[1], Event::Raw(_)));
    }

    #[test]
    fn only_http_looks_like_http() {
        assert!(looks_like_http(b"GET / HTTP/1.1\r\n"));
        assert!(!looks_like_http(b"\x00\x00\x00\x08\x04\xd2\x16\x2f")); // a Postgres SSLRequest
    }
}
